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
import { localValue } from './local-values';
import { bufferFlushed } from './buffer-flush';
import { memoised, onceGuarded } from './memo';
import { fileProvenance } from './provenance';
import type { QuerySite } from './query-sites';
import { fileQuerySites } from './orm';

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
 * What a call tells about the parameters of the function it enters, when it tells: an argument
 * left out (`undefined`, or the parameter's default), a literal `undefined`/`null`/`false`, an object
 * literal, or a conditional the caller's own knowledge decides. Enough to see that a helper's query
 * is guarded by an option the call does not pass (`toJSON(doc)` with `if (options?.signedUrls) …`).
 */
type Env = Map<string, Known>;
interface Known {
  /** The value's expression; undefined for the value `undefined`. */
  expr?: ts.Expression;
  /** What is known where `expr` is evaluated (a caller's parameters). */
  env?: Env;
  /** An object whose contents are not known (a name dereferenced before: local-values.ts): truthy, nothing more. */
  present?: boolean;
}

const unwrap = (e: ts.Expression): ts.Expression => {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  return e;
};

/** The known value of `e` in `env`, or undefined when not known. */
function knownValue(e: ts.Expression, env: Env | undefined, depth = 0): Known | undefined {
  if (depth > 6) return undefined;
  const u = unwrap(e);
  if (ts.isIdentifier(u)) {
    if (u.text === 'undefined') return {};
    const known = env?.get(u.text);
    if (known) return known;
    // What the function's own code says: a name dereferenced on the way here, or an unchanged alias (`let robot = robotConfig`).
    const local = localValue(u);
    if (local?.kind === 'present') return { expr: u, present: true };
    return local ? knownValue(local.init, env, depth + 1) : undefined;
  }
  if (u.kind === ts.SyntaxKind.NullKeyword || ts.isVoidExpression(u)) return {};
  if (ts.isObjectLiteralExpression(u) || ts.isArrayLiteralExpression(u) || ts.isLiteralExpression(u) || u.kind === ts.SyntaxKind.TrueKeyword || u.kind === ts.SyntaxKind.FalseKeyword) return { expr: u, env };
  // `\`${type}-${id}\``: a string known by its literal pieces only.
  if (ts.isTemplateExpression(u)) return { expr: u, env };
  if (ts.isConditionalExpression(u)) {
    const t = truthiness(u.condition, env, depth + 1);
    if (t === undefined) return undefined;
    return knownValue(t ? u.whenTrue : u.whenFalse, env, depth + 1);
  }
  if (ts.isPropertyAccessExpression(u) && ts.isIdentifier(u.name)) {
    const base = knownValue(u.expression, env, depth + 1);
    return base && propertyOf(base, u.name.text, depth);
  }
  return undefined;
}

/** The known value of property `name` of a known object (an object literal without spreads; a missing property is `undefined`). */
function propertyOf(base: Known, name: string, depth = 0): Known | undefined {
  if (base.present) return undefined;
  if (!base.expr) return {}; // `undefined.x` / `undefined?.x`
  const obj = unwrap(base.expr);
  if (!ts.isObjectLiteralExpression(obj)) return undefined;
  if (obj.properties.some((p) => ts.isSpreadAssignment(p))) return undefined;
  const prop = obj.properties.find((p) => p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === name);
  if (!prop) return {};
  if (ts.isPropertyAssignment(prop)) return knownValue(prop.initializer, base.env, depth + 1) ?? { expr: prop.initializer, env: base.env };
  if (ts.isShorthandPropertyAssignment(prop)) return knownValue(prop.name, base.env, depth + 1) ?? { expr: prop.name, env: base.env };
  return undefined;
}

/**
 * Binds the names of an object pattern over a known value: `{ a, b: c = 1, ...rest }` (rest keeps the whole value:
 * a property read through it is the value's own; the names taken out are not read through rest).
 */
function bindPattern(pattern: ts.ObjectBindingPattern, k: Known, env: Env, fn: ts.SignatureDeclaration): void {
  for (const el of pattern.elements) {
    if (!ts.isIdentifier(el.name) || reassigned(fn, el.name.text)) continue;
    if (el.dotDotDotToken) {
      env.set(el.name.text, k);
      continue;
    }
    const prop = el.propertyName ? (ts.isIdentifier(el.propertyName) || ts.isStringLiteral(el.propertyName) ? el.propertyName.text : undefined) : el.name.text;
    if (prop === undefined) continue;
    let v = propertyOf(k, prop);
    if (v && !v.expr && el.initializer) v = knownValue(el.initializer, undefined);
    if (v) env.set(el.name.text, v);
  }
}

/** The comparable form of a known literal: a string, number or boolean, `nullish` for undefined/null; undefined otherwise. */
function literalKey(k: Known): string | undefined {
  if (k.present) return undefined;
  if (!k.expr) return 'nullish';
  const x = unwrap(k.expr);
  if (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) return `s:${x.text}`;
  if (ts.isNumericLiteral(x)) return `n:${Number(x.text)}`;
  if (x.kind === ts.SyntaxKind.TrueKeyword || x.kind === ts.SyntaxKind.FalseKeyword) return `b:${x.kind === ts.SyntaxKind.TrueKeyword}`;
  return undefined;
}

/** Whether known value `t` is a template no value of which can equal the string literal `c` (its pieces do not fit, in order). */
function templateExcludes(t: Known, c: Known): boolean {
  const x = t.expr && unwrap(t.expr);
  const y = c.expr && unwrap(c.expr);
  if (!x || !y || !ts.isTemplateExpression(x) || !(ts.isStringLiteral(y) || ts.isNoSubstitutionTemplateLiteral(y))) return false;
  const s = y.text;
  const pieces = [x.head.text, ...x.templateSpans.map((sp) => sp.literal.text)];
  if (!s.startsWith(pieces[0]) || !s.endsWith(pieces[pieces.length - 1]) || s.length < pieces[0].length + pieces[pieces.length - 1].length) return true;
  let at = pieces[0].length;
  const end = s.length - pieces[pieces.length - 1].length;
  for (const mid of pieces.slice(1, -1)) {
    const i = s.indexOf(mid, at);
    if (i < 0 || i + mid.length > end) return true;
    at = i + mid.length;
  }
  return false;
}

/** `a === b` / `!==` / `==` / `!=` between two known literals: true, false, or undefined when not known. */
function equality(u: ts.BinaryExpression, env: Env | undefined, depth: number): boolean | undefined {
  const op = u.operatorToken.kind;
  const negated = op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken;
  const l = knownValue(u.left, env, depth + 1);
  const r = l && knownValue(u.right, env, depth + 1);
  const a = l && literalKey(l);
  const b = r && literalKey(r);
  // A template whose literal pieces the constant cannot hold (`\`${type}-${id}\`` against `'creds'`): never equal.
  const shaped = l && r && (templateExcludes(l, r) || templateExcludes(r, l));
  if (shaped) return negated;
  if (a === undefined || b === undefined) return undefined;
  // undefined and null are both 'nullish' here: equal only to each other, and only loosely known to be.
  if (a === 'nullish' && b === 'nullish') {
    if (op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsEqualsToken) return undefined;
    return !negated;
  }
  return (a === b) !== negated;
}

/** Whether `e` is truthy (true), falsy (false) or unknown (undefined) in `env`. */
function truthiness(e: ts.Expression, env: Env | undefined, depth = 0): boolean | undefined {
  if (depth > 6) return undefined;
  const u = unwrap(e);
  if (ts.isPrefixUnaryExpression(u) && u.operator === ts.SyntaxKind.ExclamationToken) {
    const t = truthiness(u.operand, env, depth + 1);
    return t === undefined ? undefined : !t;
  }
  if (ts.isBinaryExpression(u)) {
    const op = u.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
      const l = truthiness(u.left, env, depth + 1);
      const r = truthiness(u.right, env, depth + 1);
      if (op === ts.SyntaxKind.AmpersandAmpersandToken) return l === false || r === false ? false : l === true && r === true ? true : undefined;
      return l === true || r === true ? true : l === false && r === false ? false : undefined;
    }
    if (op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken) return equality(u, env, depth);
    return undefined;
  }
  const v = knownValue(u, env, depth + 1);
  if (!v) return undefined;
  if (v.present) return true;
  if (!v.expr) return false;
  const x = unwrap(v.expr);
  if (ts.isObjectLiteralExpression(x) || ts.isArrayLiteralExpression(x) || x.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (x.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (ts.isNumericLiteral(x)) return Number(x.text) !== 0;
  if (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) return x.text !== '';
  if (x !== u) return truthiness(x, v.env, depth + 1);
  return undefined;
}

/** Is the parameter (or a property of it) assigned anywhere in the function (`options = { …defaults, ...options }`, `options.signed = 1`)? */
function reassigned(fn: ts.SignatureDeclaration, name: string): boolean {
  let found = false;
  const base = (e: ts.Expression): ts.Expression => {
    while (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) || ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
    return e;
  };
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      const b = base(n.left);
      if (ts.isIdentifier(b) && b.text === name) found = true;
    }
    if (!found) ts.forEachChild(n, visit);
  };
  if ((fn as ts.FunctionLikeDeclaration).body) visit((fn as ts.FunctionLikeDeclaration).body!);
  return found;
}

