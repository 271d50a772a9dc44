/**
 * The mechanical batched forms of an N+1, one shared "hoist a batched lookup"
 * rewrite with a small per-library part.
 *
 * Reads: the loop `for (const el of coll) { … await Q(el.f) … }` (or
 * `coll.map(async (el) => …)` under `Promise.all`) becomes
 *
 *     const ordersByUserId = <one batched query over coll.map((el) => el.f)>, as a Map;
 *     for (const el of coll) { … ordersByUserId.get(el.f) … }
 *
 * A Map of rows when the key column is unique (primary key / unique index,
 * from the schema) and the query reads at most one row per key; a Map of row
 * arrays when the query reads many rows per key; no fix for a single-row read
 * on a non-unique key (which row would be "first" is the query's business).
 *
 * Writes: when the per-element body is the write alone and the batched form
 * exists (`createMany`, `updateMany` with `in`, `inArray`, `whereIn`,
 * `= ANY($1)`), the whole loop statement is replaced by one awaited write.
 *
 * Every fix is a 'suggestion': it moves code. It is offered only where the
 * rewrite is purely syntactic: the key comes from the element, appears once,
 * nothing else in the query depends on the loop, the collection is a plain
 * reference (evaluated twice), the enclosing function is async and no other
 * per-element loop encloses the new statement.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { RuleContext } from '../engine/context';
import type { TableInfo } from '../engine/schema/types';
import { enclosingIterations, type IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix, TextEdit } from '../engine/types';

interface Piece {
  start: number;
  end: number;
  text: string;
}

/** What a library contributes: how the single call becomes the batched one. */
interface Batched {
  /** Edits inside the call (absolute offsets); `KEYS` in a text is the key array. */
  pieces: Piece[];
  /** Field of a returned row holding the key. */
  rowField: string;
  /** Column (as written in the code) whose uniqueness decides Map vs grouped Map. */
  column: string;
  /**
   * one:       returns one row or null/undefined
   * one-throw: returns one row or throws
   * many:      returns an array of rows
   * pg:        returns a pg QueryResult (`{ rows }`)
   */
  shape: 'one' | 'one-throw' | 'many' | 'pg';
  /** What a missing single row reads as. */
  missing?: 'null' | 'undefined';
  /** Keys compared as strings (raw drivers return bigint/numeric as strings). */
  stringKeys?: boolean;
  /** Rows are model instances read with `row.get('field')` (Sequelize: attributes are not declared on the class type). */
  getter?: boolean;
  /** The batched query fails on an empty key list: guard it. */
  guardEmpty?: boolean;
  imports?: { module: string; name: string }[];
  title: string;
}

const KEYS = '\u0000KEYS\u0000';

const unparen = (e: ts.Expression): ts.Expression => {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  return e;
};

/** `users`, `this.users`, `order.items`: evaluating it twice is harmless. */
function isPlainRef(e: ts.Expression): boolean {
  e = unparen(e);
  if (ts.isIdentifier(e) || e.kind === ts.SyntaxKind.ThisKeyword) return true;
  return ts.isPropertyAccessExpression(e) && !e.questionDotToken && ts.isIdentifier(e.name) && isPlainRef(e.expression);
}

