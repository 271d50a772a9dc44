/**
 * The planner's verdict (`querylens stats pull --explain`): which scans the
 * generic plan of a statement of the code uses, recorded in the snapshot by
 * fingerprint; and the lookup `unindexed-predicate` defers to. Pure.
 */
import { formatMs } from '../model/index';
import type { SchemaModel } from '../schema/types';
import type { Assumption, Estimate } from '../types';
import { fingerprintSql } from '../sql/parser';
import type { PlanScan, PlanVerdict } from './snapshot';

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };

/** The scan nodes of an EXPLAIN (FORMAT JSON) plan, and its total cost. */
export function planScans(plan: Record<string, unknown>): { scans: PlanScan[]; totalCost: number } {
  const scans: PlanScan[] = [];
  const walk = (n: PlanNode): void => {
    const type = String(n['Node Type'] ?? '');
    if (/Scan$/.test(type) && (n['Relation Name'] || n['Index Name'])) {
      const rel = n['Relation Name'] ? `${n.Schema ? `${String(n.Schema)}.` : ''}${String(n['Relation Name'])}` : undefined;
      scans.push({ node: type, ...(rel ? { relation: rel } : {}), ...(n['Index Name'] ? { index: String(n['Index Name']) } : {}) });
    }
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(plan as PlanNode);
  return { scans, totalCost: Number(plan['Total Cost'] ?? 0) };
}

/** The recorded plan of a statement (by its fingerprint), when the snapshot has one. */
export function planFor(schema: SchemaModel, sql: string): PlanVerdict | undefined {
  const plans = schema.stats?.snapshot.plans;
  if (!plans) return undefined;
  const fp = fingerprintSql(sql);
  return fp ? plans[fp] : undefined;
}

/** How the plan reads `table` (unqualified or schema-qualified name): 'seq', 'index' (any index or bitmap scan), or undefined when it does not. */
export function planAccess(plan: PlanVerdict, table: { schema: string; name: string }): 'seq' | 'index' | undefined {
  let seen: 'seq' | 'index' | undefined;
  for (const s of plan.scans) {
    const r = s.relation;
    if (!r || (r !== table.name && r !== `${table.schema}.${table.name}`)) continue;
    if (/Index|Bitmap/.test(s.node)) return 'index';
    if (s.node === 'Seq Scan') seen = 'seq';
  }
  return seen;
}

/**
 * The estimate with the planner's figures: with a hypothetical index that the plan uses, the fix's
 * time is the model's current time scaled by the plan's cost after ÷ before (the planner's own
 * measure of the gain); the plan's scan is recorded as an assumption either way.
 */
export function withPlannerVerdict(e: Estimate, plan: PlanVerdict, table: string): Estimate {
  const assumptions: Assumption[] = [...e.assumptions, { name: 'plannerScan', value: `Seq Scan on ${table} (cost ${+plan.totalCost.toPrecision(4)})`, source: 'stats', note: 'generic plan recorded by querylens stats pull --explain' }];
  const h = plan.hypothetical;
  if (!h?.used || !(plan.totalCost > 0)) return { ...e, assumptions };
  const ratio = Math.min(1, h.totalCost / plan.totalCost);
  const fixedMs = e.currentMs * ratio;
  assumptions.push({ name: 'plannerCostWithIndex', value: +h.totalCost.toPrecision(4), source: 'stats', note: `hypopg: the plan with ${h.index} (hypothetical) costs ${+(ratio * 100).toPrecision(3)} % of the current one` });
  return { ...e, fixedMs, assumptions, summary: `${e.summary.replace(/; with an index ≈ .*$/, '')}; with the index ≈ ${formatMs(fixedMs)} (planner cost ${+plan.totalCost.toPrecision(4)} → ${+h.totalCost.toPrecision(4)} with a hypothetical index)` };
}
