/**
 * Where the server's analyses run. `WorkerAnalyzer` runs them in the analysis
 * worker (server/analysis-worker.ts): the main thread keeps answering hovers,
 * code actions and edits while a large file is analysed. Requests are served
 * one at a time, newest interest first; a request for a path already waiting
 * replaces it (cancellation of work not started); an analysis running past
 * `timeoutMs` is stopped by ending the worker, which is started again with
 * the projects' state replayed, and the file gets a `limit` problem.
 *
 * `InProcessAnalyzer` is the same contract on the calling thread (tests that
 * patch the engine in process; the fallback when no worker can start).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AnalysisResult, Project, QuerylensConfig } from '../engine';
import type { WorkerReply, WorkerRequest } from './analysis-worker';

/** What the analyzer mirrors: a project's id, root and current state (the main thread's Project). */
export interface MirroredProject {
  readonly id: number;
  readonly root: string;
  readonly project: Project;
}

export interface Analyzer {
  /** Registers a project; later mutations arrive through `post`. */
  open(p: MirroredProject): void;
  close(p: MirroredProject): void;
  post(msg: WorkerRequest): void;
  analyze(p: MirroredProject, rel: string): Promise<TimedResult>;
  /** Heap bytes in use where analyses run (after a collection when --expose-gc), 0 in process. */
  workerHeap(): Promise<number>;
  dispose(): void;
}

/** A result with the time the analysis itself took (not its wait in the queue). */
export interface TimedResult {
  result: AnalysisResult;
  ms: number;
  cpuMs: number;
  /** The project files (and pseudo-inputs) the analysis read: `Project.analyzeTracked`. */
  inputs: string[];
}

export class InProcessAnalyzer implements Analyzer {
  open(): void {}
  close(): void {}
  post(): void {}
  async analyze(p: MirroredProject, rel: string): Promise<TimedResult> {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const { result, inputs } = p.project.analyzeTracked(rel);
    const c = process.cpuUsage(cpu);
    return { result, ms: performance.now() - started, cpuMs: (c.user + c.system) / 1000, inputs };
  }
  async workerHeap(): Promise<number> {
    return 0;
  }
  dispose(): void {}
}

interface Pending {
  p: MirroredProject;
  rel: string;
  waiters: { resolve(r: TimedResult): void; reject(e: Error): void }[];
}

/** The worker bundle beside the server bundle, else the source (under tsx). */
export function workerEntry(): { file: string; execArgv: string[] } | undefined {
  const bundled = path.join(__dirname, 'analysis-worker.js');
  if (fs.existsSync(bundled)) return { file: bundled, execArgv: [] };
  const source = path.join(__dirname, 'analysis-worker.ts');
  if (fs.existsSync(source)) return { file: source, execArgv: ['--import', 'tsx'] };
  return undefined;
}

export class WorkerAnalyzer implements Analyzer {
  private worker?: Worker;
  private ready?: Promise<void>;
  private readonly projects = new Map<number, MirroredProject>();
  /** Waiting requests by `${id}\0${rel}`, in arrival order; a repeat joins (and keeps) its place. */
  private readonly queue = new Map<string, Pending>();
  private running?: Pending & { seq: number; timer?: NodeJS.Timeout };
  private seq = 0;
  private disposed = false;

  constructor(
    private readonly entry: { file: string; execArgv: string[] },
    private readonly log: (m: string) => void,
    private readonly timeoutMs = 30_000,
  ) {
    this.start();
  }

  private start(): void {
    const w = new Worker(this.entry.file, { execArgv: this.entry.execArgv, resourceLimits: { stackSizeMb: 64 } });
    this.worker = w;
    this.ready = new Promise<void>((resolve) => {
      const onReady = (m: WorkerReply) => {
        if (m.type === 'ready') {
          w.off('message', onReady);
          resolve();
        }
      };
      w.on('message', onReady);
    });
    w.on('message', (m: WorkerReply) => this.reply(m));
    w.on('error', (e) => this.log(`analysis worker failed: ${e?.stack ?? e}`));
    w.on('exit', (code) => {
      if (this.worker !== w || this.disposed) return;
      // Crashed (out of memory, a native fault): start again, the request under way fails visibly.
      this.log(`analysis worker exited (${code}); restarting it`);
      this.restart(`the analysis worker stopped (exit code ${code})`);
    });
    w.unref();
    // Replay every project: the new worker starts empty.
    for (const p of this.projects.values()) this.replay(p);
  }

