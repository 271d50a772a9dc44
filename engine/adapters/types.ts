/**
 * The contract every data-library adapter fulfils (engine/adapters/<library>/index.ts).
 *
 * An adapter is the one place that knows a library: its module names, how its
 * clients, tags and repositories are made (the provenance tables), which of
 * its methods run raw SQL, how its query chains read as query sites, how its
 * entities name tables, its schema files, and the words and fix templates the
 * rules use for it. The shared machinery (provenance.ts, orm.ts, ts-sql.ts,
 * the rules) asks the registry (engine/adapters/index.ts) and names no library.
 *
 * Every hook is required: an adapter states "none" explicitly (kit `none`), so
 * a hook added here fails to compile until every library answers it.
 */
import type * as ts from 'typescript';
import type { SchemaReader } from '../schema/events';
import type { SchemaModel, SchemaProblem, TableInfo, NonPostgresFolder } from '../schema/types';
import type { Binding, Chain, ChainStep, ColumnUse, Origin, QuerySite, SiteDraft, Value } from '../sources/query-sites';
import type { Piece } from '../sources/sql-pieces';
import type { Fix, Range, SourceFile } from '../types';
import type { FilterValue } from './kit/filter-values';
import type { MigrationTool } from '../migrations/types';

/** A definition reached through imports (a declaration node in some project file). */
export interface DefinitionRef {
  file: string;
  node: ts.Node;
}

/** What an adapter may ask of provenance while rendering SQL (kept small on purpose). */
export interface ProvenanceLookup {
  resolve(expr: ts.Expression): Binding | undefined;
  definitionOf(id: ts.Identifier): DefinitionRef | undefined;
}

// ---------------------------------------------------------------------------
// Modules and provenance

export interface AdapterModules {
  /** Whether a module specifier is this library (`'pg'`, `'pg/lib/x'`, `'@nestjs/typeorm'` …). */
  owns(spec: string): boolean;
  /** The export a default import stands for (`import postgres from 'postgres'` → `postgres`); `*` for the namespace. */
  defaultExport(spec: string): string;
  /** The export a namespace import or `require()` stands for; `*` when it is the namespace itself. */
  namespaceExport(spec: string): string;
  /** A generated client imported from a project path (`../generated/prisma`): `imported` is this library's export. */
  generatedImport(spec: string, imported: string): boolean;
  /** Whether `generatedImport` may hold for this specifier with some imported name (the import prefilter asks it). */
  mayBeGenerated(spec: string): boolean;
}

export interface AdapterProvenance {
  /** A package export used as a value: sql tags, batching operators (`In`, `inArray`, `Op`). */
  exportBinding(name: string, origin?: Origin): Binding | undefined;
  /** `new X()` of a package export (`new Pool()`, `new PrismaClient()`). */
  construct(name: string, origin: Origin): Value | undefined;
  /** A call of a package export: factories (`postgres()`, `knex()`, `drizzle()`, `createPool()`, `pgTable()`). */
  callExport(name: string, call: ts.CallExpression, origin: Origin): Value | undefined;
  /**
   * Whether a call of a package export makes a client of a database other than PostgreSQL (`knex({ client: 'mysql2' })`,
   * a dialect imported from a package): a field declared with the library's client type but set to it holds none.
   */
  otherDatabase(name: string, call: ts.CallExpression): boolean;
  /** The instance a declared type stands for (`PoolClient`, `Repository<User>`). */
  typeInstance(name: string, typeArgs: readonly ts.TypeNode[] | undefined, origin: Origin): Value | undefined;
  /** A method call on a known instance that returns another known value (`ds.getRepository(User)`). */
  method(b: Binding, method: string, call: ts.CallExpression, origin: Origin): Value | undefined;
  /** A known instance called directly (`knex('users')`). */
  callInstance(b: Binding, call: ts.CallExpression, origin: Origin): Value | undefined;
  /** A property of a known instance (`prisma.user`, `dataSource.manager`). */
  property(b: Binding, name: string): Value | undefined;
  /** Property names of an instance that hold named members (`sequelize.models.User`). */
  registries: readonly string[];
  /** `instance.<registry>.<name>`. */
  registryMember(b: Binding, registry: string, name: string): Value | undefined;
  /** The client a callback receives from a method of `recv` (`$transaction(async (tx) => …)`). */
  callbackClient(recv: Value, method: string): Value | undefined;
  /** A decorator of this library on a parameter or property (`@InjectRepository(User)`). */
  injected(decorator: string, call: ts.CallExpression, origin: Origin): Value | undefined;
  /** A class extending this library's export `baseExport` is a repository of itself (`class User extends Model`). */
  modelClass(baseExport: string): boolean;
}

