/**
 * Builders held in variables: the chain a variable holds (its initializer, the self-extending
 * reassignments, the in-place calls, the pass-through helpers it goes through), so that
 * `await qb.execute()` is read as the statement it runs.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { unparen } from '../adapters/kit/chain';
import { decomposeChain } from './orm';
import type { FileProvenance } from './provenance';
import type { Chain, ChainStep, Value } from './query-sites';

/**
 * Whether a chain's longer prefixes can have a value when its root has none. Provenance evaluates
 * `a.b`, `a.b(x)` and `a(x)` through the value of `a`, so an unknown root makes every prefix unknown;
 * the exceptions are roots provenance reads without a value of their own: `this.x` and `require('m')`.
 */
export function rootGatesChain(root: ts.Expression): boolean {
  if (root.kind === ts.SyntaxKind.ThisKeyword) return false;
  if (ts.isIdentifier(root) && root.text === 'require') return false;
  return true;
}

/**
 * The chain with its root variable replaced by the builder chain it holds: the initializer, the
 * self-extending reassignments (`q = q.where(…)`) and the in-place calls (`qb.andWhere(…);`, for the
 * mutable builders) written before the use in the same scope. Undefined when the variable is not such a
 * builder (an awaited result, a value reassigned to something else, a parameter).
 */
export function inlineBuilderRoot(chain: Chain, declarationOf: (id: ts.Identifier) => ts.Node | undefined, value: (e: ts.Expression) => Value | undefined, passes: Passes): Chain | undefined {
  let root = chain.root;
  let steps = chain.steps;
  for (let depth = 0; depth < 4 && ts.isIdentifier(root); depth++) {
    const d = declarationOf(root);
    if (!d || !ts.isVariableDeclaration(d) || !ts.isIdentifier(d.name) || !d.initializer) return depth ? { root, steps } : undefined;
    // `const page = paginate(builder, opts)`: the builder it is given, with what the helper adds left unread.
    let init = unparen(d.initializer);
    for (let k = 0; k < 3; k++) {
      const arg = passes(init);
      if (!arg) break;
      init = unparen(arg);
    }
    // The chain's own root holding no chain (`const pool = new Pool(…)`, a literal) is no builder, whatever is
    // written after it: the scope (a whole module, for a top-level client) is not walked for its later steps.
    if (depth === 0 && !ts.isIdentifier(init) && !ts.isCallExpression(init) && !ts.isPropertyAccessExpression(init)) return undefined;
    const later = laterSteps(d, root, passes);
    if (!later) return undefined;
    if (ts.isIdentifier(init)) {
      steps = [...later, ...steps];
      root = init;
      if (value(root) !== undefined) break;
      continue;
    }
    if (!ts.isCallExpression(init) && !ts.isPropertyAccessExpression(init)) return depth ? { root, steps } : undefined;
    const head = decomposeChain(init);
    if (!head.steps.length || head.steps.length + steps.length > 60) return undefined;
    steps = [...head.steps, ...later, ...steps];
    root = head.root;
    // `(cte ? builder.addCommonTableExpression(…) : builder).select(…)`: both branches the same builder, the one extended standing for it.
    const branch = ts.isConditionalExpression(root) ? sameBuilderBranches(root) : undefined;
    if (branch) {
      steps = [...branch.steps, ...steps];
      root = branch.root;
    }
    if (!ts.isIdentifier(root) || value(root) !== undefined) break;
  }
  // `this.db.db.selectFrom(…)`: provenance reads `this.x` without a value for `this` itself.
  if (root === chain.root || (rootGatesChain(root) && value(root) === undefined)) return undefined;
  return { root, steps };
}

/** A conditional whose branches are one variable and a chain extending that variable: that chain. */
function sameBuilderBranches(e: ts.ConditionalExpression): Chain | undefined {
  const a = decomposeChain(e.whenTrue);
  const b = decomposeChain(e.whenFalse);
  if (!ts.isIdentifier(a.root) || !ts.isIdentifier(b.root) || a.root.text !== b.root.text) return undefined;
  if (a.steps.length && b.steps.length) return undefined;
  return a.steps.length ? a : b;
}

