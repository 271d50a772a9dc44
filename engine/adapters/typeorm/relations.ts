/**
 * TypeORM relation filters in a `where` object, which the query-site model leaves out (the shared
 * where-object reader records no column for a nested object): `{ account: { id } }` on a `@ManyToOne`
 * compares the relation's join column (`accountId`, or its `@JoinColumn({ name })`) with the key, without
 * a join; `{ account: { email } }` joins the parent on that column. Either way the join column is
 * constrained by equality, which may complete a composite index prefix (`UQ(accountId, fileKey)`).
 */
import ts = require('typescript');
import { findColumn, type TableInfo } from '../../schema/types';
import type { ColumnUse } from '../../sources/query-sites';
import type { OrColumns } from '../types';
import { objectProp, propName, rangeOf, unparen } from '../kit/chain';

const BY_STYLE = /By(OrFail)?$/;
const KEYED_WRITES = new Set(['update', 'delete', 'softDelete', 'restore']);
const READS = /^(find|findOne|findOneOrFail|findAndCount|count|exist|exists|sum|average|minimum|maximum)$/;

/** The where objects of a call: the options' `where` (or the By-style / keyed-write argument), or a QueryBuilder chain's `.where({…})`/`.andWhere({…})`. */
function whereObjects(call: ts.CallExpression): ts.Expression[] {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee)) return [];
  const name = callee.name.text;
  const args = call.arguments;
  // EntityManager methods take the entity class first: manager.delete(Requeue, {...}).
  const opts = args.length >= 2 && ts.isIdentifier(args[0]) && /^[A-Z]/.test(args[0].text) ? args[1] : args[0];
  if (BY_STYLE.test(name) || name === 'countBy' || KEYED_WRITES.has(name)) return opts ? [opts] : [];
  if (READS.test(name)) {
    const w = objectProp(opts, 'where');
    return w ? [w] : [];
  }
  // A QueryBuilder chain ending in the call that runs it.
  const out: ts.Expression[] = [];
  for (let e: ts.Expression = callee.expression; ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression); e = e.expression.expression) {
    const m = e.expression.name.text;
    if ((m === 'where' || m === 'andWhere') && e.arguments[0]) out.push(e.arguments[0]);
  }
  return out;
}

/**
 * The join columns a to-one relation filter constrains. `ignore(field, value)`: an inner filter that keeps
 * almost every row (soft delete) — a relation filter made only of such does not select.
 */
export function relationFilters(call: ts.CallExpression, table: TableInfo, ignore: (field: string, value: ts.Expression) => boolean): { keyPath: boolean; fkColumns: string[]; fkFilters: ColumnUse[]; orColumns: OrColumns[] } {
  const out = { keyPath: false, fkColumns: [] as string[], fkFilters: [] as ColumnUse[], orColumns: [] as OrColumns[] };
  for (const where of whereObjects(call)) {
    const w = unparen(where);
    if (ts.isObjectLiteralExpression(w)) {
      const own = objectRelationFilters(w, table, ignore);
      out.fkColumns.push(...own.fkColumns);
      out.fkFilters.push(...own.fkFilters);
      continue;
    }
    // An array is an OR of its elements: a join column is constrained only when every element constrains it
    // (`[{ user: { id }, name: In(xs) }, { user: { id }, url: In(xs) }]`: user_id in both, a BitmapOr of
    // (user_id, name) and (user_id, url)).
    if (!ts.isArrayLiteralExpression(w) || !w.elements.length) continue;
    const each = w.elements.map((e) => (ts.isObjectLiteralExpression(unparen(e)) ? objectRelationFilters(unparen(e) as ts.ObjectLiteralExpression, table, ignore).fkColumns : []));
    out.fkColumns.push(...each[0].filter((c) => each.every((cols) => cols.includes(c))));
    // Each element's own join columns are equalities of that branch (the query model's OR tag: the array's start).
    each.forEach((columns, branch) => columns.length && out.orColumns.push({ group: w.getStart(), branch, columns }));
  }
  return out;
}

/** The join columns the to-one relation filters of one where object constrain, and those compared with the parent's key. */
function objectRelationFilters(w: ts.ObjectLiteralExpression, table: TableInfo, ignore: (field: string, value: ts.Expression) => boolean): { fkColumns: string[]; fkFilters: ColumnUse[] } {
  const out = { fkColumns: [] as string[], fkFilters: [] as ColumnUse[] };
  for (const p of w.properties) {
    const key = propName(p);
    if (!key || !ts.isPropertyAssignment(p)) continue;
    const v = unparen(p.initializer);
    if (!ts.isObjectLiteralExpression(v) || !v.properties.length) continue;
    const col = joinColumn(table, key);
    if (!col) continue;
    const selective = v.properties.some((q) => !(ts.isPropertyAssignment(q) && ignore(propName(q) ?? '', q.initializer)));
    if (!selective) continue;
    out.fkColumns.push(col);
    // The parent's key compared with a value (`{ id }`: TypeORM compares the join column with it, no join; `{ id, status }`:
    // a join whose `parent.id = $1` pins the join column too, as PostgreSQL derives from the join's equality).
    const ref = table.foreignKeys?.find((f) => f.columns.length === 1 && f.columns[0] === col)?.refColumns[0] ?? 'id';
    const pk = v.properties.find((q) => propName(q) === ref);
    const byValue = !!pk && (v.properties.length === 1 || ts.isShorthandPropertyAssignment(pk) || (ts.isPropertyAssignment(pk) && !ts.isCallExpression(unparen(pk.initializer)) && !ts.isObjectLiteralExpression(unparen(pk.initializer))));
    if (byValue) out.fkFilters.push({ column: col, range: rangeOf(p.name), op: 'eq' });
  }
  return out;
}

/**
 * The join column of relation property `key`: the column the entity reader tagged with that property
 * (its `@JoinColumn`), else TypeORM's default `<relation>Id` when the table has a foreign key on it.
 * A column named like the property itself is a JSON or scalar column, not a relation.
 */
function joinColumn(table: TableInfo, key: string): string | undefined {
  if (table.columns.has(key)) return undefined;
  const tagged = findColumn(table, key);
  if (tagged) return tagged.name;
  const byDefault = `${key}Id`;
  return table.columns.has(byDefault) && table.foreignKeys?.some((f) => f.columns.includes(byDefault)) ? byDefault : undefined;
}

/**
 * The relations a `find`/`findOne` call loads beside its whole row (`relations: ['user', 'labels.owner']` or
 * `relations: { user: true }`), by their top-level names; undefined unless every one is written out.
 */
export function loadedRelationNames(call: ts.CallExpression): string[] | undefined {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || !READS.test(callee.name.text)) return undefined;
  const opts = call.arguments.length >= 2 && ts.isIdentifier(call.arguments[0]) && /^[A-Z]/.test(call.arguments[0].text) ? call.arguments[1] : call.arguments[0];
  const rel = objectProp(opts, 'relations');
  const v = rel && unparen(rel);
  if (!v) return undefined;
  const names = ts.isArrayLiteralExpression(v)
    ? v.elements.map((e) => (ts.isStringLiteralLike(e) ? e.text.split('.')[0] : undefined))
    : ts.isObjectLiteralExpression(v)
      ? v.properties.map((p) => (ts.isPropertyAssignment(p) && unparen(p.initializer).kind !== ts.SyntaxKind.FalseKeyword ? propName(p) : undefined))
      : [undefined];
  return names.every((n): n is string => !!n) ? [...new Set(names)] : undefined;
}
