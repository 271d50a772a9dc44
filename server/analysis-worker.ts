/**
 * The analysis worker: engine `Project`s live here, off the thread that
 * answers requests, so a hover or an edit is answered while a large file is
 * analysed. The protocol is engine-level, not LSP: open a project (root,
 * config), mirror file texts, analyse a path. The CLI could drive the same
 * module (one worker per core, each with its own projects).
 *
 * Files the main thread did not send are read from disk here, only inside
 * the project's real root (no `../`, no symbolic link leading out, whatever
 * the workspace's trust), never above the engine's size bound.
 *
 * Started with a large stack (resourceLimits.stackSizeMb): deeply nested
 * input that the engine's limits let through still has room.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { type AnalysisResult, MAX_FILE_BYTES, Project, type QuerylensConfig, initParser } from '../engine';

export type WorkerRequest =
  | { type: 'open'; id: number; root: string; config: QuerylensConfig }
  | { type: 'close'; id: number }
  | { type: 'config'; id: number; config: QuerylensConfig }
  | { type: 'setFile'; id: number; rel: string; text: string }
  | { type: 'deleteFile'; id: number; rel: string }
  | { type: 'pathsOnDisk'; id: number; paths: string[] }
  /** The disk text of `rel` may have changed: read it again when needed. */
  | { type: 'forget'; id: number; rel: string }
  | { type: 'analyze'; id: number; rel: string; seq: number }
  /** Heap in use after a collection when the process runs with --expose-gc (tests of memory bounds). */
  | { type: 'memory'; id: 0; seq: number };

export type WorkerReply =
  | { type: 'ready' }
  /** `cpuMs`: process CPU while it ran (the other threads mostly wait meanwhile). */
  | { type: 'result'; seq: number; result: AnalysisResult; ms: number; cpuMs: number; inputs: string[] }
  | { type: 'failed'; seq: number; message: string }
  | { type: 'memory'; seq: number; heapUsed: number };

/** Reads project files from disk, inside the real root only. */
export class BoundedDisk {
  private readonly cache = new Map<string, string | undefined>();
  private readonly realRoot: string;

  constructor(readonly root: string) {
    let real = root;
    try {
      real = fs.realpathSync(root);
    } catch {
      // A root that cannot be resolved reads nothing but through its own path.
    }
    this.realRoot = real;
  }

  forget(rel: string): void {
    this.cache.delete(rel);
  }

  read(rel: string): string | undefined {
    if (this.cache.has(rel)) return this.cache.get(rel);
    const text = this.readUncached(rel);
    this.cache.set(rel, text);
    return text;
  }

  /** The text of `rel` without keeping it (a file read only to look at its content); a cached text when there is one. */
  peek(rel: string): string | undefined {
    return this.cache.has(rel) ? this.cache.get(rel) : this.readUncached(rel);
  }

  /** The real path of a project path when it exists inside the real root, else undefined. */
  inside(rel: string): string | undefined {
    const abs = path.resolve(this.root, rel);
    const lexical = path.relative(this.root, abs);
    if (lexical.startsWith('..') || path.isAbsolute(lexical) || rel.split(/[\\/]/).includes('node_modules')) return undefined;
    try {
      const real = fs.realpathSync(abs);
      const r = path.relative(this.realRoot, real);
      return r === '' || (!r.startsWith('..') && !path.isAbsolute(r)) ? real : undefined;
    } catch {
      return undefined;
    }
  }

  private readUncached(rel: string): string | undefined {
    const real = this.inside(rel);
    if (!real) return undefined;
    try {
      const st = fs.statSync(real);
      // Larger than the engine analyses: a marker-sized read lets it report the skip.
      if (!st.isFile() || st.size > MAX_FILE_BYTES * 4) return undefined;
      return fs.readFileSync(real, 'utf8');
    } catch {
      return undefined;
    }
  }
}

/** The worker's state: projects by id. Pure message handling (tested without a thread). */
export class WorkerState {
  private readonly projects = new Map<number, { project: Project; disk: BoundedDisk }>();

  handle(msg: WorkerRequest): WorkerReply | undefined {
    if (msg.type === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      return { type: 'memory', seq: msg.seq, heapUsed: process.memoryUsage().heapUsed };
    }
    if (msg.type === 'open') {
      const disk = new BoundedDisk(msg.root);
      // The files the main thread's walk found (pathsOnDisk, mirrored) are the project's file list, as there.
      // New timestamped migrations a quick fix creates are named by the time of the analysis.
      const project: Project = new Project(msg.config, { readFile: (rel) => disk.read(rel), listFiles: () => [...project.pathsOnDisk()], now: () => new Date() });
      this.projects.set(msg.id, { project, disk });
      return undefined;
    }
    const p = this.projects.get(msg.id);
    if (!p) return msg.type === 'analyze' ? { type: 'failed', seq: msg.seq, message: `no project ${msg.id}` } : undefined;
    switch (msg.type) {
      case 'close':
        this.projects.delete(msg.id);
        return undefined;
      case 'config':
        p.project.setConfig(msg.config);
        return undefined;
      case 'setFile':
        p.project.setFile(msg.rel, msg.text);
        return undefined;
      case 'deleteFile':
        p.project.deleteFile(msg.rel);
        return undefined;
      case 'pathsOnDisk':
        p.project.setPathsOnDisk(msg.paths);
        return undefined;
      case 'forget':
        p.disk.forget(msg.rel);
        p.project.forget(msg.rel);
        return undefined;
      case 'analyze':
        try {
          const started = performance.now();
          const cpu = process.cpuUsage();
          const { result, inputs } = p.project.analyzeTracked(msg.rel);
          const c = process.cpuUsage(cpu);
          return { type: 'result', seq: msg.seq, result, ms: performance.now() - started, cpuMs: (c.user + c.system) / 1000, inputs };
        } catch (e) {
          return { type: 'failed', seq: msg.seq, message: (e as Error)?.stack ?? String(e) };
        }
    }
  }
}

if (parentPort) {
  const port = parentPort;
  const state = new WorkerState();
  void initParser().then(() => {
    port.on('message', (msg: WorkerRequest) => {
      const reply = state.handle(msg);
      if (reply) port.postMessage(reply);
    });
    port.postMessage({ type: 'ready' } satisfies WorkerReply);
  });
}
