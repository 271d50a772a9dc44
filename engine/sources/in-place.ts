/**
 * Closures that run where they are written: a function handed to a wrapper that calls it (retry,
 * rate limit, tracing: `withRetry(() => db.query(…))`, `limit(() => …)` of p-limit), or pushed onto a
 * task list inside a loop (run later by a limiter, once each). A query in such a closure runs once per
 * pass of the loop around the call, like a query written in the loop itself.
 *
 * Decided by following the wrapper: a project function that calls the parameter the closure is given,
 * or an export of a package whose documented job is to call the function it is given.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapters } from '../adapters';
import type { ProjectServices } from '../context';
import { type FunctionRole, type IterationScope, isImmediateCallback, runsArgumentInPlace } from './iteration';
import { fieldResolverScope } from './graphql-resolvers';
import { projectIteration } from './iterators';
import { fileProvenance, type FileProvenance } from './provenance';
import { skipOuter } from './ts-expr';

/**
 * Packages that call the function they are given, once (or once per retry): p-retry, async-retry,
 * exponential-backoff, p-limit / p-throttle / p-queue / queue-promise / bottleneck limiters, p-timeout; p-all, p-map and
 * p-series run a list of them.
 */
const CALLING_PACKAGES = new Set(['p-retry', 'async-retry', 'exponential-backoff', 'p-limit', 'p-throttle', 'p-queue', 'bottleneck', 'p-timeout', 'promise-retry', 'p-all', 'p-map', 'p-series', 'queue-promise']);

/** The role resolver for `enclosingIterations`: does this function run in place where it is written, or once per element? */
export function inPlaceResolver(project: ProjectServices, path: string): FunctionRole {
  let prov: FileProvenance | undefined;
  const memo = new Map<ts.Node, boolean | IterationScope>();
  return (fn) => {
    const hit = memo.get(fn);
    if (hit !== undefined) return hit;
    let r: boolean | IterationScope = false;
    try {
      prov ??= fileProvenance(project, path);
      // A closure a project iterator calls once per element of a collection it is given; a GraphQL field
      // resolver, once per parent object of a list (graphql-resolvers.ts).
      r = runsInPlace(project, prov, fn, 0) || (projectIteration(project, prov, fn) ?? fieldResolverScope(project, prov, fn) ?? false);
    } catch {
      r = false;
    }
    memo.set(fn, r);
    return r;
  };
}

function runsInPlace(project: ProjectServices, prov: FileProvenance, fn: ts.Node, depth: number): boolean {
  if (depth > 2 || (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn))) return false;
  let arg: ts.Node = fn;
  while (ts.isParenthesizedExpression(arg.parent)) arg = arg.parent;
  // A closure in an object handed to a wrapper that calls one of its members (a dispatch table:
  // `runQuery({ [PRISMA]: () => …, [CLICKHOUSE]: () => … })` with `return queries[PRISMA]()`).
  const member = ts.isPropertyAssignment(arg.parent) && arg.parent.initializer === arg && ts.isObjectLiteralExpression(arg.parent.parent);
  if (member) {
    arg = arg.parent.parent;
    while (ts.isParenthesizedExpression(arg.parent)) arg = arg.parent;
  }
  const call = arg.parent;
  if (!ts.isCallExpression(call)) return false;
  const index = call.arguments.indexOf(arg as ts.Expression);
  if (index < 0) return false;
  const callee = skipOuter(call.expression);
  if (member) {
    const t = prov.callTarget(call);
    const b = t && (t.node as ts.FunctionLikeDeclaration).body;
    const p = t?.node.parameters[index];
    return !!b && !!p && ts.isIdentifier(p.name) && callsDeclared(t.file === prov.path ? prov : fileProvenance(project, t.file), b, p, true);
  }
  // `tasks.push(() => …)`: collected once per pass and run later once each — when the list is run.
  if (ts.isPropertyAccessExpression(callee) && /^(push|unshift)$/.test(callee.name.text)) return listIsRun(prov, skipOuter(callee.expression));
  if (fromCallingPackage(prov, callee)) return true;
  // A library's transaction method on one of its clients (`sql.begin(async (trx) => …)`): it runs the callback now.
  if (ts.isPropertyAccessExpression(callee) && index === call.arguments.length - 1) {
    const b = prov.resolve(skipOuter(callee.expression));
    if (b && adapters[b.library].rules.transactionCallbacks.includes(callee.name.text)) return true;
  }
  const target = prov.callTarget(call);
  if (!target && generatorRunWithResult(fn, call)) return true;
  const body = target && (target.node as ts.FunctionLikeDeclaration).body;
  const param = target?.node.parameters[index];
  // A signature without a body (an interface's `runTask<T>(key: string, cb: () => Promise<T>): Promise<T>`): its
  // result is the callback's, so it calls the callback.
  if (!body && target && param) return resultOfCallback(target.node, param);
  if (!body || !param || !ts.isIdentifier(param.name)) return declaredToCall(prov, callee, index);
  const calleeProv = target.file === prov.path ? prov : fileProvenance(project, target.file);
  return callsDeclared(calleeProv, body, param) || declaredToCall(prov, callee, index);
}

