/** Grouping project paths into migration folders: shared by every tool's detection. */
import { naturalCompare } from './naming';

export interface DirFiles {
  dir: string;
  /** Base names, in natural order. */
  names: string[];
}

/** Paths by folder (node_modules and dot-folders left out), each folder's names in natural order. */
export function filesByDir(paths: readonly string[]): Map<string, DirFiles> {
  const out = new Map<string, DirFiles>();
  for (const p of paths) {
    if (p.includes('node_modules/') || /(^|\/)\.[^/]+\//.test(p)) continue;
    const slash = p.lastIndexOf('/');
    const dir = slash >= 0 ? p.slice(0, slash) : '';
    let d = out.get(dir);
    if (!d) out.set(dir, (d = { dir, names: [] }));
    d.names.push(p.slice(slash + 1));
  }
  for (const d of out.values()) d.names.sort(naturalCompare);
  return out;
}

export const joinPath = (dir: string, name: string): string => (dir ? `${dir}/${name}` : name);

/** The leading number of a migration name (`0004_x.sql` → `0004`, `V12__x.sql` → `12`). */
export function leadingNumber(name: string): string | undefined {
  return /^V?(\d+)/.exec(name)?.[1];
}

/** JS/TS module file extensions a migration tool may load. */
export const SCRIPT_EXT = /\.(ts|js|cjs|mjs|mts|cts)$/;

/** Which module style an existing migration file is written in. */
export function moduleStyle(text: string | undefined): 'esm' | 'cjs' {
  return text && /\b(module\.exports|exports\.\w+\s*=)/.test(text) && !/^\s*export\s/m.test(text) ? 'cjs' : 'esm';
}
