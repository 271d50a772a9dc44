/**
 * The n-plus-one rewrites run (issue 13: "a fix must reduce round trips for real", "a fix never breaks
 * code"): each batched-rewrite fixture whose client can be pointed at the test database (pg, Knex, Kysely,
 * Drizzle, Sequelize, postgres.js, TypeORM with EntitySchema entities; not Prisma 7, which needs a driver adapter,
 * nor TypeORM decorator entities, which need decorator metadata that tsx does not emit) runs against a throw-away PostgreSQL as written and with each of its
 * non-disable fixes applied. Every exported function is called on the same seeded data, with several
 * elements (repeats and missing keys included) and with none; the fixed code must return the same value,
 * leave the same rows, and — in the function the fix rewrote — send fewer statements whenever the input
 * has two or more elements (pg_stat_statements counts them; transaction control excluded).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { applyFixes } from '../../engine/fixes';
import { initParser } from '../../engine/sql/parser';
import type { Fix } from '../../engine/types';
import { FIXTURES, loadCases, runCase } from '../harness';
import { type Cluster, startCluster } from './cluster';
import { proofInstalled, writeProject } from './fix-proof';

interface Call {
  fn: string;
  args: unknown[];
}
interface RunSpec {
  fixture: string;
  /** Appended to the module: releases its client so the test process can end. */
  close: string;
  /** Run once before the calls (a TypeORM DataSource must be initialized). */
  open?: string;
  /** Rewrites the client's construction to connect to the test database (applied to every variant alike). */
  connect?: [string, string];
  calls: Call[];
}

