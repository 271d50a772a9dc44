/**
 * The reads Prisma runs on other tables for one call (AdapterRules.relatedReads), as PostgreSQL receives them:
 *
 * - a relation loaded beside the rows (`include: { members: true }`, or a relation under `select`) is one more
 *   statement on the related table, `WHERE <its join columns> IN (<the parent rows' keys>)`, with the where,
 *   orderBy and nested loads written in the relation's options;
 * - a relation filter `some`/`none` (and a to-one filter on a relation whose key lives on the other table) is a
 *   subquery on the related table, `id IN (SELECT fk FROM child WHERE <inner filters>)`: the inner filters select
 *   its rows;
 * - a to-one relation filter on a relation whose foreign key this table holds (`user: { email }`) joins the other
 *   table: its inner filters select the other table's rows, and the foreign key (`joinColumns`) is then this
 *   table's join from an already-reached table.
 *
 * `every` (a negated subquery) and `_count` (a grouped subquery over the whole related table) are left out, as
 * is anything not written out (a variable, a spread): never a guess. Settled with EXPLAIN on PostgreSQL 15 (round
 * 11's pezzo, OrganizationMember.userId without an index: each of the three shapes seq-scans the child table;
 * with one, each reads it through the index).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { findRelation, relationTable, type SchemaModel, type TableInfo } from '../../schema/types';
import type { ColumnUse } from '../../sources/query-sites';
import { orderFields, propName, rangeOf, unparen, whereObjectFilters } from '../kit/chain';
import type { RelatedRead } from '../types';

/** How deep nested loads and filters are followed. */
const MAX_DEPTH = 4;

const relationOf = findRelation;
const otherTable = relationTable;

/** The reads a call runs through relations: its loads and the relation filters of its where. */
export function relatedReads(call: ts.CallExpression, table: TableInfo, schema: SchemaModel): RelatedRead[] {
  const out: RelatedRead[] = [];
  const arg = call.arguments[0] && unparen(call.arguments[0]);
  if (!arg || !ts.isObjectLiteralExpression(arg)) return out;
  for (const key of ['include', 'select']) loads(prop(arg, key), table, schema, '', 0, out);
  filters(prop(arg, 'where'), table, schema, '', 0, out);
  return out;
}

function prop(obj: ts.ObjectLiteralExpression, key: string): ts.Expression | undefined {
  const p = obj.properties.find((x): x is ts.PropertyAssignment => ts.isPropertyAssignment(x) && propName(x) === key);
  return p && unparen(p.initializer);
}

/** Relations an `include`/`select` object loads: one read each, by the relation's columns. */
function loads(sel: ts.Expression | undefined, table: TableInfo, schema: SchemaModel, path: string, depth: number, out: RelatedRead[]): void {
  if (!sel || !ts.isObjectLiteralExpression(sel) || depth >= MAX_DEPTH) return;
  for (const p of sel.properties) {
    const name = propName(p);
    if (!name || !ts.isPropertyAssignment(p)) continue;
    const r = relationOf(table, name);
    const other = r && otherTable(schema, r);
    const how = r && loadOptions(p.initializer);
    if (!r || !other || !how) continue;
    const opts = how.opts;
    const state = { opaque: how.opaque };
    const own = opts && prop(opts, 'where');
    const where = whereObjectFilters(own, [], state);
    if (opts?.properties.some(ts.isSpreadAssignment)) state.opaque = true;
    const at = rangeOf(p.name);
    const keys: ColumnUse[] = r.otherColumns.map((column) => ({ column, range: at, op: 'in' }));
    const label = `${path}${name}`;
    out.push({ table: other, via: 'load', label: `the load of \`${label}\``, range: at, keys, filters: where, opaqueFilter: state.opaque || undefined, orderBy: orderFields(opts && prop(opts, 'orderBy')) });
    if (!opts) continue;
    for (const key of ['include', 'select']) loads(prop(opts, key), other, schema, `${label}.`, depth + 1, out);
    filters(own, other, schema, `${label}.`, depth + 1, out);
  }
}

