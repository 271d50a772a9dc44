/**
 * Worker threads for `querylens lint --concurrency N`: N threads, each with
 * its own `LintSession` (cli/session.ts, cli/lint-worker.ts), fed chunks of
 * files from the main thread.
 *
 * Scheduling keeps a file's work where its syntax trees are: the usage step
 * (per-file extraction over the whole project) hands out chunks to whichever
 * thread is free and remembers who took each file; the analysis step gives
 * each thread the linted files it already extracted, newest chunk first (those
 * trees are most likely still held), and a thread out of work takes chunks
 * from the longest other queue. Results are returned by path: the caller
 * orders them, so output does not depend on scheduling.
 *
 * A chunk whose thread fails or dies runs on the main thread instead (the
 * `local` session), so no file loses its result to a worker's crash.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FileUsage } from '../engine';
import type { FromWorker, ToWorker } from './lint-worker';
import type { AnalysisOut, FileTask, LintSession, SessionInit, UsageOut } from './session';

const USAGE_CHUNK = 40;
const ANALYSIS_CHUNK = 20;
/** Chunks sent ahead to a thread, so it never waits for the main thread between two. */
const IN_FLIGHT = 2;

/** How a thread is started: a script file, or (from source) code that loads tsx and the TypeScript module. */
export interface WorkerEntry {
  code: string;
  eval: boolean;
}

/** The worker script: `script` when given (tests: the fresh bundle), beside the bundle (dist/lint-worker.js), else the source under tsx. */
export function workerEntry(script?: string): WorkerEntry | undefined {
  if (script) return { code: script, eval: false };
  const bundled = path.join(__dirname, 'lint-worker.js');
  if (fs.existsSync(bundled)) return { code: bundled, eval: false };
  const source = path.join(__dirname, 'lint-worker.ts');
  // Node 20 does not apply --import hooks to a worker's entry file: register tsx from a CommonJS stub.
  if (fs.existsSync(source)) return { code: `require('tsx/cjs'); require(${JSON.stringify(source)});`, eval: true };
  return undefined;
}

interface Chunk {
  kind: 'usage' | 'analyze';
  tasks: FileTask[];
  id: number;
}

interface Slot {
  index: number;
  worker: Worker;
  alive: boolean;
  inFlight: Map<number, Chunk>;
  /** Analysis chunks of files this thread extracted, oldest first. */
  own: Chunk[];
}

export class LintPool {
  private slots: Slot[] = [];
  private nextId = 0;
  /** Which thread extracted each file in the usage step. */
  private owner = new Map<string, number>();
  private shared: Chunk[] = [];
  private onResult?: (chunk: Chunk, out: UsageOut[] | AnalysisOut[], slot: Slot | undefined) => void;
  private onIdle?: () => void;

  private constructor(private readonly local: () => LintSession) {}

