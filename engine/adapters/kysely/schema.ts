/**
 * Kysely migrations (`export async function up(db: Kysely<…>)`, `{ up: async (db) => … }` objects),
 * read from their `up` only:
 * - `db.schema[.withSchema(s)].createTable(t)[.ifNotExists()].addColumn(name, type, (col) => …)` with
 *   `.primaryKey()`, `.unique()`, `.notNull()`, `.references('t.c')`, and
 *   `.addPrimaryKeyConstraint` / `.addUniqueConstraint` / `.addForeignKeyConstraint`;
 * - `db.schema.alterTable(t)` with `addColumn`, `dropColumn`, `renameColumn`, `alterColumn(c, (ac) =>
 *   ac.setDataType(…) | setNotNull() | dropNotNull())`, `renameTo`, the constraint methods, `dropConstraint`;
 * - `db.schema.createIndex(name).on(t).column(c) | .columns([…]) | .expression(sql\`…\`)` with `.unique()`,
 *   `.using(m)`, `.where(…)`; `dropIndex`, `dropTable`;
 * - raw SQL: `sql\`…\`.execute(db)`, `sql.raw('…').execute(db)` (through the SQL parser).
 * Types are SQL as written (`'varchar(30)'`, `sql\`vector(1536)\``); names PostgreSQL's defaults, as
 * Kysely writes no names of its own.
 */
import type { ColumnSpec, IndexSpec, SchemaEvent, SchemaReader, TableName, TsSchemaOutput } from '../../schema/events';
import { type ChainStep, callChain, migrationUpBodies, rangeOf, sqlLiteral } from '../../schema/ts-syntax';
import { type Values, ts, unwrap } from '../../schema/ts-values';
import { quoteIdentAlways, quoteQualifiedAlways } from '../../sql/ident';

const NAME_HELPERS = new Set(['ref', 'id', 'table']);
const TEXT_HELPERS = new Set(['raw', 'lit']);

/**
 * What a callee splices into a template from its constant argument: text (`sql.raw`, `sql.lit`) or a name
 * (`sql.ref`, `sql.id`, `sql.table`, `db.dynamic.ref`), also through a local alias (`const ref =
 * db.dynamic.ref`, `const { ref } = sql`).
 */
function spliceOf(callee: ts.Expression, values: Values, depth = 0): 'text' | 'name' | undefined {
  const helper = (m: string): 'text' | 'name' | undefined => (TEXT_HELPERS.has(m) ? 'text' : NAME_HELPERS.has(m) ? 'name' : undefined);
  const c = unwrap(callee);
  if (ts.isPropertyAccessExpression(c)) {
    const obj = unwrap(c.expression);
    if (ts.isIdentifier(obj) && obj.text === 'sql') return helper(c.name.text);
    return c.name.text === 'ref' && ts.isPropertyAccessExpression(obj) && obj.name.text === 'dynamic' ? 'name' : undefined;
  }
  if (!ts.isIdentifier(c) || depth > 2) return undefined;
  const d = values.lookup(c)?.node;
  if (d && ts.isVariableDeclaration(d) && d.initializer && d.parent.flags & ts.NodeFlags.Const) return spliceOf(d.initializer, values, depth + 1);
  if (d && ts.isBindingElement(d) && ts.isObjectBindingPattern(d.parent) && ts.isVariableDeclaration(d.parent.parent) && d.parent.parent.initializer) {
    const src = unwrap(d.parent.parent.initializer);
    if (ts.isIdentifier(src) && src.text === 'sql') return helper((d.propertyName ?? d.name).getText());
  }
  return undefined;
}

/**
 * SQL text of a `sql\`…\`` template or `sql.raw('…')` (constant substitutions and name/text helpers only).
 * With `keepHoles`, an interpolation we cannot resolve stays written as `${…}`, so the statement does not
 * parse and is reported as skipped (and the table it changes marked as having unseen indexes) instead of
 * vanishing from the schema in silence.
 */
