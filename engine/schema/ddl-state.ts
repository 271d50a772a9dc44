/**
 * The DDL reader's state (sql-ddl.ts): the file being applied, problems, name resolution through the search path,
 * index details kept beside IndexInfo (expression ASTs, predicates) and the model edits every statement shares.
 */
import type { PgNode } from '../sql/parser';
import { exprKey } from '../sql/expr';
import type { LineIndex } from '../text';
import type { Range } from '../types';
import type { DefinedAt, ForeignKeyInfo, IndexInfo, SchemaModel, TableInfo } from './types';
import { columnRefs, makeObjectName, predicateText, renameRefs } from './ddl-text';

/** What schema discovery keeps about an index beyond IndexInfo, to follow renames and drops. */
export interface IndexDetail {
  /** Per key: the expression AST for expression keys. */
  exprs: (PgNode | undefined)[];
  where?: PgNode;
  /** Created by a PRIMARY KEY/UNIQUE/EXCLUDE constraint (DROP CONSTRAINT removes it, DROP INDEX may not). */
  constraint?: boolean;
}

export const details = new WeakMap<IndexInfo, IndexDetail>();

/** The AST of a partial index's WHERE, when schema discovery read it from SQL (read-only). */
export function indexPredicateAst(index: IndexInfo): PgNode | undefined {
  return details.get(index)?.where;
}

/** Partitions created with PARTITION OF, by parent: an index created on the parent later is created on each. */
export const partitionsOf = new WeakMap<TableInfo, TableInfo[]>();

export function tableKey(schema: string, name: string): string {
  return `${schema}.${name}`;
}

export interface FileState {
  model: SchemaModel;
  file: string;
  text: string;
  lines: LineIndex;
  searchPath: string[];
  /** The statement being applied. */
  stmt: { start: number; end: number };
  /** Inside a DO block: its guard may have skipped a statement, so references to unknown objects are not problems. */
  quiet?: boolean;
  /**
   * SQL embedded in another file (a string in a TypeScript migration) or written for a TypeScript
   * declaration: `at` maps offsets of `text` to the file's, and `lines` indexes the file's text.
   */
  embed?: SqlEmbedding;
}

/** Where SQL that is not a file of its own comes from (see FileState.embed). */
export interface SqlEmbedding {
  /** File offset of an offset in the SQL text; a constant range for SQL written from a declaration. */
  at(offset: number): number;
  /** The span every definition of this SQL is placed at, instead of `at` (SQL written for a TypeScript call). */
  place?: Range;
  lines: LineIndex;
}

/** Where a definition of the statement being applied lives, in the file's offsets. */
export function placed(st: FileState, range: Range): DefinedAt {
  const e = st.embed;
  if (!e) return { file: st.file, range };
  if (e.place) return { file: st.file, range: { ...e.place } };
  return { file: st.file, range: { start: e.at(range.start), end: e.at(range.end) } };
}

/** Unknown names already reported, per model: the first reference is news, the next ones noise. */
const reportedUnknown = new WeakMap<SchemaModel, Set<string>>();

export function problem(st: FileState, offset: number, message: string, unknownName?: string): void {
  if (st.quiet) return;
  if (unknownName !== undefined) {
    let seen = reportedUnknown.get(st.model);
    if (!seen) reportedUnknown.set(st.model, (seen = new Set()));
    if (seen.has(unknownName)) return;
    seen.add(unknownName);
    message += ' (later references to it are not reported)';
  }
  const where = placed(st, { start: st.stmt.start, end: st.stmt.end });
  const at = st.embed ? (st.embed.place ? st.embed.place.start : st.embed.at(offset)) : offset;
  const line = (st.embed?.lines ?? st.lines).position(at).line + 1;
  st.model.problems.push({ file: st.file, line, range: where.range, message });
}

export function creationSchema(st: FileState, rv: PgNode): string {
  return rv?.schemaname ?? st.searchPath[0] ?? 'public';
}

/** Finds a table by RangeVar: qualified exactly, else through the search path, else any schema. */
export function resolveTable(st: FileState, rv: PgNode): TableInfo | undefined {
  const name: string = rv?.relname;
  if (!name) return undefined;
  if (rv.schemaname) return st.model.tables.get(tableKey(rv.schemaname, name)) ?? unqualifiedAlias(st, rv.schemaname, name);
  for (const s of st.searchPath) {
    const t = st.model.tables.get(tableKey(s, name));
    if (t) return t;
  }
  for (const t of st.model.tables.values()) if (t.name === name) return t;
  return undefined;
}

/**
 * `s.t` when no table lives in schema `s` at all: the table `t` the other migrations create without a
 * schema, when there is exactly one. Migrations that run with `search_path` set to their schema
 * (Knex's `searchPath`, a `SET search_path` in the tool's config) create unqualified tables there and
 * name a few qualified; the model, which cannot see that setting, keeps the unqualified ones in
 * `public`.
 */
export function unqualifiedAlias(st: FileState, schema: string, name: string): TableInfo | undefined {
  let hit: TableInfo | undefined;
  for (const t of st.model.tables.values()) {
    if (t.schema === schema) return undefined;
    if (t.name === name) {
      if (hit) return undefined;
      hit = t;
    }
  }
  return hit;
}

