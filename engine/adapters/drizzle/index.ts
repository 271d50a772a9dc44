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
import type { NonPostgresFolder } from '../../schema/types';
import type { ColumnUse, SiteDraft } from '../../sources/query-sites';
import { skipOuter } from '../../sources/ts-expr';
import type { Range, SourceFile } from '../../types';
import { literalNumber, objectProp, propName, rangeOf, selectedFields, unparen, withValue } from '../kit/chain';
import { LARGE_MAP_GUARD } from '../kit/entities';
import * as fx from '../kit/fix';
import { bind, exportBound, lastName, never, none, stringArg } from '../kit/provenance';
import { firstArgument, noModels, oneRowOperation, writesByKind } from '../kit/rules';
import { tagHelperSplice } from '../kit/sql';
import type { Adapter, ChainQuery, DefinitionRef, EntityDecl } from '../types';
import { filterValue } from '../kit/filter-values';
import { drizzleKit } from './migrations';
import { OTHER_DATABASE_MODULE, drizzleConfigDialect, drizzleConfigLink, isConfig } from './config';
import { batchAdvice, batchedRead, insertRowsType, rowsUpdate, selectColumns } from './fixes';
import { relationalLoads, type RelationalReaders } from './relation-reads';

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
  // `cursor ? gt(t.createdAt, cursor) : undefined` inside an `and(…)`: a condition some calls add, others not — read,
  // but not all required together (as under an `or`).
  if (ts.isConditionalExpression(u)) {
    const none = (x: ts.Expression): boolean => ts.isIdentifier(unparen(x)) && (unparen(x) as ts.Identifier).text === 'undefined';
    const kept = none(u.whenFalse) ? u.whenTrue : none(u.whenTrue) ? u.whenFalse : undefined;
    if (kept) {
      state.or = true;
      return filtersOf(kept, out, state);
    }
  }
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

/** The relations a relational read's `with` object loads (`{ labels: true, lists: { … } }`); undefined unless all are written out. */
function relationNames(w: ts.Expression | undefined): string[] | undefined {
  const o = w && unparen(w);
  if (!o || !ts.isObjectLiteralExpression(o)) return undefined;
  const names = o.properties.map((p) => (ts.isPropertyAssignment(p) ? propName(p) : undefined));
  return names.every((n): n is string => !!n) ? names : undefined;
}

/** A relational `where` (an operator tree, or `(t, ops) => …`) and `orderBy` (`[desc(t.x)]`, `(t, { asc }) => …`), read as the call's own are. */
const relationalReaders: RelationalReaders = {
  where(e) {
    const filters: ColumnUse[] = [];
    const state: FilterState = { opaque: false };
    if (!e) return { filters, opaque: false };
    const cb = whereCallback(unparen(e));
    if (cb) state.names = cb.names;
    filtersOf(cb ? cb.body : e, filters, state);
    if (!cb && !ts.isCallExpression(unparen(e))) state.opaque = true;
    return { filters, opaque: state.opaque };
  },
  orderBy(e) {
    if (!e) return [];
    const u = unparen(e);
    const body = whereCallback(u)?.body ?? u;
    const b = unparen(body);
    const out: ColumnUse[] = [];
    for (const el of ts.isArrayLiteralExpression(b) ? b.elements : [b]) {
      const x = unparen(el);
      const ref = columnRef(ts.isCallExpression(x) ? x.arguments[0] : x);
      if (ref) out.push({ column: ref.column, range: rangeOf(el) });
    }
    return out;
  },
};

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
    otherDatabase: never,
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
    relatedReads: (call, table, schema) => relationalLoads(call, table, schema, relationalReaders),
    loadedTables: () => undefined,
    filterValue,
    // No where key of this library is a JSON path.
    jsonPath: () => undefined,
    loadedRelations: (call) => relationNames(objectProp(call.arguments[0], 'with')),
  },
};
