/**
 * A helper that already takes a list, called once per element with one element's list (issue 13: "reads and writes
 * through helpers"). Where the helper's one parameter is a rest parameter (`addAuditLog(...inputs: Input[])`) or
 * an array (`addAuditLogs(inputs: Input[])`) and its body is the one statement that writes that list whole:
 *
 *     for (const graph of deletedGraphs) {                   const addAuditLogArgs: Parameters<typeof auditLogRepo.addAuditLog> = [];
 *       await blob.removeDirectory(graph.id);                for (const graph of deletedGraphs) {
 *       await auditLogRepo.addAuditLog({ … graph … });   →     await blob.removeDirectory(graph.id);
 *     }                                                        addAuditLogArgs.push({ … graph … });
 *                                                            }
 *                                                            if (addAuditLogArgs.length) await auditLogRepo.addAuditLog(...addAuditLogArgs);
 *
 * Each argument is still computed in its iteration, so whatever it reads keeps its value; only the write moves
 * after the loop. Offered under the conditions of the collect rewrite (n-plus-one-collect-fix.ts): a `for…of`,
 * the call awaited as a statement in the loop's own function with its result unused, no per-element failure
 * handling, no `return` out of the loop, no other write and no read of the written table in the loop (itself or
 * through a helper); the receiver is the same for every element; an empty loop still calls nothing. The helper
 * does nothing but that statement, so one call with every argument is the statement over every row. The title says
 * what changes: outside one transaction the loop kept the rows written before a failure, the one call writes all
 * or none. The array's type is the helper's own (`Parameters<typeof …>`), so literal fields keep their types.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import { chainCalls, methodOf, unparen } from '../engine/adapters/kit/fix';
import type { RuleContext } from '../engine/context';
import { findNode, type FunctionRef } from '../engine/sources/call-graph';
import type { IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix } from '../engine/types';
import { movableStatement } from './n-plus-one-collect-fix';
import { assignedNames, declaredNames, elementUses, readNames } from './n-plus-one-fix-kit';

export function listHelperFix(ctx: RuleContext, site: QuerySite, call: ts.Node, scope: IterationScope, helper: FunctionRef): Fix | undefined {
  try {
    return build(ctx, site, call, scope, helper);
  } catch {
    return undefined;
  }
}

/** The helper's body is one statement (`return q`, `await q`, `q`, an expression body) holding the site. */
function bodyIsSite(fn: ts.SignatureDeclaration, site: QuerySite): boolean {
  if (!ts.isFunctionLike(fn) || !('body' in fn) || !fn.body) return false;
  const body = fn.body as ts.Node;
  const inside = (n: ts.Node): boolean => site.range.start >= n.getStart() && site.range.end <= n.getEnd();
  if (!ts.isBlock(body)) return inside(body);
  const st = body.statements;
  if (st.length !== 1) return false;
  const s = st[0];
  return (ts.isReturnStatement(s) && !!s.expression && inside(s.expression)) || (ts.isExpressionStatement(s) && inside(s.expression));
}

/**
 * Does the helper's query write the list `param` whole, one row per element: the library's multi-row insert call
 * (AdapterRules.insertRowsCall: Drizzle/Kysely `values`, Knex/TypeORM `insert`) takes `param` or `param.map(cb)`,
 * and nothing else in the query reads `param`?
 */
function writesListWhole(ctx: RuleContext, site: QuerySite, helper: FunctionRef, param: string): boolean {
  const sf = ctx.project.tsAst(helper.file);
  const node = sf ? findNode(sf, site.range) : undefined;
  if (!node || !ts.isCallExpression(node)) return false;
  const calls = chainCalls(node);
  const target = adapterOf(site.library).rules.insertRowsCall(calls, calls.map(methodOf));
  if (!target || target.arguments.length !== 1) return false;
  let a = unparen(target.arguments[0]);
  if (ts.isCallExpression(a) && ts.isPropertyAccessExpression(a.expression) && a.expression.name.text === 'map' && a.arguments.length === 1 && ts.isFunctionLike(unparen(a.arguments[0]))) a = unparen(a.expression.expression);
  if (!ts.isIdentifier(a) || a.text !== param) return false;
  // The list appears once in the query: where the rows are written.
  return elementUses(node, param).length === 1;
}

