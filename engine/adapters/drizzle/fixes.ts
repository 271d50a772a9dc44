/**
 * Drizzle fix templates: an element-wise read batched with `inArray` (select builders and the relational
 * `db.query.t.findMany`), per-row updates as one statement, the columns of a select, insert row types and
 * the advice text.
 */
// A plain require: see index.ts.
import ts = require('typescript');
import type { QuerySite } from '../../sources/query-sites';
import { unparen } from '../kit/chain';
import * as fx from '../kit/fix';
import type { Batched, FixPiece, BatchInput, RowsType, RowsUpdate, RowsUpdateInput, SelectInput } from '../types';
import { ROWS_UPDATE_NOTE, unnestUpdate } from '../kit/rows-update';

/**
 * The `eq(t.col, key)` of a where, alone or a term of `and(…)` (whose other terms stay: the rule has checked
 * they do not change per element); the where expression itself is `where`.
 */
function keyedEqCall(key: ts.Expression, where: ts.Expression): { eq: ts.CallExpression; col: ts.PropertyAccessExpression } | undefined {
  const p = key.parent;
  if (!ts.isCallExpression(p) || p.arguments.length !== 2 || fx.unparen(p.arguments[1]) !== key) return undefined;
  if (!ts.isIdentifier(p.expression) || p.expression.text !== 'eq') return undefined;
  const col = p.arguments[0];
  if (!ts.isPropertyAccessExpression(col) || !ts.isIdentifier(col.name)) return undefined;
  // Up to the where: only `and(…)` (an `or`/`not` around it would not select by the key).
  let n: ts.Node = p;
  while (n !== where) {
    const up: ts.Node = n.parent;
    if (ts.isParenthesizedExpression(up)) n = up;
    else if (ts.isCallExpression(up) && ts.isIdentifier(up.expression) && up.expression.text === 'and' && up.arguments.includes(n as ts.Expression)) n = up;
    else return undefined;
  }
  return { eq: p, col };
}

/**
 * The where's other terms as `row.field === value` tests (Batched.rowFilters), when the where is `and(…)` of `eq(t.col,
 * value)` terms alone, each value a name, a property read or a literal; undefined when some term is not one.
 */
function eqFilters(where: ts.Expression, keyEq: ts.CallExpression): { field: string; value: string }[] | undefined {
  const w = fx.unparen(where);
  const terms = ts.isCallExpression(w) && ts.isIdentifier(w.expression) && w.expression.text === 'and' ? w.arguments.map((a) => fx.unparen(a)) : [w];
  const plain = (e: ts.Expression): boolean => ts.isIdentifier(e) || ts.isStringLiteral(e) || ts.isNumericLiteral(e) || e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword || (ts.isPropertyAccessExpression(e) && !e.questionDotToken && plain(e.expression));
  const out: { field: string; value: string }[] = [];
  for (const t of terms) {
    if (t === keyEq) continue;
    if (!ts.isCallExpression(t) || !ts.isIdentifier(t.expression) || t.expression.text !== 'eq' || t.arguments.length !== 2) return undefined;
    const col = fx.unparen(t.arguments[0]);
    const value = fx.unparen(t.arguments[1]);
    if (!ts.isPropertyAccessExpression(col) || !ts.isIdentifier(col.name) || !plain(value)) return undefined;
    out.push({ field: col.name.text, value: value.getText() });
  }
  return out;
}

/** The relational `db.query.t.findFirst/findMany({ where, with, columns, orderBy })` keyed by `eq(t.col, key)`. */
function relationalMany(call: ts.CallExpression, key: ts.Expression, table: BatchInput['table']): Batched | undefined {
  if (!ts.isPropertyAccessExpression(call.expression) || call.arguments.length !== 1) return undefined;
  const op = call.expression.name.text;
  const arg = call.arguments[0];
  if (!/^find(First|Many)$/.test(op) || !ts.isObjectLiteralExpression(arg)) return undefined;
  for (const p of arg.properties) if (!ts.isPropertyAssignment(p) || !/^(where|with|columns|orderBy|extras)$/.test(fx.propName(p) ?? '')) return undefined;
  const where = fx.objectProp(arg, 'where');
  if (!where || !ts.isPropertyAssignment(where)) return undefined;
  const w = fx.unparen(where.initializer);
  const k = ts.isObjectLiteralExpression(w) ? objectKeyed(key, w, table) : keyedEq(key, w);
  if (!k) return undefined;
  const field = k.field;
  // `columns: { a: true }` must name the key; `columns: { secret: false }` must not.
  const columns = fx.objectProp(arg, 'columns');
  if (columns) {
    if (!ts.isPropertyAssignment(columns) || !ts.isObjectLiteralExpression(columns.initializer)) return undefined;
    const vals = columns.initializer.properties.map((p) => (ts.isPropertyAssignment(p) ? p.initializer.getText() : '?'));
    const own = fx.objectProp(columns.initializer, field);
    const ownVal = own && ts.isPropertyAssignment(own) ? own.initializer.getText() : undefined;
    if (vals.every((v) => v === 'true') ? ownVal !== 'true' : !(vals.every((v) => v === 'false') && ownVal === undefined)) return undefined;
  }
  return {
    pieces: [...(op === 'findFirst' ? [fx.whole(call.expression.name, 'findMany')] : []), ...k.pieces],
    rowField: field,
    column: field,
    shape: op === 'findMany' ? 'many' : 'one',
    firstOfGroup: !!fx.objectProp(arg, 'orderBy'),
    rowFilters: k.rowFilters,
    missing: 'undefined',
    guardEmpty: true,
    ...(k.nonNullKeys ? { nonNullKeys: true } : {}),
    imports: k.imports,
    title: k.title,
  };
}