// ---------------------------------------------------------------------------
// Raw SQL

/** How a sql-tag template reads: `executes` when the template itself sends the statement. */
export interface TagInfo {
  executes: boolean;
  /** The template always runs one statement (even when it does not read like one). */
  runsStatement?: boolean;
  /** Methods of the template's value that add more SQL to it (sql-template-strings `SQL\`…\`.append(…)`). */
  appendMethods?: readonly string[];
}

/** What an interpolated helper call splices into a sql-tag template. */
export type Splice =
  /** Constant SQL text (`sql.raw('…')`, `Prisma.raw('…')`). */
  | { kind: 'text' }
  /** An identifier (`sql.identifier('x')`); `dotted`: `a.b` / `x as y` split into parts; `list`: an array of parts. */
  | { kind: 'name'; dotted: boolean; list: boolean };

/** The callee of a helper interpolated into a template. */
export type SpliceCallee =
  /** A package export called (`Prisma.raw(…)`). */
  | { kind: 'export'; name: string }
  /** A method of a known binding (`sql.identifier(…)`). */
  | { kind: 'method'; binding: Binding; method: string }
  /** A known binding called (`sql('users')`). */
  | { kind: 'call'; binding: Binding; argCount: number };

/** Helpers of the SQL extractor an adapter's placeholder rewriting may use. */
export interface BindKit {
  readonly sf: ts.SourceFile;
  /** Pieces of an expression whose whole value is constant text. */
  constString(e: ts.Expression): Piece[] | undefined;
}

export interface AdapterSql {
  /** Methods of `b` that run SQL given as their first argument: any string (`text`) or only sql-tag templates (`tag-only`). */
  sink(b: Binding, method: string): 'text' | 'tag-only' | undefined;
  /** Every method name `sink` may accept (a fast pre-filter). */
  sinkMethods: readonly string[];
  /** Method names that alone identify this library's client, whatever the receiver (`$queryRaw`). */
  clientMethods: readonly string[];
  /** Methods that run a sql-tag template given as their first argument even when the receiver is unknown. */
  templateRunners: readonly string[];
  /** A static sink on a package export (`CompiledQuery.raw('…')`). */
  exportSink(name: string, method: string): 'text' | undefined;
  /** Whether a sql-tag template is this library's: `member` is the tag's property (`sql.unsafe`), `called` a tag made by a call (`sql.type(x)`). */
  tag(b: Binding, member: string | undefined, called: boolean): TagInfo | undefined;
  /** A text sink that also takes expression fragments (`knex.raw('count(*)')`): only statements are sites. */
  textMayBeFragment: boolean;
  /** Rewrites the library's own placeholders into `$n` and fills `paramTexts`; undefined: the values array argument binds `$n`. */
  bindParams(pieces: Piece[], call: ts.CallExpression, method: string | undefined, kind: 'text' | 'tag-only', paramTexts: string[], kit: BindKit): Piece[] | undefined;
  /**
   * Exported types a query method of this library returns (`QueryResult`): a project method declared to
   * return one (an interface member `query(statement: string): Promise<QueryResult>`) runs its first argument.
   */
  resultTypes: readonly string[];
  /** A single `$n` after VALUES expands to many rows (postgres.js `${sql(rows)}`). */
  expandsValuesList: boolean;
  /** What a helper interpolated into a template splices. */
  splice(callee: SpliceCallee): Splice | undefined;
  /** A package export interpolated as a value that adds no SQL (`Prisma.empty`). */
  emptyFragment(name: string): boolean;
  /** The table a known binding stands for when interpolated into a template (a table object). */
  tableOf(b: Binding): string | undefined;
  /** The database column of property `prop` of a table object defined at `def`. */
  columnOf(def: DefinitionRef, prop: string): string | undefined;
}

