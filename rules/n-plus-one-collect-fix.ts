/**
 * The batched form of a write that shares its loop body with other code — the shape real N+1 writes have (a body that computes the row, skips some elements, logs):
 *
 *     await db.transaction(async (tx) => {
 *       for (const child of children) {
 *         if (!child.name) continue;
 *         const id = newId();
 *         await tx.insert(folders).values({ id, name: child.name, parentId });
 *       }
 *     });
 *
 * becomes the loop collecting the rows (or the keys of a keyed update/delete) where it wrote them, and
 * one statement after the loop:
 *
 *     const folderRows: (typeof folders.$inferInsert)[] = [];
 *     for (const child of children) { …; folderRows.push({ id, name: child.name, parentId }); }
 *     if (folderRows.length) await tx.insert(folders).values(folderRows);
 *
 * Each row is still computed in its iteration, so anything the row reads keeps its value. Offered where the
 * order of the writes cannot be observed: the loop runs no other write and no read of the written table (or of
 * a table not known), neither written there nor through a helper — reads of other tables see the same rows
 * either way; the write's result is unused (or, RETURNING rows, only spread onto a list declared outside the loop by
 * the next statement: spreadIntoOuter); (one exception: the other write of the same table touches one row by its
 * primary key and one of the two is an insert leaving that key to its default — disjointWrites: no order of the two
 * can make them meet, as in a sync that updates the rows it found and creates the rest); the write sits in the loop's own function (not a closure); the loop
 * body never returns (which would skip the statement after the loop); no failure is handled per element.
 *
 * What a failure means: when the write runs on the parameter of a callback the library runs in one transaction
 * (AdapterRules.transactionCallbacks), in that callback's own body, N statements commit or roll back together
 * exactly as the one batched statement does — a unique key that collides fails both. Outside one, the loop keeps
 * the rows it wrote before a failing one and the batched statement writes all or none: the title says so (a
 * suggestion, as every rewrite here). Where a row could collide with a unique key outside a transaction, the
 * library's batched insert may skip colliding rows (Prisma `createMany({ skipDuplicates: true })`) and the title
 * says that a colliding row is now skipped; otherwise the title says one collision now fails them all.
 *
 * A keyed update writes the same values to every row (nothing but its key depends on the loop); Prisma's
 * `updateMany` does not throw for a missing row as `update` does, which the title says. Inserts use the
 * library's multi-row form (AdapterRules.insertRows: Prisma `create` → `createMany`; else insertRowsCall: the
 * call that takes an array, Drizzle `values`, Knex/TypeORM `insert`, Kysely `values`). One statement binds at
 * most 65,535 values (rows × columns, or keys) where the loop had no limit: the title says to chunk a list
 * that can pass it.
 *
 * The rows array is declared with the library's own row input type (`Prisma.<Model>CreateManyInput[]`, Drizzle
 * `(typeof t.$inferInsert)[]`): untyped, a literal field (`level: 'write'`) would widen to `string` and fail the
 * write's enum-typed column. Where the library names no such type, a row holding a literal is not rewritten.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import { chainCalls, keyExpression, methodOf, unparen, whole } from '../engine/adapters/kit/fix';
import type { RuleContext } from '../engine/context';
import { CallGraph, findNode } from '../engine/sources/call-graph';
import { collectionFirstCallback, enclosingIterations, type IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix, TextEdit } from '../engine/types';
import { anchorStatement, assignedNames, declaredNames, importEdits, perElementErrorHandling, render, soleQueryStatement, tableSource, writeTarget } from './n-plus-one-fix-kit';
import { checkedRow, insertMayCollide, insertRowOf, computesPerRun } from './n-plus-one-fix';
import type { RowsUpdate } from '../engine/adapters/types';

const camel = (s: string): string => s.replace(/[_-](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^\w$]/g, '');

/** The leftmost identifier of a call chain (`tx` of `tx.insert(t).values(…)`, of `tx.user.update(…)`). */
export function chainRoot(e: ts.Expression): ts.Identifier | undefined {
  for (;;) {
    e = unparen(e);
    if (ts.isCallExpression(e) || ts.isPropertyAccessExpression(e)) e = e.expression;
    else return ts.isIdentifier(e) ? e : undefined;
  }
}

/** Is `fn` the callback of a call the library runs in one transaction, handing it `root` as its first parameter? */
export function transactionCallback(fn: ts.FunctionLikeDeclaration, root: ts.Identifier, patterns: readonly string[]): boolean {
  const p0 = fn.parameters[0];
  if (!p0 || !ts.isIdentifier(p0.name) || p0.name.text !== root.text) return false;
  const call = fn.parent;
  if (!ts.isCallExpression(call) || !call.arguments.includes(fn as unknown as ts.Expression)) return false;
  if (!ts.isPropertyAccessExpression(call.expression)) return false;
  const methods = chainCalls(call).map(methodOf);
  return patterns.some((pat) => pat.split('.').reverse().every((m, i) => methods[i] === m));
}

