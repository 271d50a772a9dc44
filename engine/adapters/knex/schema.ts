/**
 * Knex migrations (`exports.up = (knex) => …`, `export async function up(knex: Knex)`, `{ up, down }`),
 * read from their `up` only:
 * - `knex.schema[.withSchema(s)].createTable(name, (t) => …)` / `.alterTable` / `.table`, with the
 *   table builder's columns (`t.increments()`, `t.string(name, len)`, `t.timestamps()`, …, modifiers
 *   `.notNullable()`, `.primary()`, `.unique()`, `.index()`, `.references().inTable()`, `.alter()`) and
 *   statements (`t.index`, `t.unique`, `t.primary`, `t.foreign`, `t.dropColumn(s)`, `t.renameColumn`,
 *   `t.dropIndex`, `t.dropUnique`, `t.dropForeign`, `t.dropPrimary`);
 * - `knex.schema.dropTable[IfExists]`, `renameTable`; `knex.raw(sql)`, `knex.schema.raw(sql)` (SQL
 *   through the parser; `??` identifier bindings given as constants are filled in).
 * Names are Knex's for PostgreSQL: `<table>_<columns>_index|unique|foreign` (lower case, `.` and `-`
 * as `_`), `<table>_pkey`; types as its PostgreSQL column compiler writes them (`string` →
 * `varchar(255)`, `timestamp` → `timestamptz`, `increments` → `serial` primary key, `float` → `real`).
 * Calls on any receiver count (`knex`, `trx`, `db`): only migration files are read.
 */
import type { ColumnSpec, SchemaEvent, SchemaReader, TableName, TsSchemaOutput } from '../../schema/events';
import { type ChainStep, callChain, migrationUpBodies, prop, rangeOf } from '../../schema/ts-syntax';
import { type Values, ts, unwrap } from '../../schema/ts-values';
import { quoteQualifiedAlways } from '../../sql/ident';

/** Knex's PostgreSQL name for an index or constraint. */
function knexName(table: string, columns: readonly string[], type: 'index' | 'unique' | 'foreign'): string {
  return `${table.replace(/\.|-/g, '_')}_${columns.join('_')}_${type}`.toLowerCase();
}

/** Column builders whose PostgreSQL type does not depend on their arguments. */
const FIXED_TYPES: Record<string, string> = {
  increments: 'serial',
  bigIncrements: 'bigserial',
  integer: 'int4',
  mediumint: 'int4',
  bigInteger: 'int8',
  bigint: 'int8',
  smallint: 'int2',
  tinyint: 'int2',
  text: 'text',
  mediumtext: 'text',
  longtext: 'text',
  boolean: 'bool',
  date: 'date',
  time: 'time',
  float: 'real',
  double: 'float8',
  decimal: 'numeric',
  json: 'json',
  jsonb: 'jsonb',
  uuid: 'uuid',
  binary: 'bytea',
  geometry: 'geometry',
  geography: 'geography',
  point: 'point',
};

type TypeOf = (args: readonly ts.Expression[], values: Values) => string;

const varchar: TypeOf = (args, values) => `varchar(${(args[1] ? values.string(args[1]) : undefined) ?? '255'})`;
const timestamp: TypeOf = (args, values) => {
  const o = values.object(args[1]);
  const tz = o ? values.boolean(prop(o, 'useTz', values)) : undefined;
  return tz === false ? 'timestamp' : 'timestamptz';
};
const enumType: TypeOf = (args, values) => {
  const o = values.object(args[2]);
  if (o && values.boolean(prop(o, 'useNative', values))) return values.string(prop(o, 'enumName', values)) ?? 'text';
  return 'text';
};

/** Column builders whose type is read from their arguments. */
const ARG_TYPES: Record<string, TypeOf> = {
  string: varchar,
  varchar,
  datetime: timestamp,
  dateTime: timestamp,
  timestamp,
  enu: enumType,
  enum: enumType,
  specificType: (args, values) => (args[1] ? values.string(args[1]) : undefined) ?? 'unknown',
};

