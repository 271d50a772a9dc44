/**
 * The project boundary in the CLI: nothing outside the project root is read
 * (a symbolic link, a `../` import) or written (`--fix` through a link); a
 * fix never overwrites a file, names its migration after every file on disk
 * (read or skipped), names indexes uniquely, and a second `--fix` writes
 * nothing.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FORMATS } from '../../cli/args';
import type { Rule } from '../../cli/report';
import { defineRule } from '../../rules/define-rule';
import { cleanTemps, lint, tempProject } from './helpers';

/** A rule with a safe fix (`SELECT *` → the columns), so --fix has something to write whatever the real rules offer. */
const starRule: Rule = defineRule({
  id: 'star',
  meta: {
    summary: 'test rule',
    defaultSeverity: 'warning',
    fix: 'always',
    languages: ['sql'],
    docs: { what: 'w', why: 'w', example: { language: 'sql', code: '' }, useInstead: { language: 'sql', code: '' }, fixSafety: '', estimate: '' },
  },
  check(ctx) {
    for (const m of ctx.file.text.matchAll(/SELECT \*/g)) {
      const at = m.index! + 7;
      ctx.report({ message: 'star', range: { start: at, end: at + 1 }, estimate: { currentMs: 1, fixedMs: 1, summary: '', assumptions: [] }, fixes: [{ title: 'name the columns', safety: 'safe', edits: [{ file: ctx.file.path, range: { start: at, end: at + 1 }, newText: 'id, name' }] }] });
    }
  },
});

const SECRET = 'secret_token_abc123';
const LOOP_HELPER = 'import { Pool } from "pg";\nconst pool = new Pool();\nexport async function load(id: number) { return pool.query("SELECT id FROM users WHERE id = $1", [id]); }\n';
const CALLER = (spec: string) => `import { load } from "${spec}";\nexport async function all(ids: number[]) { for (const id of ids) { await load(id); } }\n`;

