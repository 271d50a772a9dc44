/**
 * One handler per DDL statement kind (`STATEMENTS`, by libpg-query node type): CREATE TABLE / INDEX /
 * TABLE AS, ALTER TABLE, RENAME, SET SCHEMA, DROP, SET search_path, enums, and the relations that are not
 * tables (sequences, views, foreign tables). engine/schema/sql-ddl.ts parses files and applies them.
 */
import { type PgNode } from '../sql/parser';
import { nameList } from '../sql/expr';
import type { ForeignKeyInfo, IndexInfo, SchemaModel, TableInfo } from './types';
import { defaultWord, elementEnd, normalizeType, predicateText, sameKeys, truncateIdent } from './ddl-text';
import {
  addIndex,
  chooseIndexName,
  copyColumnsFrom,
  creationSchema,
  details,
  dropForeignKeys,
  type FileState,
  findIndex,
  indexColumns,
  newTable,
  partitionsOf,
  placed,
  problem,
  referencesTo,
  renameColumnInIndexes,
  resolveTable,
  seededTables,
  setNotNull,
  tableKey,
} from './ddl-state';
import { addColumn, addForeignKey, alterEnum, buildIndexFromElems, checkConstraint, constraintIndex, createEnum } from './ddl-columns';

function createTable(st: FileState, s: PgNode): void {
  const rv = s.relation;
  // A temporary table lives for one session (a migration's scratch table): not the schema.
  if (rv?.relpersistence === 't') return;
  const schema = creationSchema(st, rv);
  const key = tableKey(schema, rv.relname);
  let existing = st.model.tables.get(key);
  // A table a declaration put there before the migrations ran: the migration that creates it is the truth.
  if (existing && seededTables.has(existing)) {
    st.model.tables.delete(key);
    existing = undefined;
  }
  if (existing && s.if_not_exists) return;
  // Without IF NOT EXISTS PostgreSQL would fail; a dump followed by older
  // migrations does this, so merge: keep what is known and add what is new.
  const table = existing ?? newTable(schema, rv.relname, placed(st, { start: st.stmt.start, end: st.stmt.end }));
  if (!existing) st.model.tables.set(key, table);
  if (s.partspec) table.partitioned = true;
  inherit(st, table, s);
  applyElements(st, table, s.tableElts ?? []);
}

/** `INHERITS (…)` / `PARTITION OF …`: the parent's columns, and for a partition its indexes and foreign keys. */
function inherit(st: FileState, table: TableInfo, s: PgNode): void {
  const rv = s.relation;
  for (const parentRv of s.inhRelations ?? []) {
    const parent = resolveTable(st, parentRv.RangeVar);
    if (!parent) {
      problem(st, parentRv.RangeVar?.location ?? st.stmt.start, `table ${rv.relname} inherits from unknown table ${parentRv.RangeVar?.relname}`);
      continue;
    }
    copyColumnsFrom(table, parent);
    // Indexes of a partitioned table are created on each partition (PARTITION OF), not on INHERITS children.
    if (s.partbound) {
      const list = partitionsOf.get(parent) ?? [];
      list.push(table);
      partitionsOf.set(parent, list);
      copyIndexes(st, table, parent);
      // Foreign keys of a partitioned table hold on each partition too.
      for (const fk of parent.foreignKeys ?? []) (table.foreignKeys ??= []).push({ ...fk, columns: [...fk.columns], refColumns: [...fk.refColumns] });
    }
  }
}

/** The parent's indexes, each under the name PostgreSQL gives the copy. */
function copyIndexes(st: FileState, table: TableInfo, from: TableInfo): void {
  for (const i of from.indexes) {
    const cols = i.keys.map((k) => k.column ?? 'expr');
    const suffix = i.kind === 'primary' ? 'pkey' : i.kind === 'unique' ? 'key' : 'idx';
    table.indexes.push(cloneIndex(i, chooseIndexName(st.model, table, cols, suffix)));
  }
}

