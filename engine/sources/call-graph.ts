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
import type { Range } from '../types';
import { enclosingIterations, isImmediateCallback, iterationScopeOf } from './iteration';
import { fileProvenance } from './provenance';
import type { QuerySite } from './query-sites';
import { fileQuerySites } from './orm';

/** How deep helper chains are followed. Real code rarely hides a query more than a few calls down. */
export const MAX_CALL_DEPTH = 8;

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
export function owningFunction(node: ts.Node): ts.SignatureDeclaration | undefined {
  let p = node.parent;
  while (p) {
    if (ts.isFunctionLike(p)) {
      if (!(isImmediateCallback(p) || iterationScopeOf(p))) return p;
    }
    p = p.parent;
  }
  return undefined;
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
    } catch {
      sites = [];
    }
    for (const s of sites) siteByKey.set(key(s.range), s);
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n)) {
        const owner = owningFunction(n);
        if (owner) {
          let sum = byFunction.get(owner);
          if (!sum) byFunction.set(owner, (sum = { node: owner, sites: [], calls: [] }));
          const site = siteByKey.get(key({ start: n.getStart(), end: n.getEnd() }));
          if (site) sum.sites.push(site);
          else sum.calls.push(n);
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
  } catch {
    return undefined;
  }
  try {
    const v = prov.value(callee);
    if (v?.kind === 'function') return { file: v.file, node: v.node };
  } catch {
    /* unresolvable: fall through */
  }
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const method = callee.name.text;
  const recv = callee.expression;
  // this.method()
  if (recv.kind === ts.SyntaxKind.ThisKeyword) {
    const cls = enclosingClass(call);
    const m = cls ? findMethod(cls, method) : undefined;
    return m ? { file: path, node: m } : undefined;
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
          if (m) return { file: def.file, node: m };
        }
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
  // Service.method() / instance.method() where the receiver is a project class (static) or `new Class()`.
  try {
    const rv = prov.value(recv);
    if (rv?.kind === 'class') {
      const m = findMethod(rv.node, method);
      if (m) return { file: rv.file, node: m };
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
  return !!node && enclosingIterations(node).some((s) => s.perElement);
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
  private answers = new Map<ts.Node, ReachedQuery | null>();
  private visiting = new Set<ts.Node>();
  /** Evaluations left: bounds the work on dense or cyclic call graphs (generated code). */
  private budget = 20000;

  constructor(private readonly project: ProjectServices) {}

  /** The first unbatched query calling `fn` runs (directly or through helpers), or undefined. */
  queryOf(fn: FunctionRef, depth = 0): ReachedQuery | undefined {
    const cached = this.answers.get(fn.node);
    if (cached !== undefined) return cached ?? undefined;
    if (this.visiting.has(fn.node) || depth > MAX_CALL_DEPTH || this.budget-- <= 0) return undefined;
    this.visiting.add(fn.node);
    let result: ReachedQuery | undefined;
    try {
      const sum = fileSummary(this.project, fn.file)?.byFunction.get(fn.node);
      if (sum) {
        const direct = sum.sites.find((s) => s.executes && !s.batched);
        if (direct) result = { site: direct, path: [], loopedInHelper: loopedWithin(this.project, direct) };
        if (!result) {
          for (const call of sum.calls) {
            const target = this.resolve(fn.file, call);
            if (!target || target.node === fn.node) continue;
            const r = this.queryOf(target, depth + 1);
            if (r) {
              result = {
                site: r.site,
                path: [{ file: fn.file, range: { start: call.getStart(), end: call.getEnd() }, callee: calleeText(call) }, ...r.path],
                loopedInHelper: r.loopedInHelper,
              };
              break;
            }
          }
        }
      }
    } finally {
      this.visiting.delete(fn.node);
    }
    // Cached either way. Inside a cycle this may record "no query" for a function whose only
    // query is reached through a caller still on the stack; that caller reports it itself, and
    // missing a path is better than re-walking the graph exponentially.
    this.answers.set(fn.node, result ?? null);
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

  /** The query a call expression runs through a project helper, if any. */
  queryOfCall(path: string, call: ts.CallExpression): { target: FunctionRef; reached: ReachedQuery } | undefined {
    const target = this.resolve(path, call);
    if (!target) return undefined;
    const reached = this.queryOf(target);
    return reached ? { target, reached } : undefined;
  }

  /** The query a function reference (`users.map(loadOrders)`) runs when called, if any. */
  queryOfReference(path: string, ref: ts.Expression): { target: FunctionRef; reached: ReachedQuery } | undefined {
    let v;
    try {
      v = fileProvenance(this.project, path).value(ref);
    } catch {
      return undefined;
    }
    if (v?.kind !== 'function') return undefined;
    const target = canonicalFunction(this.project, { file: v.file, node: v.node });
    if (!target) return undefined;
    const reached = this.queryOf(target);
    return reached ? { target, reached } : undefined;
  }
}