/** Statements of the loop body that leave the function or an outer loop: the statement after the loop would be skipped. */
function leavesLoop(body: ts.Node, callback = false): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || (ts.isFunctionLike(n) && n !== body)) return;
    // In a per-element callback a `return` ends that element only, as `continue` does.
    if ((ts.isReturnStatement(n) && !callback) || ts.isYieldExpression(n) || ((ts.isBreakStatement(n) || ts.isContinueStatement(n)) && n.label)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

/** Identifiers inside `node` (outside `skip`) that name something the loop declares or assigns. */
function loopUses(node: ts.Node, names: Set<string>, skip?: ts.Node): ts.Identifier[] {
  const out: ts.Identifier[] = [];
  const visit = (n: ts.Node): void => {
    if (n === skip) return;
    if (ts.isIdentifier(n) && names.has(n.text)) {
      const p = n.parent;
      const isName = (ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n);
      if (!isName) out.push(n);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/**
 * Does the loop run another query that the moved write could change the result of or the order of: a write
 * (the rows it writes may reference this one's, or be written in order), or a read of the same table or of a
 * table not known — written in the loop, or reached through a helper it calls? Reads of other tables see the
 * same rows whether this table's rows are written in the loop or after it. `own`: the call that reaches the moved
 * write itself (a helper that takes a list), not another query.
 */
function otherQueries(ctx: RuleContext, site: QuerySite, scope: IterationScope, own?: ts.Node, moved?: ts.CallExpression, inTx = false): boolean {
  const conflicts = (s: QuerySite): boolean =>
    (s.kind !== 'read' || adapterOf(s.library).rules.isWrite(s, undefined, ctx.project.fileText(s.file)?.slice(s.range.start, s.range.end) ?? '') || !s.table || s.table === site.table) &&
    !(moved && disjointWrites(ctx, site, moved, s, scope)) &&
    !(inTx && independentInsert(ctx, site, s));
  return loopRunsQuery(ctx, site, scope, conflicts, own);
}

/**
 * Does the loop run a query other than `site` (written in it, or reached through a call it makes other than `own`)
 * for which `conflicts` holds, or a call the call graph sees batching queries (not judged)?
 */
export function loopRunsQuery(ctx: RuleContext, site: QuerySite, scope: IterationScope, conflicts: (s: QuerySite) => boolean, own?: ts.Node): boolean {
  const { start, end } = scope.range;
  if (ctx.querySites().some((s) => s.range.start >= start && s.range.end <= end && s.range.start !== site.range.start && conflicts(s))) return true;
  const graph = new CallGraph(ctx.project);
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) && n !== own && (n.getStart() < site.range.start || n.getStart() >= site.range.end)) {
      const q = graph.queriesOfCall(ctx.file.path, n);
      if ((q && q.reached.some((r) => conflicts(r.site))) || graph.batchedQueryOfCall(ctx.file.path, n)) found = true;
    }
    ts.forEachChild(n, visit);
  };
  visit(scope.body);
  return found;
}

/** `await pMap(xs, cb, …);`, `await Promise.all(xs.map(cb));` (or `$transaction`): every callback has ended when the statement has. */
function awaitedRunner(scope: IterationScope, stmt: ts.Statement): boolean {
  if (!ts.isExpressionStatement(stmt) || !ts.isAwaitExpression(unparen(stmt.expression))) return false;
  const first = collectionFirstCallback(scope);
  if (first) return unparen((unparen(stmt.expression) as ts.AwaitExpression).expression) === first;
  return scope.method === 'map' && writeTarget(scope, stmt) && unparen((unparen(stmt.expression) as ts.AwaitExpression).expression) !== scope.node.parent;
}

/** The call a query site of this file executes (its range is the call's), within `within`. */
function siteCall(ctx: RuleContext, s: QuerySite, within: ts.Node): ts.CallExpression | undefined {
  if (s.file !== ctx.file.path) return undefined;
  const n = findNode(within.getSourceFile(), s.range);
  return n && ts.isCallExpression(n) && n.getStart() >= within.getStart() && n.getEnd() <= within.getEnd() ? n : undefined;
}

/** Operations that insert rows and nothing else, by the name the library's call has. */
export const INSERTS = /^(insert|insertInto|create|createMany|createManyAndReturn|bulkCreate)$/;

/**
 * In one transaction, may the moved insert follow the loop although the loop inserts other rows: `other` inserts into
 * a known table other than the moved one, one whose foreign keys the schema records and none of which references the
 * moved table? Then no row the loop writes can point at a row the moved insert now writes later, and no read of the
 * moved table sees fewer rows (reads are checked apart); the moved rows may reference the loop's rows, which are
 * written earlier still. A failure rolls every statement back either way. Not an update or delete (its rows may be
 * the ones the moved rows reference), not a write of an unknown table or one whose keys are not known.
 */
function independentInsert(ctx: RuleContext, site: QuerySite, other: QuerySite): boolean {
  if (other.kind !== 'write' || !other.table || !site.table || other.table === site.table || !INSERTS.test(other.operation)) return false;
  if (!INSERTS.test(site.operation)) return false;
  const t = ctx.table(other.table);
  const moved = ctx.table(site.table);
  if (!t || !moved || !t.foreignKeys?.length) return false;
  return !t.foreignKeys.some((fk) => fk.refTable === moved.name && fk.refSchema === moved.schema);
}

/**
 * Can the moved write and another write of the same table in the loop never touch the same row, whatever their
 * order: one is an insert that leaves the table's one-column primary key to its default (its new key is generated and,
 * its result unused, known to no code), the other writes one row by that primary key alone (an equality on it, every
 * filter a conjunct) — an existing row, which the loop read or was given, never one the loop inserts. Both are
 * statements of the loop itself (not in a callback), the other one's result is unused too.
 */
function disjointWrites(ctx: RuleContext, site: QuerySite, moved: ts.CallExpression, other: QuerySite, scope: IterationScope): boolean {
  if (other.table !== site.table || other.library !== site.library || !site.table || other.range.start === site.range.start) return false;
  const table = ctx.table(site.table);
  const pk = table?.indexes.find((i) => i.kind === 'primary' && !i.predicate);
  const pkCol = pk && pk.keys.length === 1 ? pk.keys[0].column : undefined;
  const otherCall = siteCall(ctx, other, scope.body);
  if (!table || !pkCol || !otherCall) return false;
  const adapter = adapterOf(site.library);
  const colName = (field: string): string => [...table.columns.values()].find((c) => c.name === field || c.fieldName === field)?.name ?? field;
  const insertWithoutKey = (call: ts.CallExpression): boolean => {
    const row = insertRowOf(call);
    return !!row && row.properties.every((p) => (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && !!p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && colName(p.name.text) !== pkCol);
  };
  // An update whose whole filter is the key (the adapter's per-row update form takes it: `where: { id }` alone), or
  // any write whose filter the adapter read as one conjunction holding an equality on the key.
  const oneKeyUpdate = (call: ts.CallExpression): boolean => !!adapter.rules.rowsUpdate({ call, table, tableText: '', rows: 'rows' });
  const byKey = (s: QuerySite, call: ts.CallExpression): boolean =>
    insertRowOf(call) === null &&
    adapter.rules.isWrite(s, call, call.getText()) &&
    !s.opaqueFilter &&
    !s.filterHidden &&
    s.filters.some((f) => f.op === 'eq' && !f.or && colName(f.column) === pkCol) &&
    (!!s.conjunctive || (s.filters.length === 1 && oneKeyUpdate(call)));
  // The other statement's result unused: `await call;` in the loop's own body.
  let e: ts.Node = otherCall;
  while (ts.isParenthesizedExpression(e.parent)) e = e.parent;
  if (!ts.isAwaitExpression(e.parent) || !ts.isExpressionStatement(e.parent.parent)) return false;
  for (let n: ts.Node = e.parent.parent; n !== scope.body; n = n.parent) if (!n || ts.isFunctionLike(n)) return false;
  return (insertWithoutKey(moved) && byKey(other, otherCall)) || (insertWithoutKey(otherCall) && byKey(site, moved));
}

export function collectWriteFix(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope): Fix | undefined {
  try {
    return scope.kind === 'callback' ? (mappedUpdates(ctx, site, node, scope) ?? build(ctx, site, node, scope)) : build(ctx, site, node, scope);
  } catch {
    return undefined;
  }
}

/** The loop and the write statement, when the write can move out of it; whether it runs in one transaction. */
interface Placed {
  call: ts.CallExpression;
  /** `await <call>;`, or `const rows = await <call>;` (spreadInto). */
  stmt: ts.ExpressionStatement | ts.VariableStatement;
  fn: ts.FunctionLikeDeclaration | ts.SourceFile;
  /** The loop statement, or the callback (its names are per element). */
  loop: ts.Node;
  /** The statement the collected array is declared before and written after. */
  around: ts.Statement;
  inTx: boolean;
  /** The write's returned rows were spread onto a list outside the loop (spreadIntoOuter): that list and its push. */
  spreadInto?: { target: string; push: ts.ExpressionStatement };
}

/**
 * `await <call>;` as a statement of the `for…of` loop's own function (its result unused), which can move after the
 * loop: no per-element failure handling, no return out of the loop, no other query the move could reorder (`own`: a
 * helper's call that reaches the moved write itself). The statement and the loop's anchor.
 */
export function movableStatement(ctx: RuleContext, site: QuerySite, call: ts.CallExpression, scope: IterationScope, own?: ts.Node, relaxed = false): { stmt: ts.ExpressionStatement; anchor: NonNullable<ReturnType<typeof anchorStatement>> } | undefined {
  let e: ts.Node = call;
  while (ts.isParenthesizedExpression(e.parent)) e = e.parent;
  if (!ts.isAwaitExpression(e.parent) || !ts.isExpressionStatement(e.parent.parent)) return undefined;
  const stmt = e.parent.parent;
  const anchor = movableAt(ctx, site, call, scope, stmt, own, relaxed);
  return anchor ? { stmt, anchor } : undefined;
}

/** The checks of movableStatement for the statement `stmt` holding `call`: the loop's anchor, or undefined. */
function movableAt(ctx: RuleContext, site: QuerySite, call: ts.CallExpression, scope: IterationScope, stmt: ts.Statement, own?: ts.Node, relaxed = false): NonNullable<ReturnType<typeof anchorStatement>> | undefined {
  const outer = relaxed ? outermostLoop(scope) : undefined;
  const anchor = outer?.anchor ?? anchorStatement(scope) ?? nestedAnchor(scope);
  // A loop statement; or an awaited statement whose value is unused that runs every element's callback to its end
  // before it completes (`await pMap(xs, cb)`, `await Promise.all(xs.map(cb))`): the statement after it sees every push.
  const callback = scope.kind === 'callback';
  if (!anchor || (callback ? !awaitedRunner(scope, anchor.stmt) : anchor.stmt !== scope.node && anchor.stmt !== outerLoopOf(scope) && anchor !== outer?.anchor)) return undefined;
  for (let p: ts.Node = stmt.parent; p !== scope.node; p = p.parent) if (ts.isFunctionLike(p)) return undefined;
  // Around an outer loop its whole body is what runs before the one statement.
  const around = outer?.scope ?? scope;
  if (perElementErrorHandling(call, scope) || leavesLoop(scope.body, callback) || leavesLoop(around.body, callback)) return undefined;
  if (relaxed && !transactionAnchor(site, call, anchor)) return undefined;
  if (otherQueries(ctx, site, around, own, call, relaxed)) return undefined;
  return anchor;
}

/** Is the anchor's function a transaction callback handing out the client the write runs on? */
function transactionAnchor(site: QuerySite, call: ts.CallExpression, anchor: NonNullable<ReturnType<typeof anchorStatement>>): boolean {
  const root = chainRoot(call.expression);
  return !!root && !ts.isSourceFile(anchor.fn) && transactionCallback(anchor.fn, root, adapterOf(site.library).rules.transactionCallbacks);
}

/**
 * The outermost `for…of`/`for` loop around `scope`'s loop in the same function, where the statement after it is not
 * itself run per element (anchorStatement): the rows of every iteration of every loop inside are collected around it.
 */
function outermostLoop(scope: IterationScope): { scope: IterationScope; anchor: NonNullable<ReturnType<typeof anchorStatement>> } | undefined {
  if (scope.kind !== 'for-of' && scope.kind !== 'for') return undefined;
  for (const s of enclosingIterations(scope.node)) {
    if (s.node === scope.node) continue;
    if (s.kind !== 'for-of' && s.kind !== 'for') return undefined;
    for (let p: ts.Node = scope.node.parent; p !== s.node; p = p.parent) if (!p || ts.isFunctionLike(p)) return undefined;
    const anchor = anchorStatement(s);
    if (anchor) return anchor.stmt === s.node ? { scope: s, anchor } : undefined;
  }
  return undefined;
}

/**
 * `const rows = await <insert … returning>; out.push(...rows);` as two consecutive statements of the loop body, `rows`
 * read nowhere else, `out` declared outside the loop: the returned rows only join `out`, so one multi-row INSERT …
 * RETURNING after the loop can push them all (in the order of the rows, as the loop pushed them).
 */
function spreadIntoOuter(call: ts.CallExpression, scope: IterationScope): { stmt: ts.VariableStatement; push: ts.ExpressionStatement; target: string } | undefined {
  if (!chainCalls(call).some((c) => methodOf(c) === 'returning')) return undefined;
  let e: ts.Node = call;
  while (ts.isParenthesizedExpression(e.parent)) e = e.parent;
  const decl = e.parent.parent;
  if (!ts.isAwaitExpression(e.parent) || !ts.isVariableDeclaration(decl) || !ts.isIdentifier(decl.name) || !ts.isVariableDeclarationList(decl.parent) || decl.parent.declarations.length !== 1) return undefined;
  const stmt = decl.parent.parent;
  const body = scope.body;
  if (!ts.isVariableStatement(stmt) || !ts.isBlock(body) || stmt.parent !== body) return undefined;
  const push = body.statements[body.statements.indexOf(stmt) + 1];
  const name = decl.name.text;
  if (!push || !ts.isExpressionStatement(push) || !ts.isCallExpression(push.expression)) return undefined;
  const pc = push.expression;
  if (!ts.isPropertyAccessExpression(pc.expression) || pc.expression.name.text !== 'push' || pc.arguments.length !== 1) return undefined;
  const spread = pc.arguments[0];
  if (!ts.isSpreadElement(spread) || !ts.isIdentifier(spread.expression) || spread.expression.text !== name) return undefined;
  const target = pc.expression.expression;
  if (!(ts.isIdentifier(target) || (ts.isPropertyAccessExpression(target) && target.expression.kind === ts.SyntaxKind.ThisKeyword)) || declaredNames(scope.node).has(target.getText())) return undefined;
  // `rows` read nowhere but in the push.
  let uses = 0;
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && n.text === name && n !== decl.name) uses++;
    ts.forEachChild(n, visit);
  };
  visit(body);
  return uses === 1 ? { stmt, push, target: target.getText() } : undefined;
}

