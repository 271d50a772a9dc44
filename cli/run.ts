/**
 * The engine work of one `querylens lint`: which linted files need analysing
 * (all, or with `--cache` those whose text or inputs changed), where it runs
 * (this thread, or worker threads: `--concurrency`), and the project-wide
 * stage merged in between (per-file usage summaries → the usage facts every
 * analysis sees). Results come back per file and are put in the linted files'
 * order, so the report is the same however the work was split.
 */
import { availableParallelism } from 'node:os';
import { type AnalysisResult, type FileUsage, type Finding, type Problem, type QuerylensConfig, type SchemaProblem, PATHS_INPUT, REACH_INPUT, USAGE_INPUT, initParser, isAnalyzable, isSchemaSource, missingSchemaProblems, unresolvedQueriesProblems } from '../engine';
import { type InputState, type LintCache, sha1 } from './cache';
import { lazyReader, runClock } from './files';
import { LintPool } from './pool';
import type { Rule } from './report';
import { LintSession, type SessionInit } from './session';

/** Below this many files to analyse per thread, threads cost more than they save (start-up, duplicated helper parses). */
const MIN_FILES_PER_THREAD = 150;
/**
 * `--concurrency auto` uses worker threads only for code up to this many characters. Every worker repeats work
 * one thread does once (loading TypeScript and the SQL parser, the prefilter's scan, the helpers its files
 * import, the project-wide usage pass) and adds 115–300 MB. Measured cold on 2 shared cores (`lint --format json`,
 * one thread → two): kaneo 4.3 M characters 16.2 → 11.4 s wall, 379 → 501 MB; jellyseerr 2.6 M 7.0 → 6.5 s,
 * 268 → 450 MB; teable 6.2 M 21.9 → 25.5 s, 393 → 587 MB; outline 9.8 M 23.9 → 34.9 s, 393 → 614 MB; Unleash
 * 15.1 M (90 % of its files reach no data library: little parallel work, the scan repeated) 5.7 → 7.3 s and
 * 9.4 → 15.8 s CPU, 430 → 733 MB. Past it, one thread is faster here and a pool passes 600 MB.
 */
const AUTO_MAX_CHARS = 5_000_000;
/**
 * At most this many threads for `auto`: a third thread added 115–160 MB (jellyseerr 566 MB, kaneo 616 MB, Unleash
 * 893 MB with three), which a 600 MB bound does not leave room for.
 */
const AUTO_MAX_THREADS = 2;

/** The threads `--concurrency auto` uses: a pool only where it was measured to pay and to stay under 600 MB, else one. */
export function autoThreads(cores: number, files: number, chars: number): number {
  if (chars > AUTO_MAX_CHARS) return 1;
  return Math.max(1, Math.min(cores, AUTO_MAX_THREADS, Math.floor(files / MIN_FILES_PER_THREAD)));
}

/**
 * Characters of source whose syntax trees a thread holds before dropping them (Project.release):
 * about 25 bytes of heap per character, so ≈ 200 MB per thread.
 */
export const TREE_BUDGET_CHARS = 8_000_000;

export interface RunSetup {
  root: string;
  config: QuerylensConfig;
  rules: readonly Rule[];
  /** The registry's rules (false: a caller's own rule objects, which cannot cross to a thread). */
  registryRules: boolean;
  /** Every file the walk found. */
  candidates: readonly string[];
  /** Schema sources that could be read. */
  schemaFiles: readonly string[];
  /** Texts the CLI read (schema sources and linted files), without BOM. */
  texts: Map<string, string>;
  /** The linted files that could be read, sorted. */
  analysed: readonly string[];
  concurrency: 'auto' | number;
  cache?: LintCache;
  treeBudget?: number;
  /** Whether files that reach no data library skip extraction and rules (engine/sources/reach.ts). */
  reachFilter?: boolean;
  /** The worker script (tests: the bundle); by default beside this module. */
  workerScript?: string;
}

interface Entry {
  hash: string;
  inputs: readonly string[];
  result: AnalysisResult;
}

interface UsageEntry {
  hash: string | null;
  inputs: readonly string[];
  usage: FileUsage | null;
}

export class LintRun {
  private localSession?: LintSession;
  private readonly disk: (rel: string) => string | undefined;
  private readonly init: SessionInit;
  private cache?: LintCache;
  /** Input states of this pass (text hashes), by path. */
  private states = new Map<string, string | null>();
  private usageStateValue?: string;
  private pathsState?: string;
  private reachState?: string;
  /** Usage summaries of this run (checked from the cache or computed), by file. */
  private usage = new Map<string, UsageEntry>();
  /** Results of this run with their inputs, by linted file. */
  private entries = new Map<string, Entry>();
  /** Threads used by the last pass (1: this thread). */
  threadsUsed = 1;
  /** Linted files the last pass took from the cache. */
  fromCache = 0;
  /**
   * Whether this run computed anything the cache file does not hold (a result, a usage summary, the usage
   * facts' state) or changed a text (--fix). Without, the file read at the start already says it all.
   */
  private computed = false;

