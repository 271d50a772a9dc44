/**
 * Kysely (`kysely`): `new Kysely()` and `Kysely`/`Transaction` types are clients; builders
 * (`selectFrom`, `insertInto`, `updateTable`, `deleteFrom`) run only at execute/executeTakeFirst/
 * executeTakeFirstOrThrow/stream; `db.transaction().execute(async (trx) => …)` hands a client to its
 * callback. Raw SQL: the `sql` tag (run by `.execute(db)`) and `CompiledQuery.raw('…')`.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import { kyselySchemaReader } from './schema';
import ts = require('typescript');
import type { ChainStep, QuerySite, SiteDraft } from '../../sources/query-sites';
import { type BuilderFacts, BuilderState, comparisonOp, rangeOf, selectedFields, stringValue, stripAlias, unparen, withValue } from '../kit/chain';
import * as fx from '../kit/fix';
import { bind, exportBound, lastName, never, none, tableArg } from '../kit/provenance';
import { codeSchema, firstArgument, oneRowOperation } from '../kit/rules';
import { tagHelperSplice } from '../kit/sql';
import type { Adapter, Batched, ChainQuery, FixPiece, SelectInput } from '../types';
import { filterValue } from '../kit/filter-values';
import { kyselyMigrations } from './migrations';

/** Builder methods that run it. */
const RUNS = new Set(['execute', 'executeTakeFirst', 'executeTakeFirstOrThrow', 'stream']);

/** Builder methods that bring a second table into the statement (joins; `from` of an update, `using` of a delete). */
const JOINS = /^((inner|left|right|full|cross)Join(Lateral)?|from|using)$/;

/**
 * Which table a column reference of a statement with joins belongs to: the names the head table answers to
 * (`selectFrom('Node as n')`: `n`, and `Node` itself). A reference qualified by another name is a joined
 * table's; an unqualified one may be either's (PostgreSQL resolves it by the tables' columns, which the chain
 * does not show). Without joins every reference is the head's.
 */