/** Uses of the element variable inside `node` (property names excluded; shorthand `{ id }` included). */
function elementUses(node: ts.Node, el: string): ts.Identifier[] {
  const out: ts.Identifier[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && n.text === el) {
      const p = n.parent;
      const isName =
        (ts.isPropertyAccessExpression(p) && p.name === n) ||
        (ts.isPropertyAssignment(p) && p.name === n) ||
        (ts.isMethodDeclaration(p) && p.name === n) ||
        (ts.isBindingElement(p) && p.propertyName === n);
      if (!isName) out.push(n);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** `el` or `el.a.b`: the maximal property chain starting at the use (not called). */
function keyExpression(use: ts.Identifier): ts.Expression | undefined {
  if (ts.isShorthandPropertyAssignment(use.parent)) return use;
  let e: ts.Expression = use;
  while (ts.isPropertyAccessExpression(e.parent) && e.parent.expression === e && !e.parent.questionDotToken) e = e.parent;
  if (ts.isCallExpression(e.parent) && e.parent.expression === e) return undefined;
  if (ts.isElementAccessExpression(e.parent) && e.parent.expression === e) return undefined;
  return e;
}

const propName = (p: ts.ObjectLiteralElementLike): string | undefined =>
  p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;

function objectProp(obj: ts.Node | undefined, name: string): ts.ObjectLiteralElementLike | undefined {
  if (!obj || !ts.isObjectLiteralExpression(obj)) return undefined;
  return obj.properties.find((p) => propName(p) === name);
}

/** `{ f: K }` / `{ f }` with exactly one property, keyed by `key`: that property and the field name. */
function singleKeyProp(obj: ts.Node | undefined, key: ts.Expression): { prop: ts.ObjectLiteralElementLike; field: string } | undefined {
  if (!obj || !ts.isObjectLiteralExpression(obj) || obj.properties.length !== 1) return undefined;
  const p = obj.properties[0];
  if (ts.isShorthandPropertyAssignment(p) && p.name === key) return { prop: p, field: p.name.text };
  if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && unparen(p.initializer) === key) return { prop: p, field: p.name.text };
  return undefined;
}

const whole = (n: ts.Node, text: string): Piece => ({ start: n.getStart(), end: n.getEnd(), text });

// ---------------------------------------------------------------------------
// Per library: reads

function prismaRead(call: ts.CallExpression, key: ts.Expression): Batched | undefined {
  if (!ts.isPropertyAccessExpression(call.expression) || call.arguments.length !== 1) return undefined;
  const op = call.expression.name.text;
  if (!/^(findUnique|findFirst|findUniqueOrThrow|findFirstOrThrow|findMany)$/.test(op)) return undefined;
  const arg = call.arguments[0];
  if (!ts.isObjectLiteralExpression(arg)) return undefined;
  for (const p of arg.properties) {
    const n = propName(p);
    if (!ts.isPropertyAssignment(p) || !n || !/^(where|select|include|orderBy)$/.test(n)) return undefined;
  }
  const where = objectProp(arg, 'where');
  if (!where || !ts.isPropertyAssignment(where)) return undefined;
  const k = singleKeyProp(where.initializer, key);
  if (!k) return undefined;
  const select = objectProp(arg, 'select');
  if (select && !(ts.isPropertyAssignment(select) && /^true$/.test((objectProp(select.initializer, k.field) as ts.PropertyAssignment | undefined)?.initializer?.getText() ?? ''))) return undefined;
  return {
    pieces: [whole(call.expression.name, 'findMany'), whole(k.prop, `${k.field}: { in: ${KEYS} }`)],
    rowField: k.field,
    column: k.field,
    shape: op === 'findMany' ? 'many' : op.endsWith('OrThrow') ? 'one-throw' : 'one',
    missing: 'null',
    title: `findMany({ where: { ${k.field}: { in } } })`,
  };
}

function typeormRead(call: ts.CallExpression, key: ts.Expression): Batched | undefined {
  if (!ts.isPropertyAccessExpression(call.expression) || call.arguments.length !== 1) return undefined;
  const op = call.expression.name.text;
  const arg = call.arguments[0];
  let k: ReturnType<typeof singleKeyProp>;
  let batchedOp: string;
  if (/^(findOneBy|findOneByOrFail|findBy)$/.test(op)) {
    k = singleKeyProp(arg, key);
    batchedOp = 'findBy';
  } else if (/^(findOne|findOneOrFail|find)$/.test(op)) {
    if (!ts.isObjectLiteralExpression(arg)) return undefined;
    for (const p of arg.properties) {
      const n = propName(p);
      if (!ts.isPropertyAssignment(p) || !n || !/^(where|relations|order)$/.test(n)) return undefined;
    }
    const where = objectProp(arg, 'where');
    if (!where || !ts.isPropertyAssignment(where)) return undefined;
    k = singleKeyProp(where.initializer, key);
    batchedOp = 'find';
  } else return undefined;
  if (!k) return undefined;
  return {
    pieces: [whole(call.expression.name, batchedOp), whole(k.prop, `${k.field}: In(${KEYS})`)],
    rowField: k.field,
    column: k.field,
    shape: /^find(By)?$/.test(op) ? 'many' : op.endsWith('OrFail') ? 'one-throw' : 'one',
    missing: 'null',
    imports: [{ module: 'typeorm', name: 'In' }],
    title: `${batchedOp}(… { ${k.field}: In(…) })`,
  };
}

function sequelizeRead(ctx: RuleContext, site: QuerySite, call: ts.CallExpression, key: ts.Expression): Batched | undefined {
  if (!ts.isPropertyAccessExpression(call.expression) || call.arguments.length !== 1) return undefined;
  const op = call.expression.name.text;
  const imports = [{ module: 'sequelize', name: 'Op' }];
  if (op === 'findByPk') {
    if (unparen(call.arguments[0]) !== key) return undefined;
    // findByPk means the primary key: only when the table's primary key is the single column `id`.
    const table = site.table ? ctx.table(site.table) : undefined;
    const pk = table?.indexes.find((i) => i.kind === 'primary');
    if (!pk || pk.keys.length !== 1 || pk.keys[0].column !== 'id') return undefined;
    return {
      pieces: [whole(call.expression.name, 'findAll'), whole(call.arguments[0], `{ where: { id: { [Op.in]: ${KEYS} } } }`)],
      rowField: 'id',
      column: 'id',
      shape: 'one',
      missing: 'null',
      getter: true,
      imports,
      title: 'findAll({ where: { id: { [Op.in]: … } } })',
    };
  }
  if (!/^(findOne|findAll)$/.test(op)) return undefined;
  const arg = call.arguments[0];
  if (!ts.isObjectLiteralExpression(arg)) return undefined;
  for (const p of arg.properties) {
    const n = propName(p);
    if (!ts.isPropertyAssignment(p) || !n || !/^(where|include|order)$/.test(n)) return undefined;
  }
  const where = objectProp(arg, 'where');
  if (!where || !ts.isPropertyAssignment(where)) return undefined;
  const k = singleKeyProp(where.initializer, key);
  if (!k) return undefined;
  return {
    pieces: [whole(call.expression.name, 'findAll'), whole(k.prop, `${k.field}: { [Op.in]: ${KEYS} }`)],
    rowField: k.field,
    column: k.field,
    shape: op === 'findAll' ? 'many' : 'one',
    missing: 'null',
    getter: true,
    imports,
    title: `findAll({ where: { ${k.field}: { [Op.in]: … } } })`,
  };
}

/** The calls of a fluent chain, outermost first: `a.b(1).c(2)` → [c(2), b(1)]. */
function chainCalls(call: ts.Expression): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  let e: ts.Expression = call;
  for (;;) {
    if (ts.isCallExpression(e)) {
      out.push(e);
      e = e.expression;
    } else if (ts.isPropertyAccessExpression(e)) e = e.expression;
    else break;
  }
  return out;
}
const methodOf = (c: ts.CallExpression): string => (ts.isPropertyAccessExpression(c.expression) ? c.expression.name.text : ts.isIdentifier(c.expression) ? c.expression.text : '');
const strLit = (e: ts.Expression | undefined): string | undefined => (e && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e.text : undefined);

