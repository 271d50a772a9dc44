/**
 * n-plus-one through entity listeners: a write handed a list of entities (`repo.remove(rows)`) that the library
 * runs once per entity, with every listener method of the entity's class its adapter names for the operation
 * (`entityListeners`: `@AfterRemove` for `remove`). A listener whose body runs a query runs it once per entity.
 * Only where the argument is a list by the code (an array literal, a declared array type, the rows of a read that
 * does not stop at one row) and the entity's class and its listeners resolve; subscribers are not followed.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import type { RuleContext } from '../engine/context';
import type { CallGraph, ReachedQuery } from '../engine/sources/call-graph';
import type { IterationScope } from '../engine/sources/iteration';
import { fileProvenance } from '../engine/sources/provenance';
import type { QuerySite } from '../engine/sources/query-sites';
import { skipOuter } from '../engine/sources/ts-expr';

/** What to do about it: the listener is the per-entity code, so its work moves to one statement over the list. */
export const LISTENER_ADVICE = 'the write runs the listener once per entity it is given: do its work once for the whole list (one query over the entities\' keys after the write) instead of in the listener';

export interface ListenerDispatch {
  scope: IterationScope;
  reached: ReachedQuery[];
  via: string;
}

const isArrayType = (t: ts.TypeNode | undefined): boolean =>
  !!t && (ts.isArrayTypeNode(t) || (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && /^(ReadonlyArray|Array)$/.test(t.typeName.text)));

/** Whether `arg` is a list by the code: an array literal, a name declared with an array type, or the rows of a many-row read. */
function isList(ctx: RuleContext, sf: ts.SourceFile, arg: ts.Expression): boolean {
  const a = skipOuter(arg);
  if (ts.isArrayLiteralExpression(a)) return true;
  // `user.requests` of a row read from an entity whose class declares `requests: MediaRequest[]`.
  if (ts.isPropertyAccessExpression(a) && ts.isIdentifier(a.expression)) {
    const d = fileProvenance(ctx.project, ctx.file.path).declarationOf(a.expression);
    const init = d && ts.isVariableDeclaration(d) && d.initializer ? skipOuter(d.initializer) : undefined;
    const read = init && ctx.querySites().find((s) => s.range.start === init.getStart() && s.range.end === init.getEnd());
    const cls = read?.kind === 'read' && read.entity ? entityClass(ctx, sf, read.entity) : undefined;
    const prop = cls?.node.members.find((m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m) && m.name.getText() === a.name.text);
    return isArrayType(prop?.type);
  }
  if (!ts.isIdentifier(a)) return false;
  const d = fileProvenance(ctx.project, ctx.file.path).declarationOf(a);
  if (!d || !(ts.isVariableDeclaration(d) || ts.isParameter(d))) return false;
  if (isArrayType(d.type)) return true;
  if (!ts.isVariableDeclaration(d) || !d.initializer || !(d.parent.flags & ts.NodeFlags.Const)) return false;
  const init = skipOuter(d.initializer);
  const read = ctx.querySites().find((s) => s.range.start === init.getStart() && s.range.end === init.getEnd());
  return !!read && read.executes && read.kind === 'read' && read.limit === undefined && !!read.selects;
}

/** The class declaration the entity name of `site` resolves to from this file. */
function entityClass(ctx: RuleContext, sf: ts.SourceFile, entity: string): { file: string; node: ts.ClassDeclaration } | undefined {
  const prov = fileProvenance(ctx.project, ctx.file.path);
  let found: { file: string; node: ts.ClassDeclaration } | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && n.text === entity) {
      const def = prov.definitionOf(n);
      if (def && ts.isClassDeclaration(def.node)) found = { file: def.file, node: def.node };
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** The listener methods of a class: methods decorated `@Name()` with one of `names`. */
function listenerMethods(cls: ts.ClassDeclaration, names: string[]): { method: ts.MethodDeclaration; decorator: string }[] {
  const out: { method: ts.MethodDeclaration; decorator: string }[] = [];
  for (const m of cls.members) {
    if (!ts.isMethodDeclaration(m) || !m.body) continue;
    for (const d of ts.getDecorators(m) ?? []) {
      const e = ts.isCallExpression(d.expression) ? d.expression.expression : d.expression;
      if (ts.isIdentifier(e) && names.includes(e.text)) out.push({ method: m, decorator: e.text });
    }
  }
  return out;
}

/** The per-entity listener queries a write site runs, with the scope that stands for the library's loop over its argument. */
export function listenerDispatch(ctx: RuleContext, graph: CallGraph, sf: ts.SourceFile, site: QuerySite, node: ts.Node): ListenerDispatch | undefined {
  const names = adapterOf(site.library).rules.entityListeners(site);
  if (!names?.length || !site.entity || !ts.isCallExpression(node)) return undefined;
  const args = node.arguments;
  // `manager.remove(Entity, rows)` names the entity first.
  const arg = args[0] && ts.isIdentifier(args[0]) && args[0].text === site.entity ? args[1] : args[0];
  if (!arg || !isList(ctx, sf, arg)) return undefined;
  const cls = entityClass(ctx, sf, site.entity);
  if (!cls) return undefined;
  const reached: ReachedQuery[] = [];
  const vias: string[] = [];
  for (const { method, decorator } of listenerMethods(cls.node, names)) {
    const hit = graph.queriesOf({ file: cls.file, node: method });
    if (!hit.length) continue;
    reached.push(...hit);
    vias.push(`@${decorator} ${site.entity}.${method.name.getText()}()`);
  }
  if (!reached.length) return undefined;
  const scope: IterationScope = {
    kind: 'callback',
    range: { start: node.getStart(), end: node.getEnd() },
    node,
    body: node,
    collection: arg.getText(),
    collectionExpr: arg,
    method: site.operation,
    concurrent: false,
    perElement: true,
  };
  return { scope, reached, via: vias.join(', ') };
}
