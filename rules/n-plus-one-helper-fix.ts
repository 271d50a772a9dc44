/**
 * The batched form of an N+1 through a helper — the shape most real N+1s have:
 *
 *     async function getUser(id: string) { return prisma.user.findUnique({ where: { id } }); }
 *     for (const o of orders) { const u = await getUser(o.userId); … }
 *
 * becomes the helper's query over every key, hoisted before the loop, and a Map lookup in its place:
 *
 *     const userRows = await prisma.user.findMany({ where: { id: { in: orders.map((o) => o.userId) } } });
 *     const userById = new Map(userRows.map((row) => [row.id, row] as const));
 *     for (const o of orders) { const u = userById.get(o.userId) ?? null; … }
 *
 * Only where nothing is guessed: the helper is in the same file (a top-level function, or a method of
 * the caller's class called on `this`), its body is that one read query and nothing else (no side
 * effect, no second statement, no further helper), one parameter is used once, as the query's
 * key, the caller passes the element or a property of it there, and every other argument is the same for every
 * element (a literal, or a name the loop neither declares nor reassigns: it replaces its parameter in the hoisted
 * query), and the table is known (its key's
 * uniqueness decides row or group). The Map part is the direct rewrite's (n-plus-one-fix.ts hoistRead):
 * same result shape, missing keys → null (or undefined, as the library returns), repeated keys share a row.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import { keyExpression, unparen } from '../engine/adapters/kit/fix';
import type { RuleContext } from '../engine/context';
import type { FunctionRef } from '../engine/sources/call-graph';
import type { IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix } from '../engine/types';
import { anchorStatement, assignedNames, declaredNames, elementUses, isPlainRef, loopBindings, perElementErrorHandling, readNames } from './n-plus-one-fix-kit';
import { hoistRead } from './n-plus-one-hoist';
import type { FixPiece } from '../engine/adapters/types';
import { keyMayThrowSkipped } from './n-plus-one-prefetch-fix';

/**
 * An argument that is the same for every element: a literal, or a plain reference (`status`, `this.orgId`) whose
 * names the loop neither declares nor reassigns.
 */
function invariantArgument(a: ts.Expression, scope: IterationScope): boolean {
  a = unparen(a);
  if (ts.isStringLiteral(a) || ts.isNumericLiteral(a) || ts.isNoSubstitutionTemplateLiteral(a) || a.kind === ts.SyntaxKind.TrueKeyword || a.kind === ts.SyntaxKind.FalseKeyword || a.kind === ts.SyntaxKind.NullKeyword) return true;
  if (!isPlainRef(a)) return false;
  const shadowed = loopBindings(scope.node);
  const reassigned = assignedNames(scope.body);
  let root: ts.Expression = a;
  while (ts.isPropertyAccessExpression(root)) root = root.expression;
  return !ts.isIdentifier(root) || (!shadowed(root) && !reassigned.has(root.text));
}

