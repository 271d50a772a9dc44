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

/**
 * A computation's reads, and the recorded lists already added to them: memo hits replay the same
 * (never mutated) list again and again — a helper's provenance read by every file that imports it, within
 * one analysis many times — and a list added once is added.
 */
interface Frame {
  reads: Set<string>;
  /** Made on the first long list replayed: most frames (one per memo miss, per resolved value) never need one. */
  replayed?: WeakSet<Iterable<string>>;
}

const frames: Frame[] = [];

/**
 * The input of a result computed for a file the import prefilter found reaching no data library
 * (`Project.reachFilter`, engine/sources/reach.ts): it holds while no file's text and no path changed.
 */
export const REACH_INPUT = '\u0000reach';

/**
 * A read of every TypeScript file of the project (the callers scan, engine/sources/callers.ts), noted as one
 * entry while computations nest and memos replay it (thousands of paths copied at every level otherwise). It
 * never leaves the engine: Project turns it into those paths in the inputs it gives (analyzeTracked).
 */
export const EVERY_TS_FILE = '\u0000every-ts-file';

const newFrame = (): Frame => ({ reads: new Set(), replayed: undefined });

/** A path whose text (or absence) the current computation depends on. */
export function noteRead(path: string): void {
  if (frames.length) frames[frames.length - 1].reads.add(path);
}

/** Runs `compute`, returning what it read; the reads also count for the enclosing computation. */
export function collectReads<T>(compute: () => T): { value: T; reads: string[] } {
  const frame = newFrame();
  frames.push(frame);
  let value: T;
  let reads: string[];
  try {
    value = compute();
  } finally {
    frames.pop();
    // The list returned is the one added to the enclosing computation: a memo that keeps it and replays it
    // there again (a hit within the same analysis) is then recognised as already added.
    reads = [...frame.reads];
    replayReads(reads);
  }
  return { value, reads };
}

/** Adds reads recorded earlier (a memo hit) to the current computation. The list must not change afterwards. */
export function replayReads(reads: Iterable<string>): void {
  if (!frames.length) return;
  const top = frames[frames.length - 1];
  // A short list is added directly: remembering it costs more than adding it again.
  if (!Array.isArray(reads) || reads.length > 8) {
    top.replayed ??= new WeakSet();
    if (top.replayed.has(reads)) return;
    top.replayed.add(reads);
  }
  for (const r of reads) top.reads.add(r);
}

/** Runs `compute` without charging its reads to anyone (a project-wide fact, tracked as one input of its own). */
export function isolatedReads<T>(compute: () => T): T {
  frames.push(newFrame());
  try {
    return compute();
  } finally {
    frames.pop();
  }
}

/**
 * A memoised object with caches of its own that fill lazily (provenance's per-file answers): the files those
 * answers read, so the project can drop the object when one of them changes (Project.setFile).
 */
export interface ReadTracking {
  readsFile(path: string): boolean;
}

/** Whether a memoised value keeps answers computed from `path` (a `ReadTracking` object that read it). */
export function keepsReadsOf(value: unknown, path: string): boolean {
  return typeof value === 'object' && value !== null && typeof (value as Partial<ReadTracking>).readsFile === 'function' && (value as ReadTracking).readsFile(path);
}