/**
 * The `for…of` loop whose body is `scope`'s loop alone (`for (const level of levels) { for (const wf of level.workflows)
 * { … } }`): the rows of both loops can be collected around the outer one, one statement for all.
 */
function outerLoopOf(scope: IterationScope): ts.ForOfStatement | undefined {
  if (scope.kind !== 'for-of' || !ts.isForOfStatement(scope.node)) return undefined;
  let inner: ts.Node = scope.node;
  const p = inner.parent;
  if (ts.isBlock(p)) {
    if (p.statements.length !== 1) return undefined;
    inner = p;
  }
  const outer = inner.parent;
  return ts.isForOfStatement(outer) && outer.statement === inner && !outer.awaitModifier ? outer : undefined;
}

/** anchorStatement for the outer loop of a perfectly nested pair (outerLoopOf). */
function nestedAnchor(scope: IterationScope): ReturnType<typeof anchorStatement> {
  const outer = outerLoopOf(scope);
  if (!outer) return undefined;
  const outerScope = enclosingIterations(scope.node).find((s) => s.node === outer);
  return outerScope && outerScope.kind === 'for-of' ? anchorStatement(outerScope) : undefined;
}

function place(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope): Placed | undefined {
  if (!ts.isCallExpression(node) || !(((scope.kind === 'for-of' || scope.kind === 'for-await') && ts.isForOfStatement(scope.node)) || (scope.kind === 'callback' && ts.isFunctionLike(scope.node)))) return undefined;
  const adapter = adapterOf(site.library);
  if (!adapter.rules.isWrite(site, node, node.getText())) return undefined;
  const spread = movableStatement(ctx, site, node, scope) ? undefined : spreadIntoOuter(node, scope);
  const m =
    (spread ? (() => { const anchor = movableAt(ctx, site, node, scope, spread.stmt); return anchor ? { stmt: spread.stmt, anchor } : undefined; })() : movableStatement(ctx, site, node, scope)) ??
    (spread ? undefined : movableStatement(ctx, site, node, scope, undefined, true));
  if (!m) return undefined;
  const { stmt, anchor } = m;
  const root = chainRoot(node.expression);
  const inTx = !!root && !ts.isSourceFile(anchor.fn) && transactionCallback(anchor.fn, root, adapter.rules.transactionCallbacks);
  // Around a nested pair the outer loop's names are per element too.
  return { call: node, stmt, fn: anchor.fn, loop: anchor.stmt === scope.node ? scope.node : anchor.stmt, around: anchor.stmt, inTx, ...(spread ? { spreadInto: { target: spread.target, push: spread.push } } : {}) };
}

