/**
 * The batched form of a write that shares its loop body with other code, inside a transaction — the
 * shape real N+1 writes have (a body that computes the row, skips some elements, logs):
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
 *     const folderRows = [];
 *     for (const child of children) { …; folderRows.push({ id, name: child.name, parentId }); }
 *     if (folderRows.length) await tx.insert(folders).values(folderRows);
 *
 * Each row is still computed in its iteration, so anything the row reads keeps its value. Offered only
 * where the order of the writes cannot be observed and a failure means the same: the write runs on the
 * parameter of a callback the library runs in one transaction (AdapterRules.transactionCallbacks), in that
 * callback's own body (not a closure), so N statements commit or roll back together exactly as the one
 * batched statement does — a unique key that collides fails both; the loop holds no other query (none
 * written there, none through a helper), so nothing reads the table between the writes, and rows not yet
 * committed are visible to no one else; the write's result is unused; the loop body never returns (which
 * would skip the statement after the loop). A keyed update writes the same values to every row (nothing
 * but its key depends on the loop); Prisma's `updateMany` does not throw for a missing row as `update` does,
 * which the title says. One statement binds at most 65,535 values (rows × columns, or keys) where the loop had
 * no limit: the title says to chunk a list that can pass it.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import { chainCalls, keyExpression, methodOf, unparen, whole } from '../engine/adapters/kit/fix';
import type { RuleContext } from '../engine/context';
import { CallGraph } from '../engine/sources/call-graph';
import { type IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix, TextEdit } from '../engine/types';
import { anchorStatement, assignedNames, declaredNames, importEdits, insertRowOf, perElementErrorHandling, render } from './n-plus-one-fix';

const camel = (s: string): string => s.replace(/[_-](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^\w$]/g, '');

/** The leftmost identifier of a call chain (`tx` of `tx.insert(t).values(…)`, of `tx.user.update(…)`). */
function chainRoot(e: ts.Expression): ts.Identifier | undefined {
  for (;;) {
    e = unparen(e);
    if (ts.isCallExpression(e) || ts.isPropertyAccessExpression(e)) e = e.expression;
    else return ts.isIdentifier(e) ? e : undefined;
  }
}

/** Is `fn` the callback of a call the library runs in one transaction, handing it `root` as its first parameter? */
function transactionCallback(fn: ts.FunctionLikeDeclaration, root: ts.Identifier, patterns: readonly string[]): boolean {
  const p0 = fn.parameters[0];
  if (!p0 || !ts.isIdentifier(p0.name) || p0.name.text !== root.text) return false;
  const call = fn.parent;
  if (!ts.isCallExpression(call) || !call.arguments.includes(fn as unknown as ts.Expression)) return false;
  if (!ts.isPropertyAccessExpression(call.expression)) return false;
  const methods = chainCalls(call).map(methodOf);
  return patterns.some((pat) => pat.split('.').reverse().every((m, i) => methods[i] === m));
}

/** Statements of the loop body that leave the function or an outer loop: the statement after the loop would be skipped. */
function leavesLoop(body: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || (ts.isFunctionLike(n) && n !== body)) return;
    if (ts.isReturnStatement(n) || ts.isYieldExpression(n) || ((ts.isBreakStatement(n) || ts.isContinueStatement(n)) && n.label)) found = true;
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

/** Does the loop run another query: one written in it, or one a called helper runs? */
function otherQueries(ctx: RuleContext, site: QuerySite, scope: IterationScope): boolean {
  const { start, end } = scope.range;
  if (ctx.querySites().some((s) => s.range.start >= start && s.range.end <= end && s.range.start !== site.range.start)) return true;
  const graph = new CallGraph(ctx.project);
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) && (n.getStart() < site.range.start || n.getStart() >= site.range.end)) {
      if (graph.queriesOfCall(ctx.file.path, n) || graph.batchedQueryOfCall(ctx.file.path, n)) found = true;
    }
    ts.forEachChild(n, visit);
  };
  visit(scope.body);
  return found;
}

export function collectWriteFix(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope): Fix | undefined {
  try {
    return build(ctx, site, node, scope);
  } catch {
    return undefined;
  }
}

