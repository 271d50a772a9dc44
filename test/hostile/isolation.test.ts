/**
 * One file never stops the run: nesting that exhausts the stack, a statement
 * with thousands of arms, a rule that throws, a helper too deep to analyse.
 * Each becomes a problem on its file; every other finding survives and the
 * exit code still reflects them.
 */
import * as assert from 'node:assert/strict';
import { initParser } from '../../engine';
import { bracketDepth, treeDepth } from '../../engine/guard';
import { errorMessage, parseSql } from '../../engine/sql/parser';
import { defineRule } from '../../rules/define-rule';
import { cleanTemps, lint, tempProject } from './helpers';

const PG = 'import { Pool } from "pg";\nconst pool = new Pool();\n';
const LOOP = 'export async function f(ids: number[]) { for (const id of ids) { await pool.query("SELECT * FROM users WHERE id = $1", [id]); } }\n';
const SCHEMA = 'CREATE TABLE users (id int primary key, name text, avatar bytea);\nCREATE TABLE orders (id int primary key, user_id int);\n';

interface Report {
  findings: { file: string; ruleId: string; line: number }[];
  problems: { kind: string; file: string; message: string }[];
}

describe('hostile input: isolation per file and per statement', () => {
  before(() => initParser());
  after(cleanTemps);

  it('a file with 800 nested parentheses is a limit problem; the other files keep their findings', async () => {
    const d = tempProject({
      'migrations/001.sql': SCHEMA,
      'src/parens.ts': `${PG}export const x = ${'('.repeat(800)}1${')'.repeat(800)};\n${LOOP}`,
      'src/closures.ts': `${PG}export const y = ${'() => { for (const a of b) { '.repeat(250)}1${' } }'.repeat(250)};\n${LOOP}`,
      'src/ok.sql': 'SELECT * FROM users;\n',
    });
    const r = await lint(d, ['--format', 'json']);
    assert.equal(r.code, 1, r.err);
    const report = JSON.parse(r.out) as Report;
    assert.ok(report.findings.some((f) => f.file === 'src/ok.sql' && f.ruleId === 'over-fetching'), JSON.stringify(report));
    const limits = report.problems.filter((p) => p.kind === 'limit');
    assert.ok(limits.some((p) => p.file === 'src/parens.ts' && /nested more than 400 deep/.test(p.message)), JSON.stringify(report.problems));
    assert.ok(limits.some((p) => p.file === 'src/closures.ts'), 'the 500-deep closures and loops are over the limit too');
    assert.ok(!report.problems.some((p) => p.kind === 'rule-crash'), JSON.stringify(report.problems));
  });

  it('a 3,000-arm UNION ALL keeps the cartesian join of its first arm (exit 1, no crash)', async () => {
    const arms = ['SELECT a.id FROM users a, orders o', ...Array.from({ length: 3000 }, (_, i) => `SELECT ${i}`)];
    const d = tempProject({ 'migrations/001.sql': SCHEMA, 'queries/union.sql': `${arms.join(' UNION ALL ')};\n` });
    const r = await lint(d, ['--format', 'json']);
    const report = JSON.parse(r.out) as Report;
    assert.deepEqual(report.problems, []);
    assert.ok(report.findings.some((f) => f.file === 'queries/union.sql' && f.ruleId === 'cartesian-join'), JSON.stringify(report.findings));
    assert.equal(r.code, 1);
  });

  it('a helper file too deep to analyse is a visible problem on the file that calls it', async () => {
    const d = tempProject({
      'src/db.ts': `${PG.replace('const pool', 'export const pool')}export const deep = ${'('.repeat(600)}1${')'.repeat(600)};\nexport async function load(id: number) { return pool.query("SELECT id FROM users WHERE id = $1", [id]); }\n`,
      'src/caller.ts': 'import { load } from "./db";\nexport async function all(ids: number[]) { for (const id of ids) { await load(id); } }\n',
    });
    const r = await lint(d, ['src/caller.ts', '--format', 'json']);
    const report = JSON.parse(r.out) as Report;
    assert.ok(
      report.problems.some((p) => p.kind === 'limit' && p.file === 'src/caller.ts' && /src\/db\.ts, which this file uses, is not analysed/.test(p.message)),
      JSON.stringify(report.problems),
    );
  });

  it('a rule that throws is a rule-crash problem and exit 2; a rule that overflows the stack is a limit problem', async () => {
    const d = tempProject({ 'a.sql': 'SELECT 1;\n', 'b.sql': 'SELECT 2;\n' });
    const boom = defineRule({
      id: 'boom',
      meta: { summary: 'throws on a.sql', defaultSeverity: 'warning', fix: 'never', languages: ['sql'], docs: { what: '', why: '', example: { language: 'sql', code: '' }, useInstead: { language: 'sql', code: '' }, fixSafety: '', estimate: '' } },
      check(ctx) {
        if (ctx.file.path === 'a.sql') throw new Error('rule exploded');
        const deep = (n: number): number => deep(n + 1) + 1;
        deep(0);
      },
    });
    const r = await lint(d, ['--format', 'json'], [boom]);
    assert.equal(r.code, 2);
    assert.match(r.err, /1 internal error/);
    const report = JSON.parse(r.out) as Report;
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.file]),
      [
        ['rule-crash', 'a.sql'],
        ['limit', 'b.sql'],
      ],
    );
  });

  it('parser messages name the kind of error and its position, never a token of the file', () => {
    const out = parseSql('root:x:0:0:root:/root:/bin/bash\nsecret_token_abc123 = 1');
    assert.equal(out.errors.length, 1);
    assert.doesNotMatch(out.errors[0].message, /root|secret/);
    assert.match(out.errors[0].message, /syntax error/);
    assert.equal(errorMessage(new Error('unterminated quoted string at or near "\'AKIA1234 and the rest"')), 'unterminated quoted string at this position');
  });

  it('limits are measured without recursion', () => {
    assert.equal(bracketDepth('f("((((", /* ((( */ [1, {a: (2)}]) // (((('), 4);
    let deep: unknown = 1;
    for (let i = 0; i < 100000; i++) deep = { a: [deep] };
    assert.equal(treeDepth(deep, 5000), 5001);
  });
});