/** What the loop pushes, the array's name, and the one statement after the loop. */
interface Collected {
  collected: string;
  pushed: string;
  batched: string;
  title: string;
  imports: { module: string; name: string }[];
  /** The array's declared type: the library's own row input type (AdapterRules.insertRows/insertRowsType). */
  type?: string;
}

/**
 * Would a value of the row lose its type in an untyped `const rows = []`: a literal (`level: 'write'`, also in a
 * conditional or `??`, or a `const` of the function holding one) widens to `string`/`number` there, where the
 * write call's parameter kept it an enum or literal union. Without the library's row type such a rewrite is not offered.
 */
function widensInUntypedArray(row: ts.ObjectLiteralExpression, fnText: string): boolean {
  const literal = (e: ts.Expression): boolean => {
    e = unparen(e);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isNumericLiteral(e)) return true;
    if (ts.isPrefixUnaryExpression(e)) return literal(e.operand);
    if (ts.isConditionalExpression(e)) return literal(e.whenTrue) || literal(e.whenFalse);
    if (ts.isBinaryExpression(e) && /^(\?\?|\|\||&&)$/.test(e.operatorToken.getText())) return literal(e.left) || literal(e.right);
    if (ts.isObjectLiteralExpression(e)) return widensInUntypedArray(e, fnText);
    if (ts.isArrayLiteralExpression(e)) return e.elements.some((x) => !ts.isSpreadElement(x) && literal(x));
    // `const level = 'write'` has a literal type that widens where the object is not contextually typed.
    if (ts.isIdentifier(e)) return new RegExp(`\\bconst\\s+${e.text.replace(/\$/g, "\\$")}\\s*=\\s*['"\`\\d-]`).test(fnText);
    return false;
  };
  return row.properties.some((p) => (ts.isPropertyAssignment(p) ? literal(p.initializer) : ts.isShorthandPropertyAssignment(p) ? literal(p.name) : true));
}