  private replay(p: MirroredProject): void {
    this.send({ type: 'open', id: p.id, root: p.root, config: p.project.config });
    for (const rel of p.project.paths()) {
      const text = p.project.fileText(rel);
      if (text !== undefined) this.send({ type: 'setFile', id: p.id, rel, text });
    }
    const disk = p.project.pathsOnDisk();
    if (disk.size) this.send({ type: 'pathsOnDisk', id: p.id, paths: [...disk] });
  }

  private send(msg: WorkerRequest): void {
    this.worker?.postMessage(msg);
  }

  open(p: MirroredProject): void {
    this.projects.set(p.id, p);
    this.replay(p);
  }

  close(p: MirroredProject): void {
    this.projects.delete(p.id);
    this.send({ type: 'close', id: p.id });
  }

  post(msg: WorkerRequest): void {
    if (this.projects.has(msg.id)) this.send(msg);
  }

  analyze(p: MirroredProject, rel: string): Promise<TimedResult> {
    return new Promise((resolve, reject) => {
      const key = `${p.id}\0${rel}`;
      const q = this.queue.get(key);
      if (q) q.waiters.push({ resolve, reject });
      else this.queue.set(key, { p, rel, waiters: [{ resolve, reject }] });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.running || this.disposed) return;
    const next = this.queue.entries().next();
    if (next.done) return;
    const [key, job] = next.value;
    this.queue.delete(key);
    const seq = ++this.seq;
    this.running = { ...job, seq };
    await this.ready;
    if (this.running?.seq !== seq) return;
    this.running.timer = setTimeout(() => {
      this.log(`analysis of ${job.rel} took longer than ${this.timeoutMs / 1000} s: stopped`);
      this.restart(`analysis took longer than ${this.timeoutMs / 1000} s and was stopped (the limit)`);
    }, this.timeoutMs);
    this.send({ type: 'analyze', id: job.p.id, rel: job.rel, seq });
  }

  private memoryWaiters = new Map<number, (n: number) => void>();

  async workerHeap(): Promise<number> {
    await this.ready;
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.memoryWaiters.set(seq, resolve);
      this.send({ type: 'memory', id: 0, seq });
    });
  }

  private reply(m: WorkerReply): void {
    if (m.type === 'memory') {
      this.memoryWaiters.get(m.seq)?.(m.heapUsed);
      this.memoryWaiters.delete(m.seq);
      return;
    }
    const r = this.running;
    if (m.type === 'ready' || !r || m.seq !== r.seq) return;
    clearTimeout(r.timer);
    this.running = undefined;
    for (const w of r.waiters) {
      if (m.type === 'result') w.resolve({ result: m.result, ms: m.ms, cpuMs: m.cpuMs, inputs: m.inputs });
      else w.reject(new Error(m.message));
    }
    void this.pump();
  }

  /** Ends the worker (a request that ran too long, or a crash) and starts a fresh one; the request under way gets a problem. */
  private restart(why: string): void {
    const r = this.running;
    this.running = undefined;
    if (r) {
      clearTimeout(r.timer);
      const result: AnalysisResult = { findings: [], problems: [{ kind: 'limit', file: r.rel, message: `not analysed: ${why}` }] };
      for (const w of r.waiters) w.resolve({ result, ms: 0, cpuMs: 0, inputs: [] });
    }
    const old = this.worker;
    this.worker = undefined;
    void old?.terminate();
    if (!this.disposed) {
      this.start();
      void this.pump();
    }
  }

  dispose(): void {
    this.disposed = true;
    void this.worker?.terminate();
  }
}

/** Settings a config carries into the worker unchanged: plain data. */
export type { QuerylensConfig };
