/**
 * A read through a helper called once per element, batched by a sibling of the helper (issue 13: "reads
 * through helpers: batch the helper: a `…Many`/`IN` sibling plus a Map in the caller, offered as a
 * suggestion"). Where the helper's body is one read by one of its parameters:
 *
 *     // users.ts                                         // users.ts: the sibling, after the helper
 *     export async function getUser(db: Db, id: string) {  export async function getUserMany(db: Db, ids: string[]) {
 *       return db.user.findUnique({ where: { id } });        return db.user.findMany({ where: { id: { in: ids } } });
 *     }                                                    }
 *     // caller
 *     for (const o of orders) {                           const userRows = await getUserMany(db, orders.map((o) => o.userId));
 *       const u = await getUser(db, o.userId);      →     const userById = new Map(…);
 *     }                                                   for (const o of orders) { const u = userById.get(o.userId) ?? null; }
 *
 * The helper may sit in the caller's file or in another one (then it must be exported, the caller imports it
 * by name, and the sibling is imported next to it). Its other arguments must be the same for every element
 * (names declared outside the loop, property reads, literals). The Map part is hoistRead's
 * (n-plus-one-fix.ts): the same result shape, missing keys → null (or undefined, as the library returns).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import { keyExpression, unparen } from '../engine/adapters/kit/fix';
import type { Batched } from '../engine/adapters/types';
import type { RuleContext } from '../engine/context';
import type { FunctionRef } from '../engine/sources/call-graph';
import type { IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix, TextEdit } from '../engine/types';
import { anchorStatement, assignedNames, elementUses, loopBindings, hoistRead, importEdits, perElementErrorHandling, render } from './n-plus-one-fix';
import { collectionSource, elementAliases, elementBinding, keyMayThrowSkipped, keyOf, namesRead, pureExpression, substitute } from './n-plus-one-prefetch-fix';

/** The query a helper's body is: `return q`, `return await q`, an expression body, or `const x = await q; return x;`. */
function bodyQuery(fn: ts.SignatureDeclaration): ts.Expression | undefined {
  if (!(ts.isFunctionDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !fn.body || fn.asteriskToken) return undefined;
  const strip = (e: ts.Expression): ts.Expression => {
    const u = unparen(e);
    return ts.isAwaitExpression(u) ? unparen(u.expression) : u;
  };
  if (!ts.isBlock(fn.body)) return strip(fn.body);
  const st = fn.body.statements;
  if (st.length === 1 && ts.isReturnStatement(st[0]) && st[0].expression) return strip(st[0].expression);
  if (st.length === 2 && ts.isVariableStatement(st[0]) && ts.isReturnStatement(st[1]) && st[1].expression && ts.isIdentifier(st[1].expression)) {
    const d = st[0].declarationList.declarations;
    if (d.length === 1 && ts.isIdentifier(d[0].name) && d[0].name.text === st[1].expression.text && d[0].initializer) return strip(d[0].initializer);
  }
  return undefined;
}

/** The top-level statement that declares the helper (a function declaration or `const f = …`), and its name. */
export function helperStatement(fn: ts.SignatureDeclaration): { stmt: ts.Statement; name: string; exported: boolean } | undefined {
  let stmt: ts.Node | undefined;
  let name: string | undefined;
  if (ts.isFunctionDeclaration(fn) && fn.name) {
    stmt = fn;
    name = fn.name.text;
  } else if (ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name) && ts.isVariableDeclarationList(fn.parent.parent) && fn.parent.parent.declarations.length === 1) {
    stmt = fn.parent.parent.parent;
    name = fn.parent.name.text;
  }
  if (!stmt || !name || !ts.isStatement(stmt) || !ts.isSourceFile(stmt.parent)) return undefined;
  const exported = !!(ts.canHaveModifiers(stmt) && ts.getModifiers(stmt)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword));
  return { stmt, name, exported };
}

/** `getUserById` → `getUsersByIds`-like names: `…ById` → `…ByIds`, else `…Many`. */
export function siblingName(name: string): string {
  return /ById$/.test(name) ? name.replace(/ById$/, 'ByIds') : `${name}Many`;
}

export function siblingBatchFix(ctx: RuleContext, site: QuerySite, call: ts.Node, scope: IterationScope, helper: FunctionRef): Fix | undefined {
  try {
    return build(ctx, site, call, scope, helper);
  } catch {
    return undefined;
  }
}

