/**
 * Read-through caches: a closure handed to a project wrapper that runs it only when a store keyed by one of the
 * wrapper's arguments has no entry, and keeps its result under that key — usertour's
 * `cache.memoize(key, () => prisma.bizUser.findFirst(…))` (`const hit = ctx.memo.get(key); if (hit) return hit;
 * const p = loader(); ctx.memo.set(key, p)`) and `cache.get(key, ttl, () => …)` over Redis (`getJson(key)` …
 * `if (cached !== null) return cached` … `setJsonEx(key, fresh)`). The query in the closure runs once per key.
 *
 * A loop calling it runs the query once per element only when the key changes with the element: the key is read
 * back through the helpers between the loop and the wrapper (a helper's parameter → the caller's argument, a local
 * → its initializer) to the loop's function, where it varies when it names something declared in the loop (its
 * element, a local of its body). Anything not followed counts as varying: a finding stays.
 *
 * A wrapper that also calls the closure on a path that bypasses the store (usertour's `if (!ctx) return loader()`
 * outside a request scope) is still taken as the cache: the bypass is the exception the store exists for.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ProjectServices } from '../context';
import type { Range } from '../types';
import { containsNode } from './iteration';
import { fileProvenance } from './provenance';
import type { QuerySite } from './query-sites';
import { skipOuter } from './ts-expr';

/** A step of a call path: a call in one function that enters the next (engine/sources/call-graph.ts CallStep). */
interface Step {
  file: string;
  range: Range;
}

/** The node of a range in a file (a call, by its exact range). */
type NodeAt = (file: string, range: Range) => ts.Node | undefined;

/** Per wrapper: loader parameter index → key parameter index (null: not a read-through of it). */
const readThroughAnswers = new WeakMap<ts.Node, Map<number, number | null>>();

/**
 * Whether the query `site`, reached from `loopCall` in the loop `loop` through `path`, sits in a closure handed to a
 * read-through wrapper whose key does not change with the loop's element: it runs once per key, not per element.
 */
export function readThroughOnce(project: ProjectServices, nodeAt: NodeAt, loopCall: ts.Node, loop: ts.Node, site: QuerySite, path: readonly Step[]): boolean {
  const siteNode = nodeAt(site.file, site.range);
  if (!siteNode) return false;
  const direct = !path.length && loopCall.getSourceFile() === siteNode.getSourceFile() && loopCall.getStart() === siteNode.getStart();
  // Level 0 is the loop's function; calls[l] enters level l + 1. The query, or any call on the way to it, may sit in
  // the cached closure (`memoize(key, async () => this.getCloudConfig(id))`): calls[l] is written at level l.
  const calls: ts.Node[] = direct ? [] : [loopCall];
  for (const s of path) {
    const n = nodeAt(s.file, s.range);
    if (!n) return false;
    calls.push(n);
  }
  const anchors: [string, ts.Node][] = [...path.map((s, i): [string, ts.Node] => [s.file, calls[i + 1]]), [site.file, siteNode]];
  const first = calls.length ? 1 : 0;
  return anchors.some(([file, a], i) => {
    const wrapped = wrapperCall(project, file, a);
    return !!wrapped && !varies(wrapped.key, first + i, calls, loop, new Set(), 0);
  });
}

