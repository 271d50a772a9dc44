/**
 * Schema events: what a TypeScript schema source (a Drizzle `pgTable`, a TypeORM entity, a Knex or
 * Kysely migration …) says about the database, in one vocabulary that names no library. Readers in
 * `engine/adapters/<library>/schema.ts` turn a syntax tree into events; this module applies them to a
 * SchemaModel by writing the DDL each event stands for and handing it to the SQL applier
 * (sql-ddl.ts), so defaults, renames, drops and name truncation behave exactly as PostgreSQL's.
 * Every definition an event makes is placed at the event's range in the TypeScript file.
 *
 * Names are passed as the library sends them to PostgreSQL (quoted: case kept). Types are SQL type
 * names as PostgreSQL spells them (`varchar(255)`, `timestamp with time zone`, `int4`); an unknown type
 * is `unknown`. Expressions and partial-index conditions are SQL text and go through the parser.
 */
import { looksLikeStatement } from '../sources/ts-sql';
import { LineIndex } from '../text';
import type { Range } from '../types';
import { applySqlText, tableKey } from './sql-ddl';
import type { SchemaModel, TableInfo } from './types';
import { quoteIdentAlways } from '../sql/ident';
import { applyRelations, type RelationEvent } from './relation-events';

export interface TableName {
  name: string;
  /** Omitted: the search path's first schema (public). */
  schema?: string;
}

/** A foreign key target: a table by name, or a model (class, table variable) resolved once every declaration is read. */
export interface RefTarget {
  table?: TableName;
  /** Model name (TypeORM entity class, Drizzle table variable, Sequelize model) for declarations read across files. */
  model?: string;
  /** Referenced columns; omitted: the primary key. */
  columns?: string[];
  /** Referenced model fields (property names), mapped to columns through the model's field names. */
  fields?: string[];
  /** The library's name for the key once the target is known (drizzle-kit: `<t>_<c>_<ref t>_<ref c>_fk`). */
  nameFor?: (target: { table: string; columns: string[] }) => string;
}

export interface ColumnSpec {
  name: string;
  /** SQL type name; undefined when not known. */
  type?: string;
  notNull?: boolean;
  primaryKey?: boolean | string;
  /** UNIQUE constraint: true (PostgreSQL's default name) or the name the library gives it. */
  unique?: boolean | string;
  references?: RefTarget & { name?: string };
  /** The name code uses for the column when it differs (a Drizzle key, a TypeORM property). */
  fieldName?: string;
  /** The values the column's declared TypeScript type names (Drizzle `.$type<'owner' | 'member'>()`): no constraint, a domain. */
  declaredValues?: string[];
  /** A constant default that is one word (`.default('member')`), written as `DEFAULT 'member'`. */
  defaultWord?: string;
}

export interface IndexSpec {
  /** Omitted: PostgreSQL's default (`<table>_<columns>_idx`). */
  name?: string;
  /** Column names, or SQL expressions as `{ expression }`. */
  keys: (string | { expression: string; opclass?: string })[];
  unique?: boolean;
  /** SQL text of a partial index's condition. */
  where?: string;
  method?: string;
  include?: string[];
  ifNotExists?: boolean;
}

export interface ForeignKeySpec {
  name?: string;
  columns: string[];
  /** Model fields of the referencing side, mapped to columns (Drizzle `foreignKey({ columns: [t.userId] })`). */
  fields?: string[];
  ref: RefTarget;
}