interface RelationalKey {
  field: string;
  pieces: FixPiece[];
  rowFilters: { field: string; value: string }[] | undefined;
  imports: { module: string; name: string }[];
  title: string;
  nonNullKeys?: boolean;
}

/** A where of the first relational API: `eq(t.col, key)`, alone or a term of `and(…)`. */
function keyedEq(key: ts.Expression, where: ts.Expression): RelationalKey | undefined {
  const k = keyedEqCall(key, where);
  if (!k) return undefined;
  return {
    field: k.col.name.text,
    pieces: [fx.whole(k.eq.expression, 'inArray'), fx.whole(key, fx.KEYS)],
    rowFilters: eqFilters(where, k.eq),
    imports: [{ module: 'drizzle-orm', name: 'inArray' }],
    title: `findMany({ where: inArray(${k.col.getText()}, …) })`,
  };
}

/**
 * A where written as an object (the relational API v2: `where: { id: { eq: key }, OR: [ … ] }`, or `{ id: key }`):
 * the key's column property becomes `{ in: keys }`, its other properties stay (the rule has checked they do not change
 * per element). The property must name a column of the table (not a relation filter) and hold nothing but the key.
 */
function objectKeyed(key: ts.Expression, where: ts.ObjectLiteralExpression, table: BatchInput['table']): RelationalKey | undefined {
  let prop: ts.ObjectLiteralElementLike | undefined;
  let replaced: ts.Node;
  const p = key.parent;
  if (ts.isPropertyAssignment(p) && p.initializer === key && fx.propName(p) === 'eq' && ts.isObjectLiteralExpression(p.parent) && p.parent.properties.length === 1 && ts.isPropertyAssignment(p.parent.parent) && p.parent.parent.initializer === p.parent) {
    prop = p.parent.parent;
    replaced = p.parent;
  } else if (ts.isPropertyAssignment(p) && p.initializer === key) {
    prop = p;
    replaced = key;
  } else return undefined;
  if (prop.parent !== where) return undefined;
  const field = fx.propName(prop);
  // A column's row property is its field name (the column's own name where the table declares none).
  const column = (name: string) => (table ? [...table.columns.values()].find((c) => (c.fieldName ?? c.name) === name) : undefined);
  if (!field || !/^[A-Za-z_$][\w$]*$/.test(field) || !column(field)) return undefined;
  // The other properties as `row.field === value` tests, when each is a column equal to a plain value.
  const plain = (e: ts.Expression): boolean => ts.isIdentifier(e) || ts.isStringLiteral(e) || ts.isNumericLiteral(e) || e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword || (ts.isPropertyAccessExpression(e) && !e.questionDotToken && plain(e.expression));
  let rowFilters: { field: string; value: string }[] | undefined = [];
  for (const o of where.properties) {
    if (o === prop) continue;
    const name = fx.propName(o);
    const col = name ? column(name) : undefined;
    let v = ts.isPropertyAssignment(o) ? fx.unparen(o.initializer) : undefined;
    if (v && ts.isObjectLiteralExpression(v) && v.properties.length === 1 && ts.isPropertyAssignment(v.properties[0]) && fx.propName(v.properties[0]) === 'eq') v = fx.unparen(v.properties[0].initializer);
    if (!col || !name || !v || !plain(v)) {
      rowFilters = undefined;
      break;
    }
    rowFilters.push({ field: name, value: v.getText() });
  }
  return {
    field,
    pieces: [fx.whole(replaced, `{ in: ${fx.KEYS} }`)],
    rowFilters,
    imports: [],
    title: `findMany({ where: { ${field}: { in: … } } })`,
    nonNullKeys: true,
  };
}

