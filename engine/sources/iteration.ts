/**
 * Iteration scopes: the loops and per-element callbacks a node sits in, and
 * whether each one iterates a collection (one pass per element) or is a
 * polling/retry/pagination loop (one pass per attempt or per page).
 *
 * Pure syntax: no type checker. What counts as "a collection" is decided from
 * the loop's shape (`for…of` over an expression, a counter bounded by
 * `xs.length`, a worklist drained with `shift()`), never from names.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { Range } from '../types';
import { isMessageLoop } from './message-loop';
import { skipParens } from './ts-expr';

export type IterationKind = 'for' | 'for-of' | 'for-in' | 'for-await' | 'while' | 'do' | 'callback';

export interface IterationScope {
  kind: IterationKind;
  /** The loop statement, or the iterating call (`users.map(…)`). */
  range: Range;
  /** The loop statement or the callback function. */
  node: ts.Node;
  /** Statement or function body that runs once per element. */
  body: ts.Node;
  /** Source text of the iterated collection, e.g. `users`, `order.items`. */
  collection?: string;
  collectionExpr?: ts.Expression;
  /** For callbacks: the method (`map`, `forEach`, `pMap` ...). */
  method?: string;
  /** The loop variable (`for (const u of users)`, `users.map((u) => …)`), when a plain identifier. */
  element?: string;
  /**
   * Whether the per-element bodies start in the same tick (`xs.map(async …)`,
   * `forEach(async …)`): Prisma's dataloader can batch `findUnique` there.
   */
  concurrent: boolean;
  /** Iterates a collection; false for polling, retry and cursor-pagination loops. */
  perElement: boolean;
  /** Iterations the code states (array literal length, numeric bound), when it does. */
  literalCount?: number;
  /** How a finding names the scope when it is no loop written in the code (a GraphQL field resolver). */
  label?: string;
  /** The batching advice for a query in this scope, when the scope's own shape decides it (a DataLoader per field resolver). */
  advice?: string;
}

