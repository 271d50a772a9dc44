/**
 * Every fixture finding (fixtures/<rule>/flagged, built as the harness builds
 * them) but one whose message says a size is unknown (a table not in the schema) carries an estimate the hover and SARIF can use: a finite gain
 * (currentMs > fixedMs ≥ 0), at least one assumption with a known source, a
 * summary, and a hover that shows the estimate and flags defaults.
 */
import assert from 'node:assert/strict';
import { initParser } from '../../engine/sql/parser';
import type { Finding } from '../../engine/types';
import { type FixtureCase, loadCases, sharedRun } from '../harness';

const SOURCES = new Set(['code', 'config', 'default', 'schema', 'stats', 'measured']);

function problemsOf(f: Finding): string[] {
  const out: string[] = [];
  const e = f.estimate;
  // Unpriced only where an input cannot be seen, and then the message says so.
  if (!e) return /\bSize unknown: .+ not in the schema\./.test(f.message) ? [] : ['no estimate'];
  if (!(Number.isFinite(e.currentMs) && Number.isFinite(e.fixedMs))) out.push(`non-finite estimate ${e.currentMs} → ${e.fixedMs}`);
  if (!(e.currentMs > e.fixedMs)) out.push(`no gain: ${e.currentMs} → ${e.fixedMs}`);
  if (!(e.fixedMs >= 0)) out.push(`negative fixed estimate ${e.fixedMs}`);
  if (e.assumptions.length === 0) out.push('no assumption');
  for (const a of e.assumptions) {
    if (!SOURCES.has(a.source)) out.push(`assumption ${a.name} has source ${a.source}`);
    if (typeof a.value === 'number' && !Number.isFinite(a.value)) out.push(`assumption ${a.name} is ${a.value}`);
  }
  if (!e.summary.trim()) out.push('empty summary');
  if (!f.hover?.includes('**Estimated cost:**')) out.push('hover does not show the estimate');
  if (e.assumptions.some((a) => a.source === 'default') && !f.hover?.includes('set it')) out.push('hover does not flag defaults');
  return out;
}

describe('estimates of every fixture finding', function () {
  this.timeout(120000);
  let cases: FixtureCase[] = [];

  before(async () => {
    await initParser();
    cases = loadCases().filter((c) => c.verdict === 'flagged');
  });

  it('each carries currentMs > fixedMs, ≥ 1 assumption with a source, a summary and a hover', async () => {
    await initParser();
    const failures: string[] = [];
    let n = 0;
    const rules = new Set<string>();
    for (const c of cases) {
      for (const f of sharedRun(c).findings) {
        n++;
        rules.add(f.ruleId);
        for (const p of problemsOf(f)) failures.push(`${c.ruleId}/${c.name} ${f.file}@${f.range.start}: ${p}`);
      }
    }
    assert.ok(n > 0, 'no fixture findings');
    console.log(`      (${n} findings of ${rules.size} rules checked)`);
    assert.deepEqual(failures, []);
  });
});
