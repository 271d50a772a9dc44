/**
 * Column definitions and constraints of CREATE/ALTER TABLE (sql-ddl.ts): keys, unique and exclusion constraints as
 * indexes, foreign keys, CHECK lists, defaults, enums.
 */
import type { PgNode } from '../sql/parser';
import { exprKey, nameList } from '../sql/expr';
import type { Range } from '../types';
import type { ColumnInfo, ForeignKeyInfo, IndexInfo, IndexKey, TableInfo } from './types';
import {
  checkValues,
  defaultWord,
  elementEnd,
  enumTypeName,
  identRange,
  normalizeType,
  predicateText,
  sameKeys,
  sameList,
  truncateIdent,
  typeImpliesNotNull,
} from './ddl-text';
import {
  addIndex,
  chooseConstraintName,
  chooseIndexName,
  creationSchema,
  details,
  type FileState,
  findIndex,
  placed,
  problem,
  resolveTable,
  setNotNull,
} from './ddl-state';

export function buildIndexFromElems(
  st: FileState,
  table: TableInfo,
  elems: PgNode[],
): { keys: IndexKey[]; exprs: (PgNode | undefined)[]; names: string[] } {
  const keys: IndexKey[] = [];
  const exprs: (PgNode | undefined)[] = [];
  const names: string[] = [];
  for (const e of elems) {
    const el = e.IndexElem;
    if (!el) continue;
    const opclass = nameList(el.opclass).pop();
    const before = keys.length;
    if (el.name) {
      keys.push({ column: el.name });
      exprs.push(undefined);
      names.push(el.name);
      if (!table.columns.has(el.name) && table.columns.size > 0) problem(st, st.stmt.start, `index on ${table.name} names unknown column ${el.name}`);
    } else if (el.expr) {
      // A parenthesised plain column `(col)` is still a column key.
      if (el.expr.ColumnRef) {
        const f = nameList(el.expr.ColumnRef.fields);
        keys.push({ column: f[f.length - 1] });
        exprs.push(undefined);
        names.push(f[f.length - 1]);
      } else {
        keys.push({ expression: exprKey(el.expr) });
        // A copy: renames rewrite it in place, and the parsed statement may be cached.
        exprs.push(structuredClone(el.expr));
        // PostgreSQL names expression indexes after the function (`t_lower_idx`) or `expr`.
        const fn = el.expr.FuncCall ? nameList(el.expr.FuncCall.funcname).pop() : undefined;
        names.push(fn ?? 'expr');
      }
    }
    if (opclass && keys.length > before) keys[keys.length - 1].opclass = opclass;
  }
  return { keys, exprs, names };
}

export function constraintIndex(st: FileState, table: TableInfo, c: PgNode, columnName: string | undefined, range: Range): void {
  const kind = c.contype === 'CONSTR_PRIMARY' ? 'primary' : c.contype === 'CONSTR_UNIQUE' ? 'unique' : c.contype === 'CONSTR_EXCLUSION' ? 'index' : undefined;
  if (!kind) return;
  if (c.indexname) {
    // ADD CONSTRAINT … UNIQUE/PRIMARY KEY USING INDEX: the index becomes the constraint and takes its name.
    const found = findIndex(st, [table.schema, truncateIdent(c.indexname)]);
    if (!found) {
      problem(st, c.location ?? st.stmt.start, `constraint uses unknown index ${c.indexname}`);
      return;
    }
    found.index.kind = kind;
    if (c.conname) found.index.name = truncateIdent(c.conname);
    const d = details.get(found.index);
    if (d) d.constraint = true;
    else details.set(found.index, { exprs: found.index.keys.map(() => undefined), constraint: true });
    if (kind === 'primary') for (const k of found.index.keys) if (k.column) setNotNull(table, k.column);
    return;
  }
  let keys: IndexKey[];
  let exprs: (PgNode | undefined)[] = [];
  let names: string[];
  if (kind === 'index') {
    const elems = (c.exclusions ?? []).map((x: PgNode) => x.List?.items?.[0]).filter(Boolean);
    ({ keys, exprs, names } = buildIndexFromElems(st, table, elems));
  } else {
    names = c.keys ? nameList(c.keys) : columnName ? [columnName] : [];
    keys = names.map((n) => ({ column: n }));
    exprs = names.map(() => undefined);
  }
  if (keys.length === 0) return;
  // An unnamed constraint that already exists (a dump followed by the migration that made it) is not made twice.
  if (!c.conname && table.indexes.some((i) => i.kind === kind && sameKeys(i.keys, keys) && !i.predicate)) return;
  const suffix = kind === 'primary' ? 'pkey' : kind === 'unique' ? 'key' : 'excl';
  const name: string = c.conname ? truncateIdent(c.conname) : chooseIndexName(st.model, table, names, suffix);
  const include = nameList(c.including);
  if (kind === 'primary') for (const n of names) setNotNull(table, n);
  const index: IndexInfo = { name, kind, keys, include, method: c.access_method ?? 'btree', definedAt: placed(st, range) };
  // EXCLUDE … WHERE (…) makes a partial index.
  if (c.where_clause) index.predicate = predicateText(c.where_clause);
  addIndex(table, index, { exprs, where: c.where_clause ? structuredClone(c.where_clause) : undefined, constraint: true });
}

