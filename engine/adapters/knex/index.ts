/**
 * Knex (`knex`): `knex(config)` is a client; `knex('users')`, `knex.table/from/into('users')` start a
 * builder on a table; builders are thenables that run when awaited or `.then`-ed;
 * `knex.transaction(trx => …)` hands a client to its callback and `knex.transaction()` returns one.
 * Raw SQL: `knex.raw(text, bindings)` with `?`/`??` (or `:name`/`:name:`) placeholders; a raw that is not
 * a whole statement is an expression fragment for a builder.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import { knexSchemaReader } from './schema';
import ts = require('typescript');
import type { ChainStep, QuerySite, SiteDraft } from '../../sources/query-sites';
import { identPieces, objProp, rewritePlaceholders, type Piece } from '../../sources/sql-pieces';
import { skipOuter } from '../../sources/ts-expr';
import { type BuilderFacts, BuilderState, comparisonOp, likeOp, rangeOf, stringValue, stripAlias, unparen, whereObjectFilters, withValue } from '../kit/chain';
import * as fx from '../kit/fix';
import { bind, lastName, never, none, tableArg } from '../kit/provenance';
import { codeSchema, firstArgument, oneRowOperation, writesByKind } from '../kit/rules';
import type { Adapter, Batched, BatchInput, BindKit, ChainQuery, FixPiece } from '../types';
import { filterValue } from '../kit/filter-values';
import { knexMigrations } from './migrations';

type BuilderInfo = BuilderFacts & { selects: string[] | '*'; operation: string };

/** What a builder chain has said so far, step by step (`STEPS`). */
class ChainState extends BuilderState {
  override selects: string[] | '*' = '*';
  operation = 'select';

  info(): BuilderInfo {
    return { ...this.facts(), selects: this.selects, operation: this.operation };
  }
}

type Step = (st: ChainState, call: ts.CallExpression, a0: ts.Expression | undefined, name: string) => void;

/** `knex('t')`, `.from/.table/.into('t')`: the table. */
const table: Step = (st, _call, a0) => {
  const t = stringValue(a0);
  if (t) st.tableName = stripAlias(t);
};

const write: Step = (st, _call, a0, name) => {
  st.kind = 'write';
  st.operation = name;
  if (name === 'insert' && a0 && ts.isArrayLiteralExpression(unparen(a0))) {
    st.batched = true;
    st.operands.push(a0.getText());
  }
};

const where: Step = (st, call, a0) => {
  const col = stringValue(a0);
  if (col) {
    const op = call.arguments.length === 3 ? (stringValue(call.arguments[1]) ?? '=') : '=';
    const fop = comparisonOp(op, call.arguments[2]);
    if (fop === 'in') st.batched = true;
    st.filters.push(withValue({ column: stripAlias(col.replace(/\s.*$/, '')) || col, range: rangeOf(a0!), op: fop }, call.arguments[2]));
  } else if (a0 && ts.isObjectLiteralExpression(unparen(a0))) whereObjectFilters(a0, st.filters);
  else st.opaqueFilter = true; // `.where(function () {…})`, `.where(knex.raw(…))`, a variable: a condition we do not read.
};

const opaque: Step = (st) => {
  st.opaqueFilter = true;
};

const whereIn: Step = (st, call, a0) => {
  st.batched = true;
  const col = stringValue(a0);
  if (col) st.filters.push(withValue({ column: col.replace(/^.*\./, ''), range: rangeOf(a0!), op: 'in' }, call.arguments[1]));
};

const whereLike: Step = (st, call, a0) => {
  const col = stringValue(a0);
  if (col) st.filters.push({ column: col.replace(/^.*\./, ''), range: rangeOf(a0!), op: likeOp(call.arguments[1]) });
};

