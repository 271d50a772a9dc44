/**
 * Calibration of the performance model against a real PostgreSQL, as a
 * benchmark (`npm run calibrate`; mission §4: predicted speed-ups within 2× of
 * measured). It reports and asserts nothing: wall-clock time on a shared
 * machine measures the machine's load as much as PostgreSQL (on a loaded
 * 2-core machine the N+1 case measured 11× against a predicted 26×). What
 * does not depend on load (plan shapes, statement counts, rows, buffers) is
 * asserted by the db suite, test/db/calibration.test.ts.
 *
 * Starts a throw-away cluster (test/db/cluster.ts), loads tables of realistic
 * size with generate_series, and times each anti-pattern against its fix with
 * the `pg` client over loopback TCP (median of repeated runs, after a warm-up
 * run). The model is given the same inputs: N, table rows, matching rows,
 * column count and average row widths as measured in the loaded data, and
 * `roundTripMs` set to the measured `SELECT 1` round trip. Every other
 * parameter keeps its default, so this also checks the defaults in
 * engine/model/params.ts (which cite this run).
 *
 * Writes test-results/calibration.md and prints it. Stops and removes the
 * cluster even when a step fails.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { CostModel, formatMs } from '../engine/model';
import type { Estimate } from '../engine/types';
import { calibrationScheduling, type Cluster, scheduleSelf, startCluster } from '../test/db/cluster';
import { CARTESIAN_COLS, EVENT_COLS, N_PLUS_ONE_IDS, USER_COLS, loadCalibrationTables, textWidth } from '../test/db/calibration-data';

const TOLERANCE = 2;

interface CaseResult {
  name: string;
  detail: string;
  predicted: Estimate;
  measuredNowMs: number;
  measuredFixedMs: number;
  /** Median slow ÷ median fixed. */
  measuredSpeedup: number;
}

interface PairTiming {
  /** Medians over all runs. */
  nowMs: number;
  fixedMs: number;
  /** Median `SELECT 1` round trip measured in the same rounds: the model's roundTripMs. */
  rttMs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median wall time of `runs` calls after one warm-up call. `i` lets each run use other keys. */
async function timeIt(runs: number, f: (i: number) => Promise<unknown>): Promise<number> {
  await f(runs);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f(i);
    out.push(performance.now() - t);
  }
  return median(out);
}

/**
 * Times the anti-pattern and its fix in interleaved rounds: each round runs
 * `SELECT 1` five times, the slow form once and the fast form three times,
 * so all three see the same load; results are medians. One warm-up round.
 * Garbage is collected before each timed run when `gc` is exposed.
 */
async function timePair(
  c: Client,
  rounds: number,
  now: (i: number) => Promise<unknown>,
  fixed: (i: number) => Promise<unknown>,
): Promise<PairTiming> {
  // Collect the previous run's garbage outside the timed span (npm run test:db passes
  // --expose-gc): otherwise the fast form pays for the objects the slow form left
  // behind (500 parsed jsonb documents), which is the client's heap, not the query.
  const gcHook = (globalThis as { gc?: () => void }).gc;
  const collect = async () => {
    if (!gcHook) return;
    gcHook();
    // Let V8's concurrent sweeper finish before timing anything, then wake the
    // connection up again: the first statement after an idle pause is slower.
    await new Promise((r) => setTimeout(r, 10));
    await c.query('SELECT 1');
  };
  const once = async (f: (i: number) => Promise<unknown>, i: number) => {
    const t = performance.now();
    await f(i);
    return performance.now() - t;
  };
  await now(rounds);
  await fixed(rounds);
  const nows: number[] = [];
  const fixeds: number[] = [];
  const rtts: number[] = [];
  const ping = () => c.query('SELECT 1');
  for (let r = 0; r < rounds; r++) {
    await collect();
    for (let k = 0; k < 5; k++) rtts.push(await once(ping, k));
    nows.push(await once(now, r));
    await collect();
    for (let k = 0; k < 3; k++) fixeds.push(await once(fixed, 3 * r + k));
  }
  return { nowMs: median(nows), fixedMs: median(fixeds), rttMs: median(rtts) };
}

function speedup(now: number, fixed: number): number {
  return fixed > 0 ? now / fixed : Infinity;
}

function fmtX(x: number): string {
  return x >= 10 ? `${x.toFixed(0)}×` : `${x.toFixed(2)}×`;
}