/** A CREATE TABLE's columns, constraints and LIKE clauses; keys after columns, foreign keys last. */
function applyElements(st: FileState, table: TableInfo, elements: PgNode[]): void {
  const deferred: (() => void)[] = [];
  // Foreign keys after the keys: a self-reference without columns names this table's primary key.
  const late: (() => void)[] = [];
  for (const el of elements) {
    if (el.ColumnDef) addColumn(st, table, el.ColumnDef, deferred, late);
    else if (el.Constraint) {
      const c = el.Constraint;
      const loc: number = c.location ?? st.stmt.start;
      const range = { start: loc, end: elementEnd(st.text, loc, st.stmt.end) };
      if (c.contype === 'CONSTR_FOREIGN') late.push(() => addForeignKey(st, table, c, undefined, range));
      else if (c.contype === 'CONSTR_CHECK') deferred.push(() => checkConstraint(table, c, undefined));
      else deferred.push(() => constraintIndex(st, table, c, undefined, range));
    } else if (el.TableLikeClause) {
      const like = el.TableLikeClause;
      const src = resolveTable(st, like.relation);
      if (!src) {
        problem(st, like.relation?.location ?? st.stmt.start, `LIKE names unknown table ${like.relation?.relname}`);
        continue;
      }
      copyColumnsFrom(table, src);
      // CREATE_TABLE_LIKE_INDEXES is bit 6 of the options (PostgreSQL 16+ numbering; INCLUDING ALL sets every bit).
      if ((Number(like.options ?? 0) & (1 << 6)) !== 0) {
        copyIndexes(st, table, src);
      }
    }
  }
  for (const d of deferred) d();
  for (const d of late) d();
}

function cloneIndex(i: IndexInfo, name: string): IndexInfo {
  const copy: IndexInfo = { ...i, name, keys: i.keys.map((k) => ({ ...k })), include: [...i.include] };
  const d = details.get(i);
  if (d) details.set(copy, { ...d, exprs: d.exprs.map((e) => (e ? structuredClone(e) : e)), where: d.where ? structuredClone(d.where) : undefined });
  return copy;
}

function createIndex(st: FileState, s: PgNode): void {
  const table = resolveTable(st, s.relation);
  if (!table) {
    problem(st, s.relation?.location ?? st.stmt.start, `index ${s.idxname ?? ''} on unknown table ${s.relation?.relname}`.replace('  ', ' '), `table ${s.relation?.relname}`);
    return;
  }
  if (s.idxname && s.if_not_exists && findIndex(st, [table.schema, truncateIdent(s.idxname)])) return;
  const { keys, exprs, names } = buildIndexFromElems(st, table, s.indexParams ?? []);
  const kind = s.primary ? 'primary' : s.unique ? 'unique' : 'index';
  const predicate = s.whereClause ? predicateText(s.whereClause) : undefined;
  const method = s.accessMethod ?? 'btree';
  // Same for an unnamed index identical to one that exists.
  if (!s.idxname && table.indexes.some((i) => i.kind === kind && i.method === method && i.predicate === predicate && sameKeys(i.keys, keys))) return;
  // CREATE [UNIQUE] INDEX without a name: PostgreSQL's ChooseIndexName gives `<table>_<columns>_idx`.
  const name: string = s.idxname ? truncateIdent(s.idxname) : chooseIndexName(st.model, table, names, kind === 'primary' ? 'pkey' : 'idx');
  const index: IndexInfo = {
    name,
    kind,
    keys,
    include: (s.indexIncludingParams ?? []).map((p: PgNode) => p.IndexElem?.name).filter((n: unknown): n is string => typeof n === 'string'),
    method,
    definedAt: placed(st, { start: st.stmt.start, end: st.stmt.end }),
  };
  if (predicate !== undefined) index.predicate = predicate;
  addIndex(table, index, { exprs, where: s.whereClause ? structuredClone(s.whereClause) : undefined });
  // CREATE INDEX on a partitioned table creates it on every partition too, unless ON ONLY.
  // (libpg-query omits `inh` when false: ON ONLY.)
  if (s.relation?.inh === true) {
    for (const part of partitionsOf.get(table) ?? []) {
      if (!st.model.tables.has(tableKey(part.schema, part.name))) continue;
      const cols = keys.map((k) => k.column ?? 'expr');
      part.indexes.push(cloneIndex(index, chooseIndexName(st.model, part, cols, kind === 'primary' ? 'pkey' : kind === 'unique' ? 'key' : 'idx')));
    }
  }
}

