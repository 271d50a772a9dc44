/**
 * The performance model (engine/model): formula composition, parameter
 * sources, the per-finding estimates, the seed's inference-latency model,
 * Amdahl's law, budgets (detection, route matching, summing) and the hover.
 */
import assert from 'node:assert/strict';
import { defaultConfig } from '../../engine/config';
import {
  amdahlSpeedup,
  budgetImpact,
  calculateInferenceLatency,
  CostModel,
  DEFAULT_PARAMS,
  formatMs,
  isLargeType,
  PARAM_DOCS,
  typeWidth,
} from '../../engine/model';
import { budgetedFunctions, functionCost, routeMatches } from '../../engine/model/budgets';
import { hoverMarkdown } from '../../engine/model/hover';
import { Project } from '../../engine/project';
import { initParser } from '../../engine/sql/parser';
import type { Finding } from '../../engine/types';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);

describe('model: parameters', () => {
  it('documents every parameter and keeps defaults positive', () => {
    for (const k of Object.keys(DEFAULT_PARAMS) as (keyof typeof DEFAULT_PARAMS)[]) {
      assert.ok(PARAM_DOCS[k], `${k} has no PARAM_DOCS entry`);
      assert.ok(DEFAULT_PARAMS[k] > 0, `${k} default must be positive`);
    }
    assert.deepEqual(Object.keys(PARAM_DOCS).sort(), Object.keys(DEFAULT_PARAMS).sort());
  });
  it('marks config overrides as config and the rest as defaults to set; ignores unknown or bad values', () => {
    const m = new CostModel({ roundTripMs: 1.5, nonsense: 3, seqScanRowsPerMs: -1 });
    assert.equal(m.params.roundTripMs, 1.5);
    assert.equal(m.params.seqScanRowsPerMs, DEFAULT_PARAMS.seqScanRowsPerMs);
    assert.deepEqual(m.param('roundTripMs', 'ms'), { name: 'roundTripMs', value: 1.5, unit: 'ms', source: 'config', note: undefined });
    assert.equal(m.param('statementOverheadMs').source, 'default');
    assert.match(m.param('statementOverheadMs').note ?? '', /set model\.statementOverheadMs/);
  });
});

describe('model: per query', () => {
  const m = new CostModel();
  const p = m.params;
  it('is round trip + statement overhead + scan + transfer', () => {
    const seq = m.queryMs({ access: 'seq', tableRows: 1e6, rowsReturned: 10, rowBytes: 100, columns: 3 });
    close(seq, p.roundTripMs + p.statementOverheadMs + 1e6 / p.seqScanRowsPerMs + 10 * (p.resultRowMs + 3 * p.resultValueMs) + 1000 / p.bandwidthBytesPerMs + 1000 / p.decodeBytesPerMs);
    const idx = m.queryMs({ access: 'index', tableRows: 1e6, rowsReturned: 10, rowBytes: 100, columns: 3, lookups: 4 });
    close(idx, p.roundTripMs + p.statementOverheadMs + 4 * p.indexDescentMs + 10 * p.indexRowMs + 10 * (p.resultRowMs + 3 * p.resultValueMs) + 1000 / p.bandwidthBytesPerMs + 1000 / p.decodeBytesPerMs);
    close(m.queryMs({ access: 'none', tableRows: 0, rowsReturned: 0, rowBytes: 0 }), p.roundTripMs + p.statementOverheadMs);
  });
  it('grows with the table for a sequential scan only', () => {
    const q = (access: 'seq' | 'index', tableRows: number) => m.queryMs({ access, tableRows, rowsReturned: 1, rowBytes: 50 });
    assert.ok(q('seq', 1e7) > 100 * q('seq', 1e3));
    close(q('index', 1e7), q('index', 1e3));
  });
});

