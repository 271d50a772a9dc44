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
import { isGrown, objectLiteralSize, writtenOut, type WrittenOut } from './written-out';
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

/** Array methods whose result has at most as many elements as their receiver (`list.filter(…)`, `Object.entries(o).map(…)`). */
const SHRINKING = /^(filter|map|slice|sort|toSorted|reverse|toReversed|entries|keys|values)$/;

/** How a written-out list bounds a loop, in the estimate's words. */
function writtenOutNote(w: WrittenOut): string {
  return w.via ? `at most ${w.size} elements: every call of \`${w.via}\` passes a list written out in the code` : `at most ${w.size} elements of a list written out in the code`;
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
    const w = writtenOut(project, file, ce);
    if (w) return { value: w.size, source: 'code', note: writtenOutNote(w), fixed: true };
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
  // A list the code bounds some other way: `a ?? DEFAULTS`, a parameter every caller passes a written-out list
  // (`createEngine({ modules: [a, b, c] })`), a property of the element of a loop over written-out objects.
  const w = ce ? writtenOut(project, file, ce) : undefined;
  if (w) return { value: w.size, source: 'code', note: writtenOutNote(w), fixed: true };
  const a = model.param('defaultLoopIterations');
  return {
    value: model.params.defaultLoopIterations,
    source: a.source,
    note: a.source === 'default' ? `size of ${scope.collection ?? 'the collection'} unknown; set model.defaultLoopIterations or bound it with take/LIMIT` : undefined,
  };
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