/** Boolean-valued operators: `files: query.files === 'true'` loads the relation or not, with no options. */
const BOOLEAN_OPS = new Set([ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken, ts.SyntaxKind.LessThanToken, ts.SyntaxKind.GreaterThanToken, ts.SyntaxKind.LessThanEqualsToken, ts.SyntaxKind.GreaterThanEqualsToken]);

/**
 * What a relation's value in `include`/`select` loads: `true` or a boolean expression (no options), an options
 * object, one branch of `cond ? { … } : false` (the load when it runs); undefined for `false`. Anything else (a
 * variable, a call) may hold options we cannot read: `opaque`.
 */
function loadOptions(e: ts.Expression): { opts?: ts.ObjectLiteralExpression; opaque: boolean } | undefined {
  const v = unparen(e);
  if (v.kind === ts.SyntaxKind.FalseKeyword) return undefined;
  if (v.kind === ts.SyntaxKind.TrueKeyword) return { opaque: false };
  if (ts.isObjectLiteralExpression(v)) return { opts: v, opaque: false };
  if (ts.isConditionalExpression(v)) {
    const a = loadOptions(v.whenTrue);
    const b = loadOptions(v.whenFalse);
    // Two option objects: which one runs is not ours to pick.
    return a && b ? (a.opts && b.opts ? { opaque: true } : a.opts ? a : b) : (a ?? b);
  }
  if ((ts.isBinaryExpression(v) && BOOLEAN_OPS.has(v.operatorToken.kind)) || (ts.isPrefixUnaryExpression(v) && v.operator === ts.SyntaxKind.ExclamationToken)) return { opaque: false };
  return { opaque: true };
}

/** Relation filters of a where object (outside OR/NOT: those are not conjuncts): their subqueries and joins. */
function filters(where: ts.Expression | undefined, table: TableInfo, schema: SchemaModel, path: string, depth: number, out: RelatedRead[]): void {
  if (!where || !ts.isObjectLiteralExpression(where) || depth >= MAX_DEPTH) return;
  for (const p of where.properties) {
    const name = propName(p);
    if (!name || !ts.isPropertyAssignment(p)) continue;
    if (name === 'AND') {
      const v = unparen(p.initializer);
      for (const el of ts.isArrayLiteralExpression(v) ? v.elements : [v]) filters(unparen(el), table, schema, path, depth, out);
      continue;
    }
    const r = relationOf(table, name);
    const other = r && otherTable(schema, r);
    const v = unparen(p.initializer);
    if (!r || !other || !ts.isObjectLiteralExpression(v)) continue;
    const keys = v.properties.map(propName);
    const op = r.many ? (keys.length === 1 && (keys[0] === 'some' || keys[0] === 'none') ? keys[0] : undefined) : keys.length === 1 && keys[0] === 'is' ? 'is' : keys.includes('isNot') || keys.some((k) => k === 'some' || k === 'none' || k === 'every') ? undefined : '';
    if (op === undefined) continue;
    const inner = op ? unparen((v.properties[0] as ts.PropertyAssignment).initializer) : v;
    if (!ts.isObjectLiteralExpression(inner) || !inner.properties.length) continue;
    const state = { opaque: false };
    const own = whereObjectFilters(inner, [], state);
    const at = rangeOf(p.name);
    const label = `${path}${name}${op ? `: { ${op} }` : ''}`;
    // The foreign key is this table's (`user: { … }` on a model holding `userId`): a join of the other table's rows.
    const holdsKey = !r.many && !table.indexes.some((ix) => (ix.kind === 'primary' || ix.kind === 'unique') && ix.keys.length === r.ownColumns.length && ix.keys.every((k, i) => k.column === r.ownColumns[i]));
    out.push({
      table: other,
      via: 'filter',
      label: `the relation filter \`${label}\``,
      range: at,
      filters: own,
      opaqueFilter: state.opaque || undefined,
      orderBy: [],
      ...(holdsKey ? { joinColumns: r.ownColumns.map((column) => ({ column, range: at, op: 'eq' })) } : { keys: r.otherColumns.map((column) => ({ column, range: at, op: 'in' })) }),
      ...(path ? { nested: true as const } : {}),
    });
    filters(inner, other, schema, `${label}.`, depth + 1, out);
  }
}

