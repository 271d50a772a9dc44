/**
 * A project: the files the adapter gave us, the configuration, and caches
 * (parsed SQL per file version, the schema, per-file summaries). The CLI
 * fills one and analyses every file once; the server keeps one per workspace
 * folder and updates files as they change.
 */
import type * as ts from 'typescript';
import { type QuerylensConfig, defaultConfig } from './config';
import type { ProjectServices } from './context';
import { CostModel } from './model';
import { analyzeFile, type ProjectInternals, skipReason } from './file-analysis';
import { type Incident, MAX_FILE_BYTES, collectIncidents, replayIncidents } from './guard';
import { listQueries, type QueryList } from './queries';
import { buildSchema, isSchemaSource, readTsSchema, sourceKind, type SchemaHost } from './schema';
import { isManifest, PackageMap, type SchemaScope } from './schema/scopes';
import { sharedDatabaseLinks } from './schema/shared-database';
import { importedFiles, schemaLinks, type LinkHost, type SchemaLink } from './schema/links';
import { resolveModulePath } from './sources/provenance';
import type { SchemaModel, SchemaProblem } from './schema/types';
import { fileQuerySites } from './sources/orm';
import { sqlFileSites } from './sources/sql-files';
import { isTsLike, TsCache, tsSyntaxErrors } from './sources/ts-ast';
import { tsSqlSites } from './sources/ts-sql';
import { reachingFiles } from './sources/reach';
import { type FileUsage, encodedFields, fileUsage, literalMentions, ProjectUsage } from './sources/table-usage';
import { backgroundReason } from './background';
import { isTestFilePath, oneOffReason, packageEntries, packageFilesFor, packageScriptEntries } from './one-off';
import type { SqlSite } from './sources/types';
import { parseSql } from './sql/parser';
import { missingSchemaMessage } from './run-problems';
import { ChangedFile, collectReads, isNamingRead, isolatedReads, keepsReadsOf, noteRead, REACH_INPUT, replayReads } from './reads';
import type { AnalysisResult, RunsIn, Severity, SourceFile } from './types';
import type { Rule } from '../rules/define-rule';
import { allRules } from '../rules';

export { MAX_FILE_BYTES, skipReason };

export interface ProjectHost {
  /** Reads a project file that was not given with setFile (an imported helper); undefined if absent. */
  readFile?(path: string): string | undefined;
  /** Every analysable file of the project (project-relative), given or not: project-wide facts read them through readFile. */
  listFiles?(): readonly string[];
  /** The clock new timestamped migrations are named by (the CLI's run start, the server's analysis time). */
  now?(): Date;
  /** Told when `usage()` dropped syntax trees of this many characters for its budget (the CLI collects the garbage then). */
  released?(chars: number): void;
}

/** The input an analysis has when it consults the project-wide usage facts (`Project.usage`), in `analyzeTracked`'s list. */
export const USAGE_INPUT = '\u0000usage';
export { REACH_INPUT } from './reads';
/** The input an analysis has when it consulted the list of every path on disk (`pathsOnDisk`: fixes that create files). */
export const PATHS_INPUT = '\u0000paths';

export function isAnalyzable(path: string): boolean {
  return path.endsWith('.sql') || isTsLike(path);
}

/**
 * Memos whose values hold no syntax node, only data read from texts (module resolution, package.json and
 * tsconfig.json, package scripts, the interface index, migration folders): `release` keeps them, so a lint
 * that drops its trees every few thousand files does not scan every project file again after each drop
 * (the interface index and a migration tool's table files read every file's text; on sim, 15,000 of them).
 */
const TEXT_ONLY_MEMO = /^(prov-resolve$|prov-pkg:|prov-tsconfig:|oneOff:|oneOffPkg:|implementations$|migration-)/;

