/**
 * node-postgres (`pg`, `pg-pool`): `new Pool()`/`new Client()` and their declared types are clients,
 * `pool.connect()` hands out a client, and `client.query(text, values)` runs SQL; a project method declared
 * to return a `QueryResult` runs its first argument too (executors.ts).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import { nodePgMigrateSchemaReader } from './schema';
import ts = require('typescript');
import { KEYS, eqParam, selectsColumn, unparen, whole } from '../kit/fix';
import { bind, exportBound, lastName, never, none } from '../kit/provenance';
import { codeSchema, firstArgument, RAW_SQL_ORM, writesByKind } from '../kit/rules';
import { RAW_SQL_BATCH_ADVICE } from '../kit/sql';
import type { Adapter, Batched, BatchInput } from '../types';
import { filterValue } from '../kit/filter-values';
import { nodePgMigrate } from './migrations';

function batchedRead({ node, key, write }: BatchInput): Batched | undefined {
  if (!ts.isCallExpression(node)) return undefined;
  const call = node;
  if (!ts.isPropertyAccessExpression(call.expression) || call.expression.name.text !== 'query' || call.arguments.length !== 2) return undefined;
  const [q, params] = call.arguments;
  if (!(ts.isStringLiteral(q) || ts.isNoSubstitutionTemplateLiteral(q)) || !ts.isArrayLiteralExpression(params)) return undefined;
  const i = params.elements.findIndex((e) => unparen(e) === key);
  if (i < 0) return undefined;
  const sqlText = q.text;
  const hit = eqParam(sqlText, i + 1);
  if (!hit) return undefined;
  const isSelect = /^\s*select\b/i.test(sqlText);
  // A plain column list without the key (`SELECT column_name, data_type FROM …`) gains it first: the rows are then
  // grouped by it (Batched.addsField: only where the code reads nothing but named fields of the rows).
  const list = isSelect && !write ? /^\s*select\s+(?!distinct\b|all\b)([\w\s,]+?)\s+from\s/i.exec(sqlText) : null;
  const adds = !!list && !selectsColumn(sqlText, hit.col) && /^[a-z_][a-z0-9_]*$/.test(hit.col) && list[1].split(',').every((c) => /^\s*[a-z_][a-z0-9_]*\s*$/i.test(c));
  if (write ? !/^\s*(update|delete)\b/i.test(sqlText) : !isSelect || (!selectsColumn(sqlText, hit.col) && !adds)) return undefined;
  // The literal's raw text: only rewrite when it has no escapes before the parameter.
  const raw = q.getText().slice(1, -1);
  if (raw !== sqlText) return undefined;
  const litStart = q.getStart() + 1;
  const listAt = list ? sqlText.indexOf(list[1], list.index) : -1;
  return {
    pieces: [
      ...(adds && listAt >= 0 ? [{ start: litStart + listAt, end: litStart + listAt, text: `${hit.col}, ` }] : []),
      { start: litStart + hit.at, end: litStart + hit.at + hit.len, text: `ANY($${i + 1})` },
      whole(params.elements[i], KEYS),
    ],
    ...(adds ? { addsField: hit.col } : {}),
    rowField: hit.col,
    column: hit.col,
    shape: 'result',
    stringKeys: true,
    title: `\`${hit.col} = ANY($${i + 1})\` with the key array`,
  };
}


/**
 * Packages that speak pg's API: postgres-migrations hands migrations a `BasicPgClient` (a pg client), and
 * sql-template-strings' `SQL` tag builds the `{ text, values }` statements `client.query` takes.
 */
const COMPANIONS = ['postgres-migrations', 'sql-template-strings'];

/** Declared types that are pg clients. */
const CLIENT_TYPES = new Set(['Pool', 'Client', 'PoolClient', 'ClientBase', 'BasicPgClient']);

export const pg: Adapter<'pg'> = {
  id: 'pg',
  displayName: 'node-postgres',
  modules: {
    owns: (spec) => spec === 'pg' || spec === 'pg-pool' || spec.startsWith('pg/') || COMPANIONS.some((c) => spec === c || spec.startsWith(`${c}/`)),
    defaultExport: (spec) => (spec === 'pg-pool' ? 'Pool' : spec === 'sql-template-strings' ? 'SQL' : '*'),
    namespaceExport: () => '*',
    generatedImport: never,
    mayBeGenerated: never,
  },
  provenance: {
    // `SQL\`…\`` (sql-template-strings) builds a `{ text, values }` statement for `client.query`.
    exportBinding: (name, origin) => (name === 'SQL' ? exportBound('pg', 'sql-tag', origin) : undefined),
    construct: (name, origin) => {
      const n = lastName(name);
      return n === 'Pool' || n === 'Client' ? bind('pg', 'client', origin) : undefined;
    },
    callExport: none,
    otherDatabase: never,
    typeInstance: (name, _args, origin) => (CLIENT_TYPES.has(lastName(name)) ? bind('pg', 'client', origin) : undefined),
    method: (b, method, _call, origin) => (b.role === 'client' && method === 'connect' ? bind('pg', 'client', origin) : undefined),
    callInstance: none,
    property: none,
    registries: [],
    registryMember: none,
    callbackClient: none,
    injected: none,
    modelClass: never,
  },
  sql: {
    sink: (b, method) => (b.role === 'client' && method === 'query' ? 'text' : undefined),
    sinkMethods: ['query'],
    clientMethods: [],
    templateRunners: [],
    exportSink: none,
    tag: (b, member, called) => (b.role === 'sql-tag' && member === undefined && !called ? { executes: false, appendMethods: ['append'] } : undefined),
    textMayBeFragment: false,
    bindParams: none,
    resultTypes: ['QueryResult'],
    expandsValuesList: false,
    splice: none,
    emptyFragment: never,
    tableOf: none,
    columnOf: none,
  },
  orm: RAW_SQL_ORM,
  schema: codeSchema([nodePgMigrate], [nodePgMigrateSchemaReader]),
  rules: {
    batchAdvice: () => RAW_SQL_BATCH_ADVICE,
    entityListeners: () => undefined,
    nestedRowWrites: () => [],
    limitWord: 'limit',
    typedRowKeys: false,
    // BEGIN/COMMIT are statements of their own: no callback runs in one.
    transactionCallbacks: [],
    batchedRead,
    createReturnsRow: never,
    batchedWrite: none,
    insertRows: none,
    rowsUpdate: none,
    insertRowsCall: none,
    insertRowsType: none,
    isWrite: writesByKind,
    selectColumns: none,
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
