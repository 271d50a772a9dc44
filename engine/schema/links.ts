/**
 * Links between schema files and the migrations folder a config writes for them (Drizzle Kit's
 * `defineConfig({ schema, out })`, read by the adapters' `schema.schemaLink`). Two uses:
 *   - the packages holding the linked schema files see the `out` folder's migrations too: an index
 *     written only in a hand-edited SQL migration is in the database whichever package queries it;
 *   - with at least one such config, a TypeScript table file that no config names (directly or through
 *     the files it imports) and no code imports is not a schema source (generator output left behind,
 *     e.g. `auth-schema2.ts`). When a config's `schema` cannot be read, every file stays a source.
 * `schema` and `out` resolve against the config's folder, else its package's folder (drizzle-kit
 * resolves them against the folder it runs in, usually the package's).
 */
import picomatch from 'picomatch';
import { allAdapters } from '../adapters';
import type { SchemaLinkDecl } from '../adapters/types';
import { dirName, joinPath } from './dialect';

export interface SchemaLink {
  config: string;
  /** The adapter (library) whose config it is: its table files are the ones the link may leave out. */
  library: string;
  /** Project-relative folder of the migrations. */
  out: string;
  /** Files the config's `schema` names, and every project file they import (transitively). */
  named: Set<string>;
}

export interface LinkHost {
  paths: readonly string[];
  text(path: string): string | undefined;
  resolve(from: string, spec: string): string | undefined;
  /** The package folder holding a path. */
  packageOf(path: string): string;
}

export interface SchemaLinks {
  links: SchemaLink[];
  /** Libraries with a config whose `schema` was not read (none of their files may be judged unnamed). */
  unread: Set<string>;
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(["'])([^"'\n]+)\1/g;
const CODE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
/** A bound on the files followed from one config's schema (a barrel re-exporting the whole app stops there). */
const MAX_NAMED = 2000;

/** Module specifiers of a file's imports, re-exports and requires. */
export function specifiers(text: string): string[] {
  return [...text.matchAll(SPECIFIER)].map((m) => m[2]);
}

function configLink(path: string, text: string): (SchemaLinkDecl & { library: string }) | undefined {
  for (const a of allAdapters) {
    const d = a.schema.schemaLink({ path, text });
    if (d) return { ...d, library: a.id };
  }
  return undefined;
}

/** The files of `paths` a schema entry (file, folder or glob) names from `base`. */
function matchEntry(paths: readonly string[], exists: (p: string) => boolean, base: string, entry: string): string[] {
  const p = joinPath(base, entry.replace(/\/+$/, ''));
  if (p === undefined) return [];
  if (/[*?{[]/.test(p)) {
    const m = picomatch(p, { dot: true });
    return paths.filter((f) => m(f));
  }
  const under = paths.filter((f) => f === p || (f.startsWith(`${p}/`) && CODE.test(f)));
  return under.length || !exists(p) ? under : [p];
}

/** Every config link of the project; configs are the files among `candidates` an adapter reads a link from. */
export function schemaLinks(candidates: readonly string[], host: LinkHost): SchemaLinks {
  const links: SchemaLink[] = [];
  const unread = new Set<string>();
  for (const config of candidates) {
    const text = host.text(config);
    const decl = text === undefined ? undefined : configLink(config, text);
    if (!decl) continue;
    if (!decl.schema) {
      unread.add(decl.library);
      continue;
    }
    const bases = [...new Set([dirName(config), host.packageOf(config)])];
    let hit: { base: string; files: string[] } | undefined;
    for (const base of bases) {
      const files = decl.schema.flatMap((e) => matchEntry(host.paths, (p) => host.text(p) !== undefined, base, e));
      if (files.length) {
        hit = { base, files };
        break;
      }
    }
    // A `schema` that names no file of the project: what it means is unknown.
    if (!hit) {
      unread.add(decl.library);
      continue;
    }
    const out = joinPath(hit.base, decl.out.replace(/\/+$/, ''));
    if (out === undefined) continue;
    links.push({ config, library: decl.library, out, named: follow(hit.files, host) });
  }
  return { links, unread };
}

/** The files and everything they import, transitively (project files only). */
function follow(start: string[], host: LinkHost): Set<string> {
  const seen = new Set(start);
  const queue = [...start];
  while (queue.length && seen.size < MAX_NAMED) {
    const f = queue.shift() as string;
    const text = host.text(f);
    if (text === undefined) continue;
    for (const spec of specifiers(text)) {
      const to = host.resolve(f, spec);
      if (to && !seen.has(to) && CODE.test(to) && !to.includes('node_modules/')) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}

/** The module name a specifier of `file` would end in: `auth-schema2` for `auth-schema2.ts`, `schema` for `schema/index.ts`. */
function moduleName(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '');
  return base === 'index' ? dirName(file).slice(dirName(file).lastIndexOf('/') + 1) : base;
}

/** Of `files`, those some other code file of the project imports. */
export function importedFiles(files: readonly string[], codePaths: readonly string[], host: LinkHost): Set<string> {
  const byName = new Map<string, string[]>();
  for (const f of files) {
    for (const n of new Set([moduleName(f), f.slice(f.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '')])) byName.set(n, [...(byName.get(n) ?? []), f]);
  }
  const found = new Set<string>();
  if (!byName.size) return found;
  const names = [...byName.keys()];
  for (const from of codePaths) {
    if (found.size === files.length) break;
    const text = host.text(from);
    if (text === undefined || !names.some((n) => text.includes(n))) continue;
    for (const spec of specifiers(text)) {
      const last = spec.slice(spec.lastIndexOf('/') + 1).replace(/\.[cm]?[jt]sx?$/, '');
      const cands = byName.get(last);
      if (!cands) continue;
      const to = host.resolve(from, spec);
      if (to && to !== from && cands.includes(to)) found.add(to);
    }
  }
  return found;
}