/** Column builder → PostgreSQL type; undefined for a builder method that makes no column. */
function columnType(method: string, args: readonly ts.Expression[], values: Values): string | undefined {
  if (Object.hasOwn(FIXED_TYPES, method)) return FIXED_TYPES[method];
  return Object.hasOwn(ARG_TYPES, method) ? ARG_TYPES[method](args, values) : undefined;
}

interface TableState {
  table: TableName;
  create: boolean;
  columns: ColumnSpec[];
  /** Events in builder order (indexes and keys after the table is created). */
  after: SchemaEvent[];
  primary?: { columns: string[]; name?: string };
}

/** A column name list: `'a'`, `['a', 'b']`, or several string arguments (`dropColumns('a', 'b')`). */
function names(args: readonly ts.Expression[], values: Values, spread = false): string[] | undefined {
  if (spread && args.length > 1) {
    const all = args.map((a) => values.string(a));
    return all.every((x): x is string => x !== undefined) ? all : undefined;
  }
  return args[0] ? values.strings(args[0]) : undefined;
}

/** `knex.whereNotNull('x')` / `knex.whereRaw('…')` / `knex.whereNull('x')` as SQL, for an index predicate. */
function predicate(e: ts.Expression | undefined, values: Values): string | undefined {
  if (!e) return undefined;
  const { steps } = callChain(e);
  const parts: string[] = [];
  for (const s of steps) {
    const a = s.args ? [...s.args] : [];
    const col = a[0] ? values.string(a[0]) : undefined;
    if (s.name === 'whereNotNull' && col) parts.push(`"${col}" IS NOT NULL`);
    else if (s.name === 'whereNull' && col) parts.push(`"${col}" IS NULL`);
    else if (s.name === 'whereRaw' && col) parts.push(`(${col})`);
    else if (s.args) return undefined;
  }
  return parts.length ? parts.join(' AND ') : undefined;
}

/** `t.timestamps(useTimestamps?, defaultToNow?, camelCase?)`: created_at and updated_at. */
function timestamps(st: TableState, args: readonly ts.Expression[], at: { start: number; end: number }, values: Values): void {
  const camel = args[2] ? values.boolean(args[2]) === true : false;
  const o = values.object(args[0]);
  const useTz = o ? values.boolean(prop(o, 'useTimestamps', values)) !== false : true;
  const type = useTz ? 'timestamptz' : 'timestamp';
  const notNull = args[1] ? values.boolean(args[1]) === true : false;
  for (const n of camel ? ['createdAt', 'updatedAt'] : ['created_at', 'updated_at']) addColumn(st, { name: n, type, notNull }, at);
}

/** One column as its modifiers describe it. */
interface ColumnDraft {
  st: TableState;
  col: ColumnSpec;
  at: { start: number; end: number };
  /** Keys and indexes a modifier makes come after the column (in an alterTable, after its ADD COLUMN). */
  later: SchemaEvent[];
  alter: boolean;
  refTable?: string;
  refColumn?: string;
  fkName?: string;
}

type Modifier = (d: ColumnDraft, a: ts.Expression[], values: Values) => void;

const withKeyName: Modifier = (d, a, values) => {
  d.fkName = a[0] ? values.string(a[0]) : undefined;
};