const events = [
  { userId: 1, action: 'a' },
  { userId: 2, action: 'b' },
  { userId: 1, action: 'a' },
];
const SPECS: RunSpec[] = [
  {
    fixture: 'pg-batched-lookups.ts',
    close: 'await pool.end();',
    calls: [
      { fn: 'emails', args: [[1, 2, 99, 1]] },
      { fn: 'emails', args: [[]] },
      { fn: 'ordersOf', args: [[{ id: 1 }, { id: 2 }, { id: 3 }, { id: 1 }]] },
      { fn: 'ordersOf', args: [[]] },
      { fn: 'purge', args: [[1, 3, 99]] },
      { fn: 'purge', args: [[]] },
      { fn: 'statusesOf', args: [[1, 2, 99, 1]] },
      { fn: 'statusesOf', args: [[]] },
      { fn: 'rowsOf', args: [[1, 2]] },
    ],
  },
  {
    fixture: 'knex-batched-lookups.ts',
    close: 'await knex.destroy();',
    connect: ["knexFactory({ client: 'pg' })", "knexFactory({ client: 'pg', connection: process.env.DATABASE_URL })"],
    calls: [
      { fn: 'owners', args: [[{ userId: 1 }, { userId: 2 }, { userId: 99 }, { userId: 1 }]] },
      { fn: 'owners', args: [[]] },
      { fn: 'names', args: [['a@x', 'c@x', 'nobody@x']] },
      { fn: 'names', args: [[]] },
      { fn: 'markPaid', args: [[1, 3, 99]] },
      { fn: 'markPaid', args: [[]] },
      { fn: 'record', args: [events] },
      { fn: 'record', args: [[]] },
    ],
  },
  {
    fixture: 'kysely-batched-lookups.ts',
    close: 'await db.destroy();',
    calls: [
      { fn: 'users', args: [[1, 2, 99, 1]] },
      { fn: 'users', args: [[]] },
      { fn: 'names', args: [['a@x', 'c@x', 'nobody@x']] },
      { fn: 'names', args: [[]] },
      { fn: 'record', args: [events] },
      { fn: 'record', args: [[]] },
    ],
  },
  {
    // A helper whose body is one lookup by its parameter (n-plus-one-helper-fix.ts): batched in the caller.
    fixture: 'knex-helper-batched.ts',
    close: 'await knex.destroy();',
    connect: ["knexFactory({ client: 'pg' })", "knexFactory({ client: 'pg', connection: process.env.DATABASE_URL })"],
    calls: [
      { fn: 'owners', args: [[{ userId: 1 }, { userId: 2 }, { userId: 99 }, { userId: 1 }]] },
      { fn: 'owners', args: [[]] },
    ],
  },
  {
    fixture: 'kysely-helper-batched.ts',
    close: 'await db.destroy();',
    calls: [
      { fn: 'users', args: [[1, 2, 99, 1]] },
      { fn: 'users', args: [[]] },
    ],
  },
  {
    fixture: 'drizzle-batched-lookups.ts',
    close: 'await db.$client.end();',
    calls: [
      { fn: 'owners', args: [[{ userId: 1 }, { userId: 2 }, { userId: 99 }, { userId: 1 }]] },
      { fn: 'owners', args: [[]] },
      { fn: 'purge', args: [[1, 3, 99]] },
      { fn: 'purge', args: [[]] },
      { fn: 'record', args: [['x', 'y', 'x']] },
      { fn: 'record', args: [[]] },
    ],
  },
  {
    // Reads prefetched before the loop (n-plus-one-prefetch-fix.ts): the relational findFirst/findMany, select(…)
    // with another filter kept and `.limit(1)`, the newest row per key by `.orderBy(…).limit(1)`.
    fixture: 'drizzle-prefetch-reads.ts',
    close: 'await db.$client.end();',
    calls: [
      { fn: 'ownerNames', args: [[{ userId: 1 }, { userId: 2 }, { userId: 99 }, { userId: 1 }]] },
      { fn: 'ownerNames', args: [[]] },
      { fn: 'namedLike', args: [[1, 2, 3, 99, 1], 'Bob'] },
      { fn: 'namedLike', args: [[], 'Bob'] },
      { fn: 'newestOrders', args: [[1, 2, 3, 99, 1]] },
      { fn: 'newestOrders', args: [[]] },
      { fn: 'ordersOf', args: [[{ id: 1, name: 'a' }, { id: 3, name: 'c' }, { id: 2, name: 'b' }, { id: 1, name: 'a' }]] },
      { fn: 'ordersOf', args: [[]] },
      { fn: 'labelled', args: [{ ann: 1, bob: 2, nobody: 99, again: 1 }] },
      { fn: 'labelled', args: [{}] },
    ],
  },
  {
    // A helper called per element, batched by a sibling next to it (n-plus-one-sibling-fix.ts): the helper takes
    // the database first; the relational findFirst and a select of many rows per key.
    fixture: 'drizzle-helper-sibling.ts',
    close: 'await db.$client.end();',
    calls: [
      { fn: 'names', args: [[1, 2, 99, 1]] },
      { fn: 'names', args: [[]] },
      { fn: 'orderCounts', args: [[{ id: 1 }, { id: 3 }, { id: 2 }, { id: 1 }]] },
      { fn: 'orderCounts', args: [[]] },
    ],
  },
  {
    // TypeORM with entities declared by EntitySchema (tsx emits no decorator metadata): findOneBy with the key
    // through a name the loop declares, findOne under Promise.all, the newest row per key (DISTINCT ON).
    fixture: 'typeorm-entity-schema-prefetch.ts',
    open: 'await dataSource.initialize();',
    close: 'await dataSource.destroy();',
    connect: ["new DataSource({ type: 'postgres', entities: [User, Order] })", "new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, entities: [User, Order] })"],
    calls: [
      { fn: 'latestStatuses', args: [[1, 2, 3, 99, 1]] },
      { fn: 'latestStatuses', args: [[]] },
      { fn: 'owners', args: [[{ userId: 1 }, { userId: 2 }, { userId: 99 }, { userId: 1 }]] },
      { fn: 'owners', args: [[]] },
      { fn: 'byEmail', args: [['a@x', 'c@x', 'nobody@x', 'a@x']] },
      { fn: 'byEmail', args: [[]] },
    ],
  },
  {
    fixture: 'sequelize-batched-lookups.ts',
    close: 'await sequelize.close();',
    // The fixture's tables have no createdAt/updatedAt: Sequelize's default timestamps off, as such a project sets them.
    connect: ["new Sequelize('postgres://localhost/app')", 'new Sequelize(process.env.DATABASE_URL!, { logging: false, define: { timestamps: false } })'],
    calls: [
      { fn: 'owners', args: [[{ userId: 1 }, { userId: 2 }, { userId: 99 }, { userId: 1 }]] },
      { fn: 'owners', args: [[]] },
      { fn: 'byEmail', args: [['a@x', 'c@x', 'nobody@x', 'a@x']] },
      { fn: 'byEmail', args: [[]] },
      { fn: 'record', args: [events] },
      { fn: 'record', args: [[]] },
    ],
  },
  {
    // A write sharing its loop body with other code, inside a transaction callback (n-plus-one-collect-fix.ts):
    // the loop collects rows or keys, one statement after it. Drizzle and Kysely in one module.
    fixture: 'tx-collect-writes.ts',
    close: 'await db.$client.end();\n  await kdb.destroy();',
    calls: [
      { fn: 'recordAll', args: [[{ userId: 1, kind: 'login' }, { userId: 2, kind: 'noise' }, { userId: 3, kind: 'x', note: 'n' }, { userId: 1, kind: 'login' }]] },
      { fn: 'recordAll', args: [[]] },
      { fn: 'cancelAll', args: [[{ id: 1, locked: false }, { id: 2, locked: true }, { id: 3, locked: false }, { id: 99, locked: false }, { id: 1, locked: false }]] },
      { fn: 'cancelAll', args: [[]] },
      { fn: 'recordK', args: [[{ userId: 1, kind: ' a ' }, { userId: 2, kind: 'b' }, { userId: 1, kind: ' a ' }]] },
      { fn: 'recordK', args: [[]] },
      { fn: 'recordLoose', args: [[{ userId: 1, kind: 'a' }, { userId: 2, kind: ' b ' }, { userId: 1, kind: 'a' }]] },
      { fn: 'recordLoose', args: [[]] },
      { fn: 'recordChecked', args: [[{ userId: 1, kind: 'a' }, { userId: 9, kind: 'b' }]] },
    ],
  },
  {
    // Per-row different values by key (kit/rows-update.ts): one UPDATE … FROM unnest, last value of a repeated key wins.
    fixture: 'rows-update-drizzle.ts',
    close: 'await db.$client.end();',
    calls: [
      { fn: 'restatus', args: [[{ id: 1, status: 'A' }, { id: 2, status: 'B', locked: true }, { id: 3, status: 'C' }, { id: 99, status: 'X' }, { id: 1, status: 'D' }]] },
      { fn: 'restatus', args: [[]] },
      { fn: 'restatusAll', args: [[{ id: 1, status: 'a' }, { id: 3, status: 'c' }, { id: 99, status: 'x' }]] },
      { fn: 'restatusAll', args: [[]] },
      { fn: 'restamp', args: [[{ id: 1, suffix: '!' }]] },
    ],
  },
  {
    // TypeORM keyed writes: update({ id: In(keys) }) and, per-row values, manager.query(UPDATE … FROM unnest); a delete
    // and a per-row update scoped to an owner (the filter kept); findOneOrFail's EntityNotFoundError kept.
    fixture: 'typeorm-writes-run.ts',
    open: 'await dataSource.initialize();',
    close: 'await dataSource.destroy();',
    connect: ["new DataSource({ type: 'postgres', entities: [User, Order] })", "new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, entities: [User, Order] })"],
    calls: [
      { fn: 'dropOrders', args: [[{ id: 1 }, { id: 3 }, { id: 99 }, { id: 1 }], 1] },
      { fn: 'dropOrders', args: [[], 1] },
      { fn: 'setStatuses', args: [[{ id: 1, status: 'sent' }, { id: 3, status: 'lost' }, { id: 2, status: 'done' }, { id: 99, status: 'x' }], 1] },
      { fn: 'setStatuses', args: [[], 1] },
      { fn: 'namesOf', args: [[1, 3, 1]] },
      { fn: 'namesOf', args: [[2, 99]] },
      { fn: 'namesOf', args: [[]] },
      { fn: 'anonymize', args: [[{ id: 1 }, { id: 2, keep: true }, { id: 3 }, { id: 99 }, { id: 1 }]] },
      { fn: 'anonymize', args: [[]] },
      { fn: 'renameEach', args: [[{ id: 1, name: ' Ann2 ' }, { id: 2, name: '  ' }, { id: 3, name: 'Cy2' }, { id: 99, name: 'x' }, { id: 1, name: 'Ann3' }]] },
      { fn: 'renameEach', args: [[]] },
    ],
  },
  {
    // A keyed write through a helper, per element (n-plus-one-sibling-write-fix.ts): a batched sibling, one call.
    fixture: 'drizzle-helper-sibling-write-run.ts',
    close: 'await db.$client.end();',
    calls: [
      { fn: 'closeAll', args: [[{ id: 1 }, { id: 3 }, { id: 99 }, { id: 1 }]] },
      { fn: 'closeAll', args: [[]] },
      { fn: 'dropAll', args: [[2, 3, 99, 2]] },
      { fn: 'dropAll', args: [[]] },
    ],
  },
  {
    // A repository method that takes a list, called per element (n-plus-one-list-helper-fix.ts), and a Drizzle
    // selection that gains its key field in the batched read.
    fixture: 'drizzle-list-helper-run.ts',
    close: 'await db.$client.end();',
    calls: [
      { fn: 'logSeen', args: [[1, 2, 99, 1, 3]] },
      { fn: 'logSeen', args: [[]] },
      { fn: 'statusesOf', args: [[{ id: 1 }, { id: 2 }, { id: 3 }, { id: 1 }, { id: 99 }]] },
      { fn: 'statusesOf', args: [[]] },
    ],
  },
  {
    fixture: 'postgres-js-batched.ts',
    close: 'await sql.end();',
    calls: [
      { fn: 'names', args: [[1, 2, 99, 1]] },
      { fn: 'names', args: [[]] },
      { fn: 'rename', args: [[1, 3, 99]] },
      { fn: 'rename', args: [[]] },
      { fn: 'record', args: [2, ['view', 'edit', 'view']] },
      { fn: 'record', args: [2, []] },
      { fn: 'invite', args: [['new@x', 'other@x']] },
      { fn: 'invite', args: [[]] },
      { fn: 'ownersOf', args: [[1, 3, 99, 1]] },
      { fn: 'ownersOf', args: [[]] },
      { fn: 'join', args: [3, { projects: ['share', 'star'] }] },
      { fn: 'join', args: [3, { projects: [] }] },
    ],
  },
  {
    // A client whose rows come back camelCased (transform: postgres.camel): the Map is keyed by the field the rows carry.
    fixture: 'postgres-js-camel.ts',
    close: 'await sql.end(); await other.end();',
    calls: [
      { fn: 'ordersOf', args: [[{ id: 1 }, { id: 2 }, { id: 99 }, { id: 1 }]] },
      { fn: 'ordersOf', args: [[]] },
    ],
  },
];

