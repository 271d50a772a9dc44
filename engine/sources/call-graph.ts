/**
 * Per-function summaries: "this function runs a query (on table T)", directly
 * or through the helpers it calls, in this file or in files it imports.
 *
 * Each file's summary (which query sites and which calls each function body
 * holds) is computed once per file version through `project.memo` and reused
 * by every file that calls into it. The transitive question ("does calling
 * f run a query?") is answered lazily with a visiting set (recursion and
 * mutual recursion end) and a depth bound, so a helper cycle neither loops
 * nor stalls.
 *
 * Callees are resolved through provenance (imports, re-exports, `import *`
 * namespaces, object literals of functions), plus `this.method()` inside a
 * class and `this.service.method()` where `service` is a constructor-injected
 * or declared field whose type is a project class.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ProjectServices } from '../context';
import { noteSwallowed } from '../guard';
import type { Range } from '../types';
import { enclosingIterations, type FunctionRole, inCatchBlock, isImmediateCallback, iterationScopeOf } from './iteration';
import { implementationOf } from './implementations';
import { injectedTargets } from './injected-deps';
import { inPlaceResolver } from './in-place';
import { bufferFlushed } from './buffer-flush';
import { memoised, onceGuarded } from './memo';
import { fileProvenance } from './provenance';
import type { QuerySite } from './query-sites';
import { fileQuerySites } from './orm';
import { type Env, bindArguments, envKey, guardedOff, memoGuarded } from './call-guards';

/** How deep helper chains are followed. Real code rarely hides a query more than a few calls down. */
export const MAX_CALL_DEPTH = 8;
/** How many distinct queries one helper call is reported with (a report generator may run dozens). */
export const MAX_REACHED = 24;

export interface FunctionRef {
  file: string;
  node: ts.SignatureDeclaration;
}

export interface CallStep {
  file: string;
  range: Range;
  /** The callee as written, e.g. `loadOrders`, `this.repo.findFor`. */
  callee: string;
}

/** A query reached by calling a function, and the calls leading to it (outermost first, excluding the caller's own call). */
export interface ReachedQuery {
  site: QuerySite;
  /** Calls between the function's body and the query (empty when the query is in the body itself). */
  path: CallStep[];
  /** Whether the query is inside a per-element loop of the helper itself (already its own N+1). */
  loopedInHelper: boolean;
}

interface FunctionSummary {
  node: ts.SignatureDeclaration;
  /** Query sites whose owning function is this one, in source order. */
  sites: QuerySite[];
  /** Call expressions in the body (owned by this function) that are not query sites. */
  calls: ts.CallExpression[];
}

interface FileSummary {
  byFunction: Map<ts.Node, FunctionSummary>;
  siteByKey: Map<string, QuerySite>;
}

const key = (r: Range): string => `${r.start}:${r.end}`;

/**
 * The function whose call runs `node`: the nearest enclosing function that
 * is neither run in place (`then`, `$transaction`, an IIFE) nor a
 * per-element callback (those run as part of the function around them).
 */
export function owningFunction(node: ts.Node, inPlace?: FunctionRole): ts.SignatureDeclaration | undefined {
  let p = node.parent;
  while (p) {
    if (ts.isFunctionLike(p)) {
      // A class's method runs when called by name (a GraphQL field resolver's per-parent scope is its caller's loop).
      if (ts.isClassLike(p.parent) || !(isImmediateCallback(p) || iterationScopeOf(p) || inPlace?.(p))) return p;
    }
    p = p.parent;
  }
  return undefined;
}

/** The caller's argument for a parameter of `fn` named `text` (a helper's `in` list given by its caller), else `text`. */
export function argumentFor(fn: ts.SignatureDeclaration, call: ts.CallExpression, text: string): string {
  const i = fn.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === text.trim());
  const a = i >= 0 ? call.arguments[i] : undefined;
  return a ? a.getText() : text;
}

