/**
 * `querylens stats` against a throw-away PostgreSQL 15 with pg_stat_statements
 * (and hypopg when the Debian package is installed): seeded tables — a
 * 20-row lookup table, a 4-valued status column, a unique (unindexed) text
 * column, a one-to-many relation — and a small project whose migrations
 * create them. Checks the done-when of issue 12: the snapshot's row counts
 * within 20 %, no data values, no password; lint quiet on the lookup table
 * and the status column, warning on the unique column with the real row
 * count, the N+1 count from the relation's fan-out, measured.calls from
 * pg_stat_statements; `stats sql` + `stats import` give the same snapshot; a
 * read-only role is enough; `--explain` records the planner's verdict.
 * Asserts counts and plans, never a time.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import { Client } from 'pg';
import { main } from '../../cli/main';
import { type Cluster, findPgBin, hasExtension, startCluster } from './cluster';

const MIGRATION = `
CREATE TABLE regions (id serial PRIMARY KEY, code text NOT NULL, name text NOT NULL);
CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL, name text NOT NULL, region_id int REFERENCES regions (id));
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id), status text NOT NULL, total numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE TABLE order_items (id serial PRIMARY KEY, order_id int NOT NULL REFERENCES orders (id), sku text NOT NULL, qty int NOT NULL);
CREATE INDEX order_items_order_id_idx ON order_items (order_id);
`;

const SEED = `
INSERT INTO regions (code, name) SELECT 'r' || i, 'Region ' || i FROM generate_series(1, 20) i;
INSERT INTO customers (email, name, region_id) SELECT 'customer' || i || '@example.com', 'Customer ' || i, 1 + i % 20 FROM generate_series(1, 100000) i;
INSERT INTO orders (customer_id, status, total) SELECT 1 + i % 5000, (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + i % 4], (i % 997) / 10.0 FROM generate_series(1, 50000) i;
INSERT INTO order_items (order_id, sku, qty) SELECT 1 + i % 50000, 'sku-' || (i % 300), 1 + i % 3 FROM generate_series(1, 100000) i;
-- A live index the migrations do not have (made by hand): drift.
CREATE INDEX customers_name_idx ON customers (name);
ANALYZE;
`;

const CODE = `import { Pool } from 'pg';
const pool = new Pool();

export async function regionByCode(code: string) {
  return pool.query('SELECT id, name FROM regions WHERE code = $1', [code]);
}

export async function addRegion(code: string, name: string) {
  await pool.query('INSERT INTO regions (code, name) VALUES ($1, $2)', [code, name]);
}

export async function ordersByStatus(status: string) {
  return pool.query('SELECT id, total FROM orders WHERE status = $1', [status]);
}

export async function customerByEmail(email: string) {
  return pool.query('SELECT id, name FROM customers WHERE email = $1', [email]);
}

export async function itemsOfCustomer(customerId: number) {
  const { rows: orders } = await pool.query('SELECT id FROM orders WHERE customer_id = $1', [customerId]);
  const out = [];
  for (const o of orders) {
    out.push(await pool.query('SELECT id, sku, qty FROM order_items WHERE order_id = $1', [o.id]));
  }
  return out;
}
`;

const PASSWORD = 'pw-not-in-any-file-7319';

interface JsonFinding {
  ruleId: string;
  severity: string;
  message: string;
  line: number;
  estimate: { currentMs: number; fixedMs: number; summary: string; assumptions: { name: string; value: number | string; source: string; note?: string }[] } | null;
  measured?: { calls: number; meanMs: number; totalMs: number; rows: number; matchedBy: string };
}

function tempProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-stats-'));
  fs.mkdirSync(path.join(dir, 'migrations'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'migrations', '001_init.sql'), MIGRATION);
  fs.writeFileSync(path.join(dir, 'src', 'shop.ts'), CODE);
  fs.writeFileSync(path.join(dir, 'querylens.config.json'), '{}\n');
  return dir;
}

async function cli(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { cwd, env: { NO_COLOR: '1', ...env }, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

async function lint(dir: string): Promise<JsonFinding[]> {
  const r = await cli(dir, ['lint', '--format', 'json']);
  assert.ok(r.code === 0 || r.code === 1, r.err);
  return (JSON.parse(r.out) as { findings: JsonFinding[] }).findings;
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('querylens stats against PostgreSQL (pg_stat_statements)', function () {
  this.timeout(300000);
  let cluster: Cluster;
  let admin: Client;
  let dir: string;
  let url: string;
  const hypopg = hasExtension('hypopg');

  before(async () => {
    cluster = await startCluster();
    admin = new Client({ host: cluster.host, port: cluster.port, user: cluster.user, database: cluster.database });
    await admin.connect();
    await admin.query('CREATE EXTENSION pg_stat_statements');
    if (hypopg) await admin.query('CREATE EXTENSION hypopg');
    await admin.query(MIGRATION);
    await admin.query(SEED);
    // A read-only role: reads the tables (pg_stats shows only readable columns) and the statistics views.
    await admin.query(`CREATE ROLE ql_reader LOGIN PASSWORD '${PASSWORD}'`);
    await admin.query('GRANT SELECT ON ALL TABLES IN SCHEMA public TO ql_reader');
    await admin.query('GRANT pg_read_all_stats TO ql_reader');
    // The workload: the application's statements, as the driver sends them.
    await admin.query('SELECT pg_stat_statements_reset()');
    for (let i = 1; i <= 37; i++) await admin.query('SELECT id, name FROM customers WHERE email = $1', [`customer${i}@example.com`]);
    for (let i = 1; i <= 12; i++) await admin.query('SELECT id, sku, qty FROM order_items WHERE order_id = $1', [i]);
    // Table and index counters reach the views when the backend flushes them (at most once a second): now, so
    // that a pull and a later import read the same figures.
    await admin.query('SELECT pg_stat_force_next_flush()');
    await admin.query('SELECT 1');
    dir = tempProject();
    url = `postgres://ql_reader:${PASSWORD}@${cluster.host}:${cluster.port}/${cluster.database}`;
  });

  after(async () => {
    await admin?.end().catch(() => undefined);
    cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  let snapshotText = '';
  let withoutStats: JsonFinding[] = [];

  it('without a snapshot, the model falls back to its defaults (the comparison the rest of the suite makes)', async () => {
    withoutStats = await lint(dir);
    const unindexed = withoutStats.filter((f) => f.ruleId === 'unindexed-predicate').map((f) => f.line);
    assert.ok(unindexed.includes(lineOf(CODE, 'FROM regions WHERE code')), 'the lookup table is flagged on default sizes');
    const n1 = withoutStats.find((f) => f.ruleId === 'n-plus-one');
    assert.equal(n1?.estimate?.assumptions.find((a) => a.name === 'iterations')?.source, 'default');
  });

  it('stats pull, as a read-only role: row counts within 20 %, no data values, no password, a valid schema', async () => {
    const r = await cli(dir, ['stats', 'pull', '--database-url', url]);
    assert.equal(r.code, 0, r.err);
    snapshotText = fs.readFileSync(path.join(dir, 'querylens.stats.json'), 'utf8');
    const snap = JSON.parse(snapshotText);
    const expected: Record<string, number> = { 'public.regions': 20, 'public.customers': 100000, 'public.orders': 50000, 'public.order_items': 100000 };
    for (const [t, n] of Object.entries(expected)) {
      const rows = snap.tables[t]?.rows;
      assert.ok(Math.abs(rows - n) <= 0.2 * n, `${t}: ${rows} rows vs ${n}`);
    }
    assert.equal(snap.tables['public.customers'].columns.email.nDistinct, -1);
    assert.equal(snap.tables['public.orders'].columns.status.nDistinct, 4);
    // No data: no email, status word or sku of the seed; no most-common values; no password or user.
    for (const value of ['customer1@example.com', 'example.com', 'shipped', 'cancelled', 'sku-1', 'Region 1', PASSWORD, 'ql_reader']) {
      assert.ok(!snapshotText.includes(value), `the snapshot contains ${value}`);
    }
    assert.ok(!/mostCommonValues/.test(snapshotText));
    const ajv = new Ajv({ strict: true, allErrors: true });
    const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'querylens.stats.schema.json'), 'utf8')));
    const valid: boolean = validate(structuredClone(snap));
    assert.ok(valid, JSON.stringify(validate.errors));
    // pg_stat_statements: the application's statements, normalised, none of ours.
    const email = snap.statements.find((s: { query: string }) => /FROM customers WHERE email = \$1/.test(s.query));
    assert.equal(email?.calls, 37);
    assert.ok(!snap.statements.some((s: { query: string }) => /querylens-stats|pg_catalog/.test(s.query)));
    // Drift: the hand-made index is reported; nothing is missing.
    assert.match(r.err, /index in the database but in no migration: public\.customers customers_name_idx/);
    assert.doesNotMatch(r.err, /in the migrations but not in the database/);
  });

  it('the pull wrote nothing and ran no EXPLAIN ANALYZE: the role only read', async () => {
    const rows = (
      await admin.query(
        "SELECT query FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'ql_reader' AND (query ~* '^\\s*(insert|update|delete|create|alter|drop|analyze|vacuum|grant|truncate)' OR query ~* 'explain\\s*\\(?\\s*analy')",
      )
    ).rows;
    assert.deepEqual(rows, []);
    // And the transaction was read-only: a write through the same statements would have failed.
    assert.match(snapshotText, /"format": 1/);
  });

  it('with the snapshot, lint is quiet on the lookup table and the status column and warns on the unique column with its real rows', async () => {
    const after = await lint(dir);
    const unindexed = after.filter((f) => f.ruleId === 'unindexed-predicate');
    assert.ok(!unindexed.some((f) => f.line === lineOf(CODE, 'FROM regions WHERE code')), 'lookup table: 20 rows, a scan is cheaper');
    assert.ok(!unindexed.some((f) => f.line === lineOf(CODE, 'FROM orders WHERE status')), 'status: 4 values, each a quarter of the rows');
    const email = unindexed.find((f) => f.line === lineOf(CODE, 'FROM customers WHERE email'));
    assert.ok(email, JSON.stringify(unindexed.map((f) => f.message)));
    assert.equal(email.severity, 'warning');
    const tableRows = email.estimate!.assumptions.find((a) => a.name === 'tableRows')!;
    assert.equal(tableRows.source, 'stats');
    assert.ok(Math.abs(Number(tableRows.value) - 100000) <= 20000, `tableRows ${tableRows.value}`);
    const matching = email.estimate!.assumptions.find((a) => a.name === 'matchingRows')!;
    assert.equal(matching.source, 'stats');
    assert.equal(Math.round(Number(matching.value)), 1);
    assert.match(email.estimate!.summary, /sequential scan of ≈ 100K rows/);
    // Measured: the 37 executions of the workload, matched by fingerprint.
    assert.equal(email.measured?.calls, 37);
    assert.equal(email.measured?.matchedBy, 'fingerprint');
  });

  it('takes the N+1 iteration count from the fan-out of the relation, and measures the looped statement', async () => {
    const after = await lint(dir);
    const n1 = after.find((f) => f.ruleId === 'n-plus-one');
    assert.ok(n1?.estimate);
    const it = n1.estimate.assumptions.find((a) => a.name === 'iterations')!;
    assert.equal(it.source, 'stats');
    // 50 000 orders over 5 000 customers: 10 per customer.
    assert.ok(Math.abs(Number(it.value) - 10) <= 2, `iterations ${it.value}`);
    assert.match(it.note ?? '', /fan-out of orders\.customer_id/);
    assert.match(n1.message, /≈ 10 round trips/);
    assert.equal(n1.measured?.calls, 12);
  });

  it('stats sql + stats import give the same snapshot as stats pull', async function () {
    const bin = findPgBin();
    const psql = bin && path.join(bin, 'psql');
    if (!psql || !fs.existsSync(psql)) this.skip();
    const script = await cli(dir, ['stats', 'sql']);
    assert.equal(script.code, 0);
    const scriptFile = path.join(dir, 'querylens-stats.sql');
    fs.writeFileSync(scriptFile, script.out);
    const run = spawnSync(psql!, ['-X', '-q', '-At', '-f', scriptFile, url], { encoding: 'utf8', timeout: 60000 });
    assert.equal(run.status, 0, run.stderr);
    const outFile = path.join(dir, 'querylens-stats.out');
    fs.writeFileSync(outFile, run.stdout);
    const imported = await cli(dir, ['stats', 'import', outFile, '--output', 'imported.stats.json']);
    assert.equal(imported.code, 0, imported.err);
    const a = JSON.parse(snapshotText);
    const b = JSON.parse(fs.readFileSync(path.join(dir, 'imported.stats.json'), 'utf8'));
    delete a.source.pulledAt;
    delete b.source.pulledAt;
    assert.deepEqual(b, a);
  });

  it('stats pull --explain records generic plans; unindexed-predicate defers to the planner (and to hypopg when installed)', async () => {
    const r = await cli(dir, ['stats', 'pull', '--database-url', url, '--explain']);
    assert.equal(r.code, 0, r.err);
    const snap = JSON.parse(fs.readFileSync(path.join(dir, 'querylens.stats.json'), 'utf8'));
    const plans = Object.values(snap.plans) as { query: string; scans: { node: string; relation?: string; index?: string }[]; hypothetical?: { used: boolean; totalCost: number } }[];
    const email = plans.find((p) => /FROM customers WHERE email/.test(p.query));
    assert.ok(email, 'the email statement was planned');
    assert.deepEqual(email.scans.map((s) => [s.node, s.relation]), [['Seq Scan', 'public.customers']]);
    const items = plans.find((p) => /FROM order_items WHERE order_id/.test(p.query));
    assert.ok(items?.scans.some((s) => /Index|Bitmap/.test(s.node) && s.relation === 'public.order_items'));
    const after = await lint(dir);
    const finding = after.find((f) => f.ruleId === 'unindexed-predicate' && f.line === lineOf(CODE, 'FROM customers WHERE email'));
    assert.ok(finding?.estimate, JSON.stringify(after.map((f) => [f.ruleId, f.line, f.message])) + JSON.stringify(email));
    assert.ok(finding.estimate.assumptions.some((a) => a.name === 'plannerScan'));
    if (hypopg) {
      assert.equal(email.hypothetical?.used, true, JSON.stringify(snap.plans));
      assert.ok(finding.estimate.assumptions.some((a) => a.name === 'plannerCostWithIndex'));
      assert.match(finding.estimate.summary, /hypothetical index/);
    }
  });

  it('without DATABASE_URL or --database-url, stats pull refuses and names both; a config file never supplies one', async () => {
    fs.writeFileSync(path.join(dir, 'querylens.config.json'), JSON.stringify({ databaseUrl: url }));
    const bad = await cli(dir, ['stats', 'pull']);
    assert.equal(bad.code, 2);
    fs.writeFileSync(path.join(dir, 'querylens.config.json'), '{}\n');
    const none = await cli(dir, ['stats', 'pull']);
    assert.equal(none.code, 2);
    assert.match(none.err, /set DATABASE_URL or pass --database-url/);
    const wrong = await cli(dir, ['stats', 'pull', '--database-url', `postgres://ql_reader:${PASSWORD}@127.0.0.1:1/x`]);
    assert.equal(wrong.code, 2);
    assert.ok(!wrong.err.includes(PASSWORD), 'the password is never printed');
  });
});
