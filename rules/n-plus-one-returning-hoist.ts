/**
 * An insert whose new row the loop reads, moved before the loop as one multi-row INSERT … RETURNING (issue 13, writes
 * in a loop whose returned value is "mapped in order via returning"):
 *
 *     for (const card of sortedCards) {                     let createdCardIndex = 0;
 *       const [createdCard] = await tx                      const createdCardRows = sortedCards.length ? await tx
 *         .insert(cards).values({ title: card.title })   →    .insert(cards).values(sortedCards.map((card) => ({ title: card.title })))
 *         .returning({ id: cards.id });                         .returning({ id: cards.id }) : [];
 *       …createdCard.id…                                    for (const card of sortedCards) {
 *     }                                                       const createdCard = createdCardRows[createdCardIndex++];
 *                                                             …createdCard.id…
 *
 * Offered where nothing can tell the difference but the round trips: the insert is the first statement of a `for…of`
 * body not itself inside another per-element loop (there the one INSERT would still run per outer element) (it ran once per element, before anything else of the iteration), `const [row] = await <insert>.returning(…)`
 * with one object-literal row that reads the element and names from outside the loop only (no `await` in it); the loop
 * runs in the callback of a transaction handing out the insert's client (a failure later in the loop rolled the rows
 * back before and does now); every other query of the loop (written there or through a helper) is a write of another
 * known table, and the moved table's foreign keys are recorded and reference none of those tables (no row the moved
 * insert writes can point at a row the loop writes later); its reads are of other known tables. The rows come back
 * in the order of the VALUES list (PostgreSQL returns a multi-row INSERT's rows in the order it inserts them), each
 * read by its position. The library's insert call takes the list (AdapterRules.insertRowsCall: Drizzle/Kysely
 * `values`, Knex `insert`); an empty collection sends nothing (Drizzle rejects `values([])`).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import { chainCalls, methodOf, unparen, whole } from '../engine/adapters/kit/fix';
import type { RuleContext } from '../engine/context';
import type { IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix } from '../engine/types';
import { chainRoot, INSERTS, loopRunsQuery, transactionCallback } from './n-plus-one-collect-fix';
import { anchorStatement, assignedNames, declaredNames, isPlainRef, perElementErrorHandling, render } from './n-plus-one-fix-kit';
import { namesRead } from './n-plus-one-prefetch-fix';

export function returningHoistFix(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope): Fix | undefined {
  try {
    return build(ctx, site, node, scope);
  } catch {
    return undefined;
  }
}

/** `const [row] = await <call>;` as the first statement of the loop's block: the statement and the name. */
function firstRowStatement(call: ts.CallExpression, body: ts.Node): { stmt: ts.VariableStatement; name: string } | undefined {
  let e: ts.Node = call;
  while (ts.isParenthesizedExpression(e.parent)) e = e.parent;
  const decl = e.parent.parent;
  if (!ts.isAwaitExpression(e.parent) || !ts.isVariableDeclaration(decl) || decl.initializer !== e.parent || !ts.isArrayBindingPattern(decl.name) || decl.name.elements.length !== 1) return undefined;
  const be = decl.name.elements[0];
  if (!ts.isBindingElement(be) || be.dotDotDotToken || be.initializer || be.propertyName || !ts.isIdentifier(be.name)) return undefined;
  const list = decl.parent;
  if (!ts.isVariableDeclarationList(list) || list.declarations.length !== 1) return undefined;
  const stmt = list.parent;
  if (!ts.isVariableStatement(stmt) || !ts.isBlock(body) || body.statements[0] !== stmt) return undefined;
  return { stmt, name: be.name.text };
}