function sqlTemplate(e: ts.Expression | undefined, values: Values, keepHoles = false): string | undefined {
  if (!e) return undefined;
  const x = unwrap(e);
  if (ts.isTaggedTemplateExpression(x) && ts.isIdentifier(x.tag) && x.tag.text === 'sql') {
    const t = x.template;
    if (ts.isNoSubstitutionTemplateLiteral(t)) return t.text;
    let out = t.head.text;
    for (const span of t.templateSpans) {
      // `${sql.ref('col')}`, `${sql.raw('x')}`, `${sql.id('t')}`, `${ref('t')}` (db.dynamic.ref), or a constant.
      const inner = unwrap(span.expression);
      let v: string | undefined;
      const splice = ts.isCallExpression(inner) ? spliceOf(inner.expression, values) : undefined;
      if (splice && ts.isCallExpression(inner)) {
        const arg = values.string(inner.arguments[0]);
        v = arg === undefined ? undefined : splice === 'text' ? arg : quoteQualifiedAlways(arg);
      } else v = values.string(inner);
      if (v === undefined && keepHoles) v = `\${${span.expression.getText()}}`;
      if (v === undefined) return undefined;
      out += v + span.literal.text;
    }
    return out;
  }
  if (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) && ts.isIdentifier(x.expression.expression) && x.expression.expression.text === 'sql' && x.expression.name.text === 'raw') return values.string(x.arguments[0]);
  return undefined;
}

function typeOf(e: ts.Expression | undefined, values: Values): string | undefined {
  return e ? (values.string(e) ?? sqlTemplate(e, values)) : undefined;
}

function tableName(s: string, schema?: string): TableName {
  const dot = s.indexOf('.');
  if (dot > 0) return { schema: s.slice(0, dot), name: s.slice(dot + 1) };
  return schema ? { name: s, schema } : { name: s };
}

/** `'t.c'` → table and column. */
function reference(s: string | undefined): { table: TableName; column: string } | undefined {
  if (!s) return undefined;
  const i = s.lastIndexOf('.');
  return i > 0 ? { table: tableName(s.slice(0, i)), column: s.slice(i + 1) } : undefined;
}

/** A column from `addColumn(name, type, (col) => col.notNull()…)`. */
function column(args: readonly ts.Expression[], values: Values): { spec: ColumnSpec; ref?: { table: TableName; column: string } } | undefined {
  const name = values.string(args[0]);
  if (!name) return undefined;
  const spec: ColumnSpec = { name, type: typeOf(args[1], values) };
  let ref: { table: TableName; column: string } | undefined;
  const fn = args[2] && unwrap(args[2]);
  if (fn && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) {
    let body: ts.Node = fn.body;
    if (ts.isBlock(body)) {
      const ret = body.statements.find(ts.isReturnStatement);
      body = ret?.expression ?? body;
    }
    const { steps } = callChain(body as ts.Expression);
    for (const s of steps) {
      if (s.name === 'notNull') spec.notNull = true;
      else if (s.name === 'primaryKey') {
        spec.primaryKey = true;
        spec.notNull = true;
      } else if (s.name === 'unique') spec.unique = true;
      else if (s.name === 'references') ref = reference(s.args?.[0] ? values.string(s.args[0]) : undefined);
    }
  }
  if (ref) spec.references = { table: ref.table, columns: [ref.column] };
  return { spec, ref };
}

interface Chain {
  schema?: string;
}

function constraintStep(s: ChainStep, table: TableName, values: Values, at: { start: number; end: number }): SchemaEvent | undefined {
  const args = s.args ? [...s.args] : [];
  const name = values.string(args[0]);
  if (s.name === 'addPrimaryKeyConstraint' || s.name === 'addUniqueConstraint') {
    const cols = values.strings(args[1]);
    if (!cols?.length) return undefined;
    return s.name === 'addPrimaryKeyConstraint' ? { op: 'addPrimaryKey', at, table, columns: cols, name } : { op: 'addUnique', at, table, columns: cols, name };
  }
  if (s.name === 'addForeignKeyConstraint') {
    const cols = values.strings(args[1]);
    const ref = values.string(args[2]);
    const refCols = values.strings(args[3]);
    if (!cols?.length || !ref) return undefined;
    return { op: 'addForeignKey', at, table, fk: { name, columns: cols, ref: { table: tableName(ref), columns: refCols } } };
  }
  if (s.name === 'dropConstraint' && name) return { op: 'dropConstraint', at, table, name, ifExists: true };
  return undefined;
}

