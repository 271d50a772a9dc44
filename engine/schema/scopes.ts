/**
 * Which schema a file's queries run against, in a project that may hold several packages (a
 * monorepo): the unit is the package that owns schema sources. A package is a folder with a
 * `package.json` or a `querylens.config.json`; the project root is one too. Each schema source
 * belongs to the deepest package holding it. For a file:
 *   1. its own package, when that owns schema sources (with those of the packages of rule 2);
 *   2. else the workspace packages its package depends on (package.json dependencies naming another
 *      package of the project, or tsconfig.json `paths` leading into one) that own schema sources:
 *      code whose client comes from `@acme/db` uses `@acme/db`'s schema;
 *   3. else the nearest enclosing package that owns schema sources (migrations at the repository
 *      root, code in `apps/web`);
 *   4. else, when exactly one package in the project owns schema sources, that one (nothing else
 *      could be meant);
 *   5. else none: no schema, and no sibling service's schema either.
 */
export interface SchemaScope {
  /** Project-relative folders ('' for the root) of the packages whose schema sources make the scope, sorted. */
  packages: string[];
  reason: 'own' | 'dependency' | 'ancestor' | 'only' | 'none';
}

interface PackageInfo {
  dir: string;
  name?: string;
  deps: string[];
  /** Package folders its tsconfig.json `paths` lead into (`"@acme/db": ["../../packages/db/src"]`). */
  linked: string[];
  /** Entry files named by package.json (`source`, `types`, `module`, `main`, `exports['.']`), in that order. */
  entries: string[];
}

import { parse as parseJsonc } from 'jsonc-parser';
import { STATS_FILE_NAME } from './order';

const MANIFEST = /(?:^|\/)(package\.json|querylens\.config\.json|tsconfig\.json)$/;
const TSCONFIG = /(?:^|\/)tsconfig\.json$/;

/** Files that tell which package owns which schema: package.json, querylens.config.json, tsconfig.json (`paths`). */
export function isManifest(path: string): boolean {
  return MANIFEST.test(path);
}

/** Project-relative path of `rel` from folder `dir` ('' when it leaves the project). */
function joinRel(dir: string, rel: string): string | undefined {
  const out = dir ? dir.split('/') : [];
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (!out.length) return undefined;
      out.pop();
    } else out.push(seg);
  }
  return out.join('/');
}

/** The folders a tsconfig's `compilerOptions.paths` point at, project-relative (JSONC: comments and trailing commas allowed). */
function tsconfigTargets(dir: string, text: string | undefined): string[] {
  if (text === undefined) return [];
  const j = parseJsonc(text, [], { allowTrailingComma: true }) as { compilerOptions?: { baseUrl?: unknown; paths?: unknown } } | undefined;
  const co = j && typeof j === 'object' ? j.compilerOptions : undefined;
  const paths = co?.paths;
  if (!paths || typeof paths !== 'object' || Array.isArray(paths)) return [];
  const base = joinRel(dir, typeof co.baseUrl === 'string' ? co.baseUrl : '.');
  if (base === undefined) return [];
  const out: string[] = [];
  for (const targets of Object.values(paths as Record<string, unknown>)) {
    if (!Array.isArray(targets)) continue;
    for (const t of targets) {
      if (typeof t !== 'string') continue;
      // `../../packages/db/src/*` → up to the wildcard; the package is the one holding that path.
      const folder = joinRel(base, t.replace(/\*.*$/, ''));
      if (folder) out.push(folder);
    }
  }
  return out;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function exportTarget(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    for (const k of ['types', 'source', 'import', 'require', 'default', 'node']) {
      const t = exportTarget((v as Record<string, unknown>)[k]);
      if (t) return t;
    }
  }
  return undefined;
}

function parsePackage(dir: string, text: string | undefined): PackageInfo {
  const info: PackageInfo = { dir, deps: [], linked: [], entries: [] };
  if (text === undefined) return info;
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    if (typeof j.name === 'string') info.name = j.name;
    for (const k of ['source', 'types', 'typings', 'module', 'main']) if (typeof j[k] === 'string') info.entries.push(j[k] as string);
    const exp = j.exports;
    const dot = exp && typeof exp === 'object' && !Array.isArray(exp) && '.' in (exp as object) ? (exp as Record<string, unknown>)['.'] : exp;
    const t = exportTarget(dot);
    if (t) info.entries.push(t);
    for (const k of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
      const d = j[k];
      if (d && typeof d === 'object' && !Array.isArray(d)) info.deps.push(...Object.keys(d));
    }
  } catch {
    // A broken package.json still makes its folder a package.
  }
  return info;
}

/** The packages of a project and the schema sources each owns; answers scopes for files. */
export class PackageMap {
  private readonly packages = new Map<string, PackageInfo>();
  /** Package folder → its schema sources, in the order given. */
  readonly owners = new Map<string, string[]>();
  private readonly byName = new Map<string, string>();
  private readonly scopes = new Map<string, SchemaScope>();
  /** Stats snapshots (querylens.stats.json), by path: not owned by a package (see sourcesOf). */
  private readonly snapshots: string[] = [];
  /** Package folder → migrations a config writes for its schema files in another package's folder (see links.ts). */
  private readonly linkedSources = new Map<string, string[]>();