/** The argument a call hands back as its result (a pass-through helper), when the callee's declared types say so. */
export type Passes = (e: ts.Expression) => ts.Expression | undefined;

/**
 * `paginate<QB>(qb: QB, opts): QB`: a project function whose declared result is a type parameter that is
 * also the declared type of one of its parameters returns (a version of) that argument, so a builder
 * given to it stays that builder (`builder = paginate(builder, { limit, cursor, keyset })`).
 */
export function passedThrough(prov: FileProvenance, e: ts.Expression): ts.Expression | undefined {
  if (!ts.isCallExpression(e)) return undefined;
  const target = prov.callTarget(e);
  const sig = target?.node;
  const ret = sig?.type;
  if (!sig || !ret || !ts.isTypeReferenceNode(ret) || !ts.isIdentifier(ret.typeName)) return undefined;
  const t = ret.typeName.text;
  if (!sig.typeParameters?.some((tp) => tp.name.text === t)) return undefined;
  const i = sig.parameters.findIndex((p) => p.type && ts.isTypeReferenceNode(p.type) && ts.isIdentifier(p.type.typeName) && p.type.typeName.text === t);
  return i >= 0 && !sig.parameters[i].dotDotDotToken ? e.arguments[i] : undefined;
}

/** Steps applied to builder variable `decl` between its declaration and `use`; undefined when it is reassigned to another value. */
function laterSteps(decl: ts.VariableDeclaration, use: ts.Identifier, passes: Passes): ChainStep[] | undefined {
  const name = use.text;
  let scope: ts.Node | undefined = decl.parent;
  while (scope && !ts.isBlock(scope) && !ts.isSourceFile(scope) && !ts.isModuleBlock(scope)) scope = scope.parent;
  if (!scope) return [];
  const out: ChainStep[] = [];
  let ok = true;
  const selfChain = (e: ts.Expression): ChainStep[] | undefined => {
    // `builder = paginate(builder, opts)`: a pass-through helper keeps the builder (its additions unread).
    for (let k = 0; k < 3; k++) {
      const arg = passes(e);
      if (!arg) break;
      e = unparen(arg);
      if (ts.isIdentifier(e) && e.text === name) return [];
    }
    // `del = r.queueId !== null ? del.where('queueId', '=', r.queueId) : del.where('queueId', 'is', null)`:
    // both branches extend the builder; the first stands for the statement's shape.
    if (ts.isConditionalExpression(e)) {
      const a = selfChain(unparen(e.whenTrue));
      return a && selfChain(unparen(e.whenFalse)) ? a : undefined;
    }
    const c = decomposeChain(e);
    return ts.isIdentifier(c.root) && c.root.text === name && c.steps.length ? c.steps : undefined;
  };
  const visit = (n: ts.Node): void => {
    if (!ok || n.pos >= use.pos) return;
    if (ts.isBinaryExpression(n) && ts.isIdentifier(n.left) && n.left.text === name && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      const more = n.operatorToken.kind === ts.SyntaxKind.EqualsToken ? selfChain(unparen(n.right)) : undefined;
      if (!more) ok = false;
      else out.push(...more);
      return;
    }
    // `qb.andWhere(…);`: the mutable builders change in place.
    if (ts.isExpressionStatement(n) && ts.isCallExpression(unparen(n.expression))) {
      const more = selfChain(unparen(n.expression));
      if (more) {
        out.push(...more);
        return;
      }
    }
    // Nested functions may run later (or never): their assignments do not count.
    if (ts.isFunctionLike(n)) return;
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(scope, visit);
  return ok ? out : undefined;
}


/** The project function a call invokes, when the caller's file can say (`callTarget`). */
export type Target = (call: ts.CallExpression) => { file: string; node: ts.SignatureDeclaration } | undefined;

/**
 * A chain whose first call is a helper that returns a builder chain (`this.baseQuery().where(…).execute()`,
 * `statusQuery(db).where(…)`, `getDownstream({ id }).groupBy(…).executeTakeFirst()` with the helper imported):
 * the returned chain, its root a parameter replaced by the caller's argument, with the caller's remaining steps,
 * and the file the helper is written in (its nodes are resolved by that file's provenance: `from`).
 */
export function inlineReturnedBuilder(chain: Chain, path: string, target: Target, held?: Held): (Chain & { from: string }) | undefined {
  const k = chain.steps.findIndex((s) => s.call);
  const call = k >= 0 ? chain.steps[k].call : undefined;
  // The caller extends or runs what the helper returns (`.where(…).execute()`); a bare `await helper()` is the helper's own site.
  if (!call || k > 2 || !chain.steps.slice(k + 1).some((s) => s.call)) return undefined;
  const t = target(call);
  if (!t) return undefined;
  const returned = returnedExpression(t.node);
  if (!returned) return undefined;
  // `let query = m.createQueryBuilder()…; if (x) query = query.where(…); return query;`: the chain the variable holds.
  const inner = ts.isIdentifier(returned) ? held?.(returned, t.file) : ts.isCallExpression(returned) || ts.isPropertyAccessExpression(returned) ? decomposeChain(returned) : undefined;
  if (!inner) return undefined;
  if (!inner.steps.some((s) => s.call) || inner.steps.length + chain.steps.length > 60) return undefined;
  let root = inner.root;
  // The helper's parameter stands for the caller's argument (`statusQuery(this.db.db)`).
  if (ts.isIdentifier(root)) {
    const i = t.node.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === (root as ts.Identifier).text);
    if (i >= 0) {
      const a = call.arguments[i];
      if (!a) return undefined;
      root = unparen(a);
    }
  }
  return { root, steps: [...inner.steps, ...chain.steps.slice(k + 1)], from: t.file };
}

