/**
 * Project iterators: a project function that receives a collection and a callback and calls the callback
 * once per element (a concurrency limiter `mapWithConcurrency(items, 4, run)`, `runWithBounded({ items,
 * run })`, a helper that maps its `accounts` through a `createProvider` it is given). A closure handed to
 * one runs once per element of the collection the caller passes, like a `map` callback.
 *
 * Decided by reading the callee's body, never from names: the callback parameter must be called inside a
 * per-element loop whose collection comes from another parameter, or with an element of it (`run(items[i])`).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ProjectServices } from '../context';
import { enclosingIterations, type IterationScope } from './iteration';
import { fileProvenance, type FileProvenance } from './provenance';
import { skipOuter } from './ts-expr';

/** Where a closure stands in a call: the call, and the callee parameter (index, or property of an object parameter) it fills. */
interface Slot {
  call: ts.CallExpression;
  index: number;
  property?: string;
}

function slotOf(fn: ts.Node): Slot | undefined {
  let arg: ts.Node = fn;
  while (ts.isParenthesizedExpression(arg.parent)) arg = arg.parent;
  let property: string | undefined;
  // `{ items, run: async (x) => … }` or `{ items, async run(x) { … } }`.
  if (ts.isPropertyAssignment(arg.parent) && arg.parent.initializer === arg && ts.isIdentifier(arg.parent.name)) {
    property = arg.parent.name.text;
    arg = arg.parent.parent;
  } else if (ts.isMethodDeclaration(arg) && ts.isObjectLiteralExpression(arg.parent) && ts.isIdentifier(arg.name)) {
    property = arg.name.text;
    arg = arg.parent;
  }
  const call = arg.parent;
  if (!call || !ts.isCallExpression(call)) return undefined;
  const index = call.arguments.indexOf(arg as ts.Expression);
  if (index < 0 || (property !== undefined && !ts.isObjectLiteralExpression(arg))) return undefined;
  return { call, index, property };
}

/** The callee's declaration of a slot: the parameter, or the binding element `{ run }` of an object parameter. */
function slotDeclaration(target: ts.SignatureDeclaration, slot: { index: number; property?: string }): ts.Node | undefined {
  const p = target.parameters[slot.index];
  if (!p) return undefined;
  if (slot.property === undefined) return ts.isIdentifier(p.name) ? p : undefined;
  if (!ts.isObjectBindingPattern(p.name)) return undefined;
  return p.name.elements.find((b) => ts.isIdentifier(b.name) && !b.dotDotDotToken && ((b.propertyName && ts.isIdentifier(b.propertyName) ? b.propertyName.text : b.name.getText()) === slot.property));
}

/** Which slot a declaration in the callee is: a parameter index, or an object parameter's property. */
function declarationSlot(target: ts.SignatureDeclaration, d: ts.Node): { index: number; property?: string } | undefined {
  const i = target.parameters.indexOf(d as ts.ParameterDeclaration);
  if (i >= 0) return { index: i };
  if (ts.isBindingElement(d) && ts.isObjectBindingPattern(d.parent) && ts.isParameter(d.parent.parent)) {
    const index = target.parameters.indexOf(d.parent.parent);
    const name = d.propertyName && ts.isIdentifier(d.propertyName) ? d.propertyName.text : ts.isIdentifier(d.name) ? d.name.text : undefined;
    if (index >= 0 && name) return { index, property: name };
  }
  return undefined;
}

/** The caller's expression for a slot: `call.arguments[i]`, or the property of the object literal given there. */
function argumentOf(call: ts.CallExpression, slot: { index: number; property?: string }): ts.Expression | undefined {
  const a = call.arguments[slot.index];
  if (!a || slot.property === undefined) return a;
  const o = skipOuter(a);
  if (!ts.isObjectLiteralExpression(o)) return undefined;
  for (const p of o.properties) {
    if (ts.isShorthandPropertyAssignment(p) && p.name.text === slot.property) return p.name;
    if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === slot.property) return p.initializer;
  }
  return undefined;
}

/** The declaration a collection expression starts from, through locals made from it (`const batch = items.slice(…)`). */
function collectionRoot(prov: FileProvenance, e: ts.Expression | undefined, depth = 0): ts.Node | undefined {
  if (!e || depth > 3) return undefined;
  let x = skipOuter(e);
  for (;;) {
    if (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) x = skipOuter(x.expression);
    else if (ts.isCallExpression(x)) x = skipOuter(x.expression);
    else if (ts.isArrayLiteralExpression(x) && x.elements.length === 1 && ts.isSpreadElement(x.elements[0])) x = skipOuter(x.elements[0].expression);
    else if (ts.isNewExpression(x) && x.arguments?.length === 1) x = skipOuter(x.arguments[0]);
    else break;
  }
  if (!ts.isIdentifier(x)) return undefined;
  const d = prov.declarationOf(x);
  if (d && ts.isVariableDeclaration(d) && d.initializer) return collectionRoot(prov, d.initializer, depth + 1) ?? d;
  return d;
}

/** Where the elements come from: a callee slot (the caller's argument there), or a collection of the callee's own (its text). */
type PerElementFrom = { index: number; property?: string } | { internal: string };

/**
 * The per-element scope a call of `declared` (the callback) stands in, inside `target`, with the callee
 * slot its collection comes from; undefined when no call of it runs per element of a parameter.
 */
