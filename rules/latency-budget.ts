/**
 * latency-budget: a function or route handler whose queries, summed, exceed
 * the latency budget set for it (config `budgets`, by function name or route
 * pattern, or a `// querylens-budget 10ms` comment above the function).
 *
 * The sum comes from engine/model/budgets.ts: each query the handler runs
 * (directly or through project helpers) estimated by the cost model from the
 * schema, times the iterations of the loops around it. The finding sits on
 * the function's name (or the route string of an inline handler); related
 * locations are the biggest contributors; the estimate is the sum now vs the
 * sum after fixing the top contributors (batching looped queries, indexing
 * scanned ones), or, when none of them can be made cheaper, running the
 * independent statements concurrently.
 */
import type { RuleContext } from '../engine/context';
import { amdahlSpeedup, formatMs, formatRatio } from '../engine/model';
import { budgetedFunctions, functionCost, type QueryCost } from '../engine/model/budgets';
import type { Assumption } from '../engine/types';
import { defineRule } from './define-rule';

/** How many contributors the finding names and fixes. */
const TOP = 3;

function contributorText(q: QueryCost): string {
  const times = q.count > 1 ? ` × ${Math.round(q.count)}${q.countSource === 'default' ? ' (default loop size)' : ''}` : '';
  return `${q.label}${times} ≈ ${formatMs(q.totalMs)}${q.fix ? `; fix: ${q.fix} → ≈ ${formatMs(q.fixedTotalMs)}` : ''}`;
}

type Budgeted = ReturnType<typeof budgetedFunctions>[number];
type Cost = ReturnType<typeof functionCost>;

/** What fixing would give: the top savers' fixes, or (none) the statements run concurrently; the time after and how it is said. */
function remedyOf(cost: Cost): { savers: QueryCost[]; fixedMs: number; remedy: string } {
  // Fix the biggest savings first.
  const savers = [...cost.queries]
    .filter((q) => q.totalMs - q.fixedTotalMs > 1e-9)
    .sort((a, b) => b.totalMs - b.fixedTotalMs - (a.totalMs - a.fixedTotalMs))
    .slice(0, TOP);
  if (savers.length) {
    const fixedMs = cost.totalMs - savers.reduce((s, q) => s + (q.totalMs - q.fixedTotalMs), 0);
    return { savers, fixedMs, remedy: `fixing ${savers.length === 1 ? 'the top contributor' : `the top ${savers.length} contributors`} (${savers.map((q) => q.fix).join('; ')}) gives ≈ ${formatMs(fixedMs)}` };
  }
  // Nothing to batch or index: the statements' round trips are the cost. Concurrently
  // (Promise.all over independent queries) the request waits for the slowest one only.
  const fixedMs = Math.max(...cost.queries.map((q) => q.totalMs));
  return { savers, fixedMs, remedy: `run independent statements concurrently (Promise.all) ≈ ${formatMs(fixedMs)}, or cache (the seed's caching layer cut database load 80 %)` };
}

/** The estimate's inputs: the budget, the executions, the cost model's parameters, the loop size and the table size when defaulted. */
function assumptionsOf(ctx: RuleContext, fn: Budgeted, cost: Cost, origin: string, executions: number): Assumption[] {
  const loops = cost.queries.filter((q) => q.count > 1);
  const assumptions: Assumption[] = [
    { name: 'budgetMs', value: fn.budgetMs, unit: 'ms', source: fn.budgetSource === 'code' ? 'code' : 'config', note: fn.budgetSource === 'code' ? origin : `budgets["${fn.budgetKey}"]` },
    {
      name: 'queries',
      value: executions,
      source: loops.some((q) => q.countSource !== 'code') ? loops.find((q) => q.countSource !== 'code')!.countSource : 'code',
      note: `executions per call, run one after another (${cost.queries.length} statement${cost.queries.length === 1 ? '' : 's'} in the code)`,
    },
    ctx.model.param('roundTripMs', 'ms'),
    ctx.model.param('statementOverheadMs', 'ms'),
  ];
  if (loops.length) {
    const q = loops[0];
    assumptions.push({
      name: 'iterations',
      value: q.count,
      source: q.countSource,
      note: q.countSource === 'default' ? 'loop size unknown; set model.defaultLoopIterations or bound it with take/LIMIT' : `loop around ${q.label}`,
    });
  }
  if (cost.queries.some((q) => q.table && ctx.table(q.table)?.rows === undefined)) {
    assumptions.push(ctx.model.param('defaultTableRows', 'rows'));
  }
  return assumptions;
}

/** The hover's table of contributors and Amdahl's law over the request's database time (the fixed part's share f, its own speed-up s). */
function hoverOf(fn: Budgeted, cost: Cost, byCost: QueryCost[], savers: QueryCost[], fixedMs: number): string {
  const part = savers.length ? savers : cost.queries;
  const partNow = part.reduce((s, q) => s + q.totalMs, 0);
  const partFixed = partNow - (cost.totalMs - fixedMs);
  const f = cost.totalMs > 0 ? partNow / cost.totalMs : 0;
  const s = partFixed > 0 ? partNow / partFixed : Infinity;
  return [
    `**Contributors to \`${fn.name}\`** (${formatMs(cost.totalMs)} of ${formatMs(fn.budgetMs)}):`,
    '',
    '| query | runs | each | total | share | after fix |',
    '| --- | --- | --- | --- | --- | --- |',
    ...byCost.map(
      (q) =>
        `| ${q.label.replace(/\|/g, '\\|')} | ${Math.round(q.count)} | ${formatMs(q.onceMs)} | ${formatMs(q.totalMs)} | ${Math.round((q.totalMs / cost.totalMs) * 100)} % | ${formatMs(q.fixedTotalMs)} |`,
    ),
    '',
    `Amdahl's law: the part fixed is ${Math.round(f * 100)} % of the request's database time and gets ${formatRatio(s)} faster, so the request's` +
      ` database time speeds up ${formatRatio(amdahlSpeedup(f, s))} (${formatMs(cost.totalMs)} → ${formatMs(fixedMs)}).`,
  ].join('\n');
}