const SEED = `
TRUNCATE users, orders, order_items, audit_log RESTART IDENTITY CASCADE;
INSERT INTO users (email, name, created_at) VALUES ('a@x', 'Ann', '2024-01-01'), ('b@x', 'Bob', '2024-01-01'), ('c@x', 'Cy', '2024-01-01');
INSERT INTO orders (user_id, status, total, created_at) VALUES (1, 'new', 10, '2024-01-01'), (1, 'paid', 20, '2024-01-02'), (2, 'new', 5, '2024-01-03');
INSERT INTO audit_log (user_id, action) VALUES (1, 'login'), (2, 'login'), (3, 'logout');
`;
const TABLES = ['users', 'orders', 'order_items', 'audit_log'];

interface Observed {
  result: unknown;
  threw: boolean;
  rows: string;
  statements: number;
}

describe('fix proof: n-plus-one rewrites return the same, leave the same rows, and send fewer statements', function () {
  this.timeout(300000);
  let cluster: Cluster | undefined;
  let c: Client;
  const db = 'rewrite_runs';
  const totals: string[] = [];

  before(async () => {
    const missing = proofInstalled();
    assert.ok(!missing, missing);
    await initParser();
    cluster = await startCluster();
    const admin = new Client({ host: cluster.host, port: cluster.port, user: cluster.user, database: cluster.database });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`CREATE DATABASE ${db}`);
    await admin.end();
    c = new Client({ host: cluster.host, port: cluster.port, user: cluster.user, database: db });
    await c.connect();
    await c.query('CREATE EXTENSION pg_stat_statements');
    await c.query(fs.readFileSync(path.join(FIXTURES, 'n-plus-one', 'schema.sql'), 'utf8'));
    // The fixtures' clients read their connection from the environment (libpq variables, DATABASE_URL).
    Object.assign(process.env, {
      PGHOST: cluster.host,
      PGPORT: String(cluster.port),
      PGUSER: cluster.user,
      PGDATABASE: db,
      DATABASE_URL: `postgres://${cluster.user}@${cluster.host}:${cluster.port}/${db}`,
    });
  });

  after(async () => {
    await c?.end();
    cluster?.stop();
    if (totals.length) console.log(`\n  statements sent, as written → fixed (calls with ≥ 2 elements):\n${totals.join('\n')}\n`);
  });

  /** Statements the database ran since the last reset, transaction control and this test's own excluded. */
  const statements = async (): Promise<number> => {
    const r = await c.query<{ n: number }>(
      `SELECT coalesce(sum(calls), 0)::int AS n FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
       WHERE d.datname = $1 AND s.query !~* '^\\s*(BEGIN|COMMIT|ROLLBACK|SET|SHOW|SAVEPOINT|RELEASE|DEALLOCATE|DISCARD)' AND s.query !~ 'pg_stat_statements'`,
      [db],
    );
    return r.rows[0].n;
  };
  const rows = async (): Promise<string> => {
    const out: string[] = [];
    // Without ids: concurrent inserts take serials in any order.
    for (const t of TABLES) out.push(`${t}: ${(await c.query<{ r: string }>(`SELECT (to_jsonb(t) - 'id')::text AS r FROM ${t} t`)).rows.map((x) => x.r).sort().join(' ')}`);
    return out.join('\n');
  };

  /** Runs every call of the spec against the module's text, each on freshly seeded data. */
  const observe = async (spec: RunSpec, name: string, text: string): Promise<Observed[]> => {
    const connected = spec.connect ? text.replace(spec.connect[0], spec.connect[1]) : text;
    assert.ok(!spec.connect || connected !== text, 'the client construction is found');
    const dir = writeProject(`runs-${name}`, { 'q.ts': `${connected}\nexport async function __open() {\n  ${spec.open ?? ''}\n}\nexport async function __close() {\n  ${spec.close}\n}\n` });
    const mod = (await import(pathToFileURL(path.join(dir, 'q.ts')).href)) as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const out: Observed[] = [];
    await mod.__open();
    try {
      for (const call of spec.calls) {
        await c.query(SEED);
        await c.query('SELECT pg_stat_statements_reset()');
        let result: unknown;
        let threw = false;
        try {
          result = JSON.parse(JSON.stringify((await mod[call.fn](...structuredClone(call.args))) ?? null));
        } catch (e) {
          threw = true;
          result = String(e);
        }
        out.push({ result, threw, statements: await statements(), rows: await rows() });
      }
    } finally {
      await mod.__close();
    }
    return out;
  };

  /** The exported function a fix rewrites (its first edit lies inside it). */
  const rewrittenFunction = (text: string, fix: Fix): string | undefined => {
    let name: string | undefined;
    for (const m of text.matchAll(/export async function (\w+)/g)) if (m.index! <= fix.edits[fix.edits.length - 1].range.start) name = m[1];
    return name;
  };

  for (const spec of SPECS) {
    it(`${spec.fixture}: each batched rewrite returns the same, leaves the same rows, and sends fewer statements`, async () => {
      const cs = loadCases('n-plus-one').find((x) => x.verdict === 'flagged' && x.name === spec.fixture);
      assert.ok(cs, 'fixture exists');
      const file = cs.files[0];
      const text = cs.project.fileText(file) ?? '';
      const fixes = runCase(cs).findings.flatMap((f) => f.fixes.filter((x) => x.title !== 'Disable n-plus-one for this line'));
      assert.ok(fixes.length > 0, 'the fixture has rewrites');
      // Every exported function is called: a rewrite nobody calls proves nothing.
      for (const fix of fixes) assert.ok(spec.calls.some((cl) => cl.fn === rewrittenFunction(text, fix)), `a call runs the function fix "${fix.title}" rewrites`);
      const written = await observe(spec, `${spec.fixture}-0`, text);
      // The code as written must run: a call that fails either way proves nothing.
      assert.deepEqual(written.filter((w) => w.threw).map((w) => w.result), [], 'the fixture runs as written');
      const failures: string[] = [];
      for (const [i, fix] of fixes.entries()) {
        const res = applyFixes(new Map([[file, text]]), [fix]);
        assert.equal(res.applied.length, 1, `fix "${fix.title}" applies`);
        const fixed = await observe(spec, `${spec.fixture}-${i + 1}`, res.files.get(file) ?? '');
        const fn = rewrittenFunction(text, fix);
        for (const [j, call] of spec.calls.entries()) {
          const a = written[j];
          const b = fixed[j];
          const where = `fix "${fix.title}", ${call.fn}(${JSON.stringify(call.args).slice(1, -1)})`;
          if (a.threw !== b.threw || JSON.stringify(a.result) !== JSON.stringify(b.result)) failures.push(`${where}: returned ${JSON.stringify(b.result)}, as written ${JSON.stringify(a.result)}`);
          if (a.rows !== b.rows) failures.push(`${where}: left different rows:\n${b.rows}\nas written:\n${a.rows}`);
          if (call.fn !== fn) continue;
          // Elements of an array, or entries of a record (`Object.entries` loops).
          const a0 = call.args[0];
          const n = Array.isArray(a0) ? a0.length : Object.keys(a0 as object).length;
          if (n >= 2) {
            totals.push(`  ${spec.fixture} ${call.fn}(${n} elements): ${a.statements} → ${b.statements}`);
            if (!(b.statements < a.statements)) failures.push(`${where}: ${b.statements} statements, as written ${a.statements}`);
          } else if (b.statements > Math.max(a.statements, 1)) failures.push(`${where}: ${b.statements} statements for ${n} elements (as written ${a.statements})`);
        }
      }
      assert.deepEqual(failures, []);
    });
  }
});
