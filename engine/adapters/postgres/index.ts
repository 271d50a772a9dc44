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
import type { Adapter, Batched, BatchInput, WriteInput } from '../types';
import { filterValue } from '../kit/filter-values';

/**
 * The key under which the rows carry `col`: postgres.js hands rows back with the column names the client's
 * `transform` makes of them (`transform: postgres.camel` or `{ ...postgres.camel }`: `prompt_id` → `promptId`).
 * Read from the options of the `postgres(…)` call that made the tag (an object there, or a const object of that
 * file); undefined where a name with `_` may be renamed by options that cannot be read, or by another transform.
 */
function rowKey(col: string, client: ts.Node | undefined): string | undefined {
  const plain = !/[_A-Z-]/.test(col) ? col : undefined;
  if (!client || !ts.isCallExpression(client)) return plain;
  // `postgres()`, `postgres(url)`, `postgres(url, options)`, `postgres(options)`: options are the last argument, unless it is the URL.
  const last = client.arguments.length ? unparen(client.arguments[client.arguments.length - 1]) : undefined;
  const url = (e: ts.Expression): boolean => ts.isStringLiteralLike(e) || ts.isTemplateExpression(e) || /^process\.env\b/.test(e.getText());
  if (!last || (client.arguments.length === 1 && url(ts.isNonNullExpression(last) ? last.expression : last))) return col;
  let opts: ts.Expression | undefined = last;
  if (opts && ts.isIdentifier(opts)) {
    const name = opts.text;
    let init: ts.Expression | undefined;
    const visit = (n: ts.Node): void => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name && n.initializer) init = unparen(n.initializer);
      else ts.forEachChild(n, visit);
    };
    visit(client.getSourceFile());
    opts = init;
  }
  if (!opts || !ts.isObjectLiteralExpression(opts) || opts.properties.some((p) => ts.isSpreadAssignment(p))) return plain;
  const transform = opts.properties.find((p) => p.name?.getText() === 'transform');
  if (!transform) return col;
  const t = transform.getText();
  if (/\b(camel|toCamel)\b/.test(t)) return col.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  if (/\b(pascal|toPascal|kebab|toKebab|column)\b/.test(t)) return plain;
  return col;
}

