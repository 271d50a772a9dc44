/**
 * Module specifiers of the project to files: relative paths, tsconfig `paths`/`baseUrl` aliases, the
 * conventional `@/`/`~/` aliases, and packages of the same monorepo (by folder layout or the declared
 * workspaces, confirmed by the package.json name, built entries mapped back to their TypeScript sources). Reads file texts through `ProjectServices`
 * only (tsconfig.json with TypeScript's JSONC reader), and records which files an answer depended on
 * (engine/reads.ts).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ProjectServices } from '../context';
import { type ChangedFile, collectReads, type ReadTracking, replayReads } from '../reads';

/**
 * Resolves module specifiers of the project: relative paths and tsconfig `paths` aliases (best effort).
 * The answer depends on the importing folder, not the file, and on which files exist: memoised per
 * (folder, specifier) in a project memo, which the project drops with its other derived data (the
 * server does when a helper file or a tsconfig.json appears, changes or goes).
 */
export function resolveModulePath(project: ProjectServices, fromPath: string, spec: string): string | undefined {
  const known = resolutions(project).files;
  const key = `${dirname(fromPath)}\u0000${spec}`;
  const hit = known.get(key);
  if (hit !== undefined) {
    // The answer depends on which candidate files exist: whoever reuses it depends on them too.
    replayReads(hit.reads);
    return hit.file ?? undefined;
  }
  const { value: file, reads } = collectReads(() => (isBare(spec) ? resolveBare(project, fromPath, spec) : resolveModulePathUncached(project, fromPath, spec)));
  known.set(key, { file: file ?? null, reads });
  return file;
}

function isBare(spec: string): boolean {
  // `.prettierrc`-like specifiers take resolveModulePathUncached's way too (no workspace package, the build-output retry).
  return !spec.startsWith('.') && !spec.startsWith('/');
}

/**
 * A bare specifier (`react`, `src/db`, `@/lib/x`, `@acme/db`): what resolveModulePathUncached does for one, with
 * the alias probes shared by every folder of the same resolution scope. The importing folder enters a bare
 * resolution only through (1) its nearest tsconfig.json (aliasCandidates' `paths`/`baseUrl`), (2) for `@/`/`~/`
 * only, the folder holding the nearest `src/` above it, and (3) workspacePackage's folders (the conventional
 * roots above it and the workspaces declared above it; that search is already shared through `packages`, keyed
 * by the folders it looks in). Nothing looks in node_modules (a package that is no project file stays
 * unresolved here). So folders with equal (1) and (2) probe the same candidates in the same order and find the
 * same file: the probe runs once per (tsconfig options, `src/` root, specifier). Each folder still walks to its
 * own tsconfig (replayed per folder), so an answer's reads are exactly those the per-folder probe recorded.
 */
function resolveBare(project: ProjectServices, fromPath: string, spec: string): string | undefined {
  const cfg = tsconfigPaths(project, fromPath);
  const src = /^[@~]\//.test(spec) ? srcRootKey(fromPath) : '';
  const hit = once(resolutions(project).aliases, `${cfgKey(cfg)}\u0000${src}\u0000${spec}`, () => {
    for (const base of aliasCandidates(cfg, fromPath, spec)) {
      const file = probe(project, base);
      if (file) return file;
    }
    return undefined;
  });
  return hit ?? workspacePackage(project, fromPath, spec);
}

/** What aliasCandidates reads of the importing path besides its tsconfig: the folder holding the nearest `src/`. */
function srcRootKey(fromPath: string): string {
  const i = fromPath.lastIndexOf('/src/');
  return i >= 0 ? `@${fromPath.slice(0, i)}` : fromPath.startsWith('src/') ? '@' : '-';
}

/** Tsconfig options by content (what aliasCandidates reads of them), computed once per options object. */
const CFG_KEYS = new WeakMap<TsconfigPaths, string>();

function cfgKey(cfg: TsconfigPaths | undefined): string {
  if (!cfg) return '-';
  let k = CFG_KEYS.get(cfg);
  if (k === undefined) CFG_KEYS.set(cfg, (k = JSON.stringify([cfg.dir, cfg.baseUrl, cfg.bareBase ?? null, cfg.paths])));
  return k;
}

/** An answer kept with the files computing it read (replayed on every use). */
interface Kept<T> {
  v: T;
  reads: string[];
}

