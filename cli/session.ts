/**
 * One lint's engine work, the same on the main thread and in each worker
 * thread (cli/pool.ts): a `Project` over the root (schema sources and the
 * texts the CLI read given, every other file read on demand through the
 * CLI's reader), and three steps the CLI schedules:
 *  - `usage`: per-file usage summaries (the per-file extraction: parse,
 *    provenance, SQL and ORM sites), for the project-wide usage facts;
 *  - `seedUsage`: the summaries computed elsewhere (other workers, the cache),
 *    so the merged facts here are those of the whole project;
 *  - `analyze`: the rules on each file, with the inputs its result depends on.
 *
 * Memory stays bounded: when the syntax trees held pass a budget (counted in
 * characters of source, which the heap grows with) between two files, every
 * syntax tree and derived value is dropped
 * (`Project.release`) and rebuilt on demand from the texts; the result is the
 * same (analysis depends on texts only), so the budget trades memory for time.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { type AnalysisResult, type FileUsage, Project, type QuerylensConfig, allRules } from '../engine';
import { sha1 } from './cache';
import { lazyReader } from './files';
import type { Rule } from './report';

export interface SessionInit {
  root: string;
  config: QuerylensConfig;
  /** Every file the walk found and every linted file (project-relative): the project-wide facts read them. */
  candidates: string[];
  /** Every file on disk (the walk): fixes that create files avoid their names. */
  pathsOnDisk: string[];
  /** Schema sources and their texts (the schema is built from exactly these). */
  schemaFiles: [string, string][];
  /**
   * Characters of source text whose syntax trees (and the summaries hanging off them) may be held;
   * past it, all are dropped between two files. 0: after every file. Heap grows about 25-fold on it.
   */
  treeBudget: number;
  /** Whether files that reach no data library get only their own problems (engine/sources/reach.ts): the same report, less work. */
  reachFilter?: boolean;
  /** The run's clock (epoch ms), one for every thread: new timestamped migrations are named by it. */
  now?: number;
}

export interface FileTask {
  path: string;
  /** The text the CLI read; absent: read here through the project's reader. */
  text?: string;
}

export interface UsageOut {
  path: string;
  /** Hash of the text the summary was computed from; null when the file could not be read. */
  hash: string | null;
  usage: FileUsage | null;
  inputs: string[];
}

export interface AnalysisOut {
  path: string;
  result: AnalysisResult;
  inputs: string[];
}

export class LintSession {
  readonly project: Project;
  /** Times the derived data was dropped for the budget. */
  releases = 0;

  /**
   * `given`: texts the CLI read (the linted files), served before the disk. They reach the project
   * through its host like any other file, not as `setFile`: every session then has the same files
   * (the schema sources), whichever texts it was handed.
   */
  constructor(
    private readonly init: SessionInit,
    rules: readonly Rule[] = allRules,
    private readonly given = new Map<string, string>(),
  ) {
    const disk = lazyReader(init.root);
    const now = init.now;
    this.project = new Project(
      init.config,
      { readFile: (rel) => given.get(rel) ?? disk(rel), listFiles: () => init.candidates, released: (chars) => collectAfter(chars), ...(now === undefined ? {} : { now: () => new Date(now) }) },
      [...rules],
    );
    this.project.setPathsOnDisk(init.pathsOnDisk);
    this.project.reachFilter = init.reachFilter ?? false;
    // The project-wide usage facts, when an analysis asks for them first, parse every file under the same budget.
    this.project.usageTreeBudget = init.treeBudget;
    for (const [p, text] of init.schemaFiles) this.project.setFile(p, text);
  }

  private give(t: FileTask): void {
    if (t.text !== undefined) this.given.set(t.path, t.text);
  }

  usage(tasks: readonly FileTask[]): UsageOut[] {
    return tasks.map((t) => {
      this.give(t);
      const text = this.project.fileText(t.path);
      const { usage, inputs } = this.project.fileUsageTracked(t.path);
      this.bound();
      return { path: t.path, hash: text === undefined ? null : sha1(text), usage, inputs };
    });
  }

  seedUsage(entries: Iterable<[string, FileUsage | null]>): void {
    this.project.seedUsage(entries);
  }

  usageDigest(): string {
    return this.project.usageDigest();
  }

  /**
   * The results in the tasks' order. With the prefilter on, the files that reach a data library are analysed
   * first: only their rules ask for the project-wide usage facts, and a usage pass that comes before the other
   * files' analyses gives them their usage summary from the same parse (Project.unreached). Those analyses read
   * texts only (no rule, no memo, no tree kept), so moving them after the others changes no result.
   */
  analyze(tasks: readonly FileTask[]): AnalysisOut[] {
    for (const t of tasks) this.give(t);
    const order = tasks.map((_, i) => i);
    if (this.project.reachFilter) {
      const reaches = tasks.map((t) => this.project.mayReach(t.path));
      order.sort((a, b) => Number(reaches[b]) - Number(reaches[a]) || a - b);
    }
    const outs: AnalysisOut[] = new Array(tasks.length);
    for (const i of order) {
      const path = tasks[i].path;
      const { result, inputs } = this.project.analyzeTracked(path);
      this.bound();
      outs[i] = { path, result, inputs };
    }
    return outs;
  }

  /** Drops trees and derived values when they are over this thread's budget. */
  private bound(): void {
    const held = this.project.heldTreeChars();
    if (held > this.init.treeBudget) {
      this.project.release();
      this.releases++;
      // Many trees (tens of MB of heap) are collected now, while they are garbage: V8 would let the
      // next trees pile up on top of them first (Unleash, 5,612 files: old space grew from 107 to
      // 308 MB before its one late collection, to 92 MB), and that heap, not the live data, is the
      // peak memory. A small release (a tiny budget) is left to V8: a full collection costs more.
      collectAfter(held);
    }
  }
}

/** A full collection after dropping this many characters' trees, when that is worth one (see LintSession.bound). */
function collectAfter(chars: number): void {
  if (chars >= GC_AFTER_CHARS) fullGc()?.();
}

/** Tree characters whose release is worth a full collection (the heap holds about 25 bytes a character). */
const GC_AFTER_CHARS = 2_000_000;

let gcFn: (() => void) | null | undefined;

/** V8's full collection, made callable at run time (as --expose-gc would); null when the runtime refuses. */
function fullGc(): (() => void) | null {
  if (gcFn !== undefined) return gcFn;
  try {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === 'function') return (gcFn = exposed);
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    gcFn = typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    gcFn = null;
  }
  return gcFn;
}