// ---------------------------------------------------------------------------
// ORM chains and entities

/** A chain whose prefix resolved to a binding of this library, ready to interpret. */
export interface ChainQuery {
  chain: Chain;
  /** The steps after the bound prefix, trailing `.then/.catch/.finally` dropped. */
  steps: ChainStep[];
  last: ChainStep;
  binding: Binding;
  /** The outermost expression of the chain. */
  outer: ts.Expression;
  /** Whether the chain's value is consumed in a way that runs it (awaited, `.then`, Promise.all …). */
  runs: boolean;
}

/** How an entity, model or table object is declared in code. */
export interface EntityDecl {
  file: string;
  /** Table name as declared (or as the library derives it). */
  table: string;
  /** Candidates tried against the schema, in order. */
  candidates: string[];
  /** JS property → DB column (Drizzle column keys, TypeORM/Sequelize `name:`/`field:` options). */
  columns: Map<string, string>;
}

export interface AdapterOrm {
  /** A chain on a binding of this library → a query site draft, or undefined when it runs no query. */
  interpret(q: ChainQuery): SiteDraft | undefined;
  /** The declaration of entity `name` in `text` (a class, a table object), when this library declares it there. */
  entityDecl(file: string, text: string, name: string): EntityDecl | undefined;
  /** The schema table of an entity when the library names tables its own way (model names); undefined: by declaration. */
  entityTable(schema: SchemaModel, entity: string): { table?: TableInfo; name: string } | undefined;
  /** Whether the query returns one row (an object), not an array of rows. */
  readsOneRow(site: QuerySite, node: ts.Node): boolean;
  /** Methods that run the queries handed to them (in an array) at once (`$transaction([…])`, `db.batch([…])`). */
  batchRunners: readonly string[];
  /** Method names only this library's queries use (`findMany`, `findOneBy`): a call of one that resolves to nothing is listed as unresolved. */
  candidates: readonly string[];
  /**
   * Method names this library calls on a model's member (`create`, `update`, `delete`, `count` of `db.file`), too
   * common to list alone: a call of one on a member that names a model of the schema (entityTable) and resolves to
   * nothing is listed as unresolved.
   */
  modelCandidates: readonly string[];
  /**
   * Methods that run a builder of this library (`execute`): a call of one on a receiver bound to this
   * library's query builder that is not a recognised site is listed as unresolved (its statement could not be read).
   */
  runs: readonly string[];
}

// ---------------------------------------------------------------------------
// Schema sources

export interface AdapterSchema {
  /** Globs of the library's schema sources and configs, discovered without configuration. */
  globs: readonly string[];
  /** Folder names (at the project root) that hold the library's schema sources by convention. */
  schemaFolders: readonly string[];
  /** Folder names that hold the library's SQL migrations by convention (where a new migration goes). */
  migrationFolders: readonly string[];
  /** File extensions of the library's own schema files (`.prisma`). */
  fileExtensions: readonly string[];
  /** `model`: the library's schema file, applied after all SQL; `config`: read only for what it says about other databases. */
  fileKind(path: string): 'model' | 'config' | undefined;
  /** Tables declared by the library's model files (all together); they carry `origin` = the library. */
  /** `enums`: enum type names the model files declare (their columns are low-selectivity). */
  readModels(files: SourceFile[]): { tables: TableInfo[]; problems: SchemaProblem[]; applied: string[]; enums?: string[] };
  /** Folders a config or model file of the library declares to hold another database's SQL. */
  nonPostgresFolders(f: SourceFile): NonPostgresFolder[];
  /** The library's migration tools (Prisma Migrate, Drizzle Kit, Knex …): where a new index goes, in their format. */
  migrationTools: readonly MigrationTool[];
  /**
   * Readers of the library's TypeScript schema sources (`<library>/schema.ts`: Drizzle tables, entities,
   * models, migrations written in code): syntax tree → schema events (engine/schema/events.ts).
   */
  tsReaders: readonly SchemaReader[];
  /**
   * What a config file of the library says links schema files to a migrations folder (Drizzle Kit's
   * `schema` and `out`), as written (relative paths or globs); `schema` undefined when it is not literal.
   */
  schemaLink(f: SourceFile): SchemaLinkDecl | undefined;
}