export class Project implements ProjectServices {
  private files = new Map<string, string>();
  private siteCache = new Map<string, { text: string; sites: SqlSite[]; reads: string[] }>();
  /** Schemas by scope (packages joined) with the files their build read besides the sources, and the package map they came from; dropped when a source or manifest changes. */
  private schemaCache = new Map<string, { schema: SchemaModel; reads: string[] }>();
  private packageMap?: PackageMap;
  /** The packages alone (manifests, no sources): what resolving a workspace import needs, while sources are being read. */
  private manifestMap?: PackageMap;
  /** What building the package map read outside the given files (see outsideFiles). */
  private packageReads: string[] = [];
  private memos = new Map<string, { text: string; value: unknown; incidents: Incident[]; reads: string[] }>();
  /** Per-file usage summaries computed elsewhere (a worker, the CLI's cache), by path; null: the file contributes nothing. */
  private usageSeeds = new Map<string, FileUsage | null>();
  private trees = new TsCache();
  /** Bumped whenever a file's text, the file set or the config changes: project-wide facts are rebuilt lazily. */
  private generation = 0;
  private usageCache?: { generation: number; usage: ProjectUsage };
  config: QuerylensConfig;
  model: CostModel;
  rules: Rule[];

  constructor(
    config: QuerylensConfig = defaultConfig(),
    private readonly host: ProjectHost = {},
    rules: Rule[] = allRules,
  ) {
    this.config = config;
    this.model = new CostModel(config.model);
    this.rules = rules;
  }

  setConfig(config: QuerylensConfig): void {
    this.config = config;
    this.model = new CostModel(config.model);
    this.dropSchemas();
    this.memos.clear();
    this.generation++;
    // SQL sites of a file depend on other files too (a client re-exported from db.ts): drop them with
    // the other derived data. Their parses stay memoised by SQL text, so this costs only extraction.
    this.siteCache.clear();
  }

  /** Adds or updates a file. Returns true when the schema changed. */
  setFile(path: string, text: string): boolean {
    const old = this.files.get(path);
    this.files.set(path, text);
    if (old !== text) {
      this.generation++;
      this.usageSeeds.delete(path);
      this.dropReadersOf(path, text);
    }
    // A file is a schema source by its path or its content (a TypeScript schema, a pg_dump): before or after the change.
    if (old !== text && (isManifest(path) || isSchemaSource(path, this.config, text) || (old !== undefined && isSchemaSource(path, this.config, old)))) {
      this.dropSchemas();
      return true;
    }
    return false;
  }

  /**
   * Memos and SQL sites are checked against their own file's text only: those whose computation read `path`
   * (a helper's file, a caller of one of its functions, an import probe that found nothing) go when it changes.
   */
  private dropReadersOf(path: string, text: string | undefined): void {
    // With the new text of a TypeScript file: whoever read which files name a word it has (the callers scan) goes too.
    const change = new ChangedFile(path, isTsLike(path) ? text : undefined);
    for (const [key, m] of this.memos) if (change.hits(m.reads) || keepsReadsOf(m.value, change)) this.memos.delete(key);
    for (const [key, s] of this.siteCache) if (change.hits(s.reads)) this.siteCache.delete(key);
    // Schemas keep the files they read besides their sources (constants a TypeScript schema imports).
    if (change.hits(this.packageReads)) this.dropSchemas();
    else for (const [key, s] of this.schemaCache) if (change.hits(s.reads)) this.schemaCache.delete(key);
  }

  /**
   * A file the host reads (not one given with setFile) changed or went away on disk: what was derived from its
   * old text goes, as setFile does for a given file; nothing else is dropped.
   */
  forget(path: string): void {
    if (this.files.has(path)) return;
    this.generation++;
    this.usageSeeds.delete(path);
    this.dropReadersOf(path, this.host.readFile?.(path));
  }

  private dropSchemas(): void {
    this.schemaCache.clear();
    this.packageMap = undefined;
    this.manifestMap = undefined;
  }

  private manifests(): PackageMap {
    this.manifestMap ??= new PackageMap(this.files.keys(), (p) => this.files.get(p), []);
    return this.manifestMap;
  }