function collectRows(ctx: RuleContext, site: QuerySite, p: Placed, row: ts.ObjectLiteralExpression | undefined, loopNames: Set<string>, name: (suffix: string) => string | undefined): Collected | undefined {
  const adapter = adapterOf(site.library);
  const node = p.call;
  const collected = name('Rows');
  if (row === undefined && collected) return collectRowLists(site, p, loopNames, collected);
  if (!row || !collected || loopUses(node, loopNames, row).length) return undefined;
  // In one transaction a collision fails the loop and the batch alike; outside one, the note below says what changes.
  const mayCollide = !p.inTx && insertMayCollide(ctx, site, node);
  const table = site.table ? ctx.table(site.table) : undefined;
  const own = adapter.rules.insertRows({ call: node, row, rows: collected, mayCollide, tableText: table ? tableSource(ctx, table) : undefined });
  const fnText = p.fn.getText();
  if (own) {
    if (!own.rowsType && widensInUntypedArray(row, fnText)) return undefined;
    return { collected, pushed: row.getText(), batched: own.text, title: `collect the rows and insert them after the loop in one ${own.title}`, imports: own.rowsType?.imports ?? [], type: own.rowsType?.type };
  }
  const calls = chainCalls(node);
  const methods = calls.map(methodOf);
  const target = adapter.rules.insertRowsCall(calls, methods);
  if (!target || target.arguments.length !== 1 || checkedRow(target.arguments[0]) !== row) return undefined;
  const rowsType = adapter.rules.insertRowsType(calls, methods);
  if (!rowsType && widensInUntypedArray(row, fnText)) return undefined;
  const title = `collect the rows and insert them in one multi-row INSERT after the loop${mayCollide ? ' (a row that collides with a unique key now fails them all)' : ''}`;
  // The argument as written (`{ … } satisfies NewPost` keeps its check on each pushed row).
  let arg = target.arguments[0];
  while (ts.isParenthesizedExpression(arg)) arg = arg.expression;
  return { collected, pushed: arg.getText(), batched: render(node, [whole(arg, collected)], ''), title, imports: rowsType?.imports ?? [], type: rowsType?.type };
}

