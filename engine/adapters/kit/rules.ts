/** Answers most libraries give to what the rules ask (each adapter still states every hook). */
import type * as ts from 'typescript';
import type { QuerySite } from '../../sources/query-sites';
import type { SchemaProblem, TableInfo } from '../../schema/types';

/** Operations that read one row (an object, not an array): the find-one and take-first forms of the ORMs. */
const ONE_ROW_OPERATION = /^(findUnique|findFirst|findOne|findByPk|getOne|getRawOne|executeTakeFirst)/;

export function oneRowOperation(site: QuerySite, _node?: ts.Node): boolean {
  return ONE_ROW_OPERATION.test(site.operation);
}

export function writesByKind(site: QuerySite, _node?: ts.Node, _text?: string): boolean {
  return site.kind === 'write';
}

export const firstArgument = (_call: ts.CallExpression): number => 0;

/** A library with no schema files of its own. */
export function noModels(_files: unknown): { tables: TableInfo[]; problems: SchemaProblem[]; applied: string[] } {
  return { tables: [], problems: [], applied: [] };
}