/** The wrapper call a query's closure is handed to, with the key argument it stores under. */
function wrapperCall(project: ProjectServices, file: string, node: ts.Node): { call: ts.CallExpression; key: ts.Expression } | undefined {
  let fn: ts.Node | undefined = node.parent;
  while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
  if (!fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return undefined;
  let arg: ts.Node = fn;
  while (ts.isParenthesizedExpression(arg.parent)) arg = arg.parent;
  const call = arg.parent;
  if (!ts.isCallExpression(call)) return undefined;
  const index = call.arguments.indexOf(arg as ts.Expression);
  if (index < 0) return undefined;
  const target = fileProvenance(project, file).callTarget(call);
  const keyIndex = target && readThroughKeyIndex(target.node, index);
  return keyIndex !== undefined && call.arguments[keyIndex] ? { call, key: call.arguments[keyIndex] } : undefined;
}

/**
 * The index of the key parameter when `fn` is a read-through wrapper of its parameter `loaderIndex`: some call of
 * the loader comes after an early `return` on a lookup by the key parameter (`if (hit) return hit` with
 * `hit = store.get(key)`) and its result is stored by another call taking the key first (`store.set(key, p)`).
 */
function readThroughKeyIndex(fn: ts.SignatureDeclaration, loaderIndex: number): number | undefined {
  const body = (fn as ts.FunctionLikeDeclaration).body;
  const loader = fn.parameters[loaderIndex];
  if (!body || !ts.isBlock(body) || !loader || !ts.isIdentifier(loader.name)) return undefined;
  let answers = readThroughAnswers.get(fn);
  if (!answers) readThroughAnswers.set(fn, (answers = new Map()));
  const cached = answers.get(loaderIndex);
  if (cached !== undefined) return cached ?? undefined;
  const paramIndex = (id: ts.Expression | undefined): number => {
    const e = id && skipOuter(id);
    return e && ts.isIdentifier(e) ? fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === e.text) : -1;
  };
  // Calls whose first argument is a parameter: the key's lookups and stores.
  const keyed = new Map<ts.CallExpression, number>();
  const locals = new Map<string, ts.CallExpression>();
  const loaderCalls: ts.CallExpression[] = [];
  containsNode(body, (n) => {
    if (ts.isCallExpression(n)) {
      const e = skipOuter(n.expression);
      if (ts.isIdentifier(e) && e.text === loader.name.getText()) loaderCalls.push(n);
      const k = paramIndex(n.arguments[0]);
      if (k >= 0 && k !== loaderIndex) keyed.set(n, k);
    }
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) {
      let i = skipOuter(n.initializer);
      if (ts.isAwaitExpression(i)) i = skipOuter(i.expression);
      if (ts.isCallExpression(i)) locals.set(n.name.text, i);
    }
    return false;
  });
  let answer: number | undefined;
  for (const c of loaderCalls) {
    const lookup = lookupBefore(c, fn, keyed, locals);
    if (!lookup) continue;
    const k = keyed.get(lookup)!;
    const stored = [...keyed].some(([s, i]) => i === k && s !== lookup && s.getStart() > c.getStart());
    if (stored) {
      answer = k;
      break;
    }
  }
  answers.set(loaderIndex, answer ?? null);
  return answer;
}

/** The keyed lookup an early-exit `if` before `call` tests (`if (hit) return hit`, `if (await store.has(key)) return …`). */
function lookupBefore(call: ts.Node, fn: ts.Node, keyed: Map<ts.CallExpression, number>, locals: Map<string, ts.CallExpression>): ts.CallExpression | undefined {
  let child: ts.Node = call;
  for (let p = call.parent; p && p !== fn; child = p, p = p.parent) {
    if (!ts.isBlock(p)) continue;
    for (const st of p.statements) {
      if (st === child) break;
      if (!ts.isIfStatement(st) || st.elseStatement || !returns(st.thenStatement)) continue;
      let hit: ts.CallExpression | undefined;
      containsNode(st.expression, (n) => {
        if (ts.isCallExpression(n) && keyed.has(n)) hit = n;
        else if (ts.isIdentifier(n) && locals.has(n.text) && keyed.has(locals.get(n.text)!)) hit = locals.get(n.text);
        return !!hit;
      });
      if (hit) return hit;
    }
  }
  return undefined;
}

function returns(s: ts.Statement): boolean {
  if (ts.isReturnStatement(s)) return true;
  return ts.isBlock(s) && s.statements.length > 0 && ts.isReturnStatement(s.statements[s.statements.length - 1]);
}

