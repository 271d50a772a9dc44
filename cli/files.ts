/**
 * File-system side of the CLI: finding the project root and its config,
 * walking directories with .gitignore semantics, and reading files so that
 * a bad file becomes a reported problem instead of a crash.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import { MAX_FILE_BYTES, type QuerylensConfig, isAnalyzable, isManifest, isSchemaSource, mayBeSchemaSource, safeIgnoreText } from '../engine';

export const CONFIG_FILE = 'querylens.config.json';

/** Directories never walked: dependencies, build output, VCS metadata. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'build', 'out', '.next', 'coverage', '.git', '.hg', '.svn', '.querylens-cache']);

/** Test files, in .gitignore syntax; skipped unless the config sets lintTests. */
const TEST_PATTERNS = ['*.test.*', '*.spec.*', '__tests__/', 'test/', 'tests/'];

export interface ProjectLocation {
  root: string;
  /** Absolute path of the config file, when one was found or given. */
  configFile?: string;
}

/**
 * The project root: the directory of `--config`; else of the nearest
 * querylens.config.json at or above `start` (the directory holding everything
 * being linted: the cwd for `querylens lint`, `examples/app` for
 * `querylens lint examples/app`); else the nearest directory above it holding
 * `.git`; else the package holding `start` (the workspace root of a monorepo holding it: a
 * package.json with `workspaces`, a pnpm-workspace.yaml or lerna.json; else the nearest package.json),
 * so that linting one project among siblings outside git reads no sibling's schema; else `cwd` (or
 * `start` when the linted paths lie outside it). The git fallback keeps schema discovery and .gitignore
 * files working when someone lints a sub-directory of a repository without config.
 */
export function locateProject(start: string, explicitConfig?: string, cwd: string = start): ProjectLocation {
  if (explicitConfig) {
    const configFile = path.resolve(cwd, explicitConfig);
    return { root: path.dirname(configFile), configFile };
  }
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, CONFIG_FILE);
    if (isFile(candidate)) return { root: dir, configFile: candidate };
    if (path.dirname(dir) === dir) break;
  }
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.git'))) return { root: dir };
    if (path.dirname(dir) === dir) break;
  }
  const pkg = packageRoot(start);
  if (pkg) return { root: pkg };
  return { root: isInside(cwd, start) ? cwd : start };
}

/**
 * The workspace root above `start` (topmost: a package.json declaring `workspaces`, or a pnpm-workspace.yaml or
 * lerna.json, which a pnpm or Lerna monorepo may keep without any root package.json), else the nearest folder with a
 * package.json, else undefined.
 */
function packageRoot(start: string): string | undefined {
  let nearest: string | undefined;
  let workspace: string | undefined;
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    const hasManifest = isFile(pj);
    if (hasManifest) nearest ??= dir;
    if (isFile(path.join(dir, 'pnpm-workspace.yaml')) || isFile(path.join(dir, 'lerna.json'))) workspace = dir;
    else if (hasManifest && declaresWorkspaces(pj)) workspace = dir;
    if (path.dirname(dir) === dir) break;
  }
  return workspace ?? nearest;
}

function declaresWorkspaces(manifest: string): boolean {
  try {
    return !!(JSON.parse(fs.readFileSync(manifest, 'utf8')) as { workspaces?: unknown }).workspaces;
  } catch {
    return false; // An unreadable manifest declares nothing.
  }
}

/** The deepest directory containing every given path (a file counts by its directory). */
export function commonDirectory(absPaths: readonly string[]): string {
  const dirs = absPaths.map((p) => {
    try {
      return fs.statSync(p).isDirectory() ? p : path.dirname(p);
    } catch {
      return path.dirname(p);
    }
  });
  let common = dirs[0];
  for (const d of dirs.slice(1)) {
    while (!isInside(common, d)) common = path.dirname(common);
  }
  return common;
}

/**
 * Creates a directory and its missing parents one level at a time (Node's
 * `mkdirSync(…, { recursive: true })` loops forever under /proc). Throws the
 * first error, as mkdir would.
 */
export function makeDirectories(dir: string): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  while (!fs.existsSync(d)) {
    missing.push(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const m of missing.reverse()) fs.mkdirSync(m);
}

