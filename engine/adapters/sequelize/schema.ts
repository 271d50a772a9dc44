/**
 * Sequelize schema sources.
 *
 * Models (declarations): `Model.init(attributes, options)`, `sequelize.define(name, attributes,
 * options)` and sequelize-typescript classes (`@Table`, `@Column`, `@PrimaryKey`, `@Unique`,
 * `@Index`, `@ForeignKey`). Attributes give columns (`field` renames, `allowNull: false`,
 * `primaryKey`, `unique` (a name groups a composite key), `references: { model, key }` as a foreign
 * key); options give the table (`tableName`, else the model name pluralised unless
 * `freezeTableName`), `underscored`, `timestamps`/`paranoid` columns, the default `id` primary key and
 * `indexes: [{ fields, unique, where, using, name }]` (unnamed: `<table>_<fields>` underscored, as
 * Sequelize names them).
 *
 * Migrations (`module.exports = { up(queryInterface, Sequelize) { … } }`): `createTable`, `addColumn`,
 * `removeColumn`, `renameColumn`, `changeColumn`, `addIndex`, `removeIndex`, `addConstraint`,
 * `removeConstraint`, `renameTable`, `dropTable`, and `queryInterface.sequelize.query('…SQL…')`.
 */
import type { ColumnSpec, IndexSpec, SchemaEvent, SchemaReader, TableName, TsSchemaOutput } from '../../schema/events';
import { callChain, decoratorsOf, migrationUpBodies, prop, rangeOf, sqlLiteral } from '../../schema/ts-syntax';
import { type Values, propertyName, ts, unwrap } from '../../schema/ts-values';
import { quoteIdentAlways } from '../../sql/ident';

type At = { start: number; end: number };

const TYPES: Record<string, string> = {
  STRING: 'varchar(255)',
  CHAR: 'bpchar',
  TEXT: 'text',
  CITEXT: 'citext',
  INTEGER: 'int4',
  BIGINT: 'int8',
  SMALLINT: 'int2',
  TINYINT: 'int2',
  MEDIUMINT: 'int4',
  FLOAT: 'float8',
  DOUBLE: 'float8',
  REAL: 'float4',
  DECIMAL: 'numeric',
  NUMBER: 'numeric',
  BOOLEAN: 'bool',
  DATE: 'timestamptz',
  DATEONLY: 'date',
  TIME: 'time',
  NOW: 'timestamptz',
  UUID: 'uuid',
  UUIDV4: 'uuid',
  JSON: 'json',
  JSONB: 'jsonb',
  BLOB: 'bytea',
  INET: 'inet',
  TSVECTOR: 'tsvector',
  GEOMETRY: 'geometry',
};

/** `DataTypes.STRING`, `Sequelize.STRING(100)`, `DataType.ARRAY(DataType.TEXT)`, `'VARCHAR(20)'` → PostgreSQL type. */
function typeOf(e: ts.Expression | undefined, values: Values, enumName?: string): string | undefined {
  if (!e) return undefined;
  const x = unwrap(e);
  const s = values.string(x);
  if (s !== undefined) return s;
  const call = ts.isCallExpression(x) ? x : undefined;
  const callee = call ? unwrap(call.expression) : x;
  const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : undefined;
  if (!name) return undefined;
  if (name === 'ARRAY') {
    const inner = typeOf(call?.arguments[0], values);
    return inner ? `${inner}[]` : undefined;
  }
  if (name === 'ENUM') return enumName ?? 'text';
  if (name === 'STRING' && call?.arguments[0]) {
    const n = values.string(call.arguments[0]);
    return n ? `varchar(${n})` : 'varchar(255)';
  }
  return TYPES[name];
}

/** inflection.underscore, as Sequelize's Utils.underscore. */
function underscore(s: string): string {
  return s
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z\d]+)/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
}