/** Array methods whose callback runs once per element. */
const PER_ELEMENT_METHODS = new Set([
  'forEach',
  'map',
  'flatMap',
  'reduce',
  'reduceRight',
  'filter',
  'some',
  'every',
  'find',
  'findIndex',
  'findLast',
  'findLastIndex',
]);
/** Methods whose callbacks all start before any of them finishes (no await between elements). */
const CONCURRENT_METHODS = new Set(['forEach', 'map', 'flatMap', 'filter', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex']);
/** Free functions / statics taking (collection, callback): p-map, Bluebird, async. */
const COLLECTION_FIRST_FUNCS = new Set(['pMap', 'pMapSeries', 'mapSeries', 'eachSeries', 'mapLimit', 'eachLimit', 'each', 'map', 'mapAsync']);
/** Statics taking (collection, callback) that no fix rewrites: an effect library's `Effect.forEach(xs, cb, { concurrency })`. */
const COLLECTION_FIRST_EACH = new Set(['forEach']);

/**
 * Is the scope the callback of a free function (or static) taking the collection first, `pMap(xs, cb, opts)`,
 * `Bluebird.map(xs, cb)`: every element's callback runs once, whatever the concurrency.
 */
export function collectionFirstCallback(scope: IterationScope): ts.CallExpression | undefined {
  if (scope.kind !== 'callback' || !COLLECTION_FIRST_FUNCS.has(scope.method ?? '')) return undefined;
  const call = scope.node.parent;
  return call && ts.isCallExpression(call) && call.arguments[1] === scope.node && call.arguments[0] === scope.collectionExpr ? call : undefined;
}
/** `Array.from(xs, cb)`. */

/** Callbacks that run right away, in place (their body belongs to the caller's flow). */
export function isImmediateCallback(fn: ts.Node): boolean {
  const p = fn.parent;
  if (!p) return false;
  // (async () => { … })()
  let q: ts.Node = fn;
  while (q.parent && ts.isParenthesizedExpression(q.parent)) q = q.parent;
  if (ts.isCallExpression(q.parent) && q.parent.expression === q) return true;
  if (ts.isNewExpression(p) && ts.isIdentifier(p.expression) && p.expression.text === 'Promise') return true;
  if (ts.isCallExpression(p) && p.arguments.includes(fn as ts.Expression)) return runsArgumentInPlace(p);
  return false;
}

/** Whether a call runs the function it is given right away (`then`, `$transaction`, `knex.transaction` …). */
export function runsArgumentInPlace(call: ts.CallExpression): boolean {
  const name = calleeName(call);
  if (name === 'execute' && builtOnTransaction(call.expression)) return true;
  return !!name && /^(then|catch|finally|\$transaction|transaction|withTransaction|startTransaction|tx|runInTransaction|task|connection)$/.test(name);
}

/** `db.transaction().execute(cb)`, `db.transaction().setIsolationLevel(…).execute(cb)`: a transaction builder runs its callback now. */
function builtOnTransaction(callee: ts.Expression): boolean {
  let e: ts.Expression = skipParens(callee);
  while (ts.isPropertyAccessExpression(e) || ts.isCallExpression(e)) {
    if (ts.isCallExpression(e) && calleeName(e) === 'transaction' && e.arguments.length === 0) return true;
    e = skipParens(e.expression);
  }
  return false;
}

export function calleeName(call: ts.CallExpression): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  if (ts.isElementAccessExpression(e) && ts.isStringLiteral(e.argumentExpression)) return e.argumentExpression.text;
  return undefined;
}

function rangeOf(n: ts.Node): Range {
  return { start: n.getStart(), end: n.getEnd() };
}

function paramName(fn: ts.SignatureDeclaration, index = 0): string | undefined {
  const p = fn.parameters[index];
  return p && ts.isIdentifier(p.name) ? p.name.text : undefined;
}

function loopVarName(init: ts.ForInitializer): string | undefined {
  if (ts.isVariableDeclarationList(init)) {
    const d = init.declarations[0];
    return d && ts.isIdentifier(d.name) ? d.name.text : undefined;
  }
  return ts.isIdentifier(init) ? init.text : undefined;
}

/** Does `node` contain, outside nested functions, a node matching `pred`? */
export function containsNode(node: ts.Node, pred: (n: ts.Node) => boolean): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (pred(n)) {
      found = true;
      return;
    }
    if (n !== node && ts.isFunctionLike(n)) return;
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** The `.length`/`.size` receiver a counter condition compares against (`i < xs.length`). */
function lengthReceiver(cond: ts.Expression | undefined): ts.Expression | undefined {
  if (!cond) return undefined;
  let found: ts.Expression | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isPropertyAccessExpression(n) && (n.name.text === 'length' || n.name.text === 'size')) {
      found = n.expression;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(cond);
  return found;
}

function numericBound(cond: ts.Expression | undefined, counter?: string, start = 0): number | undefined {
  if (!cond) return undefined;
  const c = skipParens(cond);
  if (ts.isBinaryExpression(c) && ts.isNumericLiteral(c.right)) {
    const v = Number(c.right.text);
    // The start counts only when the counter is what the condition compares.
    const from = counter !== undefined && ts.isIdentifier(c.left) && c.left.text === counter ? start : 0;
    const op = c.operatorToken.kind;
    if (op === ts.SyntaxKind.LessThanToken) return Math.max(0, v - from);
    if (op === ts.SyntaxKind.LessThanEqualsToken) return Math.max(0, v + 1 - from);
  }
  return undefined;
}

/** The literal a `for` counter starts from (`let i = 1`), else 0. */
function literalStart(init: ts.ForInitializer | undefined): number {
  if (!init || !ts.isVariableDeclarationList(init)) return 0;
  const e = init.declarations[0]?.initializer;
  return e && ts.isNumericLiteral(e) ? Number(e.text) : 0;
}

/** `i += n` with `n` other than the literal 1. */
function isStride(inc: ts.Expression | undefined, v: string): boolean {
  if (!inc) return false;
  const e = skipParens(inc);
  if (!ts.isBinaryExpression(e) || e.operatorToken.kind !== ts.SyntaxKind.PlusEqualsToken) return false;
  if (!ts.isIdentifier(e.left) || e.left.text !== v) return false;
  return !(ts.isNumericLiteral(e.right) && e.right.text === '1');
}

/** `xs.slice(i, …)` / `subarray(i, …)` / `splice(i, …)` with the counter as start. */
function isSliceAt(n: ts.Node, v: string): boolean {
  if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return false;
  if (!/^(slice|subarray|splice)$/.test(n.expression.name.text)) return false;
  const a0 = n.arguments[0];
  return !!a0 && ts.isIdentifier(a0) && a0.text === v;
}

/**
 * Retries and fixed repetitions (`for (let i = 0; i < 3; i++)`) are not
 * collections; a counter bounded by a collection's length, or that indexes
 * an element (`rows[i]`), is.
 */
function classifyFor(loop: ts.ForStatement): Partial<IterationScope> {
  const recv = lengthReceiver(loop.condition);
  const v = loop.initializer ? loopVarName(loop.initializer) : undefined;
  // A stride over batches (`for (i = 0; i < xs.length; i += SIZE) { const batch = xs.slice(i, i + SIZE) … }`):
  // one pass per batch, not per element (a per-element loop inside the batch is a scope of its own).
  if (v && isStride(loop.incrementor, v) && containsNode(loop.statement, (n) => isSliceAt(n, v))) return { perElement: false };
  if (recv) return { perElement: true, collectionExpr: recv, collection: recv.getText(), element: undefined };
  if (v) {
    // An element access with the counter as index: `items[i]`.
    let indexed: ts.Expression | undefined;
    containsNode(loop.statement, (n) => {
      if (ts.isElementAccessExpression(n) && ts.isIdentifier(n.argumentExpression) && n.argumentExpression.text === v) {
        indexed = n.expression;
        return true;
      }
      return false;
    });
    if (indexed) return { perElement: true, collectionExpr: indexed, collection: indexed.getText() };
  }
  // From a literal start (`for (let year = 2020; year <= 2050; year++)`: 31 passes, not 2051).
  const bound = numericBound(loop.condition, v, literalStart(loop.initializer));
  // A literal bound above a handful is a batch job over generated items, not a retry.
  if (bound !== undefined && bound > 10) return { perElement: true, collection: `${bound} iterations`, literalCount: bound };
  return { perElement: false };
}

/**
 * `while (queue.length)` with `queue.shift()`/`pop()` in the body drains a
 * worklist: one pass per element. Anything else (`while (!done)`,
 * `do … while (cursor)`) polls, retries or pages.
 */
function classifyWhile(cond: ts.Expression, body: ts.Statement): Partial<IterationScope> {
  const recv = lengthReceiver(cond);
  if (recv) {
    const text = recv.getText();
    const drains = containsNode(body, (n) => {
      if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression)) return false;
      const m = n.expression.name.text;
      return (m === 'shift' || m === 'pop' || m === 'splice') && n.expression.expression.getText() === text;
    });
    if (drains) return { perElement: true, collectionExpr: recv, collection: text };
  }
  const taken = cond.kind === ts.SyntaxKind.TrueKeyword ? takenUntilEmpty(body) : undefined;
  if (taken) return { perElement: true, collectionExpr: taken, collection: taken.getText() };
  return { perElement: false };
}

