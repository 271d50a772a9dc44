/**
 * The `querylens` command on projects made in the temp directory, for what depends on where
 * the schema comes from: `querylens schema`, monorepos (a service never sees a sibling's schema,
 * `--fix` writes only inside the owning package), the missing-schema problem, and the project root
 * outside git. Runs in-process through `main(argv, io)`, the function bin/querylens.js calls (the
 * spawned smoke tests are in cli.test.ts); `--concurrency 2` threads run the worker bundle
 * (dist/lint-worker.js, rebuilt when a source is newer), as the CLI does.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../cli/main';
import { ensureBundles } from './bundles';
import { makeProject } from './temp-project';

const repo = path.join(__dirname, '..');
const temps: string[] = [];

function project(files: Record<string, string>, parent = os.tmpdir()): string {
  return makeProject(files, temps, 'querylens-schema-', parent);
}

/** `querylens …` in this process, as bin/querylens.js runs it, with the output captured. */
async function ql(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    cwd,
    env: {},
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    workerScript: path.join(repo, 'dist', 'lint-worker.js'),
  });
  return { code, stdout, stderr };
}

interface LintJson {
  findings: { ruleId: string; file: string; message: string }[];
  problems: { kind: string; file: string; message: string }[];
}

const QUERY = (table: string) => `import { Pool } from 'pg';
const pool = new Pool();
export async function byEmail(email: string) {
  return pool.query('SELECT id FROM ${table} WHERE email = $1', [email]);
}
`;

