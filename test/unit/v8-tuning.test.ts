import assert from 'node:assert/strict';
import { batchV8Flags } from '../../cli/v8-tuning';

describe('V8 tuning of a batch run (cli/v8-tuning.ts)', () => {
  it('sets the inlining budget and the ticks before optimising only on the V8 it was measured on (11.x, Node 20), nothing elsewhere', () => {
    assert.deepEqual(batchV8Flags('11.3.244.8-node.33'), ['--max-inlined-bytecode-size-cumulative=460', '--ticks-before-optimization=16']);
    for (const v of ['10.2.154.26-node.26', '12.4.254.21-node.33', '13.6.233.10-node.20']) assert.deepEqual(batchV8Flags(v), [], v);
  });
});
