/**
 * Which project files a computation read: the inputs of an analysis, so that
 * an adapter can cache its result and know when it goes stale (the CLI's
 * `--cache`: a helper that changed invalidates exactly the files whose
 * analysis read it).
 *
 * `Project.fileText` notes every path asked for, present or absent (an import
 * probe that found nothing is an input too: a file created there later changes
 * the resolution). Memoised values remember the reads of their computation and
 * replay them on every hit, so a file analysed after its helpers were
 * summarised still depends on what those summaries read. Lazy caches inside
 * memoised objects (provenance's exported values) do the same through
 * `collectReads`/`replayReads`. A frame stack per thread: nested computations
 * add their reads to the enclosing ones.
 */

const frames: Set<string>[] = [];

/** A path whose text (or absence) the current computation depends on. */
export function noteRead(path: string): void {
  if (frames.length) frames[frames.length - 1].add(path);
}

/** Runs `compute`, returning what it read; the reads also count for the enclosing computation. */
export function collectReads<T>(compute: () => T): { value: T; reads: string[] } {
  const frame = new Set<string>();
  frames.push(frame);
  let value: T;
  try {
    value = compute();
  } finally {
    frames.pop();
    replayReads(frame);
  }
  return { value, reads: [...frame] };
}

/** Adds reads recorded earlier (a memo hit) to the current computation. */
export function replayReads(reads: Iterable<string>): void {
  if (!frames.length) return;
  const top = frames[frames.length - 1];
  for (const r of reads) top.add(r);
}

/** Runs `compute` without charging its reads to anyone (a project-wide fact, tracked as one input of its own). */
export function isolatedReads<T>(compute: () => T): T {
  frames.push(new Set());
  try {
    return compute();
  } finally {
    frames.pop();
  }
}