/** A small English pluraliser for model names (Sequelize uses inflection.pluralize). */
function pluralize(s: string): string {
  if (/[^aeiou]y$/i.test(s)) return `${s.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(s)) return `${s}es`;
  return `${s}s`;
}

interface ModelRead {
  table: TableName;
  columns: ColumnSpec[];
  primary: string[];
  uniques: Map<string, string[]>;
  indexes: IndexSpec[];
  fks: { column: string; ref: TableName | undefined; model?: string; refColumn?: string }[];
}

function attribute(key: string, def: ts.Expression, underscored: boolean, table: string, values: Values, m: ModelRead): void {
  const o = values.object(def);
  const field = (o && values.string(prop(o, 'field', values))) ?? (underscored ? underscore(key) : key);
  const type = o ? typeOf(prop(o, 'type', values), values, `enum_${table}_${field}`) : typeOf(def, values, `enum_${table}_${field}`);
  const col: ColumnSpec = { name: field, type, fieldName: key };
  if (o) {
    if (values.boolean(prop(o, 'allowNull', values)) === false) col.notNull = true;
    if (values.boolean(prop(o, 'primaryKey', values))) {
      m.primary.push(field);
      col.notNull = true;
    }
    const u = prop(o, 'unique', values);
    const un = u && (values.string(u) ?? values.string(prop(values.object(u), 'name', values)));
    if (un) m.uniques.set(un, [...(m.uniques.get(un) ?? []), field]);
    else if (u && values.boolean(u)) col.unique = true;
    const refs = values.object(prop(o, 'references', values));
    if (refs) {
      const model = values.string(prop(refs, 'model', values));
      const key2 = values.string(prop(refs, 'key', values));
      if (model) m.fks.push({ column: field, ref: { name: model }, refColumn: key2 });
    }
  }
  m.columns.push(col);
}

function modelEvents(m: ModelRead, modelName: string, at: At, events: SchemaEvent[]): void {
  const ev: Extract<SchemaEvent, { op: 'createTable' }> = { op: 'createTable', at, table: m.table, columns: m.columns, modelName };
  if (m.primary.length) ev.primaryKey = { columns: m.primary };
  ev.uniques = [...m.uniques.entries()].map(([name, columns]) => ({ name, columns }));
  ev.indexes = m.indexes;
  ev.foreignKeys = m.fks.filter((f) => f.ref).map((f) => ({ columns: [f.column], ref: { table: f.ref, columns: f.refColumn ? [f.refColumn] : undefined } }));
  events.push(ev);
}

/** `indexes: [{ fields, unique, where, using, name }]` of model options or `addIndex` options. */
function indexOf(o: ts.ObjectLiteralExpression, table: string, fieldOf: (k: string) => string, values: Values, fallbackFields?: string[]): IndexSpec | undefined {
  const fx = prop(o, 'fields', values);
  let fields = fx ? values.strings(fx) : fallbackFields;
  if (!fields && fx && ts.isArrayLiteralExpression(unwrap(fx))) {
    fields = (unwrap(fx) as ts.ArrayLiteralExpression).elements.map((el) => values.string(el) ?? values.string(prop(values.object(el), 'name', values)) ?? values.string(prop(values.object(el), 'attribute', values)) ?? '');
    if (fields.some((f) => !f)) return undefined;
  }
  if (!fields?.length) return undefined;
  const cols = fields.map(fieldOf);
  const whereObj = values.object(prop(o, 'where', values));
  let where: string | undefined;
  if (whereObj) {
    // `{ deletedAt: null }` and `{ col: value }`: the simple equality forms.
    const parts: string[] = [];
    for (const p of whereObj.properties) {
      if (!ts.isPropertyAssignment(p)) return undefined;
      const k = propertyName(p.name, values);
      const v = unwrap(p.initializer);
      if (!k) return undefined;
      const col = quoteIdentAlways(fieldOf(k));
      const lit = sqlLiteral(v, values);
      if (lit === undefined) return undefined;
      parts.push(lit === 'NULL' ? `${col} IS NULL` : `${col} = ${lit}`);
    }
    where = parts.join(' AND ');
  }
  return {
    name: values.string(prop(o, 'name', values)) ?? underscore(`${table}_${fields.join('_')}`),
    keys: cols,
    unique: values.boolean(prop(o, 'unique', values)) === true,
    method: values.string(prop(o, 'using', values)) ?? values.string(prop(o, 'type', values))?.toLowerCase(),
    where,
  };
}

/** The options object of `Model.init`/`define`: table name, timestamps, underscored, indexes. */
function applyOptions(m: ModelRead, modelName: string, opts: ts.ObjectLiteralExpression | undefined, values: Values): void {
  const b = (k: string) => (opts ? values.boolean(prop(opts, k, values)) : undefined);
  const underscored = b('underscored') === true;
  const name = (opts && values.string(prop(opts, 'modelName', values))) ?? modelName;
  const tableName = (opts && values.string(prop(opts, 'tableName', values))) ?? (b('freezeTableName') ? name : pluralize(name));
  m.table = { name: tableName, schema: opts ? values.string(prop(opts, 'schema', values)) : undefined };
  if (!m.primary.length && !m.columns.some((c) => c.name === 'id')) {
    m.columns.unshift({ name: 'id', type: 'serial', notNull: true });
    m.primary.push('id');
  }
  if (b('timestamps') !== false) {
    for (const [k, opt] of [['createdAt', 'createdAt'], ['updatedAt', 'updatedAt']] as const) {
      const given = opts ? prop(opts, opt, values) : undefined;
      if (given && values.boolean(given) === false) continue;
      const col = (given && values.string(given)) ?? (underscored ? underscore(k) : k);
      if (!m.columns.some((c) => c.name === col)) m.columns.push({ name: col, type: 'timestamptz', notNull: true, fieldName: k });
    }
    if (b('paranoid')) {
      const col = underscored ? 'deleted_at' : 'deletedAt';
      if (!m.columns.some((c) => c.name === col)) m.columns.push({ name: col, type: 'timestamptz', fieldName: 'deletedAt' });
    }
  }
  const fieldOf = (k: string) => m.columns.find((c) => c.fieldName === k)?.name ?? (underscored ? underscore(k) : k);
  const ix = opts ? prop(opts, 'indexes', values) : undefined;
  const list = ix && unwrap(ix);
  if (list && ts.isArrayLiteralExpression(list)) {
    for (const el of list.elements) {
      const o = values.object(el);
      const spec = o && indexOf(o, m.table.name, fieldOf, values);
      if (spec) m.indexes.push(spec);
    }
  }
}

function newModel(): ModelRead {
  return { table: { name: '' }, columns: [], primary: [], uniques: new Map(), indexes: [], fks: [] };
}

/** `User.init({...}, {...})` and `sequelize.define('User', {...}, {...})`. */
function readModelCall(call: ts.CallExpression, values: Values, events: SchemaEvent[]): boolean {
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const method = callee.name.text;
  let modelName: string | undefined;
  let attrs: ts.ObjectLiteralExpression | undefined;
  let opts: ts.ObjectLiteralExpression | undefined;
  if (method === 'init' && ts.isIdentifier(callee.expression) && call.arguments.length >= 2) {
    modelName = callee.expression.text;
    attrs = values.object(call.arguments[0]);
    opts = values.object(call.arguments[1]);
    if (!opts || !prop(opts, 'sequelize', values)) return false;
  } else if (method === 'define' && call.arguments.length >= 2) {
    modelName = values.string(call.arguments[0]);
    attrs = values.object(call.arguments[1]);
    opts = values.object(call.arguments[2]);
  } else return false;
  if (!modelName || !attrs) return false;
  const m = newModel();
  const underscored = opts ? values.boolean(prop(opts, 'underscored', values)) === true : false;
  const tableGuess = (opts && values.string(prop(opts, 'tableName', values))) ?? modelName;
  for (const p of attrs.properties) {
    if (!ts.isPropertyAssignment(p)) continue;
    const key = propertyName(p.name, values);
    if (key) attribute(key, p.initializer, underscored, tableGuess, values, m);
  }
  applyOptions(m, modelName, opts, values);
  modelEvents(m, modelName, rangeOf(call), events);
  return true;
}

/** sequelize-typescript: `@Table({ tableName, indexes }) class User extends Model { @Column … }`. */
function readTableClass(cls: ts.ClassDeclaration, values: Values, events: SchemaEvent[]): void {
  const table = decoratorsOf(cls).find((d) => d.name === 'Table');
  if (!table || !cls.name) return;
  const opts = table.args.map((a) => values.object(a)).find(Boolean);
  const underscored = opts ? values.boolean(prop(opts, 'underscored', values)) === true : false;
  const m = newModel();
  const tableGuess = (opts && values.string(prop(opts, 'tableName', values))) ?? cls.name.text;
  const indexGroups = new Map<string, { fields: string[]; unique: boolean }>();
  for (const mem of cls.members) {
    if (!ts.isPropertyDeclaration(mem) || !mem.name) continue;
    const key = propertyName(mem.name, values);
    const ds = decoratorsOf(mem);
    const col = ds.find((d) => d.name === 'Column' || d.name === 'CreatedAt' || d.name === 'UpdatedAt' || d.name === 'DeletedAt');
    if (!key || !col) continue;
    const arg = col.args[0];
    const o = arg && values.object(arg);
    const def = o ?? (arg ? ts.factory.createObjectLiteralExpression([ts.factory.createPropertyAssignment('type', arg)]) : ts.factory.createObjectLiteralExpression([]));
    attribute(key, def as ts.Expression, underscored, tableGuess, values, m);
    const c = m.columns[m.columns.length - 1];
    if (!c.type) c.type = col.name === 'Column' ? undefined : 'timestamptz';
    if (ds.some((d) => d.name === 'PrimaryKey')) {
      m.primary.push(c.name);
      c.notNull = true;
    }
    if (ds.some((d) => d.name === 'AllowNull' && d.args[0] && values.boolean(d.args[0]) === false)) c.notNull = true;
    if (ds.some((d) => d.name === 'Unique')) c.unique = true;
    for (const d of ds.filter((x) => x.name === 'Index')) {
      const a = d.args[0];
      const name = a ? (values.string(a) ?? values.string(prop(values.object(a), 'name', values))) : undefined;
      const unique = a ? values.boolean(prop(values.object(a), 'unique', values)) === true : false;
      const g = name ? indexGroups.get(name) : undefined;
      if (g) g.fields.push(c.name);
      else if (name) indexGroups.set(name, { fields: [c.name], unique });
      else m.indexes.push({ name: underscore(`${tableGuess}_${c.name}`), keys: [c.name], unique });
    }
    const fk = ds.find((d) => d.name === 'ForeignKey');
    const target = fk?.args[0] && unwrap(fk.args[0]);
    if (target && (ts.isArrowFunction(target) || ts.isFunctionExpression(target)) && !ts.isBlock(target.body) && ts.isIdentifier(unwrap(target.body))) {
      m.fks.push({ column: c.name, ref: undefined, model: (unwrap(target.body) as ts.Identifier).text });
    }
  }
  for (const [name, g] of indexGroups) m.indexes.push({ name, keys: g.fields, unique: g.unique });
  applyOptions(m, cls.name.text, opts, values);
  const at = rangeOf(cls.name);
  modelEvents(m, cls.name.text, at, events);
  for (const f of m.fks) if (f.model) events.push({ op: 'addForeignKey', at, table: m.table, fk: { columns: [f.column], ref: { model: f.model } } });
}

// ---------------------------------------------------------------------------
// Migrations

function tableArg(e: ts.Expression | undefined, values: Values): TableName | undefined {
  if (!e) return undefined;
  const o = values.object(e);
  if (o) {
    const name = values.string(prop(o, 'tableName', values));
    return name ? { name, schema: values.string(prop(o, 'schema', values)) } : undefined;
  }
  const s = values.string(e);
  return s ? { name: s } : undefined;
}

function migrationCall(call: ts.CallExpression, qi: string, values: Values, events: SchemaEvent[]): boolean {
  const { root, steps } = callChain(call);
  if (!ts.isIdentifier(root) || root.text !== qi || !steps.length) return false;
  const last = steps[steps.length - 1];
  if (last.node !== call || !last.args) return false;
  const args = [...last.args];
  const at = rangeOf(call);
  if (last.name === 'query' && steps.length === 2 && steps[0].name === 'sequelize') {
    const text = values.mappedText(args[0]);
    if (text) events.push({ op: 'sql', at, text: text.text, offsetOf: text.offsetOf });
    return true;
  }
  if (steps.length !== 1) return false;
  const table = tableArg(args[0], values);
  if (!table) return true;
  const handler = Object.hasOwn(QUERY_INTERFACE_CALLS, last.name) ? QUERY_INTERFACE_CALLS[last.name] : undefined;
  handler?.({ args, at, table, values, events });
  return !!handler;
}

/** A queryInterface call of a migration on a table it names. */
interface QiCall {
  args: ts.Expression[];
  at: ReturnType<typeof rangeOf>;
  table: TableName;
  values: Values;
  events: SchemaEvent[];
}

function createTable({ args, at, table, values, events }: QiCall): void {
  const m = newModel();
  const attrs = values.object(args[1]);
  for (const p of attrs?.properties ?? []) {
    if (!ts.isPropertyAssignment(p)) continue;
    const key = propertyName(p.name, values);
    if (key) attribute(key, p.initializer, false, table.name, values, m);
  }
  m.table = table;
  for (const c of m.columns) c.fieldName = undefined;
  modelEvents(m, '', at, events);
  (events[events.length - 1] as Extract<SchemaEvent, { op: 'createTable' }>).modelName = undefined;
}

function addColumn({ args, at, table, values, events }: QiCall): void {
  const m = newModel();
  const name = values.string(args[1]);
  if (!name || !args[2]) return;
  attribute(name, args[2], false, table.name, values, m);
  const col = { ...m.columns[0], fieldName: undefined, primaryKey: m.primary.length ? true : undefined };
  events.push({ op: 'addColumn', at, table, column: col });
  for (const f of m.fks) if (f.ref) events.push({ op: 'addForeignKey', at, table, fk: { columns: [f.column], ref: { table: f.ref, columns: f.refColumn ? [f.refColumn] : undefined } } });
}

function changeColumn({ args, at, table, values, events }: QiCall): void {
  const name = values.string(args[1]);
  const o = values.object(args[2]);
  if (!name) return;
  const type = o ? typeOf(prop(o, 'type', values), values) : typeOf(args[2], values);
  const allow = o ? values.boolean(prop(o, 'allowNull', values)) : undefined;
  events.push({ op: 'alterColumn', at, table, column: name, type, notNull: allow === undefined ? undefined : !allow });
}

function addIndex({ args, at, table, values, events }: QiCall): void {
  const o = values.object(args[2]) ?? values.object(args[1]);
  const fields = values.strings(args[1]);
  const spec = indexOf(o ?? ts.factory.createObjectLiteralExpression([]), table.name, (k) => k, values, fields);
  if (spec) events.push({ op: 'addIndex', at, table, index: spec });
  else events.push({ op: 'problem', at, message: `Sequelize index on ${table.name} not read: its fields or condition are computed at run time` });
}

function addConstraint({ args, at, table, values, events }: QiCall): void {
  const o = values.object(args[1]) ?? values.object(args[2]);
  if (!o) return;
  const fields = values.strings(prop(o, 'fields', values)) ?? values.strings(args[1]);
  const type = values.string(prop(o, 'type', values))?.toLowerCase();
  const name = values.string(prop(o, 'name', values));
  if (!fields?.length) return;
  if (type === 'unique') events.push({ op: 'addUnique', at, table, columns: fields, name: name ?? `${table.name}_${fields.join('_')}_uk` });
  else if (type === 'primary key') events.push({ op: 'addPrimaryKey', at, table, columns: fields, name: name ?? `${table.name}_${fields.join('_')}_pk` });
  else if (type === 'foreign key') {
    const ref = values.object(prop(o, 'references', values));
    const rt = ref && values.string(prop(ref, 'table', values));
    const rf = ref && values.string(prop(ref, 'field', values));
    if (rt) events.push({ op: 'addForeignKey', at, table, fk: { name: name ?? `${table.name}_${fields.join('_')}_${rt}_fk`, columns: fields, ref: { table: { name: rt }, columns: rf ? [rf] : undefined } } });
  }
}

/** The queryInterface methods read as schema events, by name. */
const QUERY_INTERFACE_CALLS: Record<string, (c: QiCall) => void> = {
  createTable,
  addColumn,
  removeColumn: ({ args, at, table, values, events }) => {
    const name = values.string(args[1]);
    if (name) events.push({ op: 'dropColumn', at, table, column: name, ifExists: true });
  },
  renameColumn: ({ args, at, table, values, events }) => {
    const from = values.string(args[1]);
    const to = values.string(args[2]);
    if (from && to) events.push({ op: 'renameColumn', at, table, from, to });
  },
  changeColumn,
  addIndex,
  removeIndex: ({ args, at, table, values, events }) => {
    const fields = values.strings(args[1]);
    const name = values.string(args[1]) ?? (fields ? underscore(`${table.name}_${fields.join('_')}`) : undefined);
    if (name) events.push({ op: 'dropIndex', at, name, schema: table.schema, ifExists: true });
  },
  addConstraint,
  removeConstraint: ({ args, at, table, values, events }) => {
    const name = values.string(args[1]);
    if (name) events.push({ op: 'dropConstraint', at, table, name, ifExists: true });
  },
  renameTable: ({ args, at, table, values, events }) => {
    const to = tableArg(args[1], values);
    if (to) events.push({ op: 'renameTable', at, table, to: to.name });
  },
  dropTable: ({ at, table, events }) => {
    events.push({ op: 'dropTable', at, table, ifExists: true });
  },
};

function read(sf: ts.SourceFile, values: Values): TsSchemaOutput | undefined {
  const events: SchemaEvent[] = [];
  const bodies = migrationUpBodies(sf, values);
  if (bodies.length) {
    for (const body of bodies) {
      const fn = body.parent;
      const p = fn && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn) || ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) ? fn.parameters[0]?.name : undefined;
      const qi = p && ts.isIdentifier(p) ? p.text : 'queryInterface';
      values.staticWalk(body, (n) => ts.isCallExpression(n) && migrationCall(n, qi, values, events));
    }
    if (events.length) return { kind: 'migration', events, library: 'sequelize' };
  }
  const visit = (n: ts.Node): void => {
    if (ts.isClassDeclaration(n)) readTableClass(n, values, events);
    if (ts.isCallExpression(n) && readModelCall(n, values, events)) return;
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return events.length ? { kind: 'declaration', events, library: 'sequelize' } : undefined;
}

export const sequelizeSchemaReader: SchemaReader = {
  library: 'sequelize',
  detect: (text) => (/sequelize/i.test(text) || text.includes('queryInterface')) && (/\.init\s*\(|\.define\s*\(|@Table\b/.test(text) || /queryInterface|\bup\b/.test(text)),
  read,
};
