/**
 * `querylens lint --cache`: the results of the last run, reused for every file
 * whose inputs did not change.
 *
 * One file (default `<root>/node_modules/.cache/querylens/lint-<hash of root>.json`):
 * a header line with the payload's length and SHA-256, then the payload. The
 * payload holds
 *  - a key: the tool (version, build, TypeScript and parser versions), the
 *    project root and the setup (configuration, rule set, every schema source
 *    and statistics snapshot, by content). Any difference: the whole cache is
 *    dropped.
 *  - per linted file: its text hash, its inputs (the project files its
 *    analysis read, present or absent, and the project-wide usage facts when it
 *    consulted them: `Project.analyzeTracked`) and the result. An entry is used
 *    only when its text and every input are as they were: a change to a helper
 *    re-analyses exactly the files whose analysis read it.
 *  - per project file: its usage summary (engine/sources/table-usage.ts) with
 *    its inputs, so the usage facts can be checked without parsing the project.
 *  - the schema's problems (they belong to the setup).
 *
 * A file that is damaged (length, checksum, JSON, shape) or written for another
 * tool, root or setup is ignored and rewritten, never trusted: entries are also
 * checked one by one (ranges inside the file they point into). Inputs are read
 * through the project's reader only (inside the root, never node_modules), so a
 * cache cannot make querylens read anything else. Writing is atomic (temporary
 * file and rename); a cache that cannot be written is reported on stderr and
 * the run goes on.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type AnalysisResult,
  type FileUsage,
  type Finding,
  PARSER_VERSION,
  type Problem,
  type QuerylensConfig,
  type SchemaProblem,
  TYPESCRIPT_VERSION,
  USAGE_INPUT,
  fileUsageFromData,
  fileUsageToData,
} from '../engine';
import { writeAtomically } from './errors';
import { makeDirectories } from './files';
import { PACKAGE_ROOT, VERSION } from './version';

declare const QUERYLENS_BUILD_ID: string | undefined;

const MAGIC = 'querylens-lint-cache';
const NOT_A_CACHE = 'not a querylens cache';
const FORMAT = 1;

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** The default cache file of a project root (`--cache-location` overrides). */
export function defaultCacheFile(root: string): string {
  return path.join(root, 'node_modules', '.cache', 'querylens', cacheFileName(root));
}

function cacheFileName(root: string): string {
  return `lint-${sha1(root).slice(0, 12)}.json`;
}

/** `--cache-location PATH`: a file, or a directory (existing, or written with a trailing slash) to hold one. */
export function cacheFileAt(location: string, cwd: string, root: string): string {
  const abs = path.resolve(cwd, location);
  let isDir = /[\\/]$/.test(location);
  try {
    isDir ||= fs.statSync(abs).isDirectory();
  } catch {
    // Not there yet: a file of that name.
  }
  return isDir ? path.join(abs, cacheFileName(root)) : abs;
}

/**
 * The build: inlined by the bundler (scripts/esbuild-options.cjs hashes engine/, rules/, cli/); run
 * from source (tsx), the same hash computed here.
 */
