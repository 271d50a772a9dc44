/**
 * Prisma (`@prisma/client`, `.prisma/client`, and clients generated to a project path):
 *
 * - `new PrismaClient()`, a `PrismaClient`/`Prisma.TransactionClient` type, `$extends` results and the
 *   `tx` of `$transaction(async (tx) => …)` are clients; every property of a client that is not
 *   `$…`/`_…` is a model delegate (`prisma.user`).
 * - Delegate methods return a PrismaPromise that runs when awaited (or handed to `$transaction`); a
 *   fluent relation read (`prisma.user.findUnique(…).posts()`) is one more query. Prisma's dataloader
 *   batches `findUnique` calls issued in the same tick with the same where/include shape ("Solving n+1
 *   in GraphQL with findUnique() and Prisma Client's dataloader", Prisma docs, Query optimization).
 * - Raw SQL: `$queryRaw`/`$executeRaw` take a `Prisma.sql` template, their `Unsafe` forms a string.
 * - Schema: `schema.prisma` models (schema.ts); an index belongs there as `@@index`.
 * - `nestjs-prisma`'s `PrismaService` extends `PrismaClient` (its package is not among a project's files, so the
 *   heritage cannot be read): an injected `PrismaService` from that module is a client.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { findColumn, findModel, type TableInfo } from '../../schema/types';
import type { ChainStep, QuerySite, SiteDraft } from '../../sources/query-sites';
import type { FixPiece } from '../types';
import { THEN_METHODS, WHERE_OBJECT_OPS, heldObject, literalNumber, objectProp, orderFields, propName, rangeOf, selectedFields, unparen, whereObjectFilters } from '../kit/chain';
import * as fx from '../kit/fix';
import { bind, exportBound, lastName, never, none } from '../kit/provenance';
import { firstArgument, oneRowOperation, writesByKind } from '../kit/rules';
import { tagHelperSplice } from '../kit/sql';
import type { Adapter, Batched, BatchInput, ChainQuery, RowsInsertInput, RowsType, RowsUpdate, RowsUpdateInput, WriteInput } from '../types';
import { nullFilter, ROWS_UPDATE_NOTE, unnestUpdate } from '../kit/rows-update';
import { prismaProviderFolders, prismaTables } from './schema';
import { filterValue } from '../kit/filter-values';
import { prismaMigrate } from './migrations';
import { nestedRowWrites } from './nested-writes';
import { includeAsSelect, includedRelations } from './include';
import { notFoundError } from './errors';
import { loadedTables, relatedReads } from './relation-reads';

const READS = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
]);
const WRITES = new Set(['create', 'createMany', 'createManyAndReturn', 'update', 'updateMany', 'updateManyAndReturn', 'upsert', 'delete', 'deleteMany']);


function whereBatchable(where: ts.Expression | undefined): boolean {
  if (!where) return false;
  const w = unparen(where);
  if (!ts.isObjectLiteralExpression(w)) return true;
  for (const p of w.properties) {
    if (ts.isSpreadAssignment(p)) return false;
    const key = propName(p);
    if (!key || key === 'AND' || key === 'OR' || key === 'NOT') return false;
    if (ts.isPropertyAssignment(p)) {
      const v = unparen(p.initializer);
      if (ts.isObjectLiteralExpression(v)) {
        const keys = v.properties.map(propName);
        // `{ equals: x }`, or a compound unique `{ tenantId, userId }`; any other operator is not batched.
        if (keys.some((k) => !k || (k in WHERE_OBJECT_OPS && k !== 'equals'))) return false;
      }
    }
  }
  return true;
}

/** Top-level keys of an object `where` whose value is written to be `undefined` sometimes (Prisma then ignores the filter). */
function optionalKeys(where: ts.Expression | undefined): Set<string> {
  const out = new Set<string>();
  const w = where && unparen(where);
  if (!w || !ts.isObjectLiteralExpression(w)) return out;
  for (const p of w.properties) {
    const key = propName(p);
    if (key && ts.isPropertyAssignment(p) && maybeUndefined(p.initializer)) out.add(key);
  }
  return out;
}

function maybeUndefined(e: ts.Expression): boolean {
  const v = unparen(e);
  if (ts.isIdentifier(v)) return v.text === 'undefined';
  if (ts.isVoidExpression(v)) return true;
  if (ts.isConditionalExpression(v)) return maybeUndefined(v.whenTrue) || maybeUndefined(v.whenFalse);
  if (ts.isBinaryExpression(v) && (v.operatorToken.kind === ts.SyntaxKind.BarBarToken || v.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken)) return maybeUndefined(v.right);
  return false;
}