/**
 * Whether `e`, written at `level` of the call chain, changes with the loop's element: at level 0 (the loop's
 * function) when it names a declaration inside the loop; deeper, when a parameter it names is handed an argument
 * that does (one level up), or a local it names is initialised with something that does. A callback's parameter,
 * a loop variable of a helper, a destructured parameter: varying (not followed).
 */
function varies(e: ts.Node, level: number, calls: readonly ts.Node[], loop: ts.Node, seen: Set<ts.Node>, depth: number): boolean {
  if (depth > 12) return true;
  return containsNode(e, (n) => {
    if (!ts.isIdentifier(n) || isPropertyName(n)) return false;
    const d = declarationOf(n);
    if (!d || seen.has(d)) return false;
    seen.add(d);
    if (level === 0) return d.getStart() >= loop.getStart() && d.getEnd() <= loop.getEnd();
    if (ts.isParameter(d)) {
      const fn = d.parent;
      if (!ts.isIdentifier(d.name) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) return true;
      const call = calls[level - 1];
      if (!ts.isCallExpression(call)) return true;
      const arg = call.arguments[fn.parameters.indexOf(d)];
      return !!arg && varies(arg, level - 1, calls, loop, seen, depth + 1);
    }
    if (ts.isVariableDeclaration(d)) {
      if (ts.isForOfStatement(d.parent.parent) || ts.isForInStatement(d.parent.parent) || !d.initializer) return true;
      return varies(d.initializer, level, calls, loop, seen, depth + 1);
    }
    // A binding element of a destructured local: its initializer; of a parameter: not followed.
    if (ts.isBindingElement(d)) {
      let top: ts.Node = d;
      while (ts.isBindingElement(top) || ts.isObjectBindingPattern(top) || ts.isArrayBindingPattern(top)) top = top.parent;
      return ts.isVariableDeclaration(top) && !!top.initializer && !ts.isForOfStatement(top.parent.parent) ? varies(top.initializer, level, calls, loop, seen, depth + 1) : true;
    }
    return false;
  });
}

/** The name of a member access or an object literal's key (`a.name`, `{ name: x }`): not a variable. */
function isPropertyName(id: ts.Identifier): boolean {
  const p = id.parent;
  return (ts.isPropertyAccessExpression(p) && p.name === id) || (ts.isPropertyAssignment(p) && p.name === id) || (ts.isQualifiedName(p) && p.right === id) || ts.isTypeReferenceNode(p);
}

/** The declaration a variable name refers to by scope (a parameter, a variable, a binding element), if written above it. */
function declarationOf(id: ts.Identifier): ts.Node | undefined {
  const name = id.text;
  for (let s: ts.Node | undefined = id.parent; s; s = s.parent) {
    if (ts.isFunctionLike(s)) {
      for (const p of s.parameters) {
        const hit = bound(p, name);
        if (hit) return hit;
      }
    }
    if ((ts.isForOfStatement(s) || ts.isForInStatement(s) || ts.isForStatement(s)) && s.initializer && ts.isVariableDeclarationList(s.initializer)) {
      for (const d of s.initializer.declarations) {
        const hit = bound(d, name);
        if (hit) return hit;
      }
    }
    if (ts.isBlock(s) || ts.isSourceFile(s)) {
      for (const st of s.statements) {
        if (!ts.isVariableStatement(st)) continue;
        for (const d of st.declarationList.declarations) {
          const hit = bound(d, name);
          if (hit) return hit;
        }
      }
    }
  }
  return undefined;
}

/** The declaration (or binding element) in `d` that binds `name`. */
function bound(d: ts.ParameterDeclaration | ts.VariableDeclaration | ts.BindingElement, name: string): ts.Node | undefined {
  if (ts.isIdentifier(d.name)) return d.name.text === name ? d : undefined;
  for (const el of d.name.elements) {
    if (ts.isOmittedExpression(el)) continue;
    const hit = bound(el, name);
    if (hit) return hit;
  }
  return undefined;
}