  deleteFile(path: string): boolean {
    const old = this.files.get(path);
    const had = this.files.delete(path);
    if (had) {
      this.generation++;
      this.dropReadersOf(path, undefined);
    }
    this.usageSeeds.delete(path);
    this.siteCache.delete(path);
    this.trees.delete(path);
    if (had && (isManifest(path) || isSchemaSource(path, this.config, old))) {
      this.dropSchemas();
      return true;
    }
    return false;
  }

  paths(): string[] {
    return [...this.files.keys()];
  }

  private projectFilesCache?: { generation: number; listed: readonly string[] | undefined; files: string[] };

  /**
   * Every file of the project: the ones given, and the ones the host lists. The same array while neither
   * the files nor the host's list changed (the CLI's list is one array), so callers can key caches on it.
   */
  projectFiles(): string[] {
    const listed = this.host.listFiles?.();
    const hit = this.projectFilesCache;
    if (hit && hit.generation === this.generation && hit.listed === listed) return hit.files;
    const all = new Set(this.files.keys());
    for (const p of listed ?? []) all.add(p);
    const files = [...all];
    this.projectFilesCache = { generation: this.generation, listed, files };
    return files;
  }

  /**
   * What application code compares each column to and which tables it writes (engine/sources/table-usage.ts),
   * over every project file except schema sources, tests and one-off scripts. Per-file summaries are memoised
   * by text; the merge is redone when any file changed.
   */
  usage(): ProjectUsage {
    // One input of its own for whoever asks (USAGE_INPUT, whose state is `usageDigest`), not every file it reads.
    noteRead(USAGE_INPUT);
    if (this.usageCache?.generation === this.generation) return this.usageCache.usage;
    const usage = isolatedReads(() =>
      this.aside((bound) => {
        const u = new ProjectUsage();
        // In path order, whichever files were given or seeded: the merged sets iterate the same way everywhere.
        for (const path of this.usageFiles()) {
          const seeded = this.usageSeeds.get(path);
          const fu = seeded !== undefined ? seeded : this.fileUsage(path);
          if (fu) u.add(fu);
          bound();
        }
        return u;
      }),
    );
    this.usageCache = { generation: this.generation, usage };
    return usage;
  }

  /**
   * Characters of source whose syntax trees `usage()` may hold while it summarises every project file
   * (the CLI's per-thread budget); Infinity (the default, the server): no bound.
   */
  usageTreeBudget = Infinity;
  /** Times `usage()` dropped the trees and memos it had built, for its budget. */
  usageReleases = 0;
  /** The most characters of source whose trees `usage()` held at once (checked between two files). */
  usagePeakChars = 0;

  /**
   * Runs `compute` on trees, memos and SQL sites of its own, put aside afterwards, and drops them whenever
   * they pass `usageTreeBudget` (`compute` calls `bound` between two files): the project-wide usage facts
   * parse every project file, usually from inside one file's analysis, whose own trees (and the nodes its
   * rules hold) stay as they were. Without that, a 15,000-file monorepo (sim) held every file's tree at once:
   * heaps of several GB and minutes of garbage collection. The values are the same (they depend on texts only).
   */
  private aside<T>(compute: (bound: () => void) => T): T {
    const budget = this.usageTreeBudget;
    if (!Number.isFinite(budget)) return compute(() => undefined);
    const held = { trees: this.trees, memos: this.memos, siteCache: this.siteCache };
    this.trees = new TsCache(held.trees.deep);
    this.memos = new Map();
    this.siteCache = new Map();
    try {
      return compute(() => {
        this.usagePeakChars = Math.max(this.usagePeakChars, this.trees.heldChars);
        const held = this.trees.heldChars;
        if (held <= budget) return;
        this.release();
        this.usageReleases++;
        this.host.released?.(held);
      });
    } finally {
      ({ trees: this.trees, memos: this.memos, siteCache: this.siteCache } = held);
    }
  }

  private diskPaths = new Set<string>();

  /** The adapter's list of files that exist in the project (read or not); see ProjectServices.pathsOnDisk. */
  setPathsOnDisk(paths: Iterable<string>): void {
    this.diskPaths = new Set(paths);
  }