function delegateSite(delegate: string, step: ChainStep, rest: ChainStep[]): SiteDraft | undefined {
  const op = step.name;
  if (!READS.has(op) && !WRITES.has(op)) return undefined;
  const args = step.call!.arguments[0];
  const written = objectProp(args, 'where');
  // A where held in a local const (`const whereClause = { userId }; findMany({ where: whereClause })`) reads like the literal.
  const whereExpr = heldObject(written) ?? written;
  const state = { opaque: false };
  // A filter whose value may be `undefined` (`id: query || undefined`, `status: all ? undefined : s`) is dropped by
  // Prisma when it is: it cannot be what selects the rows, so the rest is judged as if it were absent.
  const optional = optionalKeys(whereExpr);
  const filters = whereObjectFilters(whereExpr, [], state).filter((f) => !optional.has(f.column));
  // A where built elsewhere (`where: scopeWhere({ userId })`) or spread in: its columns are unknown.
  const whereNode = whereExpr ? unparen(whereExpr) : undefined;
  const filterHidden = !!whereNode && (!ts.isObjectLiteralExpression(whereNode) || whereNode.properties.some(ts.isSpreadAssignment));
  // Options held in a variable or spread from one (`findMany(args)`, `{ ...query, take }`) may carry the where.
  const a = args && unparen(args);
  if (a && (!ts.isObjectLiteralExpression(a) || a.properties.some((p) => ts.isSpreadAssignment(p)))) state.opaque = true;
  const sel = selectedFields(objectProp(args, 'select'));
  const read = READS.has(op);
  const takeExpr = objectProp(args, 'take');
  const take = literalNumber(takeExpr);
  let limit = op.startsWith('findUnique') || op.startsWith('findFirst') ? 1 : take !== undefined ? Math.abs(take) : undefined;
  let node: ts.Expression = step.call!;
  let operation = op;
  let entity = delegate;
  // The dataloader batches findUnique (and findUniqueOrThrow since Prisma 5.1, prisma-engines#4019)
  // only when every where criterion is a scalar equality: no AND/OR/NOT, no other operators.
  const batchable = (op === 'findUnique' || op === 'findUniqueOrThrow') && whereBatchable(whereExpr);
  // Fluent relation read: prisma.user.findUnique({…}).posts()
  const next = rest[0];
  if (next?.call && !THEN_METHODS.has(next.name) && op.startsWith('findUnique')) {
    node = next.call;
    operation = `${op}().${next.name}`;
    entity = next.name;
    limit = undefined;
    return {
      library: 'prisma',
      operation,
      executes: true,
      kind: 'read',
      entity,
      selects: '*',
      filters: [],
      orderBy: [],
      limit,
      batched: false,
      batchesSameTick: batchable,
      node,
    };
  }
  return {
    library: 'prisma',
    operation,
    executes: true,
    kind: read ? 'read' : 'write',
    entity,
    selects: read && op !== 'count' && op !== 'aggregate' && op !== 'groupBy' ? (sel ?? (objectProp(args, 'omit') ? undefined : '*')) : undefined,
    filters,
    opaqueFilter: state.opaque,
    orderBy: orderFields(objectProp(args, 'orderBy')),
    limit,
    limitAt: limit === undefined && takeExpr ? rangeOf(takeExpr) : undefined,
    filterHidden: filterHidden || undefined,
    batched: op === 'createMany' || op === 'createManyAndReturn' || filters.some((f) => f.op === 'in'),
    batchOperands: op === 'createMany' || op === 'createManyAndReturn' ? [objectProp(args, 'data')?.getText() ?? ''] : undefined,
    batchesSameTick: batchable,
    node,
  };
}

function interpret({ steps, binding }: ChainQuery): SiteDraft | undefined {
  if (binding.role === 'repository') {
    const i = steps.findIndex((s) => s.call);
    if (i !== 0) return undefined;
    return delegateSite(binding.entity ?? '', steps[0], steps.slice(1));
  }
  if (binding.role === 'client' && steps.length >= 2 && !steps[0].call && !steps[0].name.startsWith('$') && steps[1].call) {
    return delegateSite(steps[0].name, steps[1], steps.slice(2));
  }
  return undefined;
}

const CLIENT_METHODS = new Set(['$extends', '$primary', '$replica']);

/** Methods whose name alone says the receiver is a Prisma client (the `$` prefix is Prisma's convention). */
const RAW_METHODS = ['$queryRaw', '$executeRaw', '$queryRawUnsafe', '$executeRawUnsafe'];

// ---------------------------------------------------------------------------
// Fix templates

/** Does a `select`/`omit` option keep the key field in every row? */
function rowsKeepField(arg: ts.ObjectLiteralExpression, field: string): boolean {
  const select = fx.objectProp(arg, 'select');
  if (select && !(ts.isPropertyAssignment(select) && /^true$/.test((fx.objectProp(select.initializer, field) as ts.PropertyAssignment | undefined)?.initializer?.getText() ?? ''))) return false;
  const omit = fx.objectProp(arg, 'omit');
  if (omit && !(ts.isPropertyAssignment(omit) && ts.isObjectLiteralExpression(omit.initializer) && !fx.objectProp(omit.initializer, field) && omit.initializer.properties.every((p) => ts.isPropertyAssignment(p)))) return false;
  return true;
}

/**
 * `findUnique`/`findFirst`/`findMany` (and `…OrThrow`) by one key field, other filters kept (the rule has
 * checked they do not change per element) → `findMany` with `{ in }`; `select`, `include`, `omit` and
 * `orderBy` stay (the key must stay in the rows). `take`/`skip`/`cursor`/`distinct` are per query: none.
 */