/**
 * Relations that are not tables (sequences, views, foreign tables), by `schema.name` and name:
 * pg_dump writes `ALTER TABLE s OWNER TO …` for sequences and views too, which is no problem.
 */
const otherRelations = new WeakMap<SchemaModel, Set<string>>();

function noteOtherRelation(st: FileState, rv: PgNode): void {
  if (!rv?.relname) return;
  let set = otherRelations.get(st.model);
  if (!set) otherRelations.set(st.model, (set = new Set()));
  set.add(tableKey(creationSchema(st, rv), rv.relname));
  set.add(rv.relname);
}

function isOtherRelation(st: FileState, rv: PgNode): boolean {
  const set = otherRelations.get(st.model);
  return !!set && (rv?.schemaname ? set.has(tableKey(rv.schemaname, rv.relname)) : set.has(rv?.relname));
}

/** ALTER TABLE commands that say nothing about columns or indexes (ownership, privileges, storage, triggers). */
const NO_SHAPE = new Set([
  'AT_ChangeOwner',
  'AT_SetStatistics',
  'AT_SetOptions',
  'AT_ResetOptions',
  'AT_SetRelOptions',
  'AT_ResetRelOptions',
  'AT_ReplaceRelOptions',
  'AT_SetStorage',
  'AT_ClusterOn',
  'AT_DropCluster',
  'AT_EnableRowSecurity',
  'AT_DisableRowSecurity',
  'AT_ForceRowSecurity',
  'AT_NoForceRowSecurity',
  'AT_EnableTrig',
  'AT_DisableTrig',
  'AT_EnableTrigAll',
  'AT_DisableTrigAll',
  'AT_EnableTrigUser',
  'AT_DisableTrigUser',
  'AT_EnableAlwaysTrig',
  'AT_EnableReplicaTrig',
  'AT_ReplicaIdentity',
  'AT_SetLogged',
  'AT_SetUnLogged',
  'AT_SetTableSpace',
  'AT_GenericOptions',
]);

function alterTable(st: FileState, s: PgNode): void {
  if (s.objtype && s.objtype !== 'OBJECT_TABLE') return;
  const table = resolveTable(st, s.relation);
  if (!table) {
    const harmless = (s.cmds ?? []).every((c: PgNode) => NO_SHAPE.has(c.AlterTableCmd?.subtype));
    if (!s.missing_ok && !harmless && !isOtherRelation(st, s.relation)) {
      problem(st, s.relation?.location ?? st.stmt.start, `ALTER TABLE on unknown table ${s.relation?.relname}`, `table ${s.relation?.relname}`);
    }
    return;
  }
  const deferred: (() => void)[] = [];
  const late: (() => void)[] = [];
  for (const cw of s.cmds ?? []) {
    const c = cw.AlterTableCmd;
    if (!c) continue;
    switch (c.subtype) {
      case 'AT_AddColumn': {
        const def = c.def?.ColumnDef;
        if (def && c.missing_ok && table.columns.has(def.colname)) break;
        if (def) addColumn(st, table, def, deferred, late);
        break;
      }
      case 'AT_DropColumn':
        dropColumn(st, table, c);
        break;
      case 'AT_AlterColumnType': {
        const col = table.columns.get(c.name);
        if (!col) {
          problem(st, st.stmt.start, `ALTER COLUMN of unknown column ${table.name}.${c.name}`);
          break;
        }
        if (c.def?.ColumnDef?.typeName) col.type = normalizeType(c.def.ColumnDef.typeName);
        break;
      }
      case 'AT_SetNotNull':
        setNotNull(table, c.name);
        break;
      case 'AT_ColumnDefault': {
        // `ALTER COLUMN x SET DEFAULT 'member'` / `DROP DEFAULT` (no expression).
        const col = table.columns.get(c.name);
        if (col) col.defaultWord = c.def ? defaultWord(c.def) : undefined;
        break;
      }
      case 'AT_DropNotNull': {
        const col = table.columns.get(c.name);
        if (col) col.notNull = false;
        break;
      }
      case 'AT_AddConstraint':
        addConstraint(st, table, c, deferred, late);
        break;
      case 'AT_DropConstraint': {
        const name = truncateIdent(c.name);
        table.indexes = table.indexes.filter((i) => i.name !== name || !details.get(i)?.constraint);
        if (table.foreignKeys) table.foreignKeys = table.foreignKeys.filter((fk) => fk.name !== name);
        break;
      }
      default:
        break;
    }
  }
  for (const d of deferred) d();
  for (const d of late) d();
}