function knexRead(call: ts.CallExpression, key: ts.Expression, write: boolean): Batched | undefined {
  const calls = chainCalls(call);
  let where: ts.CallExpression | undefined;
  let field: string | undefined;
  for (const c of calls) {
    if (methodOf(c) !== 'where' || !ts.isPropertyAccessExpression(c.expression)) continue;
    const [a0, a1, a2] = c.arguments;
    if (c.arguments.length === 2 && strLit(a0) && unparen(a1) === key) field = strLit(a0);
    else if (c.arguments.length === 3 && strLit(a0) && strLit(a1) === '=' && unparen(a2) === key) field = strLit(a0);
    else if (c.arguments.length === 1) field = singleKeyProp(a0, key)?.field;
    if (field) {
      where = c;
      break;
    }
  }
  if (!where || !field || !/^\w+$/.test(field)) return undefined;
  const pieces: Piece[] = [{ start: (where.expression as ts.PropertyAccessExpression).name.getStart(), end: where.getEnd(), text: `whereIn('${field}', ${KEYS})` }];
  if (write) {
    if (!/^(update|del|delete)$/.test(methodOf(calls[0]))) return undefined;
    return { pieces, rowField: field, column: field, shape: 'many', title: `.whereIn('${field}', …)` };
  }
  let shape: Batched['shape'] = 'many';
  for (const c of calls) {
    const m = methodOf(c);
    if (/^(sum|count|countDistinct|avg|min|max|groupBy|limit|offset|pluck|distinct|union|having|join|leftJoin|innerJoin|forUpdate|increment|decrement|insert|update|del|delete)$/.test(m)) return undefined;
    if (m === 'select' || m === 'column' || m === 'first') {
      const cols = c.arguments.map((a) => strLit(a));
      if (cols.some((x) => x === undefined)) return undefined;
      if (cols.length && !cols.includes(field) && !cols.includes('*')) return undefined;
    }
  }
  if (methodOf(calls[0]) === 'first') {
    // `.first()` → nothing; `.first('a', 'b')` → `.select('a', 'b')`.
    const first = calls[0];
    const name = (first.expression as ts.PropertyAccessExpression).name;
    if (first.arguments.length) pieces.push(whole(name, 'select'));
    else pieces.push({ start: (first.expression as ts.PropertyAccessExpression).expression.getEnd(), end: first.getEnd(), text: '' });
    shape = 'one';
  } else if (calls.some((c) => methodOf(c) === 'first')) return undefined;
  return { pieces, rowField: field, column: field, shape, missing: 'undefined', title: `.whereIn('${field}', …)` };
}

function drizzleRead(call: ts.CallExpression, key: ts.Expression, write: boolean): Batched | undefined {
  const p = key.parent;
  if (!ts.isCallExpression(p) || p.arguments.length !== 2 || unparen(p.arguments[1]) !== key) return undefined;
  if (!ts.isIdentifier(p.expression) || p.expression.text !== 'eq') return undefined;
  const col = p.arguments[0];
  if (!ts.isPropertyAccessExpression(col) || !ts.isIdentifier(col.name)) return undefined;
  const calls = chainCalls(call);
  const methods = calls.map(methodOf);
  if (write) {
    if (!methods.includes('update') && !methods.includes('delete')) return undefined;
  } else {
    // Rows keep their JS keys only with a bare select(); limits and joins are per query.
    const sel = calls.find((c) => methodOf(c) === 'select');
    if (!sel || sel.arguments.length || methods.some((m) => /^(limit|offset|groupBy|innerJoin|leftJoin|rightJoin|fullJoin|having|\$dynamic)$/.test(m))) return undefined;
  }
  const field = col.name.text;
  return {
    pieces: [whole(p.expression, 'inArray'), whole(key, KEYS)],
    rowField: field,
    column: field,
    shape: 'many',
    guardEmpty: true,
    imports: [{ module: 'drizzle-orm', name: 'inArray' }],
    title: `inArray(${col.getText()}, …)`,
  };
}

function kyselyRead(call: ts.CallExpression, key: ts.Expression): Batched | undefined {
  const calls = chainCalls(call);
  const where = calls.find((c) => methodOf(c) === 'where' && c.arguments.length === 3 && strLit(c.arguments[1]) === '=' && unparen(c.arguments[2]) === key);
  const field = where ? strLit(where.arguments[0]) : undefined;
  if (!where || !field || !/^\w+$/.test(field)) return undefined;
  const exec = methodOf(calls[0]);
  if (exec !== 'execute' && exec !== 'executeTakeFirst') return undefined;
  const methods = calls.map(methodOf);
  if (methods.some((m) => /^(limit|offset|groupBy|innerJoin|leftJoin|having|distinct)$/.test(m))) return undefined;
  const sels = calls.filter((c) => methodOf(c) === 'select');
  const selected = methods.includes('selectAll') || sels.some((c) => c.arguments.some((a) => strLit(a) === field || (ts.isArrayLiteralExpression(a) && a.elements.some((x) => strLit(x) === field))));
  if (!selected) return undefined;
  const pieces: Piece[] = [whole(where.arguments[1], `'in'`), whole(where.arguments[2], KEYS)];
  if (exec === 'executeTakeFirst') pieces.push(whole((calls[0].expression as ts.PropertyAccessExpression).name, 'execute'));
  return { pieces, rowField: field, column: field, shape: exec === 'execute' ? 'many' : 'one', missing: 'undefined', guardEmpty: true, title: `.where('${field}', 'in', …)` };
}