/**
 * Whether the receiver's declared type says the method calls its callback (resultOfCallback), when the body
 * found for it does not show the call plainly (an implementation that calls it inside an effect it builds).
 */
function declaredToCall(prov: FileProvenance, callee: ts.Expression, index: number): boolean {
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const dt = prov.declaredType(callee.expression);
  const m = dt ? prov.typeMemberOf(dt.file, dt.type, callee.name.text) : undefined;
  const sig = m && (ts.isFunctionTypeNode(m.node) || ts.isMethodSignature(m.node)) ? m.node : undefined;
  const param = sig?.parameters[index];
  return !!sig && !!param && resultOfCallback(sig, param);
}

/**
 * A generator function handed to a library call (`Effect.gen(function* () { … })`) whose result the code around
 * returns or runs (`yield*`): the effect it makes runs the generator when it is run, which is where the caller
 * runs what it returns. A generator handed to a call whose result is stored or registered (a saga's
 * `takeEvery(action, function* () { … })`) is not.
 */
function generatorRunWithResult(fn: ts.ArrowFunction | ts.FunctionExpression, call: ts.CallExpression): boolean {
  if (!ts.isFunctionExpression(fn) || !fn.asteriskToken) return false;
  let e: ts.Node = call;
  // `gen(function* () { … }).pipe(withSpan(…))`: the chain on the effect is the same effect.
  for (;;) {
    const p = e.parent;
    if (ts.isParenthesizedExpression(p) || (ts.isPropertyAccessExpression(p) && p.expression === e)) e = p;
    else if (ts.isCallExpression(p) && p.expression === e) e = p;
    else break;
  }
  const p = e.parent;
  return ts.isReturnStatement(p) || (ts.isArrowFunction(p) && p.body === e) || (ts.isYieldExpression(p) && !!p.asteriskToken);
}

/**
 * Whether a declared signature returns what its callback parameter returns: `<T>(…, cb: () => T | Promise<T>):
 * Promise<T>` with `T` its own type parameter. Nothing else produces a `T`, so an implementation calls `cb`.
 */
function resultOfCallback(sig: ts.SignatureDeclaration, param: ts.ParameterDeclaration): boolean {
  const tps = new Set((sig.typeParameters ?? []).map((t) => t.name.text));
  const core = (t: ts.TypeNode | undefined): string | undefined => {
    if (!t) return undefined;
    while (ts.isParenthesizedTypeNode(t)) t = t.type;
    if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && !t.typeArguments) return tps.has(t.typeName.text) ? t.typeName.text : undefined;
    // `Promise<T>`, and a generic result whose first argument is the callback's result: `Effect.Effect<T, E, R>`
    // (an effect that, run, calls the callback and succeeds with what it returns).
    if (ts.isTypeReferenceNode(t) && t.typeArguments?.length) return core(t.typeArguments[0]);
    if (ts.isUnionTypeNode(t)) {
      const names = new Set(t.types.map(core));
      return names.size === 1 ? [...names][0] : undefined;
    }
    return undefined;
  };
  let pt = param.type;
  // `op: ((manager: EntityManager) => Promise<T>)`, parenthesised as grist-core's RunInTransaction writes it.
  while (pt && ts.isParenthesizedTypeNode(pt)) pt = pt.type;
  if (!pt || !ts.isFunctionTypeNode(pt)) return false;
  const r = core(sig.type);
  return r !== undefined && core(pt.type) === r;
}

/**
 * Whether a list of functions is run in its scope: handed to a package that runs them (`pAll(tasks)`,
 * `pMap(tasks, …)`), or each element called (`tasks.map((t) => t())`, `for (const t of tasks) await t()`).
 * A list returned or stored for later is not.
 */