/**
 * The resolution memo (one project memo, dropped and kept with the project's other text-only data): per
 * (folder, specifier) the file; per (tsconfig options, `src/` root, bare specifier) what its alias probes find
 * (resolveBare); per folder what every bare specifier from there looks up first — its tsconfig's aliases and the
 * workspace patterns declared above it, each built from its parent folder's; and per package name and candidate
 * package folders, the workspace package found there (Unleash's frontend resolves `react` from 749 folders: each
 * walked up to its tsconfig.json, read every package.json above it and probed the same six conventional package
 * folders again).
 *
 * Every answer keeps the paths it read, present or absent: a file created, changed or deleted at one of them
 * drops those answers (readBy, called by Project.setFile/deleteFile/forget), and only those — the memo object
 * itself stays. An import probe that found nothing is such a read, so a file created where a probe looked is
 * found by the next resolution.
 */
class Resolutions implements ReadTracking {
  readonly files = new Map<string, { file: string | null; reads: string[] }>();
  readonly aliases = new Map<string, Kept<string | undefined>>();
  readonly tsconfigs = new Map<string, Kept<TsconfigPaths | undefined>>();
  readonly workspaces = new Map<string, Kept<[string, string][]>>();
  readonly packages = new Map<string, Kept<string | undefined>>();

  /** Drops the answers that read what `change` touches; never asks for the whole memo to go (false). */
  readBy(change: ChangedFile): boolean {
    for (const table of [this.files, this.aliases, this.tsconfigs, this.workspaces, this.packages] as Map<string, { reads: string[] }>[]) {
      for (const [key, kept] of table) if (change.hits(kept.reads)) table.delete(key);
    }
    return false;
  }
}

function resolutions(project: ProjectServices): Resolutions {
  return project.memo('prov-resolve', '', () => new Resolutions());
}

/** `compute()` for `key` once per memo: later calls replay what it read, as a fresh computation would have read it. */
function once<T>(table: Map<string, Kept<T>>, key: string, compute: () => T): T {
  const hit = table.get(key);
  if (hit) {
    replayReads(hit.reads);
    return hit.v;
  }
  const { value, reads } = collectReads(compute);
  table.set(key, { v: value, reads });
  return value;
}

