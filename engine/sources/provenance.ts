/**
 * Provenance: what an expression refers to, as far as database access goes
 * (a pg Pool, a PrismaClient, a TypeORM repository of entity User, a Drizzle
 * table ...), resolved from syntax alone: imports, constructors, factory
 * calls, declared types, NestJS constructor injection, `this.x` fields and
 * re-exports through local modules. Variable names never count: `db` is a
 * client because of where it comes from, not because it is called `db`.
 *
 * There is no type checker (too slow for an editor on every keystroke), so
 * this is a small abstract interpreter over the syntax tree: `value()` maps
 * an expression to a `Value` (a package export, an instance of a client, a
 * local class, function, object or module), and operations on values (`new`,
 * call, property access, method call, callback parameter) follow a table of
 * what each library's API returns. Anything not in the table is unknown,
 * which keeps the linter quiet rather than wrong.
 *
 * Cross-file resolution reads other files through `ProjectServices.fileText`
 * (pure: no fs). Each file's index is memoised per file text; resolution
 * itself is lazy, so a change in an imported file is seen on the next call.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapters, callbackClient, libraryOfGeneratedImport, libraryOfModule, REGISTRY_PROPERTIES } from '../adapters';
import { lastName, stringArg } from '../adapters/kit/provenance';
import type { ProjectServices } from '../context';
import type { Binding, Library, Origin, Value } from './query-sites';
import { skipOuter } from './ts-expr';
import { collectIncidents, type Incident, noteSwallowed, replayIncidents } from '../guard';
import { type ChangedFile, collectReads, type ReadTracking, replayReads } from '../reads';
import { resolveModulePath } from './module-paths';
import { procedureContext, type ProcedureContext } from './procedure-context';
import { callersOf } from './callers';
import { type CallbackParamHost, destructuredCallbackMember } from './callback-params';
import { tsSourceFile } from './ts-ast';
import { tupleElementType, TUPLE_UTILITIES } from './tuple-types';
import { instantiate } from './type-arguments';
import { handedFactory } from './factory-results';
import { subclassesMember, type SubclassHost } from './subclass-members';
import { handedImplementation, registrationOf } from './service-registry';
import { isTestFilePath } from '../one-off';

export type { Binding, Library, Value } from './query-sites';
export { libraryOfModule } from '../adapters';
export { skipOuter } from './ts-expr';
export { resolveModulePath } from './module-paths';

export interface FileProvenance {
  readonly path: string;
  /** The binding of an expression (client, sql tag, repository, table, operator ...), or undefined. */
  resolve(expr: ts.Expression): Binding | undefined;
  /** The binding an instance of a declared type has (`PoolClient`, `Repository<User>`), or undefined. */
  resolveType(type: ts.TypeNode): Binding | undefined;
  /** The raw abstract value of an expression (for callers that need classes, functions, modules). */
  value(expr: ts.Expression): Value | undefined;
  /** The declaration an identifier refers to in this file (variable, parameter, function, class, import ...). */
  declarationOf(id: ts.Identifier): ts.Node | undefined;
  /** Follows imports and re-exports to the declaration of an identifier, possibly in another file. */
  definitionOf(id: ts.Identifier): Definition | undefined;
  /** What this file exports under `name` (`'default'` for the default export), followed to its declaration. */
  exportedDefinition(name: string): Definition | undefined;
  /** The project signature a call invokes (function, class method, or method of the receiver's declared type). */
  callTarget(call: ts.CallExpression): { file: string; node: ts.SignatureDeclaration } | undefined;
  /** The type an expression is declared, asserted or returned as, when the code says. */
  declaredType(e: ts.Expression): { file: string; type: ts.TypeNode } | undefined;
  /** Member `name` of a declared type (a property's type node or a method's signature), following aliases, imports and `extends`. */
  typeMemberOf(file: string, type: ts.TypeNode, name: string): { file: string; node: ts.Node } | undefined;
}

/** A declaration in some project file. */
export interface Definition {
  file: string;
  /** VariableDeclaration, FunctionDeclaration, ClassDeclaration, an exported expression ... */
  node: ts.Node;
}

const MAX_DEPTH = 150;

/** TypeScript's utility types whose value is a value of their first argument's type (narrowed or not). */
const TYPE_WRAPPERS: ReadonlySet<string> = new Set(['Pick', 'Omit', 'Partial', 'Required', 'NonNullable']);

/** The adapter of a package value's library. */
const adapterOfValue = (v: { library: Library }) => adapters[v.library];
/** Array methods that call their callback with each element (`rows.map((row) => …)`). */
const ELEMENT_CALLBACKS = new Set(['map', 'forEach', 'flatMap', 'filter', 'some', 'every', 'find']);

interface Ctx {
  depth: number;
  seen: Set<string>;
  /** Values of expressions already evaluated in this resolution. */
  cache: Map<string, Value | undefined>;
  /** How many times a cycle or the depth bound cut an evaluation short in this resolution. */
  cuts: number;
  /** `cache` keys whose value was computed with a cut inside (reading one is a cut too). */
  cutKeys: Set<string>;
}

type ExportEntry =
  | { kind: 'decl'; node: ts.Node }
  | { kind: 'expr'; node: ts.Expression }
  | { kind: 'local'; name: string; at: ts.Node }
  | { kind: 'reexport'; spec: string; name: string }
  | { kind: 'namespace'; spec: string };

/** Provenance of one file, memoised per file text. */
export function fileProvenance(project: ProjectServices, path: string, text?: string, sf?: ts.SourceFile): FileProvenance {
  const t = text ?? project.fileText(path) ?? '';
  return project.memo(`prov:${path}`, t, () => {
    // Share the project's syntax tree when it has this text (rules then hand us nodes of the same tree).
    let tree = sf && sf.text === t ? sf : undefined;
    if (!tree && typeof project.tsAst === 'function') {
      const own = project.tsAst(path);
      if (own && own.text === t) tree = own;
    }
    return new FileProv(project, path, tree ?? tsSourceFile(path, t));
  });
}

/** Exports that may name what the text does not: re-exports, `export =`/`export default` and CommonJS objects (spreads). */
const INDIRECT_EXPORT = /\bexport\s*(?:\*|=|default\b)|\bmodule\.exports\b|\bexports\s*\./;

/**
 * Whether a project file can export `name` at all: its text contains the name, or it exports
 * indirectly. A barrel's `export *` list is searched one module at a time; this test spares parsing
 * the modules that cannot hold the name (the answer is the same: such a module exports nothing of
 * that name).
 */
function mayExport(project: ProjectServices, file: string, name: string): boolean {
  const text = project.fileText(file);
  return text === undefined || name === 'default' || text.includes(name) || INDIRECT_EXPORT.test(text);
}

function nodeOrigin(file: string, n: ts.Node): Origin {
  return { file, range: { start: n.getStart(), end: n.end } };
}

/** `this` inside a static method of a named class: that class's name (`static create() { getRepository(this) }`). */
function staticThisClass(x: ts.Expression): string | undefined {
  if (x.kind !== ts.SyntaxKind.ThisKeyword) return undefined;
  let f: ts.Node | undefined = x.parent;
  while (f && (!isFunctionLike(f) || ts.isArrowFunction(f))) f = f.parent;
  if (!f || !ts.isMethodDeclaration(f) || !ts.getModifiers(f)?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) return undefined;
  return ts.isClassDeclaration(f.parent) ? f.parent.name?.text : undefined;
}

