/**
 * `querylens lint --cache` (cli/cache.ts): a warm run gives the cold run's
 * report and analyses nothing; a change to a helper re-analyses exactly the
 * files whose analysis read it; configuration and schema changes drop the
 * cache; a damaged or foreign cache file is ignored (and a file that is not a
 * querylens cache never overwritten); inputs outside the project are never
 * read. In-process through `main(argv, io)`.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PassInfo } from '../cli/lint';
import { main } from '../cli/main';

const temps: string[] = [];
function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-cache-'));
  temps.push(dir);
  for (const [rel, text] of Object.entries(files)) write(dir, rel, text);
  return dir;
}
function write(dir: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
}
after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

interface Lint {
  code: number;
  out: string;
  err: string;
  pass: PassInfo;
}

async function lint(cwd: string, args: string[] = [], env: Record<string, string> = {}): Promise<Lint> {
  let out = '';
  let err = '';
  const passes: PassInfo[] = [];
  const code = await main(['lint', '--format', 'json', '--concurrency', '1', ...args], {
    cwd,
    env,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    onPass: (p) => passes.push(p),
  });
  return { code, out, err, pass: passes[0] };
}

const findings = (r: Lint) => (JSON.parse(r.out) as { findings: { file: string; line: number; ruleId: string }[] }).findings.map((f) => `${f.file}:${f.line}:${f.ruleId}`);

const SCHEMA = 'CREATE TABLE users (id int PRIMARY KEY, name text, org_id int);\nCREATE TABLE orgs (id int PRIMARY KEY, name text, settings jsonb, logo bytea);\n';
const HELPER_QUERIES = [
  "import { Pool } from 'pg';",
  'const pool = new Pool();',
  'export async function getUser(id: number) {',
  "  const { rows } = await pool.query('SELECT id, name FROM users WHERE id = $1', [id]);",
  '  return rows[0];',
  '}',
  '',
].join('\n');
const HELPER_CONSTANT = ['export async function getUser(id: number) {', '  return { id, name: String(id) };', '}', ''].join('\n');
/** getUser no longer queries; the same query moved to another helper (the project's query set, and so its usage facts, unchanged). */
const HELPER_MOVED = [
  "import { Pool } from 'pg';",
  'const pool = new Pool();',
  'export async function getUser(id: number) {',
  '  return { id, name: String(id) };',
  '}',
  'export async function loadUser(id: number) {',
  "  const { rows } = await pool.query('SELECT id, name FROM users WHERE id = $1', [id]);",
  '  return rows[0];',
  '}',
  '',
].join('\n');
const ROUTE = [
  "import { getUser } from './users';",
  'export async function handler(ids: number[]) {',
  '  const out = [];',
  '  for (const id of ids) out.push(await getUser(id));',
  '  return out;',
  '}',
  '',
].join('\n');
const OTHER = [
  "import { Pool } from 'pg';",
  'const pool = new Pool();',
  'export async function orgs() {',
  "  const { rows } = await pool.query('SELECT * FROM orgs');",
  '  return rows.map((r) => r.name);',
  '}',
  '',
].join('\n');

function app(): string {
  return project({ 'migrations/001.sql': SCHEMA, 'src/users.ts': HELPER_QUERIES, 'src/route.ts': ROUTE, 'src/orgs.ts': OTHER });
}