/** `.select/.column(s)('a', ['b'])`; `.distinct('a')` is SELECT DISTINCT a and `.pluck('a')` selects a; without columns, distinct is DISTINCT *. */
const select: Step = (st, call) => {
  const cols: string[] = [];
  for (const a of call.arguments) {
    const v = stringValue(a);
    if (v) cols.push(v);
    else if (ts.isArrayLiteralExpression(a)) for (const e of a.elements) cols.push(stringValue(e) ?? '*');
    else cols.push('*');
  }
  if (cols.length && !cols.includes('*') && !cols.some((c) => c.endsWith('.*'))) st.selects = cols.map((c) => c.replace(/^.*\./, '').replace(/\s+as\s+.*$/i, ''));
};

const aggregate: Step = (st, _call, _a0, name) => {
  st.selects = [];
  st.operation = name;
};

/** Builder steps by method name. */
const STEPS: Record<string, Step> = {
  '': table,
  from: table,
  table,
  into: table,
  update: write,
  del: write,
  delete: write,
  insert: write,
  where,
  andWhere: where,
  orWhere: where,
  whereRaw: opaque,
  andWhereRaw: opaque,
  orWhereRaw: opaque,
  whereExists: opaque,
  whereNotExists: opaque,
  whereIn,
  andWhereIn: whereIn,
  orWhereIn: whereIn,
  whereILike: whereLike,
  whereLike,
  orderBy: (st, _call, a0) => {
    const col = stringValue(a0);
    if (col) st.orderBy.push({ column: col.replace(/^.*\./, ''), range: rangeOf(a0!) });
  },
  limit: (st, _call, a0) => st.setLimit(a0),
  first: (st, call) => {
    st.limit = 1;
    if (call.arguments.length) st.selects = call.arguments.map((a) => stringValue(a) ?? '*');
  },
  select,
  column: select,
  columns: select,
  distinct: select,
  pluck: select,
  count: aggregate,
  sum: aggregate,
  max: aggregate,
  min: aggregate,
  avg: aggregate,
};

function builderInfo(steps: ChainStep[]): BuilderInfo {
  const st = new ChainState();
  for (const s of steps) {
    if (s.call && Object.hasOwn(STEPS, s.name)) STEPS[s.name](st, s.call, s.call.arguments[0], s.name);
  }
  return st.info();
}

function interpret({ steps, binding, outer, runs }: ChainQuery): SiteDraft | undefined {
  if (!(binding.role === 'client' || binding.role === 'query-builder')) return undefined;
  // knex.raw / knex.transaction / knex.schema are not builder chains.
  if (steps[0].name === 'raw' || steps[0].name === 'transaction' || steps[0].name === 'schema' || steps[0].name === 'fn' || steps[0].name === 'destroy') return undefined;
  const info = builderInfo(steps);
  if (!info.tableName && binding.role === 'client') return undefined;
  return {
    library: 'knex',
    operation: info.operation,
    executes: runs,
    kind: info.kind,
    // Knex builders carry a table name string, not an entity.
    tableName: info.tableName ?? (binding.entity ? stripAlias(binding.entity) : undefined),
    selects: info.kind === 'read' ? info.selects : undefined,
    filters: info.filters,
    opaqueFilter: info.opaqueFilter,
    orderBy: info.orderBy,
    limit: info.limit,
    limitAt: info.limitAt,
    batched: info.batched,
    batchOperands: info.operands,
    node: outer,
  };
}

/** Knex `client` values of PostgreSQL's dialect (knex's aliases for it); any other name is another database's (mysql2, sqlite3, mssql …). */
const PG_CLIENTS = /^(pg|postgres|postgresql|pgnative|pg-native)$/i;

/** A package a dialect class for PostgreSQL could come from (`knex/lib/dialects/postgres`). */
const PG_PACKAGE = /(^|[/@-])(pg|postgres(ql)?)([/-]|$)/i;

/**
 * Whether a `knex({ client })` call names another database's client: a string other than PostgreSQL's aliases, or a
 * dialect class imported from a package that is not PostgreSQL's (pezzo's `knex({ client: clickhouseDialect })`). A
 * client read from configuration (an environment variable) or a local class is not known: PostgreSQL, as before.
 */