  constructor(private readonly setup: RunSetup) {
    this.disk = lazyReader(setup.root);
    this.cache = setup.cache;
    this.init = {
      root: setup.root,
      config: setup.config,
      candidates: [...new Set([...setup.candidates, ...setup.analysed])].sort(),
      pathsOnDisk: [...setup.candidates],
      schemaFiles: setup.schemaFiles.map((p) => [p, setup.texts.get(p)!]),
      treeBudget: setup.treeBudget ?? TREE_BUDGET_CHARS,
      reachFilter: setup.reachFilter ?? true,
      now: runClock(),
    };
  }

  /** The session on this thread (created on first use), reading the CLI's texts first. */
  session(): LintSession {
    return (this.localSession ??= new LintSession(this.init, this.setup.rules, this.setup.texts));
  }

  /** A project file's text as this run sees it (read texts first, then the disk through the project reader). */
  textOf(rel: string): string | undefined {
    return this.setup.texts.get(rel) ?? this.disk(rel);
  }

  /**
   * A file written by --fix: later passes see the new text. A schema source changes the setup the
   * cache was keyed on: the cache is neither used nor written after that.
   */
  setText(rel: string, text: string): void {
    this.computed = true;
    this.setup.texts.set(rel, text);
    this.localSession?.project.setFile(rel, text);
    this.states.clear();
    this.usageStateValue = undefined;
    this.reachState = undefined;
    this.usage.delete(rel);
    if (!this.init.candidates.includes(rel)) this.init.candidates = [...this.init.candidates, rel].sort();
    if (!this.init.pathsOnDisk.includes(rel)) {
      this.init.pathsOnDisk = [...this.init.pathsOnDisk, rel];
      this.localSession?.project.setPathsOnDisk(this.init.pathsOnDisk);
      this.pathsState = undefined;
    }
    // A schema source by its path or its content (a fix to a Drizzle table, a TypeORM entity), or one already read as such.
    if (isSchemaSource(rel, this.setup.config, text) || this.init.schemaFiles.some(([p]) => p === rel)) {
      this.init.schemaFiles = [...this.init.schemaFiles.filter(([p]) => p !== rel), [rel, text]];
      this.cache = undefined;
      this.entries.clear();
      this.usage.clear();
    }
  }

  /** An input's state now: its text hash, null when absent; for USAGE_INPUT the usage facts' digest hash, when known. */
  readonly state: InputState = (input) => {
    if (input === USAGE_INPUT) return this.usageStateValue;
    if (input === PATHS_INPUT) return (this.pathsState ??= sha1(this.init.pathsOnDisk.join('\n')));
    // Which files reach a data library depends on every file's imports: every code file's text and the manifests and tsconfigs.
    if (input === REACH_INPUT) return (this.reachState ??= sha1(this.init.candidates.filter((p) => isAnalyzable(p) || p.endsWith('.json')).map((p) => `${p}\u0000${this.state(p) ?? ''}`).join('\n')));
    let s = this.states.get(input);
    if (s === undefined) {
      const t = this.textOf(input);
      s = t === undefined ? null : sha1(t);
      this.states.set(input, s);
    }
    return s;
  };

  private usageFiles(): string[] {
    return this.session().project.usageFiles();
  }

  /** Takes the cached usage summaries whose inputs hold; returns the files left to summarise. */
  private usageFromCache(): string[] {
    const todo: string[] = [];
    for (const rel of this.usageFiles()) {
      if (this.usage.has(rel)) continue;
      const hash = this.state(rel) ?? null;
      const cached = this.cache?.usage(rel, hash, this.state);
      if (cached) this.usage.set(rel, { hash, ...cached });
      else todo.push(rel);
    }
    return todo;
  }

  /** Summarises the given usage files (threads or here). */
  private async summarise(todo: readonly string[], pool?: LintPool): Promise<void> {
    if (!todo.length) return;
    this.computed = true;
    const tasks = todo.map((path) => ({ path }));
    const outs = pool ? await pool.usage(tasks) : this.session().usage(tasks);
    for (const o of outs) this.usage.set(o.path, { hash: o.hash, inputs: o.inputs, usage: o.usage });
  }

  private seeds(): [string, FileUsage | null][] {
    return [...this.usage].map(([p, e]) => [p, e.usage]);
  }

  /** The usage facts' state from every file's summary, merged on this thread. */
  private digestHere(): string {
    this.computed = true;
    const session = this.session();
    session.seedUsage(this.seeds());
    return (this.usageStateValue = sha1(session.usageDigest()));
  }

