/**
 * node-pg-migrate migrations (the migration tool of node-postgres projects; its reader lives with the
 * pg adapter): `exports.up = (pgm) => …` / `export async function up(pgm: MigrationBuilder)`, read from
 * `up` only:
 * - `pgm.createTable(name, { col: 'type' | { type, notNull, primaryKey, unique, references } }, { constraints })`
 *   (`'id'` is `serial primary key`); `name` may be `{ schema, name }`;
 * - `pgm.addColumns/addColumn`, `dropColumns/dropColumn`, `renameColumn`, `alterColumn(t, c, { type, notNull })`,
 *   `renameTable`, `dropTable`;
 * - `pgm.createIndex/addIndex(t, cols, { name, unique, where, method, include })` (unnamed:
 *   `<table>_<columns>[_unique]_index`), `dropIndex`;
 * - `pgm.addConstraint(t, name, { primaryKey | unique | foreignKeys } | 'SQL')`, `dropConstraint`;
 * - `pgm.sql('…')` through the SQL parser.
 */
import type { ColumnSpec, ForeignKeySpec, SchemaEvent, SchemaReader, TableName, TsSchemaOutput } from '../../schema/events';
import { callChain, migrationUpBodies, prop, rangeOf } from '../../schema/ts-syntax';
import { type Values, propertyName, ts, unwrap } from '../../schema/ts-values';
import { quoteIdentAlways } from '../../sql/ident';

type At = { start: number; end: number };

function tableArg(e: ts.Expression | undefined, values: Values): TableName | undefined {
  if (!e) return undefined;
  const o = values.object(e);
  if (o) {
    const name = values.string(prop(o, 'name', values));
    return name ? { name, schema: values.string(prop(o, 'schema', values)) } : undefined;
  }
  const s = values.string(e);
  return s ? { name: s } : undefined;
}

/** `'"users"'`, `'users(id)'`, `{ schema, name }` → a table (and its column when written `t(c)`). */
function referenceArg(e: ts.Expression | undefined, values: Values): { table: TableName; column?: string } | undefined {
  const t = tableArg(e, values);
  if (!t) return undefined;
  const m = /^\s*"?([^"(]+?)"?\s*(?:\(\s*"?([^")]+)"?\s*\))?\s*$/.exec(t.name);
  if (!m) return undefined;
  const parts = m[1].split('.');
  const table = parts.length > 1 ? { schema: parts[0].replace(/"/g, ''), name: parts[1].replace(/"/g, '') } : { name: m[1], schema: t.schema };
  return { table, column: m[2] };
}

function columnSpec(name: string, def: ts.Expression, table: TableName, values: Values, after: SchemaEvent[], at: At): ColumnSpec | undefined {
  const short = values.string(def);
  if (short !== undefined) return short === 'id' ? { name, type: 'serial', primaryKey: true, notNull: true } : { name, type: short };
  const o = values.object(def);
  if (!o) return undefined;
  const type = values.string(prop(o, 'type', values));
  const spec: ColumnSpec = { name, type: type === 'id' ? 'serial' : type };
  if (values.boolean(prop(o, 'notNull', values))) spec.notNull = true;
  if (values.boolean(prop(o, 'primaryKey', values))) {
    spec.primaryKey = true;
    spec.notNull = true;
  }
  if (values.boolean(prop(o, 'unique', values))) spec.unique = true;
  const ref = referenceArg(prop(o, 'references', values), values);
  const refCol = values.string(prop(o, 'referencesConstraintName', values));
  if (ref) after.push({ op: 'addForeignKey', at, table, fk: { name: refCol, columns: [name], ref: { table: ref.table, columns: ref.column ? [ref.column] : undefined } } });
  return spec;
}

function columnsOf(obj: ts.ObjectLiteralExpression | undefined, table: TableName, values: Values, after: SchemaEvent[], at: At): ColumnSpec[] {
  const out: ColumnSpec[] = [];
  for (const p of obj?.properties ?? []) {
    if (!ts.isPropertyAssignment(p)) continue;
    const name = propertyName(p.name, values);
    const c = name ? columnSpec(name, p.initializer, table, values, after, at) : undefined;
    if (c) out.push(c);
  }
  return out;
}