function isFunctionLike(n: ts.Node): boolean {
  return (
    ts.isFunctionDeclaration(n) ||
    ts.isFunctionExpression(n) ||
    ts.isArrowFunction(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isConstructorDeclaration(n) ||
    ts.isGetAccessorDeclaration(n) ||
    ts.isSetAccessorDeclaration(n)
  );
}

function isBlockScope(n: ts.Node): boolean {
  return (
    ts.isSourceFile(n) ||
    ts.isBlock(n) ||
    ts.isModuleBlock(n) ||
    ts.isCaseBlock(n) ||
    ts.isForStatement(n) ||
    ts.isForInStatement(n) ||
    ts.isForOfStatement(n) ||
    ts.isCatchClause(n) ||
    isFunctionLike(n) ||
    ts.isClassStaticBlockDeclaration(n)
  );
}

/** A value computed without a cut, with what computing it read. */
interface Lasting<T> {
  v: T;
  reads: string[];
}

/**
 * `compute`'s value from `table`, or computed and kept there when no cut happened while computing it
 * (then any resolution would compute the same: see FileProv.exportValues). A hit replays the reads.
 */
function lasting<K, T>(kept: Set<string>, table: Map<K, Lasting<T>>, key: K, c: Ctx, compute: () => T): T {
  const known = table.get(key);
  if (known) {
    replayReads(known.reads);
    return known.v;
  }
  const cuts = c.cuts;
  const { value: v, reads } = collectReads(compute);
  if (c.cuts === cuts) {
    table.set(key, { v, reads });
    for (const r of reads) kept.add(r);
  }
  return v;
}

/** A top-level answer, with what computing it read and the limits it met (see FileProv.values). */
interface Answer<T> extends Lasting<T> {
  incidents: Incident[];
}

/** `compute`'s answer from `table`, or computed and kept; a hit replays the reads and the incidents. A throw is not kept. */
function answered<K, T>(kept: Set<string>, table: Map<K, Answer<T>>, key: K, compute: () => T): T {
  const known = table.get(key);
  if (known) {
    replayReads(known.reads);
    replayIncidents(known.incidents);
    return known.v;
  }
  const {
    value: { value: v, incidents },
    reads,
  } = collectReads(() => collectIncidents(compute));
  table.set(key, { v, reads, incidents });
  for (const r of reads) kept.add(r);
  return v;
}

/** A short key per project path for the resolution keys below (one per path for the process: the same path, the same key). */
const pathKeys = new Map<string, string>();
function pathKeyOf(path: string): string {
  let k = pathKeys.get(path);
  if (k === undefined) pathKeys.set(path, (k = `#${pathKeys.size}`));
  return k;
}

class FileProv implements FileProvenance, ReadTracking, CallbackParamHost<Ctx> {
  /** `path`'s key in resolution keys (`${pathKey}:${pos}:${end}`): shorter strings to build and hash than the path. */
  private readonly pathKey: string;
  /**
   * Every file an answer kept in this object's caches read: the project drops this provenance (memo `prov:<path>`)
   * when one of them changes, since those answers may have changed with it (engine/reads.ts `ReadTracking`).
   */
  private readonly readFiles = new Set<string>();

  readBy(change: ChangedFile): boolean {
    return change.hits(this.readFiles);
  }

  /** Declared names by scope node (a block, function, for statement, catch clause or the file). */
  private scopes = new Map<ts.Node, Map<string, ts.Node[]>>();
  private exportsTable?: { named: Map<string, ExportEntry>; stars: string[]; commonJs?: ts.Expression };
  /**
   * Values of exported names computed without a cut (no cycle, no depth bound reached): those are what
   * any resolution would compute, so later resolutions reuse them instead of following the import
   * chain again. Lives as long as this file's provenance (one file text; Project.setConfig drops it).
   */
  private exportValues = new Map<string, { v: Value | undefined; reads: string[] }>();
  /**
   * The same for declarations, exported types and members of types, computed cut-free: a type such as
   * `Db` or `IUnleashStores`, reached through a barrel's `export *`, was resolved again by every
   * resolution that met it (thousands of times per file set); now once per file text.
   */
  private declValues = new Map<ts.Node, Lasting<Value | undefined>>();
  private exportTypeValues = new Map<string, Lasting<Value | undefined>>();
  private exportedTypeNodes = new Map<string, Lasting<{ prov: FileProv; node: ts.Node } | undefined>>();
  private typeNodes = new Map<ts.Node, Lasting<{ prov: FileProv; node: ts.Node } | undefined>>();
  private memberTypes = new Map<ts.Node, Map<string, Lasting<{ prov: FileProv; node: ts.Node } | undefined>>>();
  private classMembers = new Map<ts.Node, Map<string, Lasting<Value | undefined>>>();
  private returnValues = new Map<ts.Node, Lasting<Value | undefined>>();
  private callTargets = new Map<ts.Node, Lasting<{ prov: FileProv; node: ts.SignatureDeclaration } | undefined>>();
  private declaredTypes = new Map<ts.Node, Lasting<{ prov: FileProv; type: ts.TypeNode } | undefined>>();
  /**
   * Answers of the public entry points `value` and `callTarget` by node. Each starts from a fresh context,
   * so asking again computes the same answer (what it read and the limits it met are replayed): on sim,
   * 2.2 million resolutions asked about 514,000 nodes (the extractors, the rules and the call graph ask
   * about the same receivers and calls), 69 % of the resolution steps were repeats.
   */
  private values = new Map<ts.Node, Answer<Value | undefined>>();
  private callTargetAnswers = new Map<ts.Node, Answer<{ prov: FileProv; node: ts.SignatureDeclaration } | undefined>>();

  constructor(
    private readonly project: ProjectServices,
    readonly path: string,
    private readonly sf: ts.SourceFile,
  ) {
    this.pathKey = pathKeyOf(path);
    this.index();
  }

  // ---- Index: every declared name with its scope. Iterative, so deep generated trees cannot overflow the stack.

  private index(): void {
    const stack: ts.Node[] = [this.sf];
    while (stack.length) {
      const n = stack.pop() as ts.Node;
      this.record(n);
      ts.forEachChild(n, (c) => {
        stack.push(c);
      });
    }
  }

  private add(name: ts.BindingName | undefined, node: ts.Node, scope: ts.Node): void {
    if (!name) return;
    if (ts.isIdentifier(name)) {
      let names = this.scopes.get(scope);
      if (!names) this.scopes.set(scope, (names = new Map()));
      let list = names.get(name.text);
      if (!list) names.set(name.text, (list = []));
      list.push(node);
      return;
    }
    for (const el of name.elements) {
      if (ts.isBindingElement(el)) this.add(el.name, el, scope);
    }
  }

  private record(n: ts.Node): void {
    switch (n.kind) {
      case ts.SyntaxKind.VariableDeclaration: {
        const d = n as ts.VariableDeclaration;
        const list = d.parent;
        const isVar = ts.isVariableDeclarationList(list) && (list.flags & ts.NodeFlags.BlockScoped) === 0;
        let scope: ts.Node = list.parent;
        if (ts.isVariableStatement(scope)) scope = scope.parent;
        if (isVar) {
          let p: ts.Node = d;
          while (p.parent && !isFunctionLike(p) && !ts.isSourceFile(p)) p = p.parent;
          scope = p;
        }
        this.add(d.name, d, scope);
        break;
      }
      case ts.SyntaxKind.Parameter: {
        const p = n as ts.ParameterDeclaration;
        this.add(p.name, p, p.parent);
        break;
      }
      case ts.SyntaxKind.FunctionDeclaration:
      case ts.SyntaxKind.ClassDeclaration:
      case ts.SyntaxKind.TypeAliasDeclaration:
      case ts.SyntaxKind.InterfaceDeclaration:
      case ts.SyntaxKind.EnumDeclaration: {
        const d = n as ts.FunctionDeclaration | ts.ClassDeclaration | ts.TypeAliasDeclaration;
        let scope = d.parent;
        while (scope.parent && !isBlockScope(scope)) scope = scope.parent;
        if (d.name) this.add(d.name, d, scope);
        break;
      }
      case ts.SyntaxKind.ClassExpression:
      case ts.SyntaxKind.FunctionExpression: {
        const d = n as ts.ClassExpression | ts.FunctionExpression;
        if (d.name) this.add(d.name, d, d);
        break;
      }
      case ts.SyntaxKind.ImportClause: {
        const c = n as ts.ImportClause;
        if (c.name) this.add(c.name, c, this.sf);
        break;
      }
      case ts.SyntaxKind.NamespaceImport:
      case ts.SyntaxKind.ImportSpecifier:
      case ts.SyntaxKind.ImportEqualsDeclaration: {
        const d = n as ts.NamespaceImport | ts.ImportSpecifier | ts.ImportEqualsDeclaration;
        this.add(d.name, d, this.sf);
        break;
      }
    }
  }

  declarationOf(id: ts.Identifier): ts.Node | undefined {
    // An identifier from another tree of the same text (the syntax-tree cache was refreshed): use ours.
    if (id.getSourceFile() !== this.sf) {
      const mine = this.identifierAt(id.getStart(), id.end);
      if (!mine) return undefined;
      id = mine;
    }
    const pos = id.getStart(this.sf);
    // Innermost scope first; within a scope, the last declaration before the use (or the first, hoisted).
    for (let n: ts.Node | undefined = id.parent; n; n = n.parent) {
      const list = this.scopes.get(n)?.get(id.text);
      if (!list) continue;
      let best: ts.Node | undefined;
      for (const d of list) if (d.pos <= pos) best = d;
      return best ?? list[0];
    }
    return undefined;
  }

  private identifierAt(start: number, end: number): ts.Identifier | undefined {
    let n: ts.Node = this.sf;
    for (;;) {
      let next: ts.Node | undefined;
      ts.forEachChild(n, (c) => {
        if (!next && c.pos <= start && end <= c.end) next = c;
      });
      if (!next) return undefined;
      if (ts.isIdentifier(next) && next.getStart(this.sf) === start && next.end === end) return next;
      n = next;
    }
  }

  // ---- Public API

  resolve(expr: ts.Expression): Binding | undefined {
    return this.toBinding(this.value(expr));
  }

  resolveType(type: ts.TypeNode): Binding | undefined {
    return this.toBinding(this.typeValue(type, newCtx()));
  }

  value(expr: ts.Expression): Value | undefined {
    try {
      return answered(this.readFiles, this.values, expr, () => this.valueOf(expr, newCtx()));
    } catch (e) {
      // Provenance is advisory: a surprise in an odd tree means "unknown", never a crash (a too-deep file is reported).
      noteSwallowed(this.path, 'provenance', e);
      return undefined;
    }
  }

  definitionOf(id: ts.Identifier): Definition | undefined {
    const d = this.declarationOf(id);
    if (!d) return undefined;
    return this.followDecl(d, newCtx());
  }

  exportedDefinition(name: string): Definition | undefined {
    return this.exportDefinition(name, newCtx());
  }

  callTarget(call: ts.CallExpression): { file: string; node: ts.SignatureDeclaration } | undefined {
    try {
      const t = answered(this.readFiles, this.callTargetAnswers, call, () => this.callTargetOf(call, newCtx()));
      return t ? { file: t.prov.path, node: t.node } : undefined;
    } catch {
      return undefined;
    }
  }

  declaredType(e: ts.Expression): { file: string; type: ts.TypeNode } | undefined {
    try {
      const t = this.declaredTypeOf(e, newCtx());
      return t ? { file: t.prov.path, type: t.type } : undefined;
    } catch {
      return undefined;
    }
  }

  typeMemberOf(file: string, type: ts.TypeNode, name: string): { file: string; node: ts.Node } | undefined {
    try {
      const m = this.prov(file).memberType(type, name, newCtx());
      return m ? { file: m.prov.path, node: m.node } : undefined;
    } catch {
      return undefined;
    }
  }

  private toBinding(v: Value | undefined): Binding | undefined {
    if (!v) return undefined;
    if (v.kind === 'instance') return v.binding;
    if (v.kind === 'pkg') return adapterOfValue(v).provenance.exportBinding(v.name, v.origin);
    if (v.kind === 'class') return this.classStaticBinding(v, newCtx());
    if (v.kind === 'class-instance') return this.rowBinding(v, newCtx());
    return undefined;
  }

  /** An object of a model class (`user: User` where `class User extends Model`) is one of its rows. */
  private rowBinding(v: { file: string; node: ts.ClassLikeDeclaration }, c: Ctx): Binding | undefined {
    const b = this.classStaticBinding(v, c);
    return b?.role === 'repository' ? { ...b, role: 'row' } : undefined;
  }

  /** Whether a value is rows of a model: a row binding, or an object of a model class. */
  private isRows(v: Value | undefined, c: Ctx): boolean {
    if (v?.kind === 'instance') return v.binding.role === 'row';
    return v?.kind === 'class-instance' && this.rowBinding(v, c) !== undefined;
  }

  /**
   * An element of a collection of rows (`for (const doc of docs)`, `docs.map((doc) => …)`): the same rows,
   * from the collection's value (`await Document.findAll()`) or its declared element type (`docs: Document[]`).
   */
  private elementOf(e: ts.Expression, c: Ctx): Value | undefined {
    const v = this.valueOf(e, c);
    if (this.isRows(v, c)) return v;
    const t = this.declaredTypeOf(e, c);
    let el: ts.TypeNode | undefined = t?.type;
    while (el && ts.isParenthesizedTypeNode(el)) el = el.type;
    if (el && ts.isTypeOperatorNode(el)) el = el.type;
    el = el && ts.isArrayTypeNode(el) ? el.elementType : el && ts.isTypeReferenceNode(el) && /^(ReadonlyArray|Array)$/.test(el.typeName.getText()) ? el.typeArguments?.[0] : undefined;
    const ev = t && el ? t.prov.typeValue(el, c) : undefined;
    return this.isRows(ev, c) ? ev : undefined;
  }

  // ---- Values of expressions

  private prov(file: string): FileProv {
    if (file === this.path) return this;
    return fileProvenance(this.project, file) as FileProv;
  }

  private guard<T>(c: Ctx, key: string, f: () => T | undefined): T | undefined {
    if (c.depth > MAX_DEPTH || c.seen.has(key)) {
      c.cuts++;
      return undefined;
    }
    c.seen.add(key);
    c.depth++;
    try {
      return f();
    } finally {
      c.depth--;
      c.seen.delete(key);
    }
  }

  valueOf(e: ts.Expression, c: Ctx): Value | undefined {
    e = skipOuter(e);
    // One resolution never evaluates a node twice (shared sub-chains, repeated receivers).
    const key = `${this.pathKey}:${e.pos}:${e.end}`;
    if (c.cache.has(key)) {
      if (c.cutKeys.has(key)) c.cuts++;
      return c.cache.get(key);
    }
    if (c.depth > MAX_DEPTH) {
      c.cuts++;
      return undefined;
    }
    const cuts = c.cuts;
    c.depth++;
    let v: Value | undefined;
    try {
      v = this.valueOfInner(e, c);
    } finally {
      c.depth--;
    }
    if (c.cuts !== cuts) c.cutKeys.add(key);
    c.cache.set(key, v);
    return v;
  }

  private valueOfInner(e: ts.Expression, c: Ctx): Value | undefined {
    if (ts.isIdentifier(e)) {
      const d = this.declarationOf(e);
      return d ? this.declValue(d, c) : undefined;
    }
    if (ts.isPropertyAccessExpression(e) || (ts.isElementAccessExpression(e) && ts.isStringLiteralLike(e.argumentExpression))) {
      const name = ts.isPropertyAccessExpression(e) ? e.name.text : (e.argumentExpression as ts.StringLiteral).text;
      const objExpr = skipOuter(e.expression);
      if (objExpr.kind === ts.SyntaxKind.ThisKeyword) return this.thisMember(objExpr, name, c);
      // A member of an instance's registry: `sequelize.models.User`.
      if (ts.isPropertyAccessExpression(objExpr) && REGISTRY_PROPERTIES.has(objExpr.name.text)) {
        const inner = this.valueOf(objExpr.expression, c);
        if (inner?.kind === 'instance') {
          const m = adapters[inner.binding.library].provenance.registryMember(inner.binding, objExpr.name.text, name);
          if (m) return m;
        }
      }
      const obj = this.valueOf(objExpr, c);
      const m = obj ? this.member(obj, name, c) : undefined;
      if (m) return m;
      // A member of a value whose declared type says what it holds: `declare const global: { prisma: PrismaClient }`,
      // `(globalThis as unknown as { db: Kysely<DB> }).db`.
      const declared = this.declaredTypeOf(e.expression, c);
      return declared ? declared.prov.typedMember(declared.type, name, c) : undefined;
    }
    if (ts.isNewExpression(e)) {
      const target = this.proxyTarget(e);
      if (target) return this.proxiedValue(target, c);
      const cal = this.valueOf(e.expression, c);
      return cal ? this.construct(cal, e, c) : undefined;
    }
    if (ts.isCallExpression(e)) return this.callValue(e, c);
    if (ts.isBinaryExpression(e)) {
      const op = e.operatorToken.kind;
      if (op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.BarBarToken)
        return this.valueOf(e.left, c) ?? this.valueOf(e.right, c);
      if (op === ts.SyntaxKind.AmpersandAmpersandToken) return this.valueOf(e.right, c);
      if (op === ts.SyntaxKind.EqualsToken || op === ts.SyntaxKind.QuestionQuestionEqualsToken) return this.valueOf(e.right, c);
      if (op === ts.SyntaxKind.CommaToken) return this.valueOf(e.right, c);
      return undefined;
    }
    if (ts.isConditionalExpression(e)) return this.valueOf(e.whenTrue, c) ?? this.valueOf(e.whenFalse, c);
    // `yield* OrderRepository`: the service a context hands out under a key class is what the project registers there.
    if (ts.isYieldExpression(e) && e.asteriskToken && e.expression) {
      const key = this.valueOf(e.expression, c);
      if (key?.kind === 'class') return this.registeredService(key, c);
      // `yield* resolveClient()`: what the effect it runs returns.
      const r = this.effectReturn(e.expression, c);
      return r ? r.prov.valueOf(r.expr, c) : undefined;
    }
    if (e.kind === ts.SyntaxKind.ThisKeyword) return this.thisValue(e, c);
    if (ts.isClassExpression(e)) return { kind: 'class', file: this.path, node: e };
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return { kind: 'function', file: this.path, node: e };
    if (ts.isObjectLiteralExpression(e)) return { kind: 'object', file: this.path, node: e };
    return undefined;
  }

  /** The target of the global `new Proxy(target, handler)`. */
  private proxyTarget(e: ts.NewExpression): ts.Expression | undefined {
    const callee = skipOuter(e.expression);
    if (!ts.isIdentifier(callee) || callee.text !== 'Proxy' || !e.arguments?.length || this.declarationOf(callee)) return undefined;
    return e.arguments[0];
  }

  /**
   * A proxy stands in for its target, by value or by the type the target is written as: the lazy client
   * `new Proxy({} as Database, { get: (_, p) => Reflect.get(getDatabase(), p) })` is a Database.
   */
  private proxiedValue(target: ts.Expression, c: Ctx): Value | undefined {
    const v = this.valueOf(target, c);
    if (v && v.kind !== 'object') return v;
    const declared = this.declaredTypeOf(target, c);
    return (declared && declared.prov.typeValue(declared.type, c)) ?? v;
  }

  private callValue(e: ts.CallExpression, c: Ctx): Value | undefined {
    const callee = skipOuter(e.expression);
    // CommonJS: `require('pg')`.
    if (ts.isIdentifier(callee) && callee.text === 'require' && e.arguments.length === 1 && !this.declarationOf(callee)) {
      const spec = stringArg(e.arguments[0]);
      return spec === undefined ? undefined : this.requiredValue(spec, e, c);
    }
    if (ts.isPropertyAccessExpression(callee)) {
      const method = callee.name.text;
      const recvExpr = skipOuter(callee.expression);
      if (recvExpr.kind === ts.SyntaxKind.ThisKeyword) {
        const m = this.thisMember(recvExpr, method, c);
        return m ? this.call(m, e, c) : undefined;
      }
      // The receiver is evaluated once: re-evaluating it through the callee would make long builder
      // chains (`db.selectFrom(…).where(…)….execute()`) exponential.
      const recv = this.valueOf(recvExpr, c);
      if (!recv) return undefined;
      if (recv.kind === 'instance') {
        const r = adapters[recv.binding.library].provenance.method(recv.binding, method, e, nodeOrigin(this.path, e));
        if (r) return r;
        // A method of a project class extending the client (`class PrismaService extends PrismaClient { txClient() … }`),
        // found through the receiver's declared type.
        const t = this.callTargetOf(e, c);
        return t && ts.isMethodDeclaration(t.node) ? this.call({ kind: 'function', file: t.prov.path, node: t.node }, e, c) : undefined;
      }
      if (recv.kind === 'pending-tx') return undefined;
      const m = this.member(recv, method, c);
      if (m) return this.call(m, e, c);
      // A library static of a model class (`User.scope('active')`, `User.unscoped()`): what its adapter says it returns.
      const b = recv.kind === 'class' ? this.classStaticBinding(recv, c) : undefined;
      const r = b ? adapters[b.library].provenance.method(b, method, e, nodeOrigin(this.path, e)) : undefined;
      // Rows of the model itself (`await Document.findAll()`): objects of the class, whose own methods stay reachable.
      if (recv.kind === 'class' && r?.kind === 'instance' && r.binding.role === 'row' && r.binding.entity === b?.entity)
        return this.prov(recv.file).classInstance(recv.node, c) ?? r;
      return r;
    }
    const fn = this.valueOf(callee, c);
    return fn ? this.call(fn, e, c) : undefined;
  }

  private call(fn: Value, e: ts.CallExpression, c: Ctx): Value | undefined {
    switch (fn.kind) {
      case 'pkg':
        return adapterOfValue(fn).provenance.callExport(fn.name, e, nodeOrigin(this.path, e));
      case 'instance':
        // An instance called directly (`knex('users')`).
        return adapters[fn.binding.library].provenance.callInstance(fn.binding, e, nodeOrigin(this.path, e));
      case 'function': {
        const callee = this.prov(fn.file);
        // A lazy singleton (`getSingleton("prisma", createPrisma)`): calling the result runs the factory handed in.
        const factory = handedFactory(callee, fn.node, e, c);
        const made = factory ? this.valueOf(factory, c) : undefined;
        if (made?.kind === 'function') return made;
        // An object literal returned is weaker than a generic result typed by an argument (`withReplicas<Q>(primary: Q): Q & {…}`
        // returning `{ ...primary, get select() {…} }`). Last, the declared result type (`txClient(): Prisma.TransactionClient`).
        const rv = callee.returnValue(fn.node, c);
        if (rv && rv.kind !== 'object') return this.entityPassedThrough(rv, fn.node, callee, e) ?? rv;
        return this.genericPassThrough(fn.node, fn.file, e, c) ?? rv ?? (fn.node.type ? callee.typeValue(fn.node.type, c) : undefined);
      }
      default:
        return undefined;
    }
  }

  /**
   * A wrapper that hands its parameter to a library call taking an entity (`const getRepository = (target) =>
   * dataSource.getRepository(target)`): its result is of no entity on its own (the parameter names none), and of
   * the entity the caller passes (`getRepository(User)` → a repository of User). Only an entity-like argument
   * counts: a string, a capitalised identifier, a member path (`schema.User`), or `this` in a static method (the class).
   */
  private entityPassedThrough(rv: Value, fn: ts.SignatureDeclaration, calleeProv: FileProv, call: ts.CallExpression): Value | undefined {
    if (rv.kind !== 'instance' || rv.binding.entity !== undefined) return undefined;
    const index = calleeProv.passedParamIndex(fn);
    const arg = index === undefined ? undefined : call.arguments[index];
    const x = arg ? skipOuter(arg) : undefined;
    if (!x || (ts.isIdentifier(x) && !/^[A-Z]/.test(x.text))) return undefined;
    const entity = stringArg(x) ?? (ts.isIdentifier(x) ? x.text : ts.isPropertyAccessExpression(x) ? x.name.text : staticThisClass(x));
    return entity === undefined ? undefined : { kind: 'instance', binding: { ...rv.binding, entity } };
  }

  /** The index of the parameter a function returns handed, as the first argument, to a call (`return ds.getRepository(target)`). */
  passedParamIndex(fn: ts.SignatureDeclaration): number | undefined {
    const body = (fn as ts.FunctionLikeDeclaration).body;
    if (!body) return undefined;
    let ret: ts.Expression | undefined;
    if (!ts.isBlock(body)) ret = body;
    else {
      const returns = body.statements.filter(ts.isReturnStatement);
      if (returns.length !== 1) return undefined;
      ret = returns[0].expression;
    }
    const r = ret ? skipOuter(ret) : undefined;
    if (!r || !ts.isCallExpression(r) || !ts.isPropertyAccessExpression(skipOuter(r.expression))) return undefined;
    const a0 = r.arguments[0] ? skipOuter(r.arguments[0]) : undefined;
    if (!a0 || !ts.isIdentifier(a0)) return undefined;
    const d = this.declarationOf(a0);
    const i = d && ts.isParameter(d) ? fn.parameters.indexOf(d) : -1;
    return i >= 0 ? i : undefined;
  }

  /**
   * A generic function whose declared result is its type parameter `T`, taken from an argument of type `T`
   * or `() => T` (singleton helpers such as `remember('prisma', () => new PrismaClient())`, `once`, `lazy`):
   * the call's value is that argument's (or that factory's result).
   */
  genericPassThrough(fn: ts.SignatureDeclaration, calleeFile: string, call: ts.CallExpression, c: Ctx): Value | undefined {
    const tps = fn.typeParameters;
    const rt = fn.type;
    if (!tps?.length || !rt) return undefined;
    const tName = this.prov(calleeFile).resultTypeParam(rt, new Set(tps.map((t) => t.name.text)), 0);
    if (tName === undefined) return undefined;
    const isT = (t: ts.TypeNode | undefined): boolean => !!t && ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && t.typeName.text === tName;
    // `this` is the caller's file: arguments are evaluated here, the callee's syntax is only read.
    const callerProv: FileProv = this;
    for (let i = 0; i < fn.parameters.length && i < call.arguments.length; i++) {
      const pt = fn.parameters[i].type;
      const arg = call.arguments[i];
      if (isT(pt)) return callerProv.valueOf(arg, c);
      if (pt && ts.isFunctionTypeNode(pt) && isT(pt.type)) {
        const f = callerProv.valueOf(arg, c);
        if (f?.kind === 'function') return callerProv.prov(f.file).returnValue(f.node, c);
      }
    }
    return undefined;
  }

  /**
   * The type parameter a declared result type carries whole: `T`, an intersection with `T` (`T & { extra }`), or a
   * local generic alias of one (`type Replicated<Q> = Q & { … }` used as `Replicated<T>`).
   */
  resultTypeParam(t: ts.TypeNode, params: ReadonlySet<string>, depth: number): string | undefined {
    if (depth > 4) return undefined;
    if (ts.isParenthesizedTypeNode(t)) return this.resultTypeParam(t.type, params, depth + 1);
    if (ts.isIntersectionTypeNode(t)) {
      for (const m of t.types) {
        const r = this.resultTypeParam(m, params, depth + 1);
        if (r !== undefined) return r;
      }
      return undefined;
    }
    if (!ts.isTypeReferenceNode(t) || !ts.isIdentifier(t.typeName)) return undefined;
    if (params.has(t.typeName.text) && !t.typeArguments) return t.typeName.text;
    const d = this.declarationOf(t.typeName);
    if (!d || !ts.isTypeAliasDeclaration(d) || !d.typeParameters?.length || !t.typeArguments) return undefined;
    const inner = this.resultTypeParam(d.type, new Set(d.typeParameters.map((p) => p.name.text)), depth + 1);
    const i = inner === undefined ? -1 : d.typeParameters.findIndex((p) => p.name.text === inner);
    const arg = i >= 0 ? t.typeArguments[i] : undefined;
    return arg ? this.resultTypeParam(arg, params, depth + 1) : undefined;
  }

  /** What a local function returns: its expression body, or its `return` statements (first that resolves). */
  returnValue(fn: ts.SignatureDeclaration, c: Ctx): Value | undefined {
    return lasting(this.readFiles, this.returnValues, fn, c, () => this.returnValueOnce(fn, c));
  }

  private returnValueOnce(fn: ts.SignatureDeclaration, c: Ctx): Value | undefined {
    return this.guard(c, `ret:${this.pathKey}:${fn.pos}`, () => {
      const body = (fn as ts.FunctionLikeDeclaration).body;
      if (!body) return undefined;
      if (!ts.isBlock(body)) return this.valueOf(body, c);
      // An object literal (`return new Proxy({}, …) as PrismaClient` on the browser branch) is weaker than a later
      // return that resolves to a client or a function.
      let found: Value | undefined;
      let weak: Value | undefined;
      const visit = (n: ts.Node): void => {
        if (found) return;
        if (ts.isReturnStatement(n) && n.expression) {
          const v = this.valueOf(n.expression, c);
          if (v?.kind === 'object') weak ??= v;
          else found = v;
          return;
        }
        // Returns of nested functions are theirs, not ours.
        if (isFunctionLike(n) || ts.isClassLike(n)) return;
        ts.forEachChild(n, visit);
      };
      ts.forEachChild(body, visit);
      return found ?? weak;
    });
  }

  /**
   * The expression an effect returns when run by `yield*`: a generator handed to a library call
   * (`Effect.gen(function* () { …; return sqlClient })`), also through a project function returning one.
   */
  effectReturn(e: ts.Expression, c: Ctx): { prov: FileProv; expr: ts.Expression } | undefined {
    e = skipOuter(e);
    if (!ts.isCallExpression(e)) return undefined;
    return this.guard(c, `effret:${this.pathKey}:${e.pos}`, () => {
      const target = this.callTargetOf(e, c);
      const body = target && (target.node as ts.FunctionLikeDeclaration).body;
      if (target && body) {
        const ret = ts.isBlock(body) ? firstReturn(body) : body;
        return ret ? target.prov.effectReturn(ret, c) : undefined;
      }
      const gens = e.arguments.filter((a): a is ts.FunctionExpression => ts.isFunctionExpression(a) && !!a.asteriskToken);
      const ret = gens.length === 1 && gens[0].body ? firstReturn(gens[0].body) : undefined;
      return ret ? { prov: this, expr: ret } : undefined;
    });
  }

  /** The implementation the project registers under key class `key` (service-registry.ts), as a value. */
  private registeredService(key: { file: string; node: ts.ClassLikeDeclaration }, c: Ctx): Value | undefined {
    return this.guard(c, `service:${pathKeyOf(key.file)}:${key.node.pos}`, () => {
      const reg = registrationOf(this.project, key, (file, id) => this.prov(file).definitionOf(id));
      if (!reg) return undefined;
      const p = this.prov(reg.file);
      const v = p.valueOf(reg.impl, c);
      if (v && v.kind !== 'function') return v;
      const fn = v ?? (() => {
        const handed = handedImplementation(reg.impl);
        return handed ? p.valueOf(handed, c) : undefined;
      })();
      if (fn?.kind === 'function') return this.prov(fn.file).returnValue(fn.node, c);
      return fn;
    });
  }

  private construct(cal: Value, e: ts.NewExpression, c: Ctx): Value | undefined {
    if (cal.kind === 'pkg') return adapterOfValue(cal).provenance.construct(cal.name, nodeOrigin(this.path, e));
    if (cal.kind === 'class') return this.prov(cal.file).classInstance(cal.node, c);
    return undefined;
  }

  /**
   * An instance of a local class is an instance of the package class it extends (`PrismaService extends
   * PrismaClient`); any other is an object of that class, whose members may hold a client (`app.dataSource`).
   */
  classInstance(node: ts.ClassLikeDeclaration, c: Ctx): Value | undefined {
    const own: Value = { kind: 'class-instance', file: this.path, node };
    return this.guard(c, `cls:${this.pathKey}:${node.pos}`, () => {
      const base = this.baseOf(node, c);
      if (!base) return own;
      if (base.kind === 'pkg') {
        const origin = nodeOrigin(this.path, node.name ?? node);
        const p = adapterOfValue(base).provenance;
        return p.construct(base.name, origin) ?? p.typeInstance(base.name, undefined, origin) ?? own;
      }
      if (base.kind === 'class') {
        const inherited = this.prov(base.file).classInstance(base.node, c);
        return inherited?.kind === 'instance' ? inherited : own;
      }
      return own;
    });
  }

  private baseOf(node: ts.ClassLikeDeclaration, c: Ctx): Value | undefined {
    for (const h of node.heritageClauses ?? []) {
      if (h.token !== ts.SyntaxKind.ExtendsKeyword) continue;
      const t = h.types[0];
      if (t) return this.valueOf(t.expression, c);
    }
    return undefined;
  }

  /** A class used as a value: Sequelize models and TypeORM Active Record entities are repositories of themselves. */
  classStaticBinding(v: { file: string; node: ts.ClassLikeDeclaration }, c: Ctx): Binding | undefined {
    const p = this.prov(v.file);
    if (p !== this) return p.classStaticBinding(v, c);
    return this.guard(c, `static:${this.pathKey}:${v.node.pos}`, () => {
      const base = this.baseOf(v.node, c);
      if (!base) return undefined;
      if (base.kind === 'pkg' && adapterOfValue(base).provenance.modelClass(lastName(base.name)))
        return { library: base.library, role: 'repository', entity: v.node.name?.text, origin: nodeOrigin(this.path, v.node.name ?? v.node), model: true };
      if (base.kind === 'class') {
        const inherited = this.prov(base.file).classStaticBinding(base, c);
        // A subclass of a model is a model of its own name.
        if (inherited) return { ...inherited, entity: v.node.name?.text ?? inherited.entity };
      }
      return undefined;
    });
  }

  memberOf(obj: Value, name: string, c: Ctx): Value | undefined {
    return this.member(obj, name, c);
  }

  private member(obj: Value, name: string, c: Ctx): Value | undefined {
    switch (obj.kind) {
      case 'pkg':
        return { kind: 'pkg', library: obj.library, name: obj.name === '*' ? name : `${obj.name}.${name}`, origin: obj.origin };
      case 'instance':
        return adapters[obj.binding.library].provenance.property(obj.binding, name);
      case 'module':
        return this.prov(obj.file).exportValue(name, c);
      case 'object':
        return this.prov(obj.file).objectProperty(obj.node, name, c);
      case 'class-instance':
        return this.prov(obj.file).classMember(obj.node, name, c);
      case 'class': {
        // Static members of a local class: `static db = new Pool()`.
        const p = this.prov(obj.file);
        for (const m of obj.node.members) {
          if (ts.isPropertyDeclaration(m) && m.name && ts.isIdentifier(m.name) && m.name.text === name) {
            if (m.modifiers?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword)) return p.propertyDeclValue(m, c);
          }
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  objectProperty(node: ts.ObjectLiteralExpression, name: string, c: Ctx): Value | undefined {
    for (const p of node.properties) {
      if (ts.isPropertyAssignment(p) && propName(p.name) === name) return this.valueOf(p.initializer, c);
      if (ts.isShorthandPropertyAssignment(p) && p.name.text === name) return this.valueOf(p.name, c);
      if (ts.isMethodDeclaration(p) && propName(p.name) === name) return { kind: 'function', file: this.path, node: p };
    }
    return undefined;
  }

  // ---- Declarations

  private declValue(d: ts.Node, c: Ctx): Value | undefined {
    return lasting(this.readFiles, this.declValues, d, c, () => this.guard(c, `decl:${this.pathKey}:${d.pos}:${d.kind}`, () => this.declValueInner(d, c)));
  }

  private declValueInner(d: ts.Node, c: Ctx): Value | undefined {
    if (ts.isImportSpecifier(d)) {
      const spec = moduleSpecOf(d);
      return spec === undefined ? undefined : this.moduleValue(spec, (d.propertyName ?? d.name).text, d, c);
    }
    if (ts.isImportClause(d)) {
      const spec = moduleSpecOf(d);
      return spec === undefined ? undefined : this.moduleValue(spec, 'default', d, c);
    }
    if (ts.isNamespaceImport(d)) {
      const spec = moduleSpecOf(d);
      return spec === undefined ? undefined : this.moduleValue(spec, '*', d, c);
    }
    if (ts.isImportEqualsDeclaration(d)) {
      const r = d.moduleReference;
      if (ts.isExternalModuleReference(r) && ts.isStringLiteral(r.expression)) return this.moduleValue(r.expression.text, '*', d, c);
      return undefined;
    }
    if (ts.isVariableDeclaration(d)) {
      if (d.type) {
        const t = this.typeValue(d.type, c);
        if (t) return t;
      }
      if (d.initializer) return this.valueOf(d.initializer, c);
      const loop = d.parent.parent;
      if (ts.isForOfStatement(loop) && ts.isIdentifier(d.name)) return this.elementOf(loop.expression, c);
      // `let queryRunner; … queryRunner = dataSource.createQueryRunner()`.
      return ts.isIdentifier(d.name) ? this.assignedValue(d, d.name.text, c) : undefined;
    }
    if (ts.isBindingElement(d) && ts.isArrayBindingPattern(d.parent)) {
      // `...[router, tenant]: RouterInitArgs<T>`: a value of the position's declared type.
      const t = this.bindingDeclaredType(d, c);
      return t ? t.prov.typeValue(t.type, c) : undefined;
    }
    if (ts.isBindingElement(d)) {
      // `const { Pool } = require('pg')`, `const { db } = deps`.
      const prop = d.propertyName ? propName(d.propertyName) : ts.isIdentifier(d.name) ? d.name.text : undefined;
      const pattern = d.parent;
      if (prop === undefined || !ts.isObjectBindingPattern(pattern)) return undefined;
      const holder = pattern.parent;
      let whole: Value | undefined;
      if (ts.isVariableDeclaration(holder)) {
        if (holder.type) {
          const tv = this.typeMember(holder.type, prop, c);
          if (tv) return tv;
        }
        if (holder.initializer) whole = this.valueOf(holder.initializer, c);
        const m = whole ? this.member(whole, prop, c) : undefined;
        if (m) return m;
        // `const { appDataSource } = ctx` where `ctx: ScheduleContext` declares it.
        const declared = holder.initializer ? this.declaredTypeOf(holder.initializer, c) : undefined;
        return declared ? declared.prov.typedMember(declared.type, prop, c) : undefined;
      } else if (ts.isParameter(holder) && holder.type) {
        if (!untypedMember(holder.type, prop)) return this.typeMember(holder.type, prop, c);
        return this.typeMember(holder.type, prop, c) ?? destructuredCallbackMember(this, holder, prop, c) ?? this.clientFromCallers(holder, prop, c);
      } else if (ts.isParameter(holder) && prop === 'ctx') {
        // `({ ctx }) => …` handed to a procedure builder: the context its creator returns.
        return this.procedureContextValue(holder, c) ?? this.clientFromCallers(holder, prop, c);
      } else if (ts.isParameter(holder)) {
        return destructuredCallbackMember(this, holder, prop, c) ?? this.clientFromCallers(holder, prop, c);
      } else if (ts.isBindingElement(holder)) {
        // `({ ctx: { db } }) => …`: the member of the enclosing element's value.
        whole = this.declValue(holder, c);
        const m = whole ? this.member(whole, prop, c) : undefined;
        if (m) return m;
        const t = this.bindingDeclaredType(holder, c);
        return t ? t.prov.typedMember(t.type, prop, c) : undefined;
      }
      return whole ? this.member(whole, prop, c) : undefined;
    }
    if (ts.isParameter(d)) return this.paramValue(d, c);
    if (ts.isFunctionDeclaration(d) || ts.isFunctionExpression(d)) return { kind: 'function', file: this.path, node: d };
    if (ts.isClassDeclaration(d) || ts.isClassExpression(d)) return { kind: 'class', file: this.path, node: d };
    return undefined;
  }

  /** The value of a variable declared without one, from the assignments in its scope (the first that resolves). */
  private assignedValue(d: ts.VariableDeclaration, name: string, c: Ctx): Value | undefined {
    let scope: ts.Node | undefined = d.parent;
    while (scope && !isBlockScope(scope)) scope = scope.parent;
    if (!scope) return undefined;
    let found: Value | undefined;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left) && n.left.text === name && this.declarationOf(n.left) === d) {
        found = this.valueOf(n.right, c);
        if (found) return;
      }
      ts.forEachChild(n, visit);
    };
    ts.forEachChild(scope, visit);
    return found;
  }

  /** A package, a generated Prisma client or a local module, by import specifier and imported name. */
  moduleValue(spec: string, imported: string, at: ts.Node, c: Ctx): Value | undefined {
    const origin = nodeOrigin(this.path, at);
    const lib = libraryOfModule(spec);
    if (lib) {
      if (imported === 'default') return { kind: 'pkg', library: lib, name: adapters[lib].modules.defaultExport(spec), origin };
      if (imported === '*') return { kind: 'pkg', library: lib, name: adapters[lib].modules.namespaceExport(spec), origin };
      return { kind: 'pkg', library: lib, name: imported, origin };
    }
    const generated = libraryOfGeneratedImport(spec, imported);
    if (generated) return { kind: 'pkg', library: generated, name: imported, origin };
    const file = resolveModulePath(this.project, this.path, spec);
    if (!file) return undefined;
    if (imported === '*') return { kind: 'module', file };
    return this.prov(file).exportValue(imported, c);
  }

  /**
   * What `require(spec)` returns: a project file that assigns `module.exports = x` hands out x itself
   * (`const knex = require('../knex'); knex('links')…` with `module.exports = db`), any other module its namespace.
   */
  private requiredValue(spec: string, at: ts.Node, c: Ctx): Value | undefined {
    const v = this.moduleValue(spec, '*', at, c);
    if (v?.kind !== 'module') return v;
    const target = this.prov(v.file);
    return target.exports().commonJs ? target.exportValue('default', c) : v;
  }

  // ---- Exports

  /** Whether the module an `export *` names may export `name` (a package: ask it; a project file: `mayExport`). */
  private starMayExport(spec: string, name: string): boolean {
    if (libraryOfModule(spec) || libraryOfGeneratedImport(spec, name)) return true;
    const file = resolveModulePath(this.project, this.path, spec);
    return !file || mayExport(this.project, file, name);
  }

  private exports(): { named: Map<string, ExportEntry>; stars: string[]; commonJs?: ts.Expression } {
    if (this.exportsTable) return this.exportsTable;
    const named = new Map<string, ExportEntry>();
    const stars: string[] = [];
    let commonJs: ts.Expression | undefined;
    const hasMod = (n: ts.Node, k: ts.SyntaxKind): boolean =>
      ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === k);
    for (const st of this.sf.statements) {
      const exported = hasMod(st, ts.SyntaxKind.ExportKeyword);
      const isDefault = hasMod(st, ts.SyntaxKind.DefaultKeyword);
      if (ts.isVariableStatement(st) && exported) {
        for (const d of st.declarationList.declarations) {
          if (ts.isIdentifier(d.name)) named.set(d.name.text, { kind: 'decl', node: d });
          else for (const el of d.name.elements) if (ts.isBindingElement(el) && ts.isIdentifier(el.name)) named.set(el.name.text, { kind: 'decl', node: el });
        }
      } else if ((ts.isTypeAliasDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isEnumDeclaration(st)) && exported) {
        named.set(st.name.text, { kind: 'decl', node: st });
      } else if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && exported) {
        if (isDefault) named.set('default', { kind: 'decl', node: st });
        if (st.name && !isDefault) named.set(st.name.text, { kind: 'decl', node: st });
      } else if (ts.isExportAssignment(st)) {
        named.set('default', { kind: 'expr', node: st.expression });
      } else if (ts.isExportDeclaration(st)) {
        const spec = st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
        const clause = st.exportClause;
        if (!clause) {
          if (spec !== undefined) stars.push(spec);
        } else if (ts.isNamespaceExport(clause)) {
          if (spec !== undefined) named.set(clause.name.text, { kind: 'namespace', spec });
        } else {
          for (const el of clause.elements) {
            const local = (el.propertyName ?? el.name).text;
            if (spec !== undefined) named.set(el.name.text, { kind: 'reexport', spec, name: local });
            else named.set(el.name.text, { kind: 'local', name: local, at: el });
          }
        }
      } else if (
        ts.isExpressionStatement(st) &&
        ts.isBinaryExpression(st.expression) &&
        st.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken
      ) {
        // CommonJS: `module.exports = x`, `exports.db = x`, `module.exports.db = x`.
        const left = st.expression.left;
        const txt = left.getText(this.sf);
        if (txt === 'module.exports') {
          named.set('default', { kind: 'expr', node: st.expression.right });
          commonJs = st.expression.right;
        }
        else {
          const m = /^(?:module\.)?exports\.([A-Za-z_$][\w$]*)$/.exec(txt);
          if (m) named.set(m[1], { kind: 'expr', node: st.expression.right });
        }
      }
    }
    this.exportsTable = { named, stars, commonJs };
    return this.exportsTable;
  }

  /** Looks a top-level name up in this file's scope. */
  private topLevel(name: string): ts.Node | undefined {
    const list = this.scopes.get(this.sf)?.get(name);
    return list?.[list.length - 1];
  }

  exportValue(name: string, c: Ctx): Value | undefined {
    const known = this.exportValues.get(name);
    if (known) {
      // Computed for an earlier resolution, maybe through other files: this one depends on them too (engine/reads.ts).
      replayReads(known.reads);
      return known.v;
    }
    const cuts = c.cuts;
    const { value: v, reads } = collectReads(() => this.exportValueOnce(name, c));
    if (c.cuts === cuts) {
      this.exportValues.set(name, { v, reads });
      for (const r of reads) this.readFiles.add(r);
    }
    return v;
  }

  private exportValueOnce(name: string, c: Ctx): Value | undefined {
    return this.guard(c, `export:${this.pathKey}:${name}`, () => {
      const ex = this.exports();
      const entry = ex.named.get(name);
      if (entry) {
        switch (entry.kind) {
          case 'decl':
            return this.declValue(entry.node, c);
          case 'expr':
            return this.valueOf(entry.node, c);
          case 'local': {
            const d = this.topLevel(entry.name);
            return d ? this.declValue(d, c) : undefined;
          }
          case 'reexport':
            return this.moduleValue(entry.spec, entry.name, this.sf, c);
          case 'namespace':
            return this.moduleValue(entry.spec, '*', this.sf, c);
        }
      }
      // `export default` of a CommonJS object: `module.exports = { db }` → `db`.
      const def = ex.named.get('default');
      if (name !== 'default' && def?.kind === 'expr') {
        const dv = this.valueOf(def.node, c);
        if (dv?.kind === 'object') return this.member(dv, name, c);
      }
      if (name === 'default') return undefined;
      for (const spec of ex.stars) {
        if (!this.starMayExport(spec, name)) continue;
        const v = this.moduleValue(spec, name, this.sf, c);
        if (v) return v;
      }
      return undefined;
    });
  }

  exportDefinition(name: string, c: Ctx): Definition | undefined {
    return this.guard(c, `exportdef:${this.pathKey}:${name}`, () => {
      const ex = this.exports();
      const entry = ex.named.get(name);
      if (entry) {
        switch (entry.kind) {
          case 'decl':
            return this.followDecl(entry.node, c);
          case 'expr': {
            const e = skipOuter(entry.node);
            if (ts.isIdentifier(e)) {
              const d = this.declarationOf(e);
              if (d) return this.followDecl(d, c);
            }
            return { file: this.path, node: entry.node };
          }
          case 'local': {
            const d = this.topLevel(entry.name);
            return d ? this.followDecl(d, c) : undefined;
          }
          case 'reexport': {
            const file = resolveModulePath(this.project, this.path, entry.spec);
            return file ? this.prov(file).exportDefinition(entry.name, c) : undefined;
          }
          case 'namespace':
            return undefined;
        }
      }
      if (name === 'default') return undefined;
      for (const spec of ex.stars) {
        const file = resolveModulePath(this.project, this.path, spec);
        const d = file && mayExport(this.project, file, name) ? this.prov(file).exportDefinition(name, c) : undefined;
        if (d) return d;
      }
      return undefined;
    });
  }

  /** A declaration, with imports from local modules followed to the exporting file. */
  followDecl(d: ts.Node, c: Ctx): Definition | undefined {
    let spec: string | undefined;
    let imported: string | undefined;
    if (ts.isImportSpecifier(d)) {
      spec = moduleSpecOf(d);
      imported = (d.propertyName ?? d.name).text;
    } else if (ts.isImportClause(d)) {
      spec = moduleSpecOf(d);
      imported = 'default';
    }
    if (spec === undefined || imported === undefined) return { file: this.path, node: d };
    if (libraryOfModule(spec)) return { file: this.path, node: d };
    const file = resolveModulePath(this.project, this.path, spec);
    if (!file) return { file: this.path, node: d };
    return this.prov(file).exportDefinition(imported, c) ?? { file: this.path, node: d };
  }

  // ---- Parameters, types and `this`

  private paramValue(p: ts.ParameterDeclaration, c: Ctx): Value | undefined {
    const injected = this.injectedValue(p, c);
    if (injected) return injected;
    if (p.type) {
      const t = this.typeValue(p.type, c);
      if (t) return t;
    }
    const fn = p.parent;
    if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && fn.parameters[0] === p) {
      const call = fn.parent;
      if (ts.isCallExpression(call) && call.arguments.includes(fn as ts.Expression)) {
        const callee = skipOuter(call.expression);
        if (ts.isPropertyAccessExpression(callee)) {
          const recvExpr = skipOuter(callee.expression);
          // Kysely: `db.transaction().execute(async (trx) => …)`.
          const recv =
            ts.isCallExpression(recvExpr) ? this.callValue(recvExpr, c) : this.valueOf(recvExpr, c);
          if (recv) {
            const cb = callbackClient(recv, callee.name.text);
            if (cb) return cb;
          }
          if (ELEMENT_CALLBACKS.has(callee.name.text)) {
            const el = this.elementOf(recvExpr, c);
            if (el) return el;
          }
        }
      }
    }
    const ctxType = this.contextualParamType(p, c);
    if (ctxType) {
      const v = ctxType.prov.typeValue(ctxType.type, c);
      if (v) return v;
    }
    const handed = this.handedToCallback(p, c);
    if (handed) return handed;
    if (p.initializer) {
      const v = this.valueOf(p.initializer, c);
      if (v) return v;
    }
    return !p.type || isUntyped(p.type) || this.projectObjectType(p.type, c) ? this.clientFromCallers(p, undefined, c) : undefined;
  }

  /**
   * A parameter type the project writes out itself as an object type (a type literal, or an alias or interface of
   * one) that names no client: a hand-written structural type for what the callers hand in (tianji's
   * `tx: WorkerEnvironmentVariableTransaction = { functionWorkerEnvironmentVariable: { findMany(…): …; … } }`).
   */
  private projectObjectType(t: ts.TypeNode, c: Ctx): boolean {
    if (ts.isTypeLiteralNode(t)) return true;
    if (!ts.isTypeReferenceNode(t) || t.typeArguments?.length) return false;
    const r = this.resolveTypeNode(t, c);
    return !!r && r.node !== t && (ts.isTypeLiteralNode(r.node) || ts.isInterfaceDeclaration(r.node));
  }

  /**
   * A parameter typed `any`, `unknown` or not at all (`prop`: a member destructured from it, `{ tx }: { tx: any }`):
   * the client every call of its function in the project passes there (callers.ts), when each passes a client of
   * one library (a transaction client or the client itself). A caller passing anything else, a spread, a missing
   * argument, or callers this project does not show (the function handed on as a value, exported and never
   * called here): unknown.
   */
  private clientFromCallers(p: ts.ParameterDeclaration, prop: string | undefined, c: Ctx): Value | undefined {
    if (p.dotDotDotToken || !ts.isFunctionLike(p.parent)) return undefined;
    const fn = p.parent as ts.SignatureDeclaration;
    const index = fn.parameters.indexOf(p);
    return this.guard(c, `callers:${this.pathKey}:${p.pos}:${prop ?? ''}`, () => {
      const calls = callersOf(this.project, this.path, fn);
      if (!calls) return undefined;
      let found: Value | undefined;
      for (const { file, call } of calls) {
        // A test's stand-in (a fake transaction) is not what production hands in.
        if (isTestFilePath(file) && file !== this.path) continue;
        if (call.arguments.slice(0, index + 1).some(ts.isSpreadElement)) return undefined;
        const arg = call.arguments[index];
        const expr = arg && prop !== undefined ? propertyOfLiteral(arg, prop) : arg;
        if (!expr) return undefined;
        const v = this.prov(file).valueOf(expr, c);
        if (!v || v.kind !== 'instance' || v.binding.role !== 'client') return undefined;
        if (found && found.kind === 'instance' && found.binding.library !== v.binding.library) return undefined;
        found ??= v;
      }
      return found;
    });
  }

  /**
   * A parameter of a callback handed to a project function: the value that function calls the callback
   * with (`withClient(async (client) => …)` where `withClient` does `cb(await pool.connect())`).
   */
  handedToCallback(p: ts.ParameterDeclaration, c: Ctx): Value | undefined {
    const fn = p.parent;
    if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return undefined;
    let arg: ts.Node = fn;
    while (ts.isParenthesizedExpression(arg.parent)) arg = arg.parent;
    const call = arg.parent;
    if (!ts.isCallExpression(call)) return undefined;
    const argIndex = call.arguments.indexOf(arg as ts.Expression);
    const pIndex = fn.parameters.indexOf(p);
    if (argIndex < 0 || pIndex < 0) return undefined;
    return this.guard(c, `handed:${this.pathKey}:${p.pos}`, () => {
      const target = this.callTargetOf(call, c);
      if (!target || !('body' in target.node) || !target.node.body) return undefined;
      const cbParam = target.node.parameters[argIndex];
      if (!cbParam || !ts.isIdentifier(cbParam.name)) return undefined;
      return target.prov.callbackArgument(target.node.body, cbParam, pIndex, c);
    });
  }

  /** The value a function body passes as argument `index` when it calls its parameter `cb`. */
  callbackArgument(body: ts.Node, cb: ts.ParameterDeclaration, index: number, c: Ctx): Value | undefined {
    let found: Value | undefined;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isCallExpression(n)) {
        let callee = skipOuter(n.expression);
        // `cb.call(this, client)`.
        let shift = 0;
        if (ts.isPropertyAccessExpression(callee) && (callee.name.text === 'call' || callee.name.text === 'apply')) {
          shift = callee.name.text === 'call' ? 1 : -1;
          callee = skipOuter(callee.expression);
        }
        if (shift >= 0 && ts.isIdentifier(callee) && this.declarationOf(callee) === cb) {
          const a = n.arguments[index + shift];
          if (a) found = this.valueOf(a, c);
          if (found) return;
        }
        // Handed on to a library method that calls it with a client (`client.$transaction(input, options)` in a
        // project's transaction wrapper).
        if (index === 0 && ts.isPropertyAccessExpression(callee) && n.arguments.some((a) => { const x = skipOuter(a); return ts.isIdentifier(x) && this.declarationOf(x) === cb; })) {
          const recv = this.valueOf(skipOuter(callee.expression), c);
          found = recv ? callbackClient(recv, callee.name.text) : undefined;
          if (found) return;
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(body);
    return found;
  }

  /**
   * The signature a call invokes when it is project code: a function, a method of a project class, or a
   * method declared by the receiver's declared type (an interface member). Undefined for library calls.
   */
  callTargetOf(call: ts.CallExpression, c: Ctx): { prov: FileProv; node: ts.SignatureDeclaration } | undefined {
    return lasting(this.readFiles, this.callTargets, call, c, () => this.callTargetOfOnce(call, c));
  }

  private callTargetOfOnce(call: ts.CallExpression, c: Ctx): { prov: FileProv; node: ts.SignatureDeclaration } | undefined {
    const callee = skipOuter(call.expression);
    const v = this.valueOf(callee, c);
    if (v?.kind === 'function') return { prov: this.prov(v.file), node: v.node };
    if (ts.isPropertyAccessExpression(callee)) {
      const t = this.declaredTypeOf(callee.expression, c);
      const m = t ? t.prov.memberType(t.type, callee.name.text, c) : undefined;
      if (m && (ts.isMethodSignature(m.node) || ts.isFunctionTypeNode(m.node) || ts.isMethodDeclaration(m.node))) return { prov: m.prov, node: m.node };
    }
    // A callee declared with a function type, possibly through an alias: a service factory held in a field
    // (`ctx.modService(db)` with `get modService(): ModServiceCreator`, `type ModServiceCreator = (db) => ModService`).
    const ft = this.guard(c, `dtcallee:${this.pathKey}:${callee.pos}`, () => this.declaredTypeOf(callee, c));
    const sig = ft ? ft.prov.resolveTypeNode(ft.type, c) : undefined;
    if (sig && ts.isFunctionTypeNode(sig.node)) return { prov: sig.prov, node: sig.node };
    return undefined;
  }

  /**
   * The declared type a callback parameter gets from its context: a property of an object literal whose
   * type is declared (`const m: AlterationScript = { up: async (pool) => … }`, `{ … } satisfies T`), or a
   * function assigned to a variable of a function type (`const run: Job = async (db) => …`).
   */
  contextualParamType(p: ts.ParameterDeclaration, c: Ctx): { prov: FileProv; type: ts.TypeNode } | undefined {
    const fn = p.parent;
    if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn) && !ts.isMethodDeclaration(fn)) return undefined;
    const index = fn.parameters.indexOf(p);
    let fnType: { prov: FileProv; node: ts.Node; receiver?: { prov: FileProv; type: ts.TypeNode } } | undefined;
    const holder = fn.parent;
    if (ts.isMethodDeclaration(fn) && ts.isObjectLiteralExpression(holder)) {
      const name = fn.name && propName(fn.name);
      const objType = name !== undefined ? this.contextualType(holder, c) : undefined;
      fnType = objType && name !== undefined ? objType.prov.memberType(objType.node, name, c) : undefined;
    } else if (ts.isPropertyAssignment(holder) && holder.initializer === fn && ts.isObjectLiteralExpression(holder.parent)) {
      const name = propName(holder.name);
      const objType = name !== undefined ? this.contextualType(holder.parent, c) : undefined;
      fnType = objType && name !== undefined ? objType.prov.memberType(objType.node, name, c) : undefined;
    } else if (!ts.isMethodDeclaration(fn)) {
      fnType = this.contextualType(fn, c) ?? this.calleeParamType(fn, c);
    }
    if (!fnType) return undefined;
    const sig = fnType.prov.resolveTypeNode(fnType.node, c);
    if (!sig) return undefined;
    const n = sig.node;
    if (ts.isFunctionTypeNode(n) || ts.isMethodSignature(n)) {
      const t = n.parameters[index]?.type;
      // `(tx: X) => …` in `interface Shape<X>`: the type argument the receiver's declared type gives X.
      return t ? instantiate(sig.prov, t, fnType.receiver, c) : undefined;
    }
    return undefined;
  }

  /** The declared type of the parameter of a project function a callback is handed to (`runQuery(name, async (db) => …)`). */
  private calleeParamType(fn: ts.Expression, c: Ctx): { prov: FileProv; node: ts.Node; receiver?: { prov: FileProv; type: ts.TypeNode } } | undefined {
    let arg: ts.Node = fn;
    while (ts.isParenthesizedExpression(arg.parent)) arg = arg.parent;
    const call = arg.parent;
    if (!ts.isCallExpression(call)) return undefined;
    const i = call.arguments.indexOf(arg as ts.Expression);
    if (i < 0) return undefined;
    return this.guard(c, `calleeparam:${this.pathKey}:${fn.pos}`, () => {
      const target = this.callTargetOf(call, c);
      const t = target?.node.parameters[i]?.type;
      if (!t || !target) return undefined;
      const callee = skipOuter(call.expression);
      const receiver = ts.isPropertyAccessExpression(callee) ? this.declaredTypeOf(callee.expression, c) : undefined;
      return { prov: target.prov, node: t, receiver };
    });
  }

  /** The declared type of an expression from its context (variable annotation, `satisfies`, `as`, enclosing object). */
  private contextualType(e: ts.Expression, c: Ctx): { prov: FileProv; node: ts.Node } | undefined {
    let n: ts.Node = e;
    while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
    const parent = n.parent;
    if (ts.isVariableDeclaration(parent) && parent.initializer === n && parent.type) return { prov: this, node: parent.type };
    if ((ts.isSatisfiesExpression(parent) || ts.isAsExpression(parent)) && !ts.isConstTypeReference(parent.type)) return { prov: this, node: parent.type };
    if (ts.isPropertyAssignment(parent) && ts.isObjectLiteralExpression(parent.parent)) {
      const name = propName(parent.name);
      const outer = name !== undefined ? this.contextualType(parent.parent, c) : undefined;
      return outer && name !== undefined ? outer.prov.memberType(outer.node, name, c) : undefined;
    }
    return undefined;
  }

  /** Follows type references (aliases, imports from local modules) to a type literal, function type or interface. */
  resolveTypeNode(t: ts.Node, c: Ctx): { prov: FileProv; node: ts.Node } | undefined {
    return lasting(this.readFiles, this.typeNodes, t, c, () => this.resolveTypeNodeOnce(t, c));
  }

  private resolveTypeNodeOnce(t: ts.Node, c: Ctx): { prov: FileProv; node: ts.Node } | undefined {
    return this.guard(c, `typenode:${this.pathKey}:${t.pos}`, () => {
      if (ts.isParenthesizedTypeNode(t)) return this.resolveTypeNode(t.type, c);
      // `interface A extends B` names B by an expression.
      const ref = ts.isTypeReferenceNode(t) ? t.typeName : ts.isExpressionWithTypeArguments(t) && ts.isIdentifier(t.expression) ? t.expression : undefined;
      if (!ref || !ts.isIdentifier(ref)) return { prov: this, node: t };
      const d = this.declarationOf(ref);
      // `Parameters<F>`: kept as written for `tuple-types.ts`, which reads F.
      if (!d) return TUPLE_UTILITIES.has(ref.text) ? { prov: this, node: t } : undefined;
      if (ts.isTypeAliasDeclaration(d)) return this.resolveTypeNode(d.type, c);
      if (ts.isInterfaceDeclaration(d) || ts.isClassDeclaration(d)) return { prov: this, node: d };
      if (ts.isImportSpecifier(d) || ts.isImportClause(d)) {
        const spec = moduleSpecOf(d);
        if (spec === undefined || libraryOfModule(spec)) return undefined;
        const file = resolveModulePath(this.project, this.path, spec);
        const name = ts.isImportSpecifier(d) ? (d.propertyName ?? d.name).text : 'default';
        return file ? this.prov(file).exportedTypeNode(name, c) : undefined;
      }
      return undefined;
    });
  }

  private exportedTypeNode(name: string, c: Ctx): { prov: FileProv; node: ts.Node } | undefined {
    return lasting(this.readFiles, this.exportedTypeNodes, name, c, () => this.exportedTypeNodeOnce(name, c));
  }

  private exportedTypeNodeOnce(name: string, c: Ctx): { prov: FileProv; node: ts.Node } | undefined {
    const ex = this.exports();
    const entry = ex.named.get(name);
    if (entry?.kind === 'reexport') {
      const file = libraryOfModule(entry.spec) ? undefined : resolveModulePath(this.project, this.path, entry.spec);
      return file ? this.prov(file).exportedTypeNode(entry.name, c) : undefined;
    }
    if (!entry) {
      // `export * from './connection'`.
      return this.guard(c, `startype:${this.pathKey}:${name}`, () => {
        for (const spec of ex.stars) {
          const file = libraryOfModule(spec) ? undefined : resolveModulePath(this.project, this.path, spec);
          const hit = file ? this.prov(file).exportedTypeNode(name, c) : undefined;
          if (hit) return hit;
        }
        return undefined;
      });
    }
    const d = entry.kind === 'decl' ? entry.node : entry.kind === 'local' ? this.topLevel(entry.name) : undefined;
    if (!d) return undefined;
    if (ts.isTypeAliasDeclaration(d)) return this.resolveTypeNode(d.type, c);
    if (ts.isInterfaceDeclaration(d) || ts.isClassDeclaration(d)) return { prov: this, node: d };
    return undefined;
  }

  /** The type of member `name` of an object type (type literal, interface, intersection, alias). */
  memberType(t: ts.Node, name: string, c: Ctx): { prov: FileProv; node: ts.Node } | undefined {
    let byName = this.memberTypes.get(t);
    if (!byName) this.memberTypes.set(t, (byName = new Map()));
    return lasting(this.readFiles, byName, name, c, () => this.memberTypeOnce(t, name, c));
  }

  private memberTypeOnce(t: ts.Node, name: string, c: Ctx): { prov: FileProv; node: ts.Node } | undefined {
    return this.guard(c, `membertype:${this.pathKey}:${t.pos}:${name}`, () => {
      // `Omit<Params, 'x'>`, `Pick<…>`, `Partial<…>`, `Readonly<…>`: the members of the wrapped type.
      const util = utilityWrapper(t);
      if (util && !this.declarationOf(util.id)) {
        const keys = util.keys ? literalKeys(util.keys) : undefined;
        if (util.id.text === 'Omit' && keys?.includes(name)) return undefined;
        if (util.id.text === 'Pick' && keys && !keys.includes(name)) return undefined;
        return this.memberType(util.inner, name, c);
      }
      const r = this.resolveTypeNode(t, c);
      if (!r) return undefined;
      const n = r.node;
      if (ts.isIntersectionTypeNode(n) || ts.isUnionTypeNode(n)) {
        for (const m of n.types) {
          const hit = r.prov.memberType(m, name, c);
          if (hit) return hit;
        }
        return undefined;
      }
      const members = ts.isTypeLiteralNode(n) ? n.members : ts.isInterfaceDeclaration(n) ? n.members : undefined;
      for (const m of members ?? []) {
        if (!m.name || propName(m.name) !== name) continue;
        if (ts.isPropertySignature(m) && m.type) return { prov: r.prov, node: m.type };
        if (ts.isMethodSignature(m)) return { prov: r.prov, node: m };
      }
      // A class type: its declared members (a property's type, a method).
      if (ts.isClassDeclaration(n)) {
        for (const m of n.members) {
          if (!m.name || propName(m.name) !== name || (ts.canHaveModifiers(m) && ts.getModifiers(m)?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword))) continue;
          // A getter's declared type is the member's (`get modService(): ModServiceCreator`).
          if ((ts.isPropertyDeclaration(m) || ts.isGetAccessorDeclaration(m)) && m.type) return { prov: r.prov, node: m.type };
          if (ts.isMethodDeclaration(m)) return { prov: r.prov, node: m };
        }
      }
      // Inherited from the interfaces (or class) it extends.
      if (ts.isInterfaceDeclaration(n) || ts.isClassDeclaration(n)) {
        for (const h of n.heritageClauses ?? []) {
          for (const base of h.types) {
            const hit = r.prov.memberType(base, name, c);
            if (hit) return hit;
          }
        }
      }
      return undefined;
    });
  }

  /** NestJS injection decorators: `@InjectRepository(User)`, `@InjectModel(User)`, `@InjectDataSource()`, `@InjectEntityManager()`. */
  private injectedValue(p: ts.ParameterDeclaration | ts.PropertyDeclaration, c: Ctx): Value | undefined {
    const decos = ts.canHaveDecorators(p) ? (ts.getDecorators(p) ?? []) : [];
    for (const d of decos) {
      const e = d.expression;
      if (!ts.isCallExpression(e)) continue;
      const fn = this.valueOf(e.expression, c);
      if (fn?.kind !== 'pkg') continue;
      const n = lastName(fn.name);
      const origin = nodeOrigin(this.path, d);
      const v = adapterOfValue(fn).provenance.injected(n, e, origin);
      if (v) return v;
    }
    return undefined;
  }

  typeValue(t: ts.TypeNode, c: Ctx): Value | undefined {
    if (ts.isParenthesizedTypeNode(t)) return this.typeValue(t.type, c);
    // `ScimAuthContext['prisma']`: the member the indexed type declares.
    if (ts.isIndexedAccessTypeNode(t) && ts.isLiteralTypeNode(t.indexType) && ts.isStringLiteral(t.indexType.literal))
      return this.typedMember(t.objectType, t.indexType.literal.text, c);
    if (ts.isUnionTypeNode(t) || ts.isIntersectionTypeNode(t)) {
      for (const m of t.types) {
        const v = this.typeValue(m, c);
        if (v) return v;
      }
      return undefined;
    }
    if (ts.isTypeQueryNode(t)) {
      const id = leftmost(t.exprName);
      const base = this.declarationOf(id);
      let v = base ? this.declValue(base, c) : undefined;
      for (const part of rightParts(t.exprName)) v = v ? this.member(v, part, c) : undefined;
      return v;
    }
    if (ts.isTypeReferenceNode(t)) {
      const id = leftmost(t.typeName);
      const parts = rightParts(t.typeName);
      // `Promise<PoolClient>` and friends wrap the type we want.
      if (parts.length === 0 && (id.text === 'Promise' || id.text === 'Awaited' || id.text === 'Readonly') && t.typeArguments?.[0])
        return this.typeValue(t.typeArguments[0], c);
      const d = this.declarationOf(id);
      // `Pick<ExtendedPrismaClient, 'booking' | 'asset'>`, `NonNullable<Db>`: TypeScript's own wrappers of a client's type are that client.
      if (!d && parts.length === 0 && TYPE_WRAPPERS.has(id.text) && t.typeArguments?.[0]) return this.typeValue(t.typeArguments[0], c);
      // `ReturnType<typeof connectDb>` (often inside `Awaited<…>`): what that function returns.
      if (!d && parts.length === 0 && id.text === 'ReturnType' && t.typeArguments?.[0]) return this.returnTypeValue(t.typeArguments[0], c);
      if (!d) return undefined;
      if (ts.isTypeAliasDeclaration(d)) {
        return this.guard(c, `alias:${this.pathKey}:${d.pos}`, () => this.typeValue(d.type, c));
      }
      if (parts.length === 0 && (ts.isImportSpecifier(d) || ts.isImportClause(d))) {
        // `import type { Db } from './db'` where `export type Db = Knex | Knex.Transaction`.
        const spec = moduleSpecOf(d);
        if (spec !== undefined && !libraryOfModule(spec) && !libraryOfGeneratedImport(spec, ts.isImportSpecifier(d) ? (d.propertyName ?? d.name).text : 'default')) {
          const file = resolveModulePath(this.project, this.path, spec);
          if (!file) return undefined;
          const name = ts.isImportSpecifier(d) ? (d.propertyName ?? d.name).text : 'default';
          return this.prov(file).exportTypeValue(name, c);
        }
      }
      const v = this.declValue(d, c);
      if (!v) return undefined;
      return this.typeInstance(v, parts, t.typeArguments, t, c);
    }
    return undefined;
  }

  private returnTypeValue(arg: ts.TypeNode, c: Ctx): Value | undefined {
    const f = this.typeValue(arg, c);
    // A library's function (`ReturnType<typeof drizzle<typeof schema>>`): what a call of it gives, its arguments unknown.
    if (f?.kind === 'pkg') return adapterOfValue(f).provenance.callExport(f.name, ts.factory.createCallExpression(ts.factory.createIdentifier(lastName(f.name)), undefined, []), nodeOrigin(this.path, arg));
    if (f?.kind !== 'function') return undefined;
    const p = this.prov(f.file);
    return p.returnValue(f.node, c) ?? (f.node.type ? p.typeValue(f.node.type, c) : undefined);
  }

  private typeInstance(
    v: Value,
    parts: string[],
    typeArgs: readonly ts.TypeNode[] | undefined,
    at: ts.Node,
    c: Ctx,
  ): Value | undefined {
    const origin = nodeOrigin(this.path, at);
    if (v.kind === 'pkg') {
      let name = v.name;
      for (const p of parts) name = name === '*' ? p : `${name}.${p}`;
      // `SelectQueryBuilder<T>` with T a type parameter in scope (`_verify<T extends Resource>(qb: SelectQueryBuilder<T>)`): no entity named T.
      const args = typeArgs?.map((a) => (typeParameterInScope(a, at) ? undefined : a));
      return adapterOfValue(v).provenance.typeInstance(name, args?.every((a) => a === undefined) ? undefined : (args as ts.TypeNode[]), origin);
    }
    if (v.kind === 'class' && parts.length === 0) return this.prov(v.file).classInstance(v.node, c);
    if (v.kind === 'module' && parts.length > 0) {
      const inner = this.prov(v.file).exportTypeValue(parts[0], c);
      return inner && parts.length === 1 ? inner : undefined;
    }
    return undefined;
  }

  /** An exported type of this file used from another: a class, a type alias, an interface or a re-exported package type. */
  exportTypeValue(name: string, c: Ctx): Value | undefined {
    return lasting(this.readFiles, this.exportTypeValues, name, c, () => this.exportTypeValueOnce(name, c));
  }

  private exportTypeValueOnce(name: string, c: Ctx): Value | undefined {
    return this.guard(c, `exporttype:${this.pathKey}:${name}`, () => {
      const ex = this.exports();
      const entry = ex.named.get(name);
      if (entry?.kind === 'reexport') {
        const lib = libraryOfModule(entry.spec);
        if (lib || libraryOfGeneratedImport(entry.spec, entry.name)) {
          const v = this.moduleValue(entry.spec, entry.name, this.sf, c);
          return v ? this.typeInstance(v, [], undefined, this.sf, c) : undefined;
        }
        const file = resolveModulePath(this.project, this.path, entry.spec);
        return file ? this.prov(file).exportTypeValue(entry.name, c) : undefined;
      }
      let d: ts.Node | undefined;
      if (entry?.kind === 'decl') d = entry.node;
      else if (entry?.kind === 'local') d = this.topLevel(entry.name);
      else if (!entry) {
        for (const spec of ex.stars) {
          // `export * from ".prisma/client"` (a workspace package re-exporting a library): that library's type.
          if (libraryOfModule(spec) || libraryOfGeneratedImport(spec, name)) {
            const pkg = this.moduleValue(spec, name, this.sf, c);
            const v = pkg ? this.typeInstance(pkg, [], undefined, this.sf, c) : undefined;
            if (v) return v;
            continue;
          }
          const file = resolveModulePath(this.project, this.path, spec);
          const v = file && mayExport(this.project, file, name) ? this.prov(file).exportTypeValue(name, c) : undefined;
          if (v) return v;
        }
        return undefined;
      }
      if (!d) return undefined;
      if (ts.isTypeAliasDeclaration(d)) return this.typeValue(d.type, c);
      if (ts.isImportSpecifier(d) || ts.isImportClause(d)) {
        const spec = moduleSpecOf(d);
        const imported = ts.isImportSpecifier(d) ? (d.propertyName ?? d.name).text : 'default';
        if (spec !== undefined && !libraryOfModule(spec) && !libraryOfGeneratedImport(spec, imported)) {
          const file = resolveModulePath(this.project, this.path, spec);
          return file ? this.prov(file).exportTypeValue(imported, c) : undefined;
        }
      }
      const v = this.declValue(d, c);
      return v ? this.typeInstance(v, [], undefined, d, c) : undefined;
    });
  }

  /** The type an expression is declared or asserted to have: `x as T`, a variable, parameter or property declared `: T`. */
  declaredTypeOf(e: ts.Expression, c: Ctx): { prov: FileProv; type: ts.TypeNode } | undefined {
    return lasting(this.readFiles, this.declaredTypes, e, c, () => this.declaredTypeOfOnce(e, c));
  }

  private declaredTypeOfOnce(e: ts.Expression, c: Ctx): { prov: FileProv; type: ts.TypeNode } | undefined {
    for (;;) {
      if (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
      else break;
    }
    if ((ts.isAsExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) && !ts.isConstTypeReference(e.type)) return { prov: this, type: e.type };
    if (ts.isAwaitExpression(e)) return this.declaredTypeOf(e.expression, c);
    if (ts.isYieldExpression(e) && e.asteriskToken && e.expression) {
      const r = this.guard(c, `dtyield:${this.pathKey}:${e.pos}`, () => this.effectReturn(e.expression!, c));
      return r ? r.prov.declaredTypeOf(r.expr, c) : undefined;
    }
    // `trx || this.db`, `options.db ?? this.db`, `cond ? a : b`: the first side that declares one.
    if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.BarBarToken || e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken))
      return this.declaredTypeOf(e.left, c) ?? this.declaredTypeOf(e.right, c);
    if (ts.isConditionalExpression(e)) return this.declaredTypeOf(e.whenTrue, c) ?? this.declaredTypeOf(e.whenFalse, c);
    if (ts.isCallExpression(e)) {
      // A call's declared result: `Promise<T>` awaited or not, `T`.
      const target = this.guard(c, `dtcall:${this.pathKey}:${e.pos}`, () => this.callTargetOf(e, c));
      const t = target?.node.type;
      return t && target ? { prov: target.prov, type: unwrapPromise(t) } : undefined;
    }
    if (ts.isPropertyAccessExpression(e)) {
      if (e.expression.kind === ts.SyntaxKind.ThisKeyword) return this.thisMemberType(e.expression, e.name.text);
      // `this.options.tnx`, `ctx.db`: the member's type in the object's declared type.
      const obj = this.guard(c, `dtobj:${this.pathKey}:${e.pos}`, () => this.declaredTypeOf(e.expression, c));
      const m = obj ? obj.prov.memberType(obj.type, e.name.text, c) : undefined;
      return m && ts.isTypeNode(m.node) ? { prov: m.prov, type: m.node } : undefined;
    }
    if (!ts.isIdentifier(e)) return undefined;
    const d = this.declarationOf(e);
    if (!d) return undefined;
    if ((ts.isVariableDeclaration(d) || ts.isParameter(d) || ts.isPropertyDeclaration(d)) && d.type) return { prov: this, type: d.type };
    if (ts.isParameter(d)) {
      const ctx = this.guard(c, `dtparam:${this.pathKey}:${d.pos}`, () => this.contextualParamType(d, c));
      return ctx ? { prov: ctx.prov, type: ctx.type } : undefined;
    }
    if (ts.isVariableDeclaration(d) && d.initializer) return this.guard(c, `dtvar:${this.pathKey}:${d.pos}`, () => this.declaredTypeOf(d.initializer!, c));
    // `({ payload, io }: { payload: P; io: JobRunIO }) => …`, `const { db } = ctx`: the member of the whole's type.
    if (ts.isBindingElement(d)) return this.bindingDeclaredType(d, c);
    return undefined;
  }

  /** `({ payload, io }: { payload: P; io: JobRunIO }) => …`, `const { db } = ctx`, `({ ctx: { db } })`: the member of the whole's type. */
  private bindingDeclaredType(d: ts.BindingElement, c: Ctx): { prov: FileProv; type: ts.TypeNode } | undefined {
    if (d.dotDotDotToken) return undefined;
    const holder = d.parent.parent;
    if (!(ts.isParameter(holder) || ts.isVariableDeclaration(holder) || ts.isBindingElement(holder))) return undefined;
    if (ts.isArrayBindingPattern(d.parent)) {
      // `([router, tenant]: [R, Tenant])`, `...[router, { queries }]: Parameters<Init>`: the position's type.
      const whole = this.holderDeclaredType(holder, c);
      return whole ? tupleElementType(whole.prov, whole.type, d.parent.elements.indexOf(d), c) : undefined;
    }
    const prop = d.propertyName ? propName(d.propertyName) : ts.isIdentifier(d.name) ? d.name.text : undefined;
    if (prop === undefined) return undefined;
    if (ts.isParameter(holder) && !holder.type && prop === 'ctx') {
      const pc = this.procedureContextOf(holder, c);
      if (pc?.kind === 'type' && !this.overridesClient(pc, c)) return { prov: this.prov(pc.file), type: pc.type };
    }
    const whole = this.holderDeclaredType(holder, c);
    const m = whole ? whole.prov.memberType(whole.type, prop, c) : undefined;
    return m && ts.isTypeNode(m.node) ? { prov: m.prov, type: m.node } : undefined;
  }

  /** The declared type of what a binding pattern destructures: its parameter's or variable's, or its enclosing element's. */
  private holderDeclaredType(
    holder: ts.ParameterDeclaration | ts.VariableDeclaration | ts.BindingElement,
    c: Ctx,
  ): { prov: FileProv; type: ts.TypeNode } | undefined {
    return this.guard(c, `dtbind:${this.pathKey}:${holder.pos}`, () =>
      ts.isBindingElement(holder)
        ? this.bindingDeclaredType(holder, c)
        : holder.type
          ? { prov: this as FileProv, type: holder.type }
          : ts.isParameter(holder)
            ? this.contextualParamType(holder, c)
            : holder.initializer
              ? this.declaredTypeOf(holder.initializer, c)
              : undefined,
    );
  }

  /** The context a procedure's resolver or middleware receives (`procedure-context.ts`), for its first parameter. */
  private procedureContextOf(p: ts.ParameterDeclaration, c: Ctx): ProcedureContext | undefined {
    const fn = p.parent;
    if ((!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) || fn.parameters[0] !== p) return undefined;
    return this.guard(c, `proc:${this.pathKey}:${p.pos}`, () =>
      procedureContext(this.path, fn, {
        definition: (file, id) => {
          const q = this.prov(file);
          const d = q.declarationOf(id);
          return d ? q.followDecl(d, c) : undefined;
        },
        importedFrom: (file, id) => {
          const d = this.prov(file).declarationOf(id);
          return d && (ts.isImportSpecifier(d) || ts.isImportClause(d) || ts.isNamespaceImport(d)) ? moduleSpecOf(d) : undefined;
        },
      }),
    );
  }

  /**
   * The value of a procedure's context: what its creator returns (`typeof createTRPCContext`), or a value of its
   * declared type. Undefined when a middleware replaces a client the context holds with an object literal of its own.
   */
  private procedureContextValue(p: ts.ParameterDeclaration, c: Ctx): Value | undefined {
    const pc = this.procedureContextOf(p, c);
    if (!pc) return undefined;
    const at = this.prov(pc.file);
    if (pc.kind === 'creator') {
      const f = at.typeValue(pc.type, c);
      const v = f?.kind === 'function' ? at.prov(f.file).returnValue(f.node, c) : undefined;
      if (!v) return undefined;
      for (const name of pc.overrides) if (at.member(v, name, c)?.kind === 'instance') return undefined;
      return v;
    }
    return this.overridesClient(pc, c) ? undefined : at.typeValue(pc.type, c);
  }

  /** Whether a middleware replaces a client member of a declared context with an object literal's member. */
  private overridesClient(pc: ProcedureContext, c: Ctx): boolean {
    const at = this.prov(pc.file);
    for (const name of pc.overrides) if (at.typedMember(pc.type, name, c)?.kind === 'instance') return true;
    return false;
  }

  /** The declared type of `this.name`: a property or a constructor parameter property of the enclosing class. */
  private thisMemberType(thisNode: ts.Node, name: string): { prov: FileProv; type: ts.TypeNode } | undefined {
    let cls: ts.Node | undefined = thisNode.parent;
    while (cls && !ts.isClassLike(cls)) {
      if (ts.isFunctionDeclaration(cls) || ts.isFunctionExpression(cls)) return undefined;
      cls = cls.parent;
    }
    if (!cls || !ts.isClassLike(cls)) return undefined;
    for (const m of cls.members) {
      if ((ts.isPropertyDeclaration(m) || ts.isGetAccessorDeclaration(m)) && m.name && propName(m.name) === name && m.type) return { prov: this, type: m.type };
      if (ts.isConstructorDeclaration(m)) {
        for (const p of m.parameters) if (ts.isIdentifier(p.name) && p.name.text === name && p.type && ts.getModifiers(p)?.length) return { prov: this, type: p.type };
      }
    }
    return undefined;
  }

  /** Member `name` of a declared object type (literal, interface, alias, intersection, imported), as a value. */
  typedMember(t: ts.TypeNode, name: string, c: Ctx): Value | undefined {
    const direct = this.typeMember(t, name, c);
    if (direct) return direct;
    const m = this.memberType(t, name, c);
    if (m && ts.isTypeNode(m.node)) return m.prov.typeValue(m.node, c);
    return this.conditionalMember(t, name, c);
  }

  /** `O extends { allowAnonymous: true } ? OptionalCtx : RequiredCtx`: the member when both branches give a client of one library. */
  private conditionalMember(t: ts.TypeNode, name: string, c: Ctx): Value | undefined {
    const r = this.resolveTypeNode(t, c);
    if (!r || !ts.isConditionalTypeNode(r.node)) return undefined;
    const cond = r.node;
    return this.guard(c, `condmember:${r.prov.path}:${cond.pos}:${name}`, () => {
      const a = r.prov.typedMember(cond.trueType, name, c);
      const b = a ? r.prov.typedMember(cond.falseType, name, c) : undefined;
      const client = (v: Value | undefined) => (v?.kind === 'instance' && v.binding.role === 'client' ? v.binding.library : undefined);
      return a && client(a) && client(a) === client(b) ? a : undefined;
    });
  }

  /** A member of an object type: `{ db }: { db: Pool }`. */
  private typeMember(t: ts.TypeNode, name: string, c: Ctx): Value | undefined {
    const local = this.localTypeMember(t, name, c);
    if (local) return local;
    const m = this.memberType(t, name, c);
    return m && ts.isTypeNode(m.node) ? m.prov.typeValue(m.node, c) : undefined;
  }

  private localTypeMember(t: ts.TypeNode, name: string, c: Ctx): Value | undefined {
    if (ts.isTypeLiteralNode(t)) {
      for (const m of t.members) {
        if (ts.isPropertySignature(m) && m.name && propName(m.name) === name && m.type) return this.typeValue(m.type, c);
      }
    }
    if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName)) {
      const d = this.declarationOf(t.typeName);
      if (d && ts.isInterfaceDeclaration(d)) {
        for (const m of d.members) {
          if (ts.isPropertySignature(m) && m.name && propName(m.name) === name && m.type) return this.typeValue(m.type, c);
        }
      }
      if (d && ts.isTypeAliasDeclaration(d)) return this.localTypeMember(d.type, name, c);
    }
    return undefined;
  }

  /** `this.x` inside a class: a property declaration, a constructor parameter property, or `this.x = …` in the constructor. */
  /**
   * `this` itself: in a static member, the class (a model's statics run on it: `static async findByFoo() { return
   * this.findOne(…) }`); in an instance member, an instance of the class. Not inside a plain function.
   */
  private thisValue(thisNode: ts.Node, c: Ctx): Value | undefined {
    let member: ts.Node = thisNode;
    while (member.parent && !ts.isClassLike(member.parent)) {
      if (ts.isFunctionDeclaration(member) || ts.isFunctionExpression(member)) return undefined;
      member = member.parent;
    }
    const cls = member.parent;
    if (!cls || !ts.isClassLike(cls)) return undefined;
    const isStatic = ts.canHaveModifiers(member) && ts.getModifiers(member)?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
    return isStatic ? { kind: 'class', file: this.path, node: cls } : this.classInstance(cls, c);
  }

  private thisMember(thisNode: ts.Node, name: string, c: Ctx): Value | undefined {
    let cls: ts.Node | undefined = thisNode.parent;
    while (cls && !ts.isClassLike(cls)) {
      // `this` in a plain function is not the class instance.
      if (ts.isFunctionDeclaration(cls) || ts.isFunctionExpression(cls)) return undefined;
      cls = cls.parent;
    }
    if (!cls) return undefined;
    return this.classMember(cls as ts.ClassLikeDeclaration, name, c);
  }

  classMember(cls: ts.ClassLikeDeclaration, name: string, c: Ctx): Value | undefined {
    let byName = this.classMembers.get(cls);
    if (!byName) this.classMembers.set(cls, (byName = new Map()));
    return lasting(this.readFiles, byName, name, c, () => this.classMemberOnce(cls, name, c));
  }

  private classMemberOnce(cls: ts.ClassLikeDeclaration, name: string, c: Ctx): Value | undefined {
    return this.guard(c, `member:${this.pathKey}:${cls.pos}:${name}`, () => {
      for (const m of cls.members) {
        if (ts.isPropertyDeclaration(m) && m.name && propName(m.name) === name) {
          const v = this.propertyDeclValue(m, c);
          if (v) return v;
        }
        if (ts.isGetAccessorDeclaration(m) && m.name && propName(m.name) === name) {
          if (m.type) {
            const v = this.typeValue(m.type, c);
            if (v) return v;
          }
          const v = this.returnValue(m, c);
          if (v) return v;
        }
        // A method: calling it gives what it returns (`app.getDataSource()`, `this.repo()`).
        if (ts.isMethodDeclaration(m) && m.body && m.name && propName(m.name) === name && !m.modifiers?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword))
          return { kind: 'function', file: this.path, node: m };
        if (ts.isConstructorDeclaration(m)) {
          for (const p of m.parameters) {
            if (ts.isIdentifier(p.name) && p.name.text === name && ts.getModifiers(p)?.length) {
              const v = this.paramValue(p, c);
              if (v) return v;
            }
          }
          const assigned = m.body ? this.assignedInConstructor(m.body, name, c) : undefined;
          if (assigned) return assigned;
        }
      }
      // A field declared without a type or a value, set by a method (`async init() { … this.repo = ds.getRepository(X) }`).
      const set = this.assignedInMethods(cls, name, c);
      if (set) return set;
      // Inherited from a local base class.
      const base = this.baseOf(cls, c);
      if (base?.kind === 'class') {
        const inherited = this.prov(base.file).classMember(base.node, name, c);
        if (inherited) return inherited;
      }
      // A field declared `any` and set by every subclass (an abstract controller's `botRepository`).
      return subclassesMember(this.project, this.path, cls, name, this.subclassHost, c);
    });
  }

  private readonly subclassHost: SubclassHost<Ctx> = {
    classOf: (file, e, c) => {
      const v = this.prov(file).valueOf(e, c);
      return v?.kind === 'class' ? { file: v.file, node: v.node } : undefined;
    },
    memberOf: (file, node, name, c) => this.prov(file).classMember(node, name, c),
  };

  /** The first `this.<name> = …` in an instance method that resolves, for a field the class declares bare or not at all. */
  private assignedInMethods(cls: ts.ClassLikeDeclaration, name: string, c: Ctx): Value | undefined {
    const declared = cls.members.find((m) => ts.isPropertyDeclaration(m) && m.name && propName(m.name) === name) as ts.PropertyDeclaration | undefined;
    if (declared && (declared.initializer || (declared.type && declared.type.kind !== ts.SyntaxKind.AnyKeyword))) return undefined;
    let found: Value | undefined;
    const visit = (n: ts.Node): void => {
      if (found || ts.isClassLike(n) || ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n)) return;
      if (assignsThis(n, name)) found = this.valueOf(n.right, c);
      ts.forEachChild(n, visit);
    };
    for (const m of cls.members) {
      if (!ts.isMethodDeclaration(m) || !m.body || ts.getModifiers(m)?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword)) continue;
      ts.forEachChild(m.body, visit);
      // TypeScript types such a field `any`, whatever the method assigns.
      if (found) return found.kind === 'instance' ? { kind: 'instance', binding: { ...found.binding, untyped: true } } : found;
    }
    return undefined;
  }

  propertyDeclValue(m: ts.PropertyDeclaration, c: Ctx): Value | undefined {
    const inj = this.injectedValue(m, c);
    if (inj) return inj;
    if (m.type) {
      const v = this.typeValue(m.type, c);
      if (v) return v;
    }
    return m.initializer ? this.valueOf(m.initializer, c) : undefined;
  }

  private assignedInConstructor(body: ts.Block, name: string, c: Ctx): Value | undefined {
    for (const st of body.statements) {
      if (!ts.isExpressionStatement(st) || !assignsThis(st.expression, name)) continue;
      const v = this.valueOf(st.expression.right, c);
      if (v) return v;
    }
    return undefined;
  }
}

