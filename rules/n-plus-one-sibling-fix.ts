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
import { anchorStatement, assignedNames, elementUses, loopBindings, importEdits, perElementErrorHandling, render } from './n-plus-one-fix-kit';
import { hoistRead } from './n-plus-one-hoist';
import { collectionSource, elementAliases, elementBinding, keyMayThrowSkipped, keyOf, namesRead, pureExpression, substitute } from './n-plus-one-prefetch-fix';

/**
 * The query a helper's body is: `return q`, `return await q`, an expression body, or `const x = await q; return x;`;
 * with `bareAwait` (a write, whose result the caller may drop) also `await q;` alone.
 */
export function bodyQuery(fn: ts.SignatureDeclaration, bareAwait = false): ts.Expression | undefined {
  if (!(ts.isFunctionDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !fn.body || fn.asteriskToken) return undefined;
  const strip = (e: ts.Expression): ts.Expression => {
    const u = unparen(e);
    return ts.isAwaitExpression(u) ? unparen(u.expression) : u;
  };
  if (!ts.isBlock(fn.body)) return strip(fn.body);
  const st = fn.body.statements;
  if (st.length === 1 && ts.isReturnStatement(st[0]) && st[0].expression) return strip(st[0].expression);
  if (bareAwait && st.length === 1 && ts.isExpressionStatement(st[0]) && ts.isAwaitExpression(unparen(st[0].expression))) return strip(st[0].expression);
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

/**
 * How a helper call in a loop is batched by a sibling of the helper, read from the call and the helper's one query:
 * plain parameters, one per argument, exactly one of them the query's key (used once and whole); the caller's key
 * argument a pure expression of the element, its other arguments the same for every element; the sibling's name and
 * its key-list parameter free. Shared by the read and the write sibling rewrites.
 */
export interface SiblingPlan {
  decl: { stmt: ts.Statement; name: string; exported: boolean };
  /** The sibling's name and its key-list parameter. */
  name: string;
  keysParam: string;
  keyIndex: number;
  /** The key in the helper's query, and the caller's key argument. */
  keyUse: ts.Identifier;
  arg: ts.Expression;
  /** The keys of the whole collection as source text at the loop, and the collection. */
  keysExpr: string;
  coll: string;
  anchor: { stmt: ts.Statement; fn: ts.FunctionLikeDeclaration | ts.SourceFile };
  sf: ts.SourceFile;
  sameFile: boolean;
}

export function siblingPlan(ctx: RuleContext, site: QuerySite, call: ts.CallExpression, scope: IterationScope, helper: FunctionRef, query: ts.Expression | undefined): SiblingPlan | undefined {
  const source = collectionSource(scope.collectionExpr);
  if (!source || !site.table || !ctx.table(site.table) || perElementErrorHandling(call, scope)) return undefined;
  const fn = helper.node;
  const decl = helperStatement(fn);
  if (!decl || !query || query.getStart() !== site.range.start || query.getEnd() !== site.range.end) return undefined;
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
  if (keyMayThrowSkipped(scope, call, substitute(arg, aliases))) return undefined;
  const keysExpr = el.plain && ts.isIdentifier(arg) && el.names.has(arg.text) ? source.list : `${source.list}.map((${el.param}) => ${substitute(arg, aliases)})`;
  const name = siblingName(decl.name);
  if (new RegExp(`\\b${name}\\b`).test(fn.getSourceFile().text) || (!sameFile && new RegExp(`\\b${name}\\b`).test(sf.text))) return undefined;
  const keysParam = [`${keyParam}s`, `${keyParam}List`].find((n) => !new RegExp(`\\b${n}\\b`).test(fn.getText()));
  if (!keysParam) return undefined;
  return { decl, name, keysParam, keyIndex, keyUse, arg, keysExpr, coll: source.base, anchor, sf, sameFile };
}

/**
 * The sibling declared after the helper (its parameters, the key one as a list; `body` its statements), the imports its
 * batched query needs in the helper's file and, in another file, the caller's import of it; and the call over `keys`.
 */
export function siblingEdits(ctx: RuleContext, plan: SiblingPlan, call: ts.CallExpression, helper: FunctionRef, body: string, imports: { module: string; name: string }[], keys: string, doc: string): { call: string; edits: TextEdit[] } | undefined {
  const { decl, name, keysParam, keyIndex } = plan;
  const ps = helper.node.parameters.map((p, i) => {
    if (i !== keyIndex) return p.getText();
    const t = p.type ? (ts.isUnionTypeNode(p.type) || ts.isFunctionTypeNode(p.type) ? `(${p.type.getText()})[]` : `${p.type.getText()}[]`) : undefined;
    return t ? `${keysParam}: ${t}` : keysParam;
  });
  const text = `\n\n/** \`${decl.name}\` for many keys at once: ${doc} (querylens n-plus-one). */\n${decl.exported ? 'export ' : ''}async function ${name}(${ps.join(', ')}) {\n${body}\n}`;
  const edits: TextEdit[] = [{ file: helper.file, range: { start: decl.stmt.getEnd(), end: decl.stmt.getEnd() }, newText: text }];
  const helperSf = helper.node.getSourceFile();
  for (const imp of imports) {
    const e = importEdits(ctx, helperSf, imp.module, imp.name, helper.file);
    if (!e) return undefined;
    edits.push(...e);
  }
  if (!plan.sameFile) {
    const spec = importOf(plan.sf, decl.name);
    const e = spec && importEdits(ctx, plan.sf, spec, name);
    if (!e) return undefined;
    edits.push(...e);
  }
  const args = call.arguments.map((a, i) => (i === keyIndex ? keys : a.getText()));
  return { call: `${name}(${args.join(', ')})`, edits };
}

function build(ctx: RuleContext, site: QuerySite, call: ts.Node, scope: IterationScope, helper: FunctionRef): Fix | undefined {
  if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || site.kind !== 'read' || site.file !== helper.file) return undefined;
  if (scope.kind !== 'for-of' && scope.kind !== 'for' && !(scope.kind === 'callback' && /^(map|forEach|flatMap)$/.test(scope.method ?? ''))) return undefined;
  const query = bodyQuery(helper.node);
  if (query && adapterOf(site.library).rules.isWrite(site, query, query.getText())) return undefined;
  const plan = siblingPlan(ctx, site, call, scope, helper, query);
  if (!plan || !query) return undefined;
  // A promise used as one (`getUser(id).then(…)`) cannot become a Map lookup.
  if (!ts.isAwaitExpression(call.parent) && (ts.isPropertyAccessExpression(call.parent) || ts.isElementAccessExpression(call.parent))) return undefined;
  const sibling = (b: Batched, keys: string): { call: string; edits: TextEdit[] } | undefined => {
    if (b.shape === 'result') return undefined;
    const q = render(query, b.pieces, plan.keysParam);
    const body = b.guardEmpty ? `  if (!${plan.keysParam}.length) return [];\n  return ${q};` : `  return ${q};`;
    return siblingEdits(ctx, plan, call, helper, body, b.imports ?? [], keys, 'one query, rows for every key found');
  };
  const { anchor, coll, sf, keysExpr, arg, keyUse, decl, name } = plan;
  const fix = hoistRead(ctx, { site, query, key: keyUse, keysExpr, lookup: arg.getText(), target: call, scope, anchor, coll, sf, sibling });
  if (!fix) return undefined;
  return { ...fix, title: `Batch \`${decl.name}()\` with a sibling \`${name}()\` ${plan.sameFile ? 'after it' : 'in its file'}: ${fix.title.replace(/^Load /, 'load ')}` };
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
