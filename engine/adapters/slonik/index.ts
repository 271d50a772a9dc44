/**
 * slonik (and scoped forks such as `@silverhand/slonik`): `createPool()` makes a client whose query
 * methods take only `sql` templates; `pool.transaction`/`pool.connect` hand a client to their callback;
 * `sql.type(…)`/`sql.typeAlias(…)` make typed tags and `sql.unsafe`/`sql.fragment` tag fragments.
 */
import { bind, exportBound, lastName, never, none } from '../kit/provenance';
import { codeSchema, firstArgument, RAW_SQL_ORM, writesByKind } from '../kit/rules';
import { RAW_SQL_BATCH_ADVICE, tagHelperSplice } from '../kit/sql';
import type { Adapter } from '../types';
import { filterValue } from '../kit/filter-values';

/** Query methods of a slonik client: each runs the `sql` template it is given. */
const QUERY_METHODS = ['query', 'one', 'maybeOne', 'many', 'any', 'anyFirst', 'oneFirst', 'maybeOneFirst', 'manyFirst', 'exists', 'stream', 'copyFromBinary'];
const QUERY_METHOD_SET = new Set(QUERY_METHODS);

const CLIENT_TYPES = new Set(['DatabasePool', 'DatabaseConnection', 'DatabasePoolConnection', 'DatabaseTransactionConnection', 'CommonQueryMethods']);

export const slonik: Adapter<'slonik'> = {
  id: 'slonik',
  displayName: 'slonik',
  modules: {
    owns: (spec) => spec === 'slonik' || spec.startsWith('slonik/') || spec.startsWith('@slonik/') || /^@[^/]+\/slonik(\/|$)/.test(spec),
    defaultExport: () => '*',
    namespaceExport: () => '*',
    generatedImport: never,
    mayBeGenerated: never,
  },
  provenance: {
    exportBinding: (name, origin) => (lastName(name) === 'sql' ? exportBound('slonik', 'sql-tag', origin) : undefined),
    construct: none,
    callExport: (name, _call, origin) => {
      const n = lastName(name);
      if (n === 'createPool') return bind('slonik', 'client', origin);
      if (n === 'createSqlTag') return bind('slonik', 'sql-tag', origin);
      return undefined;
    },
    otherDatabase: never,
    typeInstance: (name, _args, origin) => (CLIENT_TYPES.has(lastName(name)) ? bind('slonik', 'client', origin) : undefined),
    method: none,
    callInstance: none,
    property: none,
    registries: [],
    registryMember: none,
    callbackClient: (recv, method) => {
      if (recv.kind !== 'instance') return undefined;
      const b = recv.binding;
      return b.role === 'client' && (method === 'transaction' || method === 'connect') ? bind('slonik', 'client', b.origin) : undefined;
    },
    injected: none,
    modelClass: never,
  },
  sql: {
    sink: (b, method) => (b.role === 'client' && QUERY_METHOD_SET.has(method) ? 'tag-only' : undefined),
    sinkMethods: QUERY_METHODS,
    clientMethods: [],
    templateRunners: QUERY_METHODS,
    exportSink: none,
    tag: (b, member, called) => {
      if (b.role !== 'sql-tag') return undefined;
      if (called) return member === 'type' || member === 'typeAlias' ? { executes: false } : undefined;
      if (member !== undefined) return member === 'unsafe' || member === 'fragment' ? { executes: false } : undefined;
      return { executes: false };
    },
    textMayBeFragment: false,
    bindParams: none,
    resultTypes: [],
    expandsValuesList: false,
    splice: tagHelperSplice,
    emptyFragment: never,
    tableOf: none,
    columnOf: none,
  },
  orm: RAW_SQL_ORM,
  schema: codeSchema(),
  rules: {
    batchAdvice: () => RAW_SQL_BATCH_ADVICE,
    entityListeners: () => undefined,
    nestedRowWrites: () => [],
    limitWord: 'limit',
    typedRowKeys: false,
    transactionCallbacks: ['transaction'],
    batchedRead: none,
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