function readMany(call: ts.CallExpression, key: ts.Expression): Batched | undefined {
  if (!ts.isPropertyAccessExpression(call.expression) || call.arguments.length !== 1) return undefined;
  const op = call.expression.name.text;
  if (op === 'count') return countMany(call, key);
  if (!/^(findUnique|findFirst|findUniqueOrThrow|findFirstOrThrow|findMany)$/.test(op)) return undefined;
  const arg = call.arguments[0];
  if (!ts.isObjectLiteralExpression(arg)) return undefined;
  for (const p of arg.properties) {
    const n = propName(p);
    if (!ts.isPropertyAssignment(p) || !n || !/^(where|select|include|omit|orderBy)$/.test(n)) return undefined;
  }
  const where = fx.objectProp(arg, 'where');
  if (!where || !ts.isPropertyAssignment(where)) return undefined;
  const k: { prop: ts.ObjectLiteralElementLike; field: string; piece?: FixPiece; insensitive?: boolean } | undefined = fx.keyPropAmong(where.initializer, key) ?? equalsProp(where.initializer, key);
  if (!k || !rowsKeepField(arg, k.field)) return undefined;
  const ordered = !!fx.objectProp(arg, 'orderBy');
  return {
    pieces: [fx.whole(call.expression.name, 'findMany'), k.piece ?? fx.whole(k.prop, `${k.field}: { in: ${fx.KEYS} }`)],
    rowField: k.field,
    column: k.field,
    shape: op === 'findMany' ? 'many' : op.endsWith('OrThrow') ? 'one-throw' : 'one',
    firstOfGroup: op.startsWith('findFirst') && ordered,
    anyOfGroup: op.startsWith('findFirst') && !ordered,
    caseInsensitive: k.insensitive,
    wholeRows: !['select', 'include', 'omit'].some((o) => fx.objectProp(arg, o)),
    rowFilters: equalityFilters(where.initializer, k.prop),
    missing: 'null',
    title: `findMany({ where: { ${k.field}: { in${k.insensitive ? ", mode: 'insensitive'" : ''} } } })`,
    ...(op.endsWith('OrThrow') ? { notFound: notFoundError(call) } : {}),
  };
}

/**
 * `count({ where: { key: K, … } })` per key → one `groupBy({ by: ['key'], where: { key: { in: keys }, … }, _count: { _all:
 * true } })`: a row per key that has any, read as `_count._all`, a key with none as 0. Only a count whose argument is
 * the where alone (no select, cursor, take, skip, orderBy, distinct).
 */
function countMany(call: ts.CallExpression, key: ts.Expression): Batched | undefined {
  const arg = call.arguments[0];
  if (!ts.isPropertyAccessExpression(call.expression) || !ts.isObjectLiteralExpression(arg) || arg.properties.length !== 1) return undefined;
  const where = fx.objectProp(arg, 'where');
  if (!where || !ts.isPropertyAssignment(where)) return undefined;
  const k = fx.keyPropAmong(where.initializer, key);
  if (!k || !/^[A-Za-z_$][\w$]*$/.test(k.field)) return undefined;
  // On lines of their own where the where starts its line.
  const text = call.getSourceFile().text;
  const lineStart = text.lastIndexOf('\n', where.getStart() - 1) + 1;
  const sep = text.slice(lineStart, where.getStart()).trim() === '' ? `\n${text.slice(lineStart, where.getStart())}` : ' ';
  return {
    pieces: [
      fx.whole(call.expression.name, 'groupBy'),
      { start: where.getStart(), end: where.getStart(), text: `by: ['${k.field}'],${sep}` },
      fx.whole(k.prop, `${k.field}: { in: ${fx.KEYS} }`),
      { start: where.getEnd(), end: where.getEnd(), text: `,${sep}_count: { _all: true }` },
    ],
    rowField: k.field,
    column: k.field,
    shape: 'count',
    rowFilters: equalityFilters(where.initializer, k.prop),
    title: `groupBy({ by: ['${k.field}'], where: { ${k.field}: { in } }, _count: { _all: true } })`,
  };
}

/**
 * `{ name: { equals: key } }` or `{ name: { equals: key, mode: 'insensitive' } }` in a where: the field, and the
 * piece that makes `equals` an `in` over the keys (the mode stays). Prisma sends an insensitive `equals` as
 * ILIKE and an insensitive `in` as `LOWER(col) IN (LOWER(…))`: the same rows unless the name holds `%`, `_` or `\`.
 */