describe('model: finding estimates', () => {
  const m = new CostModel();
  it('N+1: N statements vs one batched statement with N lookups', () => {
    const one = { access: 'index' as const, tableRows: 1e6, rowsReturned: 1, rowBytes: 60, columns: 4 };
    const e = m.nPlusOne({ value: 100, source: 'code' }, one);
    close(e.currentMs, 100 * m.queryMs(one));
    close(e.fixedMs, m.queryMs({ ...one, rowsReturned: 100, lookups: 100 }));
    assert.ok(e.currentMs / e.fixedMs > 10);
    assert.equal(e.assumptions[0].source, 'code');
    assert.match(e.summary, /100 round trips/);
  });
  it('unindexed: sequential scan vs index, and no gain to speak of on a tiny table', () => {
    const big = m.unindexed({ value: 5e7, source: 'config' }, { value: 10, source: 'default' }, 64);
    assert.ok(big.currentMs > 1000 && big.fixedMs < 2, `${big.currentMs} → ${big.fixedMs}`);
    const tiny = m.unindexed({ value: 50, source: 'config' }, { value: 1, source: 'default' }, 64);
    assert.ok(tiny.currentMs / tiny.fixedMs < 1.1);
  });
  it('cartesian: row pairs vs joined rows; over-fetch: bytes not read', () => {
    const c = m.cartesian({ value: 1000, source: 'config' }, { value: 1000, source: 'config' }, { value: 1000, source: 'code' }, 40);
    assert.ok(c.currentMs > 100 * c.fixedMs);
    const o = m.overFetch({ value: 500, source: 'code' }, 2100, 40, { columnsFetched: 3, columnsUsed: 2 });
    assert.ok(o.currentMs > o.fixedMs);
    close(o.currentMs - o.fixedMs, m.transferMs(500, 2100, 3) - m.transferMs(500, 40, 2));
    // bytesUsed larger than bytesAll cannot make the fix slower.
    const same = m.overFetch({ value: 10, source: 'code' }, 100, 500, { columnsFetched: 2, columnsUsed: 2 });
    close(same.currentMs, same.fixedMs);
  });
  it('reads roundTripMs from config', () => {
    const slow = new CostModel({ roundTripMs: 5 });
    const one = { access: 'index' as const, tableRows: 1e6, rowsReturned: 1, rowBytes: 60 };
    assert.ok(slow.nPlusOne({ value: 10, source: 'code' }, one).currentMs > 50);
    assert.equal(slow.nPlusOne({ value: 10, source: 'code' }, one).assumptions.find((a) => a.name === 'roundTripMs')?.source, 'config');
  });
});

describe('model: seed formulas', () => {
  it("calculate_inference_latency as the seed writes it", () => {
    // 200 features, 4 ms database, 1 ms network, 3 ms model: 4·2 + 1·4 + 3.
    close(calculateInferenceLatency(200, 4, 1, 3), 15);
    close(calculateInferenceLatency(0, 4, 1, 3), 3);
  });
  it("Amdahl's law", () => {
    close(amdahlSpeedup(0, 10), 1);
    close(amdahlSpeedup(1, 10), 10);
    close(amdahlSpeedup(0.5, Infinity), 2);
    // The seed's index optimisation (−65 % p99 ⇒ 1/0.35 faster) on a request that is 60 % database.
    close(amdahlSpeedup(0.6, 1 / 0.35), 1 / (0.4 + 0.6 * 0.35));
    close(amdahlSpeedup(2, 4), 4);
  });
  it('budget impact: share of the budget and the request after the fix', () => {
    const b = budgetImpact(10, 20, 15, 1);
    close(b.budgetShare, 1.5);
    close(b.requestShare, 0.75);
    close(b.requestFixedMs, 6);
    close(b.requestSpeedup, 20 / 6);
  });
});

describe('model: widths and formatting', () => {
  it('widths from column types', () => {
    const p = DEFAULT_PARAMS;
    assert.equal(typeWidth('int8', p), 8);
    assert.equal(typeWidth('INTEGER', p), 4);
    assert.equal(typeWidth('varchar(40)', p), p.textWidthBytes);
    assert.equal(typeWidth('jsonb', p), p.largeColumnBytes);
    assert.equal(isLargeType('bytea'), true);
    assert.equal(isLargeType('text'), false);
  });
  it('formats milliseconds', () => {
    assert.equal(formatMs(0.0042), '4.2 µs');
    assert.equal(formatMs(0.5), '0.50 ms');
    assert.equal(formatMs(3.21), '3.2 ms');
    assert.equal(formatMs(160), '160 ms');
    assert.equal(formatMs(25000), '25.0 s');
  });
});

