/**
 * What fixing a finding saves, and what that does to its severity and rank.
 *
 * Saving per call: the estimate now minus after the fix. Saving over the
 * measured window: with a measured workload (pg_stat_statements in the stats
 * snapshot), the share of the statement's measured execution time the fix
 * removes (totalMs × (1 − fixedMs ÷ currentMs)). A finding keeps its rule's
 * severity only when the saving per call reaches `minSavingMs`, or the
 * measured saving reaches `minMeasuredSavingMs` (a cheap statement run a
 * million times is worth fixing); otherwise it is `info`, as is a finding
 * with no estimate (its inputs cannot be seen). Rankings put
 * measured savings first (they are observed), then estimated ones.
 */
import type { QuerylensConfig } from '../config';
import type { Estimate, Finding, Measured, Severity } from '../types';
import { formatCount, formatMs } from './index';

/** Estimated ms one call saves after the fix (0 when unknown). */
export function savingMs(e: Estimate | undefined): number {
  if (!e || !Number.isFinite(e.currentMs) || !Number.isFinite(e.fixedMs)) return 0;
  return Math.max(0, e.currentMs - e.fixedMs);
}

/** Execution time the fix would have saved over the measured window, ms; undefined without a measurement. */
export function measuredSavingMs(e: Estimate | undefined, m: Measured | undefined): number | undefined {
  if (!m || !e || !(e.currentMs > 0)) return undefined;
  const fraction = Math.max(0, Math.min(1, 1 - e.fixedMs / e.currentMs));
  return m.totalMs * fraction;
}

/**
 * The severity a finding gets: its rule's, unless the saving is too small to
 * be worth a warning (then `info`, with the reason).
 */
export function severityBySaving(
  ruleSeverity: Severity,
  estimate: Estimate | undefined,
  measured: Measured | undefined,
  config: Pick<QuerylensConfig, 'minSavingMs' | 'minMeasuredSavingMs'>,
): { severity: Severity; reason?: string } {
  if (ruleSeverity === 'info') return { severity: ruleSeverity };
  // Unpriced (an input cannot be seen, e.g. a table not in the schema): no saving vouches for a warning.
  if (!estimate) return { severity: 'info', reason: 'not priced: an input of the estimate cannot be seen (a table not in the schema)' };
  const perCall = savingMs(estimate);
  if (perCall >= config.minSavingMs) return { severity: ruleSeverity };
  const window = measuredSavingMs(estimate, measured);
  if (window !== undefined && window >= config.minMeasuredSavingMs) {
    return { severity: ruleSeverity, reason: `saves ${formatMs(perCall)} per call, under minSavingMs ${formatMs(config.minSavingMs)}, but ≈ ${formatMs(window)} over the measured ${formatCount(measured!.calls)} calls` };
  }
  return { severity: 'info', reason: `estimated saving ${formatMs(perCall)} per call is under minSavingMs (${formatMs(config.minSavingMs)})` };
}

export interface Impact {
  /** Estimated saving per call, ms. */
  perCallMs: number;
  /** Saving over the measured window, ms, when measured. */
  measuredMs?: number;
}

export function impactOf(f: Pick<Finding, 'estimate' | 'measured'>): Impact {
  return { perCallMs: savingMs(f.estimate), measuredMs: measuredSavingMs(f.estimate, f.measured) };
}

/** Request paths (and code not known to be otherwise) rank first, then background jobs, then one-off code. */
const TIER = { background: 1, 'one-off': 2 } as const;
const tierOf = (f: Pick<Finding, 'runsIn'>): number => (f.runsIn ? TIER[f.runsIn.kind] : 0);

type Ranked = Pick<Finding, 'estimate' | 'measured' | 'runsIn'>;

/**
 * The ranking order, largest impact first. Findings worth fixing — a saving per call of at least
 * `minSavingMs`, or a measured saving of at least `minMeasuredSavingMs` — come before the rest; among
 * them, where the code runs decides first (a request path, then a background job, then a script run by
 * hand: who waits decides what a saving is worth), then measured savings, then estimated savings per
 * call. A 60 ms N+1 in a one-off script thus ranks after a 30 ms one in a cron job, and both before a
 * 0.01 ms over-fetch on a request; a statement measured a few times (a seed's INSERT seen once by
 * pg_stat_statements) ranks by its estimate, not ahead of every estimate.
 */
export function impactOrder(minSavingMs: number, minMeasuredSavingMs = 60000): (a: Ranked, b: Ranked) => number {
  const measuredWorth = (i: Impact): boolean => i.measuredMs !== undefined && i.measuredMs >= minMeasuredSavingMs;
  const worth = (i: Impact): boolean => i.perCallMs >= minSavingMs || measuredWorth(i);
  return (a, b) => {
    const ia = impactOf(a);
    const ib = impactOf(b);
    const wa = worth(ia);
    const wb = worth(ib);
    if (wa !== wb) return wa ? -1 : 1;
    const ta = tierOf(a);
    const tb = tierOf(b);
    if (ta !== tb) return ta - tb;
    const ma = measuredWorth(ia);
    const mb = measuredWorth(ib);
    if (ma !== mb) return ma ? -1 : 1;
    if (ma && mb && ib.measuredMs !== ia.measuredMs) return ib.measuredMs! - ia.measuredMs!;
    return ib.perCallMs - ia.perCallMs;
  };
}

/** impactOrder with the default thresholds (minSavingMs 1 ms, minMeasuredSavingMs 60 s). */
export const compareImpact = impactOrder(1, 60000);

/** "saves ≈ 2041 ms per call" or "saved ≈ 62 min over 1.2M measured calls (≈ 0.5 ms per call)". */
export function impactText(f: Pick<Finding, 'estimate' | 'measured'>): string {
  const i = impactOf(f);
  const perCall = `≈ ${formatMs(i.perCallMs)} per call`;
  if (i.measuredMs === undefined) return `saves ${perCall}`;
  return `saves ≈ ${formatDuration(i.measuredMs)} over ${formatCount(f.measured!.calls)} measured calls (${perCall})`;
}

/** Long durations in the unit a person reads them in: "62 min", "3.4 h". */
export function formatDuration(ms: number): string {
  if (ms >= 3600000) return `${(ms / 3600000).toFixed(1)} h`;
  if (ms >= 60000) return `${Math.round(ms / 60000)} min`;
  return formatMs(ms);
}
