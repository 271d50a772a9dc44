/**
 * How many times a per-element scope runs: from the code where it tells
 * (array literal, loop bound, the take/LIMIT of the query that produced the
 * collection, a chunk size), else `defaultLoopIterations`. One function for
 * every estimate that multiplies by a loop (the N+1 rule, latency budgets),
 * so a loop counts the same in both.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ProjectServices } from '../context';
import { enclosingIterations, type IterationScope } from '../sources/iteration';
import { fileProvenance } from '../sources/provenance';
import type { AssumptionSource } from '../types';
import type { Count, CostModel } from './index';
import { producedCount } from './loop-size';
import { skipOuter } from '../sources/ts-expr';

export { memoQuerySites } from './loop-size';

/** Where `id` is declared; for an imported constant (`TEAM_GROUPS` from './constants'), its declaration in that file. */
function declarationOf(project: ProjectServices, file: string, id: ts.Identifier): ts.Node | undefined {
  try {
    const prov = fileProvenance(project, file);
    const decl = prov.declarationOf(id);
    return decl && (ts.isImportSpecifier(decl) || ts.isImportClause(decl)) ? prov.definitionOf(id)?.node : decl;
  } catch {
    return undefined;
  }
}

/** The property count of `Object.entries|keys|values(o)` when `o` is an object literal or a `const` holding one (no spreads). */
function objectLiteralSize(project: ProjectServices, file: string, ce: ts.Expression): number | undefined {
  if (!ts.isCallExpression(ce) || ce.arguments.length !== 1 || !ts.isPropertyAccessExpression(ce.expression)) return undefined;
  const callee = ce.expression;
  if (!ts.isIdentifier(callee.expression) || callee.expression.text !== 'Object' || !/^(entries|keys|values)$/.test(callee.name.text)) return undefined;
  let o = skipOuter(ce.arguments[0]);
  if (ts.isIdentifier(o)) {
    const decl = declarationOf(project, file, o);
    if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer || !(decl.parent.flags & ts.NodeFlags.Const)) return undefined;
    o = skipOuter(decl.initializer);
  }
  if (!ts.isObjectLiteralExpression(o) || o.properties.some((p) => ts.isSpreadAssignment(p))) return undefined;
  return o.properties.length;
}

/** Array methods whose result has at most as many elements as their receiver (`list.filter(…)`, `Object.entries(o).map(…)`). */
const SHRINKING = /^(filter|map|slice|sort|toSorted|reverse|toReversed|entries|keys|values)$/;

/**
 * The size of a list written out in the code that `e` is, or is filtered or mapped from: an array literal (inline or a
 * `const` never grown, also imported), or `Object.entries|keys|values` of an object literal. Undefined otherwise.
 */
function writtenOutSize(project: ProjectServices, file: string, e: ts.Expression): number | undefined {
  let x = skipOuter(e);
  while (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) && SHRINKING.test(x.expression.name.text) && !(ts.isIdentifier(x.expression.expression) && x.expression.expression.text === 'Object')) {
    x = skipOuter(x.expression.expression);
  }
  const props = objectLiteralSize(project, file, x);
  if (props !== undefined) return props;
  if (ts.isIdentifier(x)) {
    const decl = declarationOf(project, file, x);
    if (!decl || !ts.isVariableDeclaration(decl) || !decl.initializer || !(decl.parent.flags & ts.NodeFlags.Const) || isGrown(decl, x.text)) return undefined;
    x = skipOuter(decl.initializer);
  }
  return ts.isArrayLiteralExpression(x) && !x.elements.some(ts.isSpreadElement) ? x.elements.length : undefined;
}

