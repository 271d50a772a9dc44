/**
 * Provenance, modules and parameters: imports, re-exports and CommonJS exports followed to values and definitions; the values parameters have (callbacks handed to known APIs, callers, injected services); the project function a call invokes (a layer of FileProv: see ./provenance-base.ts).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapters, callbackClient, libraryOfGeneratedImport, libraryOfModule } from '../adapters';
import type { Value } from './query-sites';
import { skipOuter } from './ts-expr';
import { collectReads, replayReads } from '../reads';
import { resolveModulePath } from './module-paths';
import { callersOf } from './callers';
import { isTestFilePath } from '../one-off';
import { ELEMENT_CALLBACKS, type Ctx, type ExportEntry, mayExport, nodeOrigin, lasting, moduleSpecOf, isUntyped, propertyOfLiteral } from './provenance-kit';
import { ProvTypes } from './provenance-types';
import type { FileProv, Definition } from './provenance';

export abstract class ProvModules extends ProvTypes {
  // Defined by the layers above.
  protected abstract callValue(e: ts.CallExpression, c: Ctx): Value | undefined;


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
  protected requiredValue(spec: string, at: ts.Node, c: Ctx): Value | undefined {
    const v = this.moduleValue(spec, '*', at, c);
    if (v?.kind !== 'module') return v;
    const target = this.prov(v.file);
    return target.exports().commonJs ? target.exportValue('default', c) : v;
  }

  /**
   * The table a builder is started on when the adapter could not read it from the argument (`knex(Comments.name)`):
   * a `const` string (here or imported), or the name property (`name`, `tableName`) of a `const` made by a project
   * function from a literal given as its first argument, a parameter named as a table name (`export const Comments =
   * buildTableHelper('comments', [...])`, speckle-server's dbSchema.ts). Anything else: unknown.
   */
  protected constTableName(arg: ts.Expression): string | undefined {
    const x = skipOuter(arg);
    if (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) return x.text;
    const constInit = (id: ts.Identifier): { file: string; init: ts.Expression } | undefined => {
      const d = this.definitionOf(id);
      const n = d?.node;
      if (!n || !ts.isVariableDeclaration(n) || !n.initializer || !ts.isVariableDeclarationList(n.parent) || !(n.parent.flags & ts.NodeFlags.Const)) return undefined;
      return { file: d.file, init: skipOuter(n.initializer) };
    };
    if (ts.isIdentifier(x)) {
      const c = constInit(x);
      return c && (ts.isStringLiteral(c.init) || ts.isNoSubstitutionTemplateLiteral(c.init)) ? c.init.text : undefined;
    }
    if (!ts.isPropertyAccessExpression(x) || !/^(name|tableName)$/.test(x.name.text)) return undefined;
    const obj = skipOuter(x.expression);
    const c = ts.isIdentifier(obj) ? constInit(obj) : undefined;
    if (!c || !ts.isCallExpression(c.init)) return undefined;
    const a0 = c.init.arguments[0] && skipOuter(c.init.arguments[0]);
    if (!a0 || !(ts.isStringLiteral(a0) || ts.isNoSubstitutionTemplateLiteral(a0))) return undefined;
    const p0 = this.prov(c.file).callTarget(c.init)?.node.parameters[0];
    return p0 && ts.isIdentifier(p0.name) && /^(table|tableName|table_name)$/i.test(p0.name.text) ? a0.text : undefined;
  }

  // ---- Exports

  /** Whether the module an `export *` names may export `name` (a package: ask it; a project file: `mayExport`). */
  protected starMayExport(spec: string, name: string): boolean {
    if (libraryOfModule(spec) || libraryOfGeneratedImport(spec, name)) return true;
    const file = resolveModulePath(this.project, this.path, spec);
    return !file || mayExport(this.project, file, name);
  }

  protected exports(): { named: Map<string, ExportEntry>; stars: string[]; commonJs?: ts.Expression } {
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
  protected topLevel(name: string): ts.Node | undefined {
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

  protected exportValueOnce(name: string, c: Ctx): Value | undefined {
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

  protected paramValue(p: ts.ParameterDeclaration, c: Ctx): Value | undefined {
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
  protected projectObjectType(t: ts.TypeNode, c: Ctx): boolean {
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
  protected clientFromCallers(p: ts.ParameterDeclaration, prop: string | undefined, c: Ctx): Value | undefined {
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

  protected callTargetOfOnce(call: ts.CallExpression, c: Ctx): { prov: FileProv; node: ts.SignatureDeclaration } | undefined {
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
}