/** A config's link from schema files (paths, folders or globs) to the folder its migrations are written to. */
export interface SchemaLinkDecl {
  schema: string[] | undefined;
  out: string;
}

// ---------------------------------------------------------------------------
// What rules ask: batching forms, fix templates, advice

/** A placeholder for the key array in fix texts. */
export type KeysPlaceholder = string;

/** A text edit inside the query call (absolute offsets); `KEYS` in a text is the key array. */
export interface FixPiece {
  start: number;
  end: number;
  text: string;
}

/** How a library's single-key query becomes the batched one. */
export interface Batched {
  pieces: FixPiece[];
  /** Field of a returned row holding the key. */
  rowField: string;
  /** Column (as written in the code) whose uniqueness decides Map vs grouped Map. */
  column: string;
  /**
   * one:       returns one row or null/undefined
   * one-throw: returns one row or throws
   * many:      returns an array of rows
   * result:    returns a driver result (`{ rows }`)
   * first-many: returns an array of at most one row (`.limit(1)`): the key's group cut to its first row
   * count:     returns a number; the batched form returns one row per key that has any, `{ <key>, _count: { _all } }`
   *            (Prisma `groupBy`): a key with none counts 0
   */
  shape: 'one' | 'one-throw' | 'many' | 'result' | 'first-many' | 'count';
  /**
   * A single-row read (`one`/`one-throw`/`first-many`) that may match several rows per key (`findFirst`,
   * `findOne`, `.limit(1)`) and states its order: on a key that is not unique it reads the first row of the
   * key's group, in the batched query's order (its `orderBy` kept), as the single query read the first row
   * in the same order. Without an order, which row is "first" is the query's business: no fix.
   */
  firstOfGroup?: boolean;
  /**
   * A single-row read on a key that may not be unique, with no order (`findFirst` without `orderBy`): it returns
   * some row of the key's group. Accepted only where any row of the group does as well as another, as in a
   * find-or-create loop that matches by name (rules/n-plus-one-prefetch-fix.ts); elsewhere no fix.
   */
  anyOfGroup?: boolean;
  /** The key is compared case-insensitively (Prisma `mode: 'insensitive'`): the rows and the lookups are keyed lower-cased. */
  caseInsensitive?: boolean;
  /** The batched read returns the model's whole rows (no select, include or omit), the shape a create returns. */
  wholeRows?: boolean;
  /**
   * The read's other filters as `row.field === value` tests (`organizationId`, `deletedAt: null`), when each is a
   * plain equality to a name or literal: a row the loop creates joins the Map only where it passes them, as only
   * then would the single read have found it. Absent: some filter is not one (then no find-or-create rewrite).
   */
  rowFilters?: { field: string; value: string }[];
  /**
   * A field the batched selection adds to carry the key, which the single query's rows did not have (Drizzle
   * `select({ id: t.id })` keyed by `t.parentId` gains `parentId: t.parentId`): offered only where the code reads
   * nothing but named fields of the rows, so the extra field is never seen.
   */
  addsField?: string;
  /**
   * The batched form's key list must not hold null (Drizzle's relational `{ in: keys }` is typed by the column's
   * non-null type): a key mapped from the element is dropped when null (it finds no row one by one either).
   */
  nonNullKeys?: boolean;
  /** What a missing single row reads as. */
  missing?: 'null' | 'undefined';
  /**
   * A `one-throw` read: the error the library throws for a missing row, as an expression given the key's text
   * (TypeORM `new EntityNotFoundError(User, …)`, which error handlers test by class or name), with what it
   * imports; absent: a plain `Error`.
   */
  notFound?: { text: (key: string) => string; imports: { module: string; name: string }[] };
  /** Keys compared as strings (raw drivers return bigint/numeric as strings). */
  stringKeys?: boolean;
  /** Rows are model instances read with `row.get('field')`. */
  getter?: boolean;
  /** The batched query fails on an empty key list: guard it. */
  guardEmpty?: boolean;
  imports?: { module: string; name: string }[];
  title: string;
}