/** The expression of the first `return` of a function body (not of functions nested in it). */
/** Whether a type argument names a type parameter declared around `at` (a function's, a class's, an interface's). */
function typeParameterInScope(arg: ts.TypeNode, at: ts.Node): boolean {
  if (!ts.isTypeReferenceNode(arg) || !ts.isIdentifier(arg.typeName) || arg.typeArguments) return false;
  const name = arg.typeName.text;
  for (let n: ts.Node | undefined = at; n; n = n.parent) {
    const tps = (n as { typeParameters?: ts.NodeArray<ts.TypeParameterDeclaration> }).typeParameters;
    if (tps?.some((tp) => tp.name.text === name)) return true;
  }
  return false;
}

function firstReturn(body: ts.Block): ts.Expression | undefined {
  let found: ts.Expression | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isReturnStatement(n) && n.expression) {
      found = n.expression;
      return;
    }
    if (isFunctionLike(n) || ts.isClassLike(n)) return;
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/** `this.<name> = …`. */
function assignsThis(n: ts.Node, name: string): n is ts.BinaryExpression {
  if (!ts.isBinaryExpression(n) || n.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return false;
  const l = n.left;
  return ts.isPropertyAccessExpression(l) && l.expression.kind === ts.SyntaxKind.ThisKeyword && l.name.text === name;
}

/** `Omit<T, K>`, `Pick<T, K>`, `Partial<T>`, `Required<T>`, `Readonly<T>`, `NonNullable<T>`: the wrapped type and the keys. */
function utilityWrapper(t: ts.Node): { id: ts.Identifier; inner: ts.TypeNode; keys?: ts.TypeNode } | undefined {
  // A type reference, or the same in an `extends` clause (`interface A extends Omit<B, 'x'>`).
  const id = ts.isTypeReferenceNode(t) ? t.typeName : ts.isExpressionWithTypeArguments(t) ? t.expression : undefined;
  const args = ts.isTypeReferenceNode(t) || ts.isExpressionWithTypeArguments(t) ? t.typeArguments : undefined;
  if (!id || !ts.isIdentifier(id) || !args?.length) return undefined;
  if (!/^(Omit|Pick|Partial|Required|Readonly|NonNullable)$/.test(id.text)) return undefined;
  return { id, inner: args[0], keys: args[1] };
}

/** The string literal keys of `'a' | 'b'`. */
function literalKeys(t: ts.TypeNode): string[] {
  if (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)) return [t.literal.text];
  if (ts.isUnionTypeNode(t)) return t.types.flatMap(literalKeys);
  return [];
}