export type SchemaEvent = { at: Range } & (
  | {
      op: 'createTable';
      table: TableName;
      columns: ColumnSpec[];
      primaryKey?: { columns: string[]; name?: string };
      uniques?: { columns: string[]; name?: string }[];
      indexes?: IndexSpec[];
      foreignKeys?: ForeignKeySpec[];
      ifNotExists?: boolean;
      /** The model (class, table variable) declaring it, for code that names the model. */
      modelName?: string;
    }
  | { op: 'addColumn'; table: TableName; column: ColumnSpec; ifNotExists?: boolean }
  | { op: 'dropColumn'; table: TableName; column: string; ifExists?: boolean }
  | { op: 'renameColumn'; table: TableName; from: string; to: string }
  | { op: 'alterColumn'; table: TableName; column: string; type?: string; notNull?: boolean }
  | { op: 'renameTable'; table: TableName; to: string }
  | { op: 'dropTable'; table: TableName; ifExists?: boolean }
  | { op: 'addIndex'; table: TableName; index: IndexSpec }
  | { op: 'dropIndex'; name: string; schema?: string; ifExists?: boolean }
  | { op: 'addPrimaryKey'; table: TableName; columns: string[]; name?: string }
  | { op: 'addUnique'; table: TableName; columns: string[]; name?: string }
  | { op: 'addForeignKey'; table: TableName; fk: ForeignKeySpec }
  | { op: 'dropConstraint'; table: TableName; name: string; ifExists?: boolean }
  /** Raw SQL from the code (a string passed to the library's raw-SQL call); `at(i)` maps its offsets to the file's. */
  | { op: 'sql'; text: string; offsetOf?: (sqlOffset: number) => number; searchPath?: string[] }
  | { op: 'problem'; message: string }
  /**
   * A relation a model declares for the library's relational queries (Drizzle `relations(t, ({ one, many }) => …)`):
   * `fields` of this model hold `references` of the target's; without them (a `many`, the inverse side of a `one`),
   * the target's relation back to this model (same `relationName`) or its one foreign key to this table says how.
   */
  | { op: 'relation'; model: string; field: string; many: boolean; target: string; fields?: string[]; references?: string[]; relationName?: string }
);

/** What one reader says about one file. */
export interface TsSchemaOutput {
  /**
   * 'migration': applied in migration order with the project's other migrations (Knex, Kysely, TypeORM,
   * node-pg-migrate, Sequelize migrations). 'declaration': a model of the schema like schema.prisma
   * (Drizzle tables, TypeORM entities, Sequelize models), applied after every migration; where
   * migrations define a table, their columns and indexes win and the declaration adds its names.
   */
  kind: 'migration' | 'declaration';
  events: SchemaEvent[];
  /** The library, for messages and `querylens schema`. */
  library: string;
  /**
   * The tool's own order of its migrations when it is not the path's (TypeORM: the timestamp at the
   * end of the class name, across every migrations folder).
   */
  order?: string;
}

function qualified(t: TableName): string {
  return t.schema ? `${quoteIdentAlways(t.schema)}.${quoteIdentAlways(t.name)}` : quoteIdentAlways(t.name);
}