/** `col = $n` in a raw statement: the column, when `$n` appears once. */
function pgEqParam(sqlText: string, n: number): { col: string; at: number; len: number } | undefined {
  const all = sqlText.match(new RegExp(`\\$${n}(?!\\d)`, 'g')) ?? [];
  if (all.length !== 1) return undefined;
  const m = new RegExp(`(?:^|[\\s(,])((?:\\w+\\.)?"?(\\w+)"?)\\s*=\\s*\\$${n}(?!\\d)`).exec(sqlText);
  if (!m) return undefined;
  const at = m.index + m[0].indexOf('$', m[0].length - `$${n}`.length - 1);
  return { col: m[2], at, len: `$${n}`.length };
}

/** Does a SELECT return column `col` (by `*` or by name)? Writes need no check. */
function selectsColumn(sqlText: string, col: string): boolean {
  const m = /^\s*select\s+([\s\S]*?)\s+from\s/i.exec(sqlText);
  if (!m) return false;
  return m[1].split(',').some((c) => {
    const t = c.trim().replace(/"/g, '');
    return t === '*' || /\.\*$/.test(t) || t === col || t.endsWith(`.${col}`);
  });
}

function pgRead(call: ts.CallExpression, key: ts.Expression, write: boolean): Batched | undefined {
  if (!ts.isPropertyAccessExpression(call.expression) || call.expression.name.text !== 'query' || call.arguments.length !== 2) return undefined;
  const [q, params] = call.arguments;
  if (!(ts.isStringLiteral(q) || ts.isNoSubstitutionTemplateLiteral(q)) || !ts.isArrayLiteralExpression(params)) return undefined;
  const i = params.elements.findIndex((e) => unparen(e) === key);
  if (i < 0) return undefined;
  const sqlText = q.text;
  const hit = pgEqParam(sqlText, i + 1);
  if (!hit) return undefined;
  const isSelect = /^\s*select\b/i.test(sqlText);
  if (write ? !/^\s*(update|delete)\b/i.test(sqlText) : !isSelect || !selectsColumn(sqlText, hit.col)) return undefined;
  // The literal's raw text: only rewrite when it has no escapes before the parameter.
  const raw = q.getText().slice(1, -1);
  if (raw !== sqlText) return undefined;
  const litStart = q.getStart() + 1;
  return {
    pieces: [
      { start: litStart + hit.at, end: litStart + hit.at + hit.len, text: `ANY($${i + 1})` },
      whole(params.elements[i], KEYS),
    ],
    rowField: hit.col,
    column: hit.col,
    shape: 'pg',
    stringKeys: true,
    title: `\`${hit.col} = ANY($${i + 1})\` with the key array`,
  };
}

function postgresRead(node: ts.Node, key: ts.Expression, write: boolean): Batched | undefined {
  if (!ts.isTaggedTemplateExpression(node) || !ts.isTemplateExpression(node.template)) return undefined;
  const tpl = node.template;
  const idx = tpl.templateSpans.findIndex((s) => unparen(s.expression) === key);
  if (idx < 0) return undefined;
  const before = idx === 0 ? tpl.head : tpl.templateSpans[idx - 1].literal;
  const m = /(?:^|[\s(,])(?:\w+\.)?"?(\w+)"?\s*=\s*$/.exec(before.text);
  if (!m) return undefined;
  const col = m[1];
  const sqlText = [tpl.head.text, ...tpl.templateSpans.map((s, i) => `$${i + 1}${s.literal.text}`)].join('');
  if (write ? !/^\s*(update|delete)\b/i.test(sqlText) : !/^\s*select\b/i.test(sqlText) || !selectsColumn(sqlText, col)) return undefined;
  const span = tpl.templateSpans[idx];
  const dollar = before.getEnd() - 2;
  return {
    pieces: [
      { start: dollar, end: dollar, text: 'ANY(' },
      whole(span.expression, KEYS),
      { start: span.literal.getStart() + 1, end: span.literal.getStart() + 1, text: ')' },
    ],
    rowField: col,
    column: col,
    shape: 'many',
    stringKeys: true,
    title: `\`${col} = ANY(\${keys})\``,
  };
}

function libraryRewrite(ctx: RuleContext, site: QuerySite, node: ts.Node, key: ts.Expression, write: boolean): Batched | undefined {
  if (site.library === 'postgres') return postgresRead(node, key, write);
  if (!ts.isCallExpression(node)) return undefined;
  switch (site.library) {
    case 'prisma':
      return write ? undefined : prismaRead(node, key);
    case 'typeorm':
      return write ? undefined : typeormRead(node, key);
    case 'sequelize':
      return write ? undefined : sequelizeRead(ctx, site, node, key);
    case 'knex':
      return knexRead(node, key, write);
    case 'drizzle':
      return drizzleRead(node, key, write);
    case 'kysely':
      return write ? undefined : kyselyRead(node, key);
    case 'pg':
      return pgRead(node, key, write);
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------
// Shared machinery

function render(node: ts.Node, pieces: Piece[], keys: string): string {
  const base = node.getStart();
  let text = node.getText();
  for (const p of [...pieces].sort((a, b) => b.start - a.start)) {
    text = text.slice(0, p.start - base) + p.text.split(KEYS).join(keys) + text.slice(p.end - base);
  }
  return text;
}

/** Is `column` (as written) alone the key of a primary key or unique index without predicate? */
function isUniqueColumn(table: TableInfo | undefined, column: string): boolean {
  if (!table) return false;
  const snake = column.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const col = [...table.columns.values()].find((c) => c.name === column || c.fieldName === column || c.name === snake);
  if (!col) return false;
  return table.indexes.some((i) => (i.kind === 'primary' || i.kind === 'unique') && !i.predicate && i.keys.length === 1 && i.keys[0].column === col.name);
}

function columnOf(table: TableInfo | undefined, column: string) {
  if (!table) return undefined;
  const snake = column.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return [...table.columns.values()].find((c) => c.name === column || c.fieldName === column || c.name === snake);
}

/**
 * How keys compare in a Map: 'skip' for types read back as objects (dates,
 * times, Prisma Decimal/Json), 'string' where the driver returns a string
 * (pg returns int8/numeric as text) or the type is unknown, else 'plain'.
 */
function keyKind(library: QuerySite['library'], table: TableInfo | undefined, column: string): 'plain' | 'string' | 'skip' {
  const type = columnOf(table, column)?.type.toLowerCase();
  if (type && /date|time|interval|json|bytea|point|\[\]/.test(type)) return 'skip';
  if (library === 'prisma' || library === 'drizzle') return type && /numeric|decimal|money/.test(type) ? 'skip' : 'plain';
  if (!type || /^(bigint|int8|bigserial|serial8|numeric|decimal|money)/.test(type)) return 'string';
  return 'plain';
}

/** Does the loop write, or change the collection, so that reading before it could see other rows? */
function loopChangesData(ctx: RuleContext, site: QuerySite, scope: IterationScope, coll: string): boolean {
  const { start, end } = scope.range;
  const writes = (s: QuerySite): boolean => s.kind !== 'read' || (s.library === 'kysely' && /\.(insertInto|updateTable|deleteFrom)\s*\(/.test(ctx.file.text.slice(s.range.start, s.range.end)));
  if (ctx.querySites().some((s) => s !== site && s.range.start >= start && s.range.end <= end && s.range.start !== site.range.start && writes(s))) return true;
  let changes = false;
  const visit = (n: ts.Node): void => {
    if (changes) return;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.expression.getText() === coll && /^(push|pop|shift|unshift|splice|sort|reverse|fill|copyWithin|set|add|delete|clear)$/.test(n.expression.name.text)) changes = true;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && n.left.getText() === coll) changes = true;
    ts.forEachChild(n, visit);
  };
  visit(scope.body);
  return changes;
}

/** Names declared inside a node (variables, parameters, functions, classes). */
function declaredNames(node: ts.Node): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if ((ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n) || ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n)) && n.name && ts.isIdentifier(n.name)) out.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** Variables assigned inside a node (`x = …`, `x += …`, `x++`). */
function assignedNames(node: ts.Node): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && ts.isIdentifier(n.left)) out.add(n.left.text);
    if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) && ts.isIdentifier(n.operand)) out.add(n.operand.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** Identifiers the call reads (not property names). */
function readNames(node: ts.Node): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) {
      const p = n.parent;
      if (!((ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n))) out.add(n.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** The statement holding the loop, sitting directly in a block of an async function. */
function anchorStatement(scope: IterationScope): { stmt: ts.Statement; fn: ts.FunctionLikeDeclaration } | undefined {
  let n: ts.Node = scope.node;
  if (scope.kind === 'callback') {
    // The callback: climb to the statement holding the iterating call.
    while (n.parent && !ts.isBlock(n.parent) && !ts.isSourceFile(n.parent)) {
      if (ts.isFunctionLike(n.parent)) return undefined;
      n = n.parent;
    }
  }
  if (!n.parent || !ts.isBlock(n.parent) || !ts.isStatement(n)) return undefined;
  let fn: ts.Node | undefined = n.parent;
  while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
  if (!fn || !(fn as ts.FunctionLikeDeclaration).modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) return undefined;
  // Another per-element loop around the new statement would make it an N+1 itself, unless
  // the collection is that loop's element (a chunk: the batched query takes it whole).
  const coll = scope.collectionExpr ? unparen(scope.collectionExpr).getText() : undefined;
  if (enclosingIterations(n).some((s) => s.perElement && (!s.element || s.element !== coll))) return undefined;
  return { stmt: n, fn: fn as ts.FunctionLikeDeclaration };
}

/** Edits that make `name` importable from `module` (nothing when it is already). */
function importEdits(ctx: RuleContext, sf: ts.SourceFile, module: string, name: string): TextEdit[] | undefined {
  let lastImport: ts.ImportDeclaration | undefined;
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st)) continue;
    lastImport = st;
    if (!ts.isStringLiteral(st.moduleSpecifier) || st.moduleSpecifier.text !== module) continue;
    const nb = st.importClause?.namedBindings;
    if (st.importClause?.isTypeOnly) continue;
    if (nb && ts.isNamedImports(nb)) {
      if (nb.elements.some((e) => e.name.text === name)) return [];
      if (nb.elements.some((e) => e.isTypeOnly)) continue;
      const last = nb.elements[nb.elements.length - 1];
      const at = last ? last.getEnd() : nb.getStart() + 1;
      return [{ file: ctx.file.path, range: { start: at, end: at }, newText: last ? `, ${name}` : ` ${name} ` }];
    }
  }
  // The name must not already mean something else in the file.
  if (new RegExp(`\\b${name}\\b`).test(sf.text)) return undefined;
  const at = lastImport ? lastImport.getEnd() : 0;
  const text = lastImport ? `\nimport { ${name} } from '${module}';` : `import { ${name} } from '${module}';\n`;
  return [{ file: ctx.file.path, range: { start: at, end: at }, newText: text }];
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const camel = (s: string): string => s.replace(/[_-](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^\w$]/g, '');

