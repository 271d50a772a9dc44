/**
 * The engine's public API: the only module adapters (cli/, server/) import
 * from the engine. Plain data in, plain data out.
 */
export * from './types';
export { initParser, PARSER_VERSION } from './sql/parser';
export { TYPESCRIPT_VERSION } from './sources/ts-ast';
export { PATHS_INPUT, REACH_INPUT, USAGE_INPUT, Project, type ProjectHost, isAnalyzable, skipReason, MAX_FILE_BYTES } from './project';
export { missingSchemaProblems, unresolvedQueriesProblems, UNRESOLVED_QUERIES_MIN } from './run-problems';
export { type QuerylensConfig, type ConfigIssue, type ConfigPath, ConfigError, defaultConfig, formatConfigPath, parseConfig, validateConfig } from './config';
export { type ConfigDocument, formatConfigIssues, parseConfigText, readConfigDocument } from './config-text';
export { didYouMean } from './suggest';
export { isSchemaSource, mayBeSchemaSource, isLibrarySchemaFile, DISCOVERED_SCHEMA_GLOBS, SCHEMA_FOLDERS, SCHEMA_WATCH_GLOBS } from './schema';
export type { SchemaModel, SchemaProblem, TableInfo, IndexInfo, ColumnInfo, ForeignKeyInfo } from './schema/types';
export type { SchemaScope } from './schema/scopes';
export { isManifest } from './schema/scopes';
export { LineIndex } from './text';
export { formatMs, roundMs } from './model';
export { assumptionNote } from './model/hover';
export { allRules, ruleById, ruleIds } from '../rules';
export { applyEdits, applyFixes, disableLineFix, editsConflict, EditConflictError, type ApplyFixesResult, type SkippedFix } from './fixes';
export {
  SUPPRESSIONS_FILE,
  type Baseline,
  type BaselineMatch,
  type BaselineUnused,
  baselineSize,
  emptyBaseline,
  findingFingerprint,
  matchBaseline,
  pruneBaseline,
  serializeBaseline,
  suppressFindings,
  validateBaseline,
} from './baseline';
export { LIMITS, GLOB_LIMITS, safeIgnoreText, globTooComplex } from './guard';
export type { ListedQuery, QueryList, UnresolvedQuery } from './queries';
export { compareImpact, impactOrder, impactOf, impactText, savingMs, measuredSavingMs, type Impact } from './model/impact';
export { type FileUsage, type FileUsageData, fileUsageFromData, fileUsageToData } from './sources/table-usage';
export { type StatsSnapshot, type PlanVerdict, parseSnapshot, renderSnapshot } from './stats/snapshot';
export { beginStatements, parseSections, PGSS_PROBE_SQL, sectionSql, snapshotFromSections, statementFingerprint, statsScript, type SectionName } from './stats/sql';
export { indexDrift, type IndexDrift } from './stats/drift';
export { planScans } from './stats/plans';
export { scanSql } from './sql/parser';
