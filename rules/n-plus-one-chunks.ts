/**
 * Chunk loops the n-plus-one rule reads as batched: each pass sends one statement over a whole chunk of the
 * list, not one per element. Pure syntax.
 *
 * - a `for…of` over a local built by a chunking call (`const batches = createBatches(rows, 1000);
 *   for (const values of batches) insert(t).values(values)`);
 * - a worklist `while (xs.length)` that takes a chunk off the list each pass (`const ids = xs.splice(0, 100)`,
 *   also `.map(…)`/`.filter(…)` of it), and a statement that takes that chunk whole, directly or as the element
 *   of a chunking call over it (`chunkArray(ids, 10).map((c) => delete(…).where(inArray(t.id, c)))`).
 *   `splice(0, 1)` takes one element: that is a worklist of elements.
 */
import ts = require('typescript');
import { containsNode, enclosingFunction, type IterationScope } from '../engine/sources/iteration';
import { skipOuter } from '../engine/sources/ts-expr';

export const CHUNK_CALL = /chunk|batch|partition|paginate|splitEvery/i;

function calleeText(call: ts.CallExpression): string {
  const c = skipOuter(call.expression);
  return ts.isIdentifier(c) ? c.text : ts.isPropertyAccessExpression(c) ? c.name.text : '';
}

/** Is `name` a local of the function around `scope`, declared from a chunking call (`const batches = chunk(ids, 10)`)? */
export function declaredFromChunkCall(name: string, scope: IterationScope): boolean {
  const fn = enclosingFunction(scope.node as ts.Node) ?? scope.node.getSourceFile();
  let chunked = false;
  containsNode(fn, (n) => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name && n.initializer) {
      const init = skipOuter(n.initializer);
      chunked = ts.isCallExpression(init) && CHUNK_CALL.test(calleeText(init));
    }
    return chunked;
  });
  return chunked;
}

/** `xs.splice(0, n)` on the worklist's list with a count that is not the literal 1. */
function spliceOf(e: ts.Expression, list: string): boolean {
  if (!ts.isCallExpression(e) || !ts.isPropertyAccessExpression(e.expression) || e.expression.name.text !== 'splice') return false;
  if (e.expression.expression.getText() !== list || e.arguments.length !== 2) return false;
  const count = skipOuter(e.arguments[1]);
  return !(ts.isNumericLiteral(count) && Number(count.text) <= 1);
}

/** A list built from a chunk: the chunk itself, `[...c]`, or `.map`/`.filter`/`.slice` chains on it. */
function chunkList(e: ts.Expression, list: string, names: Set<string>): boolean {
  const x = skipOuter(e);
  if (ts.isIdentifier(x)) return names.has(x.text);
  if (spliceOf(x, list)) return true;
  if (ts.isArrayLiteralExpression(x)) return x.elements.length === 1 && ts.isSpreadElement(x.elements[0]) && chunkList(x.elements[0].expression, list, names);
  if (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) && /^(map|filter|slice|flat|flatMap|concat)$/.test(x.expression.name.text)) return chunkList(x.expression.expression, list, names);
  return false;
}

/**
 * The names that hold a chunk in a worklist loop's body: locals built from `list.splice(0, n)` (or from
 * another chunk name), and the element of a chunking call over a chunk (`chunkArray(ids, 10).map((c) => …)`,
 * `for (const c of chunk(ids, 10))`). Empty for any other scope.
 */
export function spliceChunkNames(scope: IterationScope): Set<string> {
  const names = new Set<string>();
  const list = scope.collection;
  if (scope.kind !== 'while' || !list) return names;
  let grew = true;
  while (grew) {
    grew = false;
    const add = (name: string): void => {
      if (names.has(name)) return;
      names.add(name);
      grew = true;
    };
    const visit = (n: ts.Node): void => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && chunkList(n.initializer, list, names)) add(n.name.text);
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && filledByInnerLoop(n.name.text, n.initializer, list, scope.body)) add(n.name.text);
      const chunkOfChunk = (e: ts.Expression): boolean => {
        const x = skipOuter(e);
        return ts.isCallExpression(x) && CHUNK_CALL.test(calleeText(x)) && x.arguments.some((a) => chunkList(a, list, names));
      };
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && /^(map|forEach|flatMap)$/.test(n.expression.name.text) && chunkOfChunk(n.expression.expression)) {
        const cb = n.arguments[0] && skipOuter(n.arguments[0]);
        const p = cb && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb)) ? cb.parameters[0] : undefined;
        if (p && ts.isIdentifier(p.name)) add(p.name.text);
      }
      if (ts.isForOfStatement(n) && chunkOfChunk(n.expression) && ts.isVariableDeclarationList(n.initializer)) {
        const d = n.initializer.declarations[0];
        if (d && ts.isIdentifier(d.name)) add(d.name.text);
      }
      ts.forEachChild(n, visit);
    };
    visit(scope.body);
  }
  return names;
}

/**
 * `const level = []` of the worklist loop's body, filled by an inner loop that moves elements off the list
 * (`while (queue.length && queue[0].depth === d) level.push(queue.shift().path)`): one pass takes a whole level.
 */
function filledByInnerLoop(name: string, init: ts.Expression, list: string, body: ts.Node): boolean {
  const x = skipOuter(init);
  if (!ts.isArrayLiteralExpression(x) || x.elements.length > 0) return false;
  const isLoop = (n: ts.Node): n is ts.IterationStatement => ts.isWhileStatement(n) || ts.isDoStatement(n) || ts.isForStatement(n) || ts.isForOfStatement(n);
  const loops: ts.IterationStatement[] = [];
  const find = (n: ts.Node): void => {
    if (isLoop(n)) loops.push(n);
    else if (!ts.isFunctionLike(n)) ts.forEachChild(n, find);
  };
  ts.forEachChild(body, find);
  return loops.some((l) =>
    containsNode(l.statement, (n) => {
      if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression) || n.expression.name.text !== 'push') return false;
      if (!ts.isIdentifier(n.expression.expression) || n.expression.expression.text !== name) return false;
      return n.arguments.some((a) => containsNode(a, (m) => ts.isCallExpression(m) && ts.isPropertyAccessExpression(m.expression) && m.expression.name.text === 'shift' && m.expression.expression.getText() === list));
    }),
  );
}