function otherDatabaseClient(call: ts.CallExpression): boolean {
  const cfg = call.arguments[0] && skipOuter(call.arguments[0]);
  if (!cfg || !ts.isObjectLiteralExpression(cfg)) return false;
  for (const p of cfg.properties) {
    if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) || p.name.text !== 'client') continue;
    let v = skipOuter(p.initializer);
    while (ts.isAsExpression(v) || ts.isSatisfiesExpression(v) || ts.isTypeAssertionExpression(v)) v = skipOuter(v.expression);
    if (ts.isStringLiteral(v) || ts.isNoSubstitutionTemplateLiteral(v)) return !PG_CLIENTS.test(v.text);
    const spec = ts.isIdentifier(v) ? importedFrom(v) : undefined;
    return spec !== undefined && !spec.startsWith('.') && !PG_PACKAGE.test(spec);
  }
  return false;
}

/** The module an identifier is imported from by its file's own import declarations (default or named), if any. */
function importedFrom(id: ts.Identifier): string | undefined {
  for (const st of id.getSourceFile().statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !st.importClause) continue;
    const c = st.importClause;
    const b = c.namedBindings;
    if (c.name?.text === id.text || (b && ts.isNamedImports(b) && b.elements.some((e) => e.name.text === id.text))) return st.moduleSpecifier.text;
  }
  return undefined;
}

/** `knex(…)`, `Knex(…)`, the default or namespace export called. */
const isFactory = (name: string): boolean => ['knex', 'Knex', '*', 'default'].includes(lastName(name));

/** Knex `?` (value) and `??` (identifier) bindings → `$n`; `\?` is a literal question mark. Named `:x`/`:x:` with an object. */
function placeholders(pieces: Piece[], bindings: ts.Expression | undefined, paramTexts: string[], kit: BindKit): Piece[] {
  const b = bindings && skipOuter(bindings);
  const arr = b && ts.isArrayLiteralExpression(b) ? b.elements : undefined;
  const obj = b && ts.isObjectLiteralExpression(b) ? b : undefined;
  let n = 0;
  return rewritePlaceholders(pieces, (src, i, prev) => {
    // Knex reads `\\?` in the cooked string as a literal `?`; the backslash came from a `\\\\` escape piece.
    if (src[i] === '?' && prev === '\\') return { len: 1, text: '?', eatPrev: true };
    if (!obj && src[i] === '?') {
      const ident = src[i + 1] === '?';
      const len = ident ? 2 : 1;
      const el = arr?.[n];
      n++;
      if (ident) {
        const s = el && kit.constString(el);
        if (s) return { len, pieces: identPieces(s, true) };
        // An identifier binding we cannot read: a placeholder name, so the statement parses and names nothing known.
        const expr = el?.getText(kit.sf) ?? '';
        return { len, text: `"${expr.replace(/"/g, '').slice(0, 60) || 'identifier'}"`, hole: 'name', expr };
      }
      paramTexts.push(el ? el.getText(kit.sf) : '');
      return { len, param: paramTexts.length, expr: el?.getText(kit.sf) ?? '' };
    }
    if (obj && src[i] === ':' && src[i - 1] !== ':' && /[A-Za-z_]/.test(src[i + 1] ?? '')) {
      // `:name:` is an identifier unless a cast follows (`:lastId::text` is the value `:lastId` cast to text).
      const m = /^:([A-Za-z_]\w*)(:(?!:))?/.exec(src.slice(i));
      if (!m) return undefined;
      const el = objProp(obj, m[1]);
      if (m[2]) {
        const s = el && kit.constString(el);
        if (s) return { len: m[0].length, pieces: identPieces(s, true) };
        // An identifier we cannot read (`UPDATE :table: SET :col: = …` with `{ table, col }`): a name hole, like `??`.
        const expr = el?.getText(kit.sf) ?? '';
        return { len: m[0].length, text: `"${expr.replace(/"/g, '').slice(0, 60) || m[1]}"`, hole: 'name', expr };
      }
      paramTexts.push(el ? el.getText(kit.sf) : '');
      return { len: m[0].length, param: paramTexts.length, expr: el?.getText(kit.sf) ?? '' };
    }
    return undefined;
  });
}

// ---------------------------------------------------------------------------
// Fix templates