/** Column modifiers (`.notNullable()`, `.unique()`, `.references('users.id')` …) by name; others change nothing we read. */
const MODIFIERS: Record<string, Modifier> = {
  notNullable: (d) => {
    d.col.notNull = true;
  },
  nullable: (d) => {
    d.col.notNull = false;
  },
  primary: (d, a, values) => {
    const n = a[0] ? (values.string(a[0]) ?? values.string(prop(values.object(a[0]), 'constraintName', values))) : undefined;
    d.col.primaryKey = n ?? true;
    d.col.notNull = true;
  },
  unique: (d, a, values) => {
    const n = a[0] ? (values.string(a[0]) ?? values.string(prop(values.object(a[0]), 'indexName', values))) : undefined;
    d.later.push({ op: 'addUnique', at: d.at, table: d.st.table, columns: [d.col.name], name: n ?? knexName(d.st.table.name, [d.col.name], 'unique') });
  },
  index: (d, a, values) => {
    const n = a[0] ? values.string(a[0]) : undefined;
    const method = a[1] ? (values.string(a[1]) ?? values.string(prop(values.object(a[1]), 'indexType', values))) : undefined;
    d.later.push({ op: 'addIndex', at: d.at, table: d.st.table, index: { name: n ?? knexName(d.st.table.name, [d.col.name], 'index'), keys: [d.col.name], method } });
  },
  references: (d, a, values) => {
    const r = a[0] ? values.string(a[0]) : undefined;
    if (r?.includes('.')) {
      d.refTable = r.slice(0, r.lastIndexOf('.'));
      d.refColumn = r.slice(r.lastIndexOf('.') + 1);
    } else d.refColumn = r;
  },
  inTable: (d, a, values) => {
    d.refTable = a[0] ? values.string(a[0]) : undefined;
  },
  withKeyName,
  foreignKeyName: withKeyName,
  alter: (d) => {
    d.alter = true;
  },
};

/** One column builder chain inside a table callback: `t.string('email').notNullable().unique()`. */
function columnStatement(st: TableState, first: ChainStep, rest: ChainStep[], at: { start: number; end: number }, values: Values): boolean {
  const args = first.args ? [...first.args] : [];
  if (first.name === 'timestamps') {
    timestamps(st, args, at, values);
    return true;
  }
  const type = columnType(first.name, args, values);
  if (!type) return false;
  const serial = first.name === 'increments' || first.name === 'bigIncrements';
  const name = args[0] ? values.string(args[0]) : serial ? 'id' : undefined;
  if (!name) {
    st.after.push({ op: 'problem', at, message: `Knex column of ${st.table.name} not read: its name is computed at run time` });
    return true;
  }
  const d: ColumnDraft = { st, col: { name, type }, at, later: [], alter: false };
  // Knex's increments() is a primary key unless { primaryKey: false }.
  if (serial) {
    const o = values.object(args[1]);
    if (!o || values.boolean(prop(o, 'primaryKey', values)) !== false) d.col.primaryKey = true;
    d.col.notNull = true;
  }
  for (const m of rest) if (Object.hasOwn(MODIFIERS, m.name)) MODIFIERS[m.name](d, m.args ? [...m.args] : [], values);
  if (d.alter && !st.create) {
    st.after.push({ op: 'alterColumn', at, table: st.table, column: name, type, notNull: d.col.notNull ?? false }, ...d.later);
    return true;
  }
  addColumn(st, d.col, at);
  st.after.push(...d.later);
  if (d.refTable && d.refColumn) st.after.push({ op: 'addForeignKey', at, table: st.table, fk: { name: d.fkName ?? knexName(st.table.name, [name], 'foreign'), columns: [name], ref: { table: tableName(d.refTable), columns: [d.refColumn] } } });
  return true;
}

function addColumn(st: TableState, col: ColumnSpec, at: { start: number; end: number }): void {
  if (st.create) {
    if (col.primaryKey === true) {
      st.primary = { columns: [col.name] };
      col.primaryKey = undefined;
    }
    st.columns.push(col);
  } else st.after.push({ op: 'addColumn', at, table: st.table, column: col });
}

function tableName(s: string, schema?: string): TableName {
  const dot = s.indexOf('.');
  if (dot > 0) return { schema: s.slice(0, dot), name: s.slice(dot + 1) };
  return schema ? { name: s, schema } : { name: s };
}

/** A statement of the table callback that is not a column: keys, indexes, drops, renames. */
function tableStatement(st: TableState, s: ChainStep, rest: ChainStep[], at: { start: number; end: number }, values: Values): void {
  const handler = Object.hasOwn(TABLE_STATEMENTS, s.name) ? TABLE_STATEMENTS[s.name] : undefined;
  handler?.({ st, method: s.name, args: s.args ? [...s.args] : [], rest, at, values });
}