  now(): Date | undefined {
    return this.host.now?.();
  }

  pathsOnDisk(): ReadonlySet<string> {
    // Whoever asks depends on the whole list (PATHS_INPUT: a fix's new file name avoids every existing one).
    noteRead(PATHS_INPUT);
    return this.diskPaths;
  }

  /**
   * Why a file is one-off code (engine/one-off.ts): `oneOff` globs, its folders and name, or package.json
   * scripts (in its folder or any above) that run it only outside the application.
   */
  oneOffReason(path: string): string | undefined {
    // Asked by every per-execution rule of every file: the answer is kept with the package.json texts it
    // read (the same string objects while unchanged, so comparing them is cheap) and the config.
    const known = this.oneOffAnswers.get(path);
    const pkgs = known?.pkgs ?? packageFilesFor(path);
    // The file's own text last: a script that exports nothing and runs its queries at top level is one-off.
    const texts = [...pkgs, path].map((p) => this.fileText(p));
    if (known && known.config === this.config && texts.every((t, i) => t === known.texts[i])) return known.reason;
    const joined = texts.slice(0, -1).map((t) => t ?? '').join('\u0000');
    const entries = this.memo(`oneOff:${pkgs[pkgs.length - 1]}`, joined, () => packageScriptEntries(pkgs, (p) => this.fileText(p), (pkg, t) => this.memo(`oneOffPkg:${pkg}`, t, () => packageEntries(pkg, t))));
    const reason = oneOffReason(path, this.config, entries.scriptOnly, texts[texts.length - 1], entries.appEntries);
    this.oneOffAnswers.set(path, { pkgs, texts, config: this.config, reason });
    return reason;
  }

  /** `oneOffReason`'s answers by path, with the package.json texts and the config they hold for. */
  private oneOffAnswers = new Map<string, { pkgs: string[]; texts: (string | undefined)[]; config: QuerylensConfig; reason: string | undefined }>();

  /** Why a file runs in the background (engine/background.ts): a cron folder, or a route a vercel.json `crons` entry calls. */
  backgroundReason(path: string): string | undefined {
    return backgroundReason(path, (p) => this.fileText(p));
  }

  /** Where a file's code runs when not on a request path: one-off code first (it says more), then background. */
  runsIn(path: string): RunsIn | undefined {
    const oneOff = this.oneOffReason(path);
    if (oneOff) return { kind: 'one-off', reason: oneOff };
    const bg = this.backgroundReason(path);
    return bg ? { kind: 'background', reason: bg } : undefined;
  }

  /** The files whose usage summaries `usage()` merges, sorted. */
  usageFiles(): string[] {
    return this.projectFiles()
      .filter((path) => isAnalyzable(path) && !isSchemaSource(path, this.config) && !isTestFilePath(path) && !this.oneOffReason(path))
      .sort();
  }

  /**
   * Whether analyses skip the files that reach no data library (engine/sources/reach.ts): their SQL
   * extraction, query sites and rules, which find nothing there. The CLI sets it; the server analyses
   * every file it is asked about (the scan reads every project file, once per change of any).
   */
  reachFilter = false;
  private reachCache?: { generation: number; listed: readonly string[]; live: Set<string> };

  /** Whether `path` may reach a data library (always, without `reachFilter`); a no is an input of whoever asks (REACH_INPUT). */
  mayReach(path: string): boolean {
    if (!this.reachFilter) return true;
    const listed = this.projectFiles();
    let hit = this.reachCache;
    if (!hit || hit.generation !== this.generation || hit.listed !== listed) {
      const live = isolatedReads(() =>
        reachingFiles({
          files: listed,
          text: (p) => this.fileText(p),
          resolve: (from, spec) => this.schemaHost().resolve(from, spec),
          schemaSource: (p, text) => isSchemaSource(p, this.config, text),
        }),
      );
      hit = this.reachCache = { generation: this.generation, listed, live };
    }
    if (hit.live.has(path)) return true;
    noteRead(REACH_INPUT);
    return false;
  }