function batchedRead({ node, key, write }: BatchInput): Batched | undefined {
  if (!ts.isCallExpression(node)) return undefined;
  const call = node;
  const calls = fx.chainCalls(call);
  let where: ts.CallExpression | undefined;
  let field: string | undefined;
  for (const c of calls) {
    if (fx.methodOf(c) !== 'where' || !ts.isPropertyAccessExpression(c.expression)) continue;
    const [a0, a1, a2] = c.arguments;
    if (c.arguments.length === 2 && fx.strLit(a0) && fx.unparen(a1) === key) field = fx.strLit(a0);
    else if (c.arguments.length === 3 && fx.strLit(a0) && fx.strLit(a1) === '=' && fx.unparen(a2) === key) field = fx.strLit(a0);
    else if (c.arguments.length === 1) field = fx.singleKeyProp(a0, key)?.field;
    if (field) {
      where = c;
      break;
    }
  }
  if (!where || !field || !/^\w+$/.test(field)) return undefined;
  const pieces: FixPiece[] = [{ start: (where.expression as ts.PropertyAccessExpression).name.getStart(), end: where.getEnd(), text: `whereIn('${field}', ${fx.KEYS})` }];
  if (write) {
    if (!/^(update|del|delete)$/.test(fx.methodOf(calls[0]))) return undefined;
    return { pieces, rowField: field, column: field, shape: 'many', title: `.whereIn('${field}', …)` };
  }
  let shape: Batched['shape'] = 'many';
  for (const c of calls) {
    const m = fx.methodOf(c);
    if (/^(sum|count|countDistinct|avg|min|max|groupBy|limit|offset|pluck|distinct|union|having|join|leftJoin|innerJoin|forUpdate|increment|decrement|insert|update|del|delete)$/.test(m)) return undefined;
    if (m === 'select' || m === 'column' || m === 'first') {
      const cols = c.arguments.map((a) => fx.strLit(a));
      if (cols.some((x) => x === undefined)) return undefined;
      if (cols.length && !cols.includes(field) && !cols.includes('*')) return undefined;
    }
  }
  if (fx.methodOf(calls[0]) === 'first') {
    // `.first()` → nothing; `.first('a', 'b')` → `.select('a', 'b')`.
    const first = calls[0];
    const name = (first.expression as ts.PropertyAccessExpression).name;
    if (first.arguments.length) pieces.push(fx.whole(name, 'select'));
    else pieces.push({ start: (first.expression as ts.PropertyAccessExpression).expression.getEnd(), end: first.getEnd(), text: '' });
    shape = 'one';
  } else if (calls.some((c) => fx.methodOf(c) === 'first')) return undefined;
  return { pieces, rowField: field, column: field, shape, missing: 'undefined', title: `.whereIn('${field}', …)` };
}


/** knex('t') … → knex('t').select('a', 'b') … */
function selectColumns({ node, fields, file }: { node: ts.CallExpression; fields: string[]; file: string }) {
  let root: ts.CallExpression | undefined;
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) root ??= n;
    ts.forEachChild(n, visit);
  };
  visit(node);
  if (!root || root === node) return undefined;
  return {
    title: fx.selectTitle(fields),
    safety: 'suggestion' as const,
    edits: [{ file, range: { start: root.getEnd(), end: root.getEnd() }, newText: `.select(${fields.map((f) => `'${f}'`).join(', ')})` }],
  };
}

/** What to do instead of one statement per element: a write is not told to load rows (see the Drizzle adapter's). */
function batchAdvice(site: QuerySite): string {
  const col = site.filters.find((f) => f.op === 'eq')?.column ?? 'id';
  if (site.kind === 'write') {
    if (site.operation === 'insert') return 'collect the rows and insert them in one statement with `.insert(rows)`';
    if (site.operation === 'del' || site.operation === 'delete') return `delete every element's rows in one statement with \`.whereIn('${col}', …).del()\``;
    if (site.operation === 'update') return `update every element in one statement: \`.whereIn('${col}', …)\` when the values are the same for all, else one \`UPDATE … FROM (VALUES …)\` through \`knex.raw\``;
    return 'write every element in one statement (`.insert(rows)`, or `.whereIn(…)` on an update or delete)';
  }
  return `load all rows at once with \`.whereIn('${col}', …)\``;
}