/** `DROP COLUMN`: PostgreSQL drops every index that uses the column (keys, expressions, INCLUDE, predicate), its foreign keys, and (CASCADE) the foreign keys of other tables that reference it. */
function dropColumn(st: FileState, table: TableInfo, c: PgNode): void {
  if (!table.columns.has(c.name)) {
    if (!c.missing_ok) problem(st, st.stmt.start, `DROP COLUMN of unknown column ${table.name}.${c.name}`);
    return;
  }
  table.columns.delete(c.name);
  table.indexes = table.indexes.filter((i) => !indexColumns(i).has(c.name));
  dropForeignKeys(
    st.model,
    (t, fk) => (t === table && fk.columns.includes(c.name)) || (fk.refSchema === table.schema && fk.refTable === table.name && fk.refColumns.includes(c.name)),
  );
}

/** `ADD CONSTRAINT`: foreign keys once every table of the statement is in place (`late`), checks and keys after the columns (`deferred`). */
function addConstraint(st: FileState, table: TableInfo, c: PgNode, deferred: (() => void)[], late: (() => void)[]): void {
  const con = c.def?.Constraint;
  if (!con) return;
  const loc: number = con.location ?? st.stmt.start;
  const range = { start: loc, end: elementEnd(st.text, loc, st.stmt.end) };
  if (con.contype === 'CONSTR_FOREIGN') late.push(() => addForeignKey(st, table, con, undefined, range));
  else if (con.contype === 'CONSTR_CHECK') deferred.push(() => checkConstraint(table, con, undefined));
  else deferred.push(() => constraintIndex(st, table, con, undefined, range));
}

/**
 * The table an `ALTER TABLE` names, re-keyed after `move` renames it or moves it to another schema; `move` also
 * updates the foreign keys that name it. An unknown table is a problem (`what` says which statement), unless IF EXISTS.
 */
function moveTable(st: FileState, s: PgNode, what: string, move: (fk: ForeignKeyInfo) => void, apply: (table: TableInfo) => void): void {
  const table = resolveTable(st, s.relation);
  if (!table) {
    if (!s.missing_ok) problem(st, s.relation?.location ?? st.stmt.start, `${what} of unknown table ${s.relation?.relname}`, `table ${s.relation?.relname}`);
    return;
  }
  st.model.tables.delete(tableKey(table.schema, table.name));
  for (const { fk } of [...referencesTo(st.model, table)]) move(fk);
  apply(table);
  st.model.tables.set(tableKey(table.schema, table.name), table);
}

/** `ALTER TABLE … RENAME TO …`: foreign keys that name the table follow it. */
function renameTable(st: FileState, s: PgNode): void {
  moveTable(st, s, 'RENAME', (fk) => (fk.refTable = s.newname), (t) => (t.name = s.newname));
}