function report(rows: CaseResult[], rttMs: number, version: string, loadMs: number, priorityNote: string): string {
  const lines = [
    '# Performance-model calibration',
    '',
    `PostgreSQL: ${version}; client: node-pg over loopback TCP; one core per query (max_parallel_workers_per_gather = 0).`,
    `Round trip (\`SELECT 1\`, median) before loading: ${rttMs.toFixed(3)} ms; each case gives the model the median round trip of its own rounds (RTT column) as roundTripMs, and bandwidthBytesPerMs = 1e9 (loopback wire); every other parameter at its default.`,
    `Data load: ${(loadMs / 1000).toFixed(1)} s; load average during the run: ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores.`,
    `Timing: interleaved rounds (\`SELECT 1\` ×5, slow form ×1, fixed form ×3), medians; measured × = median slow ÷ median fixed. ${priorityNote}`,
    `Goal: predicted ÷ measured speed-up within ${TOLERANCE}× either way (reported, not asserted: timings follow the machine's load).`,
    '',
    '| case | inputs | predicted ms now → fixed | measured ms now → fixed | predicted × | measured × | ratio |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const px = speedup(r.predicted.currentMs, r.predicted.fixedMs);
    const mx = r.measuredSpeedup;
    const ratio = px / mx;
    const ok = ratio <= TOLERANCE && ratio >= 1 / TOLERANCE;
    lines.push(
      `| ${r.name} | ${r.detail} | ${formatMs(r.predicted.currentMs)} → ${formatMs(r.predicted.fixedMs)} | ${formatMs(r.measuredNowMs)} → ${formatMs(r.measuredFixedMs)} | ${fmtX(px)} | ${fmtX(mx)} | ${ratio.toFixed(2)}${ok ? '' : ' **out of band**'} |`,
    );
  }
  return lines.join('\n') + '\n';
}


function inBand(r: CaseResult): boolean {
  const ratio = speedup(r.predicted.currentMs, r.predicted.fixedMs) / r.measuredSpeedup;
  return ratio <= TOLERANCE && ratio >= 1 / TOLERANCE;
}

async function measure(c: Client): Promise<Map<string, CaseResult>> {
  const results = new Map<string, CaseResult>();
  // Loopback: the wire is a memory copy (GB/s), so bandwidthBytesPerMs is set out of the way
  // as roundTripMs is set to the loopback round trip; decoding keeps its default.
  const modelAt = (rtt: number) => new CostModel({ roundTripMs: rtt, bandwidthBytesPerMs: 1e9 });

  // 1. N+1: 100 primary-key lookups, one statement each, vs one `= ANY($1)`.
  {
    const ids = N_PLUS_ONE_IDS;
    const sqlOne = `SELECT ${USER_COLS.join(', ')} FROM users WHERE id = $1`;
    const sqlAny = `SELECT ${USER_COLS.join(', ')} FROM users WHERE id = ANY($1)`;
    const m = await timePair(
      c,
      15,
      async () => {
        for (const id of ids) await c.query(sqlOne, [id]);
      },
      () => c.query(sqlAny, [ids]),
    );
    const w = await textWidth(c, 'users', USER_COLS);
    results.set('n-plus-one', {
      name: 'N+1 lookups',
      detail: `RTT ${m.rttMs.toFixed(3)} ms, N=${ids.length}, 200K rows, ${USER_COLS.length} cols, ${w.toFixed(0)} B/row`,
      predicted: modelAt(m.rttMs).nPlusOne(
        { value: ids.length, source: 'code' },
        { access: 'index', tableRows: 200000, rowsReturned: 1, rowBytes: w, columns: USER_COLS.length },
      ),
      measuredNowMs: m.nowMs,
      measuredFixedMs: m.fixedMs,
      measuredSpeedup: m.nowMs / m.fixedMs,
    });
  }

  // 2. Sequential vs index scan: the same predicate on the table as loaded and on an
  //    identical copy with an index (two tables, so the runs can interleave).
  {
    const sql = (t: string) => `SELECT ${EVENT_COLS.join(', ')} FROM ${t} WHERE account_id = $1`;
    const m = await timePair(
      c,
      15,
      (i) => c.query(sql('events'), [101 + i * 997]),
      (i) => c.query(sql('events_ix'), [211 + i * 991]),
    );
    const w = await textWidth(c, 'events', EVENT_COLS);
    const matching = Number((await c.query('SELECT count(*)::int AS n FROM events WHERE account_id = 4242')).rows[0].n);
    results.set('unindexed', {
      name: 'seq scan vs index',
      detail: `RTT ${m.rttMs.toFixed(3)} ms, 500K rows, ${matching} matching, ${w.toFixed(0)} B/row`,
      predicted: modelAt(m.rttMs).unindexed({ value: 500000, source: 'code' }, { value: matching, source: 'code' }, w, EVENT_COLS.length),
      measuredNowMs: m.nowMs,
      measuredFixedMs: m.fixedMs,
      measuredSpeedup: m.nowMs / m.fixedMs,
    });
  }

  // 3. Over-fetching: a jsonb payload fetched and unused vs the two columns used.
  {
    const rows = 500;
    const m = await timePair(
      c,
      21,
      () => c.query('SELECT * FROM documents WHERE id <= $1', [rows]),
      () => c.query('SELECT id, title FROM documents WHERE id <= $1', [rows]),
    );
    const all = await textWidth(c, 'documents', ['id', 'title', 'payload']);
    const used = await textWidth(c, 'documents', ['id', 'title']);
    results.set('over-fetching', {
      name: 'wide vs narrow rows',
      detail: `RTT ${m.rttMs.toFixed(3)} ms, ${rows} rows, ${all.toFixed(0)} B vs ${used.toFixed(0)} B/row (jsonb)`,
      predicted: modelAt(m.rttMs).overFetch({ value: rows, source: 'code' }, all, used, { columnsFetched: 3, columnsUsed: 2, access: 'index', tableRows: 20000 }),
      measuredNowMs: m.nowMs,
      measuredFixedMs: m.fixedMs,
      measuredSpeedup: m.nowMs / m.fixedMs,
    });
  }

  // 4. Cartesian product vs the join it meant.
  {
    const m = await timePair(
      c,
      7,
      () => c.query(`SELECT ${CARTESIAN_COLS.join(', ')} FROM dims d, facts f`),
      () => c.query(`SELECT ${CARTESIAN_COLS.join(', ')} FROM dims d JOIN facts f ON f.dim_id = d.id`),
    );
    const w = (await textWidth(c, 'dims', ['id', 'name'])) + (await textWidth(c, 'facts', ['id', 'label']));
    results.set('cartesian-join', {
      name: 'cartesian vs joined',
      detail: `RTT ${m.rttMs.toFixed(3)} ms, 300 × 1000 rows → 1000 joined, ${w.toFixed(0)} B/row`,
      predicted: modelAt(m.rttMs).cartesian({ value: 300, source: 'code' }, { value: 1000, source: 'code' }, { value: 1000, source: 'code' }, w, CARTESIAN_COLS.length),
      measuredNowMs: m.nowMs,
      measuredFixedMs: m.fixedMs,
      measuredSpeedup: m.nowMs / m.fixedMs,
    });
  }
  return results;
}