/** A statement of a table callback, with what every handler needs. */
interface TableCall {
  st: TableState;
  method: string;
  args: ts.Expression[];
  /** The steps chained after it (`t.foreign('x').references('id').inTable('t')`). */
  rest: ChainStep[];
  at: { start: number; end: number };
  values: Values;
}

function addIndex({ st, args, at, values }: TableCall): void {
  const table = st.table.name;
  const cols = names(args, values);
  if (!cols?.length) return;
  const o = values.object(args[2]);
  const where = o && prop(o, 'predicate', values);
  const pred = where ? predicate(where, values) : undefined;
  if (where && pred === undefined) {
    st.after.push({ op: 'problem', at, message: `Knex index on ${table} not read: its predicate is built at run time` });
    return;
  }
  const method = (args[2] && values.string(args[2])) ?? (o ? values.string(prop(o, 'indexType', values)) : undefined);
  st.after.push({ op: 'addIndex', at, table: st.table, index: { name: (args[1] && values.string(args[1])) ?? knexName(table, cols, 'index'), keys: cols, method, where: pred } });
}

function addUnique({ st, args, at, values }: TableCall): void {
  const table = st.table.name;
  const t = st.table;
  const cols = names(args, values);
  if (!cols?.length) return;
  const o = values.object(args[1]);
  const name = (args[1] && values.string(args[1])) ?? (o ? values.string(prop(o, 'indexName', values)) : undefined) ?? knexName(table, cols, 'unique');
  const where = o && prop(o, 'predicate', values);
  if (where) {
    const pred = predicate(where, values);
    if (pred !== undefined) st.after.push({ op: 'addIndex', at, table: t, index: { name, keys: cols, unique: true, where: pred } });
    else st.after.push({ op: 'problem', at, message: `Knex unique index on ${table} not read: its predicate is built at run time` });
    return;
  }
  // Knex makes a unique constraint unless told to make an index.
  if (o && values.boolean(prop(o, 'useConstraint', values)) === false) st.after.push({ op: 'addIndex', at, table: t, index: { name, keys: cols, unique: true } });
  else st.after.push({ op: 'addUnique', at, table: t, columns: cols, name });
}

function addPrimary({ st, args, at, values }: TableCall): void {
  const cols = names(args, values);
  if (!cols?.length) return;
  const name = (args[1] && (values.string(args[1]) ?? values.string(prop(values.object(args[1]), 'constraintName', values)))) ?? `${st.table.name}_pkey`;
  if (st.create) st.primary = { columns: cols, name };
  else st.after.push({ op: 'addPrimaryKey', at, table: st.table, columns: cols, name });
}

function addForeign({ st, args, rest, at, values }: TableCall): void {
  const cols = names(args, values);
  if (!cols?.length) return;
  let refTable: string | undefined;
  let refCols: string[] | undefined;
  for (const r of rest) {
    const a = r.args ? [...r.args] : [];
    if (r.name === 'references') {
      const v = a[0] ? values.strings(a[0]) : undefined;
      if (v?.length === 1 && v[0].includes('.')) {
        refTable = v[0].slice(0, v[0].lastIndexOf('.'));
        refCols = [v[0].slice(v[0].lastIndexOf('.') + 1)];
      } else refCols = v;
    } else if (r.name === 'inTable' || r.name === 'on') refTable = a[0] ? values.string(a[0]) : undefined;
  }
  if (!refTable || !refCols) return;
  st.after.push({ op: 'addForeignKey', at, table: st.table, fk: { name: (args[1] && values.string(args[1])) ?? knexName(st.table.name, cols, 'foreign'), columns: cols, ref: { table: tableName(refTable), columns: refCols } } });
}