/** Summaries of every function of a file, memoised per file version. */
export function fileSummary(project: ProjectServices, path: string): FileSummary | undefined {
  const text = project.fileText(path);
  if (text === undefined) return undefined;
  return project.memo(`callGraph:${path}`, text, () => {
    const sf = project.tsAst(path);
    const byFunction = new Map<ts.Node, FunctionSummary>();
    const siteByKey = new Map<string, QuerySite>();
    if (!sf) return { byFunction, siteByKey };
    let sites: QuerySite[] = [];
    try {
      // The same memo entry as RuleContext.querySites: a file's query sites are found once per version,
      // whether its own analysis or a caller's summary asks first.
      sites = project.memo(`querySites:${path}`, text, () => fileQuerySites(project, path));
    } catch (e) {
      noteSwallowed(path, 'call graph', e);
      sites = [];
    }
    for (const s of sites) siteByKey.set(key(s.range), s);
    // Closures handed to wrappers that call them (retry, limiters) belong to the function around them.
    const inPlace = inPlaceResolver(project, path);
    const visit = (n: ts.Node): void => {
      // A tagged template that runs itself (`sql\`select …\``, `prisma.$queryRaw\`…\``) is a site as a call is.
      if (ts.isCallExpression(n) || ts.isTaggedTemplateExpression(n)) {
        const owner = owningFunction(n, inPlace);
        const site = owner && siteByKey.get(key({ start: n.getStart(), end: n.getEnd() }));
        if (owner && (site || ts.isCallExpression(n))) {
          let sum = byFunction.get(owner);
          if (!sum) byFunction.set(owner, (sum = { node: owner, sites: [], calls: [] }));
          if (site) sum.sites.push(site);
          else sum.calls.push(n as ts.CallExpression);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    return { byFunction, siteByKey };
  });
}

function findMethod(cls: ts.ClassLikeDeclaration, name: string): ts.SignatureDeclaration | undefined {
  for (const m of cls.members) {
    if ((ts.isMethodDeclaration(m) || ts.isGetAccessorDeclaration(m)) && m.name && ts.isIdentifier(m.name) && m.name.text === name && m.body) return m;
    if (ts.isPropertyDeclaration(m) && m.name && ts.isIdentifier(m.name) && m.name.text === name && m.initializer) {
      const init = m.initializer;
      if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init;
    }
  }
  return undefined;
}

/**
 * A method of a project class or of the project classes it extends (`TeamDomain.createWithCtx(…)` defined on the
 * project's base model `Model`), with the file that declares it.
 */
function inheritedMethod(project: ProjectServices, file: string, cls: ts.ClassLikeDeclaration, name: string, depth = 0): FunctionRef | undefined {
  const own = findMethod(cls, name);
  if (own) return { file, node: own };
  if (depth > 4) return undefined;
  const ext = cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
  if (!ext) return undefined;
  const base = fileProvenance(project, file).value(ext.expression);
  return base?.kind === 'class' ? inheritedMethod(project, base.file, base.node, name, depth + 1) : undefined;
}

function enclosingClass(n: ts.Node): ts.ClassLikeDeclaration | undefined {
  let p = n.parent;
  while (p) {
    if (ts.isClassLike(p)) return p;
    // `this` inside a plain function is not the class instance.
    if (ts.isFunctionDeclaration(p) || ts.isFunctionExpression(p)) return undefined;
    p = p.parent;
  }
  return undefined;
}

/** The type name a class member is declared with (`private readonly orders: OrdersService`, `orders = new OrdersService()`). */
function memberTypeName(cls: ts.ClassLikeDeclaration, name: string): ts.Identifier | undefined {
  const fromType = (t: ts.TypeNode | undefined): ts.Identifier | undefined =>
    t && ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) ? t.typeName : undefined;
  for (const m of cls.members) {
    if (ts.isPropertyDeclaration(m) && m.name && ts.isIdentifier(m.name) && m.name.text === name) {
      const t = fromType(m.type);
      if (t) return t;
      if (m.initializer && ts.isNewExpression(m.initializer) && ts.isIdentifier(m.initializer.expression)) return m.initializer.expression;
    }
    if (ts.isConstructorDeclaration(m)) {
      for (const p of m.parameters) {
        if (ts.isIdentifier(p.name) && p.name.text === name && ts.getModifiers(p)?.length) {
          const t = fromType(p.type);
          if (t) return t;
        }
      }
    }
  }
  return undefined;
}

/** Resolves the function a call invokes, when it is project code (node possibly from provenance's own tree). */
function resolveCalleeRaw(project: ProjectServices, path: string, call: ts.CallExpression): FunctionRef | undefined {
  const callee = call.expression;
  // Helpers are called as `f()`, `ns.f()`, `this.f()`, `this.svc.f()`: a callee deep in a fluent
  // chain (`match(x).with(…)….exhaustive()`) is a library's builder, not project code.
  let depth = 0;
  for (let e: ts.Expression = callee; ts.isPropertyAccessExpression(e) || ts.isCallExpression(e) || ts.isElementAccessExpression(e); e = e.expression) {
    if (++depth > 4) return undefined;
  }
  let prov;
  try {
    prov = fileProvenance(project, path);
  } catch (e) {
    noteSwallowed(path, 'call graph', e);
    return undefined;
  }
  try {
    const v = prov.value(callee);
    if (v?.kind === 'function') return { file: v.file, node: v.node };
  } catch (e) {
    /* unresolvable: fall through */
    noteSwallowed(path, 'call graph', e);
  }
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const method = callee.name.text;
  const recv = callee.expression;
  // this.method()
  if (recv.kind === ts.SyntaxKind.ThisKeyword) {
    const cls = enclosingClass(call);
    return cls ? inheritedMethod(project, path, cls, method) : undefined;
  }
  // this.service.method(): the field's declared class.
  if (ts.isPropertyAccessExpression(recv) && recv.expression.kind === ts.SyntaxKind.ThisKeyword) {
    const cls = enclosingClass(call);
    const typeId = cls ? memberTypeName(cls, recv.name.text) : undefined;
    if (typeId) {
      try {
        const def = prov.definitionOf(typeId);
        if (def && ts.isClassLike(def.node)) {
          const m = findMethod(def.node, method);
          return m ? { file: def.file, node: m } : undefined;
        }
      } catch {
        return undefined;
      }
    }
    // Not a class field: an interface (`readonly db: Database`) is resolved below through its implementing class.
  }
  // Service.method() / instance.method() where the receiver is a project class (static) or `new Class()`.
  try {
    const rv = prov.value(recv);
    if (rv?.kind === 'class' || rv?.kind === 'class-instance') {
      const m = inheritedMethod(project, rv.file, rv.node, method);
      if (m) return m;
    }
    if (ts.isIdentifier(recv)) {
      const def = prov.definitionOf(recv);
      const d = def?.node;
      if (d && ts.isVariableDeclaration(d) && d.initializer && ts.isNewExpression(d.initializer) && ts.isIdentifier(d.initializer.expression)) {
        const cdef = fileProvenance(project, def!.file).definitionOf(d.initializer.expression);
        if (cdef && ts.isClassLike(cdef.node)) {
          const m = findMethod(cdef.node, method);
          if (m) return { file: cdef.file, node: m };
        }
      }
    }
    // A method of the receiver's declared type: a class method, or an interface member whose implementing
    // class defines it (`this.factory.autocommit().reserve(…)` on a `ShardStore`).
    const t = prov.callTarget(call);
    if (t && (t.node as ts.FunctionLikeDeclaration).body) return { file: t.file, node: t.node };
    if (t && ts.isMethodSignature(t.node) && ts.isInterfaceDeclaration(t.node.parent)) {
      // The receiver's own interface first (`sessionStore: ISessionStore`): a method declared on a generic base
      // (`Store<T, K>.delete`) has many implementers; when the receiver's interface names none, say nothing.
      const declared = prov.declaredType(recv)?.type;
      const own = declared && ts.isTypeReferenceNode(declared) ? (ts.isIdentifier(declared.typeName) ? declared.typeName.text : declared.typeName.right.text) : undefined;
      const base = t.node.parent.name.text;
      const impl = own && own !== base ? implementationOf(project, own, method) : implementationOf(project, base, method);
      if (impl) return impl;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * The same declaration in the project's syntax tree of its file. Provenance
 * may hold its own tree of a file (same text, other node objects); summaries
 * are keyed by the project's nodes.
 */
export function canonicalFunction(project: ProjectServices, ref: FunctionRef): FunctionRef | undefined {
  const sf = project.tsAst(ref.file);
  if (!sf) return undefined;
  if (ref.node.getSourceFile() === sf) return ref;
  const start = ref.node.pos;
  const end = ref.node.end;
  let n: ts.Node = sf;
  for (let guard = 0; guard < 10000; guard++) {
    if (n.pos === start && n.end === end && n.kind === ref.node.kind) return { file: ref.file, node: n as ts.SignatureDeclaration };
    let next: ts.Node | undefined;
    ts.forEachChild(n, (c) => {
      if (!next && c.pos <= start && end <= c.end) next = c;
    });
    if (!next) return undefined;
    n = next;
  }
  return undefined;
}

/** Resolves the function a call invokes, when it is project code. */
export function resolveCallee(project: ProjectServices, path: string, call: ts.CallExpression): FunctionRef | undefined {
  const r = resolveCalleeRaw(project, path, call);
  return r ? canonicalFunction(project, r) : undefined;
}

/** Is `site` inside a per-element loop of its own function? */
function loopedWithin(project: ProjectServices, site: QuerySite): boolean {
  const sf = project.tsAst(site.file);
  if (!sf) return false;
  const node = findNode(sf, site.range);
  return !!node && enclosingIterations(node, inPlaceResolver(project, site.file)).some((s) => s.perElement);
}

const rangeIndexes = new WeakMap<ts.SourceFile, Map<string, ts.Node>>();

/** The node with exactly this range (calls, tagged templates, `new`), from a per-tree index built in one pass. */
export function findNode(sf: ts.SourceFile, r: Range): ts.Node | undefined {
  let idx = rangeIndexes.get(sf);
  if (!idx) {
    const m = new Map<string, ts.Node>();
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) || ts.isTaggedTemplateExpression(n) || ts.isNewExpression(n) || ts.isPropertyAccessExpression(n)) {
        const k = `${n.getStart(sf)}:${n.getEnd()}`;
        if (!m.has(k) || ts.isCallExpression(n) || ts.isTaggedTemplateExpression(n)) m.set(k, n);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    rangeIndexes.set(sf, (idx = m));
  }
  return idx.get(`${r.start}:${r.end}`);
}

function calleeText(call: ts.CallExpression): string {
  const t = call.expression.getText();
  return t.length > 60 ? `${t.slice(0, 57)}…` : t;
}

/**
 * Caches of one analysis run (one rule on one file): transitive answers per
 * function. Cross-file summaries themselves are memoised in the project.
 */
export class CallGraph {
  private answers = new Map<ts.Node, ReachedQuery[]>();
  private envAnswers = new Map<ts.Node, Map<string, ReachedQuery[]>>();
  private visiting = new Set<ts.Node>();
  /** Evaluations left: bounds the work on dense or cyclic call graphs (generated code). */
  private budget = 20000;

  constructor(private readonly project: ProjectServices) {}

  /**
   * Every unbatched query calling `fn` runs (directly or through helpers), each site once (the first path
   * that reaches it), its own queries first, then its callees' in call order; at most MAX_REACHED. `env`:
   * what the call entering `fn` tells about its parameters; queries and calls on paths it rules out
   * (`if (options?.signedUrls)` when the call passes no such option) are passed over.
   */
  queriesOf(fn: FunctionRef, depth = 0, env?: Env): ReachedQuery[] {
    const ekey = env ? envKey(env) : '';
    const cached = ekey ? this.envAnswers.get(fn.node)?.get(ekey) : this.answers.get(fn.node);
    if (cached !== undefined) return cached;
    if (this.visiting.has(fn.node) || depth > MAX_CALL_DEPTH || this.budget-- <= 0) return [];
    this.visiting.add(fn.node);
    const result: ReachedQuery[] = [];
    const seen = new Set<string>();
    const add = (r: ReachedQuery): void => {
      const k = `${r.site.file}:${key(r.site.range)}`;
      if (seen.has(k) || result.length >= MAX_REACHED) return;
      seen.add(k);
      result.push(r);
    };
    try {
      const sum = fileSummary(this.project, fn.file)?.byFunction.get(fn.node);
      if (sum) {
        const sf = this.project.tsAst(fn.file);
        // A call that only fills an empty field or outer variable (`if (this.ids === undefined) this.ids = await load()`) runs once, not per call.
        // A query only in a `catch` block runs when the work before it fails, not per call.
        const live = (n: ts.Node | undefined): boolean =>
          !n || ((!env || !guardedOff(n, fn.node, env)) && !memoGuarded(n, fn.node) && !memoised(n, fn.node) && !onceGuarded(n, fn.node) && !bufferFlushed(n, fn.node) && !inCatchBlock(n, fn.node));
        for (const s of sum.sites) {
          if (s.executes && !s.batched && live(sf ? findNode(sf, s.range) : undefined)) add({ site: s, path: [], loopedInHelper: loopedWithin(this.project, s) });
        }
        for (const call of sum.calls) {
          if (result.length >= MAX_REACHED) break;
          if (!live(call)) continue;
          const step: CallStep = { file: fn.file, range: { start: call.getStart(), end: call.getEnd() }, callee: calleeText(call) };
          for (const target of this.resolveAll(fn.file, call)) {
            if (target.node === fn.node) continue;
            for (const r of this.queriesOf(target, depth + 1, bindArguments(target.node, call, env))) add({ site: r.site, path: [step, ...r.path], loopedInHelper: r.loopedInHelper });
          }
        }
      }
    } finally {
      this.visiting.delete(fn.node);
    }
    // Cached either way. Inside a cycle this may record fewer queries for a function whose queries are
    // reached through a caller still on the stack; that caller reports them itself, and missing a path is
    // better than re-walking the graph exponentially.
    if (ekey) {
      let m = this.envAnswers.get(fn.node);
      if (!m) this.envAnswers.set(fn.node, (m = new Map()));
      m.set(ekey, result);
    } else this.answers.set(fn.node, result);
    return result;
  }

  private resolved = new Map<ts.CallExpression, FunctionRef | null>();

  /** Callee resolution, once per call node per run. */
  private resolve(path: string, call: ts.CallExpression): FunctionRef | undefined {
    const hit = this.resolved.get(call);
    if (hit !== undefined) return hit ?? undefined;
    const r = this.budget > 0 ? resolveCallee(this.project, path, call) : undefined;
    this.budget--;
    this.resolved.set(call, r ?? null);
    return r;
  }

  private injected = new Map<ts.CallExpression, FunctionRef[]>();

  /**
   * The project code a call runs: its callee, or else every function the composition roots bind to the injected
   * dependency it calls (`deps.getUser(id)`: engine/sources/injected-deps.ts); none when unknown.
   */
  private resolveAll(path: string, call: ts.CallExpression): FunctionRef[] {
    const one = this.resolve(path, call);
    if (one) return [one];
    let hit = this.injected.get(call);
    if (!hit) {
      hit = [];
      if (this.budget-- > 0) {
        try {
          for (const t of injectedTargets(this.project, path, call) ?? []) {
            const c = canonicalFunction(this.project, t);
            if (c) hit.push(c);
          }
        } catch (e) {
          noteSwallowed(path, 'call graph', e);
        }
      }
      this.injected.set(call, hit);
    }
    return hit;
  }

  /**
   * Every query a call expression runs through a project helper (each site once), if any. `injected`: reached
   * through a dependency the call's function was handed (the callee is no one function of the project).
   */
  queriesOfCall(path: string, call: ts.CallExpression): { target: FunctionRef; reached: ReachedQuery[]; injected?: true } | undefined {
    const target = this.resolve(path, call);
    if (!target) {
      const seen = new Set<string>();
      const reached: ReachedQuery[] = [];
      let first: FunctionRef | undefined;
      for (const t of this.resolveAll(path, call)) {
        for (const r of this.queriesOf(t, 0, bindArguments(t.node, call, undefined))) {
          const k = `${r.site.file}:${key(r.site.range)}`;
          if (seen.has(k) || reached.length >= MAX_REACHED) continue;
          seen.add(k);
          reached.push(r);
          first ??= t;
        }
      }
      return first ? { target: first, reached, injected: true } : undefined;
    }
    const reached = this.queriesOf(target, 0, bindArguments(target.node, call, undefined));
    return reached.length ? { target, reached } : undefined;
  }

  /**
   * A batched query the function a call enters runs (itself, or through up to two further helpers), with
   * how a list it names maps back to the call's arguments: a loop around the call batches it only when
   * that list carries the loop's collection (`loadUsers(chunk)` does, `loadUsers([user.id])` does not).
   */
  batchedQueryOfCall(path: string, call: ts.CallExpression, depth = 0, callerEnv?: Env): { target: FunctionRef; site: QuerySite; mapOperand: (t: string) => string } | undefined {
    // An injected dependency (`deps.getStream({ streamId })` bound to a function reading `whereIn(id, [streamId])`): each binding.
    for (const target of this.resolveAll(path, call)) {
      const r = this.batchedQueryOfTarget(target, call, depth, callerEnv);
      if (r) return r;
    }
    return undefined;
  }

  private batchedQueryOfTarget(target: FunctionRef, call: ts.CallExpression, depth: number, callerEnv?: Env): { target: FunctionRef; site: QuerySite; mapOperand: (t: string) => string } | undefined {
    if (this.budget-- <= 0) return undefined;
    const sum = fileSummary(this.project, target.file)?.byFunction.get(target.node);
    const sf = this.project.tsAst(target.file);
    // As for queriesOf: a query or call on a path the call's arguments rule out (`if (singlePage)` never passed) does not run.
    const env = bindArguments(target.node, call, callerEnv);
    const live = (n: ts.Node | undefined): boolean => !n || ((!env || !guardedOff(n, target.node, env)) && !memoGuarded(n, target.node) && !onceGuarded(n, target.node) && !bufferFlushed(n, target.node));
    const site = sum?.sites.find((s) => s.executes && s.batched && s.batchOperands?.length && live(sf ? findNode(sf, s.range) : undefined));
    const here = (t: string): string => argumentFor(target.node, call, t);
    if (site) return { target, site, mapOperand: here };
    // Through helpers (`finishCancellation(rec)` → `transitionRecording({ id })` → `updateMany` with a constant
    // status list): each level maps a list named by a parameter to its caller's argument.
    if (!sum || depth >= 2 || this.visiting.has(target.node)) return undefined;
    this.visiting.add(target.node);
    try {
      for (const inner of sum.calls) {
        if (!live(inner)) continue;
        const r = this.batchedQueryOfCall(target.file, inner, depth + 1, env);
        if (r) return { target, site: r.site, mapOperand: (t) => here(r.mapOperand(t)) };
      }
    } finally {
      this.visiting.delete(target.node);
    }
    return undefined;
  }

  /** The queries a function reference (`users.map(loadOrders)`) runs when called (each site once), if any. */
  queriesOfReference(path: string, ref: ts.Expression): { target: FunctionRef; reached: ReachedQuery[] } | undefined {
    let v;
    try {
      v = fileProvenance(this.project, path).value(ref);
    } catch {
      return undefined;
    }
    if (v?.kind !== 'function') return undefined;
    const target = canonicalFunction(this.project, { file: v.file, node: v.node });
    if (!target) return undefined;
    const reached = this.queriesOf(target);
    return reached.length ? { target, reached } : undefined;
  }
}
