/**
 * postgres.js (`postgres`): `postgres()` makes the `sql` tag, which sends the statement it tags;
 * `sql.begin`/`sql.savepoint` hand a tag to their callback, `sql.reserve()` returns one, `sql.unsafe(text)`
 * runs text, `sql('name')` splices an identifier and `${sql(rows)}` after VALUES expands to many rows.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { KEYS, selectsColumn, unparen, whole } from '../kit/fix';
import { bind, lastName, never, none } from '../kit/provenance';
import { codeSchema, firstArgument, RAW_SQL_ORM, writesByKind } from '../kit/rules';
import { RAW_SQL_BATCH_ADVICE, tagHelperSplice } from '../kit/sql';
import type { Adapter, Batched, BatchInput } from '../types';
import { filterValue } from '../kit/filter-values';

function batchedRead({ node, key, write }: BatchInput): Batched | undefined {
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


export const postgres: Adapter<'postgres'> = {
  id: 'postgres',
  displayName: 'postgres.js',
  modules: {
    owns: (spec) => spec === 'postgres',
    defaultExport: () => 'postgres',
    namespaceExport: () => 'postgres',
    generatedImport: never,
    mayBeGenerated: never,
  },
  provenance: {
    exportBinding: none,
    construct: none,
    callExport: (name, _call, origin) => {
      const n = lastName(name);
      return n === 'postgres' || n === '*' || n === 'default' ? bind('postgres', 'sql-tag', origin) : undefined;
    },
    typeInstance: (name, _args, origin) => (['Sql', 'TransactionSql', 'ReservedSql'].includes(lastName(name)) ? bind('postgres', 'sql-tag', origin) : undefined),
    method: (b, method, _call, origin) => (b.role === 'sql-tag' && method === 'reserve' ? bind('postgres', 'sql-tag', origin) : undefined),
    callInstance: none,
    property: none,
    registries: [],
    registryMember: none,
    callbackClient: (recv, method) => {
      if (recv.kind !== 'instance') return undefined;
      const b = recv.binding;
      return b.role === 'sql-tag' && (method === 'begin' || method === 'savepoint') ? bind('postgres', 'sql-tag', b.origin) : undefined;
    },
    injected: none,
    modelClass: never,
  },
  sql: {
    sink: (b, method) => (b.role === 'sql-tag' && method === 'unsafe' ? 'text' : undefined),
    sinkMethods: ['unsafe'],
    clientMethods: [],
    templateRunners: [],
    exportSink: none,
    // The tag sends the statement itself.
    tag: (b, member, called) => (b.role === 'sql-tag' && member === undefined && !called ? { executes: true } : undefined),
    textMayBeFragment: false,
    bindParams: none,
    resultTypes: [],
    expandsValuesList: true,
    splice: (callee) => {
      // `sql('users')`: an identifier.
      if (callee.kind === 'call') return callee.binding.role === 'sql-tag' && callee.argCount === 1 ? { kind: 'name', dotted: true, list: false } : undefined;
      return tagHelperSplice(callee);
    },
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
    transactionCallbacks: ['begin'],
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
    filterValue,
    // No where key of this library is a JSON path.
    jsonPath: () => undefined,
  },
};