/** The real path of a directory (the project root may itself be reached through a link), or the path when it cannot be resolved. */
export function realpathOr(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return p;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Project-relative path with `/` separators. */
export function toProjectPath(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/');
}

export function isInside(root: string, abs: string): boolean {
  const rel = path.relative(root, abs);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

interface IgnoreLevel {
  /** Project-relative directory of the .gitignore ('' for the root). */
  base: string;
  ig: Ignore;
}

/**
 * Decides which project files are candidates. .gitignore files are read as the
 * walk descends; a deeper file's patterns take precedence over a shallower
 * one's, as in git (the last matching pattern wins, negations included).
 */
export class FileFilter {
  private readonly configIgnore: Ignore;
  private readonly tests: Ignore;
  private readonly gitignores = new Map<string, Ignore | null>();
  /** .gitignore patterns left out because matching them could backtrack for minutes. */
  readonly unsafePatterns: { file: string; line: number; why: string }[] = [];
  /** Directories the walk could not read (project-relative, '' for the root), with the reason. */
  readonly unreadable: { dir: string; reason: string }[] = [];

  constructor(
    readonly root: string,
    ignoreGlobs: readonly string[],
    private readonly lintTests: boolean,
  ) {
    this.configIgnore = ignore().add([...ignoreGlobs]);
    this.tests = ignore().add(TEST_PATTERNS);
  }

  /** The .gitignore of a project-relative directory, read once. */
  private gitignoreOf(dir: string): Ignore | null {
    let ig = this.gitignores.get(dir);
    if (ig !== undefined) return ig;
    ig = null;
    try {
      const safe = safeIgnoreText(fs.readFileSync(path.join(this.root, dir, '.gitignore'), 'utf8'));
      for (const d of safe.dropped) this.unsafePatterns.push({ file: dir ? `${dir}/.gitignore` : '.gitignore', ...d });
      ig = ignore().add(safe.text);
    } catch {
      // No .gitignore here (or unreadable): nothing to add.
    }
    this.gitignores.set(dir, ig);
    return ig;
  }

  private levels(rel: string): IgnoreLevel[] {
    const parts = rel.split('/');
    const out: IgnoreLevel[] = [];
    for (let i = 0; i < parts.length; i++) {
      const base = parts.slice(0, i).join('/');
      const ig = this.gitignoreOf(base);
      if (ig) out.push({ base, ig });
    }
    return out;
  }

  gitIgnored(rel: string, isDir: boolean): boolean {
    let ignored = false;
    for (const { base, ig } of this.levels(rel)) {
      const sub = (base ? rel.slice(base.length + 1) : rel) + (isDir ? '/' : '');
      const r = ig.test(sub);
      if (r.ignored) ignored = true;
      else if (r.unignored) ignored = false;
    }
    return ignored;
  }

  /** Why a project-relative path is excluded, or undefined when it is a candidate. */
  excluded(rel: string, isDir: boolean): string | undefined {
    if (rel === '') return undefined;
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    if (isDir && SKIPPED_DIRS.has(name)) return `${name}/ is never linted`;
    if (!isDir && /\.d\.[cm]?ts$/.test(name)) return 'declaration file';
    const probe = rel + (isDir ? '/' : '');
    if (this.configIgnore.ignores(probe)) return 'matches an "ignore" glob of the config';
    if (!this.lintTests && this.tests.ignores(probe)) return 'test file (set "lintTests": true to lint it)';
    if (this.gitIgnored(rel, isDir)) return 'ignored by .gitignore';
    return undefined;
  }

  /**
   * Every candidate file under `startRel` (a project-relative directory), in a
   * stable order. Symbolic links to directories are not followed (no cycles).
   */
  walk(startRel: string): string[] {
    const out: string[] = [];
    const visit = (relDir: string): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(path.join(this.root, relDir), { withFileTypes: true });
      } catch (e) {
        // Reported, not silently skipped: the files in it are not linted.
        const code = (e as NodeJS.ErrnoException).code;
        this.unreadable.push({ dir: relDir, reason: code === 'EACCES' || code === 'EPERM' ? `permission denied (${code})` : (code ?? 'cannot be read') });
        return;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const rel = relDir ? `${relDir}/${e.name}` : e.name;
        let isDir = e.isDirectory();
        let isFileEntry = e.isFile();
        if (e.isSymbolicLink()) {
          // Links to directories are not followed; a dangling or looping link to a
          // lintable name stays a candidate so that reading it reports why it failed.
          try {
            isFileEntry = fs.statSync(path.join(this.root, rel)).isFile();
          } catch {
            isFileEntry = true;
          }
          isDir = false;
        }
        if (isDir) {
          if (!this.excluded(rel, true)) visit(rel);
        } else if (isFileEntry && !this.excluded(rel, false)) {
          out.push(rel);
        }
      }
    };
    if (!this.excluded(startRel, true)) visit(startRel);
    return out;
  }
}

