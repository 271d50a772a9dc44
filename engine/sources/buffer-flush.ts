/**
 * Buffer flushes: a statement under `if (buf.length >= BATCH) { …; buf.length = 0 }` runs once per BATCH
 * elements pushed into a buffer that outlives each element — the batching itself, not a query per element.
 * The buffer must be emptied in that branch (`buf.length = 0`, `buf = []`, `buf.splice(0)`, `buf.clear()`),
 * directly or in a function of the same file the branch calls (`if (map.size >= CAP) await flush()`).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { containsNode } from './iteration';
import { declarationAbove, outside, squash } from './memo';
import { skipOuter } from './ts-expr';

/** Whether `node` runs only when a buffer declared outside `stop` reaches a size and is emptied there. */
export function bufferFlushed(node: ts.Node, stop: ts.Node): boolean {
  for (let n: ts.Node = node; n.parent && n !== stop; n = n.parent) {
    const p = n.parent;
    if (!ts.isIfStatement(p) || p.thenStatement !== n) continue;
    const buf = sizeThreshold(p.expression);
    if (!buf || !declaredOutside(buf, stop)) continue;
    const key = squash(buf.getText());
    if (empties(p.thenStatement, key) || callsEmptier(p.thenStatement, key)) return true;
  }
  return false;
}

/** The buffer of `buf.length >= K`, `buf.length > K`, `buf.length === K`, `buf.size >= K` (either side), K not 0 or 1. */
function sizeThreshold(cond: ts.Expression): ts.Expression | undefined {
  const c = skipOuter(cond);
  if (!ts.isBinaryExpression(c)) return undefined;
  const op = c.operatorToken.kind;
  const K = ts.SyntaxKind;
  const sized = (e: ts.Expression): ts.Expression | undefined => {
    const x = skipOuter(e);
    return ts.isPropertyAccessExpression(x) && (x.name.text === 'length' || x.name.text === 'size') ? skipOuter(x.expression) : undefined;
  };
  const small = (e: ts.Expression): boolean => {
    const x = skipOuter(e);
    return ts.isNumericLiteral(x) && Number(x.text) < 2;
  };
  if ((op === K.GreaterThanEqualsToken || op === K.GreaterThanToken || op === K.EqualsEqualsEqualsToken) && sized(c.left) && !small(c.right)) return sized(c.left);
  if ((op === K.LessThanEqualsToken || op === K.LessThanToken) && sized(c.right) && !small(c.left)) return sized(c.right);
  return undefined;
}

/** A buffer that keeps its contents from one element to the next: a field, or a variable declared outside `stop`. */
function declaredOutside(buf: ts.Expression, stop: ts.Node): boolean {
  if (ts.isPropertyAccessExpression(buf) && buf.expression.kind === ts.SyntaxKind.ThisKeyword) return true;
  if (!ts.isIdentifier(buf)) return false;
  const d = declarationAbove(buf, true);
  return !!d && outside(d, stop);
}

/** `buf.length = 0`, `buf = []`, `buf.splice(0…)`, `buf.clear()` inside `body`. */
function empties(body: ts.Node, key: string): boolean {
  return containsNode(body, (n) => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const l = skipOuter(n.left);
      const r = skipOuter(n.right);
      if (ts.isPropertyAccessExpression(l) && l.name.text === 'length' && squash(skipOuter(l.expression).getText()) === key) return ts.isNumericLiteral(r) && Number(r.text) === 0;
      return squash(l.getText()) === key && ts.isArrayLiteralExpression(r) && r.elements.length === 0;
    }
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && squash(skipOuter(n.expression.expression).getText()) === key) {
      const m = n.expression.name.text;
      if (m === 'clear') return true;
      const a = n.arguments[0];
      return m === 'splice' && !!a && ts.isNumericLiteral(skipOuter(a)) && Number((skipOuter(a) as ts.NumericLiteral).text) === 0 && n.arguments.length === 1;
    }
    return false;
  });
}

/** A call in `body` of a function declared in the same file (a declaration or a const arrow) whose body empties the buffer. */
function callsEmptier(body: ts.Node, key: string): boolean {
  return containsNode(body, (n) => {
    if (!ts.isCallExpression(n) || !ts.isIdentifier(skipOuter(n.expression))) return false;
    const fn = localFunction(skipOuter(n.expression) as ts.Identifier);
    return !!fn?.body && empties(fn.body, key);
  });
}

function localFunction(id: ts.Identifier): ts.FunctionLikeDeclaration | undefined {
  for (let s: ts.Node | undefined = id.parent; s; s = s.parent) {
    if (!ts.isBlock(s) && !ts.isSourceFile(s)) continue;
    for (const st of s.statements) {
      if (ts.isFunctionDeclaration(st) && st.name?.text === id.text) return st;
      if (!ts.isVariableStatement(st)) continue;
      for (const d of st.declarationList.declarations) {
        if (!ts.isIdentifier(d.name) || d.name.text !== id.text || !d.initializer) continue;
        const init = skipOuter(d.initializer);
        return ts.isArrowFunction(init) || ts.isFunctionExpression(init) ? init : undefined;
      }
    }
  }
  return undefined;
}