export interface BatchInput {
  site: QuerySite;
  node: ts.Node;
  /** The source text that defines the table (entity class, model block), when known: eager relations, listeners. */
  tableText?: string;
  /** The expression of the element that keys the query (`user.id`). */
  key: ts.Expression;
  write: boolean;
  table: TableInfo | undefined;
  /**
   * The syntax that made the client or tag the query runs on (`postgres(url, options)`), in its own file, when
   * provenance knows it: options there may rename the columns of the rows (a camelCase transform).
   */
  client?: ts.Node;
}

export interface WriteInput {
  site: QuerySite;
  /** The per-row write: a call chain, or a tagged template that sends its statement (postgres.js). */
  call: ts.CallExpression | ts.TaggedTemplateExpression;
  /** The element variable and the collection's text. */
  el: string;
  coll: string;
  /** The key array's text for a key expression. */
  keys: (k: ts.Expression) => string;
  uses: ts.Identifier[];
  /** An insert whose row could collide with a unique key: a batched form must say how it treats a collision. */
  mayCollide?: boolean;
}

/** A per-row insert whose rows a loop collects into the array named `rows` (rules/n-plus-one-collect-fix.ts). */
export interface RowsInsertInput {
  call: ts.CallExpression;
  /** The row the per-row insert writes. */
  row: ts.ObjectLiteralExpression;
  rows: string;
  /** A row could collide with a unique key (insertMayCollide). */
  mayCollide: boolean;
  /** The source text that defines the table (model block, table call, entity class): the model's own name. */
  tableText?: string;
}

/**
 * The library's own input type of one row, for the array a loop collects the rows into: an untyped `const rows = []`
 * widens a literal field (`level: 'write'`) to `string`, which the library's enum- or literal-typed column rejects.
 */
export interface RowsType {
  /** The array's type (`Prisma.ProjectAccessCreateManyInput[]`). */
  type: string;
  imports?: { module: string; name: string }[];
}

/** A per-row keyed update whose values differ per row, collected as tuples `[key, ...values]` into the array `rows`. */
export interface RowsUpdateInput {
  call: ts.CallExpression;
  table: TableInfo;
  /** The source text that defines the table (model block, table call, entity class): auto-updated columns. */
  tableText: string;
  rows: string;
}

/** One statement for the collected tuples: what each row's tuple holds (key first), the statement, its imports. */
export interface RowsUpdate {
  tuple: ts.Expression[];
  text: string;
  title: string;
  imports?: { module: string; name: string }[];
}

export interface SelectInput {
  site: QuerySite;
  node: ts.CallExpression;
  fields: string[];
  file: string;
  /** Adds `key: value` to the options object (or as the only argument), when there is a place for it. */
  insertOption(key: string, value: string): Fix | undefined;
  /** Relations the read loads beside its row (AdapterRules.loadedRelations), which the selection must keep. */
  relations?: string[];
}

/** A list a write call hands the library, which inserts its elements one statement each (AdapterRules.nestedRowWrites). */
export interface NestedRowWrite {
  /** The list expression as written (`rows.map((r) => ({ … }))`). */
  list: ts.Expression;
  /** The collection it is made from: the receiver of `.map`, else the list itself. */
  collection: ts.Expression;
  /** The relation (or table) the rows go to, as written. */
  relation: string;
  advice: string;
  /** The one-statement form in place of the list write, when the rows are flat (no nested writes of their own). */
  rewrite?: FixPiece & { title: string };
}

