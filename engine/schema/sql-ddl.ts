/**
 * Applies PostgreSQL DDL (parsed by libpg-query through `engine/sql/parser`)
 * to a schema model: CREATE/ALTER/DROP of tables, columns, constraints and
 * indexes. Everything else (DML, functions, grants, extensions) is read and
 * ignored. A statement that does not parse, or that names an object the
 * model does not know, becomes a SchemaProblem; nothing here throws for bad
 * input.
 *
 * Keys: tables are keyed `schema.name` with both parts as PostgreSQL stores
 * them (the parser already folded unquoted identifiers to lower case, quoted
 * ones keep their case: `"User"` is `public.User`). Unqualified names resolve
 * through the file's `search_path` (`SET search_path`), default `public`.
 */
import { type ParsedStatement, parseSql, type PgNode, scanSql, splitStatements } from '../sql/parser';
import { nameList } from '../sql/expr';
import { LineIndex } from '../text';
import type { IndexInfo, SchemaModel, TableInfo } from './types';
import { defaultWord, elementEnd, normalizeType, predicateText, sameKeys, skipTrivia, truncateIdent } from './ddl-text';
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
  type SqlEmbedding,
  tableKey,
} from './ddl-state';
import { addColumn, addForeignKey, alterEnum, buildIndexFromElems, checkConstraint, constraintIndex, createEnum } from './ddl-columns';

