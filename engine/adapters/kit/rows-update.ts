/**
 * One UPDATE for per-row different values (the n-plus-one rewrite of a keyed update whose values are
 * expressions of the element): the rows travel as one array per column and are zipped by `unnest`:
 *
 *     UPDATE "event" AS t SET "name" = v."name"
 *     FROM (SELECT DISTINCT ON ("id") * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u("id", "name", ord)
 *           ORDER BY "id", ord DESC) AS v
 *     WHERE t."id" = v."id"
 *
 * `DISTINCT ON … ORDER BY ord DESC` keeps the last row of a repeated key, as the loop's last write wins
 * (UPDATE … FROM would pick one of them at random). Only for columns whose values a driver sends as they are
 * (text, numbers, booleans, uuid): dates, json, enums, arrays and custom types pass through the library's own
 * mapping, which raw SQL skips. Each adapter says how its raw SQL binds an array (`param`).
 */
import type { ColumnInfo, TableInfo } from '../../schema/types';
import { quoteIdentAlways } from '../../sql/ident';

/** PostgreSQL types whose JS values every driver binds unchanged, as array element types. */
const PLAIN = new Set(['text', 'varchar', 'bpchar', 'char', 'citext', 'uuid', 'int2', 'int4', 'int8', 'smallint', 'integer', 'bigint', 'bool', 'boolean', 'numeric', 'decimal', 'float4', 'float8', 'real']);

/** A column by its field name as the code writes it (Prisma field, Drizzle key, entity property) or its SQL name. */
export function columnByField(table: TableInfo, field: string): ColumnInfo | undefined {
  const snake = field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const cols = [...table.columns.values()];
  return cols.find((c) => c.fieldName === field) ?? cols.find((c) => c.name === field) ?? cols.find((c) => c.name === snake);
}

/**
 * The statement text, with `param(i, type)` standing for the i-th column's array (the where's columns first), or
 * undefined when a column is unknown or not plain. `key`: the where's column, or its columns when the where
 * filters on more than the key (`{ trackGroupId, id }`): each travels per row and is compared with `=`, and the
 * last row of each combination wins. `extraSet`: more `col = expr` assignments (`"updated_at" = now()`).
 */
export function unnestUpdate(table: TableInfo, key: string | string[], sets: string[], param: (i: number, arrayType: string) => string, extraSet: string[] = []): string | undefined {
  const keys = typeof key === 'string' ? [key] : key;
  if (!keys.length) return undefined;
  const cols = [...keys, ...sets].map((f) => columnByField(table, f));
  if (cols.some((c) => !c || !PLAIN.has(c.type.replace(/\(.*$/, '')))) return undefined;
  const names = (cols as ColumnInfo[]).map((c) => quoteIdentAlways(c.name));
  if (new Set(names).size !== names.length) return undefined;
  const target = table.schema && table.schema !== 'public' ? `${quoteIdentAlways(table.schema)}.${quoteIdentAlways(table.name)}` : quoteIdentAlways(table.name);
  const arrays = (cols as ColumnInfo[]).map((c, i) => param(i, `${c.type.replace(/\(.*$/, '')}[]`));
  const assign = [...names.slice(keys.length).map((n) => `${n} = v.${n}`), ...extraSet].join(', ');
  const k = names.slice(0, keys.length);
  return (
    `UPDATE ${target} AS t SET ${assign} FROM (SELECT DISTINCT ON (${k.join(', ')}) * FROM unnest(${arrays.join(', ')}) WITH ORDINALITY AS u(${names.join(', ')}, ord) ` +
    `ORDER BY ${k.join(', ')}, ord DESC) AS v WHERE ${k.map((n) => `t.${n} = v.${n}`).join(' AND ')}`
  );
}

/**
 * A where filter value the raw statement cannot compare with `=` as the ORM does: `null`/`undefined` written out (the
 * ORM tests IS NULL, or drops the filter).
 */
export const nullFilter = (text: string): boolean => /^(null|undefined)$/.test(text.trim());

/** The title's notes: what the one statement does differently from the per-row ORM update. */
export const ROWS_UPDATE_NOTE = 'raw PostgreSQL SQL: a value that is undefined now writes NULL where the ORM left the column as it was';