function perElementCall(project: ProjectServices, prov: FileProvenance, target: ts.SignatureDeclaration, declared: ts.Node, depth: number): PerElementFrom | undefined {
  const body = (target as ts.FunctionLikeDeclaration).body;
  if (!body || depth > 3) return undefined;
  const inner = (fn: ts.Node): boolean | IterationScope => projectIteration(project, prov, fn, depth + 1) ?? false;
  let found: PerElementFrom | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    // Handed on to another project iterator (`this.processItems(processFn, batch)`): per element of what it is given
    // there, a parameter of this function or a collection of its own (`this.items.slice(…)`).
    if (ts.isCallExpression(n) && depth < 3) {
      const i = n.arguments.findIndex((a) => ts.isIdentifier(skipOuter(a)) && prov.declarationOf(skipOuter(a) as ts.Identifier) === declared);
      const t = i >= 0 ? prov.callTarget(n) : undefined;
      const d = t && slotDeclaration(t.node, { index: i });
      if (t && d && t.node !== target) {
        const from = perElementCall(project, t.file === prov.path ? prov : fileProvenance(project, t.file), t.node, d, depth + 1);
        const coll = from && !('internal' in from) ? argumentOf(n, from) : undefined;
        if (coll) {
          const root = collectionRoot(prov, coll);
          const slot = root && declarationSlot(target, root);
          found = slot ?? { internal: coll.getText().slice(0, 60) };
          return;
        }
        if (from && 'internal' in from) {
          found = from;
          return;
        }
      }
    }
    const callee = ts.isCallExpression(n) ? skipOuter(n.expression) : undefined;
    if (ts.isCallExpression(n) && callee && ts.isIdentifier(callee) && prov.declarationOf(callee) === declared) {
      // Called inside a loop over a parameter: `for (const x of items) await run(x)`, `batch.map((x) => run(x))`.
      for (const s of enclosingIterations(n, inner)) {
        if (!s.perElement) continue;
        const root = collectionRoot(prov, s.collectionExpr);
        const slot = root && declarationSlot(target, root);
        if (slot) {
          found = slot;
          return;
        }
      }
      // Called with an element of a parameter: `run(items[index], index)` in a worker draining a shared index.
      for (const a of n.arguments) {
        const x = skipOuter(a);
        if (!ts.isElementAccessExpression(x)) continue;
        const root = collectionRoot(prov, x.expression);
        const slot = root && declarationSlot(target, root);
        if (slot) {
          found = slot;
          return;
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

/**
 * Answers by closure and by depth. The answer at a depth is what the bounded search from there finds: asked
 * deeper (as a link of a longer chain), fewer levels are left below it, so a closure can be no iterator's
 * callback there and one at depth 0. Keyed by depth, every answer is the same whichever file or query asked
 * first (before, one answer per closure, the first asker's, and an in-progress null: a finding depended on the
 * order files were analysed in). The depth bound alone ends the recursion.
 */
const cache = new WeakMap<ts.Node, (IterationScope | null)[]>();

/** The per-element scope a closure opens when it is the callback of a project iterator; else undefined. */
export function projectIteration(project: ProjectServices, prov: FileProvenance, fn: ts.Node, depth = 0): IterationScope | undefined {
  if (depth > 2 || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn) || ts.isMethodDeclaration(fn))) return undefined;
  let byDepth = cache.get(fn);
  if (!byDepth) cache.set(fn, (byDepth = []));
  const hit = byDepth[depth];
  if (hit !== undefined) return hit ?? undefined;
  const slot = slotOf(fn);
  const target = slot && prov.callTarget(slot.call);
  const declared = target && slotDeclaration(target.node, slot);
  let scope: IterationScope | undefined;
  if (slot && target && declared) {
    const calleeProv = target.file === prov.path ? prov : fileProvenance(project, target.file);
    const from = perElementCall(project, calleeProv, target.node, declared, depth);
    const collection = from && !('internal' in from) ? argumentOf(slot.call, from) : undefined;
    const f = fn as ts.FunctionLikeDeclaration;
    const p0 = f.parameters[0];
    if ((collection || (from && 'internal' in from)) && f.body) {
      scope = {
        kind: 'callback',
        range: { start: slot.call.getStart(), end: slot.call.getEnd() },
        node: fn,
        body: f.body,
        collection: collection ? collection.getText() : (from as { internal: string }).internal,
        collectionExpr: collection,
        method: slot.call.expression.getText().slice(0, 60),
        element: p0 && ts.isIdentifier(p0.name) ? p0.name.text : undefined,
        // A limiter starts a bounded number at a time: never assume the library's same-tick batching.
        concurrent: false,
        perElement: true,
      };
    }
  }
  byDepth[depth] = scope ?? null;
  return scope;
}

/**
 * The per-element scope a function reference handed to a project iterator opens (`this.loop(this.processItem.bind(this))`,
 * `runAll(items, handle)`): argument `index` of `call` is called once per element there. Undefined otherwise.
 */
export function iteratedArgument(project: ProjectServices, prov: FileProvenance, call: ts.CallExpression, index: number): IterationScope | undefined {
  const target = prov.callTarget(call);
  const declared = target && slotDeclaration(target.node, { index });
  if (!target || !declared) return undefined;
  const from = perElementCall(project, target.file === prov.path ? prov : fileProvenance(project, target.file), target.node, declared, 0);
  if (!from) return undefined;
  const collection = 'internal' in from ? undefined : argumentOf(call, from);
  if (!collection && !('internal' in from)) return undefined;
  return {
    kind: 'callback',
    range: { start: call.getStart(), end: call.getEnd() },
    node: call,
    body: call,
    collection: collection ? collection.getText() : (from as { internal: string }).internal,
    collectionExpr: collection,
    method: call.expression.getText().slice(0, 60),
    concurrent: false,
    perElement: true,
  };
}
