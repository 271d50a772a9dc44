/**
 * A model of one SQL statement's query structure, per query level: the FROM
 * items (tables, CTE references, subqueries, set-returning functions,
 * VALUES), how they are joined, the WHERE conjuncts, the result list, ORDER
 * BY / LIMIT, and the nested levels (CTEs, FROM subqueries, set-operation
 * arms, EXISTS/IN/scalar sublinks). Column references resolve to the FROM
 * item they read, through aliases, the only item, or the schema.
 *
 * Offsets here are UTF-16 offsets in the parsed SQL text (`SqlSite.sql`);
 * rules map them to the file with `sqlRangeToFile`. Extents come from the
 * scanner's tokens: the parser gives only start locations.
 *
 * Pure: built from a parsed statement, its SQL text and (optionally) the
 * schema. With no schema, unqualified columns in multi-table levels stay
 * unresolved rather than guessed.
 *
 * This module is the entry point (every export importable from here) and
 * caches the models of a file's sites. The parts: the data types in
 * query-model-types.ts, the builder in query-builder.ts, its token reader in
 * local-lexer.ts, and the questions rules ask of a model in query-levels.ts.
 */
import type { SchemaModel } from '../schema/types';
import type { SqlHole, SqlSite } from '../sources/types';
import { buildQueryModel } from './query-builder';
import type { QueryModel } from './query-model-types';

export type {
  ColumnRefInfo,
  CteDef,
  FromItem,
  FromKind,
  JoinVia,
  LevelRole,
  QueryLevel,
  QueryModel,
  StarTarget,
  Target,
} from './query-model-types';
export { LocalLexer } from './local-lexer';
export {
  SET_RETURNING_FUNCTIONS,
  columnRefsOf,
  conjuncts,
  fromItemColumns,
  isAggregateCall,
  isSingleRow,
  itemLabel,
  levelExpressions,
  levelOutputColumns,
  sublinkLevelsOf,
  tablesReadWhole,
  uniquelyFiltered,
  walkLevel,
} from './query-levels';
export { buildQueryModel } from './query-builder';

/** The interpolation holes of a site (`$1` for `${id}`, a placeholder name for `${schema}`, a fragment left out). */
export function siteHoles(site: SqlSite): SqlHole[] {
  return site.holes ?? [];
}

export interface SiteQueries {
  site: SqlSite;
  models: QueryModel[];
}

const siteCache = new WeakMap<SqlSite, { schema: SchemaModel; models: QueryModel[] }>();

/**
 * Query models of every parsed statement of a file's SQL sites, cached per
 * site and schema (the project keeps sites per file version and rebuilds the
 * schema object when a schema source changes).
 */
export function fileQueryModels(sites: SqlSite[], schema: SchemaModel): SiteQueries[] {
  const out: SiteQueries[] = [];
  for (const site of sites) {
    const hit = siteCache.get(site);
    if (hit && hit.schema === schema) {
      out.push({ site, models: hit.models });
      continue;
    }
    const holes = siteHoles(site);
    const models = (site.parsed?.statements ?? []).map((st) => buildQueryModel(st, site.sql, schema, holes));
    siteCache.set(site, { schema, models });
    out.push({ site, models });
  }
  return out;
}