  constructor(paths: Iterable<string>, text: (path: string) => string | undefined, schemaSources: readonly string[]) {
    this.packages.set('', { dir: '', deps: [], linked: [], entries: [] });
    const tsconfigs: string[] = [];
    for (const p of paths) {
      if (!isManifest(p)) continue;
      // A tsconfig.json does not make a package; its `paths` link the package holding it (below).
      if (TSCONFIG.test(p)) {
        tsconfigs.push(p);
        continue;
      }
      const dir = dirOf(p);
      const pkg = p.endsWith('package.json') ? parsePackage(dir, text(p)) : undefined;
      const known = this.packages.get(dir);
      if (!known || pkg) this.packages.set(dir, pkg ?? known ?? { dir, deps: [], linked: [], entries: [] });
    }
    for (const pkg of this.packages.values()) if (pkg.name) this.byName.set(pkg.name, pkg.dir);

    for (const p of tsconfigs) {
      const own = this.packages.get(this.ownerOf(p));
      if (!own) continue;
      for (const target of tsconfigTargets(dirOf(p), text(p))) {
        const d = this.ownerOf(`${target}/_`);
        if (d !== own.dir && d !== '' && !own.linked.includes(d)) own.linked.push(d);
      }
    }
    for (const s of schemaSources) {
      // A stats snapshot describes the database, not a package's schema: it joins every scope at or below
      // its folder (`querylens stats pull` at a monorepo's root serves apps/web and packages/db alike).
      if (s.slice(s.lastIndexOf('/') + 1).toLowerCase() === STATS_FILE_NAME) {
        this.snapshots.push(s);
        continue;
      }
      const owner = this.ownerOf(s);
      const list = this.owners.get(owner);
      if (list) list.push(s);
      else this.owners.set(owner, [s]);
    }
  }

  /** `pkg`'s schema files are linked to these migrations (another package's): its scopes see them too. */
  link(pkg: string, sources: readonly string[]): void {
    const list = this.linkedSources.get(pkg) ?? [];
    for (const s of sources) if (!list.includes(s) && this.ownerOf(s) !== pkg) list.push(s);
    if (list.length) this.linkedSources.set(pkg, list);
  }

  /** The deepest package folder holding `path`. */
  ownerOf(path: string): string {
    for (let d = dirOf(path); ; d = dirOf(d)) {
      if (this.packages.has(d)) return d;
      if (d === '') return '';
    }
  }

  scopeOf(path: string): SchemaScope {
    const own = this.ownerOf(path);
    let hit = this.scopes.get(own);
    if (!hit) this.scopes.set(own, (hit = this.compute(own)));
    return hit;
  }

  private compute(own: string): SchemaScope {
    const pkg = this.packages.get(own);
    const deps = [...(pkg?.deps ?? []).map((n) => this.byName.get(n)), ...(pkg?.linked ?? [])].filter((d): d is string => d !== undefined && this.owners.has(d));
    // A package with schema sources of its own (its migrations, or only a drizzle.config.ts naming another
    // package's schema) still queries the packages it depends on: their schemas join its own.
    if (this.owners.has(own)) return { packages: [...new Set([own, ...deps])].sort(), reason: 'own' };
    if (deps.length) return { packages: [...new Set(deps)].sort(), reason: 'dependency' };
    // ownerOf of a package folder is the package enclosing it.
    for (let d = own; d !== ''; ) {
      d = this.ownerOf(d);
      if (this.owners.has(d)) return { packages: [d], reason: 'ancestor' };
    }
    if (this.owners.size === 1) return { packages: [...this.owners.keys()], reason: 'only' };
    return { packages: [], reason: 'none' };
  }


  /**
   * The source file a bare import of a package of the project names (`@hedgedoc/database`,
   * `@acme/db/schema`): its folder by package.json name, then its entry, built paths (`dist/cjs/x.js`)
   * mapped back to sources (`src/x.ts`). `exists` probes a path without extension.
   */
  resolvePackage(spec: string, exists: (base: string) => string | undefined): string | undefined {
    const m = /^((?:@[^/]+\/)?[^/@.][^/]*)(?:\/(.+))?$/.exec(spec);
    const dir = m ? this.byName.get(m[1]) : undefined;
    if (!m || dir === undefined) return undefined;
    const join = (rel: string): string => (dir ? `${dir}/${rel}` : rel);
    const bases: string[] = [];
    const add = (rel: string): void => {
      const r = rel.replace(/^\.\//, '').replace(/\.(d\.ts|[cm]?js|[cm]?ts|tsx|jsx)$/, '');
      bases.push(join(r));
      const built = /^(?:dist|lib|build|out)(?:\/(?:cjs|esm|mjs|es|types))?\/(.*)$/.exec(r);
      if (built) bases.push(join(`src/${built[1]}`));
    };
    if (m[2]) {
      add(m[2]);
      add(`src/${m[2]}`);
    } else {
      for (const e of this.packages.get(dir)?.entries ?? []) add(e);
      add('src/index');
      add('index');
    }
    for (const b of bases) {
      const hit = exists(b);
      if (hit) return hit;
    }
    return undefined;
  }

  /** Schema sources of a scope, in the order given to the map. */
  sourcesOf(scope: SchemaScope): string[] {
    const own = [...new Set(scope.packages.flatMap((p) => [...(this.owners.get(p) ?? []), ...(this.linkedSources.get(p) ?? [])]))];
    // The nearest snapshot at or above the scope's packages (a package's own snapshot before the root's).
    const under = (dir: string, pkg: string): boolean => dir === '' || pkg === dir || pkg.startsWith(`${dir}/`);
    const snaps = this.snapshots.filter((s) => scope.packages.some((p) => under(dirOf(s), p))).sort((a, b) => dirOf(b).length - dirOf(a).length);
    return snaps.length ? [...own, snaps[0]] : own;
  }
}