/**
 * `while (true) { const p = queue.shift(); if (p == null) break; … }`: a worklist drained one element per pass
 * (hollo's reply tree, `ps.push(...replies)` in the body). The queue, when the body's first statements take an element
 * with `shift()`/`pop()` and leave the loop once there is none.
 */
function takenUntilEmpty(body: ts.Statement): ts.Expression | undefined {
  if (!ts.isBlock(body)) return undefined;
  const [first, second] = body.statements;
  if (!first || !second || !ts.isVariableStatement(first) || !ts.isIfStatement(second) || second.elseStatement) return undefined;
  const d = first.declarationList.declarations[0];
  const init = d?.initializer && skipParens(d.initializer);
  if (!d || !ts.isIdentifier(d.name) || !init || !ts.isCallExpression(init) || !ts.isPropertyAccessExpression(init.expression) || !/^(shift|pop)$/.test(init.expression.name.text)) return undefined;
  const exit = ts.isBlock(second.thenStatement) && second.thenStatement.statements.length === 1 ? second.thenStatement.statements[0] : second.thenStatement;
  if (!ts.isBreakStatement(exit) || exit.label) return undefined;
  const c = skipParens(second.expression);
  const name = d.name.text;
  const empty =
    (ts.isPrefixUnaryExpression(c) && c.operator === ts.SyntaxKind.ExclamationToken && skipParens(c.operand).getText() === name) ||
    (ts.isBinaryExpression(c) && /^(==|===)$/.test(c.operatorToken.getText()) && skipParens(c.left).getText() === name && /^(null|undefined)$/.test(c.right.getText()));
  return empty ? init.expression.expression : undefined;
}