/** What `call` (evaluated where `callerEnv` holds) tells about the parameters of `fn`; undefined when nothing. */
function bindArguments(fn: ts.SignatureDeclaration, call: ts.CallExpression, callerEnv: Env | undefined): Env | undefined {
  let env: Env | undefined;
  for (let i = 0; i < fn.parameters.length; i++) {
    const p = fn.parameters[i];
    if (p.dotDotDotToken || call.arguments.slice(0, i + 1).some(ts.isSpreadElement)) break;
    if (!ts.isIdentifier(p.name) && !ts.isObjectBindingPattern(p.name)) continue;
    const arg = call.arguments[i];
    let k: Known | undefined;
    if (arg) k = knownValue(arg, callerEnv);
    else k = p.initializer ? knownValue(p.initializer, undefined) : {};
    if (arg && k && !k.expr && p.initializer) k = knownValue(p.initializer, undefined); // `undefined` takes the default too
    if (!k) continue;
    if (ts.isObjectBindingPattern(p.name)) bindPattern(p.name, k, (env ??= new Map()), fn);
    else if (!reassigned(fn, p.name.text)) (env ??= new Map()).set(p.name.text, k);
  }
  // `const { id, teamId, ...data } = params;` at the top of the body: the names read the known parameter's properties.
  const body = (fn as ts.FunctionLikeDeclaration).body;
  if (env && body && ts.isBlock(body)) {
    for (const st of body.statements) {
      if (!ts.isVariableStatement(st) || !(st.declarationList.flags & ts.NodeFlags.Const)) continue;
      for (const d of st.declarationList.declarations) {
        const init = d.initializer && unwrap(d.initializer);
        const k = init && ts.isIdentifier(init) ? env.get(init.text) : undefined;
        if (k && ts.isObjectBindingPattern(d.name)) bindPattern(d.name, k, env, fn);
      }
    }
  }
  return env;
}

