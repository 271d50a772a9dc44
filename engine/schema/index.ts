/**
 * Schema discovery: which files are schema sources, and the schema model
 * they build when applied in order. See types.ts for the model.
 */
import picomatch from 'picomatch';
import type { QuerylensConfig } from '../config';
import { parserReady } from '../sql/parser';
import type { SourceFile } from '../types';
import { blankPsqlMeta, foreignDialect, foreignDialectFolder, isPgDump, orderSchemaFiles, sourceKind, substitutePsqlVariables, upSection, STATS_FILE_NAME, TS_RANK } from './order';
import { adapters, allAdapters, LIBRARY_SCHEMA_EXTENSIONS, LIBRARY_SCHEMA_GLOBS, librarySchemaFile, schemaReaders, type Library } from '../adapters';
import { isTsLike, tsSourceFile } from '../sources/ts-ast';
import { applyDeclarations, applyEvents, type TsSchemaOutput } from './events';
import { type ModuleHost, Values } from './ts-values';
import { applySqlFile, seedTable, tableKey } from './sql-ddl';
import { emptySchema, nonPostgresFolder, type ForeignKeyInfo, type NonPostgresFolder, type SchemaModel, type TableInfo } from './types';
import { parseSnapshot } from '../stats/snapshot';
import { mergeDeclarations, mergeModelTable, type DeclaredTables } from './model-merge';

export * from './types';
export { orderSchemaFiles, naturalCompare, comparePaths, compareSources, sourceKind, foreignDialect, foreignDialectFolder, isPgDump } from './order';
export { predicateText, normalizeType } from './sql-ddl';

/** Every folder the project's own configuration declares to hold another database's SQL (AdapterSchema.nonPostgresFolders). */
export function nonPostgresFolders(files: readonly SourceFile[]): NonPostgresFolder[] {
  const out: NonPostgresFolder[] = [];
  for (const f of files) for (const a of allAdapters) out.push(...a.schema.nonPostgresFolders(f));
  return out;
}

/** Where schemas live without configuration (mission §3). */
export const DISCOVERED_SCHEMA_GLOBS = [
  '**/migrations/**/*.sql',
  '**/migration/**/*.sql',
  '**/db/schema.sql',
  '**/schema.sql',
  '**/structure.sql',
  `**/${STATS_FILE_NAME}`,
  // The libraries' own layouts and schema files (AdapterSchema.globs).
  ...LIBRARY_SCHEMA_GLOBS,
];

/** Folders that hold schema sources by convention, at the project root. */
export const SCHEMA_FOLDERS: readonly string[] = ['migrations', 'db', ...allAdapters.flatMap((a) => a.schema.schemaFolders)];

/** Extensions of schema files: `.sql` and the libraries' own schema files. */
export const SCHEMA_FILE_EXTENSIONS: readonly string[] = ['.sql', ...LIBRARY_SCHEMA_EXTENSIONS];

/** Whether a path has the extension of a library's own schema file (not `.sql`, not TypeScript). */
export function isLibrarySchemaFile(path: string): boolean {
  return LIBRARY_SCHEMA_EXTENSIONS.some((e) => path.endsWith(e));
}

/** Globs an editor watches for schema changes: SQL, the libraries' schema files and their usual places. */
export const SCHEMA_WATCH_GLOBS: readonly string[] = [
  ...new Set(['**/*.sql', ...LIBRARY_SCHEMA_GLOBS.filter((g) => !g.endsWith('.sql')), ...LIBRARY_SCHEMA_EXTENSIONS.map((e) => `**/*${e}`)]),
];

const discovered = picomatch(DISCOVERED_SCHEMA_GLOBS, { dot: true });

/**
 * What a numbered migration does, at the start of a statement: DDL (also one that only drops, alters a type or
 * an index, or guards its DDL in a `DO` block), and the data a migration writes (seed rows, backfills). A numbered
 * file that only reads is a query file.
 */