/** The per-element body when it is the query statement alone. */
function soleQueryStatement(scope: IterationScope, node: ts.Node): boolean {
  const isQueryExpr = (e: ts.Expression): boolean => {
    e = unparen(e);
    if (ts.isAwaitExpression(e)) e = unparen(e.expression);
    return e === node;
  };
  const body = scope.body;
  const stmts = ts.isBlock(body) ? body.statements : ts.isStatement(body) ? ts.factory.createNodeArray([body]) : undefined;
  if (!stmts) return ts.isExpression(body) && isQueryExpr(body);
  if (stmts.length !== 1) return false;
  const s = stmts[0];
  if (ts.isExpressionStatement(s)) return isQueryExpr(s.expression);
  if (ts.isReturnStatement(s) && s.expression) return isQueryExpr(s.expression);
  return false;
}

/** For a callback scope: the iterating call's place must be a statement whose value is unused. */
function writeTarget(scope: IterationScope, anchor: ts.Statement): boolean {
  if (scope.kind === 'for-of' || scope.kind === 'for-in') return anchor === scope.node;
  if (scope.kind !== 'callback' || !ts.isExpressionStatement(anchor)) return false;
  const iter = ts.isCallExpression(scope.node) ? scope.node : scope.node.parent;
  let e = unparen(anchor.expression);
  if (ts.isAwaitExpression(e)) e = unparen(e.expression);
  if (e === iter) return scope.method === 'forEach' || scope.method === 'map';
  // `Promise.all(xs.map(cb))`, `prisma.$transaction(xs.map(cb))`.
  if (ts.isCallExpression(e) && e.arguments.length === 1 && unparen(e.arguments[0]) === iter && scope.method === 'map') {
    const m = methodOf(e);
    return /^(all|allSettled|\$transaction)$/.test(m);
  }
  return false;
}

