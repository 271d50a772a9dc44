/**
 * V8's optimising compiler, tuned for one batch run (`lint`, `queries`). A cold lint spends much of its CPU time
 * compiling, not running: on Unleash (5,231 files, one thread, Node 20) V8's background threads, which a CPU
 * profile of the main thread does not show, used 3.2 s of 7.3–8 s, 2.7 s of it optimising compiles of about 850
 * functions (TypeScript's parser and our extractors) that each run for a few seconds at most. Halving how much
 * bytecode one compile may inline (920 → 460) makes each compile cheaper for code that is hardly slower: 4
 * alternating pairs, 6,612 / 6,631 / 7,129 / 7,312 → 6,182 / 6,256 / 6,875 / 6,684 ms of CPU, every run lower
 * (200 was no better; also lowering the per-call limit was worse). And a function is compiled after 16 ticks
 * of its interrupt budget instead of 3: the functions only warm for a moment of the run stay in the interpreter
 * and baseline code, and the hot ones have more type feedback when they are compiled:
 * 6 alternating rounds on top of the budget, 6,590 / 6,229 / 6,247 / 6,208 / 6,511 / 6,465 → 5,911 / 5,961 /
 * 5,808 / 5,836 / 6,039 / 6,170 ms, every run lower (8 ticks: about half the gain; 32: as 16). The same
 * findings: neither changes a result, only which code V8 runs them with.
 *
 * Only on the V8 it was measured on (11.x, Node 20): another V8 tiers code differently (Maglev from 12), and a
 * flag it does not know would print an error. The language server, which runs for hours, is left as V8 sets it.
 */
import * as v8 from 'node:v8';

/** The flags a batch run sets on this V8 version (`process.versions.v8`): none where they were not measured. */
export function batchV8Flags(v8Version: string): string[] {
  return Number(v8Version.split('.')[0]) === 11 ? ['--max-inlined-bytecode-size-cumulative=460', '--ticks-before-optimization=16'] : [];
}

let tuned = false;

/** Sets the batch flags for this process (and its worker threads), once. */
export function tuneForBatch(): void {
  if (tuned) return;
  tuned = true;
  for (const flag of batchV8Flags(process.versions.v8)) v8.setFlagsFromString(flag);
}
