/**
 * Selectivity: an index helps only a predicate that keeps few rows. Without
 * statistics we cannot measure it, so a predicate counts as selective unless
 * the schema or the code says otherwise:
 *
 * - booleans (also an expression cast to one, a JSON flag compared with
 *   true/false), enum-typed columns and columns with a `CHECK (col IN (…))`
 *   hold a handful of values: each keeps a large share of the table;
 * - a column the code compares only to a few constants (words, never a
 *   parameter) is a status or kind column of the same sort;
 * - `deleted_at IS NULL` and its kin (soft-delete markers) keep most rows;
 *   any other `IS NULL` test (`last_preserved IS NULL`, a pending-work
 *   marker) keeps an unknown share — from none to nearly all rows — so it
 *   is not a claim we make without statistics either;
 * - a column whose foreign key references a tiny table (declared tiny, or
 *   filled by the migrations and never added to by the application) holds at
 *   most that table's few keys — a single tenant's `orgId` —, each keeping a
 *   large share of the rows;
 * - a range bounded on one side (`created_at < now() - interval '1 day'`,
 *   `id > $1`) may match anything from no row to every row: its selectivity
 *   is unknown without statistics, so it is not a claim we make (except in an
 *   ORM retention sweep, a delete or update of the rows older than a cutoff:
 *   rules/unindexed-predicate-orm.ts `retentionSweep`).
 *
 * With a stats snapshot (`querylens stats pull`), a column's pg_stats
 * figures decide first (`statsVerdict`, engine/model/selectivity.ts): the
 * share of rows an unknown value keeps, as the planner estimates it, against
 * the cost model's crossover between an index and a scan.
 *
 * Used by both halves of `unindexed-predicate`, through `access-path.ts`
 * and the ORM check. Pure.
 */
import { statsVerdict } from '../model/selectivity';
import type { ModelParams } from '../model/params';
import { findTable, type SchemaModel, type TableInfo } from '../schema/types';

/** Soft-delete / archive markers: `IS NULL` on them keeps most of the table (umami's `team.deleted_at`). */
export const SOFT_DELETE_COLUMN = /^(is_?)?(deleted|archived|removed|trashed|discarded)(_?(at|on|date|time|timestamp))?$/i;

/** At most this many distinct constants, and never a parameter: a column of a few values. */
export const FEW_VALUES = 8;

/** What the project's code compares a column to (every SQL statement and ORM filter that names it). */
export interface ColumnValueUse {
  /** Distinct constants compared with `=`/`IN`. */
  literals: ReadonlySet<string>;
  /** Comparisons to anything else (a parameter, a column, an expression). */
  others: number;
  /** ORM calls whose only equality filter compared with a non-constant value is this column: a lookup key of the code. */
  alone?: number;
}

export interface SelectivityInput {
  column: string;
  wrapped?: string;
  op: string;
  /** 'constant' with `literals`, or what else the value is. */
  value?: string;
  literals?: string[];
  isNull?: boolean;
  openRange?: boolean;
}