/** The `constraints` option: `{ primaryKey, unique, foreignKeys }`. */
function constraints(o: ts.ObjectLiteralExpression | undefined, table: TableName, name: string | undefined, values: Values, at: At): SchemaEvent[] {
  const out: SchemaEvent[] = [];
  if (!o) return out;
  const pk = values.strings(prop(o, 'primaryKey', values));
  if (pk?.length) out.push({ op: 'addPrimaryKey', at, table, columns: pk, name });
  const u = prop(o, 'unique', values);
  const ux = u && unwrap(u);
  const lists = ux && ts.isArrayLiteralExpression(ux) && ux.elements.some((el) => ts.isArrayLiteralExpression(unwrap(el))) ? ux.elements.map((el) => values.strings(el)) : [values.strings(u)];
  for (const cols of lists) if (cols?.length) out.push({ op: 'addUnique', at, table, columns: cols, name });
  const fkx = prop(o, 'foreignKeys', values);
  const fkList = fkx && ts.isArrayLiteralExpression(unwrap(fkx)) ? [...(unwrap(fkx) as ts.ArrayLiteralExpression).elements] : fkx ? [fkx] : [];
  for (const f of fkList) {
    const fo = values.object(f);
    const cols = fo && values.strings(prop(fo, 'columns', values));
    const ref = fo && referenceArg(prop(fo, 'references', values), values);
    if (!cols?.length || !ref) continue;
    const fk: ForeignKeySpec = { name, columns: cols, ref: { table: ref.table, columns: ref.column ? [ref.column] : undefined } };
    out.push({ op: 'addForeignKey', at, table, fk });
  }
  return out;
}

/** node-pg-migrate's default index name: `<table>_<columns>[_unique]_index`. */
function indexName(table: string, cols: string[], unique: boolean): string {
  return `${table}_${cols.join('_')}${unique ? '_unique' : ''}_index`;
}

function call(c: ts.CallExpression, pgm: string, values: Values, events: SchemaEvent[]): boolean {
  const { root, steps } = callChain(c);
  if (!ts.isIdentifier(root) || root.text !== pgm || steps.length !== 1 || !steps[0].args) return false;
  const handler = Object.hasOwn(PGM_CALLS, steps[0].name) ? PGM_CALLS[steps[0].name] : undefined;
  if (!handler) return false;
  const args = [...steps[0].args];
  handler({ args, at: rangeOf(c), table: tableArg(args[0], values), values, events });
  return true;
}

/** A `pgm.<method>(…)` call of a node-pg-migrate migration. */
interface PgmCall {
  args: ts.Expression[];
  at: ReturnType<typeof rangeOf>;
  /** The table its first argument names, when readable. */
  table: TableName | undefined;
  values: Values;
  events: SchemaEvent[];
}

function createTable({ args, at, table, values, events }: PgmCall): void {
  if (!table) return;
  const after: SchemaEvent[] = [];
  const columns = columnsOf(values.object(args[1]), table, values, after, at);
  const opts = values.object(args[2]);
  events.push({ op: 'createTable', at, table, columns, ifNotExists: opts ? values.boolean(prop(opts, 'ifNotExists', values)) === true : undefined });
  events.push(...after, ...constraints(opts ? values.object(prop(opts, 'constraints', values)) : undefined, table, undefined, values, at));
}

function addColumns({ args, at, table, values, events }: PgmCall): void {
  if (!table) return;
  const after: SchemaEvent[] = [];
  for (const col of columnsOf(values.object(args[1]), table, values, after, at)) events.push({ op: 'addColumn', at, table, column: col });
  events.push(...after);
}

/** A list of names, one name, or an object keyed by column. */
function dropColumns({ args, at, table, values, events }: PgmCall): void {
  const obj = values.object(args[1]);
  const cols = values.strings(args[1]) ?? obj?.properties.map((p) => (p.name ? propertyName(p.name, values) : undefined)).filter((x): x is string => !!x);
  for (const col of cols ?? []) if (table) events.push({ op: 'dropColumn', at, table, column: col, ifExists: true });
}

function alterColumn({ args, at, table, values, events }: PgmCall): void {
  const col = values.string(args[1]);
  const o = values.object(args[2]);
  if (!table || !col || !o) return;
  const notNull = values.boolean(prop(o, 'notNull', values));
  events.push({ op: 'alterColumn', at, table, column: col, type: values.string(prop(o, 'type', values)), notNull });
}

