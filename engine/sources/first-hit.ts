/**
 * A search loop: the body stores a query's result and leaves the loop as soon as it found something
 * (`step = await repo.findOne(…); if (step) break;`). It runs the query until the first hit, which is the
 * loop's purpose — not once per element of the collection as a batch would. Read from the syntax only. Pure.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import type { IterationScope } from './iteration';
import { skipOuter } from './ts-expr';

/** The name `stmt` stores the awaited value of `node` in: `v = await node`, `const v = await node`. */
function storedIn(stmt: ts.Statement, node: ts.Node): string | undefined {
  const holds = (e: ts.Expression | undefined): boolean => {
    if (!e) return false;
    let x = skipOuter(e);
    if (ts.isAwaitExpression(x)) x = skipOuter(x.expression);
    return x === node;
  };
  if (ts.isExpressionStatement(stmt)) {
    const e = skipOuter(stmt.expression);
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(e.left) && holds(e.right)) return e.left.text;
  }
  if (ts.isVariableStatement(stmt) && stmt.declarationList.declarations.length === 1) {
    const d = stmt.declarationList.declarations[0];
    if (ts.isIdentifier(d.name) && holds(d.initializer)) return d.name.text;
  }
  return undefined;
}

/** `v`, `!!v`, `v != null`, `v !== null`, `v !== undefined`: true when `v` holds a found row. */
function testsFound(cond: ts.Expression, name: string): boolean {
  let c = skipOuter(cond);
  if (ts.isPrefixUnaryExpression(c) && c.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = skipOuter(c.operand);
    if (!ts.isPrefixUnaryExpression(inner) || inner.operator !== ts.SyntaxKind.ExclamationToken) return false;
    c = skipOuter(inner.operand);
  }
  if (ts.isIdentifier(c)) return c.text === name;
  if (ts.isBinaryExpression(c) && (c.operatorToken.kind === ts.SyntaxKind.ExclamationEqualsEqualsToken || c.operatorToken.kind === ts.SyntaxKind.ExclamationEqualsToken)) {
    const l = skipOuter(c.left);
    const r = skipOuter(c.right);
    const nullish = (e: ts.Expression): boolean => e.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(e) && e.text === 'undefined');
    return (ts.isIdentifier(l) && l.text === name && nullish(r)) || (ts.isIdentifier(r) && r.text === name && nullish(l));
  }
  return false;
}

/** `break` (unlabelled, of this loop) or `return`, alone or as a block's only statement. */
function leavesLoop(s: ts.Statement): boolean {
  if (ts.isBlock(s)) return s.statements.length === 1 && leavesLoop(s.statements[0]);
  return (ts.isBreakStatement(s) && !s.label) || ts.isReturnStatement(s);
}

/** Whether the query `node`, in a plain loop's body, is the search of a loop that stops at the first row found. */
export function stopsAtFirstHit(node: ts.Node, scope: IterationScope): boolean {
  if (scope.kind === 'callback' || !ts.isBlock(scope.body)) return false;
  const stmts = scope.body.statements;
  const i = stmts.findIndex((s) => s.pos <= node.pos && node.end <= s.end);
  const name = i >= 0 ? storedIn(stmts[i], node) : undefined;
  if (!name) return false;
  for (const s of stmts.slice(i + 1)) {
    if (ts.isIfStatement(s) && !s.elseStatement && testsFound(s.expression, name) && leavesLoop(s.thenStatement)) return true;
  }
  return false;
}
