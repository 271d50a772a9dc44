/**
 * The `querylens` command on small projects made in the temp directory:
 * formats, exit codes, flags, suppressions, the file walk, bad files. Cases
 * run in-process through `main(argv, io)` (the same function bin/querylens.js
 * calls); three smoke tests spawn the real command (bin/querylens.js over the
 * esbuild bundle): `--version`, a stylish lint through a pipe, and
 * `lsp --stdio`. `--fix` and the fix primitives run in-process with a test
 * rule, so they do not depend on which rules offer safe fixes.
 *
 * Findings come from the registered `over-fetching` rule (`SELECT *` in a .sql
 * file): the CLI never decides findings itself.
 */
import * as assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs, type LintOptions, UsageError } from '../cli/args';
import { FileFilter, commonDirectory, lazyReader, locateProject } from '../cli/files';
import { planFixPass } from '../cli/fix';
import { escapeData, escapeProperty } from '../cli/formats/github';
import { runLint } from '../cli/lint';
import { main } from '../cli/main';
import type { Rule } from '../cli/report';
import type { Finding } from '../engine';
import { defineRule } from '../rules/define-rule';
import { ensureBundles } from './bundles';
import { makeProject } from './temp-project';

const repo = path.join(__dirname, '..');
const bin = path.join(repo, 'bin', 'querylens.js');
const version = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).version as string;