export { indexPredicateAst, seedTable, type SqlEmbedding, tableKey } from './ddl-state';
export { normalizeType, predicateText, truncateIdent } from './ddl-text';

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
      for (const i of parent.indexes) {
        const cols = i.keys.map((k) => k.column ?? 'expr');
        table.indexes.push(cloneIndex(i, chooseIndexName(st.model, table, cols, i.kind === 'primary' ? 'pkey' : i.kind === 'unique' ? 'key' : 'idx')));
      }
      // Foreign keys of a partitioned table hold on each partition too.
      for (const fk of parent.foreignKeys ?? []) (table.foreignKeys ??= []).push({ ...fk, columns: [...fk.columns], refColumns: [...fk.refColumns] });
    }
  }
  const deferred: (() => void)[] = [];
  // Foreign keys after the keys: a self-reference without columns names this table's primary key.
  const late: (() => void)[] = [];
  for (const el of s.tableElts ?? []) {
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
        for (const i of src.indexes) {
          const cols = i.keys.map((k) => k.column ?? 'expr');
          const suffix = i.kind === 'primary' ? 'pkey' : i.kind === 'unique' ? 'key' : 'idx';
          table.indexes.push(cloneIndex(i, chooseIndexName(st.model, table, cols, suffix)));
        }
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

function renameStmt(st: FileState, s: PgNode): void {
  switch (s.renameType) {
    case 'OBJECT_TABLE': {
      const table = resolveTable(st, s.relation);
      if (!table) {
        if (!s.missing_ok) problem(st, s.relation?.location ?? st.stmt.start, `RENAME of unknown table ${s.relation?.relname}`, `table ${s.relation?.relname}`);
        return;
      }
      st.model.tables.delete(tableKey(table.schema, table.name));
      for (const { fk } of [...referencesTo(st.model, table)]) fk.refTable = s.newname;
      table.name = s.newname;
      st.model.tables.set(tableKey(table.schema, table.name), table);
      return;
    }
    case 'OBJECT_COLUMN': {
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
      return;
    }
    case 'OBJECT_INDEX': {
      const rv = s.relation;
      const found = findIndex(st, rv?.schemaname ? [rv.schemaname, truncateIdent(rv.relname)] : [truncateIdent(rv?.relname)]);
      if (!found) {
        if (!s.missing_ok) problem(st, rv?.location ?? st.stmt.start, `ALTER INDEX of unknown index ${rv?.relname}`);
        return;
      }
      found.index.name = truncateIdent(s.newname);
      return;
    }
    case 'OBJECT_TABCONSTRAINT': {
      const table = resolveTable(st, s.relation);
      const index = table?.indexes.find((i) => i.name === truncateIdent(s.subname));
      if (index) index.name = truncateIdent(s.newname);
      const fk = table?.foreignKeys?.find((f) => f.name === truncateIdent(s.subname));
      if (fk) fk.name = truncateIdent(s.newname);
      return;
    }
    case 'OBJECT_TYPE': {
      // ALTER TYPE … RENAME TO …: columns of that type (Prisma's enum migrations create "X_new" and rename it to "X").
      const names = nameList(s.object?.List?.items);
      const from = names[names.length - 1];
      if (!from) return;
      for (const t of st.model.tables.values()) {
        for (const c of t.columns.values()) {
          const m = /^(.*?)((?:\[\])*)$/.exec(c.type)!;
          if (m[1] === from || m[1] === names.join('.')) c.type = s.newname + m[2];
        }
      }
      return;
    }
    default:
      return;
  }
}

function setSchema(st: FileState, s: PgNode): void {
  if (s.objectType !== 'OBJECT_TABLE') return;
  const table = resolveTable(st, s.relation);
  if (!table) {
    if (!s.missing_ok) problem(st, s.relation?.location ?? st.stmt.start, `SET SCHEMA of unknown table ${s.relation?.relname}`, `table ${s.relation?.relname}`);
    return;
  }
  st.model.tables.delete(tableKey(table.schema, table.name));
  for (const { fk } of [...referencesTo(st.model, table)]) fk.refSchema = s.newschema;
  table.schema = s.newschema;
  st.model.tables.set(tableKey(table.schema, table.name), table);
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
const parseCache = new Map<string, { text: string; outcome: ReturnType<typeof parseSql> }>();
const PARSE_CACHE_MAX = 5000;

function cachedParse(file: string, text: string): ReturnType<typeof parseSql> {
  const hit = parseCache.get(file);
  if (hit && hit.text === text) return hit.outcome;
  const outcome = parseSql(text);
  if (parseCache.size >= PARSE_CACHE_MAX) parseCache.clear();
  parseCache.set(file, { text, outcome });
  return outcome;
}

/**
 * Applies one SQL file's DDL to the model. Returns false when the whole file was skipped (not PostgreSQL).
 * `original`: the file's own text when `text` was rewritten (psql variables substituted), with
 * `offsetOf` mapping offsets of `text` back to it.
 */
export function applySqlFile(model: SchemaModel, file: string, text: string, original?: { text: string; offsetOf(i: number): number }): boolean {
  const fileLines = new LineIndex(original?.text ?? text);
  const toFile = original ? (i: number) => original.offsetOf(i) : (i: number) => i;
  const outcome = cachedParse(file, text);
  const st: FileState = { model, file, text, lines: fileLines, searchPath: ['public'], stmt: { start: 0, end: 0 } };
  if (original) st.embed = { at: toFile, lines: fileLines };
  // A file of comments only ("Query cannot be empty") holds nothing to apply.
  if (outcome.statements.length === 0 && !scanSql(text).some((t) => !/COMMENT/.test(t.name) && t.text !== ';')) return true;
  // More statements fail than parse: another database's SQL. Applying the few
  // that happen to parse (a ClickHouse RENAME COLUMN) would corrupt the model.
  if (outcome.errors.length > 0 && (outcome.statements.length === 0 || (outcome.errors.length >= 2 && outcome.errors.length > outcome.statements.length))) {
    const e = outcome.errors[0];
    const count = outcome.errors.length;
    const line = fileLines.position(toFile(e.statementStart !== undefined ? skipTrivia(text, e.statementStart, e.statementEnd) : e.offset)).line + 1;
    model.problems.push({
      file,
      line,
      message:
        count > 1
          ? `${count} of ${count + outcome.statements.length} statements do not parse as PostgreSQL (first at line ${line}: ${e.message}); another database's SQL? File skipped`
          : `not readable as PostgreSQL: ${e.message}`,
    });
    return false;
  }
  for (const e of outcome.errors) {
    markUnreadIndexDdl(st, text, e.statementStart, e.statementEnd);
    const at = toFile(e.statementStart !== undefined ? skipTrivia(text, e.statementStart, e.statementEnd) : e.offset);
    model.problems.push({
      file,
      line: fileLines.position(at).line + 1,
      range: { start: at, end: toFile(e.statementEnd ?? at) },
      message: `statement skipped, not readable as PostgreSQL: ${e.message}`,
    });
  }
  for (const s of outcome.statements) applyStatement(st, s, true);
  return true;
}

/**
 * Applies SQL that is not a file of its own: a string passed to a TypeScript migration's raw-SQL call
 * (`queryRunner.query`, `knex.raw`, `pgm.sql`), or DDL written for a schema event (engine/schema/events.ts).
 * Definitions and problems land in `file` through `embed`. A statement that does not parse is one problem.
 */
export function applySqlText(model: SchemaModel, file: string, sql: string, embed: SqlEmbedding, searchPath: string[] = ['public']): void {
  const outcome = parseSql(sql);
  const st: FileState = { model, file, text: sql, lines: embed.lines, searchPath, stmt: { start: 0, end: sql.length }, embed };
  for (const e of outcome.errors) {
    st.stmt = { start: e.statementStart ?? 0, end: e.statementEnd ?? sql.length };
    markUnreadIndexDdl(st, sql, e.statementStart, e.statementEnd);
    problem(st, e.statementStart !== undefined ? skipTrivia(sql, e.statementStart, e.statementEnd) : e.offset, `statement skipped, not readable as PostgreSQL: ${e.message}`);
  }
  for (const s of outcome.statements) applyStatement(st, s, true);
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
/** `CREATE [UNIQUE] INDEX … ON [ONLY] t` or `ALTER TABLE [IF EXISTS] [ONLY] t` at the start of a statement; group 1 = t. */
const INDEX_DDL_TARGET = new RegExp(
  String.raw`^(?:CREATE\s+(?:UNIQUE\s+)?INDEX\b[^;]*?\bON\s+(?:ONLY\s+)?|ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?)(${IDENT}(?:\s*\.\s*${IDENT})?)`,
  'i',
);

/**
 * A statement the parser could not read may still name the table whose indexes it changes; that table's
 * index list is then incomplete, and unindexed-predicate must not judge it (an index the model cannot see
 * may serve the query: Kysely's `createIndex().on(t).expression(sql\`…\`)` trick for partial indexes).
 */
function markUnreadIndexDdl(st: FileState, text: string, start: number | undefined, end: number | undefined): void {
  // No statement start: the parser failed on the first statement (or the only one, for SQL from an event).
  const from = skipTrivia(text, start ?? 0, end);
  const m = INDEX_DDL_TARGET.exec(text.slice(from, Math.min(end ?? text.length, from + 4096)));
  if (!m) return;
  const parts = m[1].split(/\s*\.\s*(?=(?:"|[A-Za-z_]))/).map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.toLowerCase()));
  const rv = parts.length === 2 ? { schemaname: parts[0], relname: parts[1] } : { relname: parts[0] };
  const table = resolveTable(st, rv);
  if (table) table.unreadIndexDdl = true;
}

const DDL_TYPES = new Set(['CreateStmt', 'IndexStmt', 'AlterTableStmt', 'RenameStmt', 'AlterObjectSchemaStmt', 'DropStmt', 'CreateTableAsStmt']);

function applyStatement(st: FileState, s: ParsedStatement, topLevel: boolean): void {
  st.stmt = { start: s.start, end: s.end };
  const body = s.node[s.type];
  try {
    switch (s.type) {
      case 'CreateStmt':
        createTable(st, body);
        break;
      case 'IndexStmt':
        createIndex(st, body);
        break;
      case 'AlterTableStmt':
        alterTable(st, body);
        break;
      case 'RenameStmt':
        renameStmt(st, body);
        break;
      case 'AlterObjectSchemaStmt':
        setSchema(st, body);
        break;
      case 'DropStmt':
        dropStmt(st, body);
        break;
      case 'VariableSetStmt':
        if (topLevel) setSearchPath(st, body);
        break;
      case 'CreateTableAsStmt':
        createMatview(st, body);
        break;
      case 'CreateEnumStmt':
        createEnum(st, body);
        break;
      case 'AlterEnumStmt':
        alterEnum(st, body);
        break;
      case 'CreateSeqStmt':
        noteOtherRelation(st, body.sequence);
        break;
      case 'ViewStmt':
        noteOtherRelation(st, body.view);
        break;
      case 'CreateForeignTableStmt':
        noteOtherRelation(st, body.base?.relation);
        break;
      case 'DoStmt':
        if (topLevel) applyDoBlock(st, body);
        break;
      case 'InsertStmt': {
        // The migrations put rows written out here (a reference table's values, a single tenant's row). An
        // `INSERT … SELECT` copies rows from elsewhere, as many as there are: it says nothing of the table's size.
        const table = body.selectStmt?.SelectStmt?.valuesLists?.length ? resolveTable(st, body.relation) : undefined;
        if (table) table.seeded = true;
        break;
      }
      default:
        break;
    }
  } catch (err) {
    // An AST shape this code did not expect: report it, keep going.
    problem(st, s.start, `statement not applied (${s.type}): ${err instanceof Error ? err.message : String(err)}`);
  }
}

function shiftLocations(node: PgNode, by: number): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) shiftLocations(n, by);
    return;
  }
  for (const k of Object.keys(node)) {
    const v = node[k];
    if (k === 'location' && typeof v === 'number') node[k] = v < 0 ? v : v + by;
    else if (v && typeof v === 'object') shiftLocations(v, by);
  }
}

/**
 * DDL inside `DO $$ … $$` blocks. Migrations guard DDL this way to be
 * idempotent (`IF NOT EXISTS (…) THEN CREATE INDEX …`, `EXECUTE 'ALTER INDEX
 * … RENAME …'`, Drizzle's `BEGIN ALTER TABLE … EXCEPTION WHEN
 * duplicate_object`). We apply the DDL statements found there as if the guard
 * passed: the guard almost always checks that the change is still needed.
 * Only constant `EXECUTE '…';` strings are read; concatenated dynamic SQL is
 * not. Fragments that are not SQL are ignored silently (it is PL/pgSQL).
 */
function applyDoBlock(st: FileState, s: PgNode): void {
  let code: string | undefined;
  let language = 'plpgsql';
  for (const a of s.args ?? []) {
    const d = a.DefElem;
    if (d?.defname === 'as') code = d.arg?.String?.sval;
    else if (d?.defname === 'language') language = String(d.arg?.String?.sval ?? '').toLowerCase();
  }
  if (!code || language !== 'plpgsql' || !/\b(create|alter|drop)\b/i.test(code)) return;
  const base = st.text.indexOf(code, st.stmt.start);
  if (base < 0) return;
  const outer = st.stmt;
  const snippets: { sql: string; at: number }[] = [];
  const exec = /\bEXECUTE\s+'((?:[^']|'')*)'\s*;/gi;
  let m: RegExpExecArray | null;
  while ((m = exec.exec(code))) snippets.push({ sql: m[1].replace(/''/g, "'"), at: base + m.index + m[0].indexOf("'") + 1 });
  for (const piece of splitStatements(code)) {
    const text = code.slice(piece.start, piece.end);
    const k = /(?:^|\b(?:BEGIN|THEN|ELSE|LOOP)\b)(\s*)(?=(?:CREATE|ALTER|DROP)\b)/i.exec(text.replace(/--[^\n]*/g, (c) => ' '.repeat(c.length)));
    if (!k) continue;
    const from = k.index + k[0].length;
    snippets.push({ sql: text.slice(from), at: base + piece.start + from });
  }
  for (const snip of snippets) {
    const out = parseSql(snip.sql);
    if (out.errors.length) continue;
    for (const inner of out.statements) {
      if (!DDL_TYPES.has(inner.type)) continue;
      shiftLocations(inner.node, snip.at);
      st.quiet = true;
      applyStatement(st, { ...inner, start: inner.start + snip.at, end: inner.end + snip.at }, false);
      st.quiet = false;
    }
  }
  st.stmt = outer;
}