function headColumn(ref: string, head: Set<string>, joined: boolean): string | undefined {
  const dot = ref.lastIndexOf('.');
  if (dot < 0) return joined ? undefined : ref;
  const qualifier = ref.slice(0, dot).replace(/^.*\./, '').replace(/"/g, '');
  return !joined || head.has(qualifier) ? ref.slice(dot + 1) : undefined;
}

/** The names a table argument answers to: `'Node as n'` → Node, n; `'public.Node'` → Node. */
function tableNames(t: string): string[] {
  const alias = /\s+(?:as\s+)?(\w+)$/i.exec(t.trim());
  return [stripAlias(t), ...(alias ? [alias[1]] : [])];
}

type BuilderInfo = BuilderFacts;

/** What a builder chain has said so far, step by step (`STEPS`). */
class ChainState extends BuilderState {
  /** `with('name', (qb) => qb.selectFrom('pages')…)` / `withRecursive(…)`: the table each common table expression reads. */
  readonly ctes = new Map<string, string | undefined>();
  fromCte = false;
  /** An ORDER BY key of a joined table: the head's sort keys after it do not order the rows alone. */
  foreignOrder = false;
  constructor(
    /** A statement with joins: a column belongs to the head table only when qualified by its name or alias. */
    readonly joined: boolean,
    /** The head table: named in the chain, or behind the binding (`db.selectFrom('nodes as n')` is the bound prefix). */
    readonly head: Set<string>,
  ) {
    super();
  }

  column(ref: string | undefined): string | undefined {
    return ref === undefined ? undefined : headColumn(ref, this.head, this.joined);
  }

  info(): BuilderInfo {
    const facts = this.facts();
    // A statement on a common table expression: its columns are the expression's, not the table's.
    return this.fromCte ? { ...facts, filters: [], opaqueFilter: true, orderBy: [], selects: undefined } : facts;
  }
}

type Step = (st: ChainState, call: ts.CallExpression, a0: ts.Expression | undefined, name: string) => void;

const cte: Step = (st, call, a0) => {
  const name = stringValue(a0)?.replace(/\(.*$/, '').trim();
  if (name) st.ctes.set(name, cteTable(call.arguments[1]));
};

const fromTable: Step = (st, _call, a0, name) => {
  const t = stringValue(a0);
  if (t && st.ctes.has(stripAlias(t))) {
    // Its columns are the expression's, not a table's: the statement reads the table the expression starts from.
    st.fromCte = true;
    st.tableName = st.ctes.get(stripAlias(t));
  } else if (t) st.tableName = stripAlias(t);
  if (t) for (const n of tableNames(t)) st.head.add(n);
  if (name !== 'selectFrom') st.kind = 'write';
};

const where: Step = (st, call, a0) => {
  const col = st.column(stringValue(a0));
  if (!col) {
    st.opaqueFilter = true; // `.where((eb) => …)`, `.where(sql\`…\`)`, a joined table's column: a condition we do not read.
    return;
  }
  const fop = comparisonOp(stringValue(call.arguments[1]) ?? '=', call.arguments[2]);
  if (fop === 'in') st.batched = true;
  st.filters.push(withValue({ column: col, range: rangeOf(a0!), op: fop }, call.arguments[2]));
};

const takeFirst: Step = (st) => {
  st.limit ??= 1;
};

/** Builder steps by method name. */
const STEPS: Record<string, Step> = {
  with: cte,
  withRecursive: cte,
  selectFrom: fromTable,
  insertInto: fromTable,
  updateTable: fromTable,
  deleteFrom: fromTable,
  values: (st, _call, a0) => {
    if (a0 && ts.isArrayLiteralExpression(unparen(a0))) {
      st.batched = true;
      st.operands.push(a0.getText());
    }
  },
  where,
  orWhere: where,
  andWhere: where,
  whereRef: (st) => {
    st.opaqueFilter = true;
  },
  orderBy: (st, _call, a0) => {
    const col = st.column(stringValue(a0)?.replace(/\s.*$/, ''));
    if (!col) st.foreignOrder = true;
    else if (!st.foreignOrder) st.orderBy.push({ column: col, range: rangeOf(a0!) });
  },
  limit: (st, _call, a0) => st.setLimit(a0),
  selectAll: (st, _call, a0) => {
    // `selectAll('p')` of a joined table selects none of the head's columns.
    const of = stringValue(a0);
    if (of === undefined || !st.joined || st.head.has(of)) st.selects = '*';
  },
  select: (st, _call, a0) => {
    const f = selectedFields(a0) ?? (stringValue(a0) ? [stringValue(a0)!] : undefined);
    const own = f?.map((x) => x.replace(/\s+as\s+.*$/i, '')).map((x) => (x.includes('.') ? st.column(x) : x)).filter((x): x is string => !!x);
    if (own) st.selects = [...(st.selects === '*' ? [] : (st.selects ?? [])), ...own];
  },
  executeTakeFirst: takeFirst,
  executeTakeFirstOrThrow: takeFirst,
};

function builderInfo(steps: ChainStep[], entity?: string): BuilderInfo {
  const st = new ChainState(
    steps.some((s) => s.call && JOINS.test(s.name)),
    new Set<string>(entity ? tableNames(entity) : []),
  );
  for (const s of steps) {
    if (s.call && Object.hasOwn(STEPS, s.name)) STEPS[s.name](st, s.call, s.call.arguments[0], s.name);
  }
  return st.info();
}

/** The table a common table expression's builder callback starts from (`(qb) => qb.selectFrom('pages')…`). */
function cteTable(fn: ts.Expression | undefined): string | undefined {
  const f = fn && unparen(fn);
  if (!f || !(ts.isArrowFunction(f) || ts.isFunctionExpression(f))) return undefined;
  let found: string | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    ts.forEachChild(n, visit);
    if (!found && ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'selectFrom') {
      const t = stringValue(n.arguments[0]);
      if (t) found = stripAlias(t);
    }
  };
  visit(f.body);
  return found;
}

/** The table argument of the builder call a chain starts from, as written (`'nodes as n'`), when in the same expression. */
function headTable(call: ts.CallExpression): string | undefined {
  let e: ts.Expression = call;
  while (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
    if (/^(selectFrom|insertInto|updateTable|deleteFrom)$/.test(e.expression.name.text)) return stringValue(e.arguments[0]);
    e = e.expression.expression;
  }
  return undefined;
}

function interpret({ steps, last, binding }: ChainQuery): SiteDraft | undefined {
  if (!RUNS.has(last.name) || !last.call) return undefined;
  const head = steps[0];
  if (!/^(selectFrom|insertInto|updateTable|deleteFrom|with|withRecursive)$/.test(head.name) && binding.role !== 'query-builder') return undefined;
  const info = builderInfo(steps, headTable(last.call) ?? binding.entity);
  // The head (`insertInto`) is behind the binding when the chain starts from a held builder.
  if (binding.writes) info.kind = 'write';
  info.tableName ??= binding.entity ? stripAlias(binding.entity) : undefined;
  if (!info.tableName) return undefined;
  return {
    library: 'kysely',
    operation: last.name,
    executes: true,
    kind: info.kind,
    tableName: info.tableName,
    selects: info.kind === 'read' ? info.selects : undefined,
    filters: info.filters,
    opaqueFilter: info.opaqueFilter,
    orderBy: info.orderBy,
    limit: info.limit,
    limitAt: info.limitAt,
    batched: info.batched,
    batchOperands: info.operands,
    node: last.call,
  };
}

// ---------------------------------------------------------------------------
// Fix templates

function readMany(call: ts.CallExpression, key: ts.Expression): Batched | undefined {
  const calls = fx.chainCalls(call);
  const where = calls.find((c) => fx.methodOf(c) === 'where' && c.arguments.length === 3 && fx.strLit(c.arguments[1]) === '=' && fx.unparen(c.arguments[2]) === key);
  const field = where ? fx.strLit(where.arguments[0]) : undefined;
  if (!where || !field || !/^\w+$/.test(field)) return undefined;
  const exec = fx.methodOf(calls[0]);
  if (exec !== 'execute' && exec !== 'executeTakeFirst') return undefined;
  const methods = calls.map(fx.methodOf);
  if (methods.some((m) => /^(limit|offset|groupBy|innerJoin|leftJoin|having|distinct)$/.test(m))) return undefined;
  const sels = calls.filter((c) => fx.methodOf(c) === 'select');
  const selected = methods.includes('selectAll') || sels.some((c) => c.arguments.some((a) => fx.strLit(a) === field || (ts.isArrayLiteralExpression(a) && a.elements.some((x) => fx.strLit(x) === field))));
  if (!selected) return undefined;
  const pieces: FixPiece[] = [fx.whole(where.arguments[1], `'in'`), fx.whole(where.arguments[2], fx.KEYS)];
  if (exec === 'executeTakeFirst') pieces.push(fx.whole((calls[0].expression as ts.PropertyAccessExpression).name, 'execute'));
  return { pieces, rowField: field, column: field, shape: exec === 'execute' ? 'many' : 'one', missing: 'undefined', guardEmpty: true, title: `.where('${field}', 'in', …)` };
}


/** selectAll() → select([...]) */
function selectColumns({ node, fields, file }: SelectInput) {
  let found: ts.CallExpression | undefined;
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'selectAll' && n.arguments.length === 0) found = n;
    ts.forEachChild(n, visit);
  };
  visit(node);
  if (!found) return undefined;
  const name = (found.expression as ts.PropertyAccessExpression).name;
  return {
    title: fx.selectTitle(fields),
    safety: 'suggestion' as const,
    edits: [{ file, range: { start: name.getStart(), end: found.getEnd() }, newText: `select(${fx.fieldsArray(fields)})` }],
  };
}

