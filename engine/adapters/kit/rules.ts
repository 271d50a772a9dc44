/** Answers most libraries give to the hooks an adapter states (rules, ORM and schema defaults). */
import type * as ts from 'typescript';
import type { QuerySite } from '../../sources/query-sites';
import type { SchemaProblem, TableInfo } from '../../schema/types';
import type { AdapterOrm, AdapterSchema } from '../types';
import type { MigrationTool } from '../../migrations/types';
import type { SchemaReader } from '../../schema/events';
import { none } from './provenance';

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

/** The ORM hooks of a raw-SQL client (pg, postgres.js, slonik): no chains, entities or batch runners. */
export const RAW_SQL_ORM: AdapterOrm = {
  interpret: none,
  entityDecl: none,
  entityTable: none,
  readsOneRow: oneRowOperation,
  batchRunners: [],
  candidates: [],
  modelCandidates: [],
  runs: [],
};

/** The schema hooks of a library whose schema lives only in TypeScript (migrations, table builders). */
export function codeSchema(migrationTools: readonly MigrationTool[] = [], tsReaders: readonly SchemaReader[] = []): AdapterSchema {
  return {
    globs: [],
    schemaFolders: [],
    migrationFolders: [],
    fileExtensions: [],
    fileKind: none,
    readModels: noModels,
    nonPostgresFolders: () => [],
    migrationTools,
    tsReaders,
    schemaLink: none,
  };
}