function literalLength(e: ts.Expression | undefined): number | undefined {
  if (!e) return undefined;
  const u = skipParens(e);
  return ts.isArrayLiteralExpression(u) && !u.elements.some(ts.isSpreadElement) ? u.elements.length : undefined;
}

/** The iteration scope that `node` (a loop, or a function passed as a per-element callback) opens, if any. */
export function iterationScopeOf(node: ts.Node): IterationScope | undefined {
  if (ts.isForOfStatement(node)) {
    const ex = node.expression;
    return {
      kind: node.awaitModifier ? 'for-await' : 'for-of',
      range: rangeOf(node),
      node,
      body: node.statement,
      collection: ex.getText(),
      collectionExpr: ex,
      element: loopVarName(node.initializer),
      concurrent: false,
      // A connection's messages (`for await (const msg of sock)` after `sock.connect(url)`): one job per pass.
      perElement: !isMessageLoop(node),
      literalCount: literalLength(ex),
    };
  }
  if (ts.isForInStatement(node)) {
    return {
      kind: 'for-in',
      range: rangeOf(node),
      node,
      body: node.statement,
      collection: node.expression.getText(),
      collectionExpr: node.expression,
      element: loopVarName(node.initializer),
      concurrent: false,
      perElement: true,
    };
  }
  if (ts.isForStatement(node)) {
    return { kind: 'for', range: rangeOf(node), node, body: node.statement, concurrent: false, perElement: false, ...classifyFor(node) };
  }
  if (ts.isWhileStatement(node)) {
    return { kind: 'while', range: rangeOf(node), node, body: node.statement, concurrent: false, perElement: false, ...classifyWhile(node.expression, node.statement) };
  }
  if (ts.isDoStatement(node)) {
    return { kind: 'do', range: rangeOf(node), node, body: node.statement, concurrent: false, perElement: false, ...classifyWhile(node.expression, node.statement) };
  }
  if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && node.parent && ts.isCallExpression(node.parent)) {
    const call = node.parent;
    const name = calleeName(call);
    if (!name) return undefined;
    const isAsync = !!node.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
    const argIndex = call.arguments.indexOf(node);
    // The three callback shapes differ only in where the collection is and how elements run.
    const scope = (recv: ts.Expression, method: string, element: string | undefined, concurrent: boolean): IterationScope => ({
      kind: 'callback',
      range: rangeOf(call),
      node,
      body: node.body,
      collection: recv.getText(),
      collectionExpr: recv,
      method,
      element,
      concurrent,
      perElement: true,
      literalCount: literalLength(recv),
    });
    if (PER_ELEMENT_METHODS.has(name) && argIndex === 0 && ts.isPropertyAccessExpression(call.expression)) {
      const reduce = name === 'reduce' || name === 'reduceRight';
      // fp-ts style `A.map(cb)` on a namespace import: curried, the list arrives later through `pipe`/`flow`.
      if (isNamespaceImport(call.expression.expression)) {
        return { ...scope(call.expression.expression, name, paramName(node, reduce ? 1 : 0), false), collection: `the list piped into ${call.expression.getText()}`, collectionExpr: undefined, literalCount: undefined };
      }
      // An async reducer that awaits its accumulator runs elements one after another.
      return scope(call.expression.expression, name, paramName(node, reduce ? 1 : 0), CONCURRENT_METHODS.has(name));
    }
    // from(xs).pipe(mergeMap(cb, n)): an operator callback per element of the list the stream is made from.
    const piped = streamSource(call);
    if (piped && argIndex === 0) return scope(piped, name, paramName(node), name !== 'concatMap');
    // Array.from(xs, cb)
    if (name === 'from' && argIndex === 1 && call.arguments.length >= 2) return scope(call.arguments[0], 'Array.from', paramName(node), isAsync);
    // pMap(xs, cb), Bluebird.map(xs, cb), async.eachSeries(xs, cb)
    if ((COLLECTION_FIRST_FUNCS.has(name) || COLLECTION_FIRST_EACH.has(name)) && argIndex === 1 && call.arguments.length >= 2 && !ts.isPropertyAccessExpression(call.arguments[0])) {
      const recv = call.arguments[0];
      if (ts.isArrowFunction(recv) || ts.isFunctionExpression(recv)) return undefined;
      return scope(recv, name, paramName(node), !/Series/.test(name));
    }
  }
  return undefined;
}

