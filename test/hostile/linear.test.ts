/**
 * Inputs that used to make querylens slow: exponential backtracking in route
 * and glob patterns, a glob recompiled per call, a fix that re-parsed the
 * whole statement per finding, `tables` looked up by scanning every table.
 * Each case either finishes (mocha's timeout is the hang guard; nothing here
 * asserts a time) or is refused with a reason.
 */
import * as assert from 'node:assert/strict';
import { ConfigError, Project, defaultConfig, initParser, parseConfig, ruleIds } from '../../engine';
import { globTooComplex, safeIgnoreText, simplifyGlob } from '../../engine/guard';
import { routeMatches } from '../../engine/model/budgets';
import { sourcesMatcher } from '../../engine/schema';
import { cleanTemps, lint, tempProject } from './helpers';

describe('hostile input: linear time', function () {
  this.timeout(20000);
  before(() => initParser());
  after(cleanTemps);

  it('a budget key with twelve `**` against a long route matches without backtracking', () => {
    const key = `GET /${Array(12).fill('**').join('/')}/never`;
    const route = `GET /${Array(60).fill('seg').join('/')}`;
    assert.equal(routeMatches(key, route), false);
    assert.equal(routeMatches(`GET /${Array(12).fill('**').join('/')}/seg`, route), true);
    assert.equal(routeMatches('GET /a/**/c', 'GET /a/c'), true);
    assert.equal(routeMatches('GET /a/**/c', 'GET /a/b/b/c'), true);
    assert.equal(routeMatches('GET /a/*/c', 'GET /a/c'), false);
  });

  it('globs that would backtrack are refused with the entry named; runs of ** are collapsed', () => {
    assert.equal(simplifyGlob('a/**/**/**/b.sql'), 'a/**/b.sql');
    assert.equal(globTooComplex(`a/${Array(20).fill('**').join('/')}/b.sql`), undefined);
    assert.match(globTooComplex('a/*x*x**x*x*b') ?? '', /wildcards in one path segment/);
    assert.match(globTooComplex('a/**/b/**/c/**/d/**/e/**/f') ?? '', /5 "\*\*" segments/);
    assert.throws(() => parseConfig({ ignore: ['ok/**', 'a/*x*x**x*x*b'] }, ruleIds()), (e: unknown) => e instanceof ConfigError && e.key === 'ignore[1]');
    assert.throws(() => parseConfig({ schema: { sources: ['a/**/b/**/c/**/d/**/e/**/f.sql'] } }, ruleIds()), /schema\.sources\[0\]: glob too complex/);
  });

  it('a hostile .gitignore line is left out and reported; the others apply', async () => {
    const gi = ['generated/', 'x/*a*a*a*a*a*a*a*a*b', `deep/${Array(8).fill('**').join('/')}/z`].join('\n');
    assert.deepEqual(safeIgnoreText(gi).dropped.map((d) => d.line), [2]);
    const d = tempProject({ '.gitignore': gi, 'generated/a.sql': 'SELECT t.id FROM t, u;\n', [`x/${'a'.repeat(60)}.sql`]: 'SELECT t.id FROM t, u;\n', [`deep/${Array(30).fill('d').join('/')}/q.sql`]: 'SELECT 1;\n' });
    const r = await lint(d, ['--format', 'json']);
    const report = JSON.parse(r.out);
    assert.deepEqual(
      report.problems.filter((p: { kind: string }) => p.kind === 'limit').map((p: { file: string; line: number }) => [p.file, p.line]),
      [['.gitignore', 2]],
    );
    assert.deepEqual(report.findings.map((f: { file: string }) => f.file), [`x/${'a'.repeat(60)}.sql`], 'generated/ is ignored, the long name is linted');
  });

  it('schema.sources is compiled once per config', () => {
    const cfg = parseConfig({ schema: { sources: [`db/{${Array.from({ length: 600 }, (_, i) => `s${i}`).join(',')}}.sql`] } }, ruleIds());
    const m = sourcesMatcher(cfg.schema.sources);
    assert.equal(sourcesMatcher(cfg.schema.sources), m);
    assert.equal(m('db/s599.sql'), true);
    assert.equal(m('db/t1.sql'), false);
  });

  it('100,000 `tables` entries are applied by one index, not a scan per entry', () => {
    const tables: Record<string, { rows: number }> = {};
    for (let i = 0; i < 100_000; i++) tables[`t${i}`] = { rows: 1000 + i };
    const p = new Project(parseConfig({ tables }, ruleIds()));
    p.setFile('migrations/001.sql', 'CREATE TABLE t7 (id int primary key, a int);\n');
    const schema = p.schema();
    assert.equal(schema.tables.size, 100_000);
    assert.equal([...schema.tables.values()].find((t) => t.name === 't7')?.rows, 1007);
  });

  it('a FROM list of 1,000 tables gets its findings and at most 20 parsed fixes; 10,000 is a limit problem', () => {
    const n = 1000;
    const names = Array.from({ length: n }, (_, i) => `t${i}`);
    const p = new Project(defaultConfig());
    p.setFile('migrations/001.sql', names.slice(0, 40).map((t, i) => `CREATE TABLE ${t} (id int primary key${i ? ', p int references t0(id)' : ''});`).join('\n'));
    p.setFile('q.sql', `SELECT 1 FROM ${names.join(', ')};`);
    const r = p.analyze('q.sql');
    const cartesian = r.findings.filter((f) => f.ruleId === 'cartesian-join');
    assert.ok(cartesian.length >= 39, `${cartesian.length} findings`);
    const withJoinFix = cartesian.filter((f) => f.fixes.some((x) => x.title.startsWith('Join ')));
    assert.ok(withJoinFix.length > 0 && withJoinFix.length <= 20, `${withJoinFix.length} join fixes`);
    p.setFile('q10k.sql', `SELECT 1 FROM ${Array.from({ length: 10_000 }, (_, i) => `t${i}`).join(', ')};`);
    const big = p.analyze('q10k.sql');
    assert.deepEqual(big.findings, []);
    assert.deepEqual(big.problems.map((x) => [x.kind, x.message]), [['limit', 'SQL FROM list of 10000 items, over the limit of 1000; statement skipped']]);
  });
});