function createTable(steps: ChainStep[], i: number, chain: Chain, values: Values, at: { start: number; end: number }, events: SchemaEvent[]): void {
  const name = values.string(steps[i].args?.[0]);
  if (!name) {
    events.push({ op: 'problem', at, message: 'Kysely table not read: its name is computed at run time' });
    return;
  }
  const table = tableName(name, chain.schema);
  const columns: ColumnSpec[] = [];
  const after: SchemaEvent[] = [];
  let ifNotExists = false;
  for (const s of steps.slice(i + 1)) {
    if (s.name === 'ifNotExists') ifNotExists = true;
    else if (s.name === 'addColumn' && s.args) {
      const c = column([...s.args], values);
      if (c) columns.push(c.spec);
    } else {
      const e = constraintStep(s, table, values, at);
      if (e) after.push(e);
    }
  }
  events.push({ op: 'createTable', at, table, columns, ifNotExists }, ...after);
}

function alterTable(steps: ChainStep[], i: number, chain: Chain, values: Values, at: { start: number; end: number }, events: SchemaEvent[]): void {
  const name = values.string(steps[i].args?.[0]);
  if (!name) return;
  let table = tableName(name, chain.schema);
  for (const s of steps.slice(i + 1)) {
    const args = s.args ? [...s.args] : [];
    switch (s.name) {
      case 'addColumn': {
        const c = column(args, values);
        if (c) events.push({ op: 'addColumn', at, table, column: c.spec });
        break;
      }
      case 'dropColumn': {
        const c = values.string(args[0]);
        if (c) events.push({ op: 'dropColumn', at, table, column: c, ifExists: true });
        break;
      }
      case 'renameColumn': {
        const from = values.string(args[0]);
        const to = values.string(args[1]);
        if (from && to) events.push({ op: 'renameColumn', at, table, from, to });
        break;
      }
      case 'alterColumn': {
        const c = values.string(args[0]);
        const fn = args[1] && unwrap(args[1]);
        if (!c || !fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || ts.isBlock(fn.body)) break;
        for (const st of callChain(fn.body).steps) {
          if (st.name === 'setDataType') events.push({ op: 'alterColumn', at, table, column: c, type: typeOf(st.args?.[0], values) });
          else if (st.name === 'setNotNull' || st.name === 'dropNotNull') events.push({ op: 'alterColumn', at, table, column: c, notNull: st.name === 'setNotNull' });
        }
        break;
      }
      case 'renameTo': {
        const to = values.string(args[0]);
        if (to) {
          events.push({ op: 'renameTable', at, table, to });
          table = { ...table, name: to };
        }
        break;
      }
      default: {
        const e = constraintStep(s, table, values, at);
        if (e) events.push(e);
      }
    }
  }
}

/** A partial index's `where(col, op, value)` or `where(sql\`…\`)` as SQL. */
function whereSql(args: readonly ts.Expression[], values: Values): string | undefined {
  if (args.length === 1) return sqlTemplate(args[0], values);
  const col = values.string(args[0]);
  const op = values.string(args[1]);
  if (!col || !op) return undefined;
  const lit = sqlLiteral(args[2], values);
  return lit === undefined ? undefined : `${quoteIdentAlways(col)} ${op} ${lit}`;
}

