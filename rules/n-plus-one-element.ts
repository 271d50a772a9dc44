/**
 * n-plus-one's reading of a loop's element: whether per-element bodies start in one tick (a library's same-tick
 * batching), whether the element is itself a batch (a chunk), and whether a query takes it whole. Split out of
 * rules/n-plus-one.ts, unchanged.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { RuleContext } from '../engine/context';
import { type CallStep, findNode } from '../engine/sources/call-graph';
import { containsNode, enclosingFunction, type IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import { skipOuter } from '../engine/sources/ts-expr';
import { CHUNK_CALL, declaredFromChunkCall } from './n-plus-one-chunks';
/** Do the per-element bodies start in the same tick (so a library's own loader can batch them)? */
export function sameTick(scope: IterationScope): boolean {
  if (scope.kind === 'callback') return scope.concurrent;
  if (scope.kind === 'for-await') return false;
  // A plain loop that never awaits just collects promises: they all start before any resolves.
  return !containsNode(scope.body, (n) => ts.isAwaitExpression(n));
}

/** Is there an `await` in `container` (outside nested functions) that ends before `node` starts? */
function awaitBefore(node: ts.Node, container: ts.Node | undefined): boolean {
  if (!container) return false;
  return containsNode(container, (n) => ts.isAwaitExpression(n) && n.getEnd() <= node.getStart());
}

/**
 * Whether each element's body waits for something before the query starts — in the loop body, in a helper
 * on the way, or before the query in its own function: then the elements reach it in different ticks and
 * a library's same-tick batching (Prisma's findUnique dataloader) does not merge them.
 */
export function awaitsFirst(ctx: RuleContext, node: ts.Node, scope: IterationScope, site: QuerySite, path: CallStep[]): boolean {
  if (awaitBefore(node, scope.body)) return true;
  for (const step of [...path, { file: site.file, range: site.range }]) {
    const sf = ctx.project.tsAst(step.file);
    const at = sf && findNode(sf, step.range);
    const fn = at && enclosingFunction(at);
    if (at && fn && awaitBefore(at, (fn as ts.FunctionLikeDeclaration).body)) return true;
  }
  return false;
}

/** A chunk loop: the element is itself a batch (`for (const chunk of chunk(ids, 500))`, `batch.length`). */
export function elementIsBatch(scope: IterationScope, el = scope.element): boolean {
  const ce = scope.collectionExpr ? withoutEntries(skipOuter(scope.collectionExpr)) : undefined;
  if (ce && ts.isCallExpression(ce)) {
    const callee = ce.expression;
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
    if (CHUNK_CALL.test(name) && !yieldsItems(ce)) return true;
  }
  if (ce && ts.isIdentifier(ce) && (scope.kind === 'for-of' || scope.kind === 'callback') && declaredFromChunkCall(ce.text, scope)) return true;
  if (!el) return false;
  // `if (Array.isArray(event) && event.length === 1) event = event[0]`: a one-item wrapper unwrapped, the element is one item.
  const unwrapped = containsNode(scope.body, (n) =>
    ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left) && n.left.text === el &&
    ts.isElementAccessExpression(skipOuter(n.right)) && (() => { const r = skipOuter(n.right) as ts.ElementAccessExpression; return ts.isIdentifier(r.expression) && r.expression.text === el && ts.isNumericLiteral(r.argumentExpression); })());
  if (unwrapped) return false;
  return containsNode(scope.body, (n) => {
    if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === el) return /^(length|map|slice|forEach|filter)$/.test(n.name.text);
    if (ts.isSpreadElement(n) && ts.isIdentifier(n.expression) && n.expression.text === el) return true;
    return false;
  });
}

/** `batches.entries()` → `batches`: the pairs' second half is the element. */
function withoutEntries(e: ts.Expression): ts.Expression {
  return ts.isCallExpression(e) && !e.arguments.length && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'entries' ? skipOuter(e.expression.expression) : e;
}

/** The loop's element name, also the second of `for (const [i, batch] of batches.entries())`. */
export function elementName(scope: IterationScope): string | undefined {
  if (scope.element) return scope.element;
  const n = scope.node;
  if (!ts.isForOfStatement(n) || !ts.isVariableDeclarationList(n.initializer) || withoutEntries(skipOuter(n.expression)) === skipOuter(n.expression)) return undefined;
  const pat = n.initializer.declarations[0]?.name;
  const second = pat && ts.isArrayBindingPattern(pat) ? pat.elements[1] : undefined;
  return second && ts.isBindingElement(second) && ts.isIdentifier(second.name) ? second.name.text : undefined;
}

/**
 * Whether a call is to a generator of this file (a function, or a method of the enclosing class through
 * `this.`) that hands out its pages' rows one by one: every `yield` delegates (`yield* page`). Its name may
 * say "paginated", but the loop's element is one row (jellyseerr's `for await (const media of
 * this.loadAvailableMediaPaginated(50))`, `yield* (page = await repo.find({ take }))`).
 */