function equalsProp(obj: ts.Node, key: ts.Expression): { prop: ts.ObjectLiteralElementLike; field: string; piece: FixPiece; insensitive: boolean } | undefined {
  const eq = key.parent;
  if (!ts.isPropertyAssignment(eq) || propName(eq) !== 'equals' || unparen(eq.initializer) !== key) return undefined;
  const inner = eq.parent;
  if (!ts.isObjectLiteralExpression(inner) || !ts.isPropertyAssignment(inner.parent) || inner.parent.parent !== obj) return undefined;
  let insensitive = false;
  for (const p of inner.properties) {
    if (p === eq) continue;
    if (!ts.isPropertyAssignment(p) || propName(p) !== 'mode' || !ts.isStringLiteral(p.initializer)) return undefined;
    insensitive = p.initializer.text === 'insensitive';
  }
  const outer = inner.parent;
  const field = propName(outer);
  if (!field || !ts.isIdentifier(outer.name) || !ts.isObjectLiteralExpression(obj)) return undefined;
  // `{ name: …, ...rest }` or the field twice: the later one may set it again.
  const at = obj.properties.indexOf(outer);
  if (obj.properties.some((p, i) => p !== outer && (propName(p) === field || (ts.isSpreadAssignment(p) && i > at)))) return undefined;
  return { prop: outer, field, piece: fx.whole(eq, `in: ${fx.KEYS}`), insensitive };
}

/** The where's properties other than the key's as `field === value`, when each is a plain equality to a name or literal. */
function equalityFilters(obj: ts.Expression, keyProp: ts.ObjectLiteralElementLike): { field: string; value: string }[] | undefined {
  if (!ts.isObjectLiteralExpression(obj)) return undefined;
  const out: { field: string; value: string }[] = [];
  const plain = (e: ts.Expression): boolean => ts.isIdentifier(e) || ts.isStringLiteral(e) || ts.isNumericLiteral(e) || e.kind === ts.SyntaxKind.NullKeyword || e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword || (ts.isPropertyAccessExpression(e) && !e.questionDotToken && plain(e.expression));
  for (const p of obj.properties) {
    if (p === keyProp) continue;
    if (ts.isShorthandPropertyAssignment(p)) out.push({ field: p.name.text, value: p.name.text });
    else if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && plain(unparen(p.initializer))) out.push({ field: p.name.text, value: unparen(p.initializer).getText() });
    else return undefined;
  }
  return out;
}

/** `create({ data })` with nothing that narrows or widens the row it returns. */
function createReturnsRow(call: ts.CallExpression): boolean {
  if (!ts.isPropertyAccessExpression(call.expression) || call.expression.name.text !== 'create' || call.arguments.length !== 1) return false;
  const arg = unparen(call.arguments[0]);
  return ts.isObjectLiteralExpression(arg) && arg.properties.every((p) => ts.isPropertyAssignment(p) && propName(p) === 'data');
}


/** `create` → `createMany`, `update`/`delete` by one key → `updateMany`/`deleteMany` with `in`. */
/**
 * `skipDuplicates: true` where a row could collide with a unique key: the loop threw at the first colliding row
 * (keeping the rows before it outside a transaction); createMany would fail whole, so it skips them instead, and says so.
 */
const SKIP_NOTE = 'skipDuplicates because a row could collide with a unique key: a colliding row is now skipped where the loop threw on it';

/** The scalar row of `create({ data })` (result unused: `select`/`include` drop), or undefined: createMany takes no nested writes. */
function scalarCreateRow(call: ts.CallExpression): ts.ObjectLiteralExpression | undefined {
  if (!ts.isPropertyAccessExpression(call.expression) || call.expression.name.text !== 'create' || call.arguments.length !== 1) return undefined;
  const arg = unparen(call.arguments[0]);
  if (!ts.isObjectLiteralExpression(arg) || arg.properties.some((p) => !ts.isPropertyAssignment(p) || !/^(data|select|include|omit)$/.test(propName(p) ?? ''))) return undefined;
  const data = fx.objectProp(arg, 'data');
  const row = data && ts.isPropertyAssignment(data) ? unparen(data.initializer) : undefined;
  if (!row || !ts.isObjectLiteralExpression(row)) return undefined;
  // Relation writes (`connect`, nested `create`) and spreads: not a scalar row.
  const scalar = row.properties.every((p) => ts.isShorthandPropertyAssignment(p) || (ts.isPropertyAssignment(p) && !ts.isObjectLiteralExpression(unparen(p.initializer)) && !ts.isArrayLiteralExpression(unparen(p.initializer))));
  return scalar ? row : undefined;
}

/**
 * `Prisma.<Model>CreateManyInput[]`, the type createMany's `data` takes, with `Prisma` from the client module the
 * file already uses: its own import of `Prisma` (type-only too, aliased too), else `@prisma/client` where the file
 * imports from it. A file that reaches a generated client only through its own module (`import { db } from './db'`)
 * gets none: the caller then keeps the rewrite only where no literal would widen.
 */
function createManyInputType(call: ts.CallExpression, model: string): RowsType | undefined {
  let fromClient = false;
  for (const st of call.getSourceFile().statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const nb = st.importClause?.namedBindings;
    const own = nb && ts.isNamedImports(nb) ? nb.elements.find((e) => (e.propertyName ?? e.name).text === 'Prisma') : undefined;
    if (own) return { type: `${own.name.text}.${model}CreateManyInput[]` };
    if (st.moduleSpecifier.text === '@prisma/client') fromClient = true;
  }
  return fromClient ? { type: `Prisma.${model}CreateManyInput[]`, imports: [{ module: '@prisma/client', name: 'Prisma' }] } : undefined;
}