describe('--cache', () => {
  it('a warm run analyses nothing and reports what the cold run reported', async () => {
    const d = app();
    const cold = await lint(d, ['--cache']);
    assert.equal(cold.pass.fromCache, 0);
    assert.deepEqual(findings(cold), ['src/orgs.ts:4:over-fetching', 'src/route.ts:4:n-plus-one']);
    assert.ok(fs.readdirSync(path.join(d, 'node_modules', '.cache', 'querylens')).some((f) => /^lint-[0-9a-f]{12}\.json$/.test(f)), 'default location');
    const warm = await lint(d, ['--cache']);
    assert.equal(warm.pass.fromCache, warm.pass.files);
    assert.equal(warm.out, cold.out);
    assert.equal(warm.code, cold.code);
    // And what a run without the cache reports.
    assert.equal((await lint(d)).out, cold.out);
  });

  it('a change to a helper in another file re-analyses the files that use it, and only those', async () => {
    const d = app();
    await lint(d, ['--cache']);
    write(d, 'src/users.ts', HELPER_MOVED);
    const after = await lint(d, ['--cache']);
    // users.ts itself and route.ts (its loop calls getUser) are analysed again; orgs.ts and the migration come from the cache.
    assert.equal(after.pass.fromCache, after.pass.files - 2);
    assert.deepEqual(findings(after), ['src/orgs.ts:4:over-fetching'], 'the N+1 went with the query in the helper');
    assert.equal(after.out, (await lint(d)).out, 'same as a run without the cache');
    // And back: the helper queries again, the N+1 is back.
    write(d, 'src/users.ts', HELPER_QUERIES);
    const back = await lint(d, ['--cache']);
    assert.equal(back.pass.fromCache, back.pass.files - 2);
    assert.deepEqual(findings(back), ['src/orgs.ts:4:over-fetching', 'src/route.ts:4:n-plus-one']);
  });

  for (const [how, env] of [
    ['', {}],
    [' (prefilter off)', { QUERYLENS_PREFILTER: '0' }],
  ] as const) {
    it(`a new call of a function in another file re-analyses the function whose loop its callers bounded${how}`, async () => {
      // The loop runs over a parameter every call of the function writes out (engine/sources/callers.ts): a fixed
      // list, not data. Which calls there are depends on every project file, not only on the files it imports.
      const COUNTS = [
        "import { Pool } from 'pg';",
        'const pool = new Pool();',
        'export async function usersFound(ids: number[]) {',
        '  const out = [];',
        "  for (const id of ids) out.push(await pool.query('SELECT name FROM users WHERE id = $1', [id]));",
        '  return out;',
        '}',
        '',
      ].join('\n');
      const JOB = ["import { usersFound } from './counts';", 'export const nightly = () => usersFound([1, 2]);', ''].join('\n');
      const d = project({ 'migrations/001.sql': SCHEMA, 'src/counts.ts': COUNTS, 'src/job.ts': JOB, 'src/orgs.ts': OTHER });
      const cold = await lint(d, ['--cache'], env);
      assert.deepEqual(findings(cold), ['src/orgs.ts:4:over-fetching']);
      // A file that named no such function before now calls it with data.
      write(d, 'src/orgs.ts', `${OTHER}export const handler = (ids: number[]) => usersFound(ids);\nimport { usersFound } from './counts';\n`);
      const after = await lint(d, ['--cache'], env);
      assert.deepEqual(findings(after), ['src/counts.ts:5:n-plus-one', 'src/orgs.ts:4:over-fetching']);
      assert.equal(after.out, (await lint(d, [], env)).out, 'same as a run without the cache');
    });
  }

  it('a file appearing where an import looked for one re-analyses the importer', async () => {
    const d = project({ 'migrations/001.sql': SCHEMA, 'src/users/index.ts': HELPER_CONSTANT, 'src/route.ts': ROUTE, 'src/orgs.ts': OTHER });
    const cold = await lint(d, ['--cache']);
    assert.deepEqual(findings(cold), ['src/orgs.ts:4:over-fetching']);
    // `./users` now resolves to src/users.ts (probed before users/index.ts), which queries.
    write(d, 'src/users.ts', HELPER_QUERIES);
    const after = await lint(d, ['--cache']);
    assert.deepEqual(findings(after), ['src/orgs.ts:4:over-fetching', 'src/route.ts:4:n-plus-one']);
    assert.equal(after.out, (await lint(d)).out);
  });

  it('a package.json script that makes a file one-off: the warm run reports what a run without the cache does', async () => {
    const d = app();
    await lint(d, ['--cache']);
    // orgs.ts is now run only by a hand-run script: one-off code, its SELECT * no longer priced per request.
    write(d, 'package.json', JSON.stringify({ scripts: { 'report:orgs': 'tsx src/orgs.ts' } }));
    const after = await lint(d, ['--cache']);
    assert.deepEqual(findings(after), ['src/route.ts:4:n-plus-one']);
    assert.equal(after.out, (await lint(d)).out);
  });

  it('configuration, rule overrides and schema changes drop the whole cache', async () => {
    const d = app();
    await lint(d, ['--cache']);
    const ruleOff = await lint(d, ['--cache', '--rule', 'over-fetching=off']);
    assert.equal(ruleOff.pass.fromCache, 0);
    assert.deepEqual(findings(ruleOff), ['src/route.ts:4:n-plus-one']);
    write(d, 'querylens.config.json', JSON.stringify({ tables: { orgs: { rows: 5 } } }));
    assert.equal((await lint(d, ['--cache'])).pass.fromCache, 0);
    const again = await lint(d, ['--cache']);
    assert.equal(again.pass.fromCache, again.pass.files);
    write(d, 'migrations/002.sql', 'CREATE INDEX users_org ON users (org_id);\n');
    const schema = await lint(d, ['--cache']);
    assert.equal(schema.pass.fromCache, 0);
    assert.match(schema.pass.cacheDropped ?? '', /configuration, rules or schema changed/);
  });

  it('a constant a TypeScript schema imports changes: the files whose queries read that schema are analysed again', async () => {
    // names.ts is no schema source itself (not in the cache key): the schema built from schema.ts read it.
    const d = project({
      'src/db/names.ts': "export const INVOICES = 'invoices';\n",
      'src/db/schema.ts': [
        "import { pgTable, serial, text } from 'drizzle-orm/pg-core';",
        "import { INVOICES } from './names';",
        'export const invoices = pgTable(INVOICES, { id: serial(\'id\').primaryKey(), email: text(\'email\') });',
        '',
      ].join('\n'),
      'src/q.ts': [
        "import { Pool } from 'pg';",
        'const pool = new Pool();',
        'export async function byEmail(email: string) {',
        "  const { rows } = await pool.query('SELECT id FROM invoices WHERE email = $1', [email]);",
        '  return rows;',
        '}',
        '',
      ].join('\n'),
    });
    const cold = await lint(d, ['--cache']);
    assert.deepEqual(findings(cold), ['src/q.ts:4:unindexed-predicate']);
    assert.equal((await lint(d, ['--cache'])).pass.fromCache, cold.pass.files);
    // The table is now called bills: invoices is unknown, so nothing is said about it.
    write(d, 'src/db/names.ts', "export const INVOICES = 'bills';\n");
    const after = await lint(d, ['--cache']);
    assert.deepEqual(findings(after), []);
    assert.equal(after.out, (await lint(d)).out, 'same as a run without the cache');
  });

  it('a damaged cache file is ignored and rewritten; a file that is not a querylens cache is neither used nor overwritten', async () => {
    const d = app();
    const cold = await lint(d, ['--cache', '--cache-location', '.ql-cache/']);
    const dir = path.join(d, '.ql-cache');
    const [file] = fs.readdirSync(dir);
    const full = path.join(dir, file);
    const text = fs.readFileSync(full, 'utf8');
    // One character changed inside the payload: the checksum no longer matches.
    fs.writeFileSync(full, text.replace('"findings":[', '"findings":[ '));
    const damaged = await lint(d, ['--cache', '--cache-location', '.ql-cache/']);
    assert.equal(damaged.pass.fromCache, 0);
    assert.match(damaged.pass.cacheDropped ?? '', /damaged/);
    assert.equal(damaged.out, cold.out);
    const rewritten = await lint(d, ['--cache', '--cache-location', '.ql-cache/']);
    assert.equal(rewritten.pass.fromCache, rewritten.pass.files, 'rewritten');
    // Truncated, then garbage.
    fs.writeFileSync(full, text.slice(0, text.length / 2));
    assert.equal((await lint(d, ['--cache', '--cache-location', '.ql-cache/'])).out, cold.out);
    // Another file named as the location: not ours, so not read as a cache and not overwritten.
    write(d, 'notes.json', '{"keep": true}\n');
    const foreign = await lint(d, ['--cache', '--cache-location', 'notes.json']);
    assert.equal(foreign.out, cold.out);
    assert.match(foreign.pass.cacheDropped ?? '', /not a querylens cache/);
    assert.match(foreign.err, /notes\.json.*not a querylens cache.*not overwritten/);
    assert.equal(fs.readFileSync(path.join(d, 'notes.json'), 'utf8'), '{"keep": true}\n');
  });

  it('a cache written for another root or by another build is not used', async () => {
    const a = app();
    await lint(a, ['--cache', '--cache-location', '.ql-cache/']);
    const b = app();
    fs.cpSync(path.join(a, '.ql-cache'), path.join(b, '.ql-cache'), { recursive: true });
    // The file name is the root's hash: name it explicitly to make b read a's file.
    const [file] = fs.readdirSync(path.join(b, '.ql-cache'));
    const other = await lint(b, ['--cache', '--cache-location', `.ql-cache/${file}`]);
    assert.equal(other.pass.fromCache, 0);
    assert.match(other.pass.cacheDropped ?? '', /another project root/);
  });

  it('an entry whose inputs name a file outside the project is never satisfied by reading it', async () => {
    const d = app();
    const outside = path.join(path.dirname(d), `${path.basename(d)}-outside.ts`);
    fs.writeFileSync(outside, 'export const x = 1;\n');
    temps.push(outside);
    await lint(d, ['--cache', '--cache-location', '.ql-cache/']);
    const [file] = fs.readdirSync(path.join(d, '.ql-cache'));
    const full = path.join(d, '.ql-cache', file);
    const [, body] = fs.readFileSync(full, 'utf8').split('\n');
    const payload = JSON.parse(body) as { inputs: string[]; states: (string | null)[]; files: Record<string, { i: number[] }> };
    // Forge: route.ts also depends on ../<outside>.ts, recorded with that file's real hash.
    const { createHash } = await import('node:crypto');
    payload.inputs.push(`../${path.basename(outside)}`);
    payload.states.push(createHash('sha1').update(fs.readFileSync(outside, 'utf8')).digest('hex'));
    payload.files['src/route.ts'].i.push(payload.inputs.length - 1);
    const newBody = JSON.stringify(payload);
    const header = JSON.stringify({ 'querylens-lint-cache': 1, bytes: Buffer.byteLength(newBody), sha256: createHash('sha256').update(newBody).digest('hex') });
    fs.writeFileSync(full, `${header}\n${newBody}`);
    const r = await lint(d, ['--cache', '--cache-location', '.ql-cache/']);
    // The outside file reads as absent (the project reader stays inside the root): route.ts is analysed again.
    assert.equal(r.pass.fromCache, r.pass.files - 1);
  });

  it('--fix with --cache: fixed files and the files depending on them are analysed again', async () => {
    // A numbered migration with a name: the fix is a new migration (safe), not an edit of 001.
    const d = project({ 'migrations/001_init.sql': SCHEMA, 'src/q.sql': 'SELECT name FROM users WHERE org_id = 1;\n', 'src/orgs.ts': OTHER });
    const before = await lint(d, ['--cache']);
    assert.ok(findings(before).includes('src/q.sql:1:unindexed-predicate'), before.out);
    const fixed = await lint(d, ['--cache', '--fix']);
    assert.ok(!findings(fixed).includes('src/q.sql:1:unindexed-predicate'), 'the index migration was written and the schema re-read');
    const after = await lint(d, ['--cache']);
    assert.deepEqual(findings(after), findings(await lint(d)));
  });
});