/** dropIndex, dropUnique, dropForeign, dropPrimary: by the name given or the one Knex would have made. */
function dropKey({ st, method, args, at, values }: TableCall): void {
  const table = st.table.name;
  const t = st.table;
  const cols = method === 'dropPrimary' ? [] : (names(args, values) ?? []);
  const given = method === 'dropPrimary' ? args[0] && values.string(args[0]) : args[1] && values.string(args[1]);
  const name = given ?? (method === 'dropPrimary' ? `${table}_pkey` : knexName(table, cols, method === 'dropIndex' ? 'index' : method === 'dropUnique' ? 'unique' : 'foreign'));
  if (method === 'dropIndex') st.after.push({ op: 'dropIndex', at, name, schema: t.schema, ifExists: true });
  else st.after.push({ op: 'dropConstraint', at, table: t, name, ifExists: true });
  // A unique made as an index (useConstraint: false) is dropped by dropUnique too.
  if (method === 'dropUnique') st.after.push({ op: 'dropIndex', at, name, schema: t.schema, ifExists: true });
}

function dropColumns({ st, args, at, values }: TableCall): void {
  for (const c of names(args, values, true) ?? []) st.after.push({ op: 'dropColumn', at, table: st.table, column: c, ifExists: true });
}

/** setNullable / dropNullable: the column's NOT NULL dropped or set. */
function setNullability({ st, method, args, at, values }: TableCall): void {
  const c = args[0] && values.string(args[0]);
  if (c) st.after.push({ op: 'alterColumn', at, table: st.table, column: c, notNull: method === 'dropNullable' });
}

/** The table-callback statements read as schema events, by method. */
const TABLE_STATEMENTS: Record<string, (c: TableCall) => void> = {
  index: addIndex,
  unique: addUnique,
  primary: addPrimary,
  foreign: addForeign,
  dropColumn: dropColumns,
  dropColumns,
  renameColumn: ({ st, args, at, values }) => {
    const from = args[0] && values.string(args[0]);
    const to = args[1] && values.string(args[1]);
    if (from && to) st.after.push({ op: 'renameColumn', at, table: st.table, from, to });
  },
  dropIndex: dropKey,
  dropUnique: dropKey,
  dropForeign: dropKey,
  dropPrimary: dropKey,
  setNullable: setNullability,
  dropNullable: setNullability,
};

/** Reads a table callback `(t) => { t.string('x'); … }`. */
function tableCallback(st: TableState, fn: ts.Expression | undefined, values: Values): void {
  if (!fn) return;
  const f = unwrap(fn);
  if (!(ts.isArrowFunction(f) || ts.isFunctionExpression(f))) return;
  const p = f.parameters[0]?.name;
  if (!p || !ts.isIdentifier(p)) return;
  const builder = p.text;
  values.staticWalk(f.body, (n) => {
    if (!ts.isExpressionStatement(n)) return false;
    const { root, steps } = callChain(n.expression);
    if (!ts.isIdentifier(root) || root.text !== builder || !steps.length || !steps[0].args) return false;
    const at = rangeOf(n.expression);
    if (!columnStatement(st, steps[0], steps.slice(1), at, values)) tableStatement(st, steps[0], steps.slice(1), at, values);
    return true;
  });
}

/** Fills `??` (identifier) and `?` (value) bindings of a raw SQL string with constant bindings. */
function bindRaw(sql: string, bindings: ts.Expression | undefined, values: Values): string | undefined {
  if (!bindings) return sql;
  const list = unwrap(bindings);
  const items = ts.isArrayLiteralExpression(list) ? [...list.elements] : [list];
  let i = 0;
  let failed = false;
  const out = sql.replace(/\?\?|\?/g, (m) => {
    const v = items[i] ? values.string(items[i]) : undefined;
    i++;
    if (v === undefined) {
      failed = true;
      return m;
    }
    return m === '??' ? quoteQualifiedAlways(v) : `'${v.replace(/'/g, "''")}'`;
  });
  return failed ? undefined : out;
}