/**
 * `db.select(…).from(t).where(eq(t.col, key))` → `inArray(t.col, keys)`. The rows must carry the key: a
 * bare `select()` from one table, or a selection naming the column (then joins are row by row and may
 * stay). `.limit(1)` is dropped and each key's group cut to its first row; other limits, offsets and
 * groupings are per query: none.
 */
export function batchedRead({ node, key, write, table }: BatchInput): Batched | undefined {
  if (!ts.isCallExpression(node)) return undefined;
  const call = node;
  const calls = fx.chainCalls(call);
  const methods = calls.map(fx.methodOf);
  if (!write && methods.length >= 1 && /^find(First|Many)$/.test(methods[0]) && !methods.includes('select')) return relationalMany(call, key, table);
  const whereCall = calls.find((c) => fx.methodOf(c) === 'where');
  if (!whereCall || whereCall.arguments.length !== 1) return undefined;
  const k = keyedEqCall(key, fx.unparen(whereCall.arguments[0]));
  if (!k) return undefined;
  const field = k.col.name.text;
  let rowField = field;
  const pieces: FixPiece[] = [fx.whole(k.eq.expression, 'inArray'), fx.whole(key, fx.KEYS)];
  let shape: Batched['shape'] = 'many';
  let addsField: string | undefined;
  if (write) {
    if (!methods.includes('update') && !methods.includes('delete')) return undefined;
  } else {
    const sel = calls.find((c) => fx.methodOf(c) === 'select');
    if (!sel || methods.some((m) => /^(offset|groupBy|having|\$dynamic|for)$/.test(m))) return undefined;
    const joins = methods.some((m) => /Join$/.test(m));
    if (sel.arguments.length) {
      const obj = sel.arguments[0];
      if (!ts.isObjectLiteralExpression(obj)) return undefined;
      const chosen = obj.properties.find((p) => ts.isPropertyAssignment(p) && fx.unparen(p.initializer).getText() === k.col.getText());
      const name = chosen ? fx.propName(chosen) : undefined;
      if (chosen && (!name || !/^[A-Za-z_$][\w$]*$/.test(name))) return undefined;
      if (name) rowField = name;
      else {
        // The selection lacks the key: it gains the key under the column's own field name, when no field has it.
        const last = obj.properties[obj.properties.length - 1];
        if (!last || obj.properties.some((p) => !ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p)) || obj.properties.some((p) => fx.propName(p) === field)) return undefined;
        // On its own line, indented as the last field, where the selection lists one field a line.
        const sfText = obj.getSourceFile().text;
        const lineStart = sfText.lastIndexOf('\n', last.getStart() - 1) + 1;
        const indent = /^[ \t]*/.exec(sfText.slice(lineStart))![0];
        const ownLine = sfText.slice(lineStart, last.getStart()).trim() === '';
        pieces.push({ start: last.getEnd(), end: last.getEnd(), text: `,${ownLine ? `\n${indent}` : ' '}${field}: ${k.col.getText()}` });
        addsField = field;
      }
    } else if (joins) return undefined;
    const limits = calls.filter((c) => fx.methodOf(c) === 'limit');
    if (limits.length > 1) return undefined;
    if (limits.length === 1) {
      const drop = limits[0].arguments.length === 1 && limits[0].arguments[0].getText() === '1' ? fx.dropCall(limits[0]) : undefined;
      if (!drop) return undefined;
      pieces.push(drop);
      shape = 'first-many';
    }
  }
  return {
    pieces,
    rowField,
    column: field,
    shape,
    firstOfGroup: methods.includes('orderBy'),
    rowFilters: eqFilters(whereCall.arguments[0], k.eq),
    guardEmpty: true,
    ...(addsField ? { addsField } : {}),
    imports: [{ module: 'drizzle-orm', name: 'inArray' }],
    title: `inArray(${k.col.getText()}, …)${shape === 'first-many' ? ', each key\'s first row' : ''}${addsField ? `, selecting \`${addsField}\` too` : ''}`,
  };
}

/**
 * `db.update(t).set({ a: X }).where(eq(t.id, K))` per row with per-row values → one `db.execute(sql\`UPDATE … FROM
 * unnest(…)\`)` on the same client; each column's array bound whole by `sql.param`. Not for a table with `$onUpdate`
 * columns (Drizzle computes them in JS on every update) nor for columns a mode or custom type maps (kit/rows-update.ts).
 */
export function rowsUpdate({ call, table, tableText, rows }: RowsUpdateInput): RowsUpdate | undefined {
  const calls = fx.chainCalls(call);
  const methods = calls.map(fx.methodOf);
  if (methods.join(',') !== 'where,set,update' && methods.join(',') !== 'execute,where,set,update') return undefined;
  const [where, set, update] = calls.slice(methods[0] === 'execute' ? 1 : 0);
  const t = update.arguments[0];
  const cond = where.arguments[0] && unparen(where.arguments[0]);
  const obj = set.arguments[0] && unparen(set.arguments[0]);
  if (!t || !ts.isIdentifier(t) || !cond || !ts.isCallExpression(cond) || !obj || !ts.isObjectLiteralExpression(obj) || /\$onUpdate/.test(tableText)) return undefined;
  if (!ts.isIdentifier(cond.expression) || cond.expression.text !== 'eq' || cond.arguments.length !== 2) return undefined;
  const col = unparen(cond.arguments[0]);
  if (!ts.isPropertyAccessExpression(col) || col.expression.getText() !== t.text) return undefined;
  const sets: { field: string; value: ts.Expression }[] = [];
  for (const p of obj.properties) {
    if (ts.isShorthandPropertyAssignment(p)) sets.push({ field: p.name.text, value: p.name });
    else if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) sets.push({ field: p.name.text, value: p.initializer });
    else return undefined;
  }
  // A value that is SQL (`sql\`now()\``, a column) is not a row value.
  const sqlValue = (v: ts.Expression): boolean => ts.isTaggedTemplateExpression(unparen(v)) || /\bsql\b/.test(v.getText()) || v.getText().startsWith(`${t.text}.`);
  if (!sets.length || sets.some((x) => sqlValue(x.value))) return undefined;
  const param = (i: number, type: string): string => `\${sql.param(${rows}.map((r) => r[${i}]))}::${type}`;
  const statement = unnestUpdate(table, col.name.text, sets.map((x) => x.field), param);
  if (!statement) return undefined;
  const recv = update.expression;
  if (!ts.isPropertyAccessExpression(recv)) return undefined;
  return {
    tuple: [cond.arguments[1], ...sets.map((x) => x.value)],
    text: `${recv.expression.getText()}.execute(sql\`${statement}\`)`,
    title: `one execute(sql\`UPDATE … FROM unnest(…)\`) (${ROWS_UPDATE_NOTE})`,
    imports: [{ module: 'drizzle-orm', name: 'sql' }],
  };
}