async function main(): Promise<number> {
  let cluster: Cluster | undefined;
  let client: Client | undefined;
  let restoreScheduling: (() => void) | undefined;
  let priorityNote = 'Measured at normal priority.';
  try {
    cluster = await startCluster({ scheduling: calibrationScheduling() });
    if (cluster.scheduling !== 'normal') {
      // The client's main thread gets the server's scheduling too (see calibrationScheduling).
      try {
        restoreScheduling = scheduleSelf(cluster.scheduling);
        priorityNote = `Server and client ran with ${cluster.scheduling === 'fifo' ? 'SCHED_FIFO priority 1' : 'niceness −10'} (shared machine; see test/db/cluster.ts).`;
      } catch {
        priorityNote = `Server ran with ${cluster.scheduling} scheduling; the client could not change its own.`;
      }
    }
    client = new Client({ host: cluster.host, port: cluster.port, user: cluster.user, database: cluster.database });
    await client.connect();
    const c = client;
    const rttMs = await timeIt(300, () => c.query('SELECT 1'));
    const t0 = performance.now();
    await loadCalibrationTables(c);
    const loadMs = performance.now() - t0;
    const results = await measure(c);
    const rows = [...results.values()];
    const md = report(rows, rttMs, cluster.version, loadMs, priorityNote);
    fs.mkdirSync('test-results', { recursive: true });
    fs.writeFileSync(path.join('test-results', 'calibration.md'), md);
    console.log(md);
    const inside = rows.filter(inBand).length;
    console.log(`calibrate: ${inside} of ${rows.length} cases within ${TOLERANCE}× of measured (goal: all; load average ${os.loadavg()[0].toFixed(1)})`);
    return 0;
  } catch (e) {
    console.error(`calibrate: ${(e as Error).stack ?? e}`);
    return 2;
  } finally {
    try {
      await client?.end();
    } catch {
      // The server may already be gone.
    }
    cluster?.stop();
    restoreScheduling?.();
  }
}

main().then((code) => {
  process.exitCode = code;
});
