/**
 * Reading the arguments of library calls: literal values, option objects,
 * object-style `where` filters (the operator vocabulary the object-style ORMs
 * share: `{ in: ids }`, `In(ids)`, `{ [Op.in]: ids }`), column selections and
 * orderings. Used by the adapters' chain interpreters.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ColumnUse, Library, QuerySite, SiteDraft } from '../../sources/query-sites';
import type { Range } from '../../types';
import { skipParens as unparen } from '../../sources/ts-expr';

/** Skips parentheses, type assertions, `!` and `satisfies` (the shared `skipParens`). */
export { unparen };


/** Methods that consume a promise: they are not part of the query chain. */
export const THEN_METHODS = new Set(['then', 'catch', 'finally']);


export function literalNumber(e: ts.Expression | undefined): number | undefined {
  if (!e) return undefined;
  const u = unparen(e);
  if (ts.isNumericLiteral(u)) return Number(u.text);
  return undefined;
}

export function stringValue(e: ts.Expression | undefined): string | undefined {
  if (!e) return undefined;
  const u = unparen(e);
  if (ts.isStringLiteral(u) || ts.isNoSubstitutionTemplateLiteral(u)) return u.text;
  return undefined;
}

export function propName(p: ts.ObjectLiteralElementLike): string | undefined {
  if (!p.name) return undefined;
  if (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name)) return p.name.text;
  return undefined;
}

export function objectProp(obj: ts.Expression | undefined, key: string): ts.Expression | undefined {
  if (!obj) return undefined;
  const o = unparen(obj);
  if (!ts.isObjectLiteralExpression(o)) return undefined;
  for (const p of o.properties) {
    if (propName(p) !== key) continue;
    if (ts.isPropertyAssignment(p)) return p.initializer;
    if (ts.isShorthandPropertyAssignment(p)) return p.name;
  }
  return undefined;
}

/**
 * The object literal a `where` held in a local `const` stands for (`const whereClause = { userId, type };
 * findMany({ where: whereClause })`): the nearest enclosing block's `const` of that name whose initializer is
 * an object literal, when nothing in that block can change it — no property assignment, `delete`, or use as a
 * call argument (`Object.assign(where, …)`, a helper that may add to it). Undefined otherwise.
 */
export function heldObject(e: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
  const id = e && unparen(e);
  if (!id || !ts.isIdentifier(id)) return undefined;
  for (let n: ts.Node | undefined = id.parent; n && !ts.isSourceFile(n); n = n.parent) {
    if (!ts.isBlock(n)) continue;
    for (const st of n.statements) {
      if (!ts.isVariableStatement(st) || !(st.declarationList.flags & ts.NodeFlags.Const)) continue;
      const d = st.declarationList.declarations.find((x) => ts.isIdentifier(x.name) && x.name.text === id.text);
      if (!d) continue;
      const init = d.initializer && unparen(d.initializer);
      if (!init || !ts.isObjectLiteralExpression(init) || st.getStart() > id.getStart() || mayChange(n, id.text, d)) return undefined;
      return init;
    }
  }
  return undefined;
}

