/**
 * SQL found in a file: the text handed to the parser, and how each of its
 * offsets maps back to the file. In TypeScript a template literal's
 * `${expr}` becomes a `$n` parameter, so the SQL and file texts differ in
 * length: `segments` carry the mapping.
 */
import type { ParseOutcome } from '../sql/parser';
import type { Library } from './query-sites';
import type { Range } from '../types';

export interface SqlSegment {
  /** Start of this piece in `SqlSite.sql`. */
  sqlStart: number;
  /** Start of this piece in the file. */
  fileStart: number;
  /** Length in the SQL text. */
  length: number;
  /** Length in the file, when it differs (a `$1` standing for `${userId}`). */
  fileLength?: number;
}

/**
 * What an interpolation of the TypeScript source stands for in the SQL:
 * - `value`: a value the driver binds or the text spells (`= ${id}`, `LIMIT ${n}`): rendered `$n`;
 * - `name`: an identifier not known statically (`FROM ${table}`, `"${col}"`, `sql.identifier([x])`):
 *   rendered as a placeholder name so the statement still parses, naming nothing the schema knows;
 * - `fragment`: SQL text not known statically (`${whereClause}` on its own line, `sql.raw(x)`): left
 *   out (zero length), so the statement parses but is incomplete;
 * - `unknown`: cannot tell which (`ON ${a.fields.x} = ${b.fields.y}`, `WHERE ${cond}`): rendered `$n`.
 * A rule never judges what a `name`, `fragment` or `unknown` hole may hide.
 */
export type HoleKind = 'value' | 'name' | 'fragment' | 'unknown';

export interface SqlHole {
  /** Extent in `SqlSite.sql` (empty for a fragment left out). */
  start: number;
  end: number;
  kind: HoleKind;
  /** The interpolated expression as written. */
  expr: string;
}

/** Who runs the SQL: a library of query-sites.ts, a `.sql` file, or a sink whose library is unknown. */
export type SqlClient = 'sql-file' | Library | 'unknown';

export interface SqlSite {
  file: string;
  /** SQL text as parsed: interpolations replaced by `$1`, `$2`, ... */
  sql: string;
  segments: SqlSegment[];
  /** The literal (or .sql statement) range in the file. */
  range: Range;
  /** The call expression that runs this SQL (TypeScript sources). */
  callRange?: Range;
  client: SqlClient;
  /** sqlc / pgtyped query name (`-- name: GetUser :one`). */
  name?: string;
  /** For TypeScript: the text of each interpolation, by parameter number (index 0 = $1). */
  params?: string[];
  /** For TypeScript: every interpolation not resolved to constant text, with what it stands for. */
  holes?: SqlHole[];
  /** Filled by the engine on first use. */
  parsed?: ParseOutcome;
}

/** Maps an offset in `site.sql` to an offset in the file text. */
export function sqlToFile(site: SqlSite, offset: number, edge: 'start' | 'end' = 'start'): number {
  const segs = site.segments;
  if (segs.length === 0) return site.range.start;
  let lo = 0;
  let hi = segs.length - 1;
  // An end offset on a segment boundary belongs to the segment it ends, not the one that starts there
  // (the end of `orders` in `'select * from ' + TABLE + ' where …'` is in TABLE's literal).
  const atOrBefore = (seg: SqlSegment): boolean => (edge === 'end' ? seg.sqlStart < offset : seg.sqlStart <= offset);
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (atOrBefore(segs[mid])) lo = mid;
    else hi = mid - 1;
  }
  const s = segs[lo];
  const rel = offset - s.sqlStart;
  if (s.fileLength !== undefined && s.fileLength !== s.length) {
    // A substituted piece: its inside has no exact counterpart, so snap to its edges.
    if (rel <= 0) return s.fileStart;
    if (rel >= s.length) return s.fileStart + s.fileLength + (rel - s.length);
    return edge === 'end' ? s.fileStart + s.fileLength : s.fileStart;
  }
  return s.fileStart + rel;
}

export function sqlRangeToFile(site: SqlSite, r: Range): Range {
  const start = sqlToFile(site, r.start, 'start');
  const end = sqlToFile(site, r.end, 'end');
  return { start, end: Math.max(start, end) };
}
