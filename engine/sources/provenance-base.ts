/**
 * The index of one file (every declared name with its scope), the public entry points, and the caches of its provenance. The provenance of a file is one object whose class is built in layers, one module each: this base, then ./provenance-types.ts, ./provenance-modules.ts, ./provenance-calls.ts (calls, returns, `new`) and ./provenance.ts (values of expressions; the concrete FileProv). A layer calls what the layers above define through abstract declarations.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ProjectServices } from '../context';
import type { Binding, Value } from './query-sites';
import { noteSwallowed } from '../guard';
import { type ChangedFile } from '../reads';
import { MAX_DEPTH, adapterOfValue, type Ctx, type ExportEntry, isFunctionLike, isBlockScope, type Lasting, type Answer, answered, pathKeyOf, newCtx } from './provenance-kit';
import type { FileProv, Definition } from './provenance';

/**
 * The syntax kinds, read once: `ts.SyntaxKind.X` is a getter call on the compiler's module object (a dictionary of
 * 2,000 names) for each case a switch tries — record's switch tried 13 per node of every indexed tree (a switch over
 * `SK.X` runs 7× faster in a micro-benchmark).
 */
const SK = ts.SyntaxKind;

export abstract class ProvBase {
  /** This object as the concrete FileProv (the layers below it do not know that class). */
  protected get self(): FileProv {
    return this as unknown as FileProv;
  }

  // Defined by the layers above.
  abstract callTargetOf(call: ts.CallExpression, c: Ctx): { prov: FileProv; node: ts.SignatureDeclaration } | undefined;
  abstract classStaticBinding(v: { file: string; node: ts.ClassLikeDeclaration }, c: Ctx): Binding | undefined;
  abstract declaredTypeOf(e: ts.Expression, c: Ctx): { prov: FileProv; type: ts.TypeNode } | undefined;
  abstract exportDefinition(name: string, c: Ctx): Definition | undefined;
  abstract followDecl(d: ts.Node, c: Ctx): Definition | undefined;
  protected abstract prov(file: string): FileProv;
  abstract typeValue(t: ts.TypeNode, c: Ctx): Value | undefined;
  abstract valueOf(e: ts.Expression, c: Ctx): Value | undefined;

  /** `path`'s key in resolution keys (`${pathKey}:${pos}:${end}`): shorter strings to build and hash than the path. */
  protected readonly pathKey: string;
  /**
   * Every file an answer kept in this object's caches read: the project drops this provenance (memo `prov:<path>`)
   * when one of them changes, since those answers may have changed with it (engine/reads.ts `ReadTracking`).
   */
  protected readonly readFiles = new Set<string>();

  readBy(change: ChangedFile): boolean {
    return change.hits(this.readFiles);
  }

  /** Declared names by scope node (a block, function, for statement, catch clause or the file). */
  protected scopes = new Map<ts.Node, Map<string, ts.Node[]>>();
  protected exportsTable?: { named: Map<string, ExportEntry>; stars: string[]; commonJs?: ts.Expression };
  /**
   * Values of exported names computed without a cut (no cycle, no depth bound reached): those are what
   * any resolution would compute, so later resolutions reuse them instead of following the import
   * chain again. Lives as long as this file's provenance (one file text; Project.setConfig drops it).
   */
  protected exportValues = new Map<string, { v: Value | undefined; reads: string[] }>();
  /**
   * The same for declarations, exported types and members of types, computed cut-free: a type such as
   * `Db` or `IUnleashStores`, reached through a barrel's `export *`, was resolved again by every
   * resolution that met it (thousands of times per file set); now once per file text.
   */
  protected declValues = new Map<ts.Node, Lasting<Value | undefined>>();
  protected exportTypeValues = new Map<string, Lasting<Value | undefined>>();
  protected exportedTypeNodes = new Map<string, Lasting<{ prov: FileProv; node: ts.Node } | undefined>>();
  protected typeNodes = new Map<ts.Node, Lasting<{ prov: FileProv; node: ts.Node } | undefined>>();
  protected memberTypes = new Map<ts.Node, Map<string, Lasting<{ prov: FileProv; node: ts.Node } | undefined>>>();
  protected classMembers = new Map<ts.Node, Map<string, Lasting<Value | undefined>>>();
  protected returnValues = new Map<ts.Node, Lasting<Value | undefined>>();
  protected callTargets = new Map<ts.Node, Lasting<{ prov: FileProv; node: ts.SignatureDeclaration } | undefined>>();
  protected declaredTypes = new Map<ts.Node, Lasting<{ prov: FileProv; type: ts.TypeNode } | undefined>>();
  /**
   * Answers of the public entry points `value` and `callTarget` by node. Each starts from a fresh context,
   * so asking again computes the same answer (what it read and the limits it met are replayed): on sim,
   * 2.2 million resolutions asked about 514,000 nodes (the extractors, the rules and the call graph ask
   * about the same receivers and calls), 69 % of the resolution steps were repeats.
   */
  protected values = new Map<ts.Node, Answer<Value | undefined>>();
  protected callTargetAnswers = new Map<ts.Node, Answer<{ prov: FileProv; node: ts.SignatureDeclaration } | undefined>>();