/**
 * An insert of a list of rows the iteration built (`values(cardLabels)`, `cardLabels` a `const` of the loop holding an
 * array: a literal, a typed `T[]`, or a `.map`/`.filter`/`.flatMap` result): each iteration's rows are pushed onto one
 * list (`rows.push(...cardLabels)`), typed with the library's row type, and inserted after the loop.
 */
function collectRowLists(site: QuerySite, p: Placed, loopNames: Set<string>, collected: string): Collected | undefined {
  const adapter = adapterOf(site.library);
  const calls = chainCalls(p.call);
  const methods = calls.map(methodOf);
  const target = adapter.rules.insertRowsCall(calls, methods);
  const rowsType = adapter.rules.insertRowsType(calls, methods);
  const arg = target?.arguments.length === 1 ? unparen(target.arguments[0]) : undefined;
  if (!target || !rowsType || !arg || !ts.isIdentifier(arg) || loopUses(p.call, loopNames, arg).length) return undefined;
  if (!rowListDeclared(p.loop, arg.text)) return undefined;
  return { collected, pushed: `...${arg.text}`, batched: render(p.call, [whole(arg, collected)], ''), title: 'collect the rows and insert them in one multi-row INSERT after the loop', imports: rowsType.imports ?? [], type: rowsType.type };
}

/** Is `name` a `const` declared once in `loop` holding an array (literal, `T[]`-typed, or a `.map`/`.filter`/`.flatMap`/`.slice` result)? */
function rowListDeclared(loop: ts.Node, name: string): boolean {
  const decls: ts.VariableDeclaration[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name) decls.push(n);
    ts.forEachChild(n, visit);
  };
  visit(loop);
  const d = decls[0];
  if (decls.length !== 1 || !d.initializer || !ts.isVariableDeclarationList(d.parent) || !(d.parent.flags & ts.NodeFlags.Const)) return false;
  if (d.type && ts.isArrayTypeNode(d.type)) return true;
  const init = unparen(d.initializer);
  if (ts.isArrayLiteralExpression(init)) return true;
  return ts.isCallExpression(init) && ts.isPropertyAccessExpression(init.expression) && /^(map|filter|flatMap|slice)$/.test(init.expression.name.text);
}