function batchedRead({ node, key, write, client }: BatchInput): Batched | undefined {
  if (!ts.isTaggedTemplateExpression(node) || !ts.isTemplateExpression(node.template)) return undefined;
  const tpl = node.template;
  const idx = tpl.templateSpans.findIndex((s) => unparen(s.expression) === key);
  if (idx < 0) return undefined;
  const before = idx === 0 ? tpl.head : tpl.templateSpans[idx - 1].literal;
  const m = /(?:^|[\s(,])(?:\w+\.)?"?(\w+)"?\s*=\s*$/.exec(before.text);
  if (!m) return undefined;
  const col = m[1];
  const sqlText = [tpl.head.text, ...tpl.templateSpans.map((s, i) => `$${i + 1}${s.literal.text}`)].join('');
  // A plain column list without the key (`select org_id from project where id = …`) gains it first, as pg's does
  // (Batched.addsField: only where the code reads nothing but named fields of the rows). The list is in the head.
  const list = write ? null : /^\s*select\s+(?!distinct\b|all\b)([\w\s,]+?)\s+from\s/i.exec(tpl.head.text);
  const adds = !!list && !selectsColumn(sqlText, col) && /^[a-z_][a-z0-9_]*$/.test(col) && list[1].split(',').every((c) => /^\s*[a-z_][a-z0-9_]*\s*$/i.test(c));
  if (write ? !/^\s*(update|delete)\b/i.test(sqlText) : !/^\s*select\b/i.test(sqlText) || (!selectsColumn(sqlText, col) && !adds)) return undefined;
  if (adds && tpl.head.getText().slice(1, -2) !== tpl.head.text) return undefined;
  const field = write ? col : rowKey(col, client);
  if (!field) return undefined;
  const span = tpl.templateSpans[idx];
  const dollar = before.getEnd() - 2;
  const listAt = adds && list ? tpl.head.getStart() + 1 + tpl.head.text.indexOf(list[1], list.index) : -1;
  return {
    ...(adds ? { addsField: field } : {}),
    pieces: [
      ...(listAt >= 0 ? [{ start: listAt, end: listAt, text: `${col}, ` }] : []),
      { start: dollar, end: dollar, text: 'ANY(' },
      whole(span.expression, KEYS),
      { start: span.literal.getStart() + 1, end: span.literal.getStart() + 1, text: ')' },
    ],
    rowField: field,
    column: col,
    shape: 'many',
    stringKeys: true,
    title: `\`${col} = ANY(\${keys})\``,
  };
}


/**
 * The row helper of an INSERT (`sql\`insert into t ${sql({ a, b: el.x })} on conflict do nothing\``): the span whose
 * expression calls the tag itself with one object (or the element), right after `insert into <table>`.
 */
function insertHelperSpan(node: ts.TaggedTemplateExpression): { span: ts.TemplateSpan; row: ts.Expression } | undefined {
  if (!ts.isTemplateExpression(node.template)) return undefined;
  const tpl = node.template;
  for (let i = 0; i < tpl.templateSpans.length; i++) {
    const span = tpl.templateSpans[i];
    const e = unparen(span.expression);
    const before = i === 0 ? tpl.head.text : tpl.templateSpans[i - 1].literal.text;
    if (!ts.isCallExpression(e) || e.arguments.length !== 1 || e.expression.getText() !== node.tag.getText()) continue;
    if (i !== 0 || !/^\s*insert\s+into\s+(?:"[^"]+"|[\w.]+)\s*$/i.test(before)) continue;
    return { span, row: e.arguments[0] };
  }
  return undefined;
}

const SKIP_NOTE = 'on conflict do nothing because a row could collide with a unique key: a colliding row is now skipped where the loop threw on it';

/**
 * One multi-row INSERT for a per-row insert through the tag's row helper: `${sql(xs.map((x) => ({ … })))}` (the
 * helper takes an array of rows with the same keys and writes one VALUES list). It fails on an empty array:
 * guarded. A row that could collide with a unique key, where the statement has no ON CONFLICT, gets
 * `on conflict do nothing`, said in the title. Not with RETURNING (the loop's results would differ).
 */
function batchedWrite({ call, el, coll, uses, mayCollide }: WriteInput): { text: string; title: string; skipsConflicts?: boolean; guardEmpty?: boolean } | undefined {
  if (!ts.isTaggedTemplateExpression(call)) return undefined;
  const h = insertHelperSpan(call);
  if (!h) return tupleInsert(call, el, coll, uses, mayCollide);
  const text = call.template.getText();
  if (/\breturning\b/i.test(text)) return undefined;
  const isEl = ts.isIdentifier(h.row) && h.row.text === el;
  if (!isEl && !ts.isObjectLiteralExpression(h.row)) return undefined;
  if (ts.isObjectLiteralExpression(h.row) && h.row.properties.some((p) => !ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p))) return undefined;
  if (uses.some((u) => u.getStart() < h.row.getStart() || u.getEnd() > h.row.getEnd())) return undefined;
  const rows = isEl ? coll : `${coll}.map((${el}) => (${h.row.getText()}))`;
  const skip = mayCollide && !/\bon\s+conflict\b/i.test(text);
  const start = call.getStart();
  const rel = (n: number): number => n - start;
  const full = call.getText();
  let out = `${full.slice(0, rel(h.row.getStart()))}${rows}${full.slice(rel(h.row.getEnd()))}`;
  if (skip) out = `${out.slice(0, -1).replace(/\s*$/, '')} on conflict do nothing\``;
  return {
    text: out,
    title: `one multi-row INSERT of ${isEl ? coll : `${coll}.map(…)`} through the row helper${skip ? ` (${SKIP_NOTE})` : ''}`,
    skipsConflicts: mayCollide,
    guardEmpty: true,
  };
}

/**
 * One multi-row INSERT for `insert into t (a, b) values (${x}, ${el.y})` per element: the one tuple, every value a
 * splice, becomes the helper over one array a row, `values ${sql(xs.map((el) => [x, el.y]))}` (postgres.js writes
 * an array of arrays as `($1, $2), ($3, $4)`; each value is sent as it was). Guarded for an empty list (the helper
 * rejects it). A row that could collide with a unique key, where the statement has no ON CONFLICT, gets `on conflict
 * do nothing`, said in the title. A RETURNING stays: the loop body is the statement alone, its rows were unused.
 */
function tupleInsert(call: ts.TaggedTemplateExpression, el: string, coll: string, uses: ts.Identifier[], mayCollide: boolean | undefined): { text: string; title: string; skipsConflicts?: boolean; guardEmpty?: boolean } | undefined {
  if (!ts.isTemplateExpression(call.template)) return undefined;
  const tpl = call.template;
  const spans = tpl.templateSpans;
  // `insert into <table> (<columns>) values (` right before the first splice, `, ` between, `)` after the last.
  if (!/^\s*insert\s+into\s+(?:"[^"]+"|[\w.]+)\s*\([\w\s,"]+\)\s*values\s*\(\s*$/i.test(tpl.head.text)) return undefined;
  const last = spans.length - 1;
  for (let i = 0; i < last; i++) if (!/^\s*,\s*$/.test(spans[i].literal.text)) return undefined;
  if (!/^\s*\)/.test(spans[last].literal.text)) return undefined;
  const columns = /\(([\w\s,"]+)\)\s*values/i.exec(tpl.head.text)![1].split(',').length;
  if (columns !== spans.length) return undefined;
  // Every value is a splice of one expression (no nested query); the element only inside them.
  if (spans.some((sp) => ts.isTaggedTemplateExpression(unparen(sp.expression)) || ts.isCallExpression(unparen(sp.expression)) && unparen(sp.expression).getText().startsWith(`${call.tag.getText()}(`))) return undefined;
  if (uses.some((u) => u.getStart() < spans[0].expression.getStart() || u.getEnd() > spans[last].expression.getEnd())) return undefined;
  const text = call.template.getText();
  const tuple = `[${spans.map((sp) => sp.expression.getText()).join(', ')}]`;
  const start = call.getStart();
  const full = call.getText();
  // From the `(` that opens the tuple to the `)` that closes it.
  const open = tpl.head.getStart() - start + tpl.head.getText().lastIndexOf('(');
  const closeLit = spans[last].literal;
  const close = closeLit.getStart() - start + closeLit.getText().indexOf(')') + 1;
  let out = `${full.slice(0, open)}\${${call.tag.getText()}(${coll}.map((${el}) => ${tuple}))}${full.slice(close)}`;
  const skip = !!mayCollide && !/\bon\s+conflict\b/i.test(text);
  if (skip) {
    // Before a RETURNING, on its line's indentation.
    const ret = /(\s*)\breturning\b[\s\S]*`$/i.exec(out);
    out = ret ? `${out.slice(0, ret.index)}${ret[1]}on conflict do nothing${out.slice(ret.index)}` : `${out.slice(0, -1).replace(/\s*$/, '')} on conflict do nothing\``;
  }
  return {
    text: out,
    title: `one multi-row INSERT of ${coll}.map(…) through the helper's VALUES list${skip ? ` (${SKIP_NOTE})` : ''}`,
    skipsConflicts: mayCollide,
    guardEmpty: true,
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
    otherDatabase: never,
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
    batchedWrite,
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