/** Two services owning a `users` table each (one indexed on email), a package without schema that depends on a db package, a tool package with queries and no schema. */
const MONOREPO = {
  'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['services/*', 'packages/*', 'tools'] }),
  'services/auth/package.json': JSON.stringify({ name: 'auth' }),
  'services/auth/migrations/001_init.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\n',
  'services/auth/src/users.ts': QUERY('users'),
  'services/billing/package.json': JSON.stringify({ name: 'billing' }),
  'services/billing/migrations/001_init.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\nCREATE INDEX users_email ON users (email);\n',
  'services/billing/src/users.ts': QUERY('users'),
  'packages/db/package.json': JSON.stringify({ name: '@mono/db' }),
  'packages/db/src/schema.ts': "import { pgTable, integer, text } from 'drizzle-orm/pg-core';\nexport const accounts = pgTable('accounts', { id: integer('id').primaryKey(), email: text('email') });\n",
  'packages/web/package.json': JSON.stringify({ name: 'web', dependencies: { '@mono/db': 'workspace:*' } }),
  'packages/web/src/accounts.ts': QUERY('accounts'),
  'tools/package.json': JSON.stringify({ name: 'tools' }),
  'tools/report.ts': QUERY('users'),
};

before(function () {
  // The worker bundle the --concurrency case runs: rebuilt only when a source is newer (npm test has just built it).
  this.timeout(120000);
  ensureBundles();
});

after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

describe('querylens schema', () => {
  it('prints tables, columns, indexes and foreign keys with where each was defined, and the sources in order (stylish)', async () => {
    const dir = project({
      'package.json': '{ "name": "app" }',
      'db/migrations/001_init.sql': 'CREATE TABLE teams (id int PRIMARY KEY);\nCREATE TABLE users (id int PRIMARY KEY, team_id int REFERENCES teams (id), email text);\n',
      'db/migrations/002_email.sql': 'CREATE UNIQUE INDEX users_email ON users (email);\n',
      'src/schema.ts': "import { pgTable, integer, text, index } from 'drizzle-orm/pg-core';\nexport const events = pgTable('events', { id: integer('id').primaryKey(), kind: text('kind') }, (t) => [index('events_kind_idx').on(t.kind)]);\n",
    });
    const r = await ql(dir, ['schema']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Schema of \.: 3 tables, 5 indexes, 1 foreign keys$/m);
    const sources = r.stdout.indexOf('Sources, in the order applied (3):');
    assert.ok(sources >= 0, r.stdout);
    assert.ok(r.stdout.indexOf('1. db/migrations/001_init.sql') < r.stdout.indexOf('2. db/migrations/002_email.sql'));
    assert.ok(r.stdout.indexOf('2. db/migrations/002_email.sql') < r.stdout.indexOf('3. src/schema.ts'));
    assert.match(r.stdout, /index users_email UNIQUE \(email\) {2}db\/migrations\/002_email\.sql:1/);
    assert.match(r.stdout, /index events_kind_idx INDEX \(kind\) {2}src\/schema\.ts:2/);
    assert.match(r.stdout, /foreign key users_team_id_fkey \(team_id\) → public\.teams \(id\) {2}db\/migrations\/001_init\.sql:2/);
  });

  it('--format json gives the same model as data', async () => {
    const dir = project({ 'migrations/1.sql': 'CREATE TABLE t (id int PRIMARY KEY, a int);\nCREATE INDEX t_a ON t (a) WHERE a > 0;\n' });
    const r = await ql(dir, ['schema', '.', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const data = JSON.parse(r.stdout);
    assert.deepEqual(data.counts, { tables: 1, indexes: 2, foreignKeys: 0 });
    assert.deepEqual(data.sources, ['migrations/1.sql']);
    const t = data.tables[0];
    assert.equal(t.name, 't');
    assert.deepEqual(
      t.indexes.map((i: { name: string; kind: string; predicate?: string; definedAt: { line: number } }) => [i.name, i.kind, i.predicate ?? null, i.definedAt.line]),
      [
        ['t_pkey', 'primary', null, 1],
        ['t_a', 'index', '(a > 0)', 2],
      ],
    );
  });

  it('in a monorepo, shows the schema of the package that owns the path', async () => {
    const dir = project(MONOREPO);
    const auth = JSON.parse((await ql(dir, ['schema', 'services/auth', '--format', 'json'])).stdout);
    assert.deepEqual(auth.packages, ['services/auth']);
    assert.deepEqual(auth.tables[0].indexes.map((i: { name: string }) => i.name), ['users_pkey']);
    const web = JSON.parse((await ql(dir, ['schema', 'packages/web/src/accounts.ts', '--format', 'json'])).stdout);
    assert.deepEqual(web.packages, ['packages/db']);
    assert.deepEqual(web.tables.map((t: { name: string }) => t.name), ['accounts']);
  });

  it('names the path and exits 2 for a path that does not exist, and for a bad format', async () => {
    const dir = project({ 'a.sql': 'SELECT 1;\n' });
    const r = await ql(dir, ['schema', 'nope']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nope: no such file or directory/);
    const f = await ql(dir, ['schema', '--format', 'xml']);
    assert.equal(f.code, 2);
    assert.match(f.stderr, /unknown format "xml" for schema/);
  });
});

describe('querylens lint in a monorepo', () => {
  it('each service is linted against its own schema; a package without one uses the schema of the package it depends on', async () => {
    const dir = project(MONOREPO);
    const r = await ql(dir, ['lint', '--format', 'json']);
    const out = JSON.parse(r.stdout) as LintJson;
    const unindexed = out.findings.filter((f) => f.ruleId === 'unindexed-predicate').map((f) => f.file).sort();
    // billing has the index, auth does not: auth's finding stays although a sibling indexes users.email.
    assert.deepEqual(unindexed, ['packages/web/src/accounts.ts', 'services/auth/src/users.ts']);
    // Worker threads and the cache (cold, then warm) see the same schemas, package by package.
    assert.equal((await ql(dir, ['lint', '--format', 'json', '--concurrency', '2'])).stdout, r.stdout);
    assert.equal((await ql(dir, ['lint', '--format', 'json', '--cache'])).stdout, r.stdout);
    assert.equal((await ql(dir, ['lint', '--format', 'json', '--cache'])).stdout, r.stdout);
  });

  it('tsconfig.json paths into a workspace package link it like a dependency, also beside schema sources of its own (comments and trailing commas allowed); paths inside the package do not', async () => {
    const dir = project({
      ...MONOREPO,
      'packages/app/package.json': JSON.stringify({ name: 'app' }),
      'packages/app/tsconfig.json': '{\n  // the db package through an alias, not a dependency\n  "compilerOptions": { "baseUrl": ".", "paths": { "@mono/db": ["../db/src"], "@mono/db/*": ["../db/src/*"], }, },\n}\n',
      'packages/app/src/accounts.ts': QUERY('accounts'),
      // A schema source of its own that names the other package's schema (sim's apps/sim): the linked schema joins it.
      'packages/app/drizzle.config.ts': "export default { schema: '../db/src/schema.ts', dialect: 'postgresql' };\n",
      'packages/site/package.json': JSON.stringify({ name: 'site' }),
      'packages/site/tsconfig.json': JSON.stringify({ compilerOptions: { paths: { '@/*': ['./src/*'] } } }),
      'packages/site/src/accounts.ts': QUERY('accounts'),
    });
    const r = await ql(dir, ['lint', '--format', 'json']);
    const out = JSON.parse(r.stdout) as LintJson;
    const unindexed = out.findings.filter((f) => f.ruleId === 'unindexed-predicate').map((f) => f.file).sort();
    assert.deepEqual(unindexed, ['packages/app/src/accounts.ts', 'packages/web/src/accounts.ts', 'services/auth/src/users.ts']);
    const missing = out.problems.filter((p) => p.kind === 'schema' && /no database schema found/.test(p.message)).map((p) => p.file);
    assert.ok(missing.some((f) => f.startsWith('packages/site/')), JSON.stringify(out.problems));
    assert.ok(!missing.some((f) => f.startsWith('packages/app/')), JSON.stringify(out.problems));
    assert.equal((await ql(dir, ['lint', '--format', 'json', '--cache'])).stdout, r.stdout);
    assert.equal((await ql(dir, ['lint', '--format', 'json', '--cache'])).stdout, r.stdout);
  });

  it('--fix writes the index migration into the owning package only', async () => {
    const dir = project(MONOREPO);
    await ql(dir, ['lint', 'services/auth', '--fix']);
    assert.ok(fs.existsSync(path.join(dir, 'services/auth/migrations/002_add_idx_users_email.sql')));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'services/billing/migrations')), ['001_init.sql']);
    assert.ok(!fs.existsSync(path.join(dir, 'migrations')));
  });

  it('code that runs queries with no schema to read gets one problem per package naming the silent rules', async () => {
    const dir = project(MONOREPO);
    const out = JSON.parse((await ql(dir, ['lint', '--format', 'json'])).stdout) as LintJson;
    const missing = out.problems.filter((p) => p.kind === 'schema' && p.message.startsWith('no database schema found'));
    assert.deepEqual(missing.map((p) => p.file), ['tools/report.ts']);
    assert.match(missing[0].message, /unindexed-predicate stays silent/);
    assert.match(missing[0].message, /"schema": \{ "sources"/);
    // The same project with a schema source for the tool: no such problem.
    const ok = project({ ...MONOREPO, 'tools/migrations/001.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text);\n' });
    const out2 = JSON.parse((await ql(ok, ['lint', '--format', 'json'])).stdout) as LintJson;
    assert.ok(!out2.problems.some((p) => p.message.startsWith('no database schema found')));
  });

  it('outside git, linting one project among siblings reads no sibling schema', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-siblings-'));
    temps.push(parent);
    for (const [name, index] of [
      ['one', ''],
      ['two', 'CREATE INDEX users_email ON users (email);\n'],
    ]) {
      const files: Record<string, string> = {
        'package.json': JSON.stringify({ name }),
        'migrations/001.sql': `CREATE TABLE users (id int PRIMARY KEY, email text);\n${index}`,
        'src/q.ts': QUERY('users'),
      };
      for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(parent, name, rel)), { recursive: true });
        fs.writeFileSync(path.join(parent, name, rel), text);
      }
    }
    const out = JSON.parse((await ql(parent, ['lint', 'one', '--format', 'json'])).stdout) as LintJson;
    assert.deepEqual(out.findings.filter((f) => f.ruleId === 'unindexed-predicate').map((f) => f.file), ['one/src/q.ts']);
    const schema = JSON.parse((await ql(parent, ['schema', 'one', '--format', 'json'])).stdout);
    assert.deepEqual(schema.sources, ['one/migrations/001.sql']);
  });
});