function collectKeys(ctx: RuleContext, site: QuerySite, p: Placed, loopNames: Set<string>, name: (suffix: string) => string | undefined): Collected | undefined {
  const adapter = adapterOf(site.library);
  const node = p.call;
  const uses = loopUses(node, loopNames);
  if (uses.length !== 1) return undefined;
  const key = keyExpression(uses[0]);
  const collected = name('Keys');
  if (!key || !collected || computesPerRun(site, node, key)) return undefined;
  const table = site.table ? ctx.table(site.table) : undefined;
  const b = adapter.rules.batchedRead({ site, node, key, write: true, table });
  if (b) return { collected, pushed: key.getText(), batched: render(node, b.pieces, collected), title: `collect the keys and write them in one statement after the loop (${b.title})`, imports: b.imports ?? [] };
  const op = methodOf(node);
  if (op !== 'update' && op !== 'delete') return undefined;
  const w = adapter.rules.batchedWrite({ site, call: node, el: uses[0].text, coll: collected, keys: () => collected, uses });
  if (!w) return undefined;
  const missing = op === 'update' ? '; it does not throw for a missing row as update does' : '';
  return { collected, pushed: key.getText(), batched: w.text, title: `collect the keys and write them in one statement after the loop (${w.title}${missing})`, imports: [] };
}

/** The library's one UPDATE … FROM unnest for a keyed update whose values the loop computes per row. */
function rowsUpdateOf(ctx: RuleContext, site: QuerySite, call: ts.CallExpression, rows: string, loopNames: Set<string>): RowsUpdate | undefined {
  const table = site.table ? ctx.table(site.table) : undefined;
  if (!table || methodOf(call) !== 'update' && !chainCalls(call).some((c) => methodOf(c) === 'update')) return undefined;
  const u = adapterOf(site.library).rules.rowsUpdate({ call, table, tableText: tableSource(ctx, table), rows });
  if (!u) return undefined;
  // Only the row's key and values may read what the loop declares or assigns: the rest is the same for every row.
  const inTuple = (id: ts.Identifier): boolean => u.tuple.some((t) => id.getStart() >= t.getStart() && id.getEnd() <= t.getEnd());
  return loopUses(call, loopNames).every(inTuple) ? u : undefined;
}

function collectUpdates(ctx: RuleContext, site: QuerySite, p: Placed, loopNames: Set<string>, name: (suffix: string) => string | undefined): Collected | undefined {
  const collected = name('Updates');
  const u = collected ? rowsUpdateOf(ctx, site, p.call, collected, loopNames) : undefined;
  if (!u || !collected) return undefined;
  const pushed = `[${u.tuple.map((t) => t.getText()).join(', ')}]`;
  return { collected, pushed, batched: u.text, title: `collect each row's key and values and update them after the loop in ${u.title}`, imports: u.imports ?? [] };
}

/**
 * `await Promise.all(xs.map((x) => update(key of x, values of x)))` (or `$transaction(xs.map(…))`), the update
 * alone: the tuples are mapped from the collection and one UPDATE … FROM unnest replaces the statement.
 */
function mappedUpdates(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope): Fix | undefined {
  const sf = ctx.tsAst();
  const cb = scope.node;
  if (!sf || scope.kind !== 'callback' || scope.method !== 'map' || !ts.isCallExpression(node) || !scope.collectionExpr || !ts.isFunctionLike(cb) || cb.parameters.length !== 1) return undefined;
  const anchor = anchorStatement(scope);
  if (!anchor || !soleQueryStatement(scope, node) || !writeTarget(scope, anchor.stmt) || perElementErrorHandling(node, scope)) return undefined;
  const entity = camel(site.entity ?? site.table ?? 'rows');
  const rows = `${entity.charAt(0).toLowerCase()}${entity.slice(1)}Updates`;
  if (new RegExp(`\\b${rows}\\b`).test(anchor.fn.getText())) return undefined;
  const u = rowsUpdateOf(ctx, site, node, rows, declaredNames(cb));
  if (!u) return undefined;
  const edits: TextEdit[] = [];
  for (const imp of u.imports ?? []) {
    const ie = importEdits(ctx, sf, imp.module, imp.name);
    if (!ie) return undefined;
    edits.push(...ie);
  }
  const text = ctx.file.text;
  const at = anchor.stmt.getStart();
  const indent = /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', at - 1) + 1))![0];
  const coll = unparen(scope.collectionExpr).getText();
  const mapped = `const ${rows} = ${coll}.map((${cb.parameters[0].getText()}) => [${u.tuple.map((t) => t.getText()).join(', ')}]);`;
  edits.push({ file: ctx.file.path, range: { start: at, end: anchor.stmt.getEnd() }, newText: `${mapped}\n${indent}if (${rows}.length) await ${u.text};` });
  const what = site.table ?? site.entity ?? 'rows';
  // `$transaction(xs.map(…))` commits or fails as one, as the statement does; `Promise.all` may leave some rows updated.
  const runner = ts.isExpressionStatement(anchor.stmt) ? unparen(anchor.stmt.expression) : undefined;
  const call = runner && ts.isAwaitExpression(runner) ? unparen(runner.expression) : runner;
  const inTx = !!call && ts.isCallExpression(call) && adapterOf(site.library).rules.transactionCallbacks.includes(methodOf(call));
  const where = inTx ? 'one transaction either way' : 'the concurrent per-row updates could fail part-way, the one statement writes all or none';
  return { title: `Update \`${what}\` for all of \`${coll}\` in one statement (${where}): ${u.title}`, safety: 'suggestion', edits };
}