/** The expression a function returns when its body is that one return (or an expression body), else undefined. */
function soleReturn(fn: ts.SignatureDeclaration): ts.Expression | undefined {
  if (!(ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !fn.body) return undefined;
  if (fn.asteriskToken) return undefined;
  if (!ts.isBlock(fn.body)) return fn.body;
  if (fn.body.statements.length !== 1) return undefined;
  const st = fn.body.statements[0];
  return ts.isReturnStatement(st) && st.expression ? st.expression : undefined;
}

/** The class a method belongs to, or the source file a top-level function (or `const f = …`) sits in; else undefined (a closure). */
function helperHome(fn: ts.SignatureDeclaration): ts.ClassLikeDeclaration | ts.SourceFile | undefined {
  if (ts.isMethodDeclaration(fn)) return ts.isClassLike(fn.parent) && ts.isSourceFile(fn.parent.parent) ? fn.parent : undefined;
  if (ts.isFunctionDeclaration(fn)) return ts.isSourceFile(fn.parent) ? fn.parent : undefined;
  // const f = async (id) => …; at the top level.
  const decl = fn.parent;
  if (ts.isVariableDeclaration(decl) && ts.isVariableDeclarationList(decl.parent) && ts.isVariableStatement(decl.parent.parent) && ts.isSourceFile(decl.parent.parent.parent)) return decl.parent.parent.parent;
  return undefined;
}

/** The function whose `this` a node sees (arrows see through), or undefined at the top level. */
function thisOwner(n: ts.Node): ts.Node | undefined {
  for (let p = n.parent; p; p = p.parent) if (ts.isFunctionLike(p) && !ts.isArrowFunction(p)) return p;
  return undefined;
}

/** Does the expression use `this`? */
function usesThis(n: ts.Node): boolean {
  let found = false;
  const visit = (x: ts.Node): void => {
    if (found) return;
    if (x.kind === ts.SyntaxKind.ThisKeyword) found = true;
    else if (!(ts.isFunctionLike(x) && !ts.isArrowFunction(x))) ts.forEachChild(x, visit);
  };
  visit(n);
  return found;
}

/** `fixedArguments`: also a helper with parameters besides the key (tried after a batched sibling, which keeps them as the helper has them). */
export function helperBatchFix(ctx: RuleContext, site: QuerySite, call: ts.Node, scope: IterationScope, helper: FunctionRef, fixedArguments: boolean): Fix | undefined {
  try {
    return build(ctx, site, call, scope, helper, fixedArguments);
  } catch {
    return undefined;
  }
}

function build(ctx: RuleContext, site: QuerySite, call: ts.Node, scope: IterationScope, helper: FunctionRef, fixedArguments: boolean): Fix | undefined {
  const el = scope.element;
  if (!ts.isCallExpression(call) || !el || !scope.collectionExpr || !isPlainRef(scope.collectionExpr)) return undefined;
  if (scope.kind !== 'for-of' && !(scope.kind === 'callback' && /^(map|forEach|flatMap)$/.test(scope.method ?? ''))) return undefined;
  // Never judge what cannot be seen: the table and its keys must be known.
  if (!site.table || !ctx.table(site.table) || site.kind !== 'read' || helper.file !== ctx.file.path || site.file !== ctx.file.path) return undefined;
  if (perElementErrorHandling(call, scope)) return undefined;
  const sf = ctx.tsAst();
  if (!sf) return undefined;
  const fn = helper.node;
  const home = helperHome(fn);
  if (!home || !fn.parameters.length || call.arguments.length !== fn.parameters.length || (fn.parameters.length > 1 && !fixedArguments)) return undefined;
  if (fn.parameters.some((x) => !ts.isIdentifier(x.name) || x.initializer || x.dotDotDotToken || x.questionToken)) return undefined;
  // One argument is the element's key; every other is the same for every element (a name from outside the loop,
  // or a literal) and takes its parameter's place in the hoisted query.
  const keyAt = call.arguments.findIndex((a) => elementUses(a, el).length > 0);
  if (keyAt < 0 || call.arguments.some((a, i) => i !== keyAt && !invariantArgument(a, scope))) return undefined;
  const param = fn.parameters[keyAt];
  // The helper's body is the query alone (awaited or returned), so batching it drops nothing it does.
  let ret = soleReturn(fn);
  if (!ret) return undefined;
  ret = unparen(ret);
  if (ts.isAwaitExpression(ret)) ret = unparen(ret.expression);
  if (ret.getStart() !== site.range.start || ret.getEnd() !== site.range.end) return undefined;
  const query = ret;
  if (adapterOf(site.library).rules.isWrite(site, query, query.getText())) return undefined;
  // The parameter is the query's key, used once and whole.
  const p = (param.name as ts.Identifier).text;
  const pUses = elementUses(query, p);
  if (pUses.length !== 1 || keyExpression(pUses[0]) !== pUses[0]) return undefined;
  // The caller passes the element or a property path of it.
  const arg = unparen(call.arguments[keyAt]);
  const argUses = elementUses(arg, el);
  if (argUses.length !== 1 || keyExpression(argUses[0]) !== arg || !isPlainRef(arg)) return undefined;
  const anchor = anchorStatement(scope);
  if (!anchor) return undefined;
  // Hoisted into the caller, the query's other names must mean what they meant in the helper: names of
  // the file's top level (the helper is top-level or a top-level class's method) not redeclared around the loop.
  const around = declaredNames(anchor.fn);
  const params = new Map(fn.parameters.map((x, i) => [(x.name as ts.Identifier).text, i]));
  for (const n of readNames(query)) if (!params.has(n) && around.has(n)) return undefined;
  const substitutions: FixPiece[] = [];
  for (const [name, i] of params) {
    if (i === keyAt) continue;
    const text = unparen(call.arguments[i]).getText();
    for (const u of elementUses(query, name)) substitutions.push({ start: u.getStart(), end: u.getEnd(), text: ts.isShorthandPropertyAssignment(u.parent) ? `${name}: ${text}` : text });
  }
  if (usesThis(query)) {
    // `this.db` of a method: the caller must be a method of the same class calling `this.helper(…)`.
    const owner = thisOwner(anchor.stmt);
    const callee = unparen(call.expression);
    if (!ts.isClassLike(home) || !owner || owner.parent !== home || !(ts.isMethodDeclaration(owner) || ts.isConstructorDeclaration(owner))) return undefined;
    if (!ts.isPropertyAccessExpression(callee) || callee.expression.kind !== ts.SyntaxKind.ThisKeyword) return undefined;
    if (ts.isMethodDeclaration(owner) && owner.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) return undefined;
  }
  // A promise used as one (`getUser(id).then(…)`) cannot become a Map lookup.
  if (!ts.isAwaitExpression(call.parent) && (ts.isPropertyAccessExpression(call.parent) || ts.isElementAccessExpression(call.parent))) return undefined;
  const coll = unparen(scope.collectionExpr).getText();
  if (keyMayThrowSkipped(scope, call, arg.getText())) return undefined;
  const keysExpr = ts.isIdentifier(arg) && arg.text === el ? coll : `${coll}.map((${el}) => ${arg.getText()})`;
  const fix = hoistRead(ctx, { site, query, key: pUses[0], keysExpr, lookup: arg.getText(), target: call, scope, anchor, coll, sf, substitutions });
  if (!fix) return undefined;
  const name = ts.isPropertyAccessExpression(call.expression) ? call.expression.name.text : call.expression.getText();
  return { ...fix, title: `${fix.title.replace(/^Load /, `Batch \`${name}()\`: load `)}` };
}