export interface AdapterRules {
  /** How to batch, in the library's own words (n-plus-one message). */
  batchAdvice(site: QuerySite): string;
  /**
   * The decorators of entity methods the library runs once per entity a write is given (`remove(rows)` runs every
   * `@AfterRemove` method once per row), for this site's operation; undefined when the operation runs none.
   */
  entityListeners(site: QuerySite): string[] | undefined;
  /**
   * Lists inside a write call's arguments that the library writes one row at a time, one statement per element
   * (Prisma's nested `create: rows.map(…)`), each with the relation written and the advice in the library's words.
   */
  nestedRowWrites(site: QuerySite, call: ts.CallExpression): NestedRowWrite[];
  /** The library's word for a row limit in a call (`take`, `limit`). */
  limitWord: string;
  /** Rows come back with typed keys (numbers stay numbers, decimals are objects), not driver strings. */
  typedRowKeys: boolean;
  /**
   * Calls whose callback runs every query on its parameter in one transaction, as the chain's method names
   * from the receiver (`$transaction`, `transaction`, `transaction.execute` for `db.transaction().execute(cb)`).
   * Inside one, N statements fail or commit together, as one batched statement does.
   */
  transactionCallbacks: readonly string[];
  /** The single-key query rewritten to take the key array (read, or write with `write`). */
  batchedRead(input: BatchInput): Batched | undefined;
  /** A per-element write the generic rewrites do not cover, as one statement (`createMany`, `updateMany`). */
  batchedWrite(input: WriteInput): { text: string; title: string; skipsConflicts?: boolean; guardEmpty?: boolean } | undefined;
  /**
   * One INSERT of collected rows in place of a per-row insert whose call takes no array as it is (Prisma `create`
   * → `createMany`); libraries whose insert call takes an array use insertRowsCall instead.
   */
  insertRows(input: RowsInsertInput): { text: string; title: string; rowsType?: RowsType } | undefined;
  /**
   * A keyed update with per-row values as one raw `UPDATE … FROM unnest(…)` where the library runs raw SQL
   * (kit/rows-update.ts); undefined when the call is not a plain keyed update or a column is not plain.
   */
  rowsUpdate(input: RowsUpdateInput): RowsUpdate | undefined;
  /** The call of a chain that takes the row(s) of an insert, when it accepts an array of rows. */
  insertRowsCall(calls: ts.CallExpression[], methods: string[]): ts.CallExpression | undefined;
  /** The type of the rows array that insertRowsCall's call takes (Drizzle `(typeof t.$inferInsert)[]`), when the library names one. */
  insertRowsType(calls: ts.CallExpression[], methods: string[]): RowsType | undefined;
  /**
   * A single-row create (`create({ data })`) that returns the new row whole, as the library's batched reads of the
   * table return rows (Batched.wholeRows): the find-or-create prefetch adds it to its Map.
   */
  createReturnsRow(call: ts.CallExpression): boolean;
  /** Whether the site writes, looking at its chain (`node`, when at hand) or its source text too. */
  isWrite(site: QuerySite, node: ts.Node | undefined, text: string): boolean;
  /** An explicit column selection in the library's syntax. */
  selectColumns(input: SelectInput): Fix | undefined;
  /** Index of the options argument of a call (after an entity argument where the library takes one first). */
  optionsArgIndex(call: ts.CallExpression): number;
  /**
   * The relations a read loads beside its own row while still fetching every column of that row (Prisma
   * `include: { tracks: true }`, Drizzle `with: { labels: true }`, TypeORM `relations: ['user']`): their names,
   * when the options are written out (an object literal, no spread); undefined when it loads none that way
   * (a read that loads relations is then not judged by over-fetching).
   */
  loadedRelations(call: ts.CallExpression): string[] | undefined;
  /** A lookup the library guarantees to use a unique index (`findUnique`, `findByPk`). */
  uniqueLookup(site: QuerySite): boolean;
  /**
   * Relation filters in a `where` the query-site model leaves out: `keyPath` when they select rows by
   * key, `fkColumns` the foreign-key columns a to-one relation filter constrains; `fkFilters`, where the
   * library compares them with the parent's key itself (TypeORM `{ account: { id } }`), those columns as
   * equality filters of the call, written where the relation is; `orColumns`, the join columns each branch of an
   * OR constrains (columns every branch constrains are in `fkColumns` too: PostgreSQL factors them out of the OR).
   */
  relationFilters(call: ts.CallExpression, table: TableInfo, ignore: (field: string, value: ts.Expression) => boolean): { keyPath: boolean; fkColumns: string[]; fkFilters?: ColumnUse[]; orColumns?: OrColumns[] } | undefined;
  /**
   * The reads the library runs on other tables for the call, through relations (Prisma `include`, relation filters):
   * each judged like a call of its own. Empty for a library that runs none the query-site model leaves out.
   */
  relatedReads(call: ts.CallExpression, table: TableInfo, schema: SchemaModel): RelatedRead[];
  /**
   * Every table whose rows the call loads beside its own (Prisma `include`/`select` of relations, nested too), when
   * all of it is written out and known to the schema; `[]` for a call loading none, undefined when unknown. A loop
   * that writes none of them (nor the call's own table) cannot change what the call reads.
   */
  loadedTables(call: ts.CallExpression, table: TableInfo, schema: SchemaModel): TableInfo[] | undefined;
  /** What a filter of the site compares its column to (NULL, literals, a bounded range): selectivity and partial indexes. */
  filterValue(sf: ts.SourceFile, use: ColumnUse): FilterValue;
  /**
   * A filter key the library reads as a path into a JSON column (Sequelize `where: { 'meta.id': v }` sends
   * `(meta #>> '{id}') = v`): the column and the path, when the key is one; undefined for every key of a library
   * without path keys.
   */
  jsonPath(key: string): { column: string; path: string[] } | undefined;
}