function build(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope): Fix | undefined {
  const sf = ctx.tsAst();
  const p = sf ? place(ctx, site, node, scope) : undefined;
  if (!sf || !p) return undefined;
  // What the loop declares (the element too) or assigns: only the row, or the key, may read it.
  const loopNames = declaredNames(p.loop);
  for (const n of assignedNames(scope.body)) loopNames.add(n);
  for (const n of assignedNames(p.loop)) loopNames.add(n);
  const fnText = p.fn.getText();
  const entity = camel(site.entity ?? site.table ?? 'rows');
  const base = entity.charAt(0).toLowerCase() + entity.slice(1);
  const name = (suffix: string): string | undefined => (new RegExp(`\\b${base}${suffix}\\b`).test(fnText) ? undefined : `${base}${suffix}`);
  const row = insertRowOf(p.call);
  // Pushed from a callback, an untyped `[]` cannot evolve its type (TS7034): the rows need the library's row type;
  // the update tuples are typed `unknown[][]`, which each library's raw statement takes; collected keys are not offered.
  const callback = scope.kind === 'callback';
  const c = row !== null ? collectRows(ctx, site, p, row, loopNames, name) : ((callback ? undefined : collectKeys(ctx, site, p, loopNames, name)) ?? collectUpdates(ctx, site, p, loopNames, name));
  if (!c || (callback && !c.type && row !== null)) return undefined;
  if (callback && row === null) c.type = 'unknown[][]';
  const edits: TextEdit[] = [];
  for (const imp of c.imports) {
    const ie = importEdits(ctx, sf, imp.module, imp.name);
    if (!ie) return undefined;
    edits.push(...ie);
  }
  const text = ctx.file.text;
  const loopStart = p.around.getStart();
  const loopEnd = p.around.getEnd();
  const indent = /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', loopStart - 1) + 1))![0];
  edits.push({ file: ctx.file.path, range: { start: loopStart, end: loopStart }, newText: `const ${c.collected}${c.type ? `: ${c.type}` : ''} = [];\n${indent}` });
  // A row written over several lines keeps its shape at the statement's indentation.
  const lineIndent = (pos: number): string => /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', pos - 1) + 1))![0];
  const from = row ? lineIndent(row.getStart()) : '';
  const to = lineIndent(p.stmt.getStart());
  const pushed = row && from !== to ? c.pushed.split('\n').map((l, i) => (i > 0 && l.startsWith(from) ? to + l.slice(from.length) : l)).join('\n') : c.pushed;
  edits.push({ file: ctx.file.path, range: { start: p.stmt.getStart(), end: p.stmt.getEnd() }, newText: `${c.collected}.push(${pushed});` });
  // The returned rows' push goes with the write, after the loop.
  if (p.spreadInto) edits.push({ file: ctx.file.path, range: { start: p.stmt.getEnd(), end: p.spreadInto.push.getEnd() }, newText: '' });
  const after = p.spreadInto ? `${p.spreadInto.target}.push(...(await ${c.batched}))` : `await ${c.batched}`;
  edits.push({ file: ctx.file.path, range: { start: loopEnd, end: loopEnd }, newText: `\n${indent}if (${c.collected}.length) ${after};` });
  const what = site.table ?? site.entity ?? 'rows';
  // Outside a transaction the loop kept the rows it wrote before a failing one; the one statement writes all or none.
  const where = p.inTx ? 'same transaction' : 'not in a transaction: the loop kept the rows written before a failure, the one statement writes all or none';
  // PostgreSQL takes at most 65,535 bind parameters in one statement (rows × columns, or keys): the loop had no such limit.
  const spreadNote = p.spreadInto ? `, pushing the rows it returns onto \`${p.spreadInto.target}\`` : '';
  return { title: `Write \`${what}\` once for the whole loop (${where}): ${c.title}${spreadNote}; chunk a list that can pass 65,535 bound values`, safety: 'suggestion', edits };
}