/** Whether a use of `name` in `scope` (besides its declaration) may change the object it holds. */
function mayChange(scope: ts.Node, name: string, decl: ts.VariableDeclaration): boolean {
  let changes = false;
  const visit = (n: ts.Node): void => {
    if (changes) return;
    if (ts.isIdentifier(n) && n.text === name && n !== decl.name) {
      let top: ts.Node = n;
      while ((ts.isPropertyAccessExpression(top.parent) || ts.isElementAccessExpression(top.parent)) && top.parent.expression === top) top = top.parent;
      const p = top.parent;
      if (top !== n && ts.isBinaryExpression(p) && p.left === top && p.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && p.operatorToken.kind <= ts.SyntaxKind.LastAssignment) changes = true;
      else if (top !== n && ts.isDeleteExpression(p)) changes = true;
      else if (top === n && ts.isCallExpression(p) && p.arguments.includes(n)) changes = true;
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return changes;
}

export function rangeOf(n: ts.Node): Range {
  return { start: n.getStart(), end: n.getEnd() };
}

/** Operators of an object-style `where` value (`{ in: ids }`, `{ gte: x }`) → the filter kinds of ColumnUse.op. */
export const WHERE_OBJECT_OPS: Record<string, string> = {
  in: 'in',
  notIn: 'not-in',
  equals: 'eq',
  not: 'ne',
  lt: 'range',
  lte: 'range',
  gt: 'range',
  gte: 'range',
  contains: 'like-contains',
  endsWith: 'like-contains',
  startsWith: 'like-prefix',
  search: 'func',
  has: 'func',
  hasSome: 'in',
  hasEvery: 'func',
};
/** A Prisma string filter's `mode` value that makes it case-insensitive. */
const INSENSITIVE = /(^['"`]insensitive['"`]|\.insensitive)(\s+as\s+const)?$/;
const RELATION_FILTERS = new Set(['some', 'every', 'none', 'is', 'isNot']);

/**
 * Column filters of a Prisma/TypeORM/Sequelize-style `where` object. Keys
 * whose value is an object of relation filters (`some`, `is` …) are relation
 * filters, not columns of this table, and are skipped.
 */
export function whereObjectFilters(where: ts.Expression | undefined, out: ColumnUse[] = [], state?: OpaqueState): ColumnUse[] {
  return whereTerms(where, out, state, false);
}

/**
 * The filters of `where` into `out`; an array is an OR of its elements (TypeORM `where: [{…}, {…}]`, Prisma
 * `OR: […]`) unless `conjunction` (Prisma `AND: […]`). Each filter of an OR is tagged with its outermost OR
 * (ColumnUse.or).
 */
/** Filters written under a NOT (their OR tag, if any, is then `nested`). */
const UNDER_NOT = new WeakSet<ColumnUse>();

function whereTerms(where: ts.Expression | undefined, out: ColumnUse[], state: OpaqueState | undefined, conjunction: boolean): ColumnUse[] {
  if (!where) return out;
  const w = unparen(where);
  if (ts.isArrayLiteralExpression(w)) {
    for (const [i, el] of w.elements.entries()) {
      const from = out.length;
      whereTerms(ts.isSpreadElement(el) ? el.expression : el, out, state, false);
      if (conjunction || w.elements.length < 2) continue;
      const tag = { group: w.getStart(), branch: i, of: w.elements.length };
      for (let k = from; k < out.length; k++) out[k].or = out[k].or || UNDER_NOT.has(out[k]) ? { ...tag, nested: true } : tag;
    }
    return out;
  }
  // A where held in a variable or built by a call: its conditions are unknown.
  if (!ts.isObjectLiteralExpression(w)) return opaque(state, out);
  for (const p of w.properties) {
    const key = propName(p);
    // `...base` or a computed key (`[Op.or]: …`, `[field]: v`): conditions we do not read. A spread of an object written
    // out only under a condition (`...(filter === 'media' && { OR: […] })`) adds its terms sometimes: the query also
    // runs without them, so the rest is judged as it runs then.
    if (!key) {
      if (!(ts.isSpreadAssignment(p) && conditionalTerms(p.expression, w))) opaque(state, out);
      continue;
    }
    if (key === 'AND' || key === 'OR' || key === 'NOT') {
      if (!ts.isPropertyAssignment(p)) {
        opaque(state, out);
        continue;
      }
      const from = out.length;
      whereTerms(p.initializer, out, state, key === 'AND');
      // A NOT's filters are not conjuncts of the OR branch they sit in either.
      if (key === 'NOT') for (let k = from; k < out.length; k++) UNDER_NOT.add(out[k]);
      continue;
    }
    if (ts.isShorthandPropertyAssignment(p)) {
      out.push({ column: key, range: rangeOf(p), op: 'eq' });
      continue;
    }
    if (!ts.isPropertyAssignment(p)) continue;
    const v = unparen(p.initializer);
    if (ts.isObjectLiteralExpression(v)) {
      const keys = v.properties.map(propName).filter((k): k is string => !!k);
      if (keys.some((k) => RELATION_FILTERS.has(k))) continue;
      // Sequelize `{ [Op.in]: ids }`.
      const opKeys = v.properties
        .map((q) => (q.name && ts.isComputedPropertyName(q.name) ? q.name.expression.getText() : undefined))
        .filter((k): k is string => !!k);
      if (opKeys.length) {
        const op = opKeys.some((k) => /\.in$/.test(k)) ? 'in' : opKeys.some((k) => /\.(i?like|startsWith|substring|endsWith)$/.test(k)) ? 'like-contains' : 'range';
        const inProp = v.properties.find((q) => q.name && ts.isComputedPropertyName(q.name) && /\.in$/.test(q.name.expression.getText()));
        out.push(withValue({ column: key, range: rangeOf(p.name), op }, inProp && ts.isPropertyAssignment(inProp) ? inProp.initializer : undefined));
        continue;
      }
      // A JSON filter (`key: { path: ['id'], equals: x }`): the path into the column, or nothing we can read.
      const pathProp = v.properties.find((q) => propName(q) === 'path');
      if (pathProp) {
        const arr = ts.isPropertyAssignment(pathProp) ? unparen(pathProp.initializer) : undefined;
        const path = arr && ts.isArrayLiteralExpression(arr) && arr.elements.length && arr.elements.every(ts.isStringLiteralLike) ? arr.elements.map((e) => (e as ts.StringLiteralLike).text) : undefined;
        if (!path) opaque(state, out);
        else out.push({ column: key, range: rangeOf(p.name), op: keys.length === 2 && keys.includes('equals') ? 'eq' : 'func', jsonPath: path });
        continue;
      }
      if (keys.length && keys.every((k) => k in WHERE_OBJECT_OPS || k === 'mode')) {
        const ops = keys.filter((k) => k !== 'mode').map((k) => WHERE_OBJECT_OPS[k]);
        const op = ops.includes('in') ? 'in' : ops[0] ?? 'eq';
        const inProp = v.properties.find((q) => (propName(q) === 'in' || propName(q) === 'hasSome') && ts.isPropertyAssignment(q));
        const use = withValue({ column: key, range: rangeOf(p.name), op }, inProp && ts.isPropertyAssignment(inProp) ? inProp.initializer : undefined);
        // Prisma `mode: 'insensitive'` (or `Prisma.QueryMode.insensitive`): PostgreSQL receives `col ILIKE $1`, also for `equals`.
        const mode = v.properties.find((q) => propName(q) === 'mode');
        if (mode && ts.isPropertyAssignment(mode) && INSENSITIVE.test(mode.initializer.getText())) use.caseInsensitive = true;
        out.push(use);
        continue;
      }
      // A compound unique (`email_tenantId: { email, tenantId }`) or a nested relation: record the keys as columns only for compounds.
      if (key.includes('_') && keys.length > 1 && keys.every((k) => key.split('_').includes(k))) {
        for (const k of keys) out.push({ column: k, range: rangeOf(p.name), op: 'eq' });
      }
      continue;
    }
    if (ts.isCallExpression(v)) {
      // TypeORM operators: In(ids), Like('%x'), ILike, MoreThan, Between, Raw ...
      const fn = ts.isIdentifier(v.expression) ? v.expression.text : ts.isPropertyAccessExpression(v.expression) ? v.expression.name.text : '';
      const op =
        fn === 'In' || fn === 'Any' || fn === 'ArrayContainedBy'
          ? 'in'
          : fn === 'Like' || fn === 'ILike'
            ? /^['"`]%/.test(v.arguments[0]?.getText() ?? '')
              ? 'like-contains'
              : 'like-prefix'
            : fn === 'Raw'
              ? 'func'
              : fn === 'Not'
                ? 'ne'
                : /^(MoreThan|LessThan|MoreThanOrEqual|LessThanOrEqual|Between)$/.test(fn)
                  ? 'range'
                  : fn === 'IsNull'
                    ? 'null'
                    : 'eq';
      out.push(withValue({ column: key, range: rangeOf(p.name), op }, v.arguments[0]));
      continue;
    }
    out.push({ column: key, range: rangeOf(p.name), op: 'eq' });
  }
  return out;
}

/**
 * Whether a spread in a where object is an object literal added only under a condition (`cond && { … }`, `cond ? { … } :
 * {}`): plain keys that no other key of the where repeats (it would replace that filter), no spread of its own.
 */
function conditionalTerms(e: ts.Expression, where: ts.ObjectLiteralExpression): boolean {
  const v = unparen(e);
  const empty = (x: ts.Expression): boolean => {
    const u = unparen(x);
    return (ts.isObjectLiteralExpression(u) && !u.properties.length) || u.kind === ts.SyntaxKind.NullKeyword || u.kind === ts.SyntaxKind.FalseKeyword || (ts.isIdentifier(u) && u.text === 'undefined');
  };
  const obj = ts.isBinaryExpression(v) && v.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken ? v.right : ts.isConditionalExpression(v) ? (empty(v.whenFalse) ? v.whenTrue : empty(v.whenTrue) ? v.whenFalse : undefined) : undefined;
  const o = obj && unparen(obj);
  if (!o || !ts.isObjectLiteralExpression(o)) return false;
  const own = new Set(where.properties.filter((q) => !ts.isSpreadAssignment(q)).map(propName));
  return o.properties.every((q) => !ts.isSpreadAssignment(q) && propName(q) !== undefined && !own.has(propName(q)));
}

/** Set when a where has a term an adapter cannot read (QuerySite.opaqueFilter). */
export interface OpaqueState {
  opaque: boolean;
}

function opaque(state: OpaqueState | undefined, out: ColumnUse[]): ColumnUse[] {
  if (state) state.opaque = true;
  return out;
}

/** What a query-builder chain states, as its interpreter reads it step by step (Knex, Kysely). */
export interface BuilderFacts {
  filters: ColumnUse[];
  opaqueFilter: boolean;
  orderBy: ColumnUse[];
  limit?: number;
  limitAt?: Range;
  batched: boolean;
  operands: string[];
  selects: string[] | '*' | undefined;
  tableName?: string;
  kind: QuerySite['kind'];
}

/** The chain read so far: its step handlers write here. */
export class BuilderState {
  operands: string[] = [];
  filters: ColumnUse[] = [];
  opaqueFilter = false;
  orderBy: ColumnUse[] = [];
  limit: number | undefined;
  limitAt: Range | undefined;
  batched = false;
  selects: string[] | '*' | undefined;
  tableName: string | undefined;
  kind: QuerySite['kind'] = 'read';

  /** `.limit(n)`: a literal count, else where the computed one is. */
  setLimit(arg: ts.Expression | undefined): void {
    this.limit = literalNumber(arg);
    this.limitAt = this.limit === undefined && arg ? rangeOf(arg) : undefined;
  }

  facts(): BuilderFacts {
    const { filters, opaqueFilter, orderBy, limit, limitAt, batched, operands, selects, tableName, kind } = this;
    return { filters, opaqueFilter, orderBy, limit, limitAt, batched, operands, selects, tableName, kind };
  }
}

/** `LIKE` by its pattern's text: a leading `%` defeats a B-tree (`like-contains`), a fixed prefix does not. */
export function likeOp(pattern: ts.Expression | undefined): 'like-contains' | 'like-prefix' {
  return /^['"`]%/.test(pattern?.getText() ?? '') ? 'like-contains' : 'like-prefix';
}

/** A builder's comparison operator as written (`'='`, `'in'`, `'ilike'`, `'>='` …) against `value`. */
export function comparisonOp(op: string, value: ts.Expression | undefined): ColumnUse['op'] {
  const o = op.toLowerCase();
  return o === 'in' ? 'in' : o.includes('like') ? likeOp(value) : o === '=' ? 'eq' : 'range';
}

/** An 'in' filter keeps the source text of its list (QuerySite.batchOperands). */
export function withValue(use: ColumnUse, list: ts.Expression | undefined): ColumnUse {
  if (use.op === 'in' && list) use.value = list.getText();
  return use;
}

/** Keys of a `select`/`columns` object whose value is `true`, or of an `attributes`/`select` string array. */
export function selectedFields(sel: ts.Expression | undefined): string[] | undefined {
  if (!sel) return undefined;
  const s = unparen(sel);
  if (ts.isArrayLiteralExpression(s)) {
    const out: string[] = [];
    for (const el of s.elements) {
      const v = stringValue(el);
      if (v) out.push(v);
      else if (ts.isArrayLiteralExpression(el)) {
        const first = stringValue(el.elements[0]);
        if (first) out.push(first);
      } else if (ts.isPropertyAccessExpression(el)) out.push(el.name.text);
    }
    return out;
  }
  if (ts.isObjectLiteralExpression(s)) {
    const out: string[] = [];
    for (const p of s.properties) {
      const k = propName(p);
      if (!k) continue;
      if (ts.isPropertyAssignment(p) && p.initializer.kind === ts.SyntaxKind.FalseKeyword) continue;
      out.push(k);
    }
    // Sequelize `attributes: { exclude: [...] }` selects everything but some: treat as all.
    if (out.length === 1 && (out[0] === 'exclude' || out[0] === 'include')) return undefined;
    return out;
  }
  return undefined;
}

export function orderFields(order: ts.Expression | undefined, out: ColumnUse[] = []): ColumnUse[] {
  if (!order) return out;
  const o = unparen(order);
  if (ts.isArrayLiteralExpression(o)) {
    for (const el of o.elements) {
      const s = stringValue(el);
      if (s) out.push({ column: s, range: rangeOf(el) });
      else if (ts.isArrayLiteralExpression(el)) {
        const f = stringValue(el.elements[0]);
        if (f) out.push({ column: f, range: rangeOf(el.elements[0]) });
      } else orderFields(el, out);
    }
    return out;
  }
  if (ts.isObjectLiteralExpression(o)) {
    for (const p of o.properties) {
      const k = propName(p);
      if (!k || !ts.isPropertyAssignment(p)) continue;
      const v = unparen(p.initializer);
      // Relation ordering (`author: { name: 'asc' }`) is another table.
      if (ts.isObjectLiteralExpression(v) && !objectProp(v, 'sort')) continue;
      out.push({ column: k, range: rangeOf(p.name) });
    }
  }
  const s = stringValue(o);
  if (s) out.push({ column: s, range: rangeOf(o) });
  return out;
}

/** A table argument without its alias, schema and quotes: `"app"."users" as u` → `users`. */
export function stripAlias(t: string): string {
  return t
    .replace(/\s+as\s+\w+$/i, '')
    .replace(/\s+\w+$/, '')
    .replace(/^.*\./, '')
    .replace(/"/g, '');
}

/**
 * A model object's own statement (`row.save()`, `row.reload()`, `row.destroy()`): one per call, on the row's table, by
 * its key; `filters` and `opaque` say how the adapter knows that key.
 */
export function rowMethodDraft(
  library: Library,
  call: ts.CallExpression,
  operation: string,
  read: boolean,
  row: { entity?: string; wholeRow: boolean; filters: ColumnUse[]; opaque?: { opaqueFilter?: boolean; filterHidden?: boolean } },
): SiteDraft {
  return {
    library,
    operation,
    executes: true,
    kind: read ? 'read' : 'write',
    entity: row.entity,
    selects: row.wholeRow ? '*' : undefined,
    filters: row.filters,
    ...row.opaque,
    orderBy: [],
    limit: operation === 'reload' ? 1 : undefined,
    batched: false,
    node: call,
  };
}