/** `mergeMap(cb)`/`concatMap(cb)` as an argument of `from(xs).pipe(…)`: the list `xs`. */
function streamSource(call: ts.CallExpression): ts.Expression | undefined {
  const name = calleeName(call);
  if ((name !== 'mergeMap' && name !== 'concatMap') || !ts.isIdentifier(call.expression)) return undefined;
  const pipe = call.parent;
  if (!ts.isCallExpression(pipe) || !pipe.arguments.includes(call) || calleeName(pipe) !== 'pipe' || !ts.isPropertyAccessExpression(pipe.expression)) return undefined;
  const src = skipParens(pipe.expression.expression);
  if (!ts.isCallExpression(src) || !ts.isIdentifier(src.expression) || src.expression.text !== 'from' || src.arguments.length !== 1) return undefined;
  return src.arguments[0];
}

/**
 * What the project says about a function the syntax alone does not place: true when it runs in place
 * (a closure handed to a wrapper that calls it), a scope when it runs once per element (the callback of
 * a project iterator), false when it runs when called.
 */
export type FunctionRole = (fn: ts.Node) => boolean | IterationScope;

/**
 * Iteration scopes around `node`, innermost first, up to the enclosing
 * function. A function that is neither a per-element callback nor run in
 * place (`then`, `$transaction`, an IIFE) stops the walk: its body runs
 * when it is called, which is the call graph's business.
 */
export function enclosingIterations(node: ts.Node, inPlace?: FunctionRole): IterationScope[] {
  const out: IterationScope[] = [];
  let child: ts.Node = node;
  let p = node.parent;
  while (p) {
    if (ts.isFunctionLike(p)) {
      const scope = iterationScopeOf(p);
      if (scope) {
        out.push(scope);
      } else if (!isImmediateCallback(p)) {
        // A thunk made per element (`xs.map((x) => async () => …)`, fp-ts `A.map((m) => () => …)` before
        // `T.sequenceArray`, tasks for a limiter): whoever runs the thunks runs one per element.
        const maker = thunkMaker(p);
        if (maker) {
          out.push({ ...maker.scope, concurrent: false });
          child = maker.fn;
          p = maker.fn.parent;
          continue;
        }
        const role = inPlace?.(p);
        if (!role) break;
        if (role !== true) out.push(role);
      }
    } else if (ts.isIterationStatement(p, false)) {
      // Only the body repeats: a query in `for (const x of await load())` runs once.
      const scope = iterationScopeOf(p);
      const inBody = scope && (child === scope.body || (ts.isForStatement(p) && (child === p.incrementor || child === p.condition)) || ((ts.isWhileStatement(p) || ts.isDoStatement(p)) && child === p.expression));
      if (scope && inBody) out.push(scope);
    } else if (ts.isClassLike(p)) {
      break;
    }
    child = p;
    p = p.parent;
  }
  return out;
}

/** Per file, the names bound by `import * as X from '…'` (asked for every `x.map(cb)` scope, so read once). */
const namespaceImports = new WeakMap<ts.SourceFile, Set<string>>();

/** `A` in `A.map`, when the file imports it as `import * as A from '…'`. */
function isNamespaceImport(e: ts.Expression): boolean {
  if (!ts.isIdentifier(e)) return false;
  const sf = e.getSourceFile();
  let names = namespaceImports.get(sf);
  if (!names) {
    names = new Set();
    for (const st of sf.statements) {
      const b = ts.isImportDeclaration(st) ? st.importClause?.namedBindings : undefined;
      if (b && ts.isNamespaceImport(b)) names.add(b.name.text);
    }
    namespaceImports.set(sf, names);
  }
  return names.has(e.text);
}