const temps: string[] = [];
/** Makes a project from a map of relative path → content. */
function project(files: Record<string, string | Buffer>): string {
  return makeProject(files, temps, 'querylens-cli-');
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `querylens …` in this process, as bin/querylens.js runs it, with the output captured. */
async function ql(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    cwd,
    env,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

/** The real command in a child process (smoke tests: the bundle, the bin script, real pipes). */
function qlSpawn(cwd: string, args: string[]): Run {
  const env = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: 'utf8', timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(r: Run) {
  return JSON.parse(r.stdout) as {
    version: string;
    findings: { ruleId: string; severity: string; file: string; line: number; column: number; endLine: number; endColumn: number; range: { start: number; end: number }; message: string; fixes: unknown[]; related: unknown[]; estimate: unknown }[];
    problems: { kind: string; file: string; line?: number; message: string }[];
    summary: { files: number; errors: number; warnings: number; infos: number; problems: number; fixed: number };
  };
}

const STAR_SQL = 'SELECT * FROM users;\n';
const SCHEMA = 'CREATE TABLE users (id int PRIMARY KEY, name text, avatar bytea);\n';

before(function () {
  // The smoke tests run the bundle: rebuilt only when a source is newer (npm test has just built it).
  this.timeout(120000);
  ensureBundles();
});

after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

describe('querylens CLI: usage and exit code 2', () => {
  it('--help documents the commands, the project root and the exit codes', async () => {
    const r = await ql(os.tmpdir(), ['--help']);
    assert.equal(r.code, 0);
    for (const s of ['querylens lint', 'lsp --stdio', '--format', '--max-warnings', '--fix', 'Project root', 'Exit codes']) assert.ok(r.stdout.includes(s), s);
  });

  it('--version prints the package version (spawned: bin/querylens.js over the bundle)', () => {
    const r = qlSpawn(os.tmpdir(), ['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), version);
  });

  const dir = () => project({ 'q.sql': 'SELECT 1;\n' });
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['lint', '--frob'], /unknown option "--frob"/],
    [['lint', '--format', 'xml'], /--format: unknown format "xml"/],
    [['lint', '--format'], /--format needs a value/],
    [['lint', '--max-warnings', 'many'], /--max-warnings: expected a non-negative integer, got "many"/],
    [['lint', '--rule', 'no-such-rule=off'], /--rule no-such-rule: unknown rule id \(known: /],
    [['lint', '--rule', 'over-fetchin=off'], /--rule over-fetchin: unknown rule id \(did you mean "over-fetching"\?\)/],
    [['lint', '--rule', 'over-fetching=loud'], /--rule over-fetching: severity must be one of/],
    [['lint', 'missing/'], /missing\/: no such file or directory/],
    [['lint', '--config', 'absent.json'], /config absent\.json: file not found/],
    [['lsp'], /lsp: name a transport/],
    [['lint', '--output', 'q.sql/out.json'], /--output q\.sql\/out\.json: cannot write \(E[A-Z]+\)/],
  ];
  for (const [args, re] of cases) {
    it(`${args.join(' ')} → exit 2 naming the cause`, async () => {
      const r = await ql(dir(), args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.equal(r.stdout, '');
    });
  }

  it('a config with an unknown rule id → exit 2 naming file and key', async () => {
    const d = project({ 'querylens.config.json': JSON.stringify({ rules: { 'n-plus-on': 'error' } }), 'q.sql': 'SELECT 1;\n' });
    const r = await ql(d, ['lint']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^querylens: config querylens\.config\.json:1:11: rules\.n-plus-on: unknown rule id \(did you mean "n-plus-one"\?\)/);
  });

  it('a config with a mistyped value → exit 2 naming the key', async () => {
    const d = project({ 'querylens.config.json': JSON.stringify({ lintTests: 'yes' }), 'q.sql': 'SELECT 1;\n' });
    const r = await ql(d, ['lint']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /config querylens\.config\.json:1:14: lintTests: must be true or false/);
  });
});

describe('querylens CLI: findings and formats', () => {
  it('exit 0 on a clean project', async () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/q.sql': 'SELECT id, name FROM users;\n' });
    const r = await ql(d, ['lint']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✔ No findings in 2 files\.\n$/);
  });

  it('stylish: grouped by file, aligned rows, totals; exit 1 (spawned: a real pipe is not a terminal)', () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/q.sql': STAR_SQL });
    const r = qlSpawn(d, ['lint']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stdout.split('\n');
    const at = lines.indexOf('src/q.sql');
    assert.ok(at >= 0, r.stdout);
    assert.match(lines[at + 1], /^ {2}1:8 {2}warning {2}.+ {2}over-fetching$/);
    assert.match(r.stdout, /✖ 1 problem \(0 errors, 1 warning\)/);
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour when stdout is not a terminal');
  });

  it('json: the documented shape, paths relative to the working directory', async () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/q.sql': STAR_SQL, 'querylens.config.json': '{}' });
    const r = await ql(path.join(d, 'src'), ['lint', '--format', 'json']);
    assert.equal(r.code, 1, r.stderr);
    const out = json(r);
    assert.equal(out.version, version);
    assert.equal(out.findings.length, 1);
    const f = out.findings[0];
    assert.equal(f.ruleId, 'over-fetching');
    assert.equal(f.file, 'q.sql', 'relative to the cwd (src/), not the root');
    assert.deepEqual([f.line, f.column, f.endLine], [1, 8, 1]);
    assert.equal(f.range.start, 7);
    for (const k of ['severity', 'message', 'endColumn', 'related', 'estimate', 'fixes']) assert.ok(k in f, k);
    assert.deepEqual(Object.keys(out.summary).sort(), ['errors', 'files', 'fixed', 'infos', 'problems', 'suppressed', 'warnings']);
    assert.equal(out.summary.warnings, 1);
  });

  it('sarif: one result with a 1-based region', async () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/q.sql': STAR_SQL });
    const r = await ql(d, ['lint', '--format', 'sarif']);
    assert.equal(r.code, 1, r.stderr);
    const log = JSON.parse(r.stdout);
    const res = log.runs[0].results[0];
    assert.equal(res.ruleId, 'over-fetching');
    assert.equal(log.runs[0].tool.driver.rules[res.ruleIndex].id, 'over-fetching');
    assert.equal(res.locations[0].physicalLocation.artifactLocation.uri, 'src/q.sql');
    assert.equal(res.locations[0].physicalLocation.region.startLine, 1);
    assert.equal(res.locations[0].physicalLocation.region.startColumn, 8);
  });

  it('github: workflow commands with escaped properties', async () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/a,b.sql': STAR_SQL });
    const r = await ql(d, ['lint', '--format', 'github']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^::warning file=src\/a%2Cb\.sql,line=1,col=8,endLine=1,endColumn=9,title=querylens\(over-fetching\)::\S/m);
  });

  it('--rule over-fetching=off silences the rule → exit 0', async () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/q.sql': STAR_SQL });
    const r = await ql(d, ['lint', '--rule', 'over-fetching=off', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json(r).findings.length, 0);
  });

  it('--quiet shows errors only and warnings do not fail; an error still does', async () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/q.sql': STAR_SQL });
    const quiet = await ql(d, ['lint', '--quiet', '--format', 'json']);
    assert.equal(quiet.code, 0);
    assert.equal(json(quiet).findings.length, 0);
    const err = await ql(d, ['lint', '--quiet', '--rule', 'over-fetching=error', '--format', 'json']);
    assert.equal(err.code, 1);
    assert.equal(json(err).findings[0].severity, 'error');
  });

  it('--max-warnings: exceeded → 1, within → 0 (with failOn: error)', async () => {
    const d = project({ 'querylens.config.json': JSON.stringify({ failOn: 'error' }), 'migrations/001.sql': SCHEMA, 'src/q.sql': STAR_SQL });
    assert.equal((await ql(d, ['lint'])).code, 0, 'a warning does not reach failOn: error');
    assert.equal((await ql(d, ['lint', '--max-warnings', '0'])).code, 1);
    assert.equal((await ql(d, ['lint', '--max-warnings', '1'])).code, 0);
  });

  it('--output writes the report to a file and nothing to stdout', async () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/q.sql': STAR_SQL });
    const r = await ql(d, ['lint', '--format', 'json', '--output', 'reports/ql.json']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const out = JSON.parse(fs.readFileSync(path.join(d, 'reports', 'ql.json'), 'utf8'));
    assert.equal(out.findings[0].ruleId, 'over-fetching');
  });

  it('colour: FORCE_COLOR turns it on; --no-color and NO_COLOR turn it off', async () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/q.sql': STAR_SQL });
    assert.match((await ql(d, ['lint'], { FORCE_COLOR: '1' })).stdout, /\u001b\[33mwarning/);
    assert.doesNotMatch((await ql(d, ['lint', '--no-color'], { FORCE_COLOR: '1' })).stdout, /\u001b\[/);
    assert.doesNotMatch((await ql(d, ['lint'], { FORCE_COLOR: '1', NO_COLOR: '1' })).stdout, /\u001b\[/);
  });
});

describe('querylens CLI: suppressions', () => {
  const TS_QUERY = (prefix: string) =>
    [
      "import { Pool } from 'pg';",
      'const pool = new Pool();',
      'export async function names(): Promise<void> {',
      prefix,
      "  const { rows } = await pool.query('SELECT * FROM users');",
      '  for (const r of rows) console.log(r.name);',
      '}',
      '',
    ].join('\n');

  it('a TS query with SELECT * is flagged without a suppression (control)', async () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/users.ts': TS_QUERY('') });
    const r = await ql(d, ['lint', '--format', 'json']);
    assert.deepEqual(json(r).findings.map((f) => `${f.file}:${f.line}:${f.ruleId}`), ['src/users.ts:5:over-fetching']);
  });

  it('// querylens-disable-next-line over-fetching -- reason (TypeScript)', async () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/users.ts': TS_QUERY('  // querylens-disable-next-line over-fetching -- admin export needs every column') });
    const r = await ql(d, ['lint', '--format', 'json']);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(json(r).findings.length, 0);
  });

  it('-- querylens-disable-next-line over-fetching -- reason (SQL), other lines still flagged', async () => {
    const d = project({
      'migrations/001.sql': SCHEMA,
      'src/q.sql': '-- querylens-disable-next-line over-fetching -- reviewed\nSELECT * FROM users;\nSELECT * FROM users WHERE id = 1;\n',
    });
    const r = await ql(d, ['lint', '--format', 'json']);
    assert.deepEqual(json(r).findings.map((f) => f.line), [3]);
  });

  it('--report-unused-suppressions reports a suppression that suppresses nothing and fails the run', async () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/q.sql': '-- querylens-disable-next-line over-fetching -- stale\nSELECT id FROM users;\n' });
    assert.equal((await ql(d, ['lint'])).code, 0);
    const r = await ql(d, ['lint', '--report-unused-suppressions', '--format', 'json']);
    assert.equal(r.code, 1);
    const p = json(r).problems.find((x) => x.kind === 'unused-suppression');
    assert.ok(p, r.stdout);
    assert.equal(p.file, 'src/q.sql');
    assert.equal(p.line, 1);
  });
});