/** A type name as written when it is one (`varchar(30)`, `double precision`, `text[]`), else quoted as a name. */
export function typeSql(type: string | undefined): string {
  if (!type) return 'unknown';
  const t = type.trim();
  if (/^[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?(?: [A-Za-z_]+)*(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?: with(?:out)? time zone)?(?:\s*\[\s*\d*\s*\])*$/i.test(t)) return t;
  return quoteIdentAlways(t);
}

function columnSql(c: ColumnSpec): string {
  let s = `${quoteIdentAlways(c.name)} ${typeSql(c.type)}`;
  if (c.notNull) s += ' NOT NULL';
  if (c.defaultWord && /^[A-Za-z][A-Za-z_-]*$/.test(c.defaultWord)) s += ` DEFAULT '${c.defaultWord}'`;
  if (c.primaryKey) s += typeof c.primaryKey === 'string' ? ` CONSTRAINT ${quoteIdentAlways(c.primaryKey)} PRIMARY KEY` : ' PRIMARY KEY';
  if (c.unique) s += typeof c.unique === 'string' ? ` CONSTRAINT ${quoteIdentAlways(c.unique)} UNIQUE` : ' UNIQUE';
  if (c.references?.table) {
    const r = c.references;
    s += `${r.name ? ` CONSTRAINT ${quoteIdentAlways(r.name)}` : ''} REFERENCES ${qualified(r.table!)}${r.columns?.length ? ` (${r.columns.map(quoteIdentAlways).join(', ')})` : ''}`;
  }
  return s;
}

function constraintSql(kind: 'PRIMARY KEY' | 'UNIQUE', columns: string[], name?: string): string {
  return `${name ? `CONSTRAINT ${quoteIdentAlways(name)} ` : ''}${kind} (${columns.map(quoteIdentAlways).join(', ')})`;
}

function foreignKeySql(fk: ForeignKeySpec): string | undefined {
  if (!fk.ref.table || !fk.columns.length) return undefined;
  const cols = fk.ref.columns?.length ? ` (${fk.ref.columns.map(quoteIdentAlways).join(', ')})` : '';
  return `${fk.name ? `CONSTRAINT ${quoteIdentAlways(fk.name)} ` : ''}FOREIGN KEY (${fk.columns.map(quoteIdentAlways).join(', ')}) REFERENCES ${qualified(fk.ref.table)}${cols}`;
}

function indexSql(table: TableName, ix: IndexSpec): string {
  const keys = ix.keys.map((k) => (typeof k === 'string' ? quoteIdentAlways(k) : expressionKey(k.expression, k.opclass))).join(', ');
  const name = ix.name ? `${ix.ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteIdentAlways(ix.name)} ` : '';
  const using = ix.method && ix.method.toLowerCase() !== 'btree' ? ` USING ${ix.method}` : '';
  const include = ix.include?.length ? ` INCLUDE (${ix.include.map(quoteIdentAlways).join(', ')})` : '';
  const where = ix.where ? ` WHERE ${ix.where}` : '';
  return `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX ${name}ON ${qualified(table)}${using} (${keys})${include}${where}`;
}

/** An index key written as SQL: `lower("email")`, or a column with its order (`"started_at" DESC NULLS LAST`). */
function expressionKey(expression: string, opclass?: string): string {
  const m = /^([\s\S]*?)((?:\s+(?:ASC|DESC))?(?:\s+NULLS\s+(?:FIRST|LAST))?)\s*$/i.exec(expression.trim())!;
  let body = m[1].trim();
  // An operator class written after the key (`"data" jsonb_path_ops`); classes are named `…_ops`.
  const op = /^([\s\S]*?\S)\s+([A-Za-z_][\w.]*_ops)$/.exec(body);
  if (op) {
    body = op[1];
    opclass ??= op[2];
  }
  const key = /^(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)$/.test(body) ? body : `(${body})`;
  return `${key}${opclass ? ` ${opclass}` : ''}${m[2]}`;
}

/** The DDL an event stands for (empty for problems and raw SQL, which are applied as they are). */
export function eventSql(e: SchemaEvent): string[] {
  switch (e.op) {
    case 'createTable': {
      const parts = e.columns.map(columnSql);
      if (e.primaryKey?.columns.length) parts.push(constraintSql('PRIMARY KEY', e.primaryKey.columns, e.primaryKey.name));
      for (const u of e.uniques ?? []) if (u.columns.length) parts.push(constraintSql('UNIQUE', u.columns, u.name));
      for (const fk of e.foreignKeys ?? []) {
        const s = foreignKeySql(fk);
        if (s) parts.push(s);
      }
      const out = [`CREATE TABLE ${e.ifNotExists ? 'IF NOT EXISTS ' : ''}${qualified(e.table)} (${parts.join(', ')})`];
      for (const ix of e.indexes ?? []) out.push(indexSql(e.table, ix));
      return out;
    }
    case 'addColumn':
      return [`ALTER TABLE ${qualified(e.table)} ADD COLUMN ${e.ifNotExists ? 'IF NOT EXISTS ' : ''}${columnSql(e.column)}`];
    case 'dropColumn':
      return [`ALTER TABLE ${qualified(e.table)} DROP COLUMN ${e.ifExists ? 'IF EXISTS ' : ''}${quoteIdentAlways(e.column)}`];
    case 'renameColumn':
      return [`ALTER TABLE ${qualified(e.table)} RENAME COLUMN ${quoteIdentAlways(e.from)} TO ${quoteIdentAlways(e.to)}`];
    case 'alterColumn': {
      const out: string[] = [];
      if (e.type) out.push(`ALTER TABLE ${qualified(e.table)} ALTER COLUMN ${quoteIdentAlways(e.column)} TYPE ${typeSql(e.type)}`);
      if (e.notNull !== undefined) out.push(`ALTER TABLE ${qualified(e.table)} ALTER COLUMN ${quoteIdentAlways(e.column)} ${e.notNull ? 'SET' : 'DROP'} NOT NULL`);
      return out;
    }
    case 'renameTable':
      return [`ALTER TABLE ${qualified(e.table)} RENAME TO ${quoteIdentAlways(e.to)}`];
    case 'dropTable':
      return [`DROP TABLE ${e.ifExists ? 'IF EXISTS ' : ''}${qualified(e.table)}`];
    case 'addIndex':
      return e.index.keys.length ? [indexSql(e.table, e.index)] : [];
    case 'dropIndex':
      return [`DROP INDEX ${e.ifExists ? 'IF EXISTS ' : ''}${e.schema ? `${quoteIdentAlways(e.schema)}.` : ''}${quoteIdentAlways(e.name)}`];
    case 'addPrimaryKey':
      return [`ALTER TABLE ${qualified(e.table)} ADD ${constraintSql('PRIMARY KEY', e.columns, e.name)}`];
    case 'addUnique':
      return [`ALTER TABLE ${qualified(e.table)} ADD ${constraintSql('UNIQUE', e.columns, e.name)}`];
    case 'addForeignKey': {
      const s = foreignKeySql(e.fk);
      return s ? [`ALTER TABLE ${qualified(e.table)} ADD ${s}`] : [];
    }
    case 'dropConstraint':
      return [`ALTER TABLE ${qualified(e.table)} DROP CONSTRAINT ${e.ifExists ? 'IF EXISTS ' : ''}${quoteIdentAlways(e.name)}`];
    default:
      return [];
  }
}

/** Finds the table a model name stands for (set by createTable events with a modelName). */
export function tableOfModel(model: SchemaModel, name: string): TableInfo | undefined {
  for (const t of model.tables.values()) if (t.modelName === name) return t;
  return undefined;
}

export function columnsOfFields(t: TableInfo, fields: string[]): string[] | undefined {
  const out: string[] = [];
  for (const f of fields) {
    const c = [...t.columns.values()].find((x) => x.fieldName === f) ?? t.columns.get(f);
    if (!c) return undefined;
    out.push(c.name);
  }
  return out;
}

/**
 * Resolves model references of an event against the model built so far: `ref.model` → `ref.table`,
 * `ref.fields` → `ref.columns`, `fields` → `columns`. Returns false when a reference stays unknown
 * (the event is then not applied: a foreign key to a table nobody declares says nothing).
 */
function resolveRefs(model: SchemaModel, table: TableName | undefined, fk: ForeignKeySpec | (RefTarget & { name?: string })): boolean {
  const ref = 'ref' in fk ? fk.ref : fk;
  if (ref.model && !ref.table) {
    const t = tableOfModel(model, ref.model);
    if (!t) return false;
    ref.table = { name: t.name, schema: t.schema };
  }
  if (ref.fields?.length && !ref.columns?.length && ref.table) {
    const t = model.tables.get(tableKey(ref.table.schema ?? 'public', ref.table.name));
    const cols = t && columnsOfFields(t, ref.fields);
    if (!cols) return false;
    ref.columns = cols;
  }
  if ('ref' in fk && fk.fields?.length && !fk.columns.length && table) {
    const t = model.tables.get(tableKey(table.schema ?? 'public', table.name));
    const cols = t && columnsOfFields(t, fk.fields);
    if (!cols) return false;
    fk.columns = cols;
  }
  if (!fk.name && ref.nameFor && ref.table) {
    let cols = ref.columns ?? [];
    if (!cols.length) {
      const t = model.tables.get(tableKey(ref.table.schema ?? 'public', ref.table.name));
      cols = t?.indexes.find((i) => i.kind === 'primary')?.keys.map((k) => k.column ?? '') ?? [];
    }
    fk.name = ref.nameFor({ table: ref.table.name, columns: cols });
  }
  return true;
}

/** Applies one file's events, in order, to the model. */
export function applyEvents(model: SchemaModel, file: string, text: string, events: readonly SchemaEvent[]): void {
  const lines = new LineIndex(text);
  for (const e of events) applyEvent(model, file, lines, e);
}

export function applyEvent(model: SchemaModel, file: string, lines: LineIndex, e: SchemaEvent): void {
  if (e.op === 'problem') {
    model.problems.push({ file, line: lines.position(e.at.start).line + 1, range: { ...e.at }, message: e.message });
    return;
  }
  if (e.op === 'sql') {
    // A raw fragment inside a query (`knex.raw("array_append(tags, 'x')")`) is no statement of the schema.
    if (!looksLikeStatement(e.text)) return;
    const base = e.at.start;
    applySqlText(model, file, e.text, { at: e.offsetOf ?? ((i) => base + i), lines }, e.searchPath);
    return;
  }
  let ev = e;
  if (e.op === 'createTable' && (e.foreignKeys?.length || e.columns.some((c) => c.references))) {
    // References to models are resolved when applied (declarations apply tables first, keys after).
    ev = { ...e, foreignKeys: e.foreignKeys?.filter((fk) => resolveRefs(model, e.table, fk)), columns: e.columns.map((c) => (c.references && !resolveRefs(model, e.table, c.references) ? { ...c, references: undefined } : c)) };
  } else if (e.op === 'addForeignKey' && !resolveRefs(model, e.table, e.fk)) return;
  else if (e.op === 'addColumn' && e.column.references && !resolveRefs(model, e.table, e.column.references)) ev = { ...e, column: { ...e.column, references: undefined } };
  for (const sql of eventSql(ev)) applySqlText(model, file, sql, { at: () => e.at.start, place: e.at, lines });
  if (ev.op === 'createTable') {
    const t = model.tables.get(tableKey(ev.table.schema ?? 'public', ev.table.name));
    if (t) {
      if (ev.modelName) t.modelName = ev.modelName;
      for (const c of ev.columns) {
        const col = t.columns.get(c.name);
        if (col && c.fieldName && c.fieldName !== c.name) col.fieldName = c.fieldName;
        if (col && c.declaredValues) col.declaredValues = c.declaredValues;
      }
    }
  } else if (ev.op === 'addColumn' && (ev.column.fieldName || ev.column.declaredValues)) {
    const col = model.tables.get(tableKey(ev.table.schema ?? 'public', ev.table.name))?.columns.get(ev.column.name);
    if (col && ev.column.fieldName) col.fieldName = ev.column.fieldName;
    if (col && ev.column.declaredValues) col.declaredValues = ev.column.declaredValues;
  }
}

/**
 * Applies declarations (read from every declaring file) to a model of their own: every table first,
 * then the foreign keys, so that a key may name a model declared in a file read later.
 */
export function applyDeclarations(model: SchemaModel, files: readonly { path: string; text: string; events: readonly SchemaEvent[] }[]): void {
  const later: { file: string; lines: LineIndex; e: SchemaEvent }[] = [];
  const relations: RelationEvent[] = [];
  for (const f of files) {
    const lines = new LineIndex(f.text);
    for (const e of f.events) {
      if (e.op === 'createTable' && (e.foreignKeys?.length || e.columns.some((c) => c.references))) {
        applyEvent(model, f.path, lines, { ...e, foreignKeys: [], columns: e.columns.map((c) => ({ ...c, references: undefined })) });
        for (const fk of e.foreignKeys ?? []) later.push({ file: f.path, lines, e: { op: 'addForeignKey', at: e.at, table: e.table, fk } });
        for (const c of e.columns) {
          if (!c.references) continue;
          const { name, ...ref } = c.references;
          later.push({ file: f.path, lines, e: { op: 'addForeignKey', at: e.at, table: e.table, fk: { name, columns: [c.name], ref } } });
        }
      } else if (e.op === 'addForeignKey') later.push({ file: f.path, lines, e });
      else if (e.op === 'relation') relations.push(e);
      else applyEvent(model, f.path, lines, e);
    }
  }
  for (const l of later) applyEvent(model, l.file, l.lines, l.e);
  applyRelations(model, relations);
}

/**
 * A reader of one library's TypeScript schema sources (engine/adapters/<library>/schema.ts): a pure
 * function from a syntax tree to events. `detect` is a cheap test of the text (an import of the
 * library, a marker call) run on every project file; `read` runs only where it says yes.
 */
export interface SchemaReader {
  library: string;
  detect(text: string): boolean;
  /** Undefined (or no events) when the file declares nothing this reader knows. */
  read(sf: import('typescript').SourceFile, values: import('./ts-values').Values): TsSchemaOutput | undefined;
}
