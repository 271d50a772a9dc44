/**
 * Provenance, types: contextual and declared types of expressions and parameters, type nodes followed through aliases, imports and `extends`, members of types, and the values instances of declared types have (a layer of FileProv: see ./provenance-base.ts).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { libraryOfGeneratedImport, libraryOfModule } from '../adapters';
import { lastName } from '../adapters/kit/provenance';
import type { Value } from './query-sites';
import { skipOuter } from './ts-expr';
import { resolveModulePath } from './module-paths';
import { procedureContext, type ProcedureContext } from './procedure-context';
import { tupleElementType, TUPLE_UTILITIES } from './tuple-types';
import { instantiate } from './type-arguments';
import { augmentedMember, declaredThisType } from './module-augmentations';
import { otherDatabaseField } from './other-database';
import { TYPE_WRAPPERS, adapterOfValue, type Ctx, type ExportEntry, mayExport, nodeOrigin, lasting, typeParameterInScope, utilityWrapper, literalKeys, unwrapPromise, propName, moduleSpecOf, leftmost, rightParts } from './provenance-kit';
import { ProvBase } from './provenance-base';
import type { FileProv } from './provenance';

export abstract class ProvTypes extends ProvBase {
  // Defined by the layers above.
  protected abstract declValue(d: ts.Node, c: Ctx): Value | undefined;
  abstract effectReturn(e: ts.Expression, c: Ctx): { prov: FileProv; expr: ts.Expression } | undefined;
  protected abstract exports(): { named: Map<string, ExportEntry>; stars: string[]; commonJs?: ts.Expression };
  protected abstract member(obj: Value, name: string, c: Ctx): Value | undefined;
  abstract moduleValue(spec: string, imported: string, at: ts.Node, c: Ctx): Value | undefined;
  protected abstract topLevel(name: string): ts.Node | undefined;


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
  protected calleeParamType(fn: ts.Expression, c: Ctx): { prov: FileProv; node: ts.Node; receiver?: { prov: FileProv; type: ts.TypeNode } } | undefined {
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
  protected contextualType(e: ts.Expression, c: Ctx): { prov: FileProv; node: ts.Node } | undefined {
    let n: ts.Node = e;
    while (ts.isParenthesizedExpression(n.parent)) n = n.parent;
    const parent = n.parent;
    if (ts.isVariableDeclaration(parent) && parent.initializer === n && parent.type) return { prov: this.self, node: parent.type };
    if ((ts.isSatisfiesExpression(parent) || ts.isAsExpression(parent)) && !ts.isConstTypeReference(parent.type)) return { prov: this.self, node: parent.type };
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

  protected resolveTypeNodeOnce(t: ts.Node, c: Ctx): { prov: FileProv; node: ts.Node } | undefined {
    return this.guard(c, `typenode:${this.pathKey}:${t.pos}`, () => {
      if (ts.isParenthesizedTypeNode(t)) return this.resolveTypeNode(t.type, c);
      // `interface A extends B` names B by an expression.
      const ref = ts.isTypeReferenceNode(t) ? t.typeName : ts.isExpressionWithTypeArguments(t) && ts.isIdentifier(t.expression) ? t.expression : undefined;
      if (!ref || !ts.isIdentifier(ref)) return { prov: this.self, node: t };
      const d = this.declarationOf(ref);
      // `Parameters<F>`: kept as written for `tuple-types.ts`, which reads F.
      if (!d) return TUPLE_UTILITIES.has(ref.text) ? { prov: this.self, node: t } : undefined;
      if (ts.isTypeAliasDeclaration(d)) return this.resolveTypeNode(d.type, c);
      if (ts.isInterfaceDeclaration(d) || ts.isClassDeclaration(d)) return { prov: this.self, node: d };
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

  protected exportedTypeNode(name: string, c: Ctx): { prov: FileProv; node: ts.Node } | undefined {
    return lasting(this.readFiles, this.exportedTypeNodes, name, c, () => this.exportedTypeNodeOnce(name, c));
  }

  protected exportedTypeNodeOnce(name: string, c: Ctx): { prov: FileProv; node: ts.Node } | undefined {
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
    if (ts.isInterfaceDeclaration(d) || ts.isClassDeclaration(d)) return { prov: this.self, node: d };
    return undefined;
  }

  /** The type of member `name` of an object type (type literal, interface, intersection, alias). */
  memberType(t: ts.Node, name: string, c: Ctx): { prov: FileProv; node: ts.Node } | undefined {
    let byName = this.memberTypes.get(t);
    if (!byName) this.memberTypes.set(t, (byName = new Map()));
    return lasting(this.readFiles, byName, name, c, () => this.memberTypeOnce(t, name, c));
  }

  protected memberTypeOnce(t: ts.Node, name: string, c: Ctx): { prov: FileProv; node: ts.Node } | undefined {
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
      if (!r) return this.augmentationMember(t, name);
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
          // A getter's declared type is the member's (`get modService(): ModServiceCreator`); a field only ever set to
          // another database's client (`knex: Knex` set to a ClickHouse knex) holds no client of ours.
          if (ts.isPropertyDeclaration(m) && m.type && otherDatabaseField(m, r.prov, c)) return undefined;
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

  /**
   * A member of an interface imported from a package whose types are not among the project's files, as the
   * project's module augmentations declare it (`declare module 'fastify' { interface FastifyInstance { prisma: … } }`).
   */
  protected augmentationMember(t: ts.Node, name: string): { prov: FileProv; node: ts.Node } | undefined {
    const ref = ts.isTypeReferenceNode(t) ? t.typeName : ts.isExpressionWithTypeArguments(t) ? t.expression : undefined;
    const d = ref && ts.isIdentifier(ref) ? this.declarationOf(ref) : undefined;
    if (!d || !ts.isImportSpecifier(d)) return undefined;
    const spec = moduleSpecOf(d);
    if (spec === undefined || libraryOfModule(spec) || resolveModulePath(this.project, this.path, spec)) return undefined;
    const m = augmentedMember(this.project, spec, (d.propertyName ?? d.name).text, name);
    return m ? { prov: this.prov(m.file), node: m.node } : undefined;
  }

  /** NestJS injection decorators: `@InjectRepository(User)`, `@InjectModel(User)`, `@InjectDataSource()`, `@InjectEntityManager()`. */
  protected injectedValue(p: ts.ParameterDeclaration | ts.PropertyDeclaration, c: Ctx): Value | undefined {
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

  protected returnTypeValue(arg: ts.TypeNode, c: Ctx): Value | undefined {
    const f = this.typeValue(arg, c);
    // A library's function (`ReturnType<typeof drizzle<typeof schema>>`): what a call of it gives, its arguments unknown.
    if (f?.kind === 'pkg') return adapterOfValue(f).provenance.callExport(f.name, ts.factory.createCallExpression(ts.factory.createIdentifier(lastName(f.name)), undefined, []), nodeOrigin(this.path, arg));
    if (f?.kind !== 'function') return undefined;
    const p = this.prov(f.file);
    return p.returnValue(f.node, c) ?? (f.node.type ? p.typeValue(f.node.type, c) : undefined);
  }

  protected typeInstance(
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

  protected exportTypeValueOnce(name: string, c: Ctx): Value | undefined {
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

  protected declaredTypeOfOnce(e: ts.Expression, c: Ctx): { prov: FileProv; type: ts.TypeNode } | undefined {
    for (;;) {
      if (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
      else break;
    }
    if ((ts.isAsExpression(e) || ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)) && !ts.isConstTypeReference(e.type)) return { prov: this.self, type: e.type };
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
      if (e.expression.kind === ts.SyntaxKind.ThisKeyword) return this.thisMemberType(e.expression, e.name.text, c);
      // `this.options.tnx`, `ctx.db`: the member's type in the object's declared type.
      const obj = this.guard(c, `dtobj:${this.pathKey}:${e.pos}`, () => this.declaredTypeOf(e.expression, c));
      const m = obj ? obj.prov.memberType(obj.type, e.name.text, c) : undefined;
      return m && ts.isTypeNode(m.node) ? { prov: m.prov, type: m.node } : undefined;
    }
    if (!ts.isIdentifier(e)) return undefined;
    const d = this.declarationOf(e);
    if (!d) return undefined;
    if ((ts.isVariableDeclaration(d) || ts.isParameter(d) || ts.isPropertyDeclaration(d)) && d.type) return { prov: this.self, type: d.type };
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
  protected bindingDeclaredType(d: ts.BindingElement, c: Ctx): { prov: FileProv; type: ts.TypeNode } | undefined {
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
  protected holderDeclaredType(
    holder: ts.ParameterDeclaration | ts.VariableDeclaration | ts.BindingElement,
    c: Ctx,
  ): { prov: FileProv; type: ts.TypeNode } | undefined {
    return this.guard(c, `dtbind:${this.pathKey}:${holder.pos}`, () =>
      ts.isBindingElement(holder)
        ? this.bindingDeclaredType(holder, c)
        : holder.type
          ? { prov: this.self, type: holder.type }
          : ts.isParameter(holder)
            ? this.contextualParamType(holder, c)
            : holder.initializer
              ? this.declaredTypeOf(holder.initializer, c)
              : undefined,
    );
  }

  /** The context a procedure's resolver or middleware receives (`procedure-context.ts`), for its first parameter. */
  protected procedureContextOf(p: ts.ParameterDeclaration, c: Ctx): ProcedureContext | undefined {
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
  protected procedureContextValue(p: ts.ParameterDeclaration, c: Ctx): Value | undefined {
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
  protected overridesClient(pc: ProcedureContext, c: Ctx): boolean {
    const at = this.prov(pc.file);
    for (const name of pc.overrides) if (at.typedMember(pc.type, name, c)?.kind === 'instance') return true;
    return false;
  }

  /** The declared type of `this.name`: a property or a constructor parameter property of the enclosing class. */
  protected thisMemberType(thisNode: ts.Node, name: string, c: Ctx): { prov: FileProv; type: ts.TypeNode } | undefined {
    // `function f(this: FastifyInstance)`: the member of the declared `this` type.
    const declared = declaredThisType(thisNode);
    if (declared) {
      const m = this.memberType(declared, name, c);
      return m && ts.isTypeNode(m.node) ? { prov: m.prov, type: m.node } : undefined;
    }
    let cls: ts.Node | undefined = thisNode.parent;
    while (cls && !ts.isClassLike(cls)) {
      if (ts.isFunctionDeclaration(cls) || ts.isFunctionExpression(cls)) return undefined;
      cls = cls.parent;
    }
    if (!cls || !ts.isClassLike(cls)) return undefined;
    for (const m of cls.members) {
      if ((ts.isPropertyDeclaration(m) || ts.isGetAccessorDeclaration(m)) && m.name && propName(m.name) === name && m.type) return { prov: this.self, type: m.type };
      if (ts.isConstructorDeclaration(m)) {
        for (const p of m.parameters) if (ts.isIdentifier(p.name) && p.name.text === name && p.type && ts.getModifiers(p)?.length) return { prov: this.self, type: p.type };
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
  protected conditionalMember(t: ts.TypeNode, name: string, c: Ctx): Value | undefined {
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
  protected typeMember(t: ts.TypeNode, name: string, c: Ctx): Value | undefined {
    const local = this.localTypeMember(t, name, c);
    if (local) return local;
    const m = this.memberType(t, name, c);
    return m && ts.isTypeNode(m.node) ? m.prov.typeValue(m.node, c) : undefined;
  }

  protected localTypeMember(t: ts.TypeNode, name: string, c: Ctx): Value | undefined {
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
}
