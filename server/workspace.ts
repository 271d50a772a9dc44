/**
 * One workspace folder: its engine `Project`, its configuration, the files
 * the walk found, and the disk cache behind the project host. Schema sources
 * are read eagerly (the schema needs all of them); every other file is read
 * on demand through `ProjectHost.readFile` when a rule follows an import.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import {
  type AnalysisResult,
  type Baseline,
  type ConfigDocument,
  ConfigError,
  type Finding,
  MAX_FILE_BYTES,
  Project,
  type QuerylensConfig,
  defaultConfig,
  SCHEMA_FOLDERS,
  formatConfigIssues,
  isAnalyzable,
  isLibrarySchemaFile,
  isManifest,
  isSchemaSource,
  mayBeSchemaSource,
  SUPPRESSIONS_FILE,
  matchBaseline,
  parseConfig,
  readConfigDocument,
  ruleIds,
  validateBaseline,
  validateConfig,
  safeIgnoreText,
} from '../engine';

import { BoundedDisk, type WorkerRequest } from './analysis-worker';
import { WarmCache } from './warm-cache';

export const CONFIG_FILE = 'querylens.config.json';

/**
 * The main thread's Project: it keeps the state (texts, config, which files
 * exist) and mirrors every change to the analysis worker, which analyses.
 */
class MirroringProject extends Project {
  sink?: (msg: WorkerRequest) => void;
  id = 0;
  /** Told of every change to a file's text (undefined: the configuration); the lint cache's checks start again. */
  onChange?: (p?: string) => void;

  override setFile(p: string, text: string): boolean {
    if (this.fileText(p) !== text || !this.paths().includes(p)) {
      this.sink?.({ type: 'setFile', id: this.id, rel: p, text });
      this.onChange?.(p);
    }
    return super.setFile(p, text);
  }

  override deleteFile(p: string): boolean {
    this.sink?.({ type: 'deleteFile', id: this.id, rel: p });
    this.onChange?.(p);
    return super.deleteFile(p);
  }

  override setConfig(config: QuerylensConfig): void {
    this.sink?.({ type: 'config', id: this.id, config });
    this.onChange?.();
    super.setConfig(config);
  }

  override setPathsOnDisk(paths: Iterable<string>): void {
    const list = [...paths];
    this.sink?.({ type: 'pathsOnDisk', id: this.id, paths: list });
    super.setPathsOnDisk(list);
  }
}

let nextProjectId = 1;

/** Directories never walked: dependencies, build output, VCS data. */
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.hg', '.svn', 'out', 'build', 'coverage', '.next', '.turbo', '.querylens-cache']);
/** A walk stops after this many entries, so a huge monorepo cannot stall initialize. */
const MAX_WALK_ENTRIES = 50_000;

/** Settings keys (VS Code `querylens.*`) that map onto config keys. */
const SETTING_KEYS = ['rules', 'schema', 'tables', 'model', 'budgets', 'ignore', 'lintTests', 'reportUnusedSuppressions'] as const;

