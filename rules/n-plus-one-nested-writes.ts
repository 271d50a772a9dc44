/**
 * n-plus-one through a nested list write: a write call handing the library a list it inserts one statement per
 * element (the adapter's `rules.nestedRowWrites`, e.g. a nested `create: rows.map(…)`), with no loop written in the
 * code. Each list is a scope of its own that stands for the library's loop over it.
 */
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import type { ReachedQuery } from '../engine/sources/call-graph';
import type { IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix } from '../engine/types';

export interface NestedWriteDispatch {
  scope: IterationScope;
  reached: ReachedQuery[];
  via: string;
  advice: string;
  fix?: Fix;
}

export function nestedWriteDispatch(file: string, site: QuerySite, call: ts.CallExpression): NestedWriteDispatch[] {
  return adapterOf(site.library)
    .rules.nestedRowWrites(site, call)
    .map((w) => ({
      scope: {
        kind: 'callback',
        range: { start: w.list.getStart(), end: w.list.getEnd() },
        node: w.list,
        body: w.list,
        collection: w.collection.getText(),
        collectionExpr: w.collection,
        method: site.operation,
        concurrent: false,
        perElement: true,
      },
      // One INSERT per row of the relation, not the call's own statement on its table.
      reached: [{ site: { ...site, table: undefined, entity: w.relation, operation: 'create', filters: [], orderBy: [], batched: false }, path: [], loopedInHelper: false }],
      via: `${w.relation}: { create: … }`,
      advice: w.advice,
      fix: w.rewrite && {
        title: w.rewrite.title,
        safety: 'suggestion' as const,
        edits: [{ file, range: { start: w.rewrite.start, end: w.rewrite.end }, newText: w.rewrite.text }],
      },
    }));
}