/** The per-element callback that returns the function `fn` as its value (`(x) => () => …`, `return async () => …`). */
function thunkMaker(fn: ts.Node): { fn: ts.Node; scope: IterationScope } | undefined {
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return undefined;
  let e: ts.Node = fn;
  while (e.parent && (ts.isParenthesizedExpression(e.parent) || ts.isAsExpression(e.parent) || ts.isSatisfiesExpression(e.parent))) e = e.parent;
  let maker: ts.Node | undefined;
  if (ts.isArrowFunction(e.parent) && e.parent.body === e) maker = e.parent;
  else if (ts.isReturnStatement(e.parent)) maker = enclosingFunction(e.parent);
  if (!maker) return undefined;
  const scope = iterationScopeOf(maker);
  return scope?.perElement ? { fn: maker, scope } : undefined;
}

/** The nearest function-like node around `node`, if any. */
export function enclosingFunction(node: ts.Node): ts.SignatureDeclaration | undefined {
  let p = node.parent;
  while (p) {
    if (ts.isFunctionLike(p)) return p;
    p = p.parent;
  }
  return undefined;
}

function isJump(s: ts.Statement, loop: ts.Node): boolean {
  if (ts.isReturnStatement(s) || ts.isThrowStatement(s)) return true;
  if (ts.isBreakStatement(s)) {
    // An unlabelled break leaves the innermost loop/switch; only count it when that is `loop`.
    if (s.label) return true;
    let p: ts.Node | undefined = s.parent;
    while (p && p !== loop) {
      if (ts.isIterationStatement(p, false) || ts.isSwitchStatement(p)) return false;
      p = p.parent;
    }
    return p === loop;
  }
  if (ts.isBlock(s)) return s.statements.some((x) => isJump(x, loop));
  // Node's `process` `exit(…)` never returns: the loop ends with the process.
  if (ts.isExpressionStatement(s) && isProcessExit(s.expression)) return true;
  return false;
}

/** A call of `exit` on Node's global `process`. */
function isProcessExit(e: ts.Expression): boolean {
  e = skipParens(e);
  if (!ts.isCallExpression(e)) return false;
  const callee = skipParens(e.expression);
  return ts.isPropertyAccessExpression(callee) && callee.name.text === 'exit' && ts.isIdentifier(callee.expression) && callee.expression.text === 'process';
}

/**
 * True when the statement running `node` is followed by an unconditional
 * `break`/`return`/`throw` before the loop body repeats (or is itself a
 * `return`): the loop runs the query at most once (`find the first match,
 * save it, break`).
 */
export function exitsAfter(node: ts.Node, scope: IterationScope): boolean {
  if (scope.kind === 'callback') {
    // `find`/`some`/`every` stop early only on a truthy/falsy result, not on a query; a return ends one element only.
    return false;
  }
  // In a closure run in place in the loop (`await io.runTask(k, async () => { return await query() })`), a return
  // or a jump ends the closure, not the loop.
  for (let q = node.parent; q && q !== scope.node; q = q.parent) if (ts.isFunctionLike(q)) return false;
  let child: ts.Node = node;
  let p = node.parent;
  while (p && p !== scope.node) {
    if (ts.isReturnStatement(p) || ts.isThrowStatement(p)) return true;
    if (ts.isBlock(p) || ts.isSourceFile(p) || ts.isCaseClause(p) || ts.isDefaultClause(p)) {
      const stmts = (p as ts.Block).statements;
      const i = stmts.indexOf(child as ts.Statement);
      if (i >= 0 && stmts.slice(i + 1).some((s) => isJump(s, scope.node))) return true;
    }
    child = p;
    p = p.parent;
  }
  return false;
}

/**
 * Whether `node` sits in a `catch` clause between it and `container` (exclusive): it runs only when the `try`
 * block throws — a failure path, not the work each element does.
 */
export function inCatchBlock(node: ts.Node, container: ts.Node): boolean {
  for (let p = node.parent; p && p !== container; p = p.parent) if (ts.isCatchClause(p)) return true;
  return false;
}

/** Whether the value of `node` is awaited where it stands (`await q`, `await Promise.all([q])` is not). */
export function isAwaitedDirectly(node: ts.Node): boolean {
  let p = node.parent;
  while (p && (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isNonNullExpression(p))) p = p.parent;
  if (!p) return false;
  if (ts.isAwaitExpression(p)) return true;
  if (ts.isPropertyAccessExpression(p) && p.expression === node && /^(then|catch|finally)$/.test(p.name.text)) return true;
  return false;
}
