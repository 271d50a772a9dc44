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
  /** Made on the first read: about half the computations read nothing (Unleash: 63,000 of 130,000). */
  reads: Set<string> | undefined;
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
 * A read of the set of TypeScript files whose text names `name` as a word (the callers scan,
 * engine/sources/callers.ts): one entry per name while computations nest and memos replay it, instead of
 * every path. Only a file whose new text names `name` can join that set (one that leaves it was read, being in
 * it), so a change elsewhere keeps what was computed from it (ChangedFile). It never leaves the engine:
 * Project turns it into every TypeScript file's path in the inputs it gives (analyzeTracked).
 */
const NAMING_READ = '\u0000naming:';

export const namingRead = (name: string): string => NAMING_READ + name;

export const isNamingRead = (read: string): boolean => read.startsWith(NAMING_READ);

/** Whether `text` has the identifier `name` as a word (not inside a longer identifier: `$` and `_` are word characters there). */
export function namesWord(text: string, name: string, pattern?: RegExp): boolean {
  return text.includes(name) && (pattern ?? wordPattern(name)).test(text);
}

/** `name` as a word (namesWord's test): built once by a caller that asks about many texts. */
export function wordPattern(name: string): RegExp {
  return new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`);
}

/**
 * One file's change, as the reads it invalidates: the path itself and, with the file's new text, the naming
 * reads of the names that text has as words (undefined text: the file is gone, only its path counts).
 */
export class ChangedFile {
  private readonly named = new Map<string, boolean>();

  constructor(
    readonly path: string,
    private readonly text: string | undefined,
  ) {}

  private names(read: string): boolean {
    if (this.text === undefined || !isNamingRead(read)) return false;
    let hit = this.named.get(read);
    if (hit === undefined) this.named.set(read, (hit = namesWord(this.text, read.slice(NAMING_READ.length))));
    return hit;
  }

  /** Whether a computation that read `reads` may have another result now. */
  hits(reads: readonly string[] | ReadonlySet<string>): boolean {
    if (Array.isArray(reads) ? reads.includes(this.path) : (reads as ReadonlySet<string>).has(this.path)) return true;
    if (this.text === undefined) return false;
    for (const r of reads) if (this.names(r)) return true;
    return false;
  }
}

const newFrame = (): Frame => ({ reads: undefined, replayed: undefined });

/** What a computation that read nothing returns: one list for all of them (frozen: nobody may add to it). */
const NO_READS = Object.freeze([]) as unknown as string[];

/** A path whose text (or absence) the current computation depends on. */
export function noteRead(path: string): void {
  if (frames.length) (frames[frames.length - 1].reads ??= new Set()).add(path);
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
    if (frame.reads) {
      reads = [...frame.reads];
      replayReads(reads);
    } else reads = NO_READS;
  }
  return { value, reads };
}

/** Adds reads recorded earlier (a memo hit) to the current computation. The list must not change afterwards. */
export function replayReads(reads: Iterable<string>): void {
  if (!frames.length || (Array.isArray(reads) && reads.length === 0)) return;
  const top = frames[frames.length - 1];
  // A short list is added directly: remembering it costs more than adding it again.
  if (!Array.isArray(reads) || reads.length > 8) {
    top.replayed ??= new WeakSet();
    if (top.replayed.has(reads)) return;
    top.replayed.add(reads);
  }
  const into = (top.reads ??= new Set());
  for (const r of reads) into.add(r);
}

/** Answers kept per project file list (a new array whenever a file or the file set changes), by key, with the reads that made them. */
export type FilesMemo<T> = WeakMap<readonly string[], Map<string, { value: T; reads: string[] }>>;

/** `compute`'s answer for `key` over `files`, kept in `memo`; a hit replays the reads computing it made. */
export function memoOverFiles<T>(memo: FilesMemo<T>, files: readonly string[], key: string, compute: () => T): T {
  let byKey = memo.get(files);
  if (!byKey) memo.set(files, (byKey = new Map()));
  const hit = byKey.get(key);
  if (hit) {
    replayReads(hit.reads);
    return hit.value;
  }
  const { value, reads } = collectReads(compute);
  byKey.set(key, { value, reads });
  return value;
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
 * A memoised object with caches of its own that fill lazily (provenance's per-file answers): whether those
 * answers read what a change invalidates, so the project can drop the object (Project.setFile).
 */
export interface ReadTracking {
  readBy(change: ChangedFile): boolean;
}

/** Whether a memoised value keeps answers a change invalidates (a `ReadTracking` object that read it). */
export function keepsReadsOf(value: unknown, change: ChangedFile): boolean {
  return typeof value === 'object' && value !== null && typeof (value as Partial<ReadTracking>).readBy === 'function' && (value as ReadTracking).readBy(change);
}