function listIsRun(prov: FileProvenance, list: ts.Expression): boolean {
  if (!ts.isIdentifier(list)) return false;
  const d = prov.declarationOf(list);
  if (!d || !ts.isVariableDeclaration(d)) return false;
  let scope: ts.Node | undefined = d.parent;
  while (scope && !ts.isBlock(scope) && !ts.isSourceFile(scope)) scope = scope.parent;
  if (!scope) return false;
  const isList = (e: ts.Node): boolean => {
    const x = skipOuter(e as ts.Expression);
    return ts.isIdentifier(x) && prov.declarationOf(x) === d;
  };
  let run = false;
  const visit = (n: ts.Node): void => {
    if (run) return;
    if (ts.isCallExpression(n)) {
      const callee = skipOuter(n.expression);
      // `pAll(tasks)`, `pMap(tasks, (t) => t())`.
      if (n.arguments.some(isList) && fromCallingPackage(prov, callee)) run = true;
      // `tasks.map((t) => t())`, `tasks.forEach(async (t) => await t())`.
      const each = n.arguments[0] && skipOuter(n.arguments[0]);
      // `tasks.map((t) => limit(t))` with `limit = pLimit(n)`: the element handed to a package that calls it.
      if (ts.isPropertyAccessExpression(callee) && /^(map|forEach)$/.test(callee.name.text) && isList(callee.expression) && each && (ts.isArrowFunction(each) || ts.isFunctionExpression(each)) && each.parameters[0] && (callsDeclared(prov, each.body, each.parameters[0]) || handsToCallingPackage(prov, each.body, each.parameters[0]))) run = true;
    }
    // `for (const t of tasks) await t()`.
    if (ts.isForOfStatement(n) && isList(n.expression) && ts.isVariableDeclarationList(n.initializer) && n.initializer.declarations.length === 1 && callsDeclared(prov, n.statement, n.initializer.declarations[0])) run = true;
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return run;
}

/**
 * Whether a body calls the function declared by `p` (`await fn()`, `fn.call(this)`, `return fn(x)`), or with
 * `member`, a function `p` holds (`queries[key]()`, `handlers.run()`).
 */
function callsDeclared(prov: FileProvenance, body: ts.Node, p: ts.ParameterDeclaration | ts.VariableDeclaration, member = false): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n)) {
      let c = skipOuter(n.expression);
      if (ts.isPropertyAccessExpression(c) && (c.name.text === 'call' || c.name.text === 'apply')) c = skipOuter(c.expression);
      if (member && (ts.isElementAccessExpression(c) || ts.isPropertyAccessExpression(c))) c = skipOuter(c.expression);
      if (ts.isIdentifier(c) && prov.declarationOf(c) === p) {
        found = true;
        return;
      }
      // Handed on to a library call that runs it in place (`client.$transaction(input, options)`).
      if (n.arguments.some((a) => { const x = skipOuter(a); return ts.isIdentifier(x) && prov.declarationOf(x) === p; }) && runsArgumentInPlace(n)) {
        found = true;
        return;
      }
    }
    // A function stored for later (a handler registered by the wrapper) does not call it now.
    if (ts.isFunctionLike(n) && !isImmediateCallback(n)) return;
    ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

/** `pRetry(fn)`, `limit(fn)` where `const limit = pLimit(2)`, `queue.add(fn)` where `const queue = new PQueue()`. */
/** Whether a body passes the function declared by `p` to a package that calls its arguments (`limit(t)`, `pRetry(t)`). */
function handsToCallingPackage(prov: FileProvenance, body: ts.Node, p: ts.ParameterDeclaration): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) && n.arguments.some((a) => ts.isIdentifier(skipOuter(a)) && prov.declarationOf(skipOuter(a) as ts.Identifier) === p) && fromCallingPackage(prov, skipOuter(n.expression))) {
      found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

function fromCallingPackage(prov: FileProvenance, callee: ts.Expression): boolean {
  const base = ts.isPropertyAccessExpression(callee) ? skipOuter(callee.expression) : callee;
  if (!ts.isIdentifier(base)) return false;
  let root: ts.Identifier = base;
  for (let depth = 0; depth < 3; depth++) {
    const d = prov.declarationOf(root);
    if (!d) return false;
    const spec = importSpec(d);
    if (spec !== undefined) return CALLING_PACKAGES.has(spec) || CALLING_PACKAGES.has(spec.replace(/\/.*$/, ''));
    if (!ts.isVariableDeclaration(d) || !d.initializer) return false;
    let init = skipOuter(d.initializer);
    if (ts.isNewExpression(init) || ts.isCallExpression(init)) init = skipOuter(init.expression);
    if (!ts.isIdentifier(init)) return false;
    root = init;
  }
  return false;
}

function importSpec(d: ts.Node): string | undefined {
  let n: ts.Node | undefined = d;
  while (n && !ts.isImportDeclaration(n) && !ts.isSourceFile(n)) n = n.parent;
  if (n && ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) return n.moduleSpecifier.text;
  // `const pLimit = require('p-limit')`.
  if (ts.isVariableDeclaration(d) && d.initializer) {
    const i = skipOuter(d.initializer);
    if (ts.isCallExpression(i) && ts.isIdentifier(i.expression) && i.expression.text === 'require' && i.arguments[0] && ts.isStringLiteral(i.arguments[0])) return i.arguments[0].text;
  }
  return undefined;
}