/** db.select().from(t) → db.select({ f: t.f, … }).from(t); the relational `findMany` takes `columns`. */
export function selectColumns({ site, node, fields, file, insertOption }: SelectInput) {
  if (site.operation.startsWith('find')) return insertOption('columns', fx.fieldsObject(fields));
  let sel: ts.CallExpression | undefined;
  let from: ts.Expression | undefined;
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
      if (n.expression.name.text === 'select' && n.arguments.length === 0) sel = n;
      if (n.expression.name.text === 'from' && n.arguments[0] && ts.isIdentifier(n.arguments[0])) from = n.arguments[0];
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  if (!sel || !from) return undefined;
  const t = from.getText();
  const at = sel.getEnd() - 1;
  return {
    title: fx.selectTitle(fields),
    safety: 'suggestion' as const,
    edits: [{ file, range: { start: at, end: at }, newText: `{ ${fields.map((f) => `${f}: ${t}.${f}`).join(', ')} }` }],
  };
}

/** `(typeof t.$inferInsert)[]` for `insert(t).values(rows)`: the table's own insert row (a literal field keeps its type). */
export function insertRowsType(calls: ts.CallExpression[]): RowsType | undefined {
  const insert = calls.find((c) => fx.methodOf(c) === 'insert');
  const t = insert?.arguments.length === 1 ? insert.arguments[0] : undefined;
  const named = (e: ts.Expression): boolean => ts.isIdentifier(e) || (ts.isPropertyAccessExpression(e) && named(e.expression));
  return t && named(t) ? { type: `(typeof ${t.getText()}.$inferInsert)[]` } : undefined;
}

/**
 * What to do instead of one statement per element. A write is not told to load rows: an insert collects its rows and
 * inserts them in one `values(rows)`; a delete takes every key in one `inArray`; an update does too when its values are
 * the same for all, else one `UPDATE … FROM (VALUES …)`.
 */
export function batchAdvice(site: QuerySite): string {
  const col = site.filters.find((f) => f.op === 'eq')?.column ?? 'id';
  if (site.kind === 'write') {
    if (site.operation === 'insert') return 'collect the rows and insert them in one statement with `insert(table).values(rows)`';
    if (site.operation === 'delete') return `delete every element's rows in one statement with \`where(inArray(table.${col}, …))\``;
    if (site.operation === 'update') return `update every element in one statement: \`where(inArray(table.${col}, …))\` when the values are the same for all, else one \`UPDATE … FROM (VALUES …)\` through \`sql\``;
    return 'write every element in one statement (one multi-row INSERT, or one `UPDATE … FROM (VALUES …)`)';
  }
  return `load all rows at once with \`inArray(table.${col}, …)\``;
}