function createIndex({ args, at, table, values, events }: PgmCall): void {
  const cols = values.strings(args[1]);
  if (!table || !cols?.length) {
    events.push({ op: 'problem', at, message: 'node-pg-migrate index not read: its table or columns are computed at run time' });
    return;
  }
  const o = values.object(args[2]);
  const option = (name: string) => (o ? prop(o, name, values) : undefined);
  const unique = values.boolean(option('unique')) === true;
  const keys = cols.map((c) => (/^[\w$]+$/.test(c) ? c : { expression: c }));
  events.push({
    op: 'addIndex',
    at,
    table,
    index: {
      name: (o && values.string(option('name'))) ?? indexName(table.name, cols.map((c) => c.replace(/[^\w]+/g, '_')), unique),
      keys,
      unique,
      where: o ? values.string(option('where')) : undefined,
      method: o ? values.string(option('method')) : undefined,
      include: o ? values.strings(option('include')) : undefined,
      ifNotExists: o ? values.boolean(option('ifNotExists')) === true : undefined,
    },
  });
}

function dropIndex({ args, at, table, values, events }: PgmCall): void {
  const cols = values.strings(args[1]) ?? [];
  const o = values.object(args[2]);
  const name = (o && values.string(prop(o, 'name', values))) ?? (table ? indexName(table.name, cols, o ? values.boolean(prop(o, 'unique', values)) === true : false) : undefined);
  if (name) events.push({ op: 'dropIndex', at, name, schema: table?.schema, ifExists: true });
}

function addConstraint({ args, at, table, values, events }: PgmCall): void {
  const name = values.string(args[1]) ?? undefined;
  if (!table) return;
  const sql = values.string(args[2]);
  if (sql !== undefined) events.push({ op: 'sql', at, text: `ALTER TABLE ${quoteIdentAlways(table.name)} ADD ${name ? `CONSTRAINT ${quoteIdentAlways(name)} ` : ''}${sql}`, offsetOf: () => at.start });
  else events.push(...constraints(values.object(args[2]), table, name, values, at));
}

/** The `pgm` methods read as schema events, by name. */
const PGM_CALLS: Record<string, (c: PgmCall) => void> = {
  sql: ({ args, at, values, events }) => {
    const text = values.mappedText(args[0]);
    if (text) events.push({ op: 'sql', at, text: text.text, offsetOf: text.offsetOf });
  },
  createTable,
  addColumns,
  addColumn: addColumns,
  dropColumns,
  dropColumn: dropColumns,
  renameColumn: ({ args, at, table, values, events }) => {
    const from = values.string(args[1]);
    const to = values.string(args[2]);
    if (table && from && to) events.push({ op: 'renameColumn', at, table, from, to });
  },
  alterColumn,
  renameTable: ({ args, at, table, values, events }) => {
    const to = values.string(args[1]);
    if (table && to) events.push({ op: 'renameTable', at, table, to });
  },
  dropTable: ({ at, table, events }) => {
    if (table) events.push({ op: 'dropTable', at, table, ifExists: true });
  },
  createIndex,
  addIndex: createIndex,
  dropIndex,
  addConstraint,
  createConstraint: addConstraint,
  dropConstraint: ({ args, at, table, values, events }) => {
    const name = values.string(args[1]);
    if (table && name) events.push({ op: 'dropConstraint', at, table, name, ifExists: true });
  },
};

function read(sf: ts.SourceFile, values: Values): TsSchemaOutput | undefined {
  const events: SchemaEvent[] = [];
  for (const body of migrationUpBodies(sf, values)) {
    const fn = body.parent;
    const p = fn && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn) || ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) ? fn.parameters[0]?.name : undefined;
    const pgm = p && ts.isIdentifier(p) ? p.text : 'pgm';
    values.staticWalk(body, (n) => ts.isCallExpression(n) && call(n, pgm, values, events));
  }
  return events.length ? { kind: 'migration', events, library: 'node-pg-migrate' } : undefined;
}

export const nodePgMigrateSchemaReader: SchemaReader = {
  library: 'node-pg-migrate',
  // `includes` first: asked of every TypeScript file, and a regular expression without a literal start scans slowly.
  detect: (text) => (text.includes('pgm') && /\bpgm\s*\.\s*(?:createTable|createIndex|addIndex|addColumns?|sql|addConstraint)\s*\(/.test(text)) || (text.includes('node-pg-migrate') && /\bup\b/.test(text)),
  read,
};