describe('querylens CLI: which files', () => {
  it('honours root and nested .gitignore files, config ignore globs; skips node_modules, build output, .d.ts and tests', async () => {
    const d = project({
      '.gitignore': 'generated/\n*.local.sql\n',
      'migrations/001.sql': SCHEMA,
      'src/keep.sql': STAR_SQL,
      'src/x.local.sql': STAR_SQL,
      'generated/g.sql': STAR_SQL,
      'src/nested/.gitignore': 'secret.sql\n!x.local.sql\n',
      'src/nested/secret.sql': STAR_SQL,
      'src/nested/x.local.sql': STAR_SQL,
      'vendor/v.sql': STAR_SQL,
      'querylens.config.json': JSON.stringify({ ignore: ['vendor/'] }),
      'node_modules/pkg/q.sql': STAR_SQL,
      'dist/q.sql': STAR_SQL,
      'build/q.sql': STAR_SQL,
      'coverage/q.sql': STAR_SQL,
      'src/types.d.ts': "declare const q: 'SELECT * FROM users';\n",
      'src/q.test.ts': "import { Pool } from 'pg';\nnew Pool().query('SELECT * FROM users');\n",
      'test/q.sql': STAR_SQL,
    });
    const r = await ql(d, ['lint', '--format', 'json']);
    const files = json(r).findings.map((f) => f.file).sort();
    assert.deepEqual(files, ['src/keep.sql', 'src/nested/x.local.sql'], r.stdout);
    // lintTests brings the test files back.
    fs.writeFileSync(path.join(d, 'querylens.config.json'), JSON.stringify({ ignore: ['vendor/'], lintTests: true }));
    const withTests = json(await ql(d, ['lint', '--format', 'json'])).findings.map((f) => f.file);
    assert.ok(withTests.includes('test/q.sql'), withTests.join());
  });

  it('FileFilter.walk lists exactly the candidates (independent of any rule)', () => {
    const d = project({
      '.gitignore': 'generated/\n*.local.sql\n',
      'a.sql': '',
      'src/b.ts': '',
      'src/x.local.sql': '',
      'src/nested/.gitignore': 'secret.sql\n!x.local.sql\n',
      'src/nested/secret.sql': '',
      'src/nested/x.local.sql': '',
      'generated/g.sql': '',
      'vendor/v.sql': '',
      'node_modules/p/i.ts': '',
      'out/o.js': '',
      '.next/n.js': '',
      'src/t.d.ts': '',
      'src/t.d.mts': '',
      'src/c.spec.ts': '',
      'src/__tests__/u.ts': '',
      'tests/w.ts': '',
    });
    const filter = new FileFilter(d, ['vendor/'], false);
    assert.deepEqual(filter.walk(''), ['.gitignore', 'a.sql', 'src/b.ts', 'src/nested/.gitignore', 'src/nested/x.local.sql']);
    assert.deepEqual(new FileFilter(d, [], true).walk('src').filter((f) => f.endsWith('.ts')), ['src/__tests__/u.ts', 'src/b.ts', 'src/c.spec.ts']);
  });

  it('collects schema sources from the whole root when linting a sub-path', async () => {
    // The migrations live outside the linted folder (and outside the cwd); the git root is the project root.
    const d = project({ '.git/HEAD': 'ref: refs/heads/main\n', 'db/migrations/001.sql': SCHEMA, 'src/api/q.sql': 'SELECT id FROM users;\n' });
    const seen: string[][] = [];
    const probe: Rule = defineRule({
      id: 'schema-probe',
      meta: { summary: 's', defaultSeverity: 'info', fix: 'never', languages: ['sql'], docs: { what: '', why: '', example: { language: 'sql', code: '' }, useInstead: { language: 'sql', code: '' }, fixSafety: '', estimate: '' } },
      check(ctx) {
        seen.push([ctx.file.path, ...ctx.schema.sources]);
      },
    });
    let out = '';
    const code = await runLint(parseArgs(['lint', 'api', '--format', 'json']) as LintOptions, { cwd: path.join(d, 'src'), env: {}, stdout: { write: (x: string) => (out += x) }, rules: [probe] });
    assert.equal(code, 0);
    assert.equal(JSON.parse(out).summary.files, 1);
    assert.deepEqual(seen, [['src/api/q.sql', 'db/migrations/001.sql']]);
  });

  it('reports unreadable, binary and non-UTF-8 files as problems and goes on', async () => {
    const d = project({
      'migrations/001.sql': SCHEMA,
      'src/q.sql': STAR_SQL,
      'src/blob.sql': Buffer.from([0x53, 0x45, 0x00, 0xff, 0x00]),
      'src/latin1.sql': Buffer.from('SELECT \xe9 FROM users;\n', 'latin1'),
      'src/huge.sql': 'SELECT 1;\n'.repeat(250_000),
    });
    fs.symlinkSync(path.join(d, 'nowhere.sql'), path.join(d, 'src', 'dangling.sql'));
    let unreadableByMode = false;
    if (process.getuid?.() !== 0) {
      fs.writeFileSync(path.join(d, 'src', 'locked.sql'), STAR_SQL);
      fs.chmodSync(path.join(d, 'src', 'locked.sql'), 0);
      unreadableByMode = true;
    }
    const runs: Record<string, Run> = {};
    for (const format of ['json', 'stylish', 'github', 'sarif']) {
      const r = (runs[format] = await ql(d, ['lint', '--format', format]));
      assert.equal(r.code, 1, `${format}: the finding in q.sql still fails the run\n${r.stderr}`);
      assert.match(r.stdout, /binary file/, format);
      assert.match(r.stdout, /not valid UTF-8/, format);
      assert.match(r.stdout, /cannot be read: no such file \(ENOENT\)/, format);
      assert.match(r.stdout, /larger than 2 MB/, format);
      if (unreadableByMode) assert.match(r.stdout, /permission denied/, format);
    }
    const out = json(runs.json);
    assert.deepEqual(out.findings.map((f) => f.file), ['src/q.sql']);
    const kinds = Object.fromEntries(out.problems.map((p) => [p.file, p.kind]));
    assert.equal(kinds['src/blob.sql'], 'skipped-file');
    assert.equal(kinds['src/latin1.sql'], 'skipped-file');
    assert.equal(kinds['src/dangling.sql'], 'unreadable-file');
    assert.equal(kinds['src/huge.sql'], 'skipped-file');
    assert.match(runs.github.stdout, /^::notice file=src\/blob\.sql,title=querylens%3A skipped-file::binary file/m);
  });

  it('reads imported helpers lazily when linting one file (n-plus-one through a helper in another file)', async () => {
    const d = project({
      'migrations/001.sql': SCHEMA,
      'src/users.ts': [
        "import { Pool } from 'pg';",
        'const pool = new Pool();',
        'export async function getUser(id: number) {',
        "  const { rows } = await pool.query('SELECT id, name FROM users WHERE id = $1', [id]);",
        '  return rows[0];',
        '}',
        '',
      ].join('\n'),
      'src/route.ts': [
        "import { getUser } from './users';",
        'export async function handler(ids: number[]) {',
        '  const out = [];',
        '  for (const id of ids) out.push(await getUser(id));',
        '  return out;',
        '}',
        '',
      ].join('\n'),
    });
    const out = json(await ql(d, ['lint', 'src/route.ts', '--format', 'json']));
    assert.equal(out.summary.files, 1, 'only route.ts is linted');
    assert.deepEqual(out.findings.map((f) => `${f.file}:${f.line}:${f.ruleId}`), ['src/route.ts:4:n-plus-one']);
    // The related location in the helper is located in users.ts, which was read on demand.
    assert.ok(JSON.stringify(out.findings[0].related).includes('"file":"src/users.ts","line":4'), JSON.stringify(out.findings[0].related));
  });

  it('locateProject: --config, then a config at or above the linted paths, then the git root, then the cwd', () => {
    const d = project({ 'repo/.git/HEAD': '', 'repo/app/querylens.config.json': '{}', 'repo/app/src/a.ts': '', 'repo/lib/b.ts': '', 'plain/c.ts': '' });
    const r = (p: string) => path.join(d, p);
    assert.deepEqual(locateProject(r('repo/app/src'), undefined, r('repo')), { root: r('repo/app'), configFile: r('repo/app/querylens.config.json') });
    assert.deepEqual(locateProject(r('repo/lib'), undefined, r('repo/lib')), { root: r('repo') });
    assert.deepEqual(locateProject(r('plain'), undefined, d), { root: d });
    assert.deepEqual(locateProject(r('plain'), undefined, r('repo')), { root: r('plain') }, 'paths outside the cwd: their own directory');
    assert.deepEqual(locateProject(r('plain'), 'app/querylens.config.json', r('repo')), { root: r('repo/app'), configFile: r('repo/app/querylens.config.json') });
    assert.equal(commonDirectory([r('repo/app/src/a.ts'), r('repo/lib')]), r('repo'));
  });

  it('locateProject outside git: the workspace root (workspaces, pnpm-workspace.yaml or lerna.json, with or without a root package.json), else the nearest package', () => {
    const d = project({
      'pnpm/pnpm-workspace.yaml': 'packages:\n  - app\n',
      'pnpm/app/package.json': '{"name":"app"}',
      'pnpm/app/src/a.ts': '',
      'lerna/lerna.json': '{}',
      'lerna/pkg/package.json': '{}',
      'npm/package.json': '{"workspaces":["web"]}',
      'npm/web/package.json': '{}',
      'single/package.json': '{}',
      'single/src/b.ts': '',
      'bare/c.ts': '',
    });
    const r = (p: string) => path.join(d, p);
    // OpenPipe keeps pnpm-workspace.yaml without a root package.json: linted from anywhere, the root is that folder, never the cwd.
    assert.deepEqual(locateProject(r('pnpm'), undefined, d), { root: r('pnpm') });
    assert.deepEqual(locateProject(r('pnpm/app/src'), undefined, d), { root: r('pnpm') });
    assert.deepEqual(locateProject(r('lerna/pkg'), undefined, d), { root: r('lerna') });
    assert.deepEqual(locateProject(r('npm/web'), undefined, d), { root: r('npm') });
    assert.deepEqual(locateProject(r('single/src'), undefined, d), { root: r('single') });
    assert.deepEqual(locateProject(r('bare'), undefined, d), { root: d }, 'no marker at all: the cwd');
  });

  it('ignored and test files are not schema sources, unless the config names them in schema.sources', async () => {
    const d = project({ 'db/migrations/001.sql': SCHEMA, 'test/fixtures/migrations/001.sql': 'CREATE TABLE t (id int);\n', 'src/q.sql': 'SELECT id FROM users;\n' });
    const sources = async (config: object) => {
      fs.writeFileSync(path.join(d, 'querylens.config.json'), JSON.stringify(config));
      let seen: string[] = [];
      const probe: Rule = defineRule({
        id: 'schema-probe',
        meta: { summary: 's', defaultSeverity: 'info', fix: 'never', languages: ['sql'], docs: { what: '', why: '', example: { language: 'sql', code: '' }, useInstead: { language: 'sql', code: '' }, fixSafety: '', estimate: '' } },
        check(ctx) {
          seen = [...ctx.schema.sources].sort();
        },
      });
      await runLint(parseArgs(['lint', 'src']) as LintOptions, { cwd: d, env: {}, stdout: { write: () => true }, rules: [probe] });
      return seen;
    };
    assert.deepEqual(await sources({}), ['db/migrations/001.sql']);
    assert.deepEqual(await sources({ ignore: ['db/'] }), []);
    assert.deepEqual(await sources({ ignore: ['db/'], schema: { sources: ['db/**/*.sql'] } }), ['db/migrations/001.sql']);
    assert.deepEqual(await sources({ schema: { sources: ['test/fixtures/**/*.sql'], discover: false } }), ['test/fixtures/migrations/001.sql']);
  });

  it('the lazy reader stays inside the root and out of node_modules, and caches', () => {
    // Workspace packages and `paths` aliases are resolved through package.json / tsconfig.json (documenso's `@documenso/prisma`).
    const d = project({
      'src/a.ts': 'export const a = 1;\n',
      'node_modules/p/index.ts': 'export {};\n',
      'src/bin.ts': Buffer.from([0, 1, 2]),
      'src/package.json': '{"name":"@x/db"}',
      'tsconfig.json': '{}',
      'buildtools/tsconfig-base.json': '{"compilerOptions":{}}',
      'src/data.json': '{}',
      'lib/deep/er/x.ts': 'export const x = 2;\n',
    });
    fs.writeFileSync(path.join(path.dirname(d), `${path.basename(d)}-outside.ts`), 'x');
    temps.push(path.join(path.dirname(d), `${path.basename(d)}-outside.ts`));
    const read = lazyReader(d);
    assert.equal(read('src/a.ts'), 'export const a = 1;\n');
    fs.writeFileSync(path.join(d, 'src', 'a.ts'), 'changed');
    assert.equal(read('src/a.ts'), 'export const a = 1;\n', 'cached');
    assert.equal(read('node_modules/p/index.ts'), undefined);
    assert.equal(read(`../${path.basename(d)}-outside.ts`), undefined);
    assert.equal(read('src/bin.ts'), undefined);
    assert.equal(read('src/missing.ts'), undefined);
    // Each folder is listed once (a path it does not list is no file: no realpath or stat for the probes).
    fs.writeFileSync(path.join(d, 'src', 'late.ts'), 'x');
    assert.equal(read('src/late.ts'), undefined);
    assert.equal(read('src/package.json'), '{"name":"@x/db"}');
    assert.equal(read('tsconfig.json'), '{}');
    // A config a tsconfig.json extends (grist-core's buildtools/tsconfig-base.json sets its baseUrl and paths).
    assert.equal(read('buildtools/tsconfig-base.json'), '{"compilerOptions":{}}');
    assert.equal(read('src/data.json'), undefined);
    // A folder its parent does not list, and any folder below it, hold no file (no listing asked of them).
    assert.equal(read('packages/db/package.json'), undefined);
    assert.equal(read('packages/db/src/index.ts'), undefined);
    assert.equal(read('src/a.ts/index.ts'), undefined);
    assert.equal(read('buildtools/tsconfig-base.json/x.ts'), undefined);
    assert.equal(read('lib/deep/er/x.ts'), 'export const x = 2;\n');
  });

  it('reports a migration that does not parse once, and schema problems of migrations outside the linted path', async () => {
    const d = project({ 'migrations/001.sql': 'CREATE TABLE users (id int PRIMARY KEY);\nCREATE TABLE oops (id int,, x);\n', 'src/q.sql': 'SELECT id FROM users;\n' });
    const all = json(await ql(d, ['lint', '--format', 'json'])).problems.filter((p) => p.file === 'migrations/001.sql');
    assert.deepEqual(all.map((p) => `${p.kind}:${p.line}`), ['unparseable-sql:2']);
    const sub = json(await ql(d, ['lint', 'src', '--format', 'json'])).problems;
    assert.deepEqual(sub.map((p) => `${p.kind}:${p.file}:${p.line}`), ['schema:migrations/001.sql:2']);
  });

  it('reports SQL that does not parse as a problem in every format', async () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/bad.sql': 'SELECT FROM WHERE (;\n' });
    const j = json(await ql(d, ['lint', '--format', 'json']));
    assert.equal(j.problems.find((p) => p.file === 'src/bad.sql')?.kind, 'unparseable-sql');
    assert.match((await ql(d, ['lint'])).stdout, /Problems[^\n]*\n {2}src\/bad\.sql:1:\d+ {2}unparseable-sql/);
    assert.match((await ql(d, ['lint', '--format', 'github'])).stdout, /^::notice file=src\/bad\.sql,line=1,col=\d+,title=querylens%3A unparseable-sql::/m);
  });
});