function build(ctx: RuleContext, site: QuerySite, call: ts.Node, scope: IterationScope, helper: FunctionRef): Fix | undefined {
  if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || site.kind !== 'read' || site.file !== helper.file) return undefined;
  const source = collectionSource(scope.collectionExpr);
  if (!source) return undefined;
  if (scope.kind !== 'for-of' && scope.kind !== 'for' && !(scope.kind === 'callback' && /^(map|forEach|flatMap)$/.test(scope.method ?? ''))) return undefined;
  if (!site.table || !ctx.table(site.table) || perElementErrorHandling(call, scope)) return undefined;
  const fn = helper.node;
  const decl = helperStatement(fn);
  const query = bodyQuery(fn);
  if (!decl || !query || query.getStart() !== site.range.start || query.getEnd() !== site.range.end) return undefined;
  if (adapterOf(site.library).rules.isWrite(site, query, query.getText())) return undefined;
  const sameFile = helper.file === ctx.file.path;
  if (!sameFile && !decl.exported) return undefined;
  // Plain parameters, one per argument; exactly one is the query's key, used once and whole.
  const params = fn.parameters;
  if (params.length !== call.arguments.length || params.some((p) => !ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken || p.questionToken)) return undefined;
  const keyIndex = params.map((p) => elementUses(query, (p.name as ts.Identifier).text)).findIndex((u) => u.length === 1 && keyExpression(u[0]) === u[0]);
  if (keyIndex < 0) return undefined;
  const keyParam = (params[keyIndex].name as ts.Identifier).text;
  const keyUse = elementUses(query, keyParam)[0];
  // The caller: the key argument a pure expression of the element; the others the same for every element.
  const el = elementBinding(scope);
  const anchor = anchorStatement(scope);
  const sf = ctx.tsAst();
  if (!el || !anchor || !sf) return undefined;
  const shadowed = loopBindings(scope.node, call);
  const reassigned = assignedNames(scope.body);
  const outerOk = (n: ts.Identifier): boolean => !shadowed(n) && !reassigned.has(n.text);
  const aliases = elementAliases(scope, call, el, outerOk);
  const perElement = (e: ts.Node) => namesRead(e).filter((n) => el.names.has(n.text) || aliases.has(n.text));
  for (const [i, a] of call.arguments.entries()) {
    if (i === keyIndex) continue;
    if (!pureExpression(a) || perElement(a).length || !namesRead(a).every((n) => outerOk(n))) return undefined;
  }
  const arg = unparen(call.arguments[keyIndex]);
  const uses = perElement(arg);
  if (uses.length !== 1 || keyOf(uses[0]) !== arg || !namesRead(arg).every((n) => el.names.has(n.text) || aliases.has(n.text) || outerOk(n))) return undefined;
  if (!ts.isAwaitExpression(call.parent) && (ts.isPropertyAccessExpression(call.parent) || ts.isElementAccessExpression(call.parent))) return undefined;
  const coll = source.base;
  if (keyMayThrowSkipped(scope, call, substitute(arg, aliases))) return undefined;
  const keysExpr = el.plain && ts.isIdentifier(arg) && el.names.has(arg.text) ? source.list : `${source.list}.map((${el.param}) => ${substitute(arg, aliases)})`;
  const helperSf = fn.getSourceFile();
  const name = siblingName(decl.name);
  if (new RegExp(`\\b${name}\\b`).test(helperSf.text) || (!sameFile && new RegExp(`\\b${name}\\b`).test(sf.text))) return undefined;
  const keysParam = [`${keyParam}s`, `${keyParam}List`].find((n) => !new RegExp(`\\b${n}\\b`).test(fn.getText()));
  if (!keysParam) return undefined;
  const sibling = (b: Batched, keys: string): { call: string; edits: TextEdit[] } | undefined => {
    if (b.shape === 'result') return undefined;
    const ps = params.map((p, i) => {
      if (i !== keyIndex) return p.getText();
      const t = p.type ? (ts.isUnionTypeNode(p.type) || ts.isFunctionTypeNode(p.type) ? `(${p.type.getText()})[]` : `${p.type.getText()}[]`) : undefined;
      return t ? `${keysParam}: ${t}` : keysParam;
    });
    const q = render(query, b.pieces, keysParam);
    const body = b.guardEmpty ? `  if (!${keysParam}.length) return [];\n  return ${q};` : `  return ${q};`;
    const text = `\n\n/** \`${decl.name}\` for many keys at once: one query, rows for every key found (querylens n-plus-one). */\n${decl.exported ? 'export ' : ''}async function ${name}(${ps.join(', ')}) {\n${body}\n}`;
    const edits: TextEdit[] = [{ file: helper.file, range: { start: decl.stmt.getEnd(), end: decl.stmt.getEnd() }, newText: text }];
    for (const imp of b.imports ?? []) {
      const e = importEdits(ctx, helperSf, imp.module, imp.name, helper.file);
      if (!e) return undefined;
      edits.push(...e);
    }
    if (!sameFile) {
      const spec = importOf(sf, decl.name);
      const e = spec && importEdits(ctx, sf, spec, name);
      if (!e) return undefined;
      edits.push(...e);
    }
    const args = call.arguments.map((a, i) => (i === keyIndex ? keys : a.getText()));
    return { call: `${name}(${args.join(', ')})`, edits };
  };
  const fix = hoistRead(ctx, { site, query, key: keyUse, keysExpr, lookup: arg.getText(), target: call, scope, anchor, coll, sf, sibling });
  if (!fix) return undefined;
  return { ...fix, title: `Batch \`${decl.name}()\` with a sibling \`${name}()\` ${sameFile ? 'after it' : 'in its file'}: ${fix.title.replace(/^Load /, 'load ')}` };
}

/** The module a file imports `name` from, by name and not renamed. */
export function importOf(sf: ts.SourceFile, name: string): string | undefined {
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || st.importClause?.isTypeOnly) continue;
    const nb = st.importClause?.namedBindings;
    if (nb && ts.isNamedImports(nb) && nb.elements.some((e) => e.name.text === name && !e.propertyName && !e.isTypeOnly)) return st.moduleSpecifier.text;
  }
  return undefined;
}