/** Every file under `dir` with its text (links listed as links), to compare before and after. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(path.join(dir, r))}`;
      else if (e.isDirectory()) walk(r);
      else out[r] = fs.readFileSync(path.join(dir, r), 'utf8');
    }
  };
  walk('');
  return out;
}

describe('hostile input: the project boundary (CLI)', () => {
  after(cleanTemps);

  it('never reads a file a symbolic link or a ../ import leads to outside the project, and never prints its content', async () => {
    const outside = tempProject({ 'secret.env': `${SECRET} = 1;\nroot:x:0:0:root:/root:/bin/bash\n`, 'helper.ts': LOOP_HELPER });
    const d = tempProject({
      'src/caller.ts': CALLER('./linked'),
      'src/up.ts': CALLER(`../${path.relative(path.dirname(outside), outside)}/helper`.replace(/^\.\.\//, '../../')),
      'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@out/*': [`${path.relative(path.dirname(outside), outside)}/../${path.basename(outside)}/*`] } } }),
      'src/alias.ts': CALLER('@out/helper'),
    });
    fs.symlinkSync(path.join(outside, 'secret.env'), path.join(d, 'src', 'leak.sql'));
    fs.symlinkSync(path.join(outside, 'helper.ts'), path.join(d, 'src', 'linked.ts'));
    for (const format of FORMATS) {
      const r = await lint(d, ['--format', format]);
      assert.ok(!r.out.includes(SECRET) && !r.out.includes('root:x'), `${format}: ${r.out}`);
      // GitLab Code Quality lists findings only; the other formats list problems too.
      if (format !== 'gitlab') assert.match(r.out, /symbolic link leads outside the project; not read/, format);
    }
    const report = JSON.parse((await lint(d, ['--format', 'json'])).out);
    assert.deepEqual(report.findings, [], 'no N+1 through a helper outside the project');
    assert.deepEqual(
      report.problems.filter((p: { kind: string }) => p.kind === 'skipped-file').map((p: { file: string }) => p.file).sort(),
      ['src/leak.sql', 'src/linked.ts'],
    );
  });

  it('--fix writes through a link inside the project to the real file and keeps the link; a link leading out is neither read nor written', async () => {
    const schema = 'CREATE TABLE users (id int primary key, name text);\n';
    const query = 'SELECT * FROM users;\n';
    // The real file sits in an ignored folder: linted once, through the link.
    const d = tempProject({ 'migrations/001.sql': schema, '.gitignore': 'vendor/\n', 'vendor/q.sql': query });
    fs.mkdirSync(path.join(d, 'queries'));
    fs.symlinkSync('../vendor/q.sql', path.join(d, 'queries', 'q.sql'));
    const r = await lint(d, ['--fix', '--format', 'json'], [starRule]);
    assert.equal(JSON.parse(r.out).summary.fixed, 1, r.out);
    assert.ok(fs.lstatSync(path.join(d, 'queries', 'q.sql')).isSymbolicLink(), 'the link is still a link');
    assert.equal(fs.readFileSync(path.join(d, 'vendor', 'q.sql'), 'utf8'), 'SELECT id, name FROM users;\n');

    const outside = tempProject({ 'q.sql': query });
    const e = tempProject({ 'migrations/001.sql': schema });
    fs.mkdirSync(path.join(e, 'queries'));
    fs.symlinkSync(path.join(outside, 'q.sql'), path.join(e, 'queries', 'q.sql'));
    const before = snapshot(outside);
    const r2 = await lint(e, ['--fix', '--format', 'json'], [starRule]);
    assert.equal(JSON.parse(r2.out).summary.fixed, 0);
    assert.deepEqual(snapshot(outside), before);
    assert.ok(fs.lstatSync(path.join(e, 'queries', 'q.sql')).isSymbolicLink());
  });

  it('numbers a new migration after every migration on disk, a skipped one included', async () => {
    const d = tempProject({
      'migrations/001_init.sql': 'CREATE TABLE orders (id int primary key, customer_id int);\n',
      'migrations/002_data.sql': `-- seed\n${'SELECT 1;\n'.repeat(230_000)}`,
      'queries/q.sql': 'SELECT id FROM orders WHERE customer_id = $1;\n',
    });
    const r = await lint(d, ['--fix', '--format', 'json']);
    const report = JSON.parse(r.out);
    assert.ok(report.problems.some((p: { file: string; kind: string }) => p.file === 'migrations/002_data.sql' && p.kind === 'skipped-file'), JSON.stringify(report.problems));
    assert.deepEqual(fs.readdirSync(path.join(d, 'migrations')).sort(), ['001_init.sql', '002_data.sql', '003_add_idx_orders_customer_id.sql']);
  });

  it('names indexes uniquely (ambiguous splits, long names, an existing name), one new index per table per run, and a last --fix writes nothing', async () => {
    const long = 'a_really_long_column_name_that_goes_on_and_on';
    const d = tempProject({
      'migrations/001_init.sql': [
        'CREATE TABLE acct (id int primary key, roles_kind int);',
        'CREATE TABLE acct_roles (id int primary key, kind int);',
        `CREATE TABLE wide (id int primary key, ${long}_one int, ${long}_two int);`,
        'CREATE TABLE taken (id int primary key, col int, other int);',
        'CREATE INDEX idx_taken_col ON taken (other);',
      ].join('\n'),
      'queries/q.sql': [
        'SELECT id FROM acct WHERE roles_kind = $1;',
        'SELECT id FROM acct_roles WHERE kind = $1;',
        `SELECT id FROM wide WHERE ${long}_one = $1;`,
        `SELECT id FROM wide WHERE ${long}_two = $1;`,
        'SELECT id FROM taken WHERE col = $1;',
      ].join('\n'),
    });
    const first = JSON.parse((await lint(d, ['--fix', '--format', 'json'])).out);
    // The second index of `wide` waits for the next run (one new index per table per run).
    assert.equal(first.findings.filter((f: { ruleId: string }) => f.ruleId === 'unindexed-predicate').length, 1, JSON.stringify(first.findings));
    assert.equal(fs.readdirSync(path.join(d, 'migrations')).length, 5);
    const again = JSON.parse((await lint(d, ['--fix', '--format', 'json'])).out);
    assert.equal(again.findings.filter((f: { ruleId: string }) => f.ruleId === 'unindexed-predicate').length, 0, JSON.stringify(again.findings));
    const created = fs.readdirSync(path.join(d, 'migrations')).filter((f) => !f.startsWith('001'));
    assert.equal(created.length, 5);
    const names = created.map((f) => /^CREATE INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?(\S+)/m.exec(fs.readFileSync(path.join(d, 'migrations', f), 'utf8'))![1]);
    assert.equal(new Set(names).size, 5, names.join(' '));
    for (const n of names) assert.ok(Buffer.byteLength(n) <= 63, n);
    assert.ok(!names.includes('idx_taken_col'), 'an existing index name is not reused');
    assert.ok(!names.includes('idx_acct_roles_kind'), 'the ambiguous name is tagged');
    const before = snapshot(d);
    const second = JSON.parse((await lint(d, ['--fix', '--format', 'json'])).out);
    assert.equal(second.summary.fixed, 0);
    assert.deepEqual(snapshot(d), before, 'the second run writes nothing');
  });
});
