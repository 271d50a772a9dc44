/**
 * Severity follows the estimated saving (issue 12): a finding keeps its
 * rule's severity only when fixing it saves at least `minSavingMs` per call
 * (default 1 ms), or — with a measured workload — at least
 * `minMeasuredSavingMs` over the measured window; else it is info. Findings
 * rank by time saved: measured first, then estimated per call.
 */
import assert from 'node:assert/strict';
import { defaultConfig, parseConfig } from '../../engine/config';
import { compareImpact, impactText, measuredSavingMs, savingMs, severityBySaving } from '../../engine/model/impact';
import { initParser } from '../../engine/sql/parser';
import type { Estimate, Finding, Measured } from '../../engine/types';
import { ruleIds } from '../../rules';
import { loadCases, sharedRun } from '../harness';

const est = (currentMs: number, fixedMs: number): Estimate => ({ currentMs, fixedMs, assumptions: [], summary: '' });
const measured = (calls: number, meanMs: number): Measured => ({ calls, meanMs, totalMs: calls * meanMs, rows: calls, matchedBy: 'fingerprint' });

describe('severity by saving', () => {
  const cfg = defaultConfig();

  it('keeps the rule severity at or above minSavingMs per call, info below, with the reason', () => {
    assert.equal(severityBySaving('warning', est(3, 2), undefined, cfg).severity, 'warning');
    assert.equal(severityBySaving('error', est(5, 1), undefined, cfg).severity, 'error');
    const low = severityBySaving('warning', est(0.62, 0.6), undefined, cfg);
    assert.equal(low.severity, 'info');
    assert.match(low.reason ?? '', /under minSavingMs/);
    assert.equal(severityBySaving('error', est(0.62, 0.6), undefined, cfg).severity, 'info');
    assert.equal(severityBySaving('info', est(100, 1), undefined, cfg).severity, 'info');
    // No estimate (a table not in the schema): info, with the reason.
    const unpriced = severityBySaving('warning', undefined, undefined, cfg);
    assert.equal(unpriced.severity, 'info');
    assert.match(unpriced.reason ?? '', /not priced/);
  });

  it('minSavingMs is configurable (and in the config schema); a bad value names the key', () => {
    const c = parseConfig({ minSavingMs: 0.01, minMeasuredSavingMs: 1000 }, ruleIds());
    assert.equal(c.minSavingMs, 0.01);
    assert.equal(severityBySaving('warning', est(0.62, 0.6), undefined, c).severity, 'warning');
    assert.throws(() => parseConfig({ minSavingMs: -1 }, ruleIds()), /minSavingMs: must be a non-negative number/);
    assert.throws(() => parseConfig({ minSavingMs: '1ms' }, ruleIds()), /minSavingMs/);
  });

  it('measured frequency raises it: a cheap statement run a million times keeps its warning', () => {
    // 0.02 ms saved per call (under 1 ms), but the statement ran 1.2M times at 0.1 ms: 20 % of 120 s = 24 s saved.
    const e = est(0.1, 0.08);
    assert.equal(severityBySaving('warning', e, undefined, cfg).severity, 'info');
    const m = measured(1_200_000, 0.1);
    assert.ok(Math.abs(measuredSavingMs(e, m)! - 24000) < 1e-6);
    assert.equal(severityBySaving('warning', e, m, { ...cfg, minMeasuredSavingMs: 10000 }).severity, 'warning');
    assert.equal(severityBySaving('warning', e, measured(10, 0.1), cfg).severity, 'info');
  });

  it('ranks measured savings worth minMeasuredSavingMs first, then estimated savings per call', () => {
    const a: Pick<Finding, 'estimate' | 'measured'> = { estimate: est(50, 1) };
    const b: Pick<Finding, 'estimate' | 'measured'> = { estimate: est(2000, 20) };
    const c: Pick<Finding, 'estimate' | 'measured'> = { estimate: est(1, 0.5), measured: measured(1_000_000, 1) };
    const d: Pick<Finding, 'estimate' | 'measured'> = { estimate: est(1, 0.5), measured: measured(10, 1) };
    // d was measured 10 times (5 ms saved in all, under minMeasuredSavingMs, 0.5 ms per call): it ranks by its estimate, last.
    assert.deepEqual([a, b, c, d].sort(compareImpact), [c, b, a, d]);
    assert.equal(savingMs(b.estimate), 1980);
    assert.match(impactText(c), /saves ≈ 8 min over 1M measured calls \(≈ 0\.50 ms per call\)/);
  });
});

describe('no warning whose estimated saving is under minSavingMs (every fixture finding)', function () {
  this.timeout(120000);
  it('warning and error findings save at least minSavingMs per call; the rest are info with a reason', async () => {
    await initParser();
    let n = 0;
    let infos = 0;
    const bad: string[] = [];
    for (const c of loadCases()) {
      for (const f of sharedRun(c).findings) {
        n++;
        const min = c.project.config.minSavingMs;
        if (f.severity !== 'info' && savingMs(f.estimate) < min) bad.push(`${c.ruleId}/${c.name}: ${f.severity} saving ${savingMs(f.estimate)} ms`);
        if (f.severity === 'info' && f.severityReason) infos++;
      }
    }
    assert.ok(n > 100, `only ${n} findings`);
    assert.ok(infos > 0, 'some fixture findings save under 1 ms and are info');
    assert.deepEqual(bad, []);
  });
});