const MIGRATION_STATEMENT =
  /(?:^|;)\s*(?:CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:UNLOGGED|TEMP(?:ORARY)?)\s+)?(?:TABLE|(?:UNIQUE\s+)?INDEX|TYPE|EXTENSION|SCHEMA|SEQUENCE|(?:MATERIALIZED\s+)?VIEW)|ALTER\s+(?:TABLE|INDEX|TYPE|SEQUENCE|MATERIALIZED\s+VIEW)|DROP\s+(?:TABLE|INDEX|TYPE|EXTENSION|SCHEMA|SEQUENCE|(?:MATERIALIZED\s+)?VIEW)|DO\s+(?:\$|')|INSERT\s+INTO|UPDATE\s|DELETE\s+FROM)/i;
/** The same, DDL only: what makes a file in a numbered migration folder (`20240101120000_x/migration.sql`) a schema source. */
const FOLDER_STATEMENT =
  /(?:^|;)\s*(?:CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:UNLOGGED|TEMP(?:ORARY)?)\s+)?(?:TABLE|(?:UNIQUE\s+)?INDEX|TYPE|EXTENSION|SCHEMA|SEQUENCE|(?:MATERIALIZED\s+)?VIEW)|ALTER\s+(?:TABLE|INDEX|TYPE|SEQUENCE|MATERIALIZED\s+VIEW)|DROP\s+(?:TABLE|INDEX|TYPE|EXTENSION|SCHEMA|SEQUENCE|(?:MATERIALIZED\s+)?VIEW)|DO\s+(?:\$|'))/i;
const CREATE_TABLE = /(?:^|;)\s*CREATE\s+(?:UNLOGGED\s+)?TABLE\b/i;
/** Numbered migration files: `001_init.sql`, `V2__users.sql`, `20240101120000-x.sql`, and a bare number (`0081.sql`). */
const NUMBERED = /(?:^|\/)[Vv]?\d+(?:(?:[._-]|__)[^/]*)?\.sql$/;
/**
 * A file in a numbered folder under a folder named for migrations: Prisma's `migrations/20240101120000_x/migration.sql`
 * (also `postgresql-migrations/`), `migrations/default/0003_x/up.sql`. A dated folder elsewhere is a document or a
 * report (refly's `specs/change/20260224-x/migration.sql`, a spec's sketch of a change the Prisma schema already holds).
 */
const IN_NUMBERED_FOLDER = /(?:^|\/)[^/]*migrat[^/]*\/(?:[^/]+\/)*\d+(?:[._-]|__)[^/]*\/[^/]+\.sql$/i;

/** Whether a file is a schema source by what it holds: a pg_dump, numbered DDL, CREATE TABLE, a TypeScript schema. */
function schemaByContent(path: string, text: string): boolean {
  const lower = path.toLowerCase();
  if (lower.endsWith('.sql')) {
    if (isPgDump(text)) return true;
    // Comments of either kind are blanked: a file may open with a block comment (`/* init_order = 1 */`) before its CREATE TABLE.
    const blanked = text.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
    return CREATE_TABLE.test(blanked) || (NUMBERED.test(path) && MIGRATION_STATEMENT.test(blanked)) || (IN_NUMBERED_FOLDER.test(path) && FOLDER_STATEMENT.test(blanked));
  }
  if (isTsLike(path)) return schemaReaders.some((r) => r.detect(text));
  return false;
}

/**
 * Whether a file is a schema source. Paths alone decide for the usual places; with its text, a file
 * is also one by content (a pg_dump anywhere, numbered .sql files with DDL, a .sql file creating
 * tables, a TypeScript schema or migration a reader knows). Copies under `schema.exclude` (docs/,
 * examples/ …) are not, unless `schema.sources` names them.
 */
export function isSchemaSource(path: string, config: QuerylensConfig, text?: string): boolean {
  // The CLI asks about every file three times (loading it, schema discovery, the prefilter's seeds), and by path
  // alone in between (schema discovery first, the list of files to analyse): per path, the last answer for a text
  // (the same string object while unchanged) and the answer by path alone are kept, with the configuration.
  const { sources, exclude, discover } = config.schema;
  let known = schemaSourceAnswers.get(config.schema);
  if (!known || known.sources !== sources || known.exclude !== exclude || known.discover !== discover) {
    schemaSourceAnswers.set(config.schema, (known = { sources, exclude, discover, byPath: new Map() }));
  }
  const byPath = known.byPath;
  let hit = byPath.get(path);
  if (!hit) byPath.set(path, (hit = {}));
  if (text === undefined) return (hit.byPathAlone ??= isSchemaSourceUncached(path, config, undefined));
  if (hit.text === text && hit.is !== undefined) return hit.is;
  const is = isSchemaSourceUncached(path, config, text);
  hit.text = text;
  hit.is = is;
  return is;
}

/** Per path: the answer for one text (`is`, for `text`) and the answer by path alone. */
interface SchemaSourceAnswer {
  text?: string;
  is?: boolean;
  byPathAlone?: boolean;
}

const schemaSourceAnswers = new WeakMap<QuerylensConfig['schema'], { sources: string[]; exclude: string[]; discover: boolean; byPath: Map<string, SchemaSourceAnswer> }>();

function isSchemaSourceUncached(path: string, config: QuerylensConfig, text?: string): boolean {
  if (path.includes('node_modules/')) return false;
  // Down migrations undo the schema; they are never a source (see order.ts).
  if (sourceKind(path, text) === 'down') return false;
  if (config.schema.sources.length > 0 && sourcesMatcher(config.schema.sources)(path)) return true;
  if (!config.schema.discover || sourcesMatcher(config.schema.exclude)(path)) return false;
  if (discovered(path)) return true;
  return text !== undefined && schemaByContent(path, text);
}

/**
 * Whether a file may be a schema source, from its path alone: what an adapter must read to decide
 * with `isSchemaSource(path, config, text)`. False for files that cannot be one (images, JSON, …).
 */
export function mayBeSchemaSource(path: string, config: QuerylensConfig): boolean {
  if (path.includes('node_modules/')) return false;
  if (config.schema.sources.length > 0 && sourcesMatcher(config.schema.sources)(path)) return true;
  if (!config.schema.discover || sourcesMatcher(config.schema.exclude)(path)) return false;
  return discovered(path) || /\.sql$/i.test(path) || isTsLike(path);
}

/** What schema building may ask the project: other files for names a schema source imports, and a memo. */
export interface SchemaHost extends ModuleHost {
  memo?<T>(key: string, text: string, compute: () => T): T;
}

/** A TypeScript schema source read by the first reader that finds something in it. */
export function readTsSchema(f: SourceFile, host: SchemaHost | undefined): TsSchemaOutput | undefined {
  const compute = (): TsSchemaOutput | undefined => {
    const readers = schemaReaders.filter((r) => r.detect(f.text));
    if (!readers.length) return undefined;
    const sf = host?.parse(f.path) ?? tsSourceFile(f.path, f.text);
    const values = new Values(sf, f.path, host);
    for (const r of readers) {
      try {
        const out = r.read(sf, values);
        if (out?.events.length) return out;
      } catch (e) {
        return { kind: 'migration', library: r.library, events: [{ op: 'problem', at: { start: 0, end: 0 }, message: `${r.library} schema not read: ${e instanceof Error ? e.message : String(e)}` }] };
      }
    }
    return undefined;
  };
  return host?.memo ? host.memo(`schema-ts:${f.path}`, f.text, compute) : compute();
}

/** `schema.sources` compiled once per config (a 6 KB brace glob recompiled per call took ≈ 100 s over 60 files). */
const compiledSources = new WeakMap<readonly string[], (path: string) => boolean>();

export function sourcesMatcher(globs: readonly string[]): (path: string) => boolean {
  let m = compiledSources.get(globs);
  if (!m) {
    // picomatch throws on an empty pattern; the config refuses those, a caller that did not validate gets none.
    const usable = globs.filter((g) => g.trim() !== '');
    compiledSources.set(globs, (m = usable.length ? picomatch(usable, { dot: true }) : () => false));
  }
  return m;
}

/**
 * Builds the schema from its sources. Files are applied in migration order
 * (see orderSchemaFiles in order.ts: dumps, then migrations by natural sort —
 * SQL files and TypeScript migrations together, each tool's own order within
 * its folder — then declarations: the libraries' model files and TypeScript
 * declarations (Drizzle tables, TypeORM entities, Sequelize models), then the
 * stats snapshot, then config); a statement that does not parse is skipped
 * and reported in `problems`, never fatal.
 *
 * Model merging: when SQL or a TypeScript migration defines a table that a
 * model maps to, the migration is the truth for columns and indexes (it is what
 * the database has; the model may be ahead of the migrations while someone
 * edits it), and the model contributes its name (`modelName`, `modelDefinedAt`)
 * and field names (`ColumnInfo.fieldName`). Models no migration defines are
 * added from the model alone (origin: the library). Foreign keys: the
 * migrations', plus model relations the migrations do not declare.
 */
export function buildSchema(files: SourceFile[], config: QuerylensConfig, host?: SchemaHost): SchemaModel {
  const model = emptySchema();
  const tsOut = new Map<string, TsSchemaOutput>();
  for (const f of files) {
    if (sourceKind(f.path, f.text) !== 'ts') continue;
    const out = readTsSchema(f, host);
    if (out) tsOut.set(f.path, out);
  }
  const rankOf = (f: SourceFile): number | undefined => {
    const out = tsOut.get(f.path);
    return out ? (out.kind === 'migration' && out.order !== undefined ? TS_RANK.keyedMigration : TS_RANK[out.kind]) : undefined;
  };
  // Folders the project's own config declares to be another database's (a config's `dialect`, a schema's `provider`).
  const foreign = nonPostgresFolders(files);
  if (foreign.length) model.nonPostgres = foreign;
  const state: BuildState = { model, tsOut, config, modelFiles: new Map(), statsFiles: [], skippedIn: new Map(), pathFolderProblems: new Map() };
  const ordered = orderSchemaFiles(files, rankOf, (f) => tsOut.get(f.path)?.order);
  const declared = seedDeclarations(state, ordered);
  for (const f of ordered) applySource(state, f);
  applyModelFiles(state);
  if (declared) {
    mergeDeclarations(model, declared);
    model.sources.push(...declared.paths);
    model.declarations = declared.paths;
  }
  reportSkippedFolders(state);
  const other = otherDatabaseEvidence(model);
  if (other) {
    model.otherDatabase = other;
    model.problems.push({
      file: other.file,
      range: other.range,
      message: `${other.evidence}: these schema sources are another database's (SQLite, MySQL), not PostgreSQL; the queries that run against them are not judged by the SQL rules`,
    });
  }
  for (const f of state.statsFiles) {
    applyStats(model, f);
    model.sources.push(f.path);
  }
  applyConfig(model, config);
  return model;
}

/** What buildSchema carries from one source to the next. */
interface BuildState {
  model: SchemaModel;
  tsOut: Map<string, TsSchemaOutput>;
  config: QuerylensConfig;
  /** Library model files (schema.prisma …), applied after the migrations. */
  modelFiles: Map<Library, SourceFile[]>;
  statsFiles: SourceFile[];
  /** Schema files skipped in each folder that belongs to another database. */
  skippedIn: Map<NonPostgresFolder, number>;
  /** Folders named after another database get their one problem where their first file comes; its message is completed at the end. */
  pathFolderProblems: Map<NonPostgresFolder, SchemaModel['problems'][number]>;
}

interface Declared extends DeclaredTables {
  paths: string[];
}

/**
 * TypeScript declarations (tables first, then keys across files) make a model of their own, whose
 * tables are in place before the migrations run: a migration may add an index to a table only a
 * declaration (and a schema push) created; a migration that creates the table replaces it.
 */
function seedDeclarations(state: BuildState, ordered: SourceFile[]): Declared | undefined {
  const { model, tsOut } = state;
  const declarations: { path: string; text: string; events: TsSchemaOutput['events']; library: string }[] = [];
  for (const f of ordered) {
    const out = tsOut.get(f.path);
    if (out?.kind === 'declaration' && !nonPostgresFolder(model, f.path) && !foreignDialect(f.path)) declarations.push({ path: f.path, text: f.text, events: out.events, library: out.library });
  }
  if (!declarations.length || !parserReady()) return undefined;
  const declared = emptySchema();
  const keys = new Map<TableInfo, ForeignKeyInfo[] | undefined>();
  applyDeclarations(declared, declarations);
  model.problems.push(...declared.problems);
  const libraryOf = new Map(declarations.map((d) => [d.path, d.library]));
  const named = new Set(declarations.flatMap((d) => d.events.flatMap((e) => (e.op === 'createTable' && e.table.schema ? [tableKey(e.table.schema, e.table.name)] : []))));
  const explicitSchema = new Set<TableInfo>();
  for (const t of declared.tables.values()) {
    if (named.has(tableKey(t.schema, t.name))) explicitSchema.add(t);
    const lib = libraryOf.get(t.definedAt?.file ?? '');
    if (lib && lib in adapters) t.origin = lib as Library;
    keys.set(t, t.foreignKeys?.map((f) => ({ ...f, columns: [...f.columns], refColumns: [...f.refColumns] })));
    seedTable(model, t);
  }
  return { schema: declared, keys, explicitSchema, paths: declarations.map((d) => d.path) };
}

/** One schema source in migration order: applied (SQL, TypeScript migrations), set aside (models, stats), or skipped with its reason. */
function applySource(state: BuildState, f: SourceFile): void {
  const { model } = state;
  const kind = sourceKind(f.path, f.text);
  if (kind === 'dialect-config') return;
  const under = kind === 'model' ? undefined : nonPostgresFolder(model, f.path);
  if (under) {
    state.skippedIn.set(under, (state.skippedIn.get(under) ?? 0) + 1);
    return;
  }
  const dialect = foreignDialect(f.path);
  if (dialect && kind !== 'stats') return skipForeignDialect(state, f, kind, dialect);
  if (kind === 'ts') {
    const out = state.tsOut.get(f.path);
    if (out?.kind === 'migration' && parserReady()) {
      applyEvents(model, f.path, f.text, out.events);
      model.sources.push(f.path);
    }
    return;
  }
  if (kind === 'model') {
    const lib = librarySchemaFile(f.path)?.library;
    if (lib) {
      const list = state.modelFiles.get(lib) ?? [];
      list.push(f);
      state.modelFiles.set(lib, list);
    }
    return;
  }
  if (kind === 'stats') {
    state.statsFiles.push(f);
    return;
  }
  applySqlSource(state, f);
}

/** A folder named after another database (`db/clickhouse/`): one problem for the folder, and its .sql files are not linted. */
function skipForeignDialect(state: BuildState, f: SourceFile, kind: ReturnType<typeof sourceKind>, dialect: string): void {
  const { model } = state;
  const folder = kind === 'model' ? undefined : foreignDialectFolder(f.path);
  if (folder !== undefined) {
    const d: NonPostgresFolder = { folder, database: dialect, file: f.path, evidence: `the path names ${dialect}` };
    (model.nonPostgres ??= []).push(d);
    state.skippedIn.set(d, 1);
    model.problems.push({ file: f.path, message: '' });
    state.pathFolderProblems.set(d, model.problems[model.problems.length - 1]);
    return;
  }
  if (kind !== 'ts') model.problems.push({ file: f.path, message: `the path names ${dialect}: not a PostgreSQL schema source; skipped` });
}

function applySqlSource(state: BuildState, f: SourceFile): void {
  const { model } = state;
  if (!f.path.toLowerCase().endsWith('.sql')) {
    model.problems.push({ file: f.path, message: `not a schema source querylens reads (${[...SCHEMA_FILE_EXTENSIONS, 'TypeScript schemas and migrations', STATS_FILE_NAME].join(', ')}); ignored` });
    return;
  }
  if (!parserReady()) {
    model.problems.push({ file: f.path, message: 'SQL parser not initialised (initParser() was not awaited); file not applied' });
    return;
  }
  try {
    const up = blankPsqlMeta(upSection(f.text));
    const vars = substitutePsqlVariables(up, state.config.schema.variables);
    const applied = vars ? applySqlFile(model, f.path, vars.text, vars.offsetOf ? { text: f.text, offsetOf: vars.offsetOf } : undefined) : applySqlFile(model, f.path, up);
    if (applied) model.sources.push(f.path);
  } catch (e) {
    model.problems.push({ file: f.path, message: `schema file not applied: ${e instanceof Error ? e.message : String(e)}` });
  }
}

/** The libraries' model files (schema.prisma …), merged over what the migrations built. */
function applyModelFiles(state: BuildState): void {
  const { model } = state;
  for (const [lib, files] of state.modelFiles) {
    try {
      const { tables, problems, applied, enums } = adapters[lib].schema.readModels(files);
      model.problems.push(...problems);
      // Enum types the SQL did not create (labels unknown: only the type's kind matters to selectivity).
      for (const e of enums ?? []) if (!model.enums?.has(e)) (model.enums ??= new Map()).set(e, []);
      for (const t of tables) mergeModelTable(model, t);
      model.sources.push(...applied);
    } catch (e) {
      model.problems.push({ file: files[0].path, message: `${adapters[lib].displayName} schema not applied: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
}

/** One problem per folder of another database, saying how many schema files it skipped. */
function reportSkippedFolders(state: BuildState): void {
  for (const [d, n] of state.skippedIn) {
    const placed = state.pathFolderProblems.get(d);
    if (placed) {
      placed.message =
        n === 1
          ? `${d.evidence}: not a PostgreSQL schema source; skipped, and .sql files under ${d.folder}/ are not linted`
          : `${d.evidence}: not a PostgreSQL schema source; the ${n} schema files under ${d.folder}/ are skipped, and .sql files there are not linted`;
      continue;
    }
    state.model.problems.push({
      file: d.file,
      line: d.line,
      message: `${d.evidence}: ${d.database}, not PostgreSQL; the ${n} schema file${n === 1 ? '' : 's'} under ${d.folder || '.'}/ ${n === 1 ? 'is' : 'are'} skipped, and .sql files there are not linted`,
    });
  }
}

/** Finds the table a config or stats key names: `name` or `schema.name`, exact, then model name, then case-insensitively. */
/**
 * Table lookup by a config or stats key (`orders`, `public.orders`, a Prisma
 * model name, a case-folded name), indexed once: 30,000 `tables` entries
 * looked up by scanning every table each were quadratic (67 s).
 */
class TableLookup {
  private byName = new Map<string, TableInfo[]>();
  private byModel = new Map<string, TableInfo[]>();
  private byFolded = new Map<string, TableInfo[]>();

  constructor(private readonly model: SchemaModel) {
    for (const t of model.tables.values()) this.add(t);
  }

  add(t: TableInfo): void {
    const push = (m: Map<string, TableInfo[]>, k: string) => {
      const l = m.get(k);
      if (l) l.push(t);
      else m.set(k, [t]);
    };
    push(this.byName, t.name);
    if (t.modelName) push(this.byModel, t.modelName);
    push(this.byFolded, t.name.toLowerCase());
  }

  find(key: string): TableInfo | undefined {
    const dot = key.indexOf('.');
    if (dot > 0) {
      const exact = this.model.tables.get(key);
      if (exact) return exact;
    }
    const schema = dot > 0 ? key.slice(0, dot) : undefined;
    const name = dot > 0 ? key.slice(dot + 1) : key;
    const inSchema = (l: TableInfo[] | undefined) => (l ?? []).filter((t) => !schema || t.schema === schema);
    const exact = inSchema(this.byName.get(name));
    if (exact.length) return exact.find((t) => t.schema === 'public') ?? exact[0];
    const byModel = inSchema(this.byModel.get(name))[0];
    if (byModel) return byModel;
    const folded = inSchema(this.byFolded.get(name.toLowerCase()));
    return folded.length === 1 ? folded[0] : undefined;
  }
}

/**
 * Applies the stats snapshot (engine/stats/snapshot.ts): row counts, column statistics and live
 * indexes go on the tables the schema knows; the workload (statements, plans) on the model.
 */
function applyStats(model: SchemaModel, f: SourceFile): void {
  const { snapshot, problems } = parseSnapshot(f.text);
  for (const p of problems) model.problems.push({ file: f.path, line: snapshot ? undefined : 1, message: p.message });
  if (!snapshot) return;
  model.stats = { file: f.path, snapshot };
  const index = new TableLookup(model);
  for (const [key, v] of Object.entries(snapshot.tables)) {
    // A table the snapshot knows but the schema does not (dropped since, or another database) is left out.
    const t = index.find(key);
    if (!t) continue;
    t.rows = v.rows;
    t.rowsSource = 'stats';
    t.stats = v;
  }
}

function applyConfig(model: SchemaModel, config: QuerylensConfig): void {
  const index = new TableLookup(model);
  for (const [key, tc] of Object.entries(config.tables ?? {})) {
    let t = index.find(key);
    if (!t) {
      if (tc.rows === undefined && tc.tiny === undefined) continue;
      const dot = key.indexOf('.');
      const schema = dot > 0 ? key.slice(0, dot) : 'public';
      const name = dot > 0 ? key.slice(dot + 1) : key;
      t = { name, schema, columns: new Map(), indexes: [], origin: 'config' };
      model.tables.set(tableKey(schema, name), t);
      index.add(t);
    }
    if (tc.rows !== undefined) {
      t.rows = tc.rows;
      t.rowsSource = 'config';
    }
    if (tc.tiny !== undefined) t.tiny = tc.tiny;
  }
}

/**
 * Column types PostgreSQL does not have (no such built-in type, no alias its grammar accepts) that SQLite
 * or MySQL migrations declare. A CREATE TABLE using one fails on PostgreSQL, so sources declaring one are
 * not PostgreSQL's (colanode's client package: Kysely migrations of a SQLite database, `data blob`).
 */
const OTHER_DATABASE_TYPES = new Set(['blob', 'tinyblob', 'mediumblob', 'longblob', 'clob', 'tinytext', 'mediumtext', 'longtext', 'tinyint', 'mediumint', 'datetime', 'nvarchar']);

/** The first column (in source order) whose declared type only another database has, unless an enum of that name exists. */
function otherDatabaseEvidence(model: SchemaModel): SchemaModel['otherDatabase'] {
  for (const t of model.tables.values()) {
    if (t.origin !== 'sql') continue;
    for (const c of t.columns.values()) {
      const type = c.type.replace(/\(.*$/, '').replace(/\[\]$/, '');
      if (!OTHER_DATABASE_TYPES.has(type) || model.enums?.has(type)) continue;
      const at = c.definedAt ?? t.definedAt;
      if (!at) continue;
      return { evidence: `column ${t.name}.${c.name} is declared \`${type}\`, a type PostgreSQL does not have`, file: at.file, range: at.range };
    }
  }
  return undefined;
}
