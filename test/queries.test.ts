/**
 * `querylens queries`: the query sites the engine recognises and the candidates it could not resolve,
 * in-process through `main(argv, io)` on small projects in the temp directory.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { main } from '../cli/main';
import { QUERIES_PROJECT } from '../scripts/readme';
import { makeProject } from './temp-project';

const temps: string[] = [];
function project(files: Record<string, string>): string {
  return makeProject(files, temps, 'querylens-queries-');
}

async function ql(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { cwd, env: {}, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

/** The README's `querylens queries` example project (a loop query, a write, an unresolved call). */
const FILES = QUERIES_PROJECT;

after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

describe('querylens queries', () => {
  it('json: every recognised site with kind, library, table, read/write and per-element; unresolved candidates with the reason', async () => {
    const dir = project(FILES);
    const r = await ql(dir, ['queries', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      queries: { file: string; line: number; column: number; kind: string; library: string; table?: string; operation: string; perElement: boolean; loop?: { line: number } }[];
      unresolved: { file: string; line: number; method: string; reason: string }[];
      summary: { queries: number; read: number; write: number; perElement: number; unresolved: number };
    };
    assert.deepEqual(
      doc.queries.map((q) => [q.file, q.line, q.kind, q.library, q.table, q.operation, q.perElement, q.loop?.line]),
      [
        ['src/users.ts', 4, 'sql', 'pg', 'users', 'read', true, 3],
        ['src/users.ts', 6, 'sql', 'pg', 'orders', 'write', false, undefined],
      ],
    );
    assert.deepEqual(doc.unresolved.map((u) => [u.file, u.line, u.method]), [['src/users.ts', 9, 'query']]);
    assert.match(doc.unresolved[0].reason, /`db` is an untyped parameter of `viaUntyped`/);
    assert.deepEqual(doc.summary, { files: 3, queries: 2, read: 1, write: 1, perElement: 1, unresolved: 1 });
  });

  it('stylish: one row per site grouped by file, the unresolved with their reason, and totals', async () => {
    const dir = project(FILES);
    const r = await ql(dir, ['queries', 'src']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^src\/users\.ts$/m);
    assert.match(r.stdout, /^ {2}4:11 +sql +pg +query +users +read +per element \(loop at line 3\)$/m);
    assert.match(r.stdout, /^ {2}9:10 +unresolved query: `db` is an untyped parameter of `viaUntyped`$/m);
    assert.match(r.stdout, /2 query sites in 2 files \(1 read, 1 write; 1 per element of a loop\); 1 unresolved candidate\n$/);
  });

  it('Kysely statements are labelled by their head: insertInto/updateTable/deleteFrom write, selectFrom reads', async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'k', dependencies: { kysely: '*' } }),
      'src/db.ts': "import { Kysely } from 'kysely';\nexport const db = new Kysely<any>({} as any);\n",
      'src/jobs.ts': [
        "import { db } from './db';",
        'export async function run(id: string) {',
        "  await db.insertInto('event').values({ id }).execute();",
        "  await db.updateTable('event').set({ id }).where('id', '=', id).execute();",
        "  await db.deleteFrom('event').where('id', '=', id).execute();",
        "  return db.selectFrom('event').selectAll().where('id', '=', id).execute();",
        '}',
        '',
      ].join('\n'),
    });
    const r = await ql(dir, ['queries', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { queries: { line: number; operation: string }[] };
    assert.deepEqual(
      doc.queries.map((q) => [q.line, q.operation]),
      [
        [3, 'write'],
        [4, 'write'],
        [5, 'write'],
        [6, 'read'],
      ],
    );
  });

  it('a method of a service a context hands out (`yield* Key`, registered by the project) is followed, not listed unresolved', async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'e', dependencies: { effect: '*', pg: '*' } }),
      'src/keys.ts': "import { Context } from 'effect';\nexport class Orders extends Context.Tag('Orders')<Orders, { findMany(id: string): unknown }>() {}\n",
      'src/live.ts': [
        "import { Effect, Layer } from 'effect';",
        "import { Pool } from 'pg';",
        "import { Orders } from './keys';",
        'const pool = new Pool();',
        "export const OrdersLive = Layer.succeed(Orders, { findMany: (id: string) => Effect.promise(() => pool.query('SELECT * FROM orders WHERE user_id = $1', [id])) });",
        '',
      ].join('\n'),
      'src/use.ts': [
        "import { Effect } from 'effect';",
        "import { Orders } from './keys';",
        'export const load = (id: string) =>',
        '  Effect.gen(function* () {',
        '    const orders = yield* Orders;',
        '    return yield* orders.findMany(id);',
        '  });',
        '',
      ].join('\n'),
    });
    const r = await ql(dir, ['queries', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { queries: { file: string; line: number }[]; unresolved: unknown[] };
    assert.deepEqual(doc.queries.map((q) => [q.file, q.line]), [['src/live.ts', 5]]);
    assert.deepEqual(doc.unresolved, []);
  });

  it('a builder whose statement cannot be read is listed unresolved when it runs', async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'k', dependencies: { kysely: '*' } }),
      'src/db.ts': "import { Kysely } from 'kysely';\nexport const db = new Kysely<any>({} as any);\n",
      'src/jobs.ts': [
        "import { db } from './db';",
        'declare function opaque(q: unknown): any;',
        'export async function run() {',
        "  let qb = db.selectFrom('event').selectAll();",
        '  qb = opaque(qb);',
        '  await qb.execute();',
        "  return db.selectFrom('event').selectAll().execute();",
        '}',
        '',
      ].join('\n'),
    });
    const r = await ql(dir, ['queries', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { queries: { line: number }[]; unresolved: { line: number; method: string; reason: string }[] };
    assert.deepEqual(
      doc.queries.map((q) => q.line),
      [7],
    );
    assert.deepEqual(
      doc.unresolved.map((u) => [u.line, u.method]),
      [[6, 'execute']],
    );
    assert.match(doc.unresolved[0].reason, /`qb` is a Kysely query builder whose statement querylens could not read/);
  });

  // kaneo (evaluated): its client came through a wrapper querylens did not follow, 149 of 153 query-looking calls were
  // unresolved, and lint printed "No findings". Most calls unresolved → one unresolved-queries problem, in every format.
  const lazyClient = (unresolved: number, recognised: number): Record<string, string> => ({
    'package.json': '{"name":"app"}',
    'migrations/001_init.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n',
    'src/db.ts': "import { Pool } from 'pg';\nexport const pool = new Pool();\ndeclare function lazy(): any;\nexport const db = lazy();\n",
    'src/users.ts': [
      "import { db, pool } from './db';",
      'export async function all() {',
      ...Array.from({ length: unresolved }, (_, i) => `  await db.query.users.findMany({ where: { id: ${i} } });`),
      ...Array.from({ length: recognised }, (_, i) => `  await pool.query('SELECT email FROM users WHERE id = $1', [${i}]);`),
      '}',
      '',
    ].join('\n'),
  });

  it('lint warns, in every format, when most calls that look like queries were not recognised', async () => {
    const dir = project(lazyClient(6, 1));
    const q = JSON.parse((await ql(dir, ['queries', '--format', 'json'])).stdout) as { summary: { queries: number; unresolved: number } };
    assert.deepEqual([q.summary.queries, q.summary.unresolved], [1, 6]);
    const j = await ql(dir, ['lint', '--format', 'json']);
    const doc = JSON.parse(j.stdout) as { findings: unknown[]; problems: { kind: string; file: string; line?: number; message: string }[] };
    assert.deepEqual(doc.findings, []);
    const p = doc.problems.filter((x) => x.kind === 'unresolved-queries');
    assert.equal(p.length, 1, j.stdout);
    assert.equal(p[0].file, 'src/users.ts');
    assert.equal(p[0].line, 3, 'at the first unrecognised call of the file with the most');
    assert.match(p[0].message, /^6 of 7 calls that look like queries were not recognised \(6 in this file\).*the 1 query site that were: run `querylens queries`/);
    const stylish = await ql(dir, ['lint', '--no-color']);
    assert.match(stylish.stdout, /unresolved-queries +6 of 7 calls/);
    assert.match(stylish.stdout, /⚠ No findings in \d+ files, but most calls that look like queries were not recognised/);
    assert.doesNotMatch(stylish.stdout, /✔ No findings/);
    for (const format of ['sarif', 'github', 'gitlab', 'html']) {
      const r = await ql(dir, ['lint', '--format', format]);
      assert.match(r.stdout, /6 of 7 calls that look like queries were not recognised/, format);
    }
  });

  it('lint says nothing of unresolved calls when most were recognised, or when only a few look like queries', async () => {
    for (const [unresolved, recognised] of [
      [6, 6],
      [4, 0],
    ]) {
      const r = await ql(project(lazyClient(unresolved, recognised)), ['lint', '--format', 'json']);
      const doc = JSON.parse(r.stdout) as { problems: { kind: string }[] };
      assert.deepEqual(doc.problems.filter((x) => x.kind === 'unresolved-queries'), [], `${unresolved} unresolved, ${recognised} recognised`);
    }
  });

  it("a model method too common to count alone (update, create, delete, count) is a candidate on a member naming a schema model", async () => {
    // Round 11's zipline: prisma.file.update(…) on a client nothing could follow was in neither list.
    const dir = project({
      'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n\nmodel File {\n  id   Int    @id\n  name String\n}\n',
      'src/files.ts': [
        'export async function rename(db: any, cache: Map<number, string>, items: { update(x: unknown): void }, id: number) {',
        '  await db.file.update({ where: { id }, data: { name: "x" } });',
        '  await db.file.count();',
        '  cache.delete(id);',
        '  items.update({ id });',
        '  await db.folder.delete({ where: { id } });',
        '}',
        '',
      ].join('\n'),
    });
    const r = await ql(dir, ['queries', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { unresolved: { line: number; method: string; reason: string }[] };
    // Not cache.delete (no model member), items.update (items names no model) nor db.folder (no Folder model).
    assert.deepEqual(doc.unresolved.map((u) => [u.line, u.method]), [[2, 'update'], [3, 'count']]);
    assert.match(doc.unresolved[0].reason, /`db\.file`|`db`/);
  });

  it("a function's declared `this` is a typed value; a package's interface has the members the project's module augmentations declare", async () => {
    // Round 11's zipline: `function rawRoute(this: FastifyInstance, …) { this.prisma.file.findFirst(…) }` with
    // `declare module 'fastify' { interface FastifyInstance { prisma: PrismaClient } }` in a plugin file.
    const dir = project({
      'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n\nmodel File {\n  id   Int    @id\n  name String\n}\n',
      'src/plugin.ts': [
        "import { PrismaClient } from '@prisma/client';",
        "declare module 'fastify' {",
        '  interface FastifyInstance {',
        '    prisma: PrismaClient;',
        '  }',
        '}',
        '',
      ].join('\n'),
      'src/route.ts': [
        "import { FastifyInstance, FastifyReply } from 'fastify';",
        'export async function raw(this: FastifyInstance, id: number) {',
        '  return this.prisma.file.findFirst({ where: { id } });',
        '}',
        'export async function post(this: FastifyReply, id: number) {',
        '  return this.server.prisma.file.update({ where: { id }, data: { name: "x" } });',
        '}',
        '',
      ].join('\n'),
    });
    const r = await ql(dir, ['queries', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { queries: { line: number; library: string; table?: string }[]; unresolved: { line: number; reason: string }[] };
    assert.deepEqual(doc.queries.map((q) => [q.line, q.library, q.table]), [[3, 'prisma', 'File']]);
    // FastifyReply's own `server` is in the package's declarations, which are not among the project's files.
    assert.deepEqual(doc.unresolved.map((u) => u.line), [6]);
    assert.match(doc.unresolved[0].reason, /`this\.server` is a member of `FastifyReply` \(the function's declared `this`\).*a type of the package `fastify`/);
  });

  it('a knex whose client is not PostgreSQL is no site; a builder reassigned in a loop only builds there (not per element)', async () => {
    // Round 11's pezzo: `this.knex = knex({ client: clickhouseDialect })` (clickhouse.service.ts:43) on a field declared `Knex`,
    // and `query = query.where(…)` in a for…of over the request's filters (reporting.service.ts:162).
    const dir = project({
      'src/store.ts': [
        "import { knex, Knex } from 'knex';",
        "import clickhouseDialect from '@acme/knex-clickhouse-dialect';",
        'export class Store {',
        '  public ch: Knex;',
        '  public pg: Knex;',
        '  init() {',
        "    this.ch = knex({ client: clickhouseDialect as any });",
        "    this.pg = knex({ client: 'pg' });",
        '  }',
        '  async search(filters: { field: string; value: string }[]) {',
        "    await this.ch('reports').where('id', 1);",
        "    await this.ch.raw('SELECT 1');",
        "    let query = this.pg('reports').select('id');",
        '    for (const f of filters) {',
        '      query = query.where(f.field, f.value);',
        '    }',
        '    return await query;',
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    const r = await ql(dir, ['queries', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { queries: { line: number; executes: boolean; perElement: boolean }[]; unresolved: unknown[] };
    // Nothing on lines 11-12 (ClickHouse: no site, no unresolved candidate); line 15 builds inside the loop, line 17 runs once.
    assert.ok(!doc.queries.some((q) => q.line === 11 || q.line === 12), JSON.stringify(doc.queries));
    assert.deepEqual(doc.queries.filter((q) => q.line === 15).map((q) => [q.executes, q.perElement]), [[false, false]]);
    assert.ok(doc.queries.every((q) => !q.perElement), JSON.stringify(doc.queries));
    assert.deepEqual(doc.unresolved, []);
  });

  it('a bad option is a usage error (exit 2)', async () => {
    const dir = project(FILES);
    const r = await ql(dir, ['queries', '--format', 'sarif']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /queries --format: unknown format "sarif" \(expected stylish or json\)/);
  });

  it('--concurrency is accepted as lint accepts it (same listing), and a bad value is a usage error', async () => {
    const dir = project(FILES);
    const plain = await ql(dir, ['queries', '--format', 'json']);
    const one = await ql(dir, ['queries', '--format', 'json', '--concurrency', '1']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, plain.stdout);
    const bad = await ql(dir, ['queries', '--concurrency', 'many']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--concurrency: expected auto or a number of threads from 1, got "many"/);
  });
});
