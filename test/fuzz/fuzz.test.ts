/**
 * The fuzz properties (test/fuzz/harness.ts) in `npm test`: a fixed seed and a
 * small budget, so a run is repeatable and takes seconds. `npm run fuzz` runs
 * the same properties over 100,000 inputs.
 */
import * as assert from 'node:assert/strict';
import { runFuzz } from './run';

describe('fuzz: mutated TypeScript, SQL, configs and LSP byte streams (fixed seed, small budget)', function () {
  this.timeout(120000);
  it('300 inputs: no crash, exit codes in {0,1,2}, ranges within files, no read outside the root, CLI and server agree', async () => {
    const report = await runFuzz({ runs: 300, seed: 4242 });
    assert.equal(report.runs, 300);
    assert.ok(Object.keys(report.byKind).length >= 3, JSON.stringify(report.byKind));
    assert.deepEqual(
      report.violations.map((v) => `[${v.property}] ${v.detail} (${v.seed}: ${JSON.stringify(v.sample)})`),
      [],
    );
  });
});