/** `Promise<T>` → `T`. */
function unwrapPromise(t: ts.TypeNode): ts.TypeNode {
  if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && (t.typeName.text === 'Promise' || t.typeName.text === 'PromiseLike') && t.typeArguments?.[0]) return t.typeArguments[0];
  return t;
}

function newCtx(): Ctx {
  return { depth: 0, seen: new Set(), cache: new Map(), cuts: 0, cutKeys: new Set() };
}

function propName(n: ts.PropertyName | ts.BindingName): string | undefined {
  if (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n) || ts.isPrivateIdentifier(n)) return n.text;
  return undefined;
}

function moduleSpecOf(d: ts.ImportSpecifier | ts.ImportClause | ts.NamespaceImport): string | undefined {
  let n: ts.Node = d;
  while (n && !ts.isImportDeclaration(n)) n = n.parent;
  if (!n) return undefined;
  const s = (n as ts.ImportDeclaration).moduleSpecifier;
  return ts.isStringLiteral(s) ? s.text : undefined;
}

function leftmost(n: ts.EntityName): ts.Identifier {
  while (ts.isQualifiedName(n)) n = n.left;
  return n;
}

function rightParts(n: ts.EntityName): string[] {
  const out: string[] = [];
  while (ts.isQualifiedName(n)) {
    out.unshift(n.right.text);
    n = n.left;
  }
  return out;
}