function yieldsItems(call: ts.CallExpression): boolean {
  const callee = skipOuter(call.expression);
  let decl: ts.FunctionLikeDeclaration | undefined;
  if (ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword) {
    let cls: ts.Node | undefined = call.parent;
    while (cls && !ts.isClassLike(cls)) cls = cls.parent;
    const name = callee.name.text;
    decl = cls && ts.isClassLike(cls) ? (cls.members.find((m) => ts.isMethodDeclaration(m) && m.name.getText() === name && m.body) as ts.MethodDeclaration | undefined) : undefined;
  } else if (ts.isIdentifier(callee)) {
    const name = callee.text;
    decl = call.getSourceFile().statements.find((st): st is ts.FunctionDeclaration => ts.isFunctionDeclaration(st) && st.name?.text === name && !!st.body);
  }
  if (!decl?.asteriskToken || !decl.body) return false;
  let yields = 0;
  let delegated = 0;
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n)) return;
    if (ts.isYieldExpression(n)) {
      yields++;
      if (n.asteriskToken) delegated++;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(decl.body, visit);
  return yields > 0 && yields === delegated;
}

/**
 * A counter loop over a list of chunks whose query takes the indexed chunk whole: `const batches = chunk(ids, 10);
 * for (let i = 0; i < batches.length; i++) destroy({ where: { id: batches[i] } })` (outline's documentPermanentDeleter).
 */
export function indexedChunkWhole(node: ts.Node, scope: IterationScope): boolean {
  const ce = scope.kind === 'for' && scope.collectionExpr ? skipOuter(scope.collectionExpr) : undefined;
  if (!ce || !ts.isIdentifier(ce)) return false;
  if (!declaredFromChunkCall(ce.text, scope)) return false;
  return containsNode(node, (n) => {
    if (!ts.isElementAccessExpression(n) || !ts.isIdentifier(n.expression) || n.expression.text !== ce.text) return false;
    let p = n.parent;
    while (ts.isAsExpression(p) || ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p) || ts.isSatisfiesExpression(p)) p = p.parent;
    return ts.isCallExpression(p) || ts.isArrayLiteralExpression(p) || ts.isPropertyAssignment(p) || ts.isSpreadElement(p);
  });
}

/**
 * Does the query call take the element whole as an argument (`save(chunk)`, `.values(batch)`, `In(batch)`),
 * directly or through a local built from it in the loop body (`const data = { input: chunk }; create({ data })`;
 * in a chunk loop, `chunkWhole`, also through locals built from such locals: `const ids = page.map((r) => r.id);
 * const q = db('t').whereIn('c', ids); await run(q)`)?
 */
export function takesElementWhole(node: ts.Node, el: string | undefined, body?: ts.Node, chunkWhole = false): boolean {
  if (!el) return false;
  const names = new Set([el]);
  if (body) {
    for (let grew = true, round = 0; grew && round < (chunkWhole ? 4 : 1); round++) {
      grew = false;
      containsNode(body, (n) => {
        if (!ts.isVariableDeclaration(n) || !n.initializer) return false;
        // `const ids = …`, and in a chunk loop `const { commitIds, commits } = chunk.reduce(…)`.
        const bound = ts.isIdentifier(n.name) ? [n.name.text] : chunkWhole && ts.isObjectBindingPattern(n.name) ? n.name.elements.flatMap((b) => (ts.isIdentifier(b.name) ? [b.name.text] : [])) : [];
        if (bound.length && bound.some((b) => !names.has(b)) && usesWhole(n.initializer, chunkWhole ? names : new Set([el]), chunkWhole, chunkWhole)) {
          for (const b of bound) names.add(b);
          grew = true;
        }
        return false;
      });
    }
  }
  return usesWhole(node, names, chunkWhole);
}

/**
 * Does `node` hand one of `names` whole to a call, an array, an object (`chunkWhole`: also through `.map`/`.filter`/`.slice`;
 * `asValue`: or is the expression itself, `const ids = chunk.map((r) => r.id)`)?
 */
function usesWhole(node: ts.Node, names: ReadonlySet<string>, chunkWhole: boolean, asValue = false): boolean {
  return containsNode(node, (n) => {
    if (!ts.isIdentifier(n) || !names.has(n.text)) return false;
    let p = n.parent;
    while (ts.isAsExpression(p) || ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p) || ts.isSatisfiesExpression(p)) p = p.parent;
    // `chunk.filter(Boolean)`, `chunk.map((r) => r.id)`: still the whole chunk.
    while (chunkWhole && ts.isPropertyAccessExpression(p) && /^(filter|map|flatMap|reduce|slice)$/.test(p.name.text) && ts.isCallExpression(p.parent) && p.parent.expression === p) {
      p = p.parent.parent;
      while (ts.isAsExpression(p) || ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p) || ts.isSatisfiesExpression(p)) p = p.parent;
    }
    return ts.isCallExpression(p) || ts.isArrayLiteralExpression(p) || ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p) || ts.isSpreadElement(p) || (asValue && ts.isVariableDeclaration(p));
  });
}