const WRITE_HEADS = /^(insertInto|updateTable|deleteFrom)$/;

/** A builder held in a variable keeps kind 'read' (its head is elsewhere): look at the chain, or the site's text. */
function isWrite(site: QuerySite, node: ts.Node | undefined, text: string): boolean {
  if (site.kind === 'write') return true;
  if (node) return ts.isCallExpression(node) && fx.chainCalls(node).some((c) => WRITE_HEADS.test(fx.methodOf(c)));
  return /\.(insertInto|updateTable|deleteFrom)\s*\(/.test(text);
}

/** What to do instead of one statement per element: a write is not told to load rows (see the Drizzle adapter's). */
function batchAdvice(site: QuerySite): string {
  const col = site.filters.find((f) => f.op === 'eq')?.column ?? 'id';
  if (site.kind === 'write') return `write every element in one statement: \`insertInto(t).values(rows)\` for an insert, \`.where('${col}', 'in', …)\` for an update or delete with the same values for all`;
  return `load all rows at once with \`.where('${col}', 'in', …)\``;
}

export const kysely: Adapter<'kysely'> = {
  id: 'kysely',
  displayName: 'Kysely',
  modules: {
    owns: (spec) => spec === 'kysely' || spec.startsWith('kysely/'),
    defaultExport: () => '*',
    namespaceExport: () => '*',
    generatedImport: never,
    mayBeGenerated: never,
  },
  provenance: {
    exportBinding: (name, origin) => (lastName(name) === 'sql' ? exportBound('kysely', 'sql-tag', origin) : undefined),
    construct: (name, origin) => (lastName(name) === 'Kysely' ? bind('kysely', 'client', origin) : undefined),
    callExport: none,
    otherDatabase: never,
    typeInstance: (name, _args, origin) => {
      const n = lastName(name);
      return n === 'Kysely' || n === 'Transaction' ? bind('kysely', 'client', origin) : undefined;
    },
    method: (b, method, call, origin) => {
      if (b.role !== 'client') return undefined;
      // `db.transaction()` / `db.connection()`: its `.execute(cb)` hands a client to `cb`.
      if ((method === 'transaction' || method === 'connection') && call.arguments.length === 0) return { kind: 'pending-tx', library: 'kysely', origin };
      if (['selectFrom', 'insertInto', 'updateTable', 'deleteFrom', 'replaceInto', 'mergeInto'].includes(method)) {
        const v = bind('kysely', 'query-builder', origin, tableArg(call.arguments[0]));
        if (method !== 'selectFrom' && v.kind === 'instance') v.binding.writes = true;
        return v;
      }
      return undefined;
    },
    callInstance: none,
    property: none,
    registries: [],
    registryMember: none,
    callbackClient: (recv, method) => (recv.kind === 'pending-tx' && method === 'execute' ? bind(recv.library, 'client', recv.origin) : undefined),
    injected: none,
    modelClass: never,
  },
  sql: {
    sink: none,
    sinkMethods: ['raw'],
    clientMethods: [],
    templateRunners: [],
    exportSink: (name, method) => (name === 'CompiledQuery' && method === 'raw' ? 'text' : undefined),
    tag: (b, member, called) => (b.role === 'sql-tag' && member === undefined && !called ? { executes: false } : undefined),
    textMayBeFragment: false,
    bindParams: none,
    resultTypes: [],
    expandsValuesList: false,
    splice: tagHelperSplice,
    emptyFragment: never,
    tableOf: none,
    columnOf: none,
  },
  orm: {
    interpret,
    entityDecl: none,
    entityTable: none,
    readsOneRow: oneRowOperation,
    batchRunners: [],
    candidates: ['executeTakeFirst', 'executeTakeFirstOrThrow'],
    modelCandidates: [],
    runs: [...RUNS],
  },
  schema: codeSchema([kyselyMigrations], [kyselySchemaReader]),
  rules: {
    batchAdvice,
    entityListeners: () => undefined,
    nestedRowWrites: () => [],
    limitWord: 'limit',
    typedRowKeys: false,
    transactionCallbacks: ['transaction.execute'],
    batchedRead: ({ node, key, write }) => (write || !ts.isCallExpression(node) ? undefined : readMany(node, key)),
    createReturnsRow: never,
    batchedWrite: none,
    insertRows: none,
    rowsUpdate: none,
    insertRowsCall: (calls, methods) => (methods.includes('insertInto') && methods[0] === 'execute' ? calls.find((c) => fx.methodOf(c) === 'values') : undefined),
    insertRowsType: none,
    isWrite,
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
