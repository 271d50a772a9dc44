/**
 * Drizzle (`drizzle-orm`): `drizzle(…)` and `*Database`/`*Transaction` types are clients, `pgTable('users',
 * {…})` a table object whose keys map to columns; `db.select().from(t)`, `db.insert(t)`, `db.update(t)`,
 * `db.delete(t)` and the relational `db.query.users.findMany()` are thenables that run when awaited;
 * `db.execute(sql…)` runs raw SQL; `inArray` batches. A Drizzle Kit config (`drizzle.config.ts`) may say its
 * migrations are another database's.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import { drizzleSchemaReader } from './schema';
import ts = require('typescript');
import { blankComments, dirName, joinPath, stringProp } from '../../schema/dialect';
import type { NonPostgresFolder } from '../../schema/types';
import type { ColumnUse, QuerySite, SiteDraft } from '../../sources/query-sites';
import { skipOuter } from '../../sources/ts-expr';
import { LineIndex } from '../../text';
import type { Range, SourceFile } from '../../types';
import { literalNumber, objectProp, rangeOf, selectedFields, stringValue, unparen, withValue } from '../kit/chain';
import { LARGE_MAP_GUARD } from '../kit/entities';
import * as fx from '../kit/fix';
import { bind, exportBound, lastName, never, none, stringArg } from '../kit/provenance';
import { firstArgument, noModels, oneRowOperation, writesByKind } from '../kit/rules';
import { tagHelperSplice } from '../kit/sql';
import type { Adapter, Batched, FixPiece, SchemaLinkDecl, BatchInput, ChainQuery, DefinitionRef, EntityDecl, RowsType, RowsUpdate, RowsUpdateInput, SelectInput } from '../types';
import { ROWS_UPDATE_NOTE, unnestUpdate } from '../kit/rows-update';
import { filterValue } from '../kit/filter-values';
import { drizzleKit } from './migrations';

function columnRef(e: ts.Expression | undefined): { table?: string; column: string } | undefined {
  if (!e) return undefined;
  const u = unparen(e);
  if (!ts.isPropertyAccessExpression(u)) return undefined;
  const table = tableName(u.expression);
  return table ? { table, column: u.name.text } : undefined;
}

/**
 * The table variable an expression names: `users`, or `schema.users` through a namespace import of the schema module
 * (`import * as schema from './db/schema'`; its export is the table's variable).
 */
function tableName(e: ts.Expression | undefined): string | undefined {
  const u = e && unparen(e);
  if (!u) return undefined;
  if (ts.isIdentifier(u)) return u.text;
  if (ts.isPropertyAccessExpression(u) && ts.isIdentifier(u.expression) && ts.isIdentifier(u.name)) return u.name.text;
  return undefined;
}

/** Drizzle's comparison helpers (drizzle-orm's operators); any other term of a where is opaque to us. */
const OPERATORS = /^(eq|ne|gt|gte|lt|lte|inArray|notInArray|isNull|isNotNull|like|ilike|notLike|notIlike|between|notBetween|arrayContains|arrayContained|arrayOverlaps)$/;

/**
 * Column filters of a where: `and`/`or` trees of operator calls. `state.opaque` is set for a term we cannot
 * read — a variable, a spread (`and(...conditions)`), a `sql` fragment, a helper's result — which may hold
 * the access path.
 */
interface FilterState {
  opaque: boolean;
  /** An `or(…)` was read: the filters are not all required together. */
  or?: boolean;
  /** The relational API's `where: (t, { and, eq: e }) => …`: local names of the operators it destructures. */
  names?: Map<string, string>;
  /** A builder's where: the table variables its columns name (`accounts.iri` in a select from follows joined to accounts). */
  tables?: string[];
}

