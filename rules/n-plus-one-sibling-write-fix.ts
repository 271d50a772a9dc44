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
import { methodOf } from '../engine/adapters/kit/fix';
import type { RuleContext } from '../engine/context';
import type { FunctionRef } from '../engine/sources/call-graph';
import type { IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix, TextEdit } from '../engine/types';
import { render, soleQueryStatement, writeTarget } from './n-plus-one-fix-kit';
import { bodyQuery, siblingEdits, siblingPlan } from './n-plus-one-sibling-fix';

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
  const query = bodyQuery(helper.node, true);
  const adapter = adapterOf(site.library);
  if (!query || !ts.isCallExpression(query) || !adapter.rules.isWrite(site, query, query.getText())) return undefined;
  const plan = siblingPlan(ctx, site, call, scope, helper, query);
  // The loop statement goes whole: the call is its body's only statement, and nothing reads its result.
  if (!plan || !soleQueryStatement(scope, call) || !writeTarget(scope, plan.anchor.stmt)) return undefined;
  const { keysParam, keyUse } = plan;
  // The library's batched write over the key list: its own many-row form, else the keyed filter over a list.
  let batched: { text: string; title: string; imports: { module: string; name: string }[] } | undefined;
  const w = adapter.rules.batchedWrite({ site, call: query, el: keyUse.text, coll: keysParam, keys: () => keysParam, uses: [keyUse] });
  if (w) batched = { text: w.text, title: w.title, imports: [] };
  else {
    const b = adapter.rules.batchedRead({ site, node: query, key: keyUse, write: true, table: site.table ? ctx.table(site.table) : undefined });
    if (b) batched = { text: render(query, b.pieces, keysParam), title: b.title, imports: b.imports ?? [] };
  }
  if (!batched) return undefined;
  const body = `  if (!${keysParam}.length) return;\n  await ${batched.text};`;
  const sibling = siblingEdits(ctx, plan, call, helper, body, batched.imports, plan.keysExpr, 'one statement');
  if (!sibling) return undefined;
  const edits: TextEdit[] = [...sibling.edits, { file: ctx.file.path, range: { start: plan.anchor.stmt.getStart(), end: plan.anchor.stmt.getEnd() }, newText: `await ${sibling.call};` }];
  // A single-row form that throws for a missing row (`delete`, `update`) becomes a many-row form that skips it.
  const op = methodOf(query);
  const many = /^\s*[\w$.]+\.(\w+)\(/.exec(batched.text)?.[1];
  const missing = many && many !== op && /^(update|delete)$/.test(op) ? `; \`${many}\` skips a missing or repeated key where \`${op}\` may throw` : '';
  const what = site.table ?? site.entity ?? 'rows';
  return {
    title: `Batch \`${plan.decl.name}()\` with a sibling \`${plan.name}()\` ${plan.sameFile ? 'after it' : 'in its file'}: write \`${what}\` for all of \`${plan.coll}\` in one statement (${batched.title}; the loop's statements each committed on their own, the one statement writes all or none${missing})`,
    safety: 'suggestion',
    edits,
  };
}