/**
 * Join columns the relation filters of one branch of an OR constrain (TypeORM `where: [{ user: { id }, name }, …]`):
 * equalities of that branch only. `group`/`branch` as ColumnUse.or tags the branch's own filters.
 */
export interface OrColumns {
  group: number;
  branch: number;
  columns: string[];
}

/** A read on another table that a call runs through a relation (AdapterRules.relatedReads). */
export interface RelatedRead {
  table: TableInfo;
  /**
   * `load`: rows loaded beside the call's own, by the relation's columns (`keys`);
   * `filter`: a relation filter's subquery or join, selected by the filters written inside it.
   */
  via: 'load' | 'filter';
  /**
   * The relation's columns of `table`, compared with the keys of the rows already read (`"userId" IN (…)`): always for
   * a load; for a relation filter's subquery, a way in when the call's own rows are reached first.
   */
  keys?: ColumnUse[];
  /** For messages: `the load of \`orgMemberships\``, `the relation filter \`members: { some }\``. */
  label: string;
  /** Where the relation is written. */
  range: Range;
  filters: ColumnUse[];
  /** A term of its filter the adapter could not read. */
  opaqueFilter?: boolean;
  orderBy: ColumnUse[];
  /**
   * A to-one relation filter through a foreign key the call's own table holds (`user: { email }` on a table with
   * `userId`): those columns, which join the other table's rows to the call's (an equality from a reached table).
   */
  joinColumns?: ColumnUse[];
  /** Written inside another relation's options: its joins are that relation's, not the call's. */
  nested?: true;
}

/** One data library. `Id` is its registry key (engine/adapters/index.ts). */
export interface Adapter<Id extends string = string> {
  id: Id;
  /** The library as people write it (`Prisma`, `postgres.js`). */
  displayName: string;
  modules: AdapterModules;
  provenance: AdapterProvenance;
  sql: AdapterSql;
  orm: AdapterOrm;
  schema: AdapterSchema;
  rules: AdapterRules;
}