/** Prisma `create`/`update`/`delete`, Sequelize `create`: batched writes the generic path does not cover. */
function prismaWrite(site: QuerySite, call: ts.CallExpression, el: string, coll: string, keys: (k: ts.Expression) => string, uses: ts.Identifier[]): { text: string; title: string } | undefined {
  if (!ts.isPropertyAccessExpression(call.expression) || call.arguments.length !== 1) return undefined;
  const op = call.expression.name.text;
  const recv = call.expression.expression.getText();
  const arg = call.arguments[0];
  if (!ts.isObjectLiteralExpression(arg)) return undefined;
  if (site.library === 'prisma' && op === 'create') {
    if (arg.properties.length !== 1 || propName(arg.properties[0]) !== 'data' || !ts.isPropertyAssignment(arg.properties[0])) return undefined;
    const data = arg.properties[0].initializer;
    if (!ts.isObjectLiteralExpression(data) || data.properties.some((p) => p.name && ts.isIdentifier(p.name) && objectProp(data, p.name.text) && ts.isPropertyAssignment(p) && ts.isObjectLiteralExpression(p.initializer))) return undefined;
    return { text: `${recv}.createMany({ data: ${coll}.map((${el}) => (${data.getText()})) })`, title: `createMany({ data: ${coll}.map(…) })` };
  }
  if (site.library === 'prisma' && (op === 'update' || op === 'delete')) {
    if (uses.length !== 1) return undefined;
    for (const p of arg.properties) if (!ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p)) return undefined;
    if (arg.properties.some((p) => !/^(where|data)$/.test(propName(p) ?? ''))) return undefined;
    const where = objectProp(arg, 'where');
    const key = keyExpression(uses[0]);
    if (!where || !ts.isPropertyAssignment(where) || !key) return undefined;
    const k = singleKeyProp(where.initializer, key);
    if (!k) return undefined;
    const data = objectProp(arg, 'data');
    const many = op === 'update' ? 'updateMany' : 'deleteMany';
    return {
      text: `${recv}.${many}({ where: { ${k.field}: { in: ${keys(key)} } }${data ? `, ${data.getText()}` : ''} })`,
      title: `${many}({ where: { ${k.field}: { in } } })`,
    };
  }
  if (site.library === 'sequelize' && op === 'create') {
    // create() validates and runs the instance hooks; bulkCreate only when told to.
    if (call.arguments.length !== 1) return undefined;
    return { text: `${recv}.bulkCreate(${coll}.map((${el}) => (${arg.getText()})), { validate: true, individualHooks: true })`, title: `bulkCreate(${coll}.map(…), { validate: true, individualHooks: true })` };
  }
  return undefined;
}

/**
 * One multi-row INSERT for an insert of one row per element: Knex and TypeORM
 * `insert(row)`, Drizzle `insert(t).values(row)`, Kysely
 * `insertInto(t).values(row)` take an array of rows. The element may appear
 * only inside that row. Guarded for an empty collection (Drizzle and Kysely
 * reject an empty `values([])`, Knex sends nothing useful).
 */