function build(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope): Fix | undefined {
  if (scope.kind !== 'for-of' || !ts.isCallExpression(node) || !ts.isForOfStatement(scope.node)) return undefined;
  const sf = ctx.tsAst();
  const adapter = adapterOf(site.library);
  if (!sf || !adapter.rules.transactionCallbacks.length || !adapter.rules.isWrite(site, node, node.getText())) return undefined;
  // `await <write>;` as a statement of the loop's own function: its result is unused.
  let e: ts.Node = node;
  while (ts.isParenthesizedExpression(e.parent)) e = e.parent;
  if (!ts.isAwaitExpression(e.parent) || !ts.isExpressionStatement(e.parent.parent)) return undefined;
  const stmt = e.parent.parent;
  const anchor = anchorStatement(scope);
  if (!anchor || anchor.stmt !== scope.node) return undefined;
  for (let p: ts.Node = stmt.parent; p !== scope.node; p = p.parent) if (ts.isFunctionLike(p)) return undefined;
  if (perElementErrorHandling(node, scope) || leavesLoop(scope.body)) return undefined;
  const root = chainRoot(node.expression);
  if (!root || !transactionCallback(anchor.fn, root, adapter.rules.transactionCallbacks)) return undefined;
  if (otherQueries(ctx, site, scope)) return undefined;
  // What the loop declares (the element too) or assigns: only the row, or the key, may read it.
  const loopNames = declaredNames(scope.node);
  for (const n of assignedNames(scope.body)) loopNames.add(n);
  const fnText = anchor.fn.getText();
  const free = (name: string): boolean => !new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`).test(fnText);
  const entity = camel(site.entity ?? site.table ?? 'rows');
  const base = entity.charAt(0).toLowerCase() + entity.slice(1);
  const text = ctx.file.text;
  const lineStart = text.lastIndexOf('\n', scope.node.getStart() - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const table = site.table ? ctx.table(site.table) : undefined;

  let collected: string;
  let pushed: string;
  let batched: string;
  let title: string;
  let imports: { module: string; name: string }[] = [];
  const row = insertRowOf(node);
  if (row !== null) {
    const calls = chainCalls(node);
    const target = adapter.rules.insertRowsCall(calls, calls.map(methodOf));
    if (!row || !target || target.arguments.length !== 1 || unparen(target.arguments[0]) !== row) return undefined;
    if (loopUses(node, loopNames, row).length) return undefined;
    collected = `${base}Rows`;
    if (!free(collected)) return undefined;
    pushed = row.getText();
    batched = render(node, [whole(row, collected)], '');
    title = `collect the rows and insert them in one multi-row INSERT after the loop`;
  } else {
    const uses = loopUses(node, loopNames);
    if (uses.length !== 1) return undefined;
    const key = keyExpression(uses[0]);
    if (!key) return undefined;
    collected = `${base}Keys`;
    if (!free(collected)) return undefined;
    pushed = key.getText();
    const b = adapter.rules.batchedRead({ site, node, key, write: true, table });
    if (b) {
      batched = render(node, b.pieces, collected);
      imports = b.imports ?? [];
      title = `collect the keys and write them in one statement after the loop (${b.title})`;
    } else {
      const op = methodOf(node);
      if (op !== 'update' && op !== 'delete') return undefined;
      const w = adapter.rules.batchedWrite({ site, call: node, el: uses[0].text, coll: collected, keys: () => collected, uses });
      if (!w) return undefined;
      batched = w.text;
      title = `collect the keys and write them in one statement after the loop (${w.title}${op === 'update' ? '; it does not throw for a missing row as update does' : ''})`;
    }
  }
  const edits: TextEdit[] = [];
  for (const imp of imports) {
    const ie = importEdits(ctx, sf, imp.module, imp.name);
    if (!ie) return undefined;
    edits.push(...ie);
  }
  const loopStart = scope.node.getStart();
  const loopEnd = scope.node.getEnd();
  edits.push({ file: ctx.file.path, range: { start: loopStart, end: loopStart }, newText: `const ${collected} = [];\n${indent}` });
  edits.push({ file: ctx.file.path, range: { start: stmt.getStart(), end: stmt.getEnd() }, newText: `${collected}.push(${pushed});` });
  edits.push({ file: ctx.file.path, range: { start: loopEnd, end: loopEnd }, newText: `\n${indent}if (${collected}.length) await ${batched};` });
  const what = site.table ?? site.entity ?? 'rows';
  // PostgreSQL takes at most 65,535 bind parameters in one statement (rows × columns, or keys): the loop had no such limit.
  return { title: `Write \`${what}\` once for the whole loop (same transaction): ${title}; chunk a list that can pass 65,535 bound values`, safety: 'suggestion', edits };
}