function build(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope): Fix | undefined {
  const loop = scope.node;
  if (!ts.isCallExpression(node) || scope.kind !== 'for-of' || !ts.isForOfStatement(loop) || loop.awaitModifier || !ts.isBlock(loop.parent)) return undefined;
  const adapter = adapterOf(site.library);
  if (!site.table || !INSERTS.test(site.operation) || !adapter.rules.isWrite(site, node, node.getText())) return undefined;
  const calls = chainCalls(node);
  const methods = calls.map(methodOf);
  const target = adapter.rules.insertRowsCall(calls, methods);
  const row = target?.arguments.length === 1 ? unparen(target.arguments[0]) : undefined;
  if (!methods.includes('returning') || !row || !ts.isObjectLiteralExpression(row)) return undefined;
  const first = firstRowStatement(node, scope.body);
  const init = loop.initializer;
  if (!first || !ts.isVariableDeclarationList(init) || init.declarations.length !== 1 || !ts.isIdentifier(init.declarations[0].name)) return undefined;
  // Not inside another per-element loop: there the one INSERT would run once per outer element, an N+1 still.
  if (anchorStatement(scope)?.stmt !== loop) return undefined;
  const el = init.declarations[0].name.text;
  const coll = unparen(loop.expression);
  if (!isPlainRef(coll) || perElementErrorHandling(node, scope)) return undefined;
  // The row reads the element and what the loop neither declares nor assigns; it computes nothing asynchronously.
  const loopNames = declaredNames(loop);
  for (const n of assignedNames(loop)) loopNames.add(n);
  if (namesRead(node).some((n) => n.text !== el && loopNames.has(n.text)) || loopNames.has(coll.getText().split('.')[0])) return undefined;
  let awaits = false;
  const visit = (n: ts.Node): void => {
    if (ts.isAwaitExpression(n) || ts.isYieldExpression(n)) awaits = true;
    else ts.forEachChild(n, visit);
  };
  visit(row);
  if (awaits) return undefined;
  // In a transaction callback handing out the insert's client.
  let fn: ts.Node = loop.parent;
  while (!ts.isFunctionLike(fn) && !ts.isSourceFile(fn)) fn = fn.parent;
  const root = chainRoot(node.expression);
  if (ts.isSourceFile(fn) || !root || !transactionCallback(fn as ts.FunctionLikeDeclaration, root, adapter.rules.transactionCallbacks)) return undefined;
  if (!independentOfLoop(ctx, site, scope)) return undefined;
  const fnText = fn.getText();
  const free = (n: string): boolean => !new RegExp(`\\b${n.replace(/\$/g, '\\$')}\\b`).test(fnText);
  const rows = `${first.name}Rows`;
  const index = `${first.name}Index`;
  if (!free(rows) || !free(index)) return undefined;
  const text = ctx.file.text;
  const indentAt = (pos: number): string => /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', pos - 1) + 1))![0];
  const indent = indentAt(loop.getStart());
  const own = indentAt(first.stmt.getStart());
  const mapped = `${coll.getText()}.map((${el}) => (${row.getText()}))`;
  const batched = `${coll.getText()}.length ? await ${render(node, [whole(row, mapped)], '')} : []`;
  // The statement's lines keep their shape at the loop's indentation.
  const moved = batched.split('\n').map((l, i) => (i > 0 && l.startsWith(own) ? indent + l.slice(own.length) : l)).join('\n');
  return {
    title: `Insert \`${site.table}\` for all of \`${coll.getText()}\` in one multi-row INSERT … RETURNING before the loop (same transaction) and read each new row by its position (the rows come back in the order of the list); chunk a list that can pass 65,535 bound values`,
    safety: 'suggestion',
    edits: [
      { file: ctx.file.path, range: { start: loop.getStart(), end: loop.getStart() }, newText: `let ${index} = 0;\n${indent}const ${rows} = ${moved};\n${indent}` },
      { file: ctx.file.path, range: { start: first.stmt.getStart(), end: first.stmt.getEnd() }, newText: `const ${first.name} = ${rows}[${index}++];` },
    ],
  };
}

/**
 * Does every other query of the loop leave the moved insert's rows alone, and can none of the moved rows point at a
 * row the loop writes: each a read of another known table, or a write of a known table other than the moved one
 * which the moved table's recorded foreign keys do not reference?
 */
function independentOfLoop(ctx: RuleContext, site: QuerySite, scope: IterationScope): boolean {
  const moved = ctx.table(site.table!);
  if (!moved || !moved.foreignKeys?.length) return false;
  const fks = moved.foreignKeys;
  const conflicts = (s: QuerySite): boolean => {
    const write = s.kind !== 'read' || adapterOf(s.library).rules.isWrite(s, undefined, ctx.project.fileText(s.file)?.slice(s.range.start, s.range.end) ?? '');
    // A read of another known table sees the same rows whenever the moved rows are written.
    if (!write) return !s.table || s.table === site.table;
    if (!s.table || s.table === site.table) return true;
    const t = ctx.table(s.table);
    return !t || fks.some((fk) => fk.refTable === t.name && fk.refSchema === t.schema);
  };
  return !loopRunsQuery(ctx, site, scope, conflicts);
}