/** `RENAME COLUMN`: indexes and foreign keys on both sides follow. */
function renameColumn(st: FileState, s: PgNode): void {
  if (s.relationType && s.relationType !== 'OBJECT_TABLE') return;
  const table = resolveTable(st, s.relation);
  const col = table?.columns.get(s.subname);
  if (!table || !col) {
    if (!s.missing_ok) problem(st, s.relation?.location ?? st.stmt.start, `RENAME of unknown column ${s.relation?.relname}.${s.subname}`, table ? undefined : `table ${s.relation?.relname}`);
    return;
  }
  // Keep column order: rebuild the map with the new key in place.
  col.name = s.newname;
  table.columns = new Map([...table.columns].map(([k, v]) => (k === s.subname ? [s.newname, v] : [k, v])));
  renameColumnInIndexes(table, s.subname, s.newname);
  for (const fk of table.foreignKeys ?? []) fk.columns = fk.columns.map((x) => (x === s.subname ? s.newname : x));
  for (const { fk } of referencesTo(st.model, table)) fk.refColumns = fk.refColumns.map((x) => (x === s.subname ? s.newname : x));
}

/** `ALTER INDEX … RENAME TO …`. */
function renameIndex(st: FileState, s: PgNode): void {
  const rv = s.relation;
  const found = findIndex(st, rv?.schemaname ? [rv.schemaname, truncateIdent(rv.relname)] : [truncateIdent(rv?.relname)]);
  if (!found) {
    if (!s.missing_ok) problem(st, rv?.location ?? st.stmt.start, `ALTER INDEX of unknown index ${rv?.relname}`);
    return;
  }
  found.index.name = truncateIdent(s.newname);
}

/** `RENAME CONSTRAINT`: a key's index or a foreign key. */
function renameConstraint(st: FileState, s: PgNode): void {
  const table = resolveTable(st, s.relation);
  const index = table?.indexes.find((i) => i.name === truncateIdent(s.subname));
  if (index) index.name = truncateIdent(s.newname);
  const fk = table?.foreignKeys?.find((f) => f.name === truncateIdent(s.subname));
  if (fk) fk.name = truncateIdent(s.newname);
}

/** `ALTER TYPE … RENAME TO …`: columns of that type (Prisma's enum migrations create "X_new" and rename it to "X"). */
function renameType(st: FileState, s: PgNode): void {
  const names = nameList(s.object?.List?.items);
  const from = names[names.length - 1];
  if (!from) return;
  for (const t of st.model.tables.values()) {
    for (const c of t.columns.values()) {
      const m = /^(.*?)((?:\[\])*)$/.exec(c.type)!;
      if (m[1] === from || m[1] === names.join('.')) c.type = s.newname + m[2];
    }
  }
}

/** RENAME statements the model follows, by object kind. */
const RENAMES: Record<string, (st: FileState, s: PgNode) => void> = {
  OBJECT_TABLE: renameTable,
  OBJECT_COLUMN: renameColumn,
  OBJECT_INDEX: renameIndex,
  OBJECT_TABCONSTRAINT: renameConstraint,
  OBJECT_TYPE: renameType,
};

function renameStmt(st: FileState, s: PgNode): void {
  if (Object.hasOwn(RENAMES, s.renameType)) RENAMES[s.renameType](st, s);
}

function setSchema(st: FileState, s: PgNode): void {
  if (s.objectType !== 'OBJECT_TABLE') return;
  moveTable(st, s, 'SET SCHEMA', (fk) => (fk.refSchema = s.newschema), (t) => (t.schema = s.newschema));
}