describe('querylens lsp --stdio', () => {
  it('hands over to the language server, which answers initialize', async function () {
    this.timeout(30000);
    const child = spawn(process.execPath, [bin, 'lsp', '--stdio'], { cwd: os.tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
      child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      const reply = await new Promise<string>((resolve, reject) => {
        let buf = '';
        let err = '';
        child.stdout.on('data', (c: Buffer) => {
          buf += c.toString('utf8');
          if (buf.includes('"capabilities"')) resolve(buf);
        });
        child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
        child.on('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
        setTimeout(() => reject(new Error(`no initialize reply: ${buf} ${err}`)), 20000);
      });
      assert.match(reply, /"id":1/);
    } finally {
      child.kill();
    }
  });
});

describe('--fix', () => {
  /** A test rule: flags `SELECT *` and offers a safe fix naming the columns, plus an edit creating a file. */
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
        ctx.report({
          message: 'star',
          range: { start: at, end: at + 1 },
          estimate: { currentMs: 5, fixedMs: 1, summary: '', assumptions: [] },
          fixes: [
            {
              title: 'name the columns',
              safety: 'safe',
              edits: [
                { file: ctx.file.path, range: { start: at, end: at + 1 }, newText: 'id, name' },
                // Creates a file (an edit on a path that does not exist), like a fix adding a migration.
                { file: `notes/${ctx.file.path.replace(/\W/g, '_')}-${at}.txt`, range: { start: 0, end: 0 }, newText: 'fixed\n' },
              ],
            },
            { title: 'suggestion only', safety: 'suggestion', edits: [{ file: ctx.file.path, range: { start: 0, end: 0 }, newText: '-- x\n' }] },
          ],
        });
      }
    },
  });
  /** A rule whose safe fix overlaps the star rule's: the two must not land in one pass. */
  const wholeStatementRule: Rule = defineRule({
    ...starRule,
    id: 'statement',
    check(ctx) {
      const m = /SELECT \* FROM users;/.exec(ctx.file.text);
      if (m)
        ctx.report({
          message: 'statement',
          range: { start: m.index, end: m.index + m[0].length },
          estimate: { currentMs: 5, fixedMs: 1, summary: '', assumptions: [] },
          fixes: [{ title: 'rewrite statement', safety: 'safe', edits: [{ file: ctx.file.path, range: { start: m.index, end: m.index + m[0].length }, newText: 'SELECT id FROM users LIMIT 1;' }] }],
        });
    },
  });

  async function lintIn(dir: string, args: string[], rules: Rule[]) {
    let out = '';
    const code = await runLint(parseArgs(['lint', ...args]) as LintOptions, { cwd: dir, env: {}, stdout: { write: (s: string) => (out += s) }, rules });
    return { code, out };
  }

  it('applies safe fixes, creates files for edits on new paths, writes atomically, and reports what it fixed', async () => {
    const d = project({ 'src/q.sql': '\uFEFFSELECT * FROM users;\nSELECT * FROM orders;\n' });
    const { code, out } = await lintIn(d, ['--fix', '--format', 'json'], [starRule]);
    assert.equal(code, 0, out);
    const text = fs.readFileSync(path.join(d, 'src', 'q.sql'), 'utf8');
    assert.equal(text, '\uFEFFSELECT id, name FROM users;\nSELECT id, name FROM orders;\n', 'both fixed, BOM kept, suggestion not applied');
    const report = JSON.parse(out);
    assert.equal(report.findings.length, 0);
    assert.equal(report.summary.fixed, 2);
    assert.deepEqual(report.fixed.map((f: { line: number }) => f.line), [1, 2]);
    // One new file per folder per pass (numbered names stay in sequence): the second was created in
    // the next pass, after the first fix had moved the second statement to offset 35.
    assert.deepEqual(fs.readdirSync(path.join(d, 'notes')).sort(), ['src_q_sql-35.txt', 'src_q_sql-7.txt']);
    assert.deepEqual(fs.readdirSync(path.join(d, 'src')), ['q.sql'], 'no temporary file left behind');
  });

  it('re-lints until no safe fix is left: eight new files in one folder, one per pass, all in one run', async () => {
    // Round 11's pezzo needed three runs of --fix for its 12 Prisma migrations (one new migration per folder per pass, five passes).
    const tables = ['users', 'orders', 'items', 'carts', 'teams', 'plans', 'tags', 'notes_t'];
    const d = project({ 'src/q.sql': tables.map((t) => `SELECT * FROM ${t};\n`).join('') });
    const { code, out } = await lintIn(d, ['--fix', '--format', 'json'], [starRule]);
    assert.equal(code, 0, out);
    const report = JSON.parse(out);
    assert.equal(report.summary.fixed, 8);
    assert.equal(report.findings.length, 0);
    assert.equal(fs.readdirSync(path.join(d, 'notes')).length, 8);
  });

  it('never applies overlapping fixes in one pass; the re-lint picks up what is left', async () => {
    const d = project({ 'src/q.sql': 'SELECT * FROM users;\n' });
    const { code, out } = await lintIn(d, ['--fix'], [starRule, wholeStatementRule]);
    const text = fs.readFileSync(path.join(d, 'src', 'q.sql'), 'utf8');
    // Pass 1 applies the statement fix (first finding by position); the star fix overlaps it and is
    // held back. Pass 2: the star rule no longer matches the rewritten text. Applying both would
    // have thrown or produced a mangled statement.
    assert.equal(text, 'SELECT id FROM users LIMIT 1;\n');
    assert.equal(code, 0, out);
    assert.match(out, /Fixed 1 problem in 1 file/);
  });

  it('without --fix, nothing is written and fixable findings are counted', async () => {
    const d = project({ 'src/q.sql': 'SELECT * FROM users;\n' });
    const { code, out } = await lintIn(d, [], [starRule]);
    assert.equal(code, 1);
    assert.equal(fs.readFileSync(path.join(d, 'src', 'q.sql'), 'utf8'), 'SELECT * FROM users;\n');
    assert.match(out, /1 finding potentially fixable with the --fix option/);
    assert.ok(!fs.existsSync(path.join(d, 'notes')));
  });

  describe('planFixPass', () => {
    const finding = (start: number, end: number, safety: 'safe' | 'suggestion' = 'safe', file = 'a.sql'): Finding => ({
      ruleId: 'r',
      severity: 'warning',
      message: 'm',
      file,
      range: { start, end },
      related: [],
      fixes: [{ title: `fix ${start}`, safety, edits: [{ file, range: { start, end }, newText: 'x' }] }],
    });

    it('takes safe, non-overlapping, in-range fixes whole, creates new files, never touches forbidden ones', () => {
      const text = 'abcdefghijklmnopqrst';
      const textOf = (f: string) => (f === 'a.sql' ? text : f === 'outside.sql' ? null : undefined);
      const plan = planFixPass(
        [finding(0, 5), finding(3, 8), finding(8, 9), finding(10, 12, 'suggestion'), finding(15, 30), finding(0, 0, 'safe', 'outside.sql'), finding(0, 0, 'safe', 'new.sql')],
        textOf,
      );
      assert.deepEqual(plan.applied.map((c) => `${c.finding.file}:${c.fix.title}`), ['a.sql:fix 0', 'a.sql:fix 8', 'new.sql:fix 0']);
      assert.deepEqual([...plan.files].sort(), [['a.sql', 'xfghxjklmnopqrst'], ['new.sql', 'x']]);
    });

    it('one index per table per run: the index that serves the most of the table\'s findings wins, not the first in file order', () => {
      const claims = [{ key: 'index:public.links', per: 'run' as const }];
      const index = (start: number, column: string, currentMs: number): Finding => ({
        ...finding(start, start + 1),
        estimate: { currentMs, fixedMs: 1, assumptions: [], summary: '' },
        fixes: [{ title: `index on ${column}`, safety: 'safe', claims, edits: [{ file: `m/${column}.sql`, range: { start: 0, end: 0 }, newText: `CREATE INDEX ON links (${column});` }] }],
      });
      // One finding needs (title) at 50 ms; two need (owner_id) at 30 ms each: owner_id saves more.
      const textOf = (f: string) => (f === 'a.sql' ? 'abcdefgh' : undefined);
      const plan = planFixPass([index(0, 'title', 50), finding(5, 6), index(2, 'owner_id', 30), index(3, 'owner_id', 30)], textOf);
      assert.deepEqual(plan.applied.map((c) => c.fix.title), ['index on owner_id', 'fix 5']);
      assert.deepEqual([...plan.files.keys()].sort(), ['a.sql', 'm/owner_id.sql']);
      // The same findings with the costly one heavier: title wins.
      const plan2 = planFixPass([index(0, 'title', 90), index(2, 'owner_id', 30), index(3, 'owner_id', 30)], textOf);
      assert.deepEqual(plan2.applied.map((c) => c.fix.title), ['index on title']);
    });

    it('a fix spanning two files lands in both or in neither', () => {
      const two: Finding = { ...finding(0, 1), fixes: [{ title: 'two', safety: 'safe', edits: [{ file: 'a.sql', range: { start: 0, end: 1 }, newText: 'A' }, { file: 'b.sql', range: { start: 2, end: 3 }, newText: 'B' }] }] };
      const blocker = finding(2, 3, 'safe', 'b.sql');
      const plan = planFixPass([blocker, two], () => 'abcdef');
      assert.deepEqual(plan.applied.map((c) => c.fix.title), ['fix 2']);
      assert.deepEqual([...plan.files.keys()], ['b.sql']);
    });
  });
});