/** How many times `scope` iterates (`all`: the scopes around the same node, innermost first). */
export function iterationCount(project: ProjectServices, file: string, scope: IterationScope, all: IterationScope[], model: CostModel): Count {
  if (scope.literalCount !== undefined) {
    return scope.kind === 'for'
      ? { value: scope.literalCount, source: 'code', note: 'loop bound in the code' }
      : { value: scope.literalCount, source: 'code', note: `array literal of ${scope.literalCount} elements`, fixed: true };
  }
  const ce = scope.collectionExpr ? skipOuter(scope.collectionExpr) : undefined;
  // `Object.entries(CLEANUP_COMMANDS)` over a constant object literal: one iteration per property.
  const props = ce ? objectLiteralSize(project, file, ce) : undefined;
  if (props !== undefined) return { value: props, source: 'code', note: `object literal of ${props} properties`, fixed: true };
  // `Object.entries(CLEANUP).filter(…).map(…)`, `ROLES.filter(…)`: at most the written-out list's length.
  if (ce && ts.isCallExpression(ce) && ts.isPropertyAccessExpression(ce.expression) && SHRINKING.test(ce.expression.name.text)) {
    const size = writtenOutSize(project, file, ce);
    if (size !== undefined) return { value: size, source: 'code', note: `at most ${size} elements of a list written out in the code`, fixed: true };
  }
  let id: ts.Identifier | undefined;
  if (ce && ts.isIdentifier(ce)) id = ce;
  else if (ce && ts.isPropertyAccessExpression(ce) && ts.isIdentifier(ce.expression)) id = ce.expression;
  if (id) {
    // The element of an enclosing chunk loop: `for (const c of chunk(ids, 100)) for (const id of c)`.
    const outer = all.find((s) => s !== scope && s.element === id!.text && s.collectionExpr);
    if (outer) {
      const oc = skipOuter(outer.collectionExpr!);
      if (ts.isCallExpression(oc) && oc.arguments.length >= 2 && ts.isNumericLiteral(oc.arguments[1])) {
        return { value: Number(oc.arguments[1].text), source: 'code', note: `chunk size ${oc.arguments[1].text}` };
      }
    }
    const decl = declarationOf(project, file, id);
    // `const { rows: orders } = await pool.query(…)`: the rows of the query the pattern destructures.
    const destructured = decl && ts.isBindingElement(decl) && ts.isObjectBindingPattern(decl.parent) && ts.isVariableDeclaration(decl.parent.parent) ? decl.parent.parent : undefined;
    const varDecl = decl && ts.isVariableDeclaration(decl) ? decl : destructured;
    if (varDecl?.initializer) {
      const init = skipOuter(varDecl.initializer);
      // An array literal the code fills later (`const out = []; … out.push(x)`) says nothing about its size.
      if (ts.isVariableDeclaration(decl!) && ts.isArrayLiteralExpression(init) && !init.elements.some(ts.isSpreadElement) && (ce === id || (ts.isPropertyAccessExpression(ce!) && ce.name.text === 'length')) && !isGrown(decl, id.text)) {
        return { value: init.elements.length, source: 'code', note: `array literal of ${init.elements.length} elements`, fixed: true };
      }
      // The query that produced the collection: its take/LIMIT bounds the loop — the rows themselves, not a
      // relation loaded with one of them (`user.posts` of a `findUnique`) — else the rows it keeps by the stats
      // snapshot (engine/model/loop-size.ts), also through a project helper that returns the query.
      const produced = ce === id ? producedCount(project, file, init, id.text) : undefined;
      if (produced) return produced;
      if (ts.isCallExpression(init) && init.arguments.length >= 2 && ts.isNumericLiteral(init.arguments[1])) {
        const callee = init.expression;
        const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
        if (/chunk/i.test(name)) {
          return { value: Number(init.arguments[1].text), source: 'code', note: `chunk size ${init.arguments[1].text}` };
        }
      }
    }
  }
  const a = model.param('defaultLoopIterations');
  return {
    value: model.params.defaultLoopIterations,
    source: a.source,
    note: a.source === 'default' ? `size of ${scope.collection ?? 'the collection'} unknown; set model.defaultLoopIterations or bound it with take/LIMIT` : undefined,
  };
}

/** Whether an array variable is filled or replaced after its declaration (`push`, `unshift`, `splice`, `x = …`, `x[i] = …`). */
function isGrown(decl: ts.VariableDeclaration, name: string): boolean {
  let scope: ts.Node | undefined = decl.parent;
  while (scope && !ts.isBlock(scope) && !ts.isSourceFile(scope) && !ts.isFunctionLike(scope)) scope = scope.parent;
  if (!scope) return false;
  let grown = false;
  const visit = (n: ts.Node): void => {
    if (grown) return;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ts.isIdentifier(n.expression.expression) && n.expression.expression.text === name && /^(push|unshift|splice)$/.test(n.expression.name.text)) grown = true;
    else if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      let left: ts.Expression = n.left;
      if (ts.isElementAccessExpression(left)) left = left.expression;
      if (ts.isIdentifier(left) && left.text === name) grown = true;
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return grown;
}

/** Executions of `node` per call of its function: the product of the per-element scopes around it. */
export function loopCount(project: ProjectServices, file: string, node: ts.Node, model: CostModel): { count: number; source: AssumptionSource } {
  let count = 1;
  let source: AssumptionSource = 'code';
  const all = enclosingIterations(node);
  for (const s of all) {
    if (!s.perElement) continue;
    const c = iterationCount(project, file, s, all, model);
    count *= Math.max(1, c.value);
    if (c.source !== 'code' && source === 'code') source = c.source;
  }
  return { count, source };
}