/** Is `node`, in `fn`'s body, on a path the known parameters rule out (`if (options?.signedUrls) …`, an early return)? */
function guardedOff(node: ts.Node, fn: ts.Node, env: Env): boolean {
  let child: ts.Node = node;
  let p = node.parent;
  while (p && p !== fn) {
    if (ts.isIfStatement(p)) {
      if (child === p.thenStatement && truthiness(p.expression, env) === false) return true;
      if (child === p.elseStatement && truthiness(p.expression, env) === true) return true;
    } else if (ts.isConditionalExpression(p)) {
      if (child === p.whenTrue && truthiness(p.condition, env) === false) return true;
      if (child === p.whenFalse && truthiness(p.condition, env) === true) return true;
    } else if (ts.isBinaryExpression(p) && child === p.right) {
      const op = p.operatorToken.kind;
      if (op === ts.SyntaxKind.AmpersandAmpersandToken && truthiness(p.left, env) === false) return true;
      if (op === ts.SyntaxKind.BarBarToken && truthiness(p.left, env) === true) return true;
    } else if (ts.isBlock(p) || ts.isCaseClause(p) || ts.isDefaultClause(p)) {
      // An earlier `if (cond) return …;` that the known parameters take (also in a `case` of a switch).
      for (const st of p.statements) {
        if (st === child) break;
        if (ts.isIfStatement(st) && !st.elseStatement && endsInExit(st.thenStatement) && truthiness(st.expression, env) === true) return true;
      }
    }
    child = p;
    p = p.parent;
  }
  return false;
}