function buildId(): string {
  if (typeof QUERYLENS_BUILD_ID === 'string') return QUERYLENS_BUILD_ID;
  const hash = createHash('sha1');
  const walk = (dir: string): void => {
    for (const ent of fs.readdirSync(path.join(PACKAGE_ROOT, dir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = `${dir}/${ent.name}`;
      if (ent.isDirectory()) walk(rel);
      else if (rel.endsWith('.ts')) hash.update(rel).update('\0').update(fs.readFileSync(path.join(PACKAGE_ROOT, rel))).update('\0');
    }
  };
  for (const d of ['engine', 'rules', 'cli']) walk(d);
  return hash.digest('hex').slice(0, 16);
}

let tool: string | undefined;

/** What produced the results: this package and build, and the parsers it runs on. */
export function toolFingerprint(): string {
  return (tool ??= `querylens ${VERSION} build ${buildId()} typescript ${TYPESCRIPT_VERSION} libpg-query ${PARSER_VERSION}`);
}

/** The key of a run's cache: the tool, the root, and the setup every file's result depends on. */
export function cacheKey(root: string, config: QuerylensConfig, rules: readonly { id: string }[], schemaFiles: readonly string[], texts: ReadonlyMap<string, string>): CacheKey {
  const setup = JSON.stringify({
    config,
    rules: rules.map((r) => r.id).sort(),
    // Schema sources and statistics snapshots, by content.
    schema: [...schemaFiles].sort().map((p) => [p, sha1(texts.get(p) ?? '')]),
  });
  return { tool: toolFingerprint(), root, setup: sha1(setup) };
}

export interface CacheKey {
  tool: string;
  root: string;
  setup: string;
}

/** The state of one input now: the hash of its text, null when absent; undefined when it cannot be known (never matches). */
export type InputState = (input: string) => string | null | undefined;

interface FileEntry {
  hash: string;
  inputs: number[];
  result: AnalysisResult;
}

interface UsageEntry {
  hash: string;
  inputs: number[];
  usage: FileUsage | null;
}

interface Payload {
  key: CacheKey;
  /** Input paths (and USAGE_INPUT), referenced by index. */
  inputs: string[];
  /** Each input's state when the entries were written. */
  states: (string | null)[];
  files: Record<string, { h: string; i: number[]; r: AnalysisResult }>;
  /** Usage summaries by file; `h` is '' for a file that could not be read. */
  usage: Record<string, { h: string; i: number[]; u: unknown }>;
  usageFiles: string[];
  schemaProblems: SchemaProblem[];
}

const isObj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
const isRange = (r: unknown): r is { start: number; end: number } => isObj(r) && isInt(r.start) && isInt(r.end) && r.start <= r.end;
const SEVERITIES = new Set(['error', 'warning', 'info']);

export class LintCache {
  private files = new Map<string, FileEntry>();
  private usages = new Map<string, UsageEntry>();
  private inputs: string[] = [];
  private states: (string | null)[] = [];
  private schemaProblems?: SchemaProblem[];
  private usageList: string[] = [];
  /** Why the file on disk was not used ('' when it was, or there was none). */
  readonly dropped: string;
  /** Whether the file was read and is this setup's (its entries may be used). */
  readonly loaded: boolean;
  /** A file is there that is not a querylens cache: it is never overwritten. */
  private readonly foreign: boolean;

  private constructor(
    readonly file: string,
    readonly key: CacheKey,
    private readonly known: ReadonlySet<string>,
    payload: Payload | undefined,
    dropped: string,
  ) {
    this.dropped = dropped;
    this.foreign = dropped === NOT_A_CACHE;
    this.loaded = payload !== undefined;
    if (!payload) return;
    this.inputs = payload.inputs;
    this.states = payload.states;
    this.schemaProblems = payload.schemaProblems;
    this.usageList = payload.usageFiles;
    for (const [rel, e] of Object.entries(payload.files)) this.files.set(rel, { hash: e.h, inputs: e.i, result: e.r });
    for (const [rel, e] of Object.entries(payload.usage)) {
      const usage = e.u === null ? null : fileUsageFromData(e.u);
      if (usage !== undefined) this.usages.set(rel, { hash: e.h, inputs: e.i, usage });
    }
  }

  /** Reads the cache file; anything wrong with it gives an empty cache (and says why in `dropped`). `known`: the rule ids of this run. */
  static load(file: string, key: CacheKey, known: readonly string[]): LintCache {
    const ids = new Set(known);
    let raw: Buffer;
    try {
      raw = fs.readFileSync(file);
    } catch {
      return new LintCache(file, key, ids, undefined, '');
    }
    const payload = parsePayload(raw);
    const drop = (why: string) => new LintCache(file, key, ids, undefined, why);
    if (typeof payload === 'string') return drop(payload);
    if (payload.key.tool !== key.tool) return drop('written by another querylens build');
    if (payload.key.root !== key.root) return drop('written for another project root');
    if (payload.key.setup !== key.setup) return drop('configuration, rules or schema changed');
    return new LintCache(file, key, ids, payload, '');
  }

  /** An entry's inputs still as they were. */
  private inputsHold(indexes: readonly number[], state: InputState): boolean {
    for (const i of indexes) {
      const p = this.inputs[i];
      if (p === undefined) return false;
      if (state(p) !== this.states[i]) return false;
    }
    return true;
  }

  /** The cached result of a linted file whose text hash and inputs are unchanged, checked against its text. */
  result(rel: string, hash: string, text: string, state: InputState): { result: AnalysisResult; inputs: string[] } | undefined {
    const e = this.files.get(rel);
    if (!e || e.hash !== hash || !validResult(e.result, rel, text.length, this.known) || !this.inputsHold(e.inputs, state)) return undefined;
    return { result: e.result, inputs: e.inputs.map((i) => this.inputs[i]) };
  }

  /** The cached usage summary of a project file whose text hash (null: unreadable) and inputs are unchanged. */
  usage(rel: string, hash: string | null, state: InputState): { usage: FileUsage | null; inputs: string[] } | undefined {
    const e = this.usages.get(rel);
    if (!e || e.hash !== (hash ?? '') || !this.inputsHold(e.inputs, state)) return undefined;
    return { usage: e.usage, inputs: e.inputs.map((i) => this.inputs[i]) };
  }

  /** Whether some cached result consulted the project-wide usage facts. */
  dependsOnUsage(): boolean {
    const i = this.inputs.indexOf(USAGE_INPUT);
    return i >= 0 && [...this.files.values()].some((e) => e.inputs.includes(i));
  }

  /** The files whose usage summaries were merged when the cache was written (sorted). */
  usageFiles(): readonly string[] {
    return this.usageList;
  }

  /** The state an input had when the cache was written (undefined: not an input of any entry). */
  storedState(input: string): string | null | undefined {
    const i = this.inputs.indexOf(input);
    return i < 0 ? undefined : this.states[i];
  }

  cachedSchemaProblems(): SchemaProblem[] | undefined {
    return this.schemaProblems;
  }

  /**
   * Writes the entries of this run (every one checked or computed against the current inputs) and
   * returns an error message, or undefined when written.
   */
  save(run: {
    files: Map<string, { hash: string; inputs: readonly string[]; result: AnalysisResult }>;
    usage: Map<string, { hash: string | null; inputs: readonly string[]; usage: FileUsage | null }>;
    usageFiles: readonly string[];
    schemaProblems: SchemaProblem[];
    state: InputState;
  }): string | undefined {
    if (this.foreign) return `cache ${this.file} is not a querylens cache; not overwritten (name another --cache-location)`;
    const index = new Map<string, number>();
    const inputs: string[] = [];
    const states: (string | null)[] = [];
    const ref = (p: string): number | undefined => {
      let i = index.get(p);
      if (i === undefined) {
        const s = run.state(p);
        // An input whose state cannot be known now (unreadable): the entry is not kept.
        if (s === undefined) return undefined;
        index.set(p, (i = inputs.length));
        inputs.push(p);
        states.push(s);
      }
      return i;
    };
    const refs = (list: readonly string[]): number[] | undefined => {
      const out: number[] = [];
      for (const p of list) {
        const i = ref(p);
        if (i === undefined) return undefined;
        out.push(i);
      }
      return out;
    };
    const payload: Payload = { key: this.key, inputs, states, files: {}, usage: {}, usageFiles: [...run.usageFiles], schemaProblems: run.schemaProblems };
    for (const [rel, e] of [...run.files].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const i = refs(e.inputs);
      if (i) payload.files[rel] = { h: e.hash, i, r: e.result };
    }
    for (const [rel, e] of [...run.usage].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const i = refs(e.inputs);
      if (i) payload.usage[rel] = { h: e.hash ?? '', i, u: e.usage ? fileUsageToData(e.usage) : null };
    }
    const body = JSON.stringify(payload);
    const header = JSON.stringify({ [MAGIC]: FORMAT, bytes: Buffer.byteLength(body), sha256: createHash('sha256').update(body).digest('hex') });
    try {
      makeDirectories(path.dirname(this.file));
      writeAtomically(this.file, `${header}\n${body}`);
      return undefined;
    } catch (e) {
      return `cache ${this.file} not written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
  }
}

/** The payload of a cache file, or why it is not one. */
function parsePayload(raw: Buffer): Payload | string {
  const nl = raw.indexOf(0x0a);
  if (nl < 0) return NOT_A_CACHE;
  let header: unknown;
  try {
    header = JSON.parse(raw.subarray(0, nl).toString('utf8'));
  } catch {
    return NOT_A_CACHE;
  }
  if (!isObj(header) || header[MAGIC] === undefined) return NOT_A_CACHE;
  if (header[MAGIC] !== FORMAT) return 'written in another cache format';
  const body = raw.subarray(nl + 1);
  if (header.bytes !== body.length || header.sha256 !== createHash('sha256').update(body).digest('hex')) return 'damaged (checksum)';
  let p: unknown;
  try {
    p = JSON.parse(body.toString('utf8'));
  } catch {
    return 'damaged (JSON)';
  }
  if (!isObj(p) || !isObj(p.key) || typeof p.key.tool !== 'string' || typeof p.key.root !== 'string' || typeof p.key.setup !== 'string') return 'damaged (shape)';
  if (!Array.isArray(p.inputs) || !p.inputs.every((x) => typeof x === 'string')) return 'damaged (shape)';
  if (!Array.isArray(p.states) || p.states.length !== p.inputs.length || !p.states.every((x) => x === null || typeof x === 'string')) return 'damaged (shape)';
  if (!isObj(p.files) || !isObj(p.usage) || !Array.isArray(p.schemaProblems) || !p.schemaProblems.every(validSchemaProblem)) return 'damaged (shape)';
  if (!Array.isArray(p.usageFiles) || !p.usageFiles.every((x) => typeof x === 'string')) return 'damaged (shape)';
  const n = p.inputs.length;
  const entryOk = (e: unknown, body: string): boolean =>
    isObj(e) && typeof e.h === 'string' && Array.isArray(e.i) && e.i.every((i) => isInt(i) && i < n) && body in e;
  if (!Object.values(p.files).every((e) => entryOk(e, 'r')) || !Object.values(p.usage).every((e) => entryOk(e, 'u'))) return 'damaged (shape)';
  return p as unknown as Payload;
}

function validSchemaProblem(p: unknown): p is SchemaProblem {
  return isObj(p) && typeof p.file === 'string' && typeof p.message === 'string' && (p.line === undefined || isInt(p.line)) && (p.range === undefined || isRange(p.range));
}

function validProblem(p: unknown): p is Problem {
  return validSchemaProblem(p) && typeof (p as { kind?: unknown }).kind === 'string';
}

/** A cached result fit to print and act on: its findings and problems belong to `rel` and lie inside its text. */
function validResult(r: unknown, rel: string, length: number, known: ReadonlySet<string>): r is AnalysisResult {
  if (!isObj(r) || !Array.isArray(r.findings) || !Array.isArray(r.problems)) return false;
  if (r.missingSchema !== undefined && typeof r.missingSchema !== 'string') return false;
  if (r.reach !== undefined && !(isObj(r.reach) && isInt(r.reach.sites) && isInt(r.reach.unresolved) && (r.reach.firstUnresolved === undefined || (isRange(r.reach.firstUnresolved) && r.reach.firstUnresolved.end <= length)))) return false;
  const inside = (x: unknown) => isRange(x) && x.end <= length;
  for (const f of r.findings as unknown[]) {
    if (!isObj(f)) return false;
    const g = f as Partial<Record<keyof Finding, unknown>>;
    if (g.file !== rel || typeof g.message !== 'string' || typeof g.ruleId !== 'string' || !known.has(g.ruleId) || !SEVERITIES.has(g.severity as string) || !inside(g.range)) return false;
    if (!Array.isArray(g.related) || !g.related.every((x) => isObj(x) && typeof x.file === 'string' && isRange(x.range) && typeof x.message === 'string')) return false;
    if (!Array.isArray(g.fixes) || !g.fixes.every((x) => isObj(x) && typeof x.title === 'string' && Array.isArray(x.edits) && x.edits.every((e) => isObj(e) && typeof e.file === 'string' && isRange(e.range) && typeof e.newText === 'string'))) return false;
    if (g.hover !== undefined && typeof g.hover !== 'string') return false;
  }
  for (const p of r.problems as unknown[]) {
    if (!validProblem(p) || p.file !== rel || (p.range !== undefined && !inside(p.range))) return false;
  }
  return true;
}