export interface Logger {
  log(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/**
 * In an untrusted workspace, keys that point at databases or executables are
 * not read: `database`, `command` and any `…Path` key, at any depth. Returns
 * the cleaned value and the dropped key paths (for the log).
 */
export function stripUntrusted(value: unknown, prefix = ''): { value: unknown; dropped: string[] } {
  const dropped: string[] = [];
  const walk = (v: unknown, at: string): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${at}[${i}]`));
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const key = at ? `${at}.${k}` : k;
      if (k === 'database' || k === 'command' || /Path$/.test(k)) {
        dropped.push(key);
        continue;
      }
      out[k] = walk(x, key);
    }
    return out;
  };
  return { value: walk(value, prefix), dropped };
}

/** Test files are not linted unless `lintTests` (mission: `*.test.ts`, `*.spec.ts`, `__tests__/`, `test/`). */
function isTestFile(rel: string): boolean {
  return /(^|\/)(__tests__|tests?)\//.test(rel) || /\.(test|spec)\.[cm]?[jt]sx?$/.test(rel);
}

export class WorkspaceProject {
  readonly project: MirroringProject;
  /** Identifies this project to the analysis worker. */
  readonly id = nextProjectId++;
  /** Every analysable or schema file the walk found (project-relative). */
  readonly known = new Set<string>();
  /** Files whose text the editor owns right now (project-relative). */
  readonly open = new Set<string>();
  /** Disk reads stay inside the folder's real root, trusted or not (no ../, no link leading out). */
  private readonly disk: BoundedDisk;
  private fileConfigRaw: unknown;
  /** The parsed config file, to place validation issues at their line and column. */
  private fileConfigDoc?: ConfigDocument;
  private settingsRaw: Record<string, unknown> = {};
  private ignoreMatcher: Ignore = ignore();
  private schemaGlobsKey = '';
  /** Set while applying an editor buffer of the config file. */
  private quiet = false;
  /** querylens-suppressions.json at the root, when present and valid. */
  private baseline?: Baseline;
  private readonly warm: WarmCache;
  constructor(
    readonly root: string,
    readonly trusted: boolean,
    private readonly logger: Logger,
    private readonly onConfigError: (message: string) => void,
  ) {
    this.disk = new BoundedDisk(root);
    this.project = new MirroringProject(defaultConfig(), { readFile: (p) => this.readDisk(p), listFiles: () => [...this.known] });
    this.project.id = this.id;
    // The lint's cache key holds the schema sources and the manifests that scope them (cli/files.ts loadSchemaSources): the same here.
    this.warm = new WarmCache(root, this.project, () => [...new Set([...this.schemaSources(), ...this.manifests()])], (rel) => (this.project.paths().includes(rel) ? this.project.fileText(rel) : this.disk.peek(rel)));
    this.project.onChange = (p) => this.warm.changed(p);
  }

  /** The result `querylens lint --cache` left for this file, with the inputs it was computed from, when its text and inputs are unchanged (server/warm-cache.ts). */
  cachedResult(rel: string): { result: AnalysisResult; inputs: string[] } | undefined {
    return this.warm.result(rel);
  }

  /** Mirrors this project's changes to an analysis worker from now on. */
  mirrorTo(sink: (msg: WorkerRequest) => void): void {
    this.project.sink = sink;
  }

  rel(absPath: string): string | undefined {
    const r = path.relative(this.root, absPath);
    if (r === '' || r.startsWith('..') || path.isAbsolute(r)) return undefined;
    return r.split(path.sep).join('/');
  }

  abs(rel: string): string {
    return path.join(this.root, ...rel.split('/'));
  }

  /** Disk text of a project file (cached until a watcher says it changed); undefined if absent or unreadable. */
  readDisk(rel: string): string | undefined {
    return this.disk.read(rel);
  }

  /** Whether a project path exists inside the folder's real root (a link leading out does not count). */
  insideRoot(rel: string): boolean {
    return this.disk.inside(rel) !== undefined;
  }

  forgetDisk(rel: string): void {
    this.disk.forget(rel);
    this.project.forget(rel);
    this.warm.changed(rel);
    this.project.sink?.({ type: 'forget', id: this.id, rel });
  }

  /** Walks the folder, loads the config file and every schema source. */
  load(): void {
    const started = Date.now();
    this.loadConfigFile();
    this.loadBaseline();
    this.walk();
    this.project.setPathsOnDisk(this.known);
    this.detectSchemaSources();
    this.syncSchemaSources();
    this.logger.log(`[${this.root}] ${this.known.size - this.manifests().length} files, ${this.schemaSources().length} schema sources, loaded in ${Date.now() - started} ms`);
  }

  /** Files that are schema sources by their content (a TypeScript schema, a pg_dump), as last read. */
  private schemaByContent = new Set<string>();

  schemaSources(): string[] {
    return [...this.known].filter((p) => isSchemaSource(p, this.project.config) || this.schemaByContent.has(p));
  }

  /**
   * Reads the files that may be schema sources by content (TypeScript, .sql outside the usual
   * places) once, to know which are; their texts are not kept.
   */
  private detectSchemaSources(): void {
    this.schemaByContent.clear();
    const cfg = this.project.config;
    for (const p of this.known) {
      if (isSchemaSource(p, cfg) || !mayBeSchemaSource(p, cfg)) continue;
      const text = this.open.has(p) ? this.project.fileText(p) : this.readUncached(p);
      if (text !== undefined && isSchemaSource(p, cfg, text)) this.schemaByContent.add(p);
    }
  }

  private readUncached(rel: string): string | undefined {
    const text = this.disk.peek(rel);
    return text !== undefined && text.length <= MAX_FILE_BYTES ? text : undefined;
  }

  /** Package manifests (package.json, querylens.config.json, tsconfig.json) the project needs to scope schemas. */
  private manifests(): string[] {
    return [...this.known].filter((p) => isManifest(p));
  }

  private walk(): void {
    let entries = 0;
    const visit = (dirRel: string, ignores: { base: string; ig: Ignore }[]) => {
      const dirAbs = dirRel ? this.abs(dirRel) : this.root;
      let list: fs.Dirent[];
      try {
        list = fs.readdirSync(dirAbs, { withFileTypes: true });
      } catch (e) {
        this.logger.warn(`cannot read ${dirAbs}: ${(e as Error).message}`);
        return;
      }
      const gi = list.find((d) => d.isFile() && d.name === '.gitignore');
      if (gi) {
        try {
          const safe = safeIgnoreText(fs.readFileSync(path.join(dirAbs, '.gitignore'), 'utf8'));
          for (const d of safe.dropped) this.logger.warn(`${dirRel ? `${dirRel}/` : ''}.gitignore:${d.line}: pattern not applied, too complex to match safely (${d.why})`);
          ignores = [...ignores, { base: dirRel, ig: ignore().add(safe.text) }];
        } catch {
          // An unreadable .gitignore ignores nothing.
        }
      }
      const ignored = (rel: string, dir: boolean) =>
        ignores.some(({ base, ig }) => {
          const sub = base ? rel.slice(base.length + 1) : rel;
          return sub !== '' && ig.ignores(dir ? `${sub}/` : sub);
        });
      for (const d of list) {
        if (++entries > MAX_WALK_ENTRIES) return;
        const rel = dirRel ? `${dirRel}/${d.name}` : d.name;
        if (d.isDirectory()) {
          if (SKIP_DIRS.has(d.name) || ignored(rel, true)) continue;
          visit(rel, ignores);
        } else if (d.isFile()) {
          // Package manifests tell which package owns which schema (monorepos).
          if (isAnalyzable(rel) || isLibrarySchemaFile(d.name) || d.name === 'package.json' || d.name === CONFIG_FILE) {
            // Schema sources (migrations) may live in ignored dirs rarely; honour .gitignore for all.
            if (!ignored(rel, false)) this.known.add(rel);
          }
        }
      }
    };
    visit('', []);
    if (entries > MAX_WALK_ENTRIES) this.logger.warn(`[${this.root}] stopped walking after ${MAX_WALK_ENTRIES} entries`);
  }

  /** Gives the project exactly the schema sources the current config names (open buffers win over disk). */
  syncSchemaSources(): boolean {
    let changed = false;
    const want = new Set([...this.schemaSources(), ...this.manifests()]);
    for (const p of this.project.paths()) {
      if (!want.has(p) && !this.open.has(p)) changed = this.project.deleteFile(p) || changed;
    }
    for (const p of want) {
      if (this.open.has(p)) continue;
      const text = this.readDisk(p);
      if (text === undefined) changed = this.project.deleteFile(p) || changed;
      else changed = this.project.setFile(p, text) || changed;
    }
    return changed;
  }

  /** Re-reads querylens.config.json; returns true when the effective config changed. */
  loadConfigFile(): boolean {
    const abs = path.join(this.root, CONFIG_FILE);
    let text: string | undefined;
    try {
      text = fs.existsSync(abs) ? fs.readFileSync(abs, 'utf8') : undefined;
    } catch (e) {
      this.reportConfigError(`${CONFIG_FILE}: cannot be read (${(e as Error).message}); using defaults`);
    }
    return this.setFileConfig(text);
  }

  /** Re-reads querylens-suppressions.json; returns true when it changed. A bad file is logged and ignored. */
  loadBaseline(): boolean {
    const abs = path.join(this.root, SUPPRESSIONS_FILE);
    let next: Baseline | undefined;
    try {
      if (fs.existsSync(abs)) {
        const doc = readConfigDocument(fs.readFileSync(abs, 'utf8'));
        const { baseline, errors } = validateBaseline(doc.raw);
        const problems = doc.raw === undefined ? formatConfigIssues(SUPPRESSIONS_FILE, doc.issues) : errors;
        if (problems.length) this.logger.error(`[${this.root}] ${SUPPRESSIONS_FILE}: ${problems.join('; ')}; baseline ignored`);
        else next = baseline;
      }
    } catch (e) {
      this.logger.error(`[${this.root}] ${SUPPRESSIONS_FILE}: ${(e as Error).message}; baseline ignored`);
    }
    const changed = JSON.stringify(next) !== JSON.stringify(this.baseline);
    this.baseline = next;
    return changed;
  }

  /** The findings of one file (with its text) that the baseline accepts. */
  baselined(rel: string, text: string, findings: readonly Finding[]): Set<Finding> {
    if (!this.baseline?.suppressions[rel]) return new Set();
    return new Set(matchBaseline(findings, this.baseline, () => text, [rel]).suppressed);
  }

  /** The config file's text from an editor buffer: errors are logged, not popped up on every keystroke (saving re-reads it from disk). */
  setFileConfigText(text: string): boolean {
    this.quiet = true;
    try {
      return this.setFileConfig(text);
    } finally {
      this.quiet = false;
    }
  }

  /** The file's text (JSONC) → its raw value; syntax errors are reported with line:column and leave the file out. */
  private setFileConfig(text: string | undefined): boolean {
    let raw: unknown;
    this.fileConfigDoc = undefined;
    if (text !== undefined) {
      const doc = readConfigDocument(text);
      this.fileConfigDoc = doc;
      if (doc.raw === undefined) {
        this.reportConfigError(`${CONFIG_FILE}: not valid JSON (${doc.issues.slice(0, 3).map((i) => `${i.line}:${i.column} ${i.message.replace(/^invalid JSON: /, '')}`).join('; ')}); using defaults`);
      } else raw = doc.raw;
    }
    if (raw !== undefined && !this.trusted) {
      const s = stripUntrusted(raw);
      if (s.dropped.length) this.logger.warn(`untrusted workspace: ignoring ${CONFIG_FILE} keys ${s.dropped.join(', ')}`);
      raw = s.value;
    }
    this.fileConfigRaw = raw;
    return this.rebuildConfig();
  }

  /** The `querylens` section of the client's settings. */
  setSettings(section: unknown): boolean {
    const picked: Record<string, unknown> = {};
    if (typeof section === 'object' && section !== null) {
      let src = section as Record<string, unknown>;
      if (!this.trusted) {
        const s = stripUntrusted(src);
        if (s.dropped.length) this.logger.warn(`untrusted workspace: ignoring settings querylens.${s.dropped.join(', querylens.')}`);
        src = s.value as Record<string, unknown>;
      }
      for (const k of SETTING_KEYS) {
        const v = src[k];
        // VS Code reports unset object settings as {} and unset arrays as []: both mean "no opinion".
        if (v === undefined || v === null) continue;
        if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
        if (Array.isArray(v) && v.length === 0) continue;
        picked[k] = v;
      }
    }
    this.settingsRaw = picked;
    return this.rebuildConfig();
  }

  /**
   * Defaults, then the editor settings, then querylens.config.json: the
   * committed file is the team's truth and wins key by key. A bad layer is
   * reported and skipped; the others still apply.
   */
  private rebuildConfig(): boolean {
    const known = ruleIds();
    let cfg: QuerylensConfig = defaultConfig();
    try {
      cfg = parseConfig(this.settingsRaw, known, cfg);
    } catch (e) {
      this.reportConfigError(`settings querylens.${e instanceof ConfigError ? e.message : (e as Error).message}; settings ignored`);
    }
    if (this.fileConfigRaw !== undefined) {
      const r = validateConfig(this.fileConfigRaw, known, cfg);
      if (r.issues.length) {
        const doc = this.fileConfigDoc;
        const located = doc ? r.issues.map((i) => doc.locate(i)) : r.issues;
        this.reportConfigError(`${formatConfigIssues(CONFIG_FILE, located).join('; ')}; using defaults for the file's settings`);
      } else cfg = r.config;
    }
    const before = JSON.stringify(this.project.config);
    if (JSON.stringify(cfg) === before) return false;
    this.project.setConfig(cfg);
    this.ignoreMatcher = ignore().add(cfg.ignore);
    const globsKey = JSON.stringify(cfg.schema);
    if (globsKey !== this.schemaGlobsKey) {
      this.schemaGlobsKey = globsKey;
      if (this.known.size) this.detectSchemaSources();
      this.syncSchemaSources();
    }
    return true;
  }

  private reportConfigError(message: string): void {
    this.logger.error(`[${this.root}] ${message}`);
    if (!this.quiet) this.onConfigError(`querylens: ${message}`);
  }

  private pollSnapshot?: Map<string, number>;

  /**
   * For clients that cannot watch files for us: the config file, the schema
   * sources and the directories holding them, compared with the previous
   * call by mtime. Returns changed project paths with their change type
   * (1 created, 2 changed, 3 deleted, as in LSP's FileChangeType).
   */
  pollSchemaChanges(): { rel: string; type: 1 | 2 | 3 }[] {
    const now = new Map<string, number>();
    const stamp = (rel: string) => {
      try {
        now.set(rel, fs.statSync(this.abs(rel)).mtimeMs);
      } catch {
        // Absent: not in the snapshot.
      }
    };
    stamp(CONFIG_FILE);
    stamp(SUPPRESSIONS_FILE);
    // The usual schema folders count even before they hold a file we know.
    const dirs = new Set<string>(['', ...SCHEMA_FOLDERS].filter((d) => !d || fs.existsSync(this.abs(d))));
    for (const rel of this.schemaSources()) {
      stamp(rel);
      dirs.add(rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
    }
    for (const dir of dirs) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(dir ? this.abs(dir) : this.root);
      } catch {
        continue;
      }
      for (const n of names) {
        const rel = dir ? `${dir}/${n}` : n;
        if (!now.has(rel) && (n.endsWith('.sql') || isLibrarySchemaFile(n)) && this.isSchema(rel)) stamp(rel);
      }
    }
    const before = this.pollSnapshot;
    this.pollSnapshot = now;
    if (!before) return [];
    const out: { rel: string; type: 1 | 2 | 3 }[] = [];
    for (const [rel, m] of now) {
      const b = before.get(rel);
      if (b === undefined) out.push({ rel, type: 1 });
      else if (b !== m) out.push({ rel, type: 2 });
    }
    for (const rel of before.keys()) if (!now.has(rel)) out.push({ rel, type: 3 });
    return out;
  }

  /** Why the server does not lint this file, or undefined when it does. */
  excluded(rel: string): string | undefined {
    if (!isAnalyzable(rel)) return 'not a TypeScript, JavaScript or SQL file';
    if (rel.includes('node_modules/')) return 'in node_modules';
    try {
      if (this.project.config.ignore.length && this.ignoreMatcher.ignores(rel)) return 'matched by ignore in the configuration';
    } catch {
      // `ignore` rejects some path shapes (absolute, ../); those are simply not ignored.
    }
    if (!this.project.config.lintTests && isTestFile(rel)) return 'test file (set lintTests to lint it)';
    return undefined;
  }

  /**
   * Whether a project file is a schema source or a package manifest; with `text` (an edited buffer,
   * a changed file), decided by that content and remembered.
   */
  isSchema(rel: string, text?: string): boolean {
    const cfg = this.project.config;
    if (isManifest(rel) && rel !== CONFIG_FILE) return true;
    if (isSchemaSource(rel, cfg)) return true;
    if (text === undefined) return this.schemaByContent.has(rel);
    const yes = mayBeSchemaSource(rel, cfg) && isSchemaSource(rel, cfg, text);
    if (yes) this.schemaByContent.add(rel);
    else this.schemaByContent.delete(rel);
    return yes;
  }
}