export interface SelectivityContext {
  schema: SchemaModel;
  /**
   * The cost model's scan and index costs: with them, a column the stats snapshot has statistics
   * for is judged by those statistics (engine/model/selectivity.ts) before any structural rule.
   */
  params?: Pick<ModelParams, 'seqScanRowsPerMs' | 'indexDescentMs' | 'indexRowMs'>;
  /** Project-wide value uses of a column, when the project knows them. */
  columnValues?(table: TableInfo, column: string): ColumnValueUse | undefined;
  /** Whether a table holds too few rows for an index to matter (`RuleContext.isTiny`), when the project knows. */
  isTiny?(table: TableInfo): boolean;
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

export type Selectivity = { selective: true } | { selective: false; why: string };

/** The op the statistics answer for: `IS NULL`, an equality with several constants (an IN list), or the op itself. */
function statsOp(p: SelectivityInput): { op: string; inCount?: number } {
  if (p.isNull) return { op: 'null' };
  if (p.op === 'eq' && p.literals && p.literals.length > 1) return { op: 'in', inCount: p.literals.length };
  return { op: p.op };
}

/** Whether a predicate is selective enough for an index to matter (see the module comment). */
export function selectivity(p: SelectivityInput, table: TableInfo, ctx: SelectivityContext): Selectivity {
  // Measured beats inferred: pg_stats of the column (querylens stats pull), judged with the cost model.
  if (ctx.params && !p.wrapped && p.op !== 'order') {
    const o = statsOp(p);
    const v = o.inCount ? undefined : statsVerdict(table, p.column, o.op, ctx.params);
    if (v) return v.selective ? { selective: true } : { selective: false, why: v.why };
  }
  if (p.op === 'range' && p.openRange) return { selective: false, why: `a range bounded on one side: how many rows it keeps is unknown without statistics` };
  // An expression that is a boolean (a JSON flag cast to one, `(key ->> 'fromMe')::bool`, or a JSON path compared with
  // true/false): two values, each keeping a large share of the rows, like a boolean column.
  if (p.wrapped && (/::bool(?:ean)?$/.test(p.wrapped) || (p.op === 'eq' && !!p.literals?.length && p.literals.every((l) => /^(true|false)$/i.test(l))))) {
    return { selective: false, why: `${p.wrapped} is a boolean: each value keeps a large share of the rows` };
  }
  if (p.wrapped) return { selective: true };
  const col = table.columns.get(p.column);
  if (p.isNull && SOFT_DELETE_COLUMN.test(p.column)) return { selective: false, why: `${p.column} IS NULL keeps most rows (a soft-delete marker)` };
  if (p.isNull) return { selective: false, why: `${p.column} IS NULL: how many rows are NULL is unknown without statistics` };
  if (!col) return { selective: true };
  if (col.type === 'bool' || col.type === 'boolean') return { selective: false, why: `${p.column} is a boolean: each value keeps a large share of the rows` };
  // An array column: a B-tree serves only whole-array equality, an element or containment test needs a GIN index, and
  // which rows either keeps is unknown without statistics — no B-tree verdict.
  if (col.type.endsWith('[]')) return { selective: false, why: `${p.column} is an array (${col.type}): a B-tree index serves only whole-array equality, and how many rows an element test keeps is unknown without statistics` };
  const base = col.type.replace(/\[\]$/, '');
  if (col.type === base && ctx.schema.enums?.has(base)) return { selective: false, why: `${p.column} is of enum type ${base}: a handful of values, each keeping a large share of the rows` };
  if (col.allowedValues?.length && col.allowedValues.length <= FEW_VALUES * 2) {
    return { selective: false, why: `${p.column} holds one of ${col.allowedValues.length} values (its CHECK constraint): each keeps a large share of the rows` };
  }
  // A text column whose default is one word (`role text DEFAULT 'member'`, `status … DEFAULT 'pending'`): rows hold a
  // handful of such words, many of them that one. Read from the schema, not from the column's name.
  if (col.defaultWord && p.op === 'eq' && /^(text|varchar|bpchar|citext|character varying)$/.test(col.type)) {
    return { selective: false, why: `${p.column} defaults to '${col.defaultWord}': a role, status or kind column whose values each keep a large share of the rows` };
  }
  // A model file's declared type naming a few values (`$type<'owner' | 'member' | 'admin'>()`): a role or kind column.
  if (col.declaredValues?.length && col.declaredValues.length <= FEW_VALUES) {
    return { selective: false, why: `${p.column} holds one of ${col.declaredValues.length} values its declared type names (${col.declaredValues.slice(0, 4).map((v) => `'${v}'`).join(', ')}${col.declaredValues.length > 4 ? ', …' : ''}): each keeps a large share of the rows` };
  }
  // A key of a tiny table (a reference table, a single tenant's org): as few values as that table has rows.
  const ref = p.op === 'eq' && ctx.isTiny ? tinyReference(table, p.column, ctx) : undefined;
  if (ref) return { selective: false, why: `${p.column} references ${ref}: a handful of values, each keeping a large share of the rows` };
  // Numbers compared as constants are ids in examples as often as codes; only words are status-like.
  if (p.op === 'eq' && p.value === 'constant' && p.literals?.length && p.literals.every((l) => !NUMERIC.test(l))) {
    const use = ctx.columnValues?.(table, p.column);
    const literals = new Set([...(use?.literals ?? []), ...p.literals]);
    if ((use?.others ?? 0) === 0 && literals.size <= FEW_VALUES) {
      return { selective: false, why: `the code compares ${p.column} only to ${literals.size === 1 ? 'one constant' : `${literals.size} constants`} (${[...literals].slice(0, 4).map((l) => `'${l}'`).join(', ')}${literals.size > 4 ? ', …' : ''}): a status-like column whose values each keep many rows` };
    }
  }
  return { selective: true };
}

/**
 * The tiny table a single-column foreign key of `column` references, described, if any: one declared tiny, or
 * one the migrations fill (`TableInfo.seeded`) that the application never adds rows to. A table the project
 * merely never writes is not enough here: another service may fill it, and its children are no smaller for it.
 */
function tinyReference(table: TableInfo, column: string, ctx: SelectivityContext): string | undefined {
  for (const fk of table.foreignKeys ?? []) {
    if (fk.columns.length !== 1 || fk.columns[0] !== column) continue;
    const ref = findTable(ctx.schema, fk.refTable, fk.refSchema);
    if (!ref || ref === table) continue;
    if (ref.tiny) return `${ref.name}, declared tiny`;
    if (ref.seeded && ref.rows === undefined && ctx.isTiny?.(ref)) return `${ref.name}, a table the application never adds rows to (the migrations fill it)`;
  }
  return undefined;
}
