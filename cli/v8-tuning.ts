/**
 * V8's optimising compiler, tuned for one batch run (`lint`, `queries`). A cold lint spends much of its CPU time
 * compiling, not running: on Unleash (5,231 files, one thread, Node 20) V8's background threads, which a CPU
 * profile of the main thread does not show, used 3.2 s of 7.3–8 s, 2.7 s of it optimising compiles of about 850
 * functions (TypeScript's parser and our extractors) that each run for a few seconds at most. Halving how much
 * bytecode one compile may inline (920 → 460) makes each compile cheaper for code that is hardly slower: 4
 * alternating pairs, 6,612 / 6,631 / 7,129 / 7,312 → 6,182 / 6,256 / 6,875 / 6,684 ms of CPU, every run lower
 * (200 was no better; also lowering the per-call limit was worse). The same findings: inlining changes no result.
 *
 * Only on the V8 it was measured on (11.x, Node 20): another V8 tiers code differently (Maglev from 12), and a
 * flag it does not know would print an error. The language server, which runs for hours, is left as V8 sets it.
 */
import * as v8 from 'node:v8';

/** The flags a batch run sets on this V8 version (`process.versions.v8`): none where it was not measured. */
export function batchV8Flags(v8Version: string): string[] {
  return Number(v8Version.split('.')[0]) === 11 ? ['--max-inlined-bytecode-size-cumulative=460'] : [];
}

let tuned = false;

/** Sets the batch flags for this process (and its worker threads), once. */
export function tuneForBatch(): void {
  if (tuned) return;
  tuned = true;
  for (const flag of batchV8Flags(process.versions.v8)) v8.setFlagsFromString(flag);
}
