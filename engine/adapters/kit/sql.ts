/** What the sql-tag libraries share: the helpers that splice text or names into a template, and the raw-SQL advice. */
import type { Splice, SpliceCallee } from '../types';

const TEXT: Splice = { kind: 'text' };
const NAME: Splice = { kind: 'name', dotted: false, list: true };
const DOTTED: Splice = { kind: 'name', dotted: true, list: true };

/**
 * Methods of a sql tag that splice into the template: `sql.raw('…')` (Drizzle, Kysely), `sql.unsafe('…')`
 * (postgres.js), `sql.lit` (Kysely) splice constant text; `sql.identifier([...])` (slonik, Drizzle),
 * `sql.id`, `sql.ref`/`sql.table` (Kysely, dotted) splice names. Only constant arguments are spliced.
 */
const TAG_HELPERS: Record<string, Splice> = { raw: TEXT, unsafe: TEXT, lit: TEXT, identifier: NAME, id: NAME, ref: DOTTED, table: DOTTED };

/** A helper method of a sql tag binding (`sql.identifier(…)`). */
export function tagHelperSplice(callee: SpliceCallee): Splice | undefined {
  if (callee.kind !== 'method' || callee.binding.role !== 'sql-tag') return undefined;
  return Object.prototype.hasOwnProperty.call(TAG_HELPERS, callee.method) ? TAG_HELPERS[callee.method] : undefined;
}

/** How to batch raw SQL. */
export const RAW_SQL_BATCH_ADVICE = 'send one statement for the whole collection (`WHERE id = ANY($1)` with an array parameter, or `unnest`)';
