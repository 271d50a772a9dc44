/**
 * Runs every fixture folder: flagged cases must give exactly the marked
 * findings (line, and columns where a caret line says), not-flagged cases
 * none; then prints precision/recall over the whole corpus (mission §6).
 *
 *   RULE=n-plus-one npx mocha test/rules.test.ts      one rule
 *   UPDATE_SNAPSHOTS=1 npx mocha test/rules.test.ts   rewrite *.snap.md
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initParser } from '../engine/sql/parser';
import { ruleById } from '../rules';
import { compare, type FixtureCase, loadCases, renderSnapshot, sharedRun } from './harness';

const only = process.env.RULE || undefined;
const update = !!process.env.UPDATE_SNAPSHOTS;

describe('rule fixtures', function () {
  let cases: FixtureCase[] = [];
  const tally = new Map<string, { tp: number; fp: number; fn: number }>();
  const t = (id: string) => {
    let x = tally.get(id);
    if (!x) tally.set(id, (x = { tp: 0, fp: 0, fn: 0 }));
    return x;
  };

  before(async () => {
    await initParser();
  });

  // Cases are discovered synchronously so that mocha lists one test per case.
  cases = loadCases(only);

  it('has fixtures for every registered rule, and a rule for every fixture folder', () => {
    for (const c of cases) assert.ok(ruleById(c.ruleId), `fixtures/${c.ruleId} has no registered rule`);
  });

  for (const c of cases) {
    const title = `${c.ruleId} · ${c.verdict} · ${c.name}`;
    it(title, async () => {
      await initParser();
      const run = sharedRun(c);
      const crashes = run.problems.filter((p) => p.kind === 'rule-crash');
      assert.deepEqual(crashes, [], 'a rule crashed');
      const cmp = compare(c, run.findings);
      const x = t(c.ruleId);
      x.tp += cmp.matched;
      x.fp += cmp.unexpected.length;
      x.fn += cmp.missing.length;
      const explain = [
        ...cmp.missing.map((m) => `missing: ${m.file}:${m.line + 1} expected ${m.ruleId}`),
        ...cmp.unexpected.map((f) => `unexpected: ${f.file} @${f.range.start}: ${f.message}`),
        ...cmp.wrongRange.map((w) => `range: ${w.marker.file}:${w.marker.line + 1} expected cols ${w.marker.startCol}-${w.marker.endCol}, got ${w.got}`),
      ].join('\n');
      if (c.verdict === 'flagged') assert.ok(c.markers.some((m) => m.ruleId === c.ruleId), `flagged case without an expect: ${c.ruleId} marker`);
      assert.equal(explain, '', explain);
      if (c.verdict === 'flagged') {
        const snapPath = fs.statSync(c.dir).isDirectory() ? path.join(c.dir, 'findings.snap.md') : `${c.dir}.snap.md`;
        const snap = renderSnapshot(c, run);
        if (update || !fs.existsSync(snapPath)) fs.writeFileSync(snapPath, snap);
        else assert.equal(snap, fs.readFileSync(snapPath, 'utf8'), `snapshot differs: ${snapPath} (UPDATE_SNAPSHOTS=1 to accept)`);
      }
    });
  }

  after(() => {
    if (tally.size === 0) return;
    const rows = [...tally].map(([id, x]) => {
      const p = x.tp + x.fp ? x.tp / (x.tp + x.fp) : 1;
      const r = x.tp + x.fn ? x.tp / (x.tp + x.fn) : 1;
      return `  ${id.padEnd(22)} tp ${String(x.tp).padStart(3)}  fp ${String(x.fp).padStart(2)}  fn ${String(x.fn).padStart(2)}  precision ${(p * 100).toFixed(1)}%  recall ${(r * 100).toFixed(1)}%`;
    });
    console.log(`\n  fixture corpus (precision/recall):\n${rows.join('\n')}`);
  });
});

describe('fixture corpus quality bar (mission §6)', () => {
  it('precision ≥ 95 % and recall ≥ 90 % over all labelled fixtures', async () => {
    await initParser();
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const c of loadCases(only)) {
      if (!ruleById(c.ruleId)) continue;
      const cmp = compare(c, sharedRun(c).findings);
      tp += cmp.matched;
      fp += cmp.unexpected.length;
      fn += cmp.missing.length;
    }
    const precision = tp + fp ? tp / (tp + fp) : 1;
    const recall = tp + fn ? tp / (tp + fn) : 1;
    assert.ok(tp > 0 || loadCases(only).length === 0, 'no findings at all in the corpus');
    assert.ok(precision >= 0.95, `precision ${(precision * 100).toFixed(1)} %`);
    assert.ok(recall >= 0.9, `recall ${(recall * 100).toFixed(1)} %`);
  });
});