/** The builder chain a variable of the helper's file (`file`) holds where the helper returns it, read as `inlineBuilderRoot` reads one. */
export type Held = (id: ts.Identifier, file: string) => Chain | undefined;

/** The one expression a function returns: an arrow's expression body, or its only `return`. */
function returnedExpression(fn: ts.SignatureDeclaration): ts.Expression | undefined {
  const body = (fn as ts.FunctionLikeDeclaration).body;
  if (!body) return undefined;
  if (!ts.isBlock(body)) return unparen(body);
  const returns: ts.ReturnStatement[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isReturnStatement(n)) returns.push(n);
    if (ts.isFunctionLike(n)) return;
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return returns.length === 1 && returns[0].expression ? unparen(returns[0].expression) : undefined;
}

/**
 * A builder held in a variable and then run by its name alone: `const q = db('streams').whereIn(…); if (userId)
 * q.select(…); return await q` (Knex builders are thenables). The declaration's chain runs when a later mention of
 * the variable in the same function is consumed in a way that runs it (`runs`: awaited, `.then`, handed to
 * `Promise.all`, returned from a function whose callers run it). Mentions that extend the chain (`q.select(…)`,
 * `await q.first()`) are not that: such a chain is its own site.
 */
export function heldBuilderRuns(decl: ts.VariableDeclaration, runs: (n: ts.Expression, depth: number) => boolean, depth: number): boolean {
  if (depth > 2 || !ts.isIdentifier(decl.name)) return false;
  const name = decl.name.text;
  let scope: ts.Node | undefined = decl.parent;
  while (scope && !ts.isFunctionLike(scope) && !ts.isSourceFile(scope)) scope = scope.parent;
  if (!scope) return false;
  let run = false;
  const visit = (n: ts.Node): void => {
    if (run) return;
    // A nested function declaring the same name shadows it; a parameter of that name too.
    if (n !== scope && ts.isFunctionLike(n) && n.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === name)) return;
    if (ts.isIdentifier(n) && n.text === name && n !== decl.name && n.pos > decl.end) {
      const p = n.parent;
      const isName = (ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n) || (ts.isVariableDeclaration(p) && p.name === n);
      if (!isName && runs(n, depth + 1)) {
        run = true;
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return run;
}
