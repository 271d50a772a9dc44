/**
 * `.sql` files as sources: each statement is one site. sqlc and pgtyped
 * query files (`-- name: GetUser :one` / `/* @name GetUser *\/`) name their
 * statements; the name is kept for messages.
 */
import { splitStatements } from '../sql/parser';
import type { SqlSite } from './types';

const NAME_RE = /--\s*name:\s*([A-Za-z_][\w]*)|\/\*\s*@name\s+([A-Za-z_][\w]*)/g;

export function sqlFileSites(path: string, text: string): SqlSite[] {
  const sites: SqlSite[] = [];
  const pieces = splitStatements(text);
  for (const p of pieces) {
    let start = p.start;
    const slice = text.slice(p.start, p.end);
    if (!slice.trim()) continue;
    // The name comment sits in the leading comments of the statement.
    let name: string | undefined;
    NAME_RE.lastIndex = 0;
    const m = NAME_RE.exec(slice);
    if (m) name = m[1] ?? m[2];
    while (start < p.end && /\s/.test(text[start])) start++;
    let end = p.end;
    while (end > start && /\s/.test(text[end - 1])) end--;
    const sql = text.slice(start, end);
    // A piece of comments only is no statement.
    if (!sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '').replace(/;/g, '').trim()) continue;
    sites.push({
      file: path,
      sql,
      segments: [{ sqlStart: 0, fileStart: start, length: sql.length }],
      range: { start, end },
      client: 'sql-file',
      name,
    });
  }
  return sites;
}