function multiRowInsert(site: QuerySite, call: ts.CallExpression, el: string, coll: string, uses: ts.Identifier[]): { text: string; title: string; guardEmpty: boolean } | undefined {
  const calls = chainCalls(call);
  const methods = calls.map(methodOf);
  let target: ts.CallExpression | undefined;
  if (site.library === 'typeorm' && methods[0] === 'insert') target = calls[0];
  else if (site.library === 'knex') target = calls.find((c) => methodOf(c) === 'insert');
  else if (site.library === 'drizzle' && methods.includes('insert')) target = calls.find((c) => methodOf(c) === 'values');
  else if (site.library === 'kysely' && methods.includes('insertInto')) target = calls.find((c) => methodOf(c) === 'values');
  if (!target || target.arguments.length !== 1 || !ts.isPropertyAccessExpression(target.expression)) return undefined;
  if (site.library === 'kysely' && methods[0] !== 'execute') return undefined;
  const row = target.arguments[0];
  const isEl = ts.isIdentifier(row) && row.text === el;
  if (!isEl && !ts.isObjectLiteralExpression(row)) return undefined;
  // Every use of the element sits in the row; the rest of the chain is the same for all.
  if (uses.some((u) => u.getStart() < row.getStart() || u.getEnd() > row.getEnd())) return undefined;
  const rows = isEl ? coll : `${coll}.map((${el}) => (${row.getText()}))`;
  const text = render(call, [whole(row, rows)], '');
  return { text, title: `${target.expression.name.text}(${isEl ? coll : `${coll}.map(…)`}) in one multi-row INSERT`, guardEmpty: true };
}

/**
 * The batched form of a query run once per element, as a suggestion fix;
 * undefined when the rewrite would not be mechanical.
 */
export function batchFix(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope): Fix | undefined {
  try {
    return build(ctx, site, node, scope);
  } catch {
    return undefined;
  }
}

