/**
 * The performance model against a real PostgreSQL, asserting only what a busy
 * machine cannot change (`npm run test:db`): statement counts from
 * pg_stat_statements, plan shapes, rows and shared buffers from
 * `EXPLAIN (ANALYZE, BUFFERS, TIMING OFF)`. Each case checks that the model's
 * inputs and its direction (slow form vs fix) are what PostgreSQL does.
 * Timings, and the 2× band of predicted against measured speed-ups, are the
 * benchmark `npm run calibrate` (scripts/calibrate.ts): reported, not asserted.
 */
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { CostModel, typeWidth } from '../../engine/model';
import { CARTESIAN_COLS, EVENT_COLS, N_PLUS_ONE_IDS, USER_COLS, loadCalibrationTables, textWidth } from './calibration-data';
import { type Cluster, startCluster } from './cluster';

/** One node of an EXPLAIN (FORMAT JSON) plan, with the fields the suite reads. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Join Filter'?: string;
  'Hash Cond'?: string;
  Plans?: PlanNode[];
}

export async function explain(c: Client, sql: string, analyze = true): Promise<PlanNode> {
  const opts = analyze ? 'ANALYZE, BUFFERS, TIMING OFF, COSTS OFF, FORMAT JSON' : 'COSTS OFF, FORMAT JSON';
  const r = await c.query(`EXPLAIN (${opts}) ${sql}`);
  return r.rows[0]['QUERY PLAN'][0].Plan as PlanNode;
}

export function nodes(p: PlanNode): PlanNode[] {
  return [p, ...(p.Plans ?? []).flatMap(nodes)];
}

function buffers(p: PlanNode): number {
  return (p['Shared Hit Blocks'] ?? 0) + (p['Shared Read Blocks'] ?? 0);
}

describe('performance model against PostgreSQL: counts, plans, rows, buffers (no timings)', function () {
  this.timeout(240000);
  let cluster: Cluster | undefined;
  let c: Client;
  const model = new CostModel();

  before(async function () {
    cluster = await startCluster();
    c = new Client({ host: cluster.host, port: cluster.port, user: cluster.user, database: cluster.database });
    await c.connect();
    await c.query('CREATE EXTENSION pg_stat_statements');
    await loadCalibrationTables(c);
  });

  after(async function () {
    try {
      await c?.end();
    } catch {
      // The server may already be gone.
    }
    cluster?.stop();
  });

  it('N+1: the loop sends N statements, the batch one; the batch still descends the index once per key', async () => {
    const n = N_PLUS_ONE_IDS.length;
    const one = `SELECT ${USER_COLS.join(', ')} FROM users WHERE id = $1`;
    const any = `SELECT ${USER_COLS.join(', ')} FROM users WHERE id = ANY($1::int8[])`;
    await c.query('SELECT pg_stat_statements_reset()');
    for (const id of N_PLUS_ONE_IDS) await c.query(one, [id]);
    await c.query(any, [N_PLUS_ONE_IDS]);
    const stat = async (sql: string) =>
      (await c.query('SELECT calls::int, rows::int FROM pg_stat_statements WHERE query = $1', [sql])).rows[0] as { calls: number; rows: number } | undefined;
    const loop = await stat(one);
    const batch = await stat(any);
    const est = model.nPlusOne({ value: n, source: 'code' }, { access: 'index', tableRows: 200000, rowsReturned: 1, rowBytes: await textWidth(c, 'users', USER_COLS), columns: USER_COLS.length });
    // The model's round trips are PostgreSQL's executions.
    assert.match(est.summary, new RegExp(`≈ ${n} round trips`));
    assert.deepEqual(loop, { calls: n, rows: n });
    assert.deepEqual(batch, { calls: 1, rows: n });
    // The fix keeps one B-tree descent per key (the model's `lookups` = N, PostgreSQL ≤ 16): buffers scale with N.
    const single = await explain(c, one.replace('$1', String(N_PLUS_ONE_IDS[1])));
    const batched = await explain(c, any.replace('$1::int8[]', `ARRAY[${N_PLUS_ONE_IDS.join(',')}]::int8[]`));
    assert.match(single['Node Type'], /Index/);
    assert.match(batched['Node Type'], /Index/);
    assert.equal(batched['Actual Rows'], n);
    const ratio = buffers(batched) / buffers(single);
    assert.ok(ratio > n / 2 && ratio < n * 2, `batched buffers ${buffers(batched)} vs one lookup ${buffers(single)}: ratio ${ratio}`);
    assert.ok(est.currentMs > est.fixedMs);
  });

  it('unindexed: the scan reads every row and page the model charges for; the index reads only the matches', async () => {
    const sql = (t: string) => `SELECT ${EVENT_COLS.join(', ')} FROM ${t} WHERE account_id = 4242`;
    const seq = await explain(c, sql('events'));
    const idx = await explain(c, sql('events_ix'));
    const scan = nodes(seq).find((x) => x['Node Type'] === 'Seq Scan');
    assert.ok(scan, `expected a Seq Scan on events, got ${nodes(seq).map((x) => x['Node Type'])}`);
    assert.ok(nodes(idx).some((x) => /Index|Bitmap/.test(x['Node Type'])), 'the indexed copy should be read through its index');
    const matching = Number(scan['Actual Rows']);
    const examined = matching + Number(scan['Rows Removed by Filter'] ?? 0);
    const pages = Number((await c.query("SELECT relpages FROM pg_class WHERE relname = 'events'")).rows[0].relpages);
    // The model's sequential scan charges every row of the table: that is what PostgreSQL examined.
    assert.equal(examined, 500000);
    assert.equal(buffers(seq), pages);
    assert.equal(idx['Actual Rows'], matching);
    // Index path: a descent plus at most one heap page per match.
    assert.ok(buffers(idx) <= matching + 5, `index path read ${buffers(idx)} buffers for ${matching} rows`);
    const est = model.unindexed({ value: examined, source: 'code' }, { value: matching, source: 'code' }, await textWidth(c, 'events', EVENT_COLS), EVENT_COLS.length);
    assert.ok(est.currentMs > est.fixedMs, 'the model predicts the gain the buffers show');
  });

  it('over-fetching: same rows, and the schema-derived width of the unused jsonb is within 2× of the bytes sent', async () => {
    const wide = await c.query('SELECT * FROM documents WHERE id <= 500');
    const narrow = await c.query('SELECT id, title FROM documents WHERE id <= 500');
    assert.equal(wide.rowCount, 500);
    assert.equal(narrow.rowCount, 500);
    const payload = await textWidth(c, 'documents', ['payload']);
    const modelled = typeWidth('jsonb', model.params);
    assert.ok(modelled / payload < 2 && payload / modelled < 2, `jsonb modelled ${modelled} B vs sent ${payload.toFixed(0)} B`);
    const est = model.overFetch({ value: 500, source: 'code' }, typeWidth('int8', model.params) + typeWidth('text', model.params) + modelled, typeWidth('int8', model.params) + typeWidth('text', model.params), { columnsFetched: 3, columnsUsed: 2 });
    assert.ok(est.currentMs > est.fixedMs);
  });

  it('cartesian: the product yields rows(a) × rows(b) pairs, the join the joined rows', async () => {
    const product = await explain(c, `SELECT ${CARTESIAN_COLS.join(', ')} FROM dims d, facts f`);
    const joined = await explain(c, `SELECT ${CARTESIAN_COLS.join(', ')} FROM dims d JOIN facts f ON f.dim_id = d.id`);
    assert.equal(product['Node Type'], 'Nested Loop');
    assert.equal(product['Join Filter'], undefined);
    assert.equal(product['Actual Rows'], 300 * 1000);
    assert.ok(nodes(joined).some((x) => x['Node Type'] === 'Hash Join' || x['Node Type'] === 'Merge Join'), 'the join should not be a product');
    assert.equal(joined['Actual Rows'], 1000);
    const est = model.cartesian({ value: 300, source: 'code' }, { value: 1000, source: 'code' }, { value: 1000, source: 'code' }, 40, CARTESIAN_COLS.length);
    assert.match(est.summary, /≈ 300K row pairs/);
    assert.ok(est.currentMs > est.fixedMs);
  });
});