/** A per-row `create` whose rows a loop collected → one `createMany` (rules/n-plus-one-collect-fix.ts). */
function insertRows({ call, rows, mayCollide, tableText }: RowsInsertInput): { text: string; title: string; rowsType?: RowsType } | undefined {
  if (!scalarCreateRow(call) || !ts.isPropertyAccessExpression(call.expression)) return undefined;
  const delegate = call.expression.expression;
  const recv = delegate.getText();
  const skip = mayCollide ? ', skipDuplicates: true' : '';
  // The delegate is the model's name with its first letter lowered (`projectAccess` of `model ProjectAccess`,
  // `user_profile` of `model user_profile`): the schema's model where it is that one, else the delegate's name capitalised.
  const d = ts.isPropertyAccessExpression(delegate) ? delegate.name.text : undefined;
  const lower = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
  const model = /^\s*model\s+(\w+)/.exec(tableText ?? '')?.[1];
  const name = d && model && lower(model) === lower(d) ? model : d && d.charAt(0).toUpperCase() + d.slice(1);
  // Without a Prisma namespace in the file, the type createMany's own `data` takes, read off the delegate the file holds
  // (a client imported from the project's own module): its array member.
  const own = name && /^\w+$/.test(name) ? createManyInputType(call, name) : undefined;
  const rowsType = own ?? (/^[\w$]+(\.[\w$]+)*$/.test(recv) && !/^this\b/.test(recv) ? { type: `Extract<NonNullable<Parameters<typeof ${recv}.createMany>[0]>['data'], unknown[]>` } : undefined);
  return { text: `${recv}.createMany({ data: ${rows}${skip} })`, title: `createMany({ data: ${rows}${skip} })${mayCollide ? ` (${SKIP_NOTE})` : ''}`, rowsType };
}

/** The fields an `@updatedAt` marks in the model's text: Prisma sets them on every update, raw SQL does not. */
function updatedAtColumns(table: TableInfo, modelText: string): string[] {
  const out: string[] = [];
  for (const m of modelText.matchAll(/^\s*(\w+)\s+DateTime\??[^\n]*@updatedAt\b/gm)) {
    const col = [...table.columns.values()].find((c) => c.fieldName === m[1]);
    if (col) out.push(`"${col.name}" = now()`);
  }
  return out;
}

/**
 * `update({ where: { id: K }, data: { a: X } })` per row with per-row values → one `$executeRaw` UPDATE … FROM unnest
 * on the same client (a transaction client stays in its transaction). Scalar values only (no `{ increment }`, no
 * relation writes); `@updatedAt` columns are set to now() as Prisma would.
 */
function rowsUpdate({ call, table, tableText, rows }: RowsUpdateInput): RowsUpdate | undefined {
  if (!ts.isPropertyAccessExpression(call.expression) || call.expression.name.text !== 'update' || call.arguments.length !== 1) return undefined;
  const model = call.expression.expression;
  if (!ts.isPropertyAccessExpression(model)) return undefined;
  const arg = unparen(call.arguments[0]);
  if (!ts.isObjectLiteralExpression(arg) || arg.properties.some((p) => !ts.isPropertyAssignment(p) || !/^(where|data|select|include|omit)$/.test(propName(p) ?? ''))) return undefined;
  const fields = (o: ts.Expression | undefined): { field: string; value: ts.Expression }[] | undefined => {
    if (!o || !ts.isObjectLiteralExpression(unparen(o))) return undefined;
    const out: { field: string; value: ts.Expression }[] = [];
    for (const p of (unparen(o) as ts.ObjectLiteralExpression).properties) {
      if (ts.isShorthandPropertyAssignment(p)) out.push({ field: p.name.text, value: p.name });
      else if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && !ts.isObjectLiteralExpression(unparen(p.initializer)) && !ts.isArrayLiteralExpression(unparen(p.initializer))) out.push({ field: p.name.text, value: p.initializer });
      else return undefined;
    }
    return out;
  };
  const where = fields((fx.objectProp(arg, 'where') as ts.PropertyAssignment | undefined)?.initializer);
  const data = fields((fx.objectProp(arg, 'data') as ts.PropertyAssignment | undefined)?.initializer);
  if (!where?.length || where.some((w) => nullFilter(w.value.getText())) || !data?.length) return undefined;
  const param = (i: number, type: string): string => `\${${rows}.map((r) => r[${i}])}::${type}`;
  const statement = unnestUpdate(table, where.map((w) => w.field), data.map((d) => d.field), param, updatedAtColumns(table, tableText));
  if (!statement) return undefined;
  return {
    tuple: [...where.map((w) => w.value), ...data.map((d) => d.value)],
    text: `${model.expression.getText()}.$executeRaw\`${statement}\``,
    title: `one $executeRaw UPDATE … FROM unnest(…) (${ROWS_UPDATE_NOTE}; it does not throw for a missing row as update does)`,
  };
}

/** A relation write nested in `update`'s data, which `updateMany` does not take. */
const RELATION_WRITE = /^(connect|disconnect|connectOrCreate|create|createMany|upsert|delete|deleteMany|update|updateMany|set)$/;