/**
 * Every table a read loads rows of beside its own (AdapterRules.loadedTables): the relations its `include`/`select`
 * names, nested loads included. Undefined unless all of it is written out and known: a relation the schema does not
 * list, a `_count`, options that are not an object literal, a spread, loads nested past MAX_DEPTH. A loop writing
 * none of these tables cannot change what the read returns.
 */
export function loadedTables(call: ts.CallExpression, table: TableInfo, schema: SchemaModel): TableInfo[] | undefined {
  const arg = call.arguments[0] && unparen(call.arguments[0]);
  if (!arg || !ts.isObjectLiteralExpression(arg) || arg.properties.some((p) => !ts.isPropertyAssignment(p))) return undefined;
  const out: TableInfo[] = [];
  const walk = (sel: ts.Expression | undefined, t: TableInfo, depth: number, select: boolean): boolean => {
    if (!sel) return true;
    if (!ts.isObjectLiteralExpression(sel) || depth >= MAX_DEPTH) return false;
    for (const p of sel.properties) {
      const name = propName(p);
      if (!name || !ts.isPropertyAssignment(p)) return false;
      const r = relationOf(t, name);
      // A scalar field under `select` loads nothing more.
      if (!r) {
        if (select && [...t.columns.values()].some((c) => (c.fieldName ?? c.name) === name)) continue;
        return false;
      }
      const other = otherTable(schema, r);
      const v = unparen(p.initializer);
      if (!other) return false;
      if (v.kind === ts.SyntaxKind.FalseKeyword) continue;
      out.push(other);
      if (v.kind === ts.SyntaxKind.TrueKeyword) continue;
      if (!ts.isObjectLiteralExpression(v) || v.properties.some((x) => !ts.isPropertyAssignment(x))) return false;
      if (!walk(prop(v, 'include'), other, depth + 1, false) || !walk(prop(v, 'select'), other, depth + 1, true)) return false;
    }
    return true;
  };
  const ok = walk(prop(arg, 'include'), table, 0, false) && walk(prop(arg, 'select'), table, 0, true) && whereTables(prop(arg, 'where'), table, schema, 0, out);
  return ok ? out : undefined;
}

const RELATION_OPS = new Set(['some', 'none', 'every', 'is', 'isNot']);

/** The tables a where's relation filters read (pushed to `out`); false when some key is neither a column nor a known relation. */
function whereTables(where: ts.Expression | undefined, t: TableInfo, schema: SchemaModel, depth: number, out: TableInfo[]): boolean {
  if (!where) return true;
  if (!ts.isObjectLiteralExpression(where) || depth >= MAX_DEPTH) return false;
  for (const p of where.properties) {
    const name = propName(p);
    if (!name || !(ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p))) return false;
    if (/^(AND|OR|NOT)$/.test(name)) {
      if (!ts.isPropertyAssignment(p)) return false;
      const v = unparen(p.initializer);
      const parts = ts.isArrayLiteralExpression(v) ? v.elements.map(unparen) : [v];
      if (!parts.every((e) => whereTables(e, t, schema, depth, out))) return false;
      continue;
    }
    if ([...t.columns.values()].some((c) => (c.fieldName ?? c.name) === name)) continue;
    const r = relationOf(t, name);
    const other = r && otherTable(schema, r);
    if (!other || !ts.isPropertyAssignment(p)) return false;
    out.push(other);
    const v = unparen(p.initializer);
    if (!ts.isObjectLiteralExpression(v)) return false;
    const inner = v.properties.every((x) => RELATION_OPS.has(propName(x) ?? '')) ? v.properties.map((x) => (ts.isPropertyAssignment(x) ? unparen(x.initializer) : x.name)) : [v];
    if (!inner.every((e) => whereTables(e as ts.Expression, other, schema, depth + 1, out))) return false;
  }
  return true;
}