  /** Starts `n` threads with the same session; undefined when threads cannot start here. */
  static async start(n: number, init: SessionInit, local: () => LintSession, script?: string): Promise<LintPool | undefined> {
    const entry = workerEntry(script);
    if (!entry) return undefined;
    const pool = new LintPool(local);
    try {
      await Promise.all(
        Array.from({ length: n }, async (_, index) => {
          const worker = new Worker(entry.code, { eval: entry.eval });
          const slot: Slot = { index, worker, alive: true, inFlight: new Map(), own: [] };
          pool.slots.push(slot);
          await new Promise<void>((resolve, reject) => {
            const onMsg = (m: FromWorker) => {
              if (m.type === 'ready') {
                worker.off('message', onMsg);
                resolve();
              }
            };
            worker.on('message', onMsg);
            worker.once('error', reject);
            worker.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready`)));
            worker.postMessage({ type: 'init', init } satisfies ToWorker);
          });
          worker.removeAllListeners('error');
          worker.removeAllListeners('exit');
          worker.on('message', (m: FromWorker) => pool.reply(slot, m));
          worker.on('error', () => pool.lost(slot));
          worker.on('exit', () => pool.lost(slot));
        }),
      );
    } catch {
      await pool.close();
      return undefined;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /**
   * Per-file usage summaries of `tasks` (in path order), spread over the threads: each takes one
   * contiguous range (files of one folder import the same helpers, which a thread then parses once),
   * front to back; a thread done early takes chunks from the back of the longest remaining range.
   */
  usage(tasks: readonly FileTask[]): Promise<UsageOut[]> {
    const live = this.slots.filter((s) => s.alive);
    const chunks: Chunk[] = [];
    for (let i = 0; i < tasks.length; i += USAGE_CHUNK) chunks.push({ kind: 'usage', tasks: tasks.slice(i, i + USAGE_CHUNK), id: this.nextId++ });
    const per = Math.ceil(chunks.length / Math.max(1, live.length));
    // Ranges are popped from their end by `next`: stored reversed, so a thread works front to back.
    live.forEach((s, k) => (s.own = chunks.slice(k * per, (k + 1) * per).reverse()));
    this.shared = [];
    return this.run<UsageOut>(chunks.length, (chunk, out, slot) => {
      if (slot) for (const t of chunk.tasks) this.owner.set(t.path, slot.index);
      return out as UsageOut[];
    });
  }

  /** Gives every thread the same usage summaries. */
  seed(entries: [string, FileUsage | null][]): void {
    for (const s of this.slots) if (s.alive) s.worker.postMessage({ type: 'seed', entries } satisfies ToWorker);
  }

  /** Analyses `tasks`, each preferably on the thread that extracted it. */
  analyze(tasks: readonly FileTask[]): Promise<AnalysisOut[]> {
    const byOwner = new Map<number, FileTask[]>();
    const rest: FileTask[] = [];
    for (const t of tasks) {
      const o = this.owner.get(t.path);
      if (o === undefined || !this.slots[o]?.alive) rest.push(t);
      else {
        let list = byOwner.get(o);
        if (!list) byOwner.set(o, (list = []));
        list.push(t);
      }
    }
    const chunk = (list: FileTask[]): Chunk[] => {
      const out: Chunk[] = [];
      for (let i = 0; i < list.length; i += ANALYSIS_CHUNK) out.push({ kind: 'analyze', tasks: list.slice(i, i + ANALYSIS_CHUNK), id: this.nextId++ });
      return out;
    };
    let total = 0;
    for (const s of this.slots) {
      s.own = chunk(byOwner.get(s.index) ?? []);
      total += s.own.length;
    }
    this.shared = chunk(rest);
    total += this.shared.length;
    return this.run<AnalysisOut>(total, (_c, out) => out as AnalysisOut[]);
  }

  private run<T>(total: number, take: (chunk: Chunk, out: UsageOut[] | AnalysisOut[], slot: Slot | undefined) => T[]): Promise<T[]> {
    const results: T[] = [];
    let done = 0;
    return new Promise<T[]>((resolve) => {
      const finish = () => {
        this.onResult = undefined;
        this.onIdle = undefined;
        resolve(results);
      };
      this.onResult = (chunk, out, slot) => {
        results.push(...take(chunk, out, slot));
        if (++done === total) finish();
      };
      this.onIdle = () => {
        // No thread left: the main thread does what remains.
        if (this.slots.some((s) => s.alive)) return;
        for (const c of [...this.shared.splice(0), ...this.slots.flatMap((s) => s.own.splice(0))]) this.runLocally(c);
      };
      if (total === 0) return finish();
      for (const s of this.slots) this.feed(s);
      this.onIdle();
    });
  }

  private next(slot: Slot): Chunk | undefined {
    if (slot.own.length) return slot.own.pop();
    if (this.shared.length) return this.shared.shift();
    // Steal from the far end of the longest queue: the chunk that thread would reach last.
    let victim: Slot | undefined;
    for (const s of this.slots) if (s.own.length && (!victim || s.own.length > victim.own.length)) victim = s;
    return victim?.own.shift();
  }

  private feed(slot: Slot): void {
    while (slot.alive && slot.inFlight.size < IN_FLIGHT) {
      const c = this.next(slot);
      if (!c) return;
      slot.inFlight.set(c.id, c);
      slot.worker.postMessage({ type: c.kind, id: c.id, tasks: c.tasks } satisfies ToWorker);
    }
  }

  private reply(slot: Slot, m: FromWorker): void {
    if (m.type === 'ready') return;
    const chunk = slot.inFlight.get(m.id);
    if (!chunk) return;
    slot.inFlight.delete(m.id);
    if (m.type === 'failed') this.runLocally(chunk);
    else this.onResult?.(chunk, m.out, slot);
    this.feed(slot);
  }

  /** A thread that died: its chunks go to the others (or the main thread). */
  private lost(slot: Slot): void {
    if (!slot.alive) return;
    slot.alive = false;
    const orphans = [...slot.inFlight.values(), ...slot.own.splice(0)];
    slot.inFlight.clear();
    this.shared.push(...orphans);
    for (const s of this.slots) this.feed(s);
    this.onIdle?.();
  }

  private runLocally(c: Chunk): void {
    const session = this.local();
    const out = c.kind === 'usage' ? session.usage(c.tasks) : session.analyze(c.tasks);
    this.onResult?.(c, out, undefined);
  }

  async close(): Promise<void> {
    const slots = this.slots;
    this.slots = [];
    for (const s of slots) s.alive = false;
    await Promise.all(slots.map((s) => s.worker.terminate().catch(() => undefined)));
  }
}