function endsInExit(s: ts.Statement, depth = 0): boolean {
  if (ts.isReturnStatement(s) || ts.isThrowStatement(s)) return true;
  if (ts.isBlock(s)) {
    const last = s.statements[s.statements.length - 1];
    return !!last && endsInExit(last, depth + 1);
  }
  // `if (redis) { return … } else { …; return; }`: both branches leave.
  if (ts.isIfStatement(s) && s.elseStatement && depth < 8) return endsInExit(s.thenStatement, depth + 1) && endsInExit(s.elseStatement, depth + 1);
  return false;
}

/**
 * Is `node` behind a memo check of its function: an earlier `if (m.has(k)) return …` / `const c = m.get(k);
 * if (c) return c;` on a Map the function fills with `m.set(…)`? The query then runs once per distinct key,
 * not once per call (formbricks' storage-workspace lookup in delete-response-files).
 */
const memoShapes = new WeakMap<ts.Node, { sets: Set<string>; gets: Map<string, string> }>();

function memoGuarded(node: ts.Node, fn: ts.Node): boolean {
  const body = (fn as ts.FunctionLikeDeclaration).body;
  if (!body) return false;
  let shape = memoShapes.get(fn);
  if (!shape) {
    const sets = new Set<string>();
    const gets = new Map<string, string>(); // local → map it was read from
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'set') sets.add(n.expression.expression.getText());
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) {
        const i = unwrap(n.initializer);
        if (ts.isCallExpression(i) && ts.isPropertyAccessExpression(i.expression) && i.expression.name.text === 'get') gets.set(n.name.text, i.expression.expression.getText());
      }
      ts.forEachChild(n, visit);
    };
    visit(body);
    memoShapes.set(fn, (shape = { sets, gets }));
  }
  const { sets, gets } = shape;
  if (!sets.size) return false;
  const readsMemo = (cond: ts.Expression): boolean => {
    let hit = false;
    const v = (n: ts.Node): void => {
      if (hit) return;
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && /^(has|get)$/.test(n.expression.name.text) && sets.has(n.expression.expression.getText())) hit = true;
      else if (ts.isIdentifier(n) && gets.has(n.text) && sets.has(gets.get(n.text)!)) hit = true;
      else ts.forEachChild(n, v);
    };
    v(cond);
    return hit;
  };
  let child: ts.Node = node;
  for (let p = node.parent; p && p !== fn; child = p, p = p.parent) {
    if (!ts.isBlock(p)) continue;
    for (const st of p.statements) {
      if (st === child) break;
      if (ts.isIfStatement(st) && !st.elseStatement && endsInExit(st.thenStatement) && readsMemo(st.expression)) return true;
    }
  }
  return false;
}

/** A cache key for an environment (node positions are unique within a run's trees). */
function envKey(env: Env, depth = 0): string {
  if (depth > 3) return '…';
  const parts: string[] = [];
  for (const [k, v] of env) parts.push(`${k}=${v.expr ? `${v.expr.getSourceFile().fileName}:${v.expr.pos}:${v.expr.end}${v.env ? `{${envKey(v.env, depth + 1)}}` : ''}` : 'u'}`);
  return parts.join(',');
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