  constructor(
    protected readonly project: ProjectServices,
    readonly path: string,
    protected readonly sf: ts.SourceFile,
  ) {
    this.pathKey = pathKeyOf(path);
    this.index();
  }

  // ---- Index: every declared name with its scope. Iterative, so deep generated trees cannot overflow the stack.

  protected index(): void {
    const stack: ts.Node[] = [this.sf];
    // One callback for the whole walk (it must return nothing: a truthy result stops forEachChild).
    const push = (c: ts.Node): void => {
      stack.push(c);
    };
    while (stack.length) {
      const n = stack.pop() as ts.Node;
      this.record(n);
      ts.forEachChild(n, push);
    }
  }

  protected add(name: ts.BindingName | undefined, node: ts.Node, scope: ts.Node): void {
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

  protected record(n: ts.Node): void {
    switch (n.kind) {
      case SK.VariableDeclaration: {
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
      case SK.Parameter: {
        const p = n as ts.ParameterDeclaration;
        this.add(p.name, p, p.parent);
        break;
      }
      case SK.FunctionDeclaration:
      case SK.ClassDeclaration:
      case SK.TypeAliasDeclaration:
      case SK.InterfaceDeclaration:
      case SK.EnumDeclaration: {
        const d = n as ts.FunctionDeclaration | ts.ClassDeclaration | ts.TypeAliasDeclaration;
        let scope = d.parent;
        while (scope.parent && !isBlockScope(scope)) scope = scope.parent;
        if (d.name) this.add(d.name, d, scope);
        break;
      }
      case SK.ClassExpression:
      case SK.FunctionExpression: {
        const d = n as ts.ClassExpression | ts.FunctionExpression;
        if (d.name) this.add(d.name, d, d);
        break;
      }
      case SK.ImportClause: {
        const c = n as ts.ImportClause;
        if (c.name) this.add(c.name, c, this.sf);
        break;
      }
      case SK.NamespaceImport:
      case SK.ImportSpecifier:
      case SK.ImportEqualsDeclaration: {
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

  protected identifierAt(start: number, end: number): ts.Identifier | undefined {
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

  protected toBinding(v: Value | undefined): Binding | undefined {
    if (!v) return undefined;
    if (v.kind === 'instance') return v.binding;
    if (v.kind === 'pkg') return adapterOfValue(v).provenance.exportBinding(v.name, v.origin);
    if (v.kind === 'class') return this.classStaticBinding(v, newCtx());
    if (v.kind === 'class-instance') return this.rowBinding(v, newCtx());
    return undefined;
  }

  /** An object of a model class (`user: User` where `class User extends Model`) is one of its rows. */
  protected rowBinding(v: { file: string; node: ts.ClassLikeDeclaration }, c: Ctx): Binding | undefined {
    const b = this.classStaticBinding(v, c);
    return b?.role === 'repository' ? { ...b, role: 'row' } : undefined;
  }

  /** Whether a value is rows of a model: a row binding, or an object of a model class. */
  protected isRows(v: Value | undefined, c: Ctx): boolean {
    if (v?.kind === 'instance') return v.binding.role === 'row';
    return v?.kind === 'class-instance' && this.rowBinding(v, c) !== undefined;
  }

  /**
   * An element of a collection of rows (`for (const doc of docs)`, `docs.map((doc) => …)`): the same rows,
   * from the collection's value (`await Document.findAll()`) or its declared element type (`docs: Document[]`).
   */
  protected elementOf(e: ts.Expression, c: Ctx): Value | undefined {
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

  protected guard<T>(c: Ctx, key: string, f: () => T | undefined): T | undefined {
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
}