/** A type that says nothing of its value: `any`, `unknown`. */
function isUntyped(t: ts.TypeNode): boolean {
  return t.kind === ts.SyntaxKind.AnyKeyword || t.kind === ts.SyntaxKind.UnknownKeyword;
}

/** Member `prop` of a parameter's type says nothing: the type is `any`/`unknown`, or a literal declaring it so or without a type. */
function untypedMember(t: ts.TypeNode, prop: string): boolean {
  if (isUntyped(t)) return true;
  if (!ts.isTypeLiteralNode(t)) return false;
  const m = t.members.find((x) => ts.isPropertySignature(x) && x.name && propName(x.name) === prop);
  return !!m && ts.isPropertySignature(m) && (!m.type || isUntyped(m.type));
}

/** The expression an object literal argument gives property `prop` (`{ tx }`, `{ tx: trx }`); none for anything else. */
function propertyOfLiteral(arg: ts.Expression, prop: string): ts.Expression | undefined {
  const o = skipOuter(arg);
  if (!ts.isObjectLiteralExpression(o)) return undefined;
  let out: ts.Expression | undefined;
  for (const p of o.properties) {
    if (ts.isSpreadAssignment(p)) return undefined;
    const key = p.name ? propName(p.name) : undefined;
    if (key === undefined) return undefined;
    if (key !== prop) continue;
    if (ts.isPropertyAssignment(p)) out = p.initializer;
    else if (ts.isShorthandPropertyAssignment(p)) out = p.name;
    else return undefined;
  }
  return out;
}