function build(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope): Fix | undefined {
  const el = scope.element;
  if (!el || !scope.collectionExpr || !isPlainRef(scope.collectionExpr)) return undefined;
  if (scope.kind !== 'for-of' && scope.kind !== 'callback') return undefined;
  if (scope.kind === 'callback' && !/^(map|forEach|flatMap)$/.test(scope.method ?? '')) return undefined;
  const sf = ctx.tsAst();
  if (!sf) return undefined;
  const anchor = anchorStatement(scope);
  if (!anchor) return undefined;
  const coll = unparen(scope.collectionExpr).getText();
  // Nothing the query reads may be declared inside the loop, except the element.
  const inner = declaredNames(scope.node);
  inner.delete(el);
  for (const n of readNames(node)) if (inner.has(n)) return undefined;
  // Nor any variable the loop reassigns (the hoisted query would see its value before the loop).
  const reassigned = assignedNames(scope.body);
  for (const n of readNames(node)) if (n !== el && reassigned.has(n)) return undefined;
  const uses = elementUses(node, el);
  if (uses.length === 0) return undefined;
  const keysOf = (k: ts.Expression): string => (ts.isIdentifier(k) && k.text === el ? coll : `${coll}.map((${el}) => ${k.getText()})`);
  const keyText = (k: ts.Expression): string => (ts.isShorthandPropertyAssignment(k.parent) ? el : k.getText());
  const text = ctx.file.text;
  const lineStart = text.lastIndexOf('\n', anchor.stmt.getStart() - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const entity = camel(site.entity ?? site.table ?? 'rows');
  const base = entity.charAt(0).toLowerCase() + entity.slice(1);
  const fnText = anchor.fn.getText();
  const free = (name: string): boolean => !new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`).test(fnText);

  // QuerySite.kind of a Kysely chain is 'read' even for insertInto/updateTable/deleteFrom (orm.ts): look at the chain head.
  const write = site.kind === 'write' || (site.library === 'kysely' && ts.isCallExpression(node) && chainCalls(node).some((c) => /^(insertInto|updateTable|deleteFrom)$/.test(methodOf(c))));
  if (write) {
    if (!soleQueryStatement(scope, node) || !writeTarget(scope, anchor.stmt)) return undefined;
    let batched: { text: string; title: string; imports?: Batched['imports']; guardEmpty?: boolean } | undefined;
    if (ts.isCallExpression(node)) batched = prismaWrite(site, node, el, coll, (k) => keysOf(k), uses);
    if (!batched && ts.isCallExpression(node)) batched = multiRowInsert(site, node, el, coll, uses);
    if (!batched && uses.length === 1) {
      const key = keyExpression(uses[0]);
      const b = key ? libraryRewrite(ctx, site, node, key, true) : undefined;
      if (b && key) batched = { text: render(node, b.pieces, keysOf(key)), title: b.title, imports: b.imports, guardEmpty: b.guardEmpty };
    }
    if (!batched) return undefined;
    const edits: TextEdit[] = [];
    for (const imp of batched.imports ?? []) {
      const e = importEdits(ctx, sf, imp.module, imp.name);
      if (!e) return undefined;
      edits.push(...e);
    }
    // Drizzle's inArray throws on an empty list in older versions.
    const stmt = batched.guardEmpty ? `if (${coll}.length) await ${batched.text};` : `await ${batched.text};`;
    edits.push({ file: ctx.file.path, range: { start: anchor.stmt.getStart(), end: anchor.stmt.getEnd() }, newText: stmt });
    return { title: `Write all of \`${coll}\` in one statement: ${batched.title}`, safety: 'suggestion', edits };
  }

  if (site.kind !== 'read' || uses.length !== 1) return undefined;
  const key = keyExpression(uses[0]);
  if (!key) return undefined;
  const b = libraryRewrite(ctx, site, node, key, false);
  if (!b) return undefined;
  if (loopChangesData(ctx, site, scope, coll)) return undefined;
  const table = site.table ? ctx.table(site.table) : undefined;
  const unique = isUniqueColumn(table, b.column);
  const kk = keyKind(site.library, table, b.column);
  if (kk === 'skip') return undefined;
  if (kk === 'string') b.stringKeys = true;
  if ((b.shape === 'one' || b.shape === 'one-throw') && !unique) return undefined;
  const grouped = !(b.shape === 'one' || b.shape === 'one-throw');
  const mapName = `${base}By${cap(camel(b.rowField))}`;
  const rowsName = `${base}Rows`;
  const keysName = `${base}Keys`;
  const row = ['row', 'record', 'item', 'r'].find(free);
  const group = ['group', 'bucket', 'list', 'g'].find(free);
  if (!free(mapName) || !free(rowsName) || !free(keysName) || !row || !group) return undefined;
  const rowField = b.getter ? `${row}.get('${b.rowField}')` : `${row}.${b.rowField}`;
  const rowKey = b.stringKeys ? `String(${rowField})` : rowField;
  const k = keyText(key);
  const lookupKey = b.stringKeys ? `String(${k})` : k;
  const keysExpr = keysOf(key);
  const lines: string[] = [];
  let rowsExpr: string;
  if (b.guardEmpty) {
    lines.push(`const ${keysName} = ${keysExpr};`);
    rowsExpr = `${keysName}.length ? await ${render(node, b.pieces, keysName)} : []`;
  } else rowsExpr = `await ${render(node, b.pieces, keysExpr)}`;
  if (b.shape === 'pg') rowsExpr = `(${rowsExpr}).rows`;
  lines.push(`const ${rowsName} = ${rowsExpr};`);
  if (grouped) {
    lines.push(`const ${mapName} = new Map<unknown, (typeof ${rowsName})[number][]>();`);
    lines.push(`for (const ${row} of ${rowsName}) {`);
    lines.push(`  const ${group} = ${mapName}.get(${rowKey});`);
    lines.push(`  if (${group}) ${group}.push(${row});`);
    lines.push(`  else ${mapName}.set(${rowKey}, [${row}]);`);
    lines.push(`}`);
  } else {
    lines.push(`const ${mapName} = new Map(${rowsName}.map((${row}) => [${rowKey}, ${row}] as const));`);
  }
  let replacement: string;
  if (b.shape === 'pg') replacement = `({ rows: ${mapName}.get(${lookupKey}) ?? [] })`;
  else if (grouped) replacement = `(${mapName}.get(${lookupKey}) ?? [])`;
  else if (b.shape === 'one-throw') replacement = `(${mapName}.get(${lookupKey}) ?? (() => { throw new Error(\`No ${site.entity ?? site.table} with ${b.rowField} \${${lookupKey}}\`); })())`;
  else replacement = b.missing === 'undefined' ? `${mapName}.get(${lookupKey})` : `(${mapName}.get(${lookupKey}) ?? null)`;
  const needsParens = (n: ts.Node): boolean => {
    const p = n.parent;
    return !(ts.isCallExpression(p) && p.expression !== n) && !ts.isVariableDeclaration(p) && !ts.isReturnStatement(p) && !ts.isArrowFunction(p) && !ts.isArrayLiteralExpression(p) && !ts.isPropertyAssignment(p) && !ts.isExpressionStatement(p) && !ts.isSpreadElement(p);
  };
  // A pg result must only be read for `.rows`.
  let target: ts.Node = ts.isAwaitExpression(node.parent) ? node.parent : node;
  while (ts.isParenthesizedExpression(target.parent)) target = target.parent;
  if (b.shape === 'pg') {
    const p = target.parent;
    if (ts.isPropertyAccessExpression(p) && p.name.text === 'rows') {
      // `(await pool.query(…)).rows` → the group itself.
      target = p;
      replacement = `(${mapName}.get(${lookupKey}) ?? [])`;
    } else if (ts.isVariableDeclaration(p) && ts.isObjectBindingPattern(p.name) && p.name.elements.every((e) => (e.propertyName ?? e.name).getText() === 'rows')) {
      replacement = `{ rows: ${mapName}.get(${lookupKey}) ?? [] }`;
    } else return undefined;
  }
  const edits: TextEdit[] = [];
  for (const imp of b.imports ?? []) {
    const e = importEdits(ctx, sf, imp.module, imp.name);
    if (!e) return undefined;
    edits.push(...e);
  }
  edits.push({ file: ctx.file.path, range: { start: anchor.stmt.getStart(), end: anchor.stmt.getStart() }, newText: lines.join(`\n${indent}`) + `\n${indent}` });
  if (!needsParens(target) && replacement.startsWith('(') && replacement.endsWith(')')) replacement = replacement.slice(1, -1);
  edits.push({ file: ctx.file.path, range: { start: target.getStart(), end: target.getEnd() }, newText: replacement });
  const what = site.table ?? site.entity ?? 'rows';
  return {
    title: `Load \`${what}\` for all of \`${coll}\` at once (${b.title}) and look each ${grouped ? 'group' : 'row'} up in a Map`,
    safety: 'suggestion',
    edits,
  };
}