/**
 * Can `update`'s data go to `updateMany` as written: an object literal of plain fields (no spread, no nested relation
 * write such as `user: { connect: … }`)? `updateMany` takes `<Model>UpdateManyMutationInput`: a variable typed as the
 * update input, or a relation write, fails there.
 */
function manyMutation(e: ts.Expression): boolean {
  e = fx.unparen(e);
  if (!ts.isObjectLiteralExpression(e)) return false;
  return e.properties.every((p) => {
    if (ts.isShorthandPropertyAssignment(p)) return true;
    if (!ts.isPropertyAssignment(p)) return false;
    const v = fx.unparen(p.initializer);
    return !ts.isObjectLiteralExpression(v) || !v.properties.some((q) => RELATION_WRITE.test(propName(q) ?? ''));
  });
}

function batchedWrite({ call, el, coll, keys, uses, mayCollide }: WriteInput): { text: string; title: string; skipsConflicts?: boolean } | undefined {
  if (!ts.isCallExpression(call) || !ts.isPropertyAccessExpression(call.expression) || call.arguments.length !== 1) return undefined;
  const op = call.expression.name.text;
  const recv = call.expression.expression.getText();
  const arg = call.arguments[0];
  if (!ts.isObjectLiteralExpression(arg)) return undefined;
  if (op === 'create') {
    if (arg.properties.length !== 1 || propName(arg.properties[0]) !== 'data' || !ts.isPropertyAssignment(arg.properties[0])) return undefined;
    const data = arg.properties[0].initializer;
    if (!ts.isObjectLiteralExpression(data) || data.properties.some((p) => p.name && ts.isIdentifier(p.name) && fx.objectProp(data, p.name.text) && ts.isPropertyAssignment(p) && ts.isObjectLiteralExpression(p.initializer))) return undefined;
    const skip = mayCollide ? ', skipDuplicates: true' : '';
    return { text: `${recv}.createMany({ data: ${coll}.map((${el}) => (${data.getText()}))${skip} })`, title: `createMany({ data: ${coll}.map(…)${skip} })${mayCollide ? ` (${SKIP_NOTE})` : ''}`, skipsConflicts: mayCollide };
  }
  // updateMany/deleteMany per key with the same other filters and data: one call over every key (`in`), the same rows.
  if (op === 'updateMany' || op === 'deleteMany') {
    if (uses.length !== 1 || arg.properties.some((p) => !ts.isPropertyAssignment(p) || !/^(where|data)$/.test(propName(p) ?? ''))) return undefined;
    const where = fx.objectProp(arg, 'where');
    const key = fx.keyExpression(uses[0]);
    if (!where || !ts.isPropertyAssignment(where) || !key || uses[0].getStart() < where.getStart() || uses[0].getEnd() > where.getEnd()) return undefined;
    const k = fx.keyPropAmong(where.initializer, key);
    if (!k) return undefined;
    const w = where.initializer;
    const start = w.getStart();
    const inList = `${k.field}: { in: ${keys(key)} }`;
    const whereText = `${w.getText().slice(0, k.prop.getStart() - start)}${inList}${w.getText().slice(k.prop.getEnd() - start)}`;
    const rest = arg.getText().slice(0, where.initializer.getStart() - arg.getStart()) + whereText + arg.getText().slice(where.initializer.getEnd() - arg.getStart());
    return { text: `${recv}.${op}(${rest})`, title: `${op}({ where: { ${k.field}: { in } } })` };
  }
  if (op === 'update' || op === 'delete') {
    if (uses.length !== 1) return undefined;
    for (const p of arg.properties) if (!ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p)) return undefined;
    if (arg.properties.some((p) => !/^(where|data)$/.test(propName(p) ?? ''))) return undefined;
    const where = fx.objectProp(arg, 'where');
    const key = fx.keyExpression(uses[0]);
    if (!where || !ts.isPropertyAssignment(where) || !key) return undefined;
    const k = fx.singleKeyProp(where.initializer, key);
    if (!k) return undefined;
    const data = fx.objectProp(arg, 'data');
    if (op === 'update' && (!data || !ts.isPropertyAssignment(data) || !manyMutation(data.initializer))) return undefined;
    const many = op === 'update' ? 'updateMany' : 'deleteMany';
    return {
      text: `${recv}.${many}({ where: { ${k.field}: { in: ${keys(key)} } }${data ? `, ${data.getText()}` : ''} })`,
      title: `${many}({ where: { ${k.field}: { in } } })`,
    };
  }
  return undefined;
}

/**
 * Relation filters in a `where` object, which the query-site model leaves out: `members: { some: {…} }` /
 * `{ is: {…} }` on a relation becomes `id IN (SELECT <fk> FROM … WHERE …)` (or a join on the key), a path
 * through the primary key; a to-one filter written through the relation field (`project: { slug }`)
 * constrains that relation's foreign-key columns, which may complete a composite index prefix
 * (`(projectId, slug)`). `ignore(field, value)`: an inner filter that keeps almost every row (soft delete).
 */
