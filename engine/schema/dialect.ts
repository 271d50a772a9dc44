/**
 * Helpers for reading a project's own configuration files: the adapters
 * (AdapterSchema.nonPostgresFolders) read from them which folders hold
 * another database's SQL (a migrations folder whose config or schema names
 * SQLite, MySQL …).
 *
 * The schema layer skips those folders with one problem each, and the
 * project does not lint their `.sql` files as PostgreSQL (see
 * `nonPostgresFolder` in types.ts).
 */
import type { NonPostgresFolder } from './types';

export type { NonPostgresFolder };

export function blankComments(text: string): string {
  return text.replace(/(["'`])(?:\\.|(?!\1)[^\\\n])*\1|\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/g, (m) => (/^["'`]/.test(m) ? m : m.replace(/[^\n]/g, ' ')));
}

export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Joins a folder and a relative path (`./drizzle`, `../db/out`, `migrations/`), or undefined for an absolute one. */
export function joinPath(dir: string, rel: string): string | undefined {
  if (rel.startsWith('/') || /^[A-Za-z]:[\\/]/.test(rel)) return undefined;
  const parts = dir ? dir.split('/') : [];
  for (const seg of rel.replace(/\\/g, '/').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join('/');
}

/** A string property `key: "value"` of a config object literal (comments ignored). */
export function stringProp(clean: string, key: string): { value: string; at: number } | undefined {
  const m = new RegExp(`(?:^|[\\s,{])${key}\\s*:\\s*(["'\`])([^"'\`\\n]*)\\1`).exec(clean);
  return m ? { value: m[2], at: m.index + m[0].indexOf(key) } : undefined;
}