describe('model: hover', () => {
  const f: Omit<Finding, 'hover'> = {
    ruleId: 'n-plus-one',
    severity: 'warning',
    message: 'Query runs once per element',
    file: 'a.ts',
    range: { start: 0, end: 1 },
    related: [],
    fixes: [{ title: 'Batch with = ANY($1)', safety: 'safe', edits: [] }],
    estimate: {
      currentMs: 8,
      fixedMs: 0.5,
      summary: '≈ 100 round trips',
      assumptions: [
        { name: 'iterations', value: 100, source: 'default', note: 'set model.defaultLoopIterations' },
        { name: 'roundTripMs', value: 0.5, unit: 'ms', source: 'config' },
      ],
    },
  };
  it('shows now → fixed, the speed-up and inputs with their source, defaults flagged', () => {
    const h = hoverMarkdown(f);
    assert.match(h, /8\.0 ms → 0\.50 ms after the fix \(16× faster\)/);
    assert.match(h, /\| iterations \| 100 \| \*\*default\*\* — set it: set model\.defaultLoopIterations \|/);
    assert.match(h, /\| roundTripMs \| 0\.5 ms \| config \|/);
    assert.match(h, /Quick fix: Batch with = ANY\(\$1\)/);
  });
  it("adds the budget share and Amdahl's law for the request when the function has a budget", () => {
    const h = hoverMarkdown(f, undefined, { name: 'getFeatures', budgetMs: 10, budgetOrigin: 'config', requestMs: 12 });
    assert.match(h, /Latency budget of `getFeatures`:\*\* 10 ms/);
    assert.match(h, /This query ≈ 8\.0 ms = 80 % of the budget; all queries of one call ≈ 12 ms \(120 % of the budget, \*\*over\*\*\)/);
    // f = 8/12, s = 16: 1 / (1/3 + 2/3/16) = 2.67×; 12 − 8 + 0.5 = 4.5 ms.
    assert.match(h, /this query is 67 % of the request's database time; fixing it \(16×\) speeds the request up 2\.7×, to ≈ 4\.5 ms \(within the budget\)/);
  });
});

describe('model: budgets', () => {
  before(() => initParser());

  it('matches route patterns by method and segments', () => {
    assert.equal(routeMatches('GET /features/*', 'GET /features/:id'), true);
    assert.equal(routeMatches('GET /features/*', 'POST /features/:id'), false);
    assert.equal(routeMatches('/features/:id', 'PUT /features/:id'), true);
    assert.equal(routeMatches('GET /features/*', 'GET /features/:id/history'), false);
    assert.equal(routeMatches('GET /features/**', 'GET /features/:id/history'), true);
    assert.equal(routeMatches('getFeatures', 'GET /features/:id'), false);
  });

  function project(budgets: Record<string, number>, files: Record<string, string>): Project {
    const cfg = defaultConfig();
    cfg.budgets = budgets;
    cfg.tables = { items: { rows: 1e6 } };
    const p = new Project(cfg);
    p.setFile('schema.sql', 'CREATE TABLE items (id bigint PRIMARY KEY, owner text, payload jsonb);');
    for (const [k, v] of Object.entries(files)) p.setFile(k, v);
    return p;
  }

  it('finds budgets by name, class method, route and comment', () => {
    const p = project(
      { load: 5, 'Ctl.show': 7, 'GET /items/*': 9, 'GET /things/*': 11 },
      {
        'a.ts': [
          'export async function load() {}',
          '// querylens-budget 3ms',
          'export const viaComment = async () => {};',
          'export async function unbudgeted() {}',
          "app.get('/items/:id', async (req, res) => {});",
          "app.get('/items/:id/more', named);",
          'async function named() {}',
          "@Controller('things') class Ctl { @Get(':id') show() { return 1; } }",
        ].join('\n'),
      },
    );
    const got = budgetedFunctions(p, 'a.ts').map((b) => `${b.name}=${b.budgetMs}/${b.budgetSource}`);
    assert.deepEqual(got.sort(), ['Ctl.show=7/config', 'GET /items/:id=9/config', 'load=5/config', 'viaComment=3/code'].sort());
  });

  it('sums the queries of a function, loops multiplied, helpers followed', () => {
    const p = project(
      { handler: 10 },
      {
        'h.ts': [
          "import { Pool } from 'pg';",
          'const pool = new Pool();',
          'async function helper(id: number) {',
          "  return pool.query('SELECT id, owner FROM items WHERE id = $1', [id]);",
          '}',
          'export async function handler() {',
          "  await pool.query('SELECT id FROM items WHERE owner = $1', ['x']);",
          '  for (const id of [1, 2, 3]) {',
          '    await helper(id);',
          '  }',
          '}',
        ].join('\n'),
      },
    );
    const fn = budgetedFunctions(p, 'h.ts')[0];
    assert.equal(fn.name, 'handler');
    const cost = functionCost(p, 'h.ts', fn.node, p.model);
    const scan = cost.queries.find((q) => q.access === 'seq');
    const looped = cost.queries.find((q) => q.count === 3);
    assert.ok(scan, 'the unindexed owner filter is a sequential scan');
    assert.ok(looped, 'the helper query runs 3 times (array literal)');
    assert.equal(looped.countSource, 'code');
    close(cost.totalMs, scan.totalMs + looped.totalMs);
    assert.ok(scan.fixedTotalMs < scan.totalMs && looped.fixedTotalMs < looped.totalMs);
  });
});
