/**
 * What a rule may ask: the file, its SQL sites (parsed), its TypeScript
 * syntax tree, the schema, the cost model, its options; and `report`.
 * Rules never read files, config or parsers directly.
 */
import type * as ts from 'typescript';
import type { QuerylensConfig } from './config';
import type { Count, CostModel } from './model';
import { type ColumnInfo, findTable, type SchemaModel, type TableInfo } from './schema/types';
import type { SqlSite } from './sources/types';
import type { QuerySite } from './sources/query-sites';
import { deadCodeReason } from './sources/dead-code';
import { fileQuerySites } from './sources/orm';
import { tableRowsCount } from './model/query-cost';
import { type ProjectUsage, tableIsTiny } from './sources/table-usage';
import type { ColumnValueUse } from './sql/selectivity';
import { LineIndex } from './text';
import type { Estimate, Fix, Range, RelatedLocation, SourceFile } from './types';

export interface ReportDescriptor {
  message: string;
  range: Range;
  related?: RelatedLocation[];
  /**
   * Every finding carries an estimate (test/unit/estimates.test.ts), except where its inputs cannot be seen
   * (a table the schema does not know): then the message says the size is unknown rather than price defaults.
   */
  estimate: Estimate | undefined;
  fixes?: Fix[];
  /** Extra markdown for the hover, after the estimate. */
  hoverDetail?: string;
  /**
   * The query the finding is about, when it is not the one at `range` (an N+1 reported on the helper
   * call whose query is in another file): its measured workload is attached (engine/stats/workload.ts).
   */
  querySite?: QuerySite;
}

export interface ReportedFinding extends ReportDescriptor {
  ruleId: string;
}

/** Services the project gives to a context; implemented by engine/project.ts. */
export interface ProjectServices {
  readonly config: QuerylensConfig;
  readonly model: CostModel;
  /** The schema `path`'s queries run against (its package's, in a monorepo); without a path, all sources together. */
  schema(path?: string): SchemaModel;
  sqlSites(path: string): SqlSite[];
  tsAst(path: string): ts.SourceFile | undefined;
  /** Text of another project file (for helpers imported across files), or undefined. */
  fileText(path: string): string | undefined;
  /** A per-project memo for derived data (per-file summaries), keyed by the caller. */
  memo<T>(key: string, text: string, compute: () => T): T;
  /** Project-wide usage of tables and columns (engine/sources/table-usage.ts). */
  usage?(): ProjectUsage;
  /** Why a file is one-off code (engine/one-off.ts), or undefined for application code. */
  oneOffReason?(path: string): string | undefined;
  /** Why a file runs in the background, on a schedule (engine/background.ts), or undefined. */
  backgroundReason?(path: string): string | undefined;
  /**
   * Every project path known to exist, read or not (a migration skipped for its size, encoding or
   * dialect still holds its name and number): fixes that create files avoid them.
   */
  pathsOnDisk?(): ReadonlySet<string>;
  /** Every project file, given or listed by the host (what project-wide facts read: usage, interface implementations). */
  projectFiles?(): string[];
  /** The host's clock, for new migrations named by the time; undefined: none (the engine reads no clock itself). */
  now?(): Date | undefined;
}

export class RuleContext {
  readonly reports: ReportedFinding[] = [];
  private lineIndex?: LineIndex;

  constructor(
    readonly file: SourceFile,
    readonly ruleId: string,
    readonly options: Record<string, unknown>,
    readonly project: ProjectServices,
  ) {}

  get language(): 'ts' | 'sql' {
    return this.file.path.endsWith('.sql') ? 'sql' : 'ts';
  }
  get schema(): SchemaModel {
    return this.project.schema(this.file.path);
  }
  get model(): CostModel {
    return this.project.model;
  }
  get config(): QuerylensConfig {
    return this.project.config;
  }
  get lines(): LineIndex {
    return (this.lineIndex ??= new LineIndex(this.file.text));
  }

  /** SQL sites of this file with their parse results. */
  sqlSites(): SqlSite[] {
    return this.project.sqlSites(this.file.path);
  }

  tsAst(): ts.SourceFile | undefined {
    return this.language === 'ts' ? this.project.tsAst(this.file.path) : undefined;
  }

  /** Query-running calls of this file (ORM and raw SQL), memoised per file version. */
  querySites(): QuerySite[] {
    if (this.language !== 'ts') return [];
    return this.project.memo(`querySites:${this.file.path}`, this.file.text, () => fileQuerySites(this.project, this.file.path));
  }

  table(name: string, schemaName?: string): TableInfo | undefined {
    return findTable(this.schema, name, schemaName);
  }

  /** Row count of a table with its source, for estimates. */
  tableRows(table: TableInfo | undefined, name?: string): Count {
    return tableRowsCount(table, this.model, name);
  }

  /** What the project's code compares a column to (constants vs anything else), when known. */
  columnValues(table: TableInfo, column: string): ColumnValueUse | undefined {
    return this.project.usage?.().columnValues(table, column);
  }

  /**
   * Whether a column holds JSON as text: declared `text`/`varchar`, and a project file that queries its table
   * hands a field of its name (the column, or its model field) to `JSON.parse`. Over-fetching counts it as large.
   */
  isJsonText(table: TableInfo, column: ColumnInfo): boolean {
    return !!this.project.usage?.().parsesJson(table, column.name);
  }

  /**
   * Whether a text column holds encoded files: a project file writes base64 or a data URL into a property of its name
   * (`avatar: avatarBase64`). Over-fetching counts it as large.
   */
  isEncodedText(column: ColumnInfo): boolean {
    return !!this.project.usage?.().holdsEncoded(column);
  }

  /**
   * Whether a table is too small for an index to matter: declared `tiny`; or, with no row count from
   * config or statistics, a reference table the application never writes (only migrations, seeds and
   * one-off scripts do, so it holds what they put there), or one the migrations fill (`INSERT INTO`) and the
   * application only updates, never adds rows to (`engine/sources/table-usage.ts` `tableIsTiny`).
   */
  isTiny(table: TableInfo): boolean {
    return tableIsTiny(table, this.project.usage?.());
  }

  /**
   * Whether the table may have indexes the schema cannot see: a partitioned table's partitions may carry their
   * own; a migration's index statement on it could not be read.
   */
  mayHaveUnseenIndexes(table: TableInfo): boolean {
    return table.partitioned === true || table.unreadIndexDdl === true;
  }

  /**
   * Why the code at `range` of this file provably never runs (after an unconditional exit, or in a function
   * nothing in the project references: engine/sources/dead-code.ts), or undefined.
   */
  deadCode(range: Range): string | undefined {
    const sf = this.tsAst();
    return sf ? deadCodeReason(this.project, this.file.path, sf, range) : undefined;
  }

  report(d: ReportDescriptor): void {
    this.reports.push({ ...d, ruleId: this.ruleId });
  }
}