function relationFilters(call: ts.CallExpression, table: TableInfo, ignore: (field: string, value: ts.Expression) => boolean): { keyPath: boolean; fkColumns: string[] } {
  const out = { keyPath: false, fkColumns: [] as string[] };
  const sf = call.getSourceFile();
  const arg = call.arguments[0] && unwrap(call.arguments[0]);
  if (!arg || !ts.isObjectLiteralExpression(arg)) return out;
  const whereProp = arg.properties.find((p) => ts.isPropertyAssignment(p) && p.name.getText(sf) === 'where') as ts.PropertyAssignment | undefined;
  const where = whereProp && unwrap(whereProp.initializer);
  if (!where || !ts.isObjectLiteralExpression(where)) return out;
  for (const p of where.properties) {
    if (!ts.isPropertyAssignment(p)) continue;
    const key = p.name.getText(sf).replace(/^["']|["']$/g, '');
    if (findColumn(table, key) || /^(AND|OR|NOT)$/.test(key)) continue;
    const v = unwrap(p.initializer);
    if (!ts.isObjectLiteralExpression(v)) continue;
    const keys = v.properties.map((q) => q.name?.getText(sf));
    const fk = table.foreignKeys?.find((f) => f.field === key);
    // `organization: { deletedAt: null }` keeps almost every parent row: it fixes nothing.
    const isObj = keys.length === 1 && keys[0] === 'is' && ts.isPropertyAssignment(v.properties[0]) ? unwrap(v.properties[0].initializer) : v;
    const inner = ts.isObjectLiteralExpression(isObj) ? isObj.properties : v.properties;
    const selective = inner.some((q) => !(ts.isPropertyAssignment(q) && ignore(q.name.getText(sf), q.initializer)));
    if (fk && !keys.includes('isNot') && selective) {
      out.fkColumns.push(...fk.columns);
      continue;
    }
    // A back-relation (the key lives on the other table): `some`/`is` select this table's rows by key.
    if (!fk && (keys.includes('some') || keys.includes('is')) && table.indexes.some((ix) => ix.kind === 'primary')) out.keyPath = true;
  }
  return out;
}

function unwrap(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isAwaitExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  return e;
}

function batchAdvice(site: QuerySite): string {
  const col = site.filters.find((f) => f.op === 'eq')?.column ?? 'id';
  if (site.kind !== 'write') return `load all rows at once with \`findMany({ where: { ${col}: { in: … } } })\` and look them up in a Map`;
  if (site.operation === 'create') return 'collect the rows and write them in one `createMany({ data: rows })` (with `skipDuplicates` where a unique key can collide)';
  if (site.operation === 'delete') return `delete every element's row in one \`deleteMany({ where: { ${col}: { in: … } } })\``;
  if (site.operation === 'update') return `update every element in one statement: \`updateMany({ where: { ${col}: { in: … } } })\` when the values are the same for all, else one \`UPDATE … FROM (VALUES …)\` through \`$executeRaw\``;
  return 'batch the writes (`createMany`, or `updateMany`/`deleteMany` with `in`)';
}

/**
 * A project path a generated client may be imported from: one naming Prisma (`../generated/prisma`, `@/prisma-client`)
 * or a generated-code folder (`./__generated__`, `../generated/client`: a generator `output` the repository ignores).
 * Only the names `PrismaClient` and `Prisma` imported from it are read as the generated client.
 */
const GENERATED_SPEC = /(^|[/.@])prisma([/-]|$)|prisma[-_]?client|(^|\/)_*generated_*(\/|$)/i;

function generatedImport(spec: string, imported: string): boolean {
  return (imported === 'PrismaClient' || imported === 'Prisma') && GENERATED_SPEC.test(spec);
}

/** nestjs-prisma: `PrismaService extends PrismaClient`, injected into NestJS services. */
const NEST_PRISMA = 'nestjs-prisma';

export const prisma: Adapter<'prisma'> = {
  id: 'prisma',
  displayName: 'Prisma',
  modules: {
    owns: (spec) =>
      spec === '@prisma/client' || spec.startsWith('@prisma/client/') || spec === '.prisma/client' || spec.startsWith('.prisma/client/') || spec === NEST_PRISMA,
    defaultExport: () => '*',
    namespaceExport: () => '*',
    generatedImport,
    mayBeGenerated: (spec) => GENERATED_SPEC.test(spec),
  },
  provenance: {
    exportBinding: (name, origin) => (name === 'Prisma.sql' || name === 'sql' ? exportBound('prisma', 'sql-tag', origin) : undefined),
    construct: (name, origin) => (lastName(name) === 'PrismaClient' ? bind('prisma', 'client', origin) : undefined),
    callExport: none,
    otherDatabase: never,
    typeInstance: (name, _args, origin) => {
      const n = lastName(name);
      const client = n === 'PrismaClient' || name === 'Prisma.TransactionClient' || n === 'TransactionClient' || n === 'PrismaService';
      return client ? bind('prisma', 'client', origin) : undefined;
    },
    // `$extends(…)` returns an extended client; the read-replicas extension's `$primary()`/`$replica()` a client too.
    method: (b, method, _call, origin) => (b.role === 'client' && CLIENT_METHODS.has(method) ? bind('prisma', 'client', origin) : undefined),
    callInstance: none,
    // Every property of a PrismaClient that is not `$…`/`_…` is a model delegate (`prisma.user`).
    property: (b, name) => (b.role === 'client' && !name.startsWith('$') && !name.startsWith('_') ? bind('prisma', 'repository', b.origin, name) : undefined),
    registries: [],
    registryMember: none,
    callbackClient: (recv, method) => {
      if (recv.kind !== 'instance') return undefined;
      const b = recv.binding;
      return b.role === 'client' && method === '$transaction' ? bind('prisma', 'client', b.origin) : undefined;
    },
    injected: none,
    modelClass: never,
  },
  sql: {
    sink: (b, method) => {
      if (b.role !== 'client') return undefined;
      if (method === '$queryRawUnsafe' || method === '$executeRawUnsafe') return 'text';
      if (method === '$queryRaw' || method === '$executeRaw') return 'tag-only';
      return undefined;
    },
    sinkMethods: RAW_METHODS,
    /**
     * A receiver provenance cannot resolve (a client typed through a path alias, `this.#prisma`, a `tx` whose
     * type lives in another package) is still a Prisma client when it is called with one of these. Found on
     * trigger.dev: 0 of 73 raw statements were seen before this, 73 after.
     */
    clientMethods: RAW_METHODS,
    templateRunners: ['$queryRaw', '$executeRaw'],
    exportSink: none,
    tag: (b, member, called) => {
      if (called) return undefined;
      if (member !== undefined) return b.role === 'client' && (member === '$queryRaw' || member === '$executeRaw') ? { executes: true, runsStatement: true } : undefined;
      return b.role === 'sql-tag' ? { executes: false } : undefined;
    },
    textMayBeFragment: false,
    bindParams: (pieces, call, method, _kind, paramTexts, kit) => {
      if (!method?.endsWith('Unsafe')) return undefined;
      call.arguments.slice(1).forEach((e, i) => (paramTexts[i] = e.getText(kit.sf)));
      return pieces;
    },
    resultTypes: [],
    expandsValuesList: false,
    splice: (callee) => (callee.kind === 'export' ? (callee.name === 'Prisma.raw' ? { kind: 'text' } : undefined) : tagHelperSplice(callee)),
    emptyFragment: (name) => name === 'Prisma.empty',
    tableOf: none,
    columnOf: none,
  },
  orm: {
    interpret,
    entityDecl: none,
    entityTable: (schema, entity) => {
      const t = findModel(schema, entity) ?? findModel(schema, entity.charAt(0).toUpperCase() + entity.slice(1));
      return { table: t, name: t?.name ?? entity };
    },
    readsOneRow: oneRowOperation,
    batchRunners: ['$transaction'],
    candidates: ['findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'findMany', 'createMany', 'createManyAndReturn', 'updateMany', 'updateManyAndReturn', 'upsert', 'deleteMany', 'aggregate', 'groupBy', '$queryRaw', '$executeRaw', '$queryRawUnsafe', '$executeRawUnsafe'],
    modelCandidates: ['create', 'update', 'delete', 'count'],
    runs: [],
  },
  schema: {
    globs: [
      '**/prisma/migrations/**/migration.sql',
      '**/prisma/schema.prisma',
      '**/schema.prisma',
      // Prisma's multi-file layout (`prismaSchemaFolder`): prisma/schema/*.prisma, or a schema/ folder of its own;
      // since Prisma 6.7 every .prisma file in the folder of schema.prisma and below (rallly: prisma/models/*.prisma).
      '**/schema/*.prisma',
      '**/prisma/**/*.prisma',
    ],
    schemaFolders: ['prisma'],
    migrationFolders: [],
    fileExtensions: ['.prisma'],
    fileKind: (path) => (path.toLowerCase().endsWith('.prisma') ? 'model' : undefined),
    readModels: prismaTables,
    nonPostgresFolders: (f) => (f.path.toLowerCase().endsWith('.prisma') ? prismaProviderFolders(f) : []),
    migrationTools: [prismaMigrate],
    tsReaders: [],
    schemaLink: none,
  },
  rules: {
    batchAdvice,
    entityListeners: () => undefined,
    nestedRowWrites,
    limitWord: 'take',
    typedRowKeys: true,
    transactionCallbacks: ['$transaction'],
    batchedRead: ({ node, key, write }: BatchInput) => (write || !ts.isCallExpression(node) ? undefined : readMany(node, key)),
    createReturnsRow,
    batchedWrite,
    insertRows,
    rowsUpdate,
    insertRowsCall: none,
    insertRowsType: none,
    isWrite: writesByKind,
    selectColumns: ({ site, node, fields, file, insertOption, relations }) =>
      !/^find/.test(site.operation) ? undefined : relations?.length ? includeAsSelect(node, fields, file) : insertOption('select', fx.fieldsObject(fields)),
    loadedRelations: includedRelations,
    optionsArgIndex: firstArgument,
    // findUnique requires a unique or id filter: always served by an index.
    uniqueLookup: (site) => site.operation.startsWith('findUnique'),
    relationFilters,
    relatedReads,
    loadedTables,
    filterValue,
    // No where key of this library is a JSON path.
    jsonPath: () => undefined,
  },
};