/**
 * `CHECK (col IN ('a', 'b'))`, `CHECK (col = ANY (ARRAY['a', 'b']))` (pg_dump's spelling) and
 * `CHECK (col = 'a' OR col = 'b')`: the column holds one of a few values (a low-selectivity column).
 */
export function checkConstraint(table: TableInfo, c: PgNode, columnName: string | undefined): void {
  const found = checkValues(c.raw_expr, 0);
  if (!found || found.values.length === 0) return;
  const column = found.column ?? columnName;
  const col = column ? table.columns.get(column) : undefined;
  if (col) col.allowedValues = [...new Set(found.values)];
}

export function createEnum(st: FileState, s: PgNode): void {
  const name = enumTypeName(s.typeName);
  if (!name) return;
  (st.model.enums ??= new Map()).set(name, nameList(s.vals));
}

export function alterEnum(st: FileState, s: PgNode): void {
  const name = enumTypeName(s.typeName);
  const labels = st.model.enums?.get(name);
  if (!labels) return;
  if (s.newVal && !s.oldVal && !labels.includes(s.newVal)) labels.push(s.newVal);
  else if (s.oldVal && s.newVal) labels.splice(labels.indexOf(s.oldVal), 1, s.newVal);
}

/**
 * Records a FOREIGN KEY / REFERENCES constraint. Run after the table's
 * primary key is known (a self-reference `REFERENCES t` without columns names
 * the key defined in the same statement). The referenced table is resolved
 * through the search path; when it is not known yet (a dump may create it
 * later), the name is kept as written and `refColumns` may stay empty.
 */
export function addForeignKey(st: FileState, table: TableInfo, c: PgNode, columnName: string | undefined, range: Range): void {
  if (c.contype !== 'CONSTR_FOREIGN') return;
  const columns = c.fk_attrs ? nameList(c.fk_attrs) : columnName ? [columnName] : [];
  const rv = c.pktable;
  if (columns.length === 0 || !rv?.relname) return;
  const ref = resolveTable(st, rv);
  const refSchema = ref?.schema ?? creationSchema(st, rv);
  const refTable = ref?.name ?? rv.relname;
  let refColumns = c.pk_attrs ? nameList(c.pk_attrs) : [];
  if (refColumns.length === 0 && ref) refColumns = ref.indexes.find((i) => i.kind === 'primary')?.keys.map((k) => k.column ?? '') ?? [];
  if (refColumns.some((x) => !x)) refColumns = [];
  const fks = (table.foreignKeys ??= []);
  // The same key twice (a dump followed by the migration that made it) is kept once.
  if (fks.some((f) => sameList(f.columns, columns) && f.refSchema === refSchema && f.refTable === refTable && sameList(f.refColumns, refColumns))) return;
  const name = c.conname ? truncateIdent(c.conname) : chooseConstraintName(table, columns, 'fkey');
  const fk: ForeignKeyInfo = { name, columns, refTable, refSchema, refColumns, definedAt: placed(st, range) };
  const same = fks.findIndex((f) => f.name === name);
  if (same >= 0) fks[same] = fk;
  else fks.push(fk);
}

export function addColumn(st: FileState, table: TableInfo, def: PgNode, deferred: (() => void)[], late: (() => void)[]): void {
  const name: string = def.colname;
  if (!name) return;
  const loc: number = def.location ?? st.stmt.start;
  const col: ColumnInfo = {
    name,
    type: normalizeType(def.typeName),
    notNull: typeImpliesNotNull(def.typeName),
    definedAt: placed(st, identRange(st.text, loc)),
  };
  table.columns.set(name, col);
  for (const cw of def.constraints ?? []) {
    const c = cw.Constraint;
    if (!c) continue;
    if (c.contype === 'CONSTR_FOREIGN') {
      const cloc: number = c.location ?? loc;
      const range = { start: cloc, end: elementEnd(st.text, cloc, st.stmt.end) };
      late.push(() => addForeignKey(st, table, c, name, range));
      continue;
    }
    if (c.contype === 'CONSTR_CHECK') checkConstraint(table, c, name);
    if (c.contype === 'CONSTR_DEFAULT') col.defaultWord = defaultWord(c.raw_expr);
    if (c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_IDENTITY') col.notNull = true;
    else if (c.contype === 'CONSTR_NULL') col.notNull = false;
    if (c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_UNIQUE') {
      const cloc: number = c.location ?? loc;
      const range = { start: cloc, end: elementEnd(st.text, cloc, st.stmt.end) };
      // Column constraints are named after table constraints in PostgreSQL; order them after columns.
      deferred.push(() => constraintIndex(st, table, c, name, range));
    }
  }
}