  /**
   * What a file that reaches no data library gives, from one parse: its syntax errors and, when `mentions` is
   * asked (the usage pass), the names its string literals mention (its usage summary), with the incidents the
   * parse noted. Plain data, kept past releases and the usage pass's own trees: the usage pass and the file's
   * analysis share it, and the tree is not kept (TsCache.transient). The analysis alone does not walk the
   * literals: most runs never ask for the usage facts (Unleash: 4,361 such files); a file analysed before the
   * usage pass asks is parsed again then, for the same answer.
   */
  private unreachedFacts = new Map<string, UnreachedFacts>();

  private unreached(path: string, text: string, mentions: boolean): UnreachedFacts {
    const hit = this.unreachedFacts.get(path);
    if (hit && hit.text === text && (hit.mentions || !mentions)) {
      replayIncidents(hit.incidents);
      return hit;
    }
    const { value, incidents } = collectIncidents(() => {
      const sf = this.trees.transient(path, text);
      const errors = tsSyntaxErrors(sf);
      const facts = { errors: errors.length, firstError: errors[0] };
      if (!mentions) return facts;
      const names = new Set<string>();
      const writeTexts = new Set<string>();
      const insertMentions = new Set<string>();
      literalMentions(sf, names, writeTexts, insertMentions);
      const encoded = new Set<string>();
      encodedFields(sf, encoded);
      return { ...facts, mentions: [...names], writeTexts: [...writeTexts], insertMentions: [...insertMentions], encoded: [...encoded] };
    });
    const facts = { text, incidents, ...value };
    this.unreachedFacts.set(path, facts);
    return facts;
  }

  /** One file's usage summary (memoised per text), or null when it contributes nothing (unreadable, skipped, not understood). */
  fileUsage(path: string): FileUsage | null {
    const text = this.fileText(path);
    if (text === undefined || skipReason(path, text)) return null;
    const schema = this.schema(path);
    try {
      if (!this.mayReach(path)) {
        const f = this.unreached(path, text, true);
        return { values: new Map(), writes: new Set(), inserts: new Set(), queries: 0, mentions: new Set(f.mentions), writeTexts: new Set(f.writeTexts), insertMentions: new Set(f.insertMentions), jsonParsed: new Set(), encoded: new Set(f.encoded) };
      }
      return this.memo(`usage:${path}`, text, () => fileUsage(this, path, schema));
    } catch {
      // A file the extractors cannot read contributes nothing; its own analysis reports why.
      return null;
    }
  }

  /** Usage summaries computed elsewhere for the current texts of these files (dropped when a file's text changes here). */
  seedUsage(seeds: Iterable<[string, FileUsage | null]>): void {
    for (const [path, u] of seeds) this.usageSeeds.set(path, u);
    this.usageCache = undefined;
  }

  /** `fileUsage` and the inputs it read (see `analyzeTracked`). */
  fileUsageTracked(path: string): { usage: FileUsage | null; inputs: string[] } {
    const { value, reads } = collectReads(() => this.fileUsage(path));
    return { usage: value, inputs: this.inputsOf(reads) };
  }

  /** The project's TypeScript files (not declarations), sorted, for the current file list. */
  private tsFilesSorted?: { files: readonly string[]; sorted: string[] };

  /**
   * Reads as inputs, sorted: a read of which files name a word (the callers scan) becomes every TypeScript file
   * of the project, since any of them may start naming it, so the CLI cache, the server and its warm start see
   * paths as for any other read.
   */
  private inputsOf(reads: string[]): string[] {
    if (!reads.some(isNamingRead)) return reads.length ? reads.sort() : [];
    const files = this.projectFiles();
    if (this.tsFilesSorted?.files !== files) this.tsFilesSorted = { files, sorted: files.filter((f) => isTsLike(f)).sort() };
    const all = this.tsFilesSorted.sorted;
    const own = reads.filter((r) => !isNamingRead(r)).sort();
    // Two sorted lists merged (the default sort's order: UTF-16 code units, as `<`), each path once.
    const out: string[] = [];
    let i = 0;
    let j = 0;
    while (i < own.length || j < all.length) {
      const next = j >= all.length || (i < own.length && own[i] < all[j]) ? own[i++] : all[j++];
      if (out[out.length - 1] !== next) out.push(next);
    }
    return out;
  }