function resolveModulePathUncached(project: ProjectServices, fromPath: string, spec: string): string | undefined {
  let bases: string[];
  if (spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..') {
    bases = [joinPath(dirname(fromPath), spec)];
  } else if (spec.startsWith('/')) {
    bases = [normalizePath(spec)];
  } else {
    bases = aliasCandidates(tsconfigPaths(project, fromPath), fromPath, spec);
  }
  for (const base of bases) {
    const hit = probe(project, base);
    if (hit) return hit;
  }
  if (!spec.startsWith('.') && !spec.startsWith('/')) return workspacePackage(project, fromPath, spec);
  // An import of the build output (`../lib/types/x.js` with `outDir: lib`): the source sits under `src/`.
  for (const base of bases) {
    const src = base.replace(/(^|\/)(lib|dist|build|out)\//, '$1src/');
    if (src !== base) {
      const hit = probe(project, src);
      if (hit) return hit;
    }
  }
  return undefined;
}

/** Folders that hold the packages of a monorepo, by convention. */
const WORKSPACE_DIRS = ['packages', 'libs', 'apps', 'modules', 'services', 'internal-packages'];

/**
 * A package of the same monorepo (`@acme/db` in `packages/db/package.json`), found by the usual folder
 * layout and confirmed by the package.json name; its entry from `exports`/`types`/`main`, with built
 * paths (`dist/`, `lib/`, `build/`) mapped back to the TypeScript sources.
 */
function workspacePackage(project: ProjectServices, fromPath: string, spec: string): string | undefined {
  const m = /^((?:@[^/]+\/)?[^/@][^/]*)(?:\/(.*))?$/.exec(spec);
  if (!m) return undefined;
  const [, pkgName, sub] = m;
  const short = pkgName.replace(/^@[^/]+\//, '');
  // A scoped package may sit in a folder of its scope: `@domain/shared` in `packages/domain/shared`.
  const scope = /^@([^/]+)\//.exec(pkgName)?.[1];
  const roots = new Set<string>(['']);
  for (const d of WORKSPACE_DIRS) {
    const i = fromPath.lastIndexOf(`/${d}/`);
    if (i >= 0) roots.add(fromPath.slice(0, i));
  }
  // The folders whose package.json or pnpm-workspace.yaml may declare the workspaces: every folder above the importer.
  const declared: string[] = [];
  for (const [root, pattern] of declaredPatterns(project, dirname(fromPath))) declared.push(...workspaceDirs(root, pattern, short, scope));
  const conventional = [...roots].flatMap((root) => WORKSPACE_DIRS.flatMap((d) => [joinPath(root, `${d}/${short}`), ...(scope ? [joinPath(root, `${d}/${scope}/${short}`)] : [])]));
  const dirs = [...new Set([...conventional, ...declared])];
  // What is found depends on the specifier and these folders only: the same for every importer that has them.
  return once(resolutions(project).packages, `${spec}\u0000${dirs.join('\u0000')}`, () => packageIn(project, dirs, pkgName, sub));
}

/** The entry file of the package `pkgName` (its subpath `sub`) in the first of `dirs` whose package.json names it. */
function packageIn(project: ProjectServices, dirs: readonly string[], pkgName: string, sub: string | undefined): string | undefined {
  for (const dir of dirs) {
    const pj = packageJson(project, `${dir}/package.json`);
    if (!pj || pj.name !== pkgName) continue;
    const entries: string[] = [];
    const exp = pj.exports;
    const key = sub ? `./${sub}` : '.';
    const target = exportTarget(typeof exp === 'string' && !sub ? exp : exp && typeof exp === 'object' ? (exp as Record<string, unknown>)[key] : undefined);
    if (target) entries.push(target);
    if (sub) entries.push(sub, `src/${sub}`);
    else {
      for (const f of [pj.types, pj.typings, pj.module, pj.main]) if (typeof f === 'string') entries.push(f);
      entries.push('index', 'src/index');
    }
    for (const e of entries) {
      const rel = e.replace(/^\.\//, '');
      const cands = [rel];
      const built = /^(dist|lib|build|out)\/(.*?)(\.d)?\.(m?js|cjs|d\.ts|ts)$/.exec(rel);
      if (built) cands.push(`src/${built[2]}`);
      for (const cnd of cands) {
        const hit = probe(project, joinPath(dir, cnd.replace(/\.d\.ts$/, '')));
        if (hit) return hit;
      }
    }
  }
  return undefined;
}

/** The workspace patterns declared in `dir` and in every folder above it, nearest first, with the folder declaring each. */
function declaredPatterns(project: ProjectServices, dir: string): [string, string][] {
  return once(resolutions(project).workspaces, dir, () => {
    const own = workspacePatterns(project, dir).map((p): [string, string] => [dir, p]);
    return dir ? [...own, ...declaredPatterns(project, dirname(dir))] : own;
  });
}

/**
 * The workspace patterns the monorepo declares at `root`: its package.json `workspaces` (an array or
 * `{ packages }`), then pnpm-workspace.yaml's `packages:` list.
 */
function workspacePatterns(project: ProjectServices, root: string): string[] {
  const patterns: string[] = [];
  const ws = (packageJson(project, joinPath(root, 'package.json')) as { workspaces?: unknown } | undefined)?.workspaces;
  const list = Array.isArray(ws) ? ws : ws && typeof ws === 'object' ? (ws as { packages?: unknown }).packages : undefined;
  if (Array.isArray(list)) for (const p of list) if (typeof p === 'string') patterns.push(p);
  const pnpm = project.fileText(joinPath(root, 'pnpm-workspace.yaml'));
  if (pnpm !== undefined) {
    const block = /^packages:\s*\n((?:[ \t]*(?:-.*|#.*)?\n?)*)/m.exec(pnpm)?.[1] ?? '';
    for (const m of block.matchAll(/^[ \t]*-[ \t]*['"]?([^'"#\n]+?)['"]?[ \t]*(?:#.*)?$/gm)) patterns.push(m[1]);
  }
  return patterns;
}

/**
 * The package folders a workspace pattern declared at `root` gives for the package `short`: a pattern naming one
 * folder (`prisma`) is that folder, `dir/*` and `dir/**` give `dir/<short>` (and `dir/<scope>/<short>`). Negated
 * patterns give none.
 */
function workspaceDirs(root: string, raw: string, short: string, scope: string | undefined): string[] {
  const p = raw.replace(/^\.\//, '').replace(/\/+$/, '');
  if (!p || p.startsWith('!')) return [];
  const wild = /^(.*?)\/\*\*?$/.exec(p);
  if (wild && !wild[1].includes('*')) return [joinPath(root, `${wild[1]}/${short}`), ...(scope ? [joinPath(root, `${wild[1]}/${scope}/${short}`)] : [])];
  return p.includes('*') ? [] : [joinPath(root, p)];
}

function exportTarget(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of ['types', 'import', 'default', 'require', 'node']) {
      const t = exportTarget(o[k]);
      if (t) return t;
    }
  }
  return undefined;
}

interface PackageJson {
  name?: string;
  main?: unknown;
  module?: unknown;
  types?: unknown;
  typings?: unknown;
  exports?: unknown;
}

function packageJson(project: ProjectServices, path: string): PackageJson | undefined {
  const text = project.fileText(path);
  if (text === undefined) return undefined;
  return project.memo(`prov-pkg:${path}`, text, () => {
    try {
      const v = JSON.parse(text) as unknown;
      return v && typeof v === 'object' ? (v as PackageJson) : undefined;
    } catch {
      return undefined;
    }
  });
}

const EXT_SWAP: [RegExp, string[]][] = [
  [/\.js$/, ['.ts', '.tsx', '.js']],
  [/\.jsx$/, ['.tsx', '.jsx']],
  [/\.mjs$/, ['.mts', '.mjs']],
  [/\.cjs$/, ['.cts', '.cjs']],
];

function probe(project: ProjectServices, base: string): string | undefined {
  const candidates: string[] = [];
  for (const [re, exts] of EXT_SWAP) {
    if (re.test(base)) for (const e of exts) candidates.push(base.replace(re, e));
  }
  if (/\.(ts|tsx|mts|cts)$/.test(base)) candidates.push(base);
  for (const e of ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '/index.ts', '/index.tsx', '/index.js']) candidates.push(base + e);
  for (const c of candidates) if (project.fileText(c) !== undefined) return c;
  return undefined;
}

function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

function joinPath(dir: string, rel: string): string {
  return normalizePath(dir ? `${dir}/${rel}` : rel);
}

function normalizePath(p: string): string {
  // Already normal (no empty, `.` or `..` segment, no trailing slash): most paths asked are.
  if (!p.startsWith('.') && !p.includes('/.') && !p.includes('//') && !p.endsWith('/')) return p;
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(part);
  }
  return (abs ? '/' : '') + out.join('/');
}

interface TsconfigPaths {
  dir: string;
  /** What `paths` targets are relative to. */
  baseUrl: string;
  /** `compilerOptions.baseUrl`, when set (also inherited): bare specifiers also resolve under it (`src/prisma/prisma.service`). */
  bareBase?: string;
  paths: [string, string[]][];
}

/** What one tsconfig file says itself (memoised per config text): its own options and the configs it extends. */
interface TsconfigOwn {
  baseUrl?: string;
  paths?: [string, string[]][];
  extends: string[];
}

function tsconfigOwn(project: ProjectServices, cfgPath: string, text: string): TsconfigOwn {
  return project.memo(`prov-tsconfig:${cfgPath}`, text, () => {
    const parsed = ts.parseConfigFileTextToJson(cfgPath, text);
    const config = (parsed.config ?? {}) as { extends?: unknown; compilerOptions?: { baseUrl?: unknown; paths?: unknown } };
    const co = config.compilerOptions ?? {};
    const ext = typeof config.extends === 'string' ? [config.extends] : Array.isArray(config.extends) ? config.extends : [];
    return {
      baseUrl: typeof co.baseUrl === 'string' ? co.baseUrl : undefined,
      paths:
        co.paths && typeof co.paths === 'object'
          ? (Object.entries(co.paths).filter(([, v]) => Array.isArray(v)) as [string, string[]][])
          : undefined,
      extends: ext.filter((e): e is string => typeof e === 'string'),
    };
  });
}

/**
 * The options of a tsconfig with those it inherits through `extends` (a config in the project:
 * `"extends": "../buildtools/tsconfig-base.json"`; a package's config is not read). As TypeScript does,
 * `baseUrl` is relative to the config that sets it, `paths` to `baseUrl` or else to the config that sets
 * them, and the extending config's own options win (of several `extends`, the last one).
 */
function tsconfigOptions(project: ProjectServices, cfgPath: string, text: string, depth = 0): { baseUrl?: string; paths?: [string, string[]][]; pathsBase?: string } {
  const own = tsconfigOwn(project, cfgPath, text);
  const dir = dirname(cfgPath);
  let out: { baseUrl?: string; paths?: [string, string[]][]; pathsBase?: string } = {};
  if (depth < 8) {
    for (const e of own.extends) {
      if (!e.startsWith('.') && !e.startsWith('/')) continue;
      const parentPath = joinPath(dir, /\.json$/.test(e) ? e : `${e}.json`);
      const parentText = project.fileText(parentPath);
      if (parentText === undefined) continue;
      const parent = tsconfigOptions(project, parentPath, parentText, depth + 1);
      out = { baseUrl: parent.baseUrl ?? out.baseUrl, paths: parent.paths ?? out.paths, pathsBase: parent.paths ? parent.pathsBase : out.pathsBase };
    }
  }
  const baseUrl = own.baseUrl !== undefined ? joinPath(dir, own.baseUrl) : out.baseUrl;
  if (own.paths) return { baseUrl, paths: own.paths, pathsBase: baseUrl ?? dir };
  // Inherited paths are relative to the baseUrl in effect, else to the config that set them.
  return { baseUrl, paths: out.paths, pathsBase: out.paths ? (baseUrl ?? out.pathsBase) : undefined };
}

/** The nearest tsconfig.json above a file, read through the project, with what it inherits through `extends`. */
function tsconfigPaths(project: ProjectServices, fromPath: string): TsconfigPaths | undefined {
  return tsconfigAbove(project, dirname(fromPath));
}

/** How many folders the walk up from `dir` looks in at most. */
const TSCONFIG_LEVELS = 30;

/** The nearest tsconfig.json at or above `dir` (memoised per folder, built from its parent folder's answer). */
function tsconfigAbove(project: ProjectServices, dir: string): TsconfigPaths | undefined {
  return once(resolutions(project).tsconfigs, dir, () => {
    // A folder whose walk would stop before the root walks itself (its parent's answer may look further).
    if (levelsUp(dir) > TSCONFIG_LEVELS) return nearestTsconfig(project, dir);
    const here = tsconfigIn(project, dir);
    if (here || !dir || dir === '/') return here;
    return tsconfigAbove(project, dirname(dir));
  });
}

/** The folders a walk up from `dir` passes, `dir` and the root included. */
function levelsUp(dir: string): number {
  let n = 1;
  for (let d = dir; d && d !== '/'; d = dirname(d)) n++;
  return n;
}

function nearestTsconfig(project: ProjectServices, start: string): TsconfigPaths | undefined {
  let dir = start;
  for (let guard = 0; guard < TSCONFIG_LEVELS; guard++) {
    const here = tsconfigIn(project, dir);
    if (here) return here;
    if (!dir || dir === '/') break;
    dir = dirname(dir);
  }
  return undefined;
}

/** The tsconfig.json of `dir` itself, with what it inherits through `extends`. */
function tsconfigIn(project: ProjectServices, dir: string): TsconfigPaths | undefined {
  const cfgPath = dir ? `${dir}/tsconfig.json` : 'tsconfig.json';
  const text = project.fileText(cfgPath);
  if (text === undefined) return undefined;
  const o = tsconfigOptions(project, cfgPath, text);
  return {
    dir,
    baseUrl: o.pathsBase ?? o.baseUrl ?? dir,
    bareBase: o.baseUrl,
    paths: o.paths ?? [],
  };
}

/** The paths a bare specifier may name under the importer's tsconfig `cfg` (reads nothing). */
function aliasCandidates(cfg: TsconfigPaths | undefined, fromPath: string, spec: string): string[] {
  const out: string[] = [];
  if (cfg) {
    for (const [pattern, targets] of cfg.paths) {
      const star = pattern.indexOf('*');
      let rest: string | undefined;
      if (star < 0) rest = pattern === spec ? '' : undefined;
      else {
        const pre = pattern.slice(0, star);
        const post = pattern.slice(star + 1);
        if (spec.startsWith(pre) && spec.endsWith(post) && spec.length >= pre.length + post.length)
          rest = spec.slice(pre.length, spec.length - post.length);
      }
      if (rest === undefined) continue;
      for (const t of targets) out.push(joinPath(cfg.baseUrl, t.replace('*', rest)));
    }
    // After `paths`, TypeScript resolves a bare specifier under `baseUrl` (NestJS projects' `src/…` imports).
    if (cfg.bareBase !== undefined) out.push(joinPath(cfg.bareBase, spec));
  }
  // Conventional aliases when no tsconfig says otherwise: `@/x` and `~/x` for `src/x` (or the root).
  const m = /^[@~]\/(.*)$/.exec(spec);
  if (m) {
    const roots = new Set<string>();
    if (cfg) roots.add(cfg.dir);
    // The directory holding `src/` above the importing file.
    const i = fromPath.lastIndexOf('/src/');
    if (i >= 0) roots.add(fromPath.slice(0, i));
    else if (fromPath.startsWith('src/')) roots.add('');
    roots.add('');
    for (const r of roots) {
      out.push(joinPath(r, `src/${m[1]}`));
      out.push(joinPath(r, m[1]));
    }
  }
  return out;
}