function createIndex(steps: ChainStep[], i: number, chain: Chain, values: Values, at: { start: number; end: number }, events: SchemaEvent[]): void {
  const name = values.string(steps[i].args?.[0]);
  const index: IndexSpec = { name, keys: [] };
  let table: TableName | undefined;
  const where: string[] = [];
  let ok = true;
  for (const s of steps.slice(i + 1)) {
    const args = s.args ? [...s.args] : [];
    switch (s.name) {
      case 'on': {
        const t = values.string(args[0]);
        if (t) table = tableName(t, chain.schema);
        break;
      }
      case 'column':
      case 'columns': {
        const cols = values.strings(args[0]);
        if (cols) index.keys.push(...cols);
        else ok = false;
        break;
      }
      case 'expression': {
        const e = sqlTemplate(args[0], values);
        if (e) index.keys.push({ expression: e });
        else ok = false;
        break;
      }
      case 'unique':
        index.unique = true;
        break;
      case 'using':
        index.method = values.string(args[0]) ?? sqlTemplate(args[0], values);
        break;
      case 'ifNotExists':
        index.ifNotExists = true;
        break;
      case 'where': {
        const w = whereSql(args, values);
        if (w) where.push(w);
        else ok = false;
        break;
      }
      default:
        break;
    }
  }
  if (!table || !ok || !index.keys.length) {
    events.push({ op: 'problem', at, message: `Kysely index ${name ?? ''} not read: its table, keys or condition are computed at run time`.replace('  ', ' ') });
    return;
  }
  if (where.length) index.where = where.join(' AND ');
  events.push({ op: 'addIndex', at, table, index });
}

/** A raw template run by a migration; DDL keeps its unresolved holes so it is reported, not silently lost. */
function ddlTemplate(tpl: ts.Expression, values: Values): string | undefined {
  const text = sqlTemplate(tpl, values, true);
  return text === undefined || /^\s*(create|alter|drop|comment)\b/i.test(text) || !text.includes('${') ? text : undefined;
}

/** A `db.schema…` chain or `sql\`…\`.execute(db)`; false when the call is neither. */
function schemaCall(call: ts.CallExpression, values: Values, events: SchemaEvent[]): boolean {
  const at = rangeOf(call);
  const { root, steps } = callChain(call);
  // sql`…`.execute(db), sql.raw('…').execute(db)
  const last = steps[steps.length - 1];
  if (last?.name === 'execute' && last.node === call) {
    const tpl = steps.length === 1 ? root : undefined;
    const text = tpl ? ddlTemplate(tpl, values) : steps.length === 2 && steps[0].name === 'raw' && ts.isIdentifier(root) && root.text === 'sql' ? values.string(steps[0].args?.[0]) : undefined;
    if (text !== undefined) {
      events.push({ op: 'sql', at, text, offsetOf: () => at.start });
      return true;
    }
  }
  const si = steps.findIndex((s) => s.name === 'schema' && !s.args);
  if (si < 0) return false;
  const chain: Chain = {};
  for (let i = si + 1; i < steps.length; i++) {
    const s = steps[i];
    if (s.name === 'withSchema') chain.schema = values.string(s.args?.[0]);
    else if (s.name === 'createTable') return createTable(steps, i, chain, values, at, events), true;
    else if (s.name === 'alterTable') return alterTable(steps, i, chain, values, at, events), true;
    else if (s.name === 'createIndex') return createIndex(steps, i, chain, values, at, events), true;
    else if (s.name === 'dropIndex') {
      const name = values.string(s.args?.[0]);
      if (name) events.push({ op: 'dropIndex', at, name, schema: chain.schema, ifExists: true });
      return true;
    } else if (s.name === 'dropTable') {
      const name = values.string(s.args?.[0]);
      if (name) events.push({ op: 'dropTable', at, table: tableName(name, chain.schema), ifExists: true });
      return true;
    }
  }
  return true;
}

function read(sf: ts.SourceFile, values: Values): TsSchemaOutput | undefined {
  const events: SchemaEvent[] = [];
  for (const body of migrationUpBodies(sf, values)) values.staticWalk(body, (n) => ts.isCallExpression(n) && schemaCall(n, values, events));
  return events.length ? { kind: 'migration', events, library: 'kysely' } : undefined;
}

export const kyselySchemaReader: SchemaReader = {
  library: 'kysely',
  detect: (text) => text.includes('kysely') && /\bup\b/.test(text) && (text.includes('.schema') || text.includes('.execute(')),
  read,
};