/** The list parameter and what one call hands it: the rest argument, or the one element of an array literal. */
function listArgument(ctx: RuleContext, fn: ts.SignatureDeclaration, call: ts.CallExpression, site: QuerySite, helper: FunctionRef): { arg: ts.Expression; rest: boolean } | undefined {
  if (fn.parameters.length !== 1 || call.arguments.length !== 1) return undefined;
  const p = fn.parameters[0];
  if (!ts.isIdentifier(p.name) || !writesListWhole(ctx, site, helper, p.name.text)) return undefined;
  const a = unparen(call.arguments[0]);
  if (ts.isSpreadElement(call.arguments[0])) return undefined;
  if (p.dotDotDotToken) return { arg: call.arguments[0], rest: true };
  const arrayType = !!p.type && (ts.isArrayTypeNode(p.type) || (ts.isTypeReferenceNode(p.type) && /^(Readonly)?Array$/.test(p.type.typeName.getText())));
  if (!arrayType || p.questionToken || p.initializer || !ts.isArrayLiteralExpression(a) || a.elements.length !== 1 || ts.isSpreadElement(a.elements[0])) return undefined;
  return { arg: a.elements[0], rest: false };
}

function build(ctx: RuleContext, site: QuerySite, call: ts.Node, scope: IterationScope, helper: FunctionRef): Fix | undefined {
  if (scope.kind !== 'for-of' || !ts.isForOfStatement(scope.node) || !ts.isCallExpression(call) || call.questionDotToken) return undefined;
  if (site.file !== helper.file || !bodyIsSite(helper.node, site)) return undefined;
  const list = listArgument(ctx, helper.node, call, site, helper);
  if (!list) return undefined;
  // The callee as written, without optional chains: `addAuditLog`, `auditLogRepo.addAuditLog`, `this.repo.add`.
  const callee = call.expression;
  const plain = (e: ts.Expression): boolean => ts.isIdentifier(e) || e.kind === ts.SyntaxKind.ThisKeyword || (ts.isPropertyAccessExpression(e) && !e.questionDotToken && ts.isIdentifier(e.name) && plain(e.expression));
  if (!plain(callee)) return undefined;
  // `await f(x);` as a statement of the loop's own function (its result unused) that can move after the loop.
  const m = movableStatement(ctx, site, call, scope, call);
  if (!m) return undefined;
  const { stmt, anchor } = m;
  // The receiver is called after the loop: nothing the loop declares or assigns.
  const loopNames = declaredNames(scope.node);
  for (const n of assignedNames(scope.body)) loopNames.add(n);
  for (const n of readNames(callee)) if (loopNames.has(n)) return undefined;
  const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : (callee as ts.Identifier).text;
  // A free name (a second loop of the function may already collect into `${name}Args`).
  const fnText = anchor.fn.getText();
  const collected = [`${name}Args`, ...[2, 3, 4, 5].map((i) => `${name}Args${i}`)].find((c) => !new RegExp(`\\b${c}\\b`).test(fnText));
  if (!collected) return undefined;
  const fnType = `Parameters<typeof ${callee.getText()}>`;
  const type = list.rest ? fnType : `${fnType}[0]`;
  const text = ctx.file.text;
  const loopStart = scope.node.getStart();
  const loopEnd = scope.node.getEnd();
  const indent = /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', loopStart - 1) + 1))![0];
  const what = site.table ?? site.entity ?? 'rows';
  const after = list.rest ? `...${collected}` : collected;
  return {
    title: `Call \`${name}()\` once for the whole loop: it writes \`${what}\` for a list in one statement; collect each element's argument and pass them all after the loop (outside one transaction the loop kept the rows written before a failure, the one call writes all or none)`,
    safety: 'suggestion',
    edits: [
      { file: ctx.file.path, range: { start: loopStart, end: loopStart }, newText: `const ${collected}: ${type} = [];\n${indent}` },
      { file: ctx.file.path, range: { start: stmt.getStart(), end: stmt.getEnd() }, newText: `${collected}.push(${list.arg.getText()});` },
      { file: ctx.file.path, range: { start: loopEnd, end: loopEnd }, newText: `\n${indent}if (${collected}.length) await ${callee.getText()}(${after});` },
    ],
  };
}