export const knex: Adapter<'knex'> = {
  id: 'knex',
  displayName: 'Knex',
  modules: {
    owns: (spec) => spec === 'knex' || spec.startsWith('knex/'),
    defaultExport: () => 'knex',
    namespaceExport: () => 'knex',
    generatedImport: never,
    mayBeGenerated: never,
  },
  provenance: {
    exportBinding: none,
    construct: none,
    // `knex({ client: 'better-sqlite3' })`: another database's client; its queries are not PostgreSQL's to judge.
    callExport: (name, call, origin) => (isFactory(name) && !otherDatabaseClient(call) ? bind('knex', 'client', origin) : undefined),
    otherDatabase: (name, call) => isFactory(name) && otherDatabaseClient(call),
    typeInstance: (name, _args, origin) => {
      const n = lastName(name);
      if (n === 'Knex' || n === 'Transaction' || name === 'Knex.Transaction' || n === '*') return bind('knex', 'client', origin);
      if (n === 'QueryBuilder') return bind('knex', 'query-builder', origin);
      return undefined;
    },
    method: (b, method, call, origin) => {
      if (b.role !== 'client') return undefined;
      const hasFnArg = call.arguments.some((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a));
      if (method === 'transaction' && !hasFnArg) return bind('knex', 'client', origin);
      if (['table', 'from', 'into'].includes(method)) return bind('knex', 'query-builder', origin, tableArg(call.arguments[0]));
      return undefined;
    },
    // `knex('users')` starts a query builder on a table.
    callInstance: (b, call, origin) => (b.role === 'client' ? bind('knex', 'query-builder', origin, tableArg(call.arguments[0])) : undefined),
    property: none,
    registries: [],
    registryMember: none,
    callbackClient: (recv, method) => {
      if (recv.kind !== 'instance') return undefined;
      const b = recv.binding;
      return b.role === 'client' && method === 'transaction' ? bind('knex', 'client', b.origin) : undefined;
    },
    injected: none,
    modelClass: never,
  },
  sql: {
    sink: (b, method) => (b.role === 'client' && method === 'raw' ? 'text' : undefined),
    sinkMethods: ['raw'],
    clientMethods: [],
    templateRunners: [],
    exportSink: none,
    tag: none,
    // `knex.raw('count(*) as n')` handed to a builder is an expression fragment, not a statement.
    textMayBeFragment: true,
    bindParams: (pieces, call, _method, kind, paramTexts, kit) => (kind === 'text' ? placeholders(pieces, call.arguments[1], paramTexts, kit) : undefined),
    resultTypes: [],
    expandsValuesList: false,
    splice: none,
    emptyFragment: never,
    tableOf: none,
    columnOf: none,
  },
  orm: {
    interpret,
    entityDecl: none,
    entityTable: none,
    readsOneRow: (site, node) => oneRowOperation(site) || /\.first\(\s*\)\s*$/.test(node.getText()),
    batchRunners: [],
    candidates: [],
    modelCandidates: [],
    runs: [],
  },
  schema: codeSchema([knexMigrations], [knexSchemaReader]),
  rules: {
    batchAdvice,
    entityListeners: () => undefined,
    nestedRowWrites: () => [],
    limitWord: 'limit',
    typedRowKeys: false,
    transactionCallbacks: ['transaction'],
    batchedRead,
    createReturnsRow: never,
    batchedWrite: none,
    insertRows: none,
    rowsUpdate: none,
    insertRowsCall: (calls) => calls.find((c) => fx.methodOf(c) === 'insert'),
    insertRowsType: none,
    isWrite: writesByKind,
    selectColumns,
    optionsArgIndex: firstArgument,
    uniqueLookup: never,
    relationFilters: none,
    relatedReads: () => [],
    loadedTables: () => undefined,
    filterValue,
    // No where key of this library is a JSON path.
    jsonPath: () => undefined,
    loadedRelations: none,
  },
};