  /** Every linted file's result, in the linted files' order. */
  async analyseAll(): Promise<AnalysisResult> {
    const { analysed } = this.setup;
    const results = new Map<string, AnalysisResult>();
    const misses: string[] = [];
    this.fromCache = 0;
    this.threadsUsed = 1;
    let pool: LintPool | undefined;
    try {
      const cache = this.cache;
      if (cache?.dependsOnUsage() && this.usageStateValue === undefined) {
        // Cached results that consulted the project-wide usage facts hold only if the facts do.
        const todo = this.usageFromCache();
        const stored = cache.storedState(USAGE_INPUT);
        if (todo.length === 0 && typeof stored === 'string' && sameList(this.usageFiles(), cache.usageFiles())) this.usageStateValue = stored;
        else {
          await initParser();
          pool = await this.startPool(todo.length);
          await this.summarise(todo, pool);
          this.digestHere();
        }
      }
      for (const f of analysed) {
        const text = this.setup.texts.get(f)!;
        const hash = sha1(text);
        const hit = cache?.result(f, hash, text, this.state);
        if (hit) {
          results.set(f, hit.result);
          this.entries.set(f, { hash, inputs: hit.inputs, result: hit.result });
          this.fromCache++;
        } else misses.push(f);
      }
      if (misses.length) {
        this.computed = true;
        await initParser();
        pool ??= await this.startPool(misses.length);
        if (pool) {
          // The project-wide stage, merged: every file's usage summary, then all of them to every thread.
          await this.summarise(this.usageFromCache(), pool);
          pool.seed(this.seeds());
          this.threadsUsed = pool.size;
        } else if (this.usage.size) this.session().seedUsage(this.seeds());
        const tasks = misses.map((path) => ({ path, text: this.setup.texts.get(path) }));
        const outs = pool ? await pool.analyze(tasks) : this.session().analyze(tasks);
        for (const o of outs) {
          results.set(o.path, o.result);
          this.entries.set(o.path, { hash: sha1(this.setup.texts.get(o.path)!), inputs: o.inputs, result: o.result });
        }
      }
    } finally {
      await pool?.close();
    }
    const findings: Finding[] = [];
    // Code that runs queries with no schema to read: one problem per package, naming what stays silent.
    const problems: Problem[] = missingSchemaProblems(analysed.map((f) => [f, results.get(f)!]));
    // Most query-looking calls unrecognised: "no findings" would mislead, so say how many and where to look.
    problems.push(...unresolvedQueriesProblems(analysed.map((f) => [f, results.get(f)!])));
    for (const f of analysed) {
      const r = results.get(f)!;
      findings.push(...r.findings);
      problems.push(...r.problems);
    }
    return { findings, problems };
  }

  private async startPool(files: number): Promise<LintPool | undefined> {
    const { concurrency, registryRules } = this.setup;
    if (!registryRules) return undefined;
    const wanted = concurrency === 'auto' ? autoThreads(availableParallelism(), files, this.codeChars()) : Math.min(concurrency, files);
    if (wanted < 2) return undefined;
    return LintPool.start(wanted, this.init, () => this.session(), this.setup.workerScript);
  }

  /** Characters of the linted files' texts: what a run's memory grows with. */
  private codeChars(): number {
    let n = 0;
    for (const f of this.setup.analysed) n += this.setup.texts.get(f)?.length ?? 0;
    return n;
  }

  /** The schema's problems (every package's): from the cache when it was written for this setup, else from the schemas built here. */
  schemaProblems(): SchemaProblem[] {
    const cached = this.cache?.cachedSchemaProblems();
    if (cached) return cached;
    return this.session().project.schemaProblems();
  }

  /** Writes the cache of this run; an error message when it could not be written. */
  async saveCache(schemaProblems: SchemaProblem[]): Promise<string | undefined> {
    const cache = this.cache;
    if (!cache) return undefined;
    // A warm run that took every result (and the usage facts' state, when asked) from the file: writing it again
    // would only drop what this run did not ask for (Unleash: 160 ms of a 1.0 s warm run).
    if (cache.loaded && !this.computed) return undefined;
    const consulted = [...this.entries.values()].some((e) => e.inputs.includes(USAGE_INPUT));
    // Results that consulted the usage facts are kept with the facts' state: computed here if no pass needed it.
    if (this.usageStateValue === undefined && consulted) {
      await initParser();
      await this.summarise(this.usageFromCache());
      this.digestHere();
    }
    // The list of usage files is read back only with such results (LintCache.dependsOnUsage, the server's warm
    // start): without any it is not worked out (the schema, test and one-off checks of every project file).
    return cache.save({ files: this.entries, usage: this.usage, usageFiles: consulted ? this.usageFiles() : [], schemaProblems, state: this.state });
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