function check(ctx: RuleContext): void {
  const fns = budgetedFunctions(ctx.project, ctx.file.path);
  for (const fn of fns) {
    const cost = functionCost(ctx.project, fn.file, fn.node, ctx.model);
    if (cost.queries.length === 0 || !(cost.totalMs > fn.budgetMs)) continue;
    const byCost = [...cost.queries].sort((a, b) => b.totalMs - a.totalMs);
    const top = byCost.slice(0, TOP);
    const { savers, fixedMs, remedy } = remedyOf(cost);
    if (!(fixedMs < cost.totalMs)) continue;
    const within = fixedMs <= fn.budgetMs;
    const origin = fn.budgetSource === 'code' ? `\`// ${fn.budgetKey}\`` : `config budgets["${fn.budgetKey}"]`;
    // "Queries" are executions, as everywhere: a statement in a loop of 100 is 100 queries.
    const executions = Math.round(cost.queries.reduce((n, q) => n + q.count, 0));
    const sites = cost.queries.length > 1 && executions !== cost.queries.length ? ` from ${cost.queries.length} statements in the code` : '';
    const message =
      `\`${fn.name}\` runs ${executions} quer${executions === 1 ? 'y' : 'ies'}${sites} ≈ ${formatMs(cost.totalMs)} per call, over its ` +
      `${formatMs(fn.budgetMs)} budget (${origin}); biggest: ${contributorText(top[0])}. ` +
      `${remedy[0].toUpperCase()}${remedy.slice(1)}${within ? ', within budget' : ', still over budget'}.`;
    const related = top.map((q) => ({
      file: q.file,
      range: q.range,
      message: `${Math.round((q.totalMs / cost.totalMs) * 100)} % of the request: ${contributorText(q)}`,
    }));
    ctx.report({
      message,
      range: fn.nameRange,
      related,
      estimate: {
        currentMs: cost.totalMs,
        fixedMs,
        assumptions: assumptionsOf(ctx, fn, cost, origin, executions),
        summary: `≈ ${formatMs(cost.totalMs)} of queries per call vs a ${formatMs(fn.budgetMs)} budget; after fixing the top contributors ≈ ${formatMs(fixedMs)}`,
        // The function's whole database time: the N+1s and scans inside it are findings of their own.
        aggregate: true,
      },
      hoverDetail: hoverOf(fn, cost, byCost, savers, fixedMs),
    });
  }
}

export default defineRule({
  id: 'latency-budget',
  meta: {
    summary: 'A function or route handler whose estimated query time exceeds its latency budget.',
    defaultSeverity: 'warning',
    fix: 'never',
    languages: ['ts'],
    docs: {
      what:
        'Sums the estimated latency of every query a function runs — directly, inside loops (times the loop size) and through project helpers — and reports the function when the sum exceeds the budget set for it: `budgets` in querylens.config.json by function name (`"getFeatures": 10`) or route pattern (`"GET /features/*": 10`, matching Express/Fastify registrations and Nest `@Get` methods), or a `// querylens-budget 10ms` comment on the line above the function.',
      why:
        "Each statement costs at least a round trip plus parse/plan/execute, and a handler's statements usually run one after another: three sequential lookups and an N+1 loop add up to more than a feature store's 10 ms p99 (the seed's case study: feature store < 10 ms, vector search < 20 ms, metadata < 5 ms). By Amdahl's law, fixing the largest contributor gives most of the gain.",
      example: {
        language: 'ts',
        code: [
          "import { Pool } from 'pg';",
          'const pool = new Pool();',
          '',
          '// querylens-budget 5ms',
          'export async function getFeatures(ids: number[]) {',
          '  const out = [];',
          '  for (const id of ids) {',
          "    out.push(await pool.query('SELECT id, name FROM features WHERE id = $1', [id]));",
          '  }',
          '  return out;',
          '}',
        ].join('\n'),
      },
      useInstead: {
        language: 'ts',
        code: [
          "import { Pool } from 'pg';",
          'const pool = new Pool();',
          '',
          '// querylens-budget 5ms',
          'export async function getFeatures(ids: number[]) {',
          "  return pool.query('SELECT id, name FROM features WHERE id = ANY($1)', [ids]);",
          '}',
        ].join('\n'),
      },
      fixSafety: 'No automatic fix: the remedy is in the contributing queries (their own findings carry fixes). The "disable for this line" suggestion records an accepted budget overrun.',
      estimate:
        'Sum over the queries of one call: roundTripMs + statementOverheadMs + scan (sequential: table rows ÷ seqScanRowsPerMs; index: descent + matching rows) + transfer, times loop iterations (defaultLoopIterations when the code does not tell — a default, set it). Table rows come from config `tables` (defaultTableRows otherwise — a default). Fixed: the top contributors batched/indexed, or the statements run concurrently.',
      whenNotToUse: 'Budgets are for request paths; background jobs with no latency target need none.',
    },
  },
  check,
});