  /** What the project-wide usage facts answer, as a canonical string: equal digests, equal answers (USAGE_INPUT's state). */
  usageDigest(): string {
    return isolatedReads(() => this.usage().digest(this.schema()));
  }

  fileText(path: string): string | undefined {
    noteRead(path);
    return this.files.get(path) ?? this.host.readFile?.(path);
  }

  private packages(): PackageMap {
    if (!this.packageMap) {
      const { value, reads } = collectReads(() => {
        let sources: string[] = [];
        const declaredBy = new Map<string, string>();
        // A TypeScript file counts when a reader finds schema in it (one that only mentions a library owns nothing).
        for (const [path, text] of this.files) {
          if (!isSchemaSource(path, this.config, text)) continue;
          if (sourceKind(path, text) === 'ts') {
            const out = readTsSchema({ path, text }, this.schemaHost());
            if (!out) continue;
            if (out.kind === 'declaration') declaredBy.set(path, out.library);
          }
          sources.push(path);
        }
        const manifests = this.manifests();
        const host: LinkHost = {
          paths: this.projectFiles(),
          text: (p) => this.fileText(p),
          resolve: (from, spec) => this.schemaHost().resolve(from, spec),
          packageOf: (p) => manifests.ownerOf(p),
        };
        const { links, unread } = schemaLinks(sources, host);
        if (links.length) sources = withoutLeftovers(sources, declaredBy, links, unread, host);
        const map = new PackageMap(this.files.keys(), (p) => this.files.get(p), sources);
        for (const l of links) {
          const migrations = sources.filter((s) => s.startsWith(`${l.out}/`) && sourceKind(s) !== 'ts');
          for (const f of l.named) if (declaredBy.has(f) && sources.includes(f)) map.link(map.ownerOf(f), migrations);
        }
        const shared = sharedDatabaseLinks({
          owners: map.owners,
          isDeclaration: (p) => declaredBy.has(p) || sourceKind(p) === 'model',
          isStats: (p) => sourceKind(p) === 'stats',
          build: (paths) => buildSchema(paths.map((path) => ({ path, text: this.files.get(path) ?? '' })), this.config, this.schemaHost()),
          configured: this.config.schema.links,
        });
        for (const [pkg, linked] of shared) map.link(pkg, linked);
        return map;
      });
      this.packageMap = value;
      this.packageReads = this.outsideFiles(reads);
    } else replayReads(this.packageReads);
    return this.packageMap;
  }

  /**
   * Of the files a schema computation read, those the project was not given (`setFile`): files a
   * TypeScript schema imports constants from. Every analysis depends on them as on the schema; the
   * given files (the schema sources and manifests) are the CLI's cache key already.
   */
  private outsideFiles(reads: readonly string[]): string[] {
    return reads.filter((r) => !this.files.has(r));
  }

  /** Which packages' schema sources a file's queries run against (see engine/schema/scopes.ts). */
  schemaScope(path: string): SchemaScope {
    return this.packages().scopeOf(path);
  }

  /** Every package that owns schema sources, each as its own scope. */
  schemaScopes(): SchemaScope[] {
    return [...this.packages().owners.keys()].sort().map((p) => ({ packages: [p], reason: 'own' as const }));
  }

  /** The schema built from a scope's sources. */
  schemaOf(scope: SchemaScope): SchemaModel {
    const key = scope.packages.join('\n');
    const hit = this.schemaCache.get(key);
    if (hit) {
      replayReads(this.packageReads);
      replayReads(hit.reads);
      return hit.schema;
    }
    const { value: schema, reads } = collectReads(() => {
      const sources: SourceFile[] = [];
      for (const path of this.packages().sourcesOf(scope)) sources.push({ path, text: this.files.get(path) ?? '' });
      return buildSchema(sources, this.config, this.schemaHost());
    });
    this.schemaCache.set(key, { schema, reads: this.outsideFiles(reads) });
    return schema;
  }

