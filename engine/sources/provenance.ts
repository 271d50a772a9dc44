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
 *
 * One file's provenance is one object (FileProv) whose class is built in layers, a module each:
 * ./provenance-base.ts (the index of declared names, entry points, caches), ./provenance-types.ts
 * (declared and contextual types), ./provenance-modules.ts (imports, exports, parameters, call
 * targets), ./provenance-calls.ts (calls, returns, `new`, class instances) and this module (values
 * of expressions, generic pass-through, members, declarations); ./provenance-kit.ts holds what
 * they share.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapters, REGISTRY_PROPERTIES } from '../adapters';
import { lastName } from '../adapters/kit/provenance';
import type { ProjectServices } from '../context';
import type { Binding, Value } from './query-sites';
import { skipOuter } from './ts-expr';
import { type ReadTracking } from '../reads';
import { type CallbackParamHost, destructuredCallbackMember } from './callback-params';
import { tsSourceFile } from './ts-ast';
import { subclassesMember, type SubclassHost } from './subclass-members';
import { declaredThisType } from './module-augmentations';
import { classField, otherDatabaseField } from './other-database';
import { MAX_DEPTH, adapterOfValue, type Ctx, newCtx, nodeOrigin, isBlockScope, lasting, firstReturn, assignsThis, propName, moduleSpecOf, untypedMember } from './provenance-kit';
import { ProvCalls } from './provenance-calls';

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
  /** Whether `x.name` (`this.knex`, `this.clickHouseService.knex`) is a class field only ever set to another database's client. */
  otherDatabaseMember(e: ts.PropertyAccessExpression): boolean;
}

/** A declaration in some project file. */
export interface Definition {
  file: string;
  /** VariableDeclaration, FunctionDeclaration, ClassDeclaration, an exported expression ... */
  node: ts.Node;
}

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

/** The provenance of one file: the values of its expressions, over the layers of ./provenance-base.ts. */
export class FileProv extends ProvCalls implements FileProvenance, ReadTracking, CallbackParamHost<Ctx> {

  // ---- Values of expressions

  prov(file: string): FileProv {
    if (file === this.path) return this;
    return fileProvenance(this.project, file) as FileProv;
  }

  valueOf(e: ts.Expression, c: Ctx): Value | undefined {
    const v = this.valueOfExpr(skipOuter(e), c);
    if (v !== undefined) return v;
    // `export default global.prisma as PrismaClient`: what the code asserts an unknown value to be, it is.
    const asserted = assertedType(e);
    return asserted ? this.typeValue(asserted, c) : undefined;
  }

  private valueOfExpr(e: ts.Expression, c: Ctx): Value | undefined {
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

  protected valueOfInner(e: ts.Expression, c: Ctx): Value | undefined {
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

  member(obj: Value, name: string, c: Ctx): Value | undefined {
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

  protected declValue(d: ts.Node, c: Ctx): Value | undefined {
    return lasting(this.readFiles, this.declValues, d, c, () => this.guard(c, `decl:${this.pathKey}:${d.pos}:${d.kind}`, () => this.declValueInner(d, c)));
  }

  protected declValueInner(d: ts.Node, c: Ctx): Value | undefined {
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
  protected assignedValue(d: ts.VariableDeclaration, name: string, c: Ctx): Value | undefined {
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

  /** `this.x` inside a class: a property declaration, a constructor parameter property, or `this.x = …` in the constructor. */
  /**
   * `this` itself: in a static member, the class (a model's statics run on it: `static async findByFoo() { return
   * this.findOne(…) }`); in an instance member, an instance of the class. Not inside a plain function.
   */
  protected thisValue(thisNode: ts.Node, c: Ctx): Value | undefined {
    // A function that declares its `this` (`function f(this: FastifyInstance)`): a value of that type.
    const declared = declaredThisType(thisNode);
    if (declared) return this.typeValue(declared, c);
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

  protected thisMember(thisNode: ts.Node, name: string, c: Ctx): Value | undefined {
    const declared = declaredThisType(thisNode);
    if (declared) return this.typedMember(declared, name, c);
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

  protected classMemberOnce(cls: ts.ClassLikeDeclaration, name: string, c: Ctx): Value | undefined {
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

  protected readonly subclassHost: SubclassHost<Ctx> = {
    classOf: (file, e, c) => {
      const v = this.prov(file).valueOf(e, c);
      return v?.kind === 'class' ? { file: v.file, node: v.node } : undefined;
    },
    memberOf: (file, node, name, c) => this.prov(file).classMember(node, name, c),
  };

  /** The first `this.<name> = …` in an instance method that resolves, for a field the class declares bare or not at all. */
  protected assignedInMethods(cls: ts.ClassLikeDeclaration, name: string, c: Ctx): Value | undefined {
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
      if (v) return v.kind === 'instance' && otherDatabaseField(m, this, c) ? undefined : v;
    }
    return m.initializer ? this.valueOf(m.initializer, c) : undefined;
  }

  otherDatabaseMember(e: ts.PropertyAccessExpression): boolean {
    try {
      const c = newCtx();
      const obj = skipOuter(e.expression);
      const t = obj.kind === ts.SyntaxKind.ThisKeyword ? undefined : this.declaredTypeOf(obj, c);
      const cls = obj.kind === ts.SyntaxKind.ThisKeyword ? { prov: this as FileProv, node: ts.findAncestor(e, ts.isClassLike) } : t && t.prov.resolveTypeNode(t.type, c);
      const field = classField(e, cls?.node);
      return !!field && !!cls && otherDatabaseField(field, cls.prov, c);
    } catch {
      return false;
    }
  }

  protected assignedInConstructor(body: ts.Block, name: string, c: Ctx): Value | undefined {
    for (const st of body.statements) {
      if (!ts.isExpressionStatement(st) || !assignsThis(st.expression, name)) continue;
      const v = this.valueOf(st.expression.right, c);
      if (v) return v;
    }
    return undefined;
  }
}

/** The type an expression is asserted as (`x as T`, `<T>x`, through parentheses, `!` and `await`), unless `as const`. */
function assertedType(e: ts.Expression): ts.TypeNode | undefined {
  for (;;) {
    if (ts.isAsExpression(e) || ts.isTypeAssertionExpression(e)) return ts.isConstTypeReference(e.type) ? undefined : e.type;
    if (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAwaitExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
    else return undefined;
  }
}