function filtersOf(e: ts.Expression | undefined, out: ColumnUse[], state: FilterState): boolean {
  let batched = false;
  if (!e) return batched;
  const u = unparen(e);
  if (!ts.isCallExpression(u) || !ts.isIdentifier(u.expression)) {
    // `undefined` adds no condition (`and(a, undefined)`); anything else (a variable, `cond ? a : b`) is unknown.
    if (!(ts.isIdentifier(u) && u.text === 'undefined')) state.opaque = true;
    return batched;
  }
  const fn = state.names?.get(u.expression.text) ?? u.expression.text;
  if (fn === 'and' || fn === 'or') {
    if (fn === 'or') state.or = true;
    for (const a of u.arguments) {
      if (ts.isSpreadElement(a)) state.opaque = true;
      else batched = filtersOf(a, out, state) || batched;
    }
    return batched;
  }
  if (!OPERATORS.test(fn)) {
    state.opaque = true;
    return batched;
  }
  const col = columnRef(u.arguments[0]);
  if (!col) {
    state.opaque = true;
    return batched;
  }
  if (col.table) state.tables?.push(col.table);
  const op =
    fn === 'inArray'
      ? 'in'
      : fn === 'eq'
        ? 'eq'
        : fn === 'like' || fn === 'ilike'
          ? /^['"`]%/.test(u.arguments[1]?.getText() ?? '')
            ? 'like-contains'
            : 'like-prefix'
          : /^(gt|gte|lt|lte|between)$/.test(fn)
            ? 'range'
            : fn === 'isNull'
              ? 'null'
              : // `IS NOT NULL` keeps an unknown share of the rows: a fact about the row (partial indexes), never an equality.
                fn === 'isNotNull'
                ? 'not-null'
                : 'func';
  if (op === 'in') batched = true;
  out.push(withValue({ column: col.column, range: rangeOf(u.arguments[0]), op }, u.arguments[1]));
  return batched;
}

/** Every filter read and all required together (no `or`, nothing opaque). */
function conjunctive(filters: ColumnUse[], state: FilterState): boolean {
  return filters.length > 0 && !state.opaque && !state.or;
}

/**
 * `where: (table, { and, eq: e }) => and(e(table.id, x), …)` (or a block that only returns one): its body, and the
 * operators its second parameter destructures by their local names. Undefined for any other function.
 */
function whereCallback(e: ts.Expression): { body: ts.Expression; names: Map<string, string> } | undefined {
  if (!ts.isArrowFunction(e) && !ts.isFunctionExpression(e)) return undefined;
  let body: ts.Expression | undefined;
  if (!ts.isBlock(e.body)) body = e.body;
  else if (e.body.statements.length === 1 && ts.isReturnStatement(e.body.statements[0])) body = e.body.statements[0].expression;
  if (!body) return undefined;
  const names = new Map<string, string>();
  const ops = e.parameters[1]?.name;
  if (ops && ts.isObjectBindingPattern(ops)) {
    for (const el of ops.elements) {
      if (!ts.isIdentifier(el.name) || el.dotDotDotToken) continue;
      const key = el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : el.name.text;
      names.set(el.name.text, key);
    }
  }
  return { body, names };
}

function interpret({ steps, last, binding, outer, runs }: ChainQuery): SiteDraft | undefined {
  if (binding.role === 'table' || binding.role === 'operator' || binding.role === 'sql-tag') return undefined;
  // db.query.users.findMany({ where, with, columns, limit })
  if (steps[0].name === 'query' && steps.length >= 3 && steps[2].call && /^find(Many|First)$/.test(steps[2].name)) {
    const opts = steps[2].call.arguments[0];
    const filters: ColumnUse[] = [];
    const state: FilterState = { opaque: false };
    const where = objectProp(opts, 'where');
    const cb = where ? whereCallback(unparen(where)) : undefined;
    if (cb) state.names = cb.names;
    const batched = filtersOf(cb ? cb.body : where, filters, state);
    // The relational API also takes `where: (t, ops) => …`: read when its body is one expression, else opaque.
    if (where && !cb && !ts.isCallExpression(unparen(where))) state.opaque = true;
    const limitExpr = objectProp(opts, 'limit');
    const limit = steps[2].name === 'findFirst' ? 1 : literalNumber(limitExpr);
    return {
      library: 'drizzle',
      operation: steps[2].name,
      executes: runs || true,
      kind: 'read',
      entity: steps[1].name,
      selects: selectedFields(objectProp(opts, 'columns')) ?? '*',
      filters,
      opaqueFilter: state.opaque,
      ...(conjunctive(filters, state) ? { conjunctive: true as const } : {}),
      orderBy: [],
      limit,
      limitAt: limit === undefined && limitExpr ? rangeOf(limitExpr) : undefined,
      batched,
      node: steps[2].call,
    };
  }
  const head = steps[0];
  if (!head.call || !/^(select|selectDistinct|insert|update|delete)$/.test(head.name)) return undefined;
  const filters: ColumnUse[] = [];
  const state: FilterState = { opaque: false, tables: [] };
  let batched = false;
  let entity: string | undefined;
  let limit: number | undefined;
  let limitAt: Range | undefined;
  const orderBy: ColumnUse[] = [];
  const operands: string[] = [];
  let selects: string[] | '*' | undefined = head.name.startsWith('select') ? (head.call.arguments.length ? selectedFields(head.call.arguments[0]) : '*') : undefined;
  if (head.name !== 'select' && head.name !== 'selectDistinct') {
    entity = tableName(head.call.arguments[0]);
  }
  for (const s of steps.slice(1)) {
    if (!s.call) continue;
    const a0 = s.call.arguments[0];
    if (s.name === 'from' && tableName(a0)) entity = tableName(a0);
    else if (s.name === 'where') batched = filtersOf(a0, filters, state) || batched;
    else if (s.name === 'limit') {
      limit = literalNumber(a0);
      limitAt = limit === undefined && a0 ? rangeOf(a0) : undefined;
    }
    else if (s.name === 'orderBy') {
      for (const a of s.call.arguments) {
        const u = unparen(a);
        const ref = columnRef(ts.isCallExpression(u) ? u.arguments[0] : u);
        if (ref) orderBy.push({ column: ref.column, range: rangeOf(a) });
      }
    } else if (s.name === 'values' && a0 && ts.isArrayLiteralExpression(unparen(a0))) {
      batched = true;
      operands.push(a0.getText());
    }
  }
  if (!entity) return undefined;
  // A filter on a joined table (`.innerJoin(accounts, …).where(eq(accounts.iri, x))`) is not a column of the entity, and
  // that table may be the access path: the entity's own filters cannot be judged alone (hollo's follows "iri").
  if (state.tables?.some((t) => t !== entity)) state.opaque = true;
  if (selects === undefined && head.name.startsWith('select')) selects = undefined;
  const exec = runs || last.name === 'execute' || last.name === 'all' || last.name === 'get' || last.name === 'run';
  return {
    library: 'drizzle',
    operation: head.name,
    executes: exec,
    kind: head.name.startsWith('select') ? 'read' : 'write',
    entity,
    selects,
    filters,
    opaqueFilter: state.opaque,
    // A join's columns are not told apart from the table's: only a single-table chain says which rows it keeps.
    ...(conjunctive(filters, state) && !steps.some((s) => /join/i.test(s.name)) ? { conjunctive: true as const } : {}),
    orderBy,
    limit,
    limitAt,
    batched,
    batchOperands: operands,
    node: outer,
  };
}

/** `const users = pgTable('users', { id: serial('id'), … })`: the table, and property → column from the builders' name arguments. */
function entityDecl(file: string, text: string, name: string): EntityDecl | undefined {
  const esc = name.replace(/[$]/g, '\\$');
  const tableRe = new RegExp(`(?:const|let|var)\\s+${esc}\\s*=\\s*(?:[\\w$]+\\.)?(?:pgTable|mysqlTable|sqliteTable|table)\\(\\s*['"\`]([^'"\`]+)['"\`]`);
  const tm = tableRe.exec(text);
  if (!tm) return undefined;
  const columns = new Map<string, string>();
  const body = text.slice(tm.index + tm[0].length, tm.index + tm[0].length + 8000);
  const colRe = /(\w+)\s*:\s*\w+\(\s*['"]([^'"]+)['"]/g;
  for (let m = colRe.exec(body); m; m = colRe.exec(body)) {
    columns.set(m[1], m[2]);
    if (columns.size > LARGE_MAP_GUARD) break;
  }
  // Drizzle's column builders without a name argument use the key as the column name.
  const keyRe = /(\w+)\s*:\s*\w+\(\s*\)/g;
  for (let m = keyRe.exec(body); m; m = keyRe.exec(body)) if (!columns.has(m[1])) columns.set(m[1], m[1]);
  return { file, table: tm[1], candidates: [tm[1]], columns };
}

/** A column of a table object (`users.email`) by its database name, from the `pgTable` definition. */
function columnOf(def: DefinitionRef, prop: string): string | undefined {
  if (!ts.isVariableDeclaration(def.node) || !def.node.initializer) return undefined;
  const init = skipOuter(def.node.initializer);
  if (!ts.isCallExpression(init)) return undefined;
  const cols = init.arguments[1] && skipOuter(init.arguments[1]);
  if (!cols || !ts.isObjectLiteralExpression(cols)) return undefined;
  let p: ts.Expression | undefined;
  for (const q of cols.properties) {
    if (ts.isPropertyAssignment(q) && (ts.isIdentifier(q.name) || ts.isStringLiteral(q.name)) && q.name.text === prop) p = q.initializer;
    else if (ts.isShorthandPropertyAssignment(q) && q.name.text === prop) p = q.name;
    if (p) break;
  }
  if (!p) return undefined;
  // `email: text('email_address').notNull()`: the innermost call's first string argument; none means the key.
  let c: ts.Expression = skipOuter(p);
  while (ts.isCallExpression(c) && ts.isPropertyAccessExpression(c.expression)) c = skipOuter(c.expression.expression);
  if (!ts.isCallExpression(c)) return undefined;
  const a = c.arguments[0];
  if (a && (ts.isStringLiteral(a) || ts.isNoSubstitutionTemplateLiteral(a))) return a.text;
  return prop;
}

const CONFIG_FILE = /(?:^|\/)drizzle\.config\.(?:[cm]?[jt]s)$/;

function isConfig(path: string): boolean {
  return CONFIG_FILE.test(path);
}

/**
 * Drizzle's modules for databases other than PostgreSQL (`drizzle-orm/sqlite-core`, `drizzle-orm/better-sqlite3`,
 * `drizzle-orm/libsql`, `drizzle-orm/mysql2` …): a client or table from one is not this adapter's to judge as
 * PostgreSQL, so the adapter does not own them (the dialect-neutral root `drizzle-orm` stays).
 */
const OTHER_DATABASE_MODULE =
  /^drizzle-orm\/(sqlite-core|mysql-core|singlestore-core|gel-core|better-sqlite3|bun-sqlite|libsql|d1|expo-sqlite|op-sqlite|durable-sqlite|sql-js|sqlite-proxy|mysql2|mysql-proxy|planetscale-serverless|tidb-serverless|singlestore|gel)(\/|$)/;

/** drizzle-kit `dialect` values (0.21+), by database. */
const DIALECTS: Record<string, string | null> = {
  postgresql: null,
  sqlite: 'SQLite',
  turso: 'SQLite (Turso)',
  mysql: 'MySQL',
  singlestore: 'SingleStore',
  gel: 'Gel',
};

/** drizzle-kit `driver` values: the database for older configs that name only the driver. */
const DRIVERS: Record<string, string | null> = {
  pg: null,
  pglite: null,
  'aws-data-api': null,
  mysql2: 'MySQL',
  planetscale: 'MySQL',
  'better-sqlite': 'SQLite',
  libsql: 'SQLite',
  turso: 'SQLite (Turso)',
  d1: 'SQLite (Cloudflare D1)',
  'd1-http': 'SQLite (Cloudflare D1)',
  expo: 'SQLite',
  'durable-sqlite': 'SQLite',
};

/** What a Drizzle Kit config says about its database and migration folder. */
export function drizzleConfigDialect(f: SourceFile): NonPostgresFolder | undefined {
  const clean = blankComments(f.text);
  const dialect = stringProp(clean, 'dialect');
  const driver = stringProp(clean, 'driver');
  let database: string | null | undefined;
  let evidence: { value: string; at: number; key: string } | undefined;
  if (dialect) {
    database = DIALECTS[dialect.value.toLowerCase()];
    evidence = { ...dialect, key: 'dialect' };
  } else if (driver) {
    database = DRIVERS[driver.value.toLowerCase()];
    evidence = { ...driver, key: 'driver' };
  }
  // PostgreSQL, a value we do not know, or one computed at run time: nothing to skip.
  if (!database || !evidence) return undefined;
  const out = stringProp(clean, 'out')?.value ?? './drizzle';
  const folder = joinPath(dirName(f.path), out);
  if (folder === undefined) return undefined;
  return {
    folder: folder.replace(/\/+$/, ''),
    database,
    file: f.path,
    line: new LineIndex(f.text).position(evidence.at).line + 1,
    evidence: `${evidence.key}: "${evidence.value}"`,
  };
}

/**
 * A Drizzle Kit config's `schema` (a path, folder or glob, or an array of them) and `out` (default
 * `./drizzle`): the migrations `drizzle-kit generate` writes for those schema files. `schema` is
 * undefined when it is not a literal (computed, imported).
 */
export function drizzleConfigLink(f: SourceFile): SchemaLinkDecl | undefined {
  const clean = blankComments(f.text);
  if (!/\bschema\s*:/.test(clean)) return undefined;
  const out = stringProp(clean, 'out')?.value ?? './drizzle';
  const one = stringProp(clean, 'schema');
  if (one) return { schema: [one.value], out };
  const arr = /(?:^|[\s,{])schema\s*:\s*\[([^\]]*)\]/.exec(clean);
  if (arr && /^\s*(?:(["'`])[^"'`\n]*\1\s*,?\s*)*$/.test(arr[1])) return { schema: [...arr[1].matchAll(/(["'`])([^"'`\n]*)\1/g)].map((m) => m[2]), out };
  return { schema: undefined, out };
}

// ---------------------------------------------------------------------------
// Fix templates

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
function batchedRead({ node, key, write, table }: BatchInput): Batched | undefined {
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
function rowsUpdate({ call, table, tableText, rows }: RowsUpdateInput): RowsUpdate | undefined {
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
function selectColumns({ site, node, fields, file, insertOption }: SelectInput) {
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
function insertRowsType(calls: ts.CallExpression[]): RowsType | undefined {
  const insert = calls.find((c) => fx.methodOf(c) === 'insert');
  const t = insert?.arguments.length === 1 ? insert.arguments[0] : undefined;
  const named = (e: ts.Expression): boolean => ts.isIdentifier(e) || (ts.isPropertyAccessExpression(e) && named(e.expression));
  return t && named(t) ? { type: `(typeof ${t.getText()}.$inferInsert)[]` } : undefined;
}

function batchAdvice(site: QuerySite): string {
  const col = site.filters.find((f) => f.op === 'eq')?.column ?? 'id';
  return `load all rows at once with \`inArray(table.${col}, …)\``;
}

export const drizzle: Adapter<'drizzle'> = {
  id: 'drizzle',
  displayName: 'Drizzle',
  modules: {
    owns: (spec) => spec === 'drizzle-orm' || (spec.startsWith('drizzle-orm/') && !OTHER_DATABASE_MODULE.test(spec)),
    defaultExport: () => '*',
    namespaceExport: () => '*',
    generatedImport: never,
    mayBeGenerated: never,
  },
  provenance: {
    exportBinding: (name, origin) => {
      const n = lastName(name);
      if (n === 'sql') return exportBound('drizzle', 'sql-tag', origin);
      if (n === 'inArray' || n === 'notInArray') return exportBound('drizzle', 'operator', origin);
      return undefined;
    },
    construct: none,
    callExport: (name, call, origin) => {
      const n = lastName(name);
      // `withReplicas(primary, [replica])` (drizzle-orm/pg-core) is a client that reads from a replica: the same API.
      if (n === 'drizzle' || n === 'withReplicas') return bind('drizzle', 'client', origin);
      if (/^(pg|mysql|sqlite)(Table|View|MaterializedView)$/.test(n) || n === 'table') return bind('drizzle', 'table', origin, stringArg(call.arguments[0]));
      return undefined;
    },
    typeInstance: (name, _args, origin) => (/Database$|Transaction$/.test(lastName(name)) ? bind('drizzle', 'client', origin) : undefined),
    method: (b, method, _call, origin) =>
      b.role === 'client' && ['select', 'selectDistinct', 'selectDistinctOn', 'insert', 'update', 'delete'].includes(method) ? bind('drizzle', 'query-builder', origin) : undefined,
    callInstance: none,
    property: none,
    registries: [],
    registryMember: none,
    callbackClient: (recv, method) => {
      if (recv.kind !== 'instance') return undefined;
      const b = recv.binding;
      return b.role === 'client' && method === 'transaction' ? bind('drizzle', 'client', b.origin) : undefined;
    },
    injected: none,
    modelClass: never,
  },
  sql: {
    // `run`/`all`/`get`/`values` belong to Drizzle's SQLite drivers; PostgreSQL drivers run raw SQL through `execute`.
    sink: (b, method) => (b.role === 'client' && method === 'execute' ? 'text' : undefined),
    sinkMethods: ['execute'],
    clientMethods: [],
    templateRunners: ['execute'],
    exportSink: none,
    tag: (b, member, called) => (b.role === 'sql-tag' && member === undefined && !called ? { executes: false } : undefined),
    textMayBeFragment: false,
    bindParams: none,
    resultTypes: [],
    expandsValuesList: false,
    splice: tagHelperSplice,
    emptyFragment: never,
    // A table object interpolated into its sql tag renders as its name.
    tableOf: (b) => (b.role === 'table' && b.entity ? b.entity : undefined),
    columnOf,
  },
  orm: {
    interpret,
    entityDecl,
    entityTable: none,
    readsOneRow: oneRowOperation,
    batchRunners: ['batch'],
    candidates: [],
    modelCandidates: [],
    runs: [],
  },
  schema: {
    globs: [
      '**/drizzle/**/*.sql',
      // Read for `dialect`/`out` only: a SQLite/MySQL project's migrations are not PostgreSQL.
      '**/drizzle.config.{ts,js,mjs,cjs,mts,cts}',
    ],
    schemaFolders: ['drizzle'],
    migrationFolders: ['drizzle'],
    fileExtensions: [],
    fileKind: (path) => (/^drizzle\.config\.[cm]?[jt]s$/.test((path.slice(path.lastIndexOf('/') + 1)).toLowerCase()) ? 'config' : undefined),
    readModels: noModels,
    nonPostgresFolders: (f: SourceFile): NonPostgresFolder[] => {
      if (!isConfig(f.path)) return [];
      const d = drizzleConfigDialect(f);
      return d ? [d] : [];
    },
    migrationTools: [drizzleKit],
    tsReaders: [drizzleSchemaReader],
    schemaLink: (f: SourceFile) => (isConfig(f.path) ? drizzleConfigLink(f) : undefined),
  },
  rules: {
    batchAdvice,
    entityListeners: () => undefined,
    nestedRowWrites: () => [],
    limitWord: 'limit',
    typedRowKeys: true,
    transactionCallbacks: ['transaction'],
    batchedRead,
    createReturnsRow: never,
    batchedWrite: none,
    insertRows: none,
    rowsUpdate,
    insertRowsCall: (calls, methods) => (methods.includes('insert') ? calls.find((c) => fx.methodOf(c) === 'values') : undefined),
    insertRowsType,
    isWrite: writesByKind,
    selectColumns,
    optionsArgIndex: firstArgument,
    uniqueLookup: never,
    relationFilters: none,
    filterValue,
    // No where key of this library is a JSON path.
    jsonPath: () => undefined,
    loadedRelations: none,
  },
};
