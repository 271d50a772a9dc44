/**
 * Provenance, calls: the values of calls (a library method or export, an instance called directly, a project
 * function: what it returns, an entity its parameter passes through), what a local function returns, services a
 * project registers under a key class, and `new` (of a package class, a local class, or a `Proxy` standing in for
 * its target), with the instances local classes have (a layer of FileProv: see ./provenance-base.ts).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapters } from '../adapters';
import { stringArg } from '../adapters/kit/provenance';
import type { Value } from './query-sites';
import { skipOuter } from './ts-expr';
import { handedFactory } from './factory-results';
import { handedImplementation, registrationOf } from './service-registry';
import { adapterOfValue, type Ctx, nodeOrigin, staticThisClass, isFunctionLike, lasting, pathKeyOf } from './provenance-kit';
import { ProvModules } from './provenance-modules';
import type { FileProv } from './provenance';

export abstract class ProvCalls extends ProvModules {
  // Defined by the layers above.
  abstract genericPassThrough(fn: ts.SignatureDeclaration, calleeFile: string, call: ts.CallExpression, c: Ctx): Value | undefined;
  protected abstract thisMember(thisNode: ts.Node, name: string, c: Ctx): Value | undefined;

  protected callValue(e: ts.CallExpression, c: Ctx): Value | undefined {
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

  protected call(fn: Value, e: ts.CallExpression, c: Ctx): Value | undefined {
    switch (fn.kind) {
      case 'pkg':
        return adapterOfValue(fn).provenance.callExport(fn.name, e, nodeOrigin(this.path, e));
      case 'instance': {
        // An instance called directly (`knex('users')`); a table name the adapter cannot read may be a constant.
        const v = adapters[fn.binding.library].provenance.callInstance(fn.binding, e, nodeOrigin(this.path, e));
        if (v?.kind !== 'instance' || v.binding.role !== 'query-builder' || v.binding.entity !== undefined || !e.arguments[0]) return v;
        const table = this.constTableName(e.arguments[0]);
        return table ? { kind: 'instance', binding: { ...v.binding, entity: table } } : v;
      }
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
  protected entityPassedThrough(rv: Value, fn: ts.SignatureDeclaration, calleeProv: FileProv, call: ts.CallExpression): Value | undefined {
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

  /** What a local function returns: its expression body, or its `return` statements (first that resolves). */
  returnValue(fn: ts.SignatureDeclaration, c: Ctx): Value | undefined {
    return lasting(this.readFiles, this.returnValues, fn, c, () => this.returnValueOnce(fn, c));
  }

  protected returnValueOnce(fn: ts.SignatureDeclaration, c: Ctx): Value | undefined {
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

  /** The implementation the project registers under key class `key` (service-registry.ts), as a value. */
  protected registeredService(key: { file: string; node: ts.ClassLikeDeclaration }, c: Ctx): Value | undefined {
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

  /** The target of the global `new Proxy(target, handler)`. */
  protected proxyTarget(e: ts.NewExpression): ts.Expression | undefined {
    const callee = skipOuter(e.expression);
    if (!ts.isIdentifier(callee) || callee.text !== 'Proxy' || !e.arguments?.length || this.declarationOf(callee)) return undefined;
    return e.arguments[0];
  }

  /**
   * A proxy stands in for its target, by value or by the type the target is written as: the lazy client
   * `new Proxy({} as Database, { get: (_, p) => Reflect.get(getDatabase(), p) })` is a Database.
   */
  protected proxiedValue(target: ts.Expression, c: Ctx): Value | undefined {
    const v = this.valueOf(target, c);
    if (v && v.kind !== 'object') return v;
    const declared = this.declaredTypeOf(target, c);
    return (declared && declared.prov.typeValue(declared.type, c)) ?? v;
  }

  protected construct(cal: Value, e: ts.NewExpression, c: Ctx): Value | undefined {
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

  protected baseOf(node: ts.ClassLikeDeclaration, c: Ctx): Value | undefined {
    for (const h of node.heritageClauses ?? []) {
      if (h.token !== ts.SyntaxKind.ExtendsKeyword) continue;
      const t = h.types[0];
      if (t) return this.valueOf(t.expression, c);
    }
    return undefined;
  }
}