describe('argument and escaping details', () => {
  it('parses --flag=value, repeated --rule, -- and defaults to .', () => {
    const o = parseArgs(['lint', '--format=json', '--rule', 'a=off', '--rule=b=error', '--max-warnings=3', '--', '--weird-dir']) as LintOptions;
    assert.equal(o.format, 'json');
    assert.deepEqual(o.rules, [{ id: 'a', severity: 'off' }, { id: 'b', severity: 'error' }]);
    assert.equal(o.maxWarnings, 3);
    assert.deepEqual(o.paths, ['--weird-dir']);
    assert.deepEqual((parseArgs(['lint']) as LintOptions).paths, ['.']);
    assert.throws(() => parseArgs(['lint', '--quiet=yes']), UsageError);
  });

  it('parses --report FORMAT=FILE (repeatable), --changed-since, the baseline flags, and names bad ones', () => {
    const o = parseArgs(['lint', '--format', 'gitlab', '--report', 'sarif=out/q.sarif', '--report=json=q.json', '--changed-since', 'origin/main', '--suppress-rule', 'n-plus-one']) as LintOptions;
    assert.equal(o.format, 'gitlab');
    assert.deepEqual(o.reports, [{ format: 'sarif', file: 'out/q.sarif' }, { format: 'json', file: 'q.json' }]);
    assert.equal(o.changedSince, 'origin/main');
    assert.deepEqual(o.suppressRules, ['n-plus-one']);
    const bad: [string[], RegExp][] = [
      [['lint', '--report', 'xml=a.xml'], /--report: unknown format "xml"/],
      [['lint', '--report', 'sarif'], /--report "sarif": expected FORMAT=FILE/],
      [['lint', '--changed-since', '--fix'], /--changed-since needs a git revision/],
      [['lint', '--suppress-all', '--suppress-rule', 'x'], /give one or the other/],
      [['lint', '--prune-suppressions', '--suppress-all'], /cannot be combined/],
      [['lnt'], /unknown command "lnt" \(expected lint/],
    ];
    for (const [args, re] of bad) assert.throws(() => parseArgs(args), (e: unknown) => e instanceof UsageError && re.test((e as Error).message), args.join(' '));
  });

  it('escapes GitHub workflow command data and properties as the Actions toolkit does', () => {
    assert.equal(escapeData('50% of\r\nrows: a, b'), '50%25 of%0D%0Arows: a, b');
    assert.equal(escapeProperty('a:b,c%\n'), 'a%3Ab%2Cc%25%0A');
  });
});
