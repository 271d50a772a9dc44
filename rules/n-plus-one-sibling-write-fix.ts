/**
 * A keyed write through a helper, called once per element as the loop's only statement (issue 13: "reads
 * through helpers: batch the helper"; the same for writes). Where the helper's body is one update or delete
 * keyed by one of its parameters, whose values are the same for every element:
 *
 *     // organizations.ts                                     // organizations.ts: the sibling, after the helper
 *     export async function deleteOrganization(id: string) {   export async function deleteOrganizationMany(ids: string[]) {
 *       return db.organization.delete({ where: { id } });         if (!ids.length) return;
 *     }                                                          await db.organization.deleteMany({ where: { id: { in: ids } } });
 *     // caller                                               }
 *     for (const org of orgs) {                         →     // caller
 *       await deleteOrganization(org.id);                     await deleteOrganizationMany(orgs.map((org) => org.id));
 *     }
 *
 * Offered (as a suggestion) only where nothing else changes: the call is the loop body's only statement and its
 * result is unused (the loop statement goes whole), no failure is handled per element, the helper's other
 * arguments are the same for every element (names declared outside the loop, property reads, literals), and the
 * key parameter appears once in the query, as its key. The batched statement is the library's own
 * (AdapterRules.batchedWrite, else batchedRead with `write`), as the direct rewrite of n-plus-one-fix.ts uses.
 * The title says what does change: the per-element statements each committed on their own (a failure part-way
 * kept the rows written before it), the one statement writes all or none; and a library whose single-row
 * form throws for a missing row (`delete`, `update`) has a many-row form that skips it.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import { keyExpression, methodOf, unparen } from '../engine/adapters/kit/fix';
import type { RuleContext } from '../engine/context';
import type { FunctionRef } from '../engine/sources/call-graph';
import type { IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix, TextEdit } from '../engine/types';
import { anchorStatement, assignedNames, elementUses, loopBindings, importEdits, perElementErrorHandling, render, soleQueryStatement, writeTarget } from './n-plus-one-fix';
import { collectionSource, elementAliases, elementBinding, keyOf, namesRead, pureExpression, substitute } from './n-plus-one-prefetch-fix';
import { helperStatement, importOf, siblingName } from './n-plus-one-sibling-fix';

/** The write a helper's body is: `return q`, `return await q`, `await q;` alone, or an expression body. */
function bodyWrite(fn: ts.SignatureDeclaration): ts.Expression | undefined {
  if (!(ts.isFunctionDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !fn.body || fn.asteriskToken) return undefined;
  const strip = (e: ts.Expression): ts.Expression => {
    const u = unparen(e);
    return ts.isAwaitExpression(u) ? unparen(u.expression) : u;
  };
  if (!ts.isBlock(fn.body)) return strip(fn.body);
  const st = fn.body.statements;
  if (st.length !== 1) return undefined;
  if (ts.isReturnStatement(st[0]) && st[0].expression) return strip(st[0].expression);
  if (ts.isExpressionStatement(st[0]) && ts.isAwaitExpression(unparen(st[0].expression))) return strip(st[0].expression);
  return undefined;
}

export function siblingWriteFix(ctx: RuleContext, site: QuerySite, call: ts.Node, scope: IterationScope, helper: FunctionRef): Fix | undefined {
  try {
    return build(ctx, site, call, scope, helper);
  } catch {
    return undefined;
  }
}

function build(ctx: RuleContext, site: QuerySite, call: ts.Node, scope: IterationScope, helper: FunctionRef): Fix | undefined {
  if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || site.file !== helper.file) return undefined;
  if (scope.kind !== 'for-of' && !(scope.kind === 'callback' && /^(map|forEach)$/.test(scope.method ?? ''))) return undefined;
  const source = collectionSource(scope.collectionExpr);
  if (!source || !site.table || !ctx.table(site.table) || perElementErrorHandling(call, scope)) return undefined;
  const fn = helper.node;
  const decl = helperStatement(fn);
  const query = bodyWrite(fn);
  if (!decl || !query || !ts.isCallExpression(query) || query.getStart() !== site.range.start || query.getEnd() !== site.range.end) return undefined;
  const adapter = adapterOf(site.library);
  if (!adapter.rules.isWrite(site, query, query.getText())) return undefined;
  const op = methodOf(query);
  const sameFile = helper.file === ctx.file.path;
  if (!sameFile && !decl.exported) return undefined;
  // The loop statement goes whole: the call is its body's only statement, and nothing reads its result.
  const anchor = anchorStatement(scope);
  const sf = ctx.tsAst();
  if (!anchor || !sf || !soleQueryStatement(scope, call) || !writeTarget(scope, anchor.stmt)) return undefined;
  // Plain parameters, one per argument; exactly one is the query's key, used once and whole.
  const params = fn.parameters;
  if (params.length !== call.arguments.length || params.some((p) => !ts.isIdentifier(p.name) || p.initializer || p.dotDotDotToken || p.questionToken)) return undefined;
  const keyIndex = params.map((p) => elementUses(query, (p.name as ts.Identifier).text)).findIndex((u) => u.length === 1 && keyExpression(u[0]) === u[0]);
  if (keyIndex < 0) return undefined;
  const keyParam = (params[keyIndex].name as ts.Identifier).text;
  const keyUses = elementUses(query, keyParam);
  const key = keyUses[0];
  // The caller: the key argument a pure expression of the element; the others the same for every element.
  const el = elementBinding(scope);
  if (!el) return undefined;
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
  const keysExpr = el.plain && ts.isIdentifier(arg) && el.names.has(arg.text) ? source.list : `${source.list}.map((${el.param}) => ${substitute(arg, aliases)})`;
  const helperSf = fn.getSourceFile();
  const name = siblingName(decl.name);
  if (new RegExp(`\\b${name}\\b`).test(helperSf.text) || (!sameFile && new RegExp(`\\b${name}\\b`).test(sf.text))) return undefined;
  const keysParam = [`${keyParam}s`, `${keyParam}List`].find((n) => !new RegExp(`\\b${n}\\b`).test(fn.getText()));
  if (!keysParam) return undefined;
  // The library's batched write over the key list: its own many-row form, else the keyed filter over a list.
  let batched: { text: string; title: string; imports: { module: string; name: string }[] } | undefined;
  const w = adapter.rules.batchedWrite({ site, call: query, el: keyParam, coll: keysParam, keys: () => keysParam, uses: keyUses });
  if (w) batched = { text: w.text, title: w.title, imports: [] };
  else {
    const b = adapter.rules.batchedRead({ site, node: query, key, write: true, table: ctx.table(site.table) });
    if (b) batched = { text: render(query, b.pieces, keysParam), title: b.title, imports: b.imports ?? [] };
  }
  if (!batched) return undefined;
  const many = /^\s*[\w$.]+\.(\w+)\(/.exec(batched.text)?.[1];
  const p = params[keyIndex];
  const t = p.type ? (ts.isUnionTypeNode(p.type) || ts.isFunctionTypeNode(p.type) ? `(${p.type.getText()})[]` : `${p.type.getText()}[]`) : undefined;
  const ps = params.map((q, i) => (i !== keyIndex ? q.getText() : t ? `${keysParam}: ${t}` : keysParam));
  const text = `\n\n/** \`${decl.name}\` for many keys at once: one statement (querylens n-plus-one). */\n${decl.exported ? 'export ' : ''}async function ${name}(${ps.join(', ')}) {\n  if (!${keysParam}.length) return;\n  await ${batched.text};\n}`;
  const edits: TextEdit[] = [{ file: helper.file, range: { start: decl.stmt.getEnd(), end: decl.stmt.getEnd() }, newText: text }];
  for (const imp of batched.imports) {
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
  const args = call.arguments.map((a, i) => (i === keyIndex ? keysExpr : a.getText()));
  edits.push({ file: ctx.file.path, range: { start: anchor.stmt.getStart(), end: anchor.stmt.getEnd() }, newText: `await ${name}(${args.join(', ')});` });
  // A single-row form that throws for a missing row (`delete`, `update`) becomes a many-row form that skips it.
  const missing = many && many !== op && /^(update|delete)$/.test(op) ? `; \`${many}\` skips a missing or repeated key where \`${op}\` may throw` : '';
  const what = site.table ?? site.entity ?? 'rows';
  return {
    title: `Batch \`${decl.name}()\` with a sibling \`${name}()\` ${sameFile ? 'after it' : 'in its file'}: write \`${what}\` for all of \`${source.base}\` in one statement (${batched.title}; the loop's statements each committed on their own, the one statement writes all or none${missing})`,
    safety: 'suggestion',
    edits,
  };
}