export type ReadOutcome =
  | { ok: true; text: string; bom: boolean }
  | { ok: false; kind: 'unreadable-file' | 'skipped-file'; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Where a project path really is, following symbolic links (of the file and
 * of every folder above it): `real` when it stays under the project's real
 * root, else the reason. A path that does not exist yet resolves through its
 * nearest existing folder (where a fix would create it).
 */
export function resolveInside(realRoot: string, abs: string): { real: string } | { outside: string } {
  let existing = abs;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = fs.realpathSync.native(existing);
      const full = rest.length ? path.join(real, ...rest.reverse()) : real;
      return isInside(realRoot, full) ? { real: full } : { outside: 'a symbolic link leads outside the project' };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return { outside: `cannot be resolved (${code ?? 'error'})` };
      const up = path.dirname(existing);
      if (up === existing) return { outside: 'cannot be resolved' };
      rest.push(path.basename(existing));
      existing = up;
    }
  }
}

/**
 * Reads a file as UTF-8 text, or says why it cannot be analysed. Never throws.
 * With `realRoot`, a file whose real location is outside the project (a
 * symbolic link to /etc/passwd, to a shared .env) is skipped unread.
 */
export function readSource(abs: string, realRoot?: string): ReadOutcome {
  let buf: Buffer;
  if (realRoot !== undefined) {
    const where = resolveInside(realRoot, abs);
    if ('outside' in where) {
      // A dangling link is an ordinary unreadable file; one that leads out is never followed.
      let dangling = false;
      try {
        dangling = !!fs.lstatSync(abs, { throwIfNoEntry: false })?.isSymbolicLink() && !fs.existsSync(abs);
      } catch {
        // A name the file system refuses (ENAMETOOLONG …): not a dangling link. (Found by npm run fuzz: it threw.)
      }
      if (dangling) return { ok: false, kind: 'unreadable-file', reason: 'cannot be read: no such file (ENOENT)' };
      return { ok: false, kind: 'skipped-file', reason: `${where.outside}; not read` };
    }
  }
  try {
    // No exception for a missing file: the engine probes many candidate paths per import (x.ts, x.tsx, x/index.ts …).
    const st = fs.statSync(abs, { throwIfNoEntry: false });
    if (!st) return { ok: false, kind: 'unreadable-file', reason: 'cannot be read: no such file (ENOENT)' };
    if (st.isDirectory()) return { ok: false, kind: 'unreadable-file', reason: 'is a directory (EISDIR)' };
    if (st.size > MAX_FILE_BYTES) return { ok: false, kind: 'skipped-file', reason: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MB (likely generated); skipped` };
    buf = fs.readFileSync(abs);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.code === 'ENOENT' ? 'no such file' : err.message;
    return { ok: false, kind: 'unreadable-file', reason: `cannot be read: ${why}${err.code ? ` (${err.code})` : ''}` };
  }
  if (buf.subarray(0, 8192).includes(0)) return { ok: false, kind: 'skipped-file', reason: 'binary file (NUL bytes); skipped' };
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    return { ok: false, kind: 'skipped-file', reason: 'not valid UTF-8; treated as binary and skipped' };
  }
  const bom = text.charCodeAt(0) === 0xfeff;
  return { ok: true, text: bom ? text.slice(1) : text, bom };
}

/**
 * `host.readFile` for the engine: reads other project files on demand (a helper
 * imported across files). Synchronous and cached; only inside the root, never
 * into node_modules, never a file the walk would skip for size or encoding.
 */
export function lazyReader(root: string): (rel: string) => string | undefined {
  const cache = new Map<string, string | undefined>();
  const realRoot = realpathOr(root);
  // Names in each folder read so far (null: no such folder). Imports probe many candidates per specifier
  // (x.ts, x.tsx, x/index.ts, package folders …), and a path its folder does not list cannot be read: it is
  // answered without the realpath and stat calls (and their exceptions) that reading it would cost.
  // A folder its parent's listing does not name (in any letter case), or below a folder that is not there, is not
  // there either: no call, no exception (most probes are of folders that do not exist: `packages/react/package.json`).
  const listings = new Map<string, Set<string> | null>();
  /** Folders known not to exist (nor to be folders): nothing below them does. */
  const absent = new Set<string>();
  const lowerCased = new WeakMap<Set<string>, Set<string>>();
  const listing = (dir: string): Set<string> | null => {
    let names = listings.get(dir);
    if (names !== undefined) return names;
    const up = path.dirname(dir);
    const parent = up !== dir && isInside(root, up) ? listing(up) : null;
    const base = path.basename(dir);
    let missing = absent.has(up);
    if (!missing && parent !== null && !parent.has(base)) {
      let lower = lowerCased.get(parent);
      if (!lower) lowerCased.set(parent, (lower = new Set([...parent].map((n) => n.toLowerCase()))));
      missing = !lower.has(base.toLowerCase());
    }
    if (missing) {
      absent.add(dir);
      names = null;
    } else {
      try {
        names = new Set(fs.readdirSync(dir));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') absent.add(dir);
        names = null;
      }
    }
    listings.set(dir, names);
    return names;
  };
  const listed = (abs: string): boolean => listing(path.dirname(abs))?.has(path.basename(abs)) ?? false;
  return (rel: string) => {
    if (cache.has(rel)) return cache.get(rel);
    let text: string | undefined;
    const abs = path.resolve(root, rel);
    // package.json and tsconfig files too: provenance follows workspace packages (`@acme/db`) and `paths` aliases through them (also
    // the configs a tsconfig.json extends: `../buildtools/tsconfig-base.json`); vercel.json says which routes its crons call, a wrangler
    // config that a worker package serves requests (engine/background.ts).
    if (isInside(root, abs) && !rel.split(/[\\/]/).includes('node_modules') && (isAnalyzable(rel) || /(^|[\\/])((package|vercel)\.json|[^\\/]*tsconfig[^\\/]*\.json|wrangler\.(toml|jsonc?)|pnpm-workspace\.yaml)$/.test(rel)) && listed(abs)) {
      const r = readSource(abs, realRoot);
      if (r.ok) text = r.text;
    }
    cache.set(rel, text);
    return text;
  };
}

/**
 * Every schema source under the root, with its text: files the schema globs name, and files that are
 * schema sources by content (a pg_dump, numbered .sql files with DDL, TypeScript schemas and migrations),
 * plus the package manifests that tell which package owns which schema. Files matching the config's
 * explicit `schema.sources` count even when `ignore` globs or the test-file patterns keep them from
 * being linted ("read the schema from db/, don't lint it"). `read` returns undefined for a file it
 * cannot read; `report` is false for files read only to look at their content (an unreadable one is
 * not a problem of the schema).
 */
export function loadSchemaSources(
  root: string,
  candidates: readonly string[],
  config: QuerylensConfig,
  read: (file: string, report: boolean) => string | undefined,
): Map<string, string> {
  const files = new Set(candidates);
  const usable = config.schema.sources.filter((g) => g.trim() !== '');
  if (usable.length) {
    const explicit = picomatch(usable, { dot: true });
    for (const f of new FileFilter(root, [], true).walk('')) if (explicit(f)) files.add(f);
  }
  const out = new Map<string, string>();
  for (const f of files) {
    const manifest = isManifest(f);
    if (!manifest && !mayBeSchemaSource(f, config)) continue;
    const text = read(f, !manifest && isSchemaSource(f, config));
    if (text === undefined) continue;
    if (manifest || isSchemaSource(f, config, text)) out.set(f, text);
  }
  return out;
}

/**
 * The clock a run names new timestamped migrations by (epoch ms): now, or SOURCE_DATE_EPOCH (seconds)
 * when set, the reproducible-builds convention, so a --fix run can be repeated with the same names.
 */
export function runClock(): number {
  const pinned = process.env.SOURCE_DATE_EPOCH;
  return pinned && /^\d+$/.test(pinned) ? Number(pinned) * 1000 : Date.now();
}
