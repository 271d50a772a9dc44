/**
 * Hover text for a finding, as markdown. Produced by the engine so that every
 * editor shows the same words; the server passes it on unchanged.
 *
 * Sections: the rule; the estimate now → after the fix and the speed-up; the
 * summary unless the message (shown above the hover) says it already;
 * the formula's inputs with their source (defaults flagged "set it"); where
 * the enclosing function has a latency budget, the share of it this query
 * eats and, by Amdahl's law, what fixing it does for the whole request; any
 * rule-specific detail; the quick fixes.
 */
import type { Assumption, Estimate, Finding, Measured } from '../types';
import { formatDuration, measuredSavingMs } from './impact';
import { budgetImpact, formatCount, formatMs, formatRatio } from './index';

/** The budget of the function a finding sits in, and that function's summed query time. */
export interface BudgetHoverContext {
  /** How the function is named: `getFeatures`, `GET /features/:id`. */
  name: string;
  budgetMs: number;
  /** Where the budget came from, e.g. `config budgets["GET /features/*"]` or `// querylens-budget 10ms`. */
  budgetOrigin: string;
  /** Estimated database time of one call of the function (all its queries), ms. */
  requestMs: number;
}

function pct(x: number): string {
  if (!Number.isFinite(x)) return '∞ %';
  return x >= 0.1 ? `${Math.round(x * 100)} %` : `${(x * 100).toFixed(1)} %`;
}

/** An input's note without a leading "default;" where its source already says default. */
export function assumptionNote(a: Assumption): string | undefined {
  return a.source === 'default' ? a.note?.replace(/^default\b[;:,]?\s*/, '') || undefined : a.note;
}

/**
 * The estimate: now → after the fix, the summary (unless `message`, which
 * the editor shows right above the hover, already says it), and the inputs
 * with their source.
 */
export function estimateMarkdown(e: Estimate, message = ''): string {
  const ratio = e.fixedMs > 0 ? e.currentMs / e.fixedMs : Infinity;
  const lines = [`**Estimated cost:** ${formatMs(e.currentMs)} → ${formatMs(e.fixedMs)} after the fix (${Number.isFinite(ratio) ? `${formatRatio(ratio)} faster` : 'free'})`, ''];
  if (e.summary && !message.includes(e.summary)) lines.push(e.summary, '');
  lines.push('| input | value | source |', '| --- | --- | --- |');
  for (const a of e.assumptions) {
    const v = typeof a.value === 'number' ? `${+a.value.toPrecision(4)}${a.unit ? ` ${a.unit}` : ''}` : a.value;
    const src = a.source === 'default' ? '**default** — set it' : a.source;
    const note = assumptionNote(a);
    lines.push(`| ${a.name} | ${String(v).replace(/\|/g, '\\|')} | ${src}${note ? `: ${note.replace(/\|/g, '\\|')}` : ''} |`);
  }
  return lines.join('\n');
}

/** The budget section: share of the budget, and Amdahl's law for the request when this query is fixed. */
export function budgetMarkdown(e: Estimate, b: BudgetHoverContext): string {
  const im = budgetImpact(b.budgetMs, b.requestMs, e.currentMs, e.fixedMs);
  const over = im.requestMs > b.budgetMs;
  const after = im.requestFixedMs;
  return [
    `**Latency budget of \`${b.name}\`:** ${formatMs(b.budgetMs)} (${b.budgetOrigin}).`,
    `This query ≈ ${formatMs(e.currentMs)} = ${pct(im.budgetShare)} of the budget; all queries of one call ≈ ${formatMs(im.requestMs)}` +
      ` (${pct(im.requestMs / b.budgetMs)} of the budget${over ? ', **over**' : ''}).`,
    `Amdahl's law: this query is ${pct(im.requestShare)} of the request's database time; fixing it (${formatRatio(e.fixedMs > 0 ? e.currentMs / e.fixedMs : Infinity)})` +
      ` speeds the request up ${formatRatio(im.requestSpeedup)}, to ≈ ${formatMs(after)} (${after <= b.budgetMs ? 'within' : 'still over'} the budget).`,
  ].join('\n');
}

/**
 * The hover: what the diagnostic message does not already say. Editors show
 * the message right above the hover, so it starts with the rule and goes on
 * to the estimate, its inputs, the budget, rule detail and the fixes.
 */
export function hoverMarkdown(f: Omit<Finding, 'hover'>, detail?: string, budget?: BudgetHoverContext): string {
  const parts = [`**querylens · ${f.ruleId}**`];
  if (f.estimate) parts.push(estimateMarkdown(f.estimate, f.message));
  if (f.measured) parts.push(measuredMarkdown(f.measured, f.estimate));
  if (f.severityReason) parts.push(`**Severity ${f.severity}:** ${f.severityReason}.`);
  if (f.runsIn?.kind === 'background') parts.push(`**Runs in the background** (${f.runsIn.reason}): nobody waits on it; ranked after request paths.`);
  if (f.estimate && budget) parts.push(budgetMarkdown(f.estimate, budget));
  if (detail) parts.push(detail);
  if (f.fixes.length) parts.push(`Quick fix${f.fixes.length > 1 ? 'es' : ''}: ${f.fixes.map((x) => x.title).join('; ')}`);
  return parts.join('\n\n');
}

/** "**Measured:** 1.2M calls, mean 3.1 ms, 62 min in total (pg_stat_statements …)". */
export function measuredMarkdown(m: Measured, e?: Estimate): string {
  const saved = measuredSavingMs(e, m);
  return (
    `**Measured:** ${formatCount(m.calls)} calls, mean ${formatMs(m.meanMs)}, ${formatDuration(m.totalMs)} in total` +
    ` (pg_stat_statements in the stats snapshot, matched by ${m.matchedBy === 'fingerprint' ? 'the statement\'s fingerprint' : 'the SQL shape the call generates'})` +
    (saved !== undefined && saved > 0 ? `; the fix would have saved ≈ ${formatDuration(saved)} of it.` : '.')
  );
}