  /**
   * The schema a file's queries run against: its package's (monorepos: see schemaScope). Without a
   * path, every schema source of the project together.
   */
  schema(path?: string): SchemaModel {
    if (path !== undefined) return this.schemaOf(this.schemaScope(path));
    return this.schemaOf({ packages: [...this.packages().owners.keys()].sort(), reason: 'own' });
  }

  /** Other files for names a TypeScript schema source imports (constants, shared column sets). */
  private schemaHost(): SchemaHost {
    return {
      resolve: (from, spec) =>
        resolveModulePath(this, from, spec) ??
        (spec.startsWith('.') ? undefined : this.manifests().resolvePackage(spec, (base) => ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '/index.ts', '/index.js'].map((e) => base + e).find((p) => this.fileText(p) !== undefined))),
      parse: (path) => this.tsAst(path),
      memo: (key, text, compute) => this.memo(key, text, compute),
    };
  }

  /**
   * Why `path`'s queries are read without a schema, or undefined: when the file runs queries (SQL or
   * ORM calls) and its package's scope has no schema source. Names the rules that stay silent and how
   * to point querylens at a schema.
   */
  missingSchema(path: string): string | undefined {
    const scope = this.schemaScope(path);
    if (this.schemaOf(scope).sources.length) return undefined;
    // Only when a rule that reads the schema is on: otherwise nothing stays silent.
    const needing = this.rules.filter((r) => r.meta.needsSchema && this.severityOf(r) !== 'off');
    if (!needing.length || !this.runsQueries(path)) return undefined;
    return missingSchemaMessage(this.packages().ownerOf(path), needing);
  }

  /** The schema problems of every package that owns schema sources (monorepos: each builds its own), each said once. */
  schemaProblems(): SchemaProblem[] {
    const seen = new Set<string>();
    const out: SchemaProblem[] = [];
    for (const scope of this.schemaScopes()) {
      for (const sp of this.schemaOf(scope).problems) {
        const key = `${sp.file}:${sp.line}:${sp.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(sp);
      }
    }
    return out;
  }

  private runsQueries(path: string): boolean {
    try {
      if (path.endsWith('.sql')) return this.sqlSites(path).some((s) => (s.parsed?.statements.length ?? 0) > 0);
      return this.sqlSites(path).length > 0 || (isTsLike(path) && fileQuerySites(this, path).length > 0);
    } catch {
      return false;
    }
  }

  memo<T>(key: string, text: string, compute: () => T): T {
    const hit = this.memos.get(key);
    if (hit && hit.text === text) {
      // A value computed while a helper was too deep to analyse stays incomplete: every reader hears it.
      replayIncidents(hit.incidents);
      // Whoever uses a memoised value depends on what computing it read.
      replayReads(hit.reads);
      return hit.value as T;
    }
    const {
      value: { value, incidents },
      reads,
    } = collectReads(() => collectIncidents(compute));
    this.memos.set(key, { text, value, incidents, reads });
    return value;
  }

  /** Characters of source text whose syntax trees are held (the trees and what hangs off them grow with it). */
  heldTreeChars(): number {
    return this.trees.heldChars;
  }

  /**
   * Drops every syntax tree and derived value (memos, SQL sites), keeping the files, the config, the
   * schema and the usage facts: the CLI calls it between files when its heap grows past a budget, and
   * whatever a later analysis needs is rebuilt (the same values: analysis depends only on texts).
   */
  release(): void {
    this.trees.clear();
    for (const key of this.memos.keys()) if (!TEXT_ONLY_MEMO.test(key)) this.memos.delete(key);
    this.siteCache.clear();
  }

  tsAst(path: string): ts.SourceFile | undefined {
    const text = this.fileText(path);
    if (text === undefined || !isTsLike(path)) return undefined;
    return this.trees.get(path, text);
  }

  sqlSites(path: string): SqlSite[] {
    const text = this.fileText(path);
    if (text === undefined) return [];
    const hit = this.siteCache.get(path);
    if (hit && hit.text === text) {
      replayReads(hit.reads);
      return hit.sites;
    }
    // Sites of a TypeScript file depend on its imports (a client re-exported from db.ts): their reads are kept.
    const { value: sites, reads } = collectReads(() => {
      if (path.endsWith('.sql')) return sqlFileSites(path, text);
      if (isTsLike(path)) return tsSqlSites(path, text, this.trees.get(path, text), this);
      return [];
    });
    for (const s of sites) s.parsed = parseSql(s.sql);
    this.siteCache.set(path, { text, sites, reads });
    return sites;
  }

  /**
   * The query sites recognised in a TypeScript file, and the calls that look like queries but were not
   * (with the reason): what `querylens queries` prints. Never throws for bad input.
   */
  queries(path: string): QueryList {
    const text = this.fileText(path);
    if (text === undefined || !isTsLike(path)) return { queries: [], unresolved: [] };
    try {
      const sites = this.memo(`querySites:${path}`, text, () => fileQuerySites(this, path));
      return listQueries(this, path, sites);
    } catch {
      return { queries: [], unresolved: [] };
    }
  }

  severityOf(rule: Rule): Severity | 'off' {
    return this.config.rules[rule.id]?.severity ?? rule.meta.defaultSeverity;
  }

  /**
   * `analyze`, and every input the result depends on: the project paths whose text (or absence) it
   * read, directly or through memoised summaries of other files, and USAGE_INPUT when it consulted
   * the project-wide usage facts. The schema and config are not listed: they are inputs of every file.
   */
  analyzeTracked(path: string): { result: AnalysisResult; inputs: string[] } {
    const { value, reads } = collectReads(() => this.analyze(path));
    return { result: value, inputs: this.inputsOf(reads) };
  }

  /** Analyses one file of the project (engine/file-analysis.ts). Never throws: a stage's error becomes a problem on the file. */
  analyze(path: string, only?: readonly string[]): AnalysisResult {
    return analyzeFile(this, this.internals, path, only);
  }

  /** The private state `analyzeFile` reads, each read at call time (`aside` swaps the tree cache). */
  private readonly internals: ProjectInternals = {
    tree: (path, text) => this.trees.get(path, text),
    tooDeep: (path, text) => this.trees.tooDeep(path, text),
    unreached: (path, text, mentions) => this.unreached(path, text, mentions),
  };
}

export interface UnreachedFacts {
  text: string;
  incidents: Incident[];
  /** Syntax errors: how many, and the first. */
  errors: number;
  firstError?: { start: number; message: string };
  /** The names its string literals mention, the write statements' targets and insert mentions (FileUsage); absent until the usage pass asks. */
  mentions?: string[];
  writeTexts?: string[];
  insertMentions?: string[];
  /** Property names written with base64 or a data URL (FileUsage.encoded). */
  encoded?: string[];
}

/**
 * Sources without the TypeScript table files of a library with a config that no config names and no code
 * imports (generator output left in the tree: what it declares is not the database's). Reads every code
 * file for its imports, outside the read tracking: the schema is rebuilt when a source or manifest changes.
 */
function withoutLeftovers(sources: string[], declaredBy: ReadonlyMap<string, string>, links: readonly SchemaLink[], unread: ReadonlySet<string>, host: LinkHost): string[] {
  const named = new Set(links.flatMap((l) => [...l.named]));
  const linked = new Set(links.map((l) => l.library).filter((lib) => !unread.has(lib)));
  const candidates = sources.filter((s) => linked.has(declaredBy.get(s) ?? '') && !named.has(s));
  if (!candidates.length) return sources;
  const code = host.paths.filter((p) => /\.(?:[cm]?[jt]s|[jt]sx)$/.test(p) && !p.includes('node_modules/'));
  const imported = isolatedReads(() => importedFiles(candidates, code, host));
  const left = new Set(candidates.filter((c) => !imported.has(c)));
  return left.size ? sources.filter((s) => !left.has(s)) : sources;
}
