/**
 * The reads Drizzle's relational API runs on other tables for one call (AdapterRules.relatedReads):
 * `db.query.boards.findFirst({ with: { labels: { where: isNull(labels.deletedAt) }, lists: true } })` is one
 * statement whose every `with` relation is a lateral subquery on the related table, correlated on the relation's
 * columns (`WHERE label."boardId" = boards.id AND …`): once per parent row, selected by those columns and the
 * relation's own `where`, ordered by its `orderBy`. Each is judged like a call of its own, as Prisma's loads are
 * (the relations come from the schema's `relations()` declarations, TableInfo.relations).
 *
 * Anything not written out (a variable, a spread, a helper's options) is opaque, never a guess.
 */
import ts = require('typescript');
import { findRelation, relationTable, type SchemaModel, type TableInfo } from '../../schema/types';
import type { ColumnUse } from '../../sources/query-sites';
import { objectProp, propName, rangeOf, unparen } from '../kit/chain';
import type { RelatedRead } from '../types';

/** How deep nested `with` trees are followed. */
const MAX_DEPTH = 4;

/** What the adapter reads from a `where` and an `orderBy` (drizzle/index.ts: the same readers as the call's own). */
export interface RelationalReaders {
  where(e: ts.Expression | undefined): { filters: ColumnUse[]; opaque: boolean };
  orderBy(e: ts.Expression | undefined): ColumnUse[];
}

/** The `with` loads of a relational `findMany`/`findFirst` call, nested ones too. */
export function relationalLoads(call: ts.CallExpression, table: TableInfo, schema: SchemaModel, read: RelationalReaders): RelatedRead[] {
  const out: RelatedRead[] = [];
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || !/^find(Many|First)$/.test(callee.name.text)) return out;
  loads(objectProp(call.arguments[0], 'with'), table, schema, read, '', 0, out);
  return out;
}

function loads(w: ts.Expression | undefined, table: TableInfo, schema: SchemaModel, read: RelationalReaders, path: string, depth: number, out: RelatedRead[]): void {
  const sel = w && unparen(w);
  if (!sel || !ts.isObjectLiteralExpression(sel) || depth >= MAX_DEPTH) return;
  for (const p of sel.properties) {
    const name = propName(p);
    if (!name || !ts.isPropertyAssignment(p)) continue;
    const r = findRelation(table, name);
    const other = r && relationTable(schema, r);
    const v = unparen(p.initializer);
    if (!r || !other || v.kind === ts.SyntaxKind.FalseKeyword) continue;
    const opts = ts.isObjectLiteralExpression(v) ? v : undefined;
    // `true`, or an options object: anything else (a variable, a call) may hold a where we cannot read.
    const opaque = !opts && v.kind !== ts.SyntaxKind.TrueKeyword;
    const where = opts ? read.where(objectProp(opts, 'where')) : { filters: [], opaque: false };
    const at = rangeOf(p.name);
    const label = `${path}${name}`;
    out.push({
      table: other,
      via: 'load',
      label: `the load of \`${label}\``,
      range: at,
      keys: r.otherColumns.map((column) => ({ column, range: at, op: 'eq' })),
      filters: where.filters,
      opaqueFilter: opaque || where.opaque || opts?.properties.some(ts.isSpreadAssignment) || undefined,
      orderBy: opts ? read.orderBy(objectProp(opts, 'orderBy')) : [],
      ...(path ? { nested: true as const } : {}),
    });
    if (opts) loads(objectProp(opts, 'with'), other, schema, read, `${label}.`, depth + 1, out);
  }
}