function dropStmt(st: FileState, s: PgNode): void {
  const isTable = s.removeType === 'OBJECT_TABLE';
  const isIndex = s.removeType === 'OBJECT_INDEX';
  const isMatview = s.removeType === 'OBJECT_MATVIEW';
  if (s.removeType === 'OBJECT_SCHEMA') {
    // DROP SCHEMA … CASCADE takes its tables along (without CASCADE it fails unless empty).
    const schemas = new Set((s.objects ?? []).map((o: PgNode) => o.String?.sval).filter(Boolean));
    for (const [k, t] of [...st.model.tables]) if (schemas.has(t.schema)) st.model.tables.delete(k);
    dropForeignKeys(st.model, (_t, fk) => schemas.has(fk.refSchema));
    return;
  }
  if (!isTable && !isIndex && !isMatview) return;
  for (const o of s.objects ?? []) {
    const names = nameList(o.List?.items);
    if (names.length === 0) continue;
    if (isIndex) {
      const found = findIndex(st, names.map((n, i) => (i === names.length - 1 ? truncateIdent(n) : n)));
      if (found) found.table.indexes = found.table.indexes.filter((i) => i !== found.index);
      else if (!s.missing_ok) problem(st, st.stmt.start, `DROP INDEX of unknown index ${names.join('.')}`);
      continue;
    }
    const rv = names.length > 1 ? { schemaname: names[names.length - 2], relname: names[names.length - 1] } : { relname: names[0] };
    const table = resolveTable(st, rv);
    if (table) {
      st.model.tables.delete(tableKey(table.schema, table.name));
      // DROP TABLE … CASCADE drops the foreign keys that reference it (without CASCADE there can be none).
      dropForeignKeys(st.model, (_t, fk) => fk.refSchema === table.schema && fk.refTable === table.name);
    } else if (!s.missing_ok) problem(st, st.stmt.start, `DROP TABLE of unknown table ${names.join('.')}`, `table ${names[names.length - 1]}`);
  }
}

function setSearchPath(st: FileState, s: PgNode): void {
  if (s.name !== 'search_path') return;
  if (s.kind === 'VAR_RESET' || s.kind === 'VAR_SET_DEFAULT') {
    st.searchPath = ['public'];
    return;
  }
  const schemas = (s.args ?? [])
    .map((a: PgNode) => a.A_Const?.sval?.sval ?? (a.ColumnRef ? nameList(a.ColumnRef.fields).join('.') : undefined))
    .filter((x: string | undefined): x is string => !!x && x !== '$user' && x !== '"$user"');
  st.searchPath = schemas.length ? schemas : ['public'];
}

function createMatview(st: FileState, s: PgNode): void {
  // CREATE TABLE … AS and materialized views can carry indexes; keep them as tables without known columns.
  if (s.objtype !== 'OBJECT_MATVIEW' && s.objtype !== 'OBJECT_TABLE') return;
  const rv = s.into?.rel;
  if (!rv?.relname || rv.relpersistence === 't') return;
  const schema = creationSchema(st, rv);
  const key = tableKey(schema, rv.relname);
  if (st.model.tables.has(key)) return;
  st.model.tables.set(key, newTable(schema, rv.relname, placed(st, { start: st.stmt.start, end: st.stmt.end })));
}

/**
 * Parse results of schema files by path, for the text they were parsed from:
 * the server rebuilds the schema when one migration changes, and re-parsing
 * the other hundreds is most of the cost. Nothing downstream mutates a parsed
 * statement (index expressions are copied before renames rewrite them).
 */

/** A statement's handler: its node body, and whether it sits at the top level of the file (not inside a DO block). */
type StatementHandler = (st: FileState, body: PgNode, topLevel: boolean) => void;

/** The DDL statements the schema model follows, by node type; every other statement is read and ignored. */
export const STATEMENTS: Record<string, StatementHandler> = {
  CreateStmt: createTable,
  IndexStmt: createIndex,
  AlterTableStmt: alterTable,
  RenameStmt: renameStmt,
  AlterObjectSchemaStmt: setSchema,
  DropStmt: dropStmt,
  VariableSetStmt: (st, body, topLevel) => {
    if (topLevel) setSearchPath(st, body);
  },
  CreateTableAsStmt: createMatview,
  CreateEnumStmt: createEnum,
  AlterEnumStmt: alterEnum,
  CreateSeqStmt: (st, body) => noteOtherRelation(st, body.sequence),
  ViewStmt: (st, body) => noteOtherRelation(st, body.view),
  CreateForeignTableStmt: (st, body) => noteOtherRelation(st, body.base?.relation),
  InsertStmt: (st, body) => {
    // The migrations put rows written out here (a reference table's values, a single tenant's row). An
    // `INSERT … SELECT` copies rows from elsewhere, as many as there are: it says nothing of the table's size.
    const table = body.selectStmt?.SelectStmt?.valuesLists?.length ? resolveTable(st, body.relation) : undefined;
    if (table) table.seeded = true;
  },
};