export function findIndex(st: FileState, names: string[]): { table: TableInfo; index: IndexInfo } | undefined {
  const name = names[names.length - 1];
  const schema = names.length > 1 ? names[names.length - 2] : undefined;
  const schemas = schema ? [schema] : st.searchPath;
  for (const s of schemas) {
    for (const t of st.model.tables.values()) {
      if (t.schema !== s) continue;
      const index = t.indexes.find((i) => i.name === name);
      if (index) return { table: t, index };
    }
  }
  if (!schema) {
    for (const t of st.model.tables.values()) {
      const index = t.indexes.find((i) => i.name === name);
      if (index) return { table: t, index };
    }
  }
  return undefined;
}

/** PostgreSQL's default name for an index or constraint, made unique in the schema (`t_a_idx1`). */
export function chooseIndexName(model: SchemaModel, table: TableInfo, columns: string[], suffix: string): string {
  const name2 = suffix === 'pkey' ? undefined : columns.join('_') || 'expr';
  // Candidates are checked one by one against the schema's indexes (no set of every name per call:
  // that made a dump of 10,000 CREATE TABLEs quadratic in allocations, 44 s).
  const taken = (name: string): boolean => {
    for (const t of model.tables.values()) if (t.schema === table.schema) for (const i of t.indexes) if (i.name === name) return true;
    return false;
  };
  const base = makeObjectName(table.name, name2, suffix);
  if (!taken(base)) return base;
  for (let n = 1; ; n++) {
    const candidate = makeObjectName(table.name, name2, `${suffix}${n}`);
    if (!taken(candidate)) return candidate;
  }
}

export function addIndex(table: TableInfo, index: IndexInfo, detail: IndexDetail): void {
  details.set(index, detail);
  const existing = table.indexes.findIndex((i) => i.name === index.name);
  if (existing >= 0) table.indexes[existing] = index;
  else table.indexes.push(index);
}

/** Columns an index depends on: its keys, expressions, INCLUDE list and predicate. */
export function indexColumns(index: IndexInfo): Set<string> {
  const cols = new Set<string>();
  const d = details.get(index);
  index.keys.forEach((k, i) => {
    if (k.column) cols.add(k.column);
    const e = d?.exprs[i];
    if (e) columnRefs(e, cols);
  });
  for (const c of index.include) cols.add(c);
  if (d?.where) columnRefs(d.where, cols);
  return cols;
}

export function renameColumnInIndexes(table: TableInfo, from: string, to: string): void {
  for (const index of table.indexes) {
    const d = details.get(index);
    index.keys = index.keys.map((k, i) => {
      if (k.column === from) return { ...k, column: to };
      const e = d?.exprs[i];
      if (e) {
        renameRefs(e, from, to);
        return { ...k, expression: exprKey(e) };
      }
      return k;
    });
    index.include = index.include.map((c) => (c === from ? to : c));
    if (d?.where) {
      renameRefs(d.where, from, to);
      index.predicate = predicateText(d.where);
    }
  }
}

export function setNotNull(table: TableInfo, column: string): void {
  const col = table.columns.get(column);
  if (col) col.notNull = true;
}

/** PostgreSQL's default name for a non-index constraint: `<table>_<cols>_<label>`, numbered on collision within the table. */
export function chooseConstraintName(table: TableInfo, columns: string[], label: string): string {
  const taken = new Set([...(table.foreignKeys ?? []).map((f) => f.name), ...table.indexes.map((i) => i.name)]);
  const base = makeObjectName(table.name, columns.join('_'), label);
  if (!taken.has(base)) return base;
  for (let n = 1; ; n++) {
    const candidate = makeObjectName(table.name, columns.join('_'), `${label}${n}`);
    if (!taken.has(candidate)) return candidate;
  }
}

/** Foreign keys of every table that reference `target`. */
export function* referencesTo(model: SchemaModel, target: { schema: string; name: string }): Generator<{ table: TableInfo; fk: ForeignKeyInfo }> {
  for (const t of model.tables.values()) for (const fk of t.foreignKeys ?? []) if (fk.refSchema === target.schema && fk.refTable === target.name) yield { table: t, fk };
}

/** Drops the foreign keys that `keep` rejects, from every table. */
export function dropForeignKeys(model: SchemaModel, drop: (table: TableInfo, fk: ForeignKeyInfo) => boolean): void {
  for (const t of model.tables.values()) if (t.foreignKeys?.length) t.foreignKeys = t.foreignKeys.filter((fk) => !drop(t, fk));
}

export function newTable(schema: string, name: string, definedAt: DefinedAt): TableInfo {
  return { name, schema, columns: new Map(), indexes: [], definedAt, origin: 'sql' };
}

export function copyColumnsFrom(target: TableInfo, source: TableInfo): void {
  for (const [n, c] of source.columns) if (!target.columns.has(n)) target.columns.set(n, { ...c });
}

/** Tables of model declarations placed in the model before the migrations (see seedTable). */
export const seededTables = new WeakSet<TableInfo>();

/**
 * Puts a declared table (a Drizzle table, an entity) into the model before the migrations are
 * applied, so that a migration that only adds an index to it (the table itself made by a schema push)
 * finds it; a migration that creates the table replaces it.
 */
export function seedTable(model: SchemaModel, t: TableInfo): void {
  seededTables.add(t);
  model.tables.set(tableKey(t.schema, t.name), t);
}