function schemaChain(call: ts.CallExpression, values: Values, events: SchemaEvent[]): boolean {
  const { root, steps } = callChain(call);
  if (!ts.isIdentifier(root) && root.kind !== ts.SyntaxKind.ThisKeyword && !ts.isPropertyAccessExpression(root)) return false;
  const at = rangeOf(call);
  // knex.raw(sql, bindings)
  if (steps.length === 1 && steps[0].name === 'raw' && steps[0].args) {
    raw(steps[0], at, values, events);
    return true;
  }
  if (steps[0]?.name !== 'schema') return false;
  let schema: string | undefined;
  for (const s of steps.slice(1)) {
    const args = s.args ? [...s.args] : [];
    const name = args[0] ? values.string(args[0]) : undefined;
    switch (s.name) {
      case 'withSchema':
        schema = name;
        break;
      case 'createTable':
      case 'createTableIfNotExists':
      case 'alterTable':
      case 'table': {
        if (!name) {
          events.push({ op: 'problem', at, message: 'Knex table not read: its name is computed at run time' });
          break;
        }
        const create = s.name.startsWith('createTable');
        const st: TableState = { table: tableName(name, schema), create, columns: [], after: [] };
        tableCallback(st, args[1], values);
        if (create) events.push({ op: 'createTable', at, table: st.table, columns: st.columns, ifNotExists: s.name === 'createTableIfNotExists', primaryKey: st.primary ? { columns: st.primary.columns, name: st.primary.name ?? `${st.table.name}_pkey` } : undefined });
        events.push(...st.after);
        break;
      }
      case 'dropTable':
      case 'dropTableIfExists':
        if (name) events.push({ op: 'dropTable', at, table: tableName(name, schema), ifExists: true });
        break;
      case 'renameTable': {
        const to = args[1] ? values.string(args[1]) : undefined;
        if (name && to) events.push({ op: 'renameTable', at, table: tableName(name, schema), to });
        break;
      }
      case 'raw':
        raw(s, at, values, events);
        break;
      case 'then': {
        // `knex.schema.alterTable(…).then(() => knex.raw(…)).then(…)`: the callbacks run in order.
        const fn = args[0] && unwrap(args[0]);
        if (fn && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) values.staticWalk(fn.body, (n) => ts.isCallExpression(n) && schemaChain(n, values, events));
        break;
      }
      default:
        break;
    }
  }
  return true;
}

function raw(s: ChainStep, at: { start: number; end: number }, values: Values, events: SchemaEvent[]): void {
  const args = s.args ? [...s.args] : [];
  const text = values.mappedText(args[0]);
  if (!text) {
    if (args[0] && /\b(create|alter|drop)\s+(unique\s+)?(table|index)/i.test(args[0].getText())) events.push({ op: 'problem', at, message: 'Knex raw SQL built at run time not read' });
    return;
  }
  if (args[1]) {
    const bound = bindRaw(text.text, args[1], values);
    if (bound !== undefined) events.push({ op: 'sql', at, text: bound, offsetOf: () => at.start });
    return;
  }
  events.push({ op: 'sql', at, text: text.text, offsetOf: text.offsetOf });
}

/** The body of a helper a migration calls (`await createIndexes(knex)`), in this file or another. */
function helperBody(call: ts.CallExpression, values: Values): ts.Node | undefined {
  if (!ts.isIdentifier(call.expression)) return undefined;
  const d = values.lookup(call.expression);
  if (!d) return undefined;
  const n = ts.isVariableDeclaration(d.node) && d.node.initializer ? unwrap(d.node.initializer) : d.node;
  return ts.isFunctionDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) ? n.body : undefined;
}

function read(sf: ts.SourceFile, values: Values): TsSchemaOutput | undefined {
  const events: SchemaEvent[] = [];
  const seen = new Set<ts.Node>();
  const visit = (n: ts.Node): boolean => {
    if (!ts.isCallExpression(n)) return false;
    if (schemaChain(n, values, events)) return true;
    const body = helperBody(n, values);
    if (body && !seen.has(body) && seen.size < 32) {
      seen.add(body);
      values.staticWalk(body, visit);
    }
    return false;
  };
  for (const body of migrationUpBodies(sf, values)) values.staticWalk(body, visit);
  return events.length ? { kind: 'migration', events, library: 'knex' } : undefined;
}

export const knexSchemaReader: SchemaReader = {
  library: 'knex',
  detect: (text) => /\bknex\b/i.test(text) && /\bup\b/.test(text) && /\.schema\s*\.|\.raw\s*\(/.test(text),
  read,
};
