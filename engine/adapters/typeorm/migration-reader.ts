/**
 * TypeORM migrations: the calls of a migration class's `up(queryRunner)` (and the methods of the class it
 * calls) read as schema events — `queryRunner.query("…SQL…")` through the SQL parser; `createTable(new
 * Table({…}))`, `createIndex`, `addColumn`, `changeColumn` to a unique column, `createForeignKey(s)`,
 * `createUniqueConstraint(s)`, `createPrimaryKey`, drops and renames (see ./schema.ts for the whole list).
 */
import type { ColumnSpec, ForeignKeySpec, IndexSpec, SchemaEvent, TableName } from '../../schema/events';
import { callChain, prop, rangeOf } from '../../schema/ts-syntax';
import { type Values, ts, unwrap } from '../../schema/ts-values';
import { normType } from './column-types';
import { typeormNames } from './naming';

function tableArg(e: ts.Expression | undefined, values: Values): TableName | undefined {
  if (!e) return undefined;
  const x = unwrap(e);
  const s = ts.isNewExpression(x) ? values.string(prop(values.object(x.arguments?.[0]), 'name', values)) : values.string(x);
  if (!s) return undefined;
  const dot = s.indexOf('.');
  return dot > 0 ? { schema: s.slice(0, dot), name: s.slice(dot + 1) } : { name: s };
}

/** The options object of `new TableIndex({…})` / `new TableColumn({…})` (or a plain object). */
function newOptions(e: ts.Expression | undefined, values: Values): ts.ObjectLiteralExpression | undefined {
  if (!e) return undefined;
  const x = unwrap(e);
  if (ts.isNewExpression(x)) return values.object(x.arguments?.[0]);
  return values.object(x);
}

function tableColumn(o: ts.ObjectLiteralExpression, values: Values): ColumnSpec | undefined {
  const name = values.string(prop(o, 'name', values));
  if (!name) return undefined;
  const length = values.string(prop(o, 'length', values));
  let type = normType(values.string(prop(o, 'type', values)), length);
  if (type && values.boolean(prop(o, 'isArray', values))) type += '[]';
  const primary = values.boolean(prop(o, 'isPrimary', values)) === true;
  return { name, type, notNull: primary || values.boolean(prop(o, 'isNullable', values)) !== true, primaryKey: primary || undefined, unique: values.boolean(prop(o, 'isUnique', values)) === true || undefined };
}

function tableIndex(o: ts.ObjectLiteralExpression, table: TableName, values: Values): IndexSpec | undefined {
  const cols = values.strings(prop(o, 'columnNames', values));
  if (!cols?.length) return undefined;
  const where = values.string(prop(o, 'where', values));
  return {
    name: values.string(prop(o, 'name', values)) ?? typeormNames.index(table.name, cols, where),
    keys: cols,
    unique: values.boolean(prop(o, 'isUnique', values)) === true,
    where,
    method: values.boolean(prop(o, 'isSpatial', values)) ? 'gist' : undefined,
  };
}

/** A `new TableUnique({ columnNames, name? })` (or plain object): TypeORM names it UQ_<hash> when unnamed. */
function tableUnique(o: ts.ObjectLiteralExpression, table: TableName, values: Values): { columns: string[]; name: string } | undefined {
  const cols = values.strings(prop(o, 'columnNames', values));
  return cols?.length ? { columns: cols, name: values.string(prop(o, 'name', values)) ?? typeormNames.unique(table.name, cols) } : undefined;
}

/** The body that holds `call` (the migration method's), searched for the statements that built a column variable. */
function enclosingBody(call: ts.Node): ts.Node | undefined {
  const fn = ts.findAncestor(call, (n) => ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n));
  return fn && (ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn) || ts.isFunctionExpression(fn) || ts.isArrowFunction(fn)) ? fn.body : undefined;
}

/** The declaration of variable `name` before `call` in its method, or undefined. */
function declarationBefore(name: string, call: ts.Node): ts.Expression | undefined {
  let found: ts.Expression | undefined;
  const visit = (n: ts.Node): void => {
    if (n.pos >= call.pos) return;
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name && n.initializer) found = n.initializer;
    ts.forEachChild(n, visit);
  };
  const body = enclosingBody(call);
  if (body) visit(body);
  return found;
}

/** The column a `changeColumn` argument names: a string, or a variable from `table.findColumnByName('x')` (or its `.clone()`). */
function columnNameOf(e: ts.Expression | undefined, call: ts.Node, values: Values, depth = 0): string | undefined {
  if (!e || depth > 4) return undefined;
  const direct = values.string(e);
  if (direct) return direct;
  let u = unwrap(e);
  if (ts.isNonNullExpression(u)) u = unwrap(u.expression);
  if (ts.isIdentifier(u)) return columnNameOf(declarationBefore(u.text, call), call, values, depth + 1);
  if (ts.isCallExpression(u) && ts.isPropertyAccessExpression(u.expression)) {
    const m = u.expression.name.text;
    if (m === 'findColumnByName') return values.string(u.arguments[0]);
    if (m === 'clone') return columnNameOf(u.expression.expression, call, values, depth + 1);
  }
  return undefined;
}

/** A column variable handed to `changeColumn`: its name, and the last `v.isUnique = true|false` written before the call. */
function changedColumn(e: ts.Expression | undefined, call: ts.Node, values: Values): { name?: string; unique?: boolean } | undefined {
  const u = e && unwrap(e);
  if (!u || !ts.isIdentifier(u)) return undefined;
  let unique: boolean | undefined;
  const visit = (n: ts.Node): void => {
    if (n.pos >= call.pos) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(n.left) && n.left.name.text === 'isUnique' && ts.isIdentifier(n.left.expression) && n.left.expression.text === u.text) {
      unique = values.boolean(n.right);
    }
    ts.forEachChild(n, visit);
  };
  const body = enclosingBody(call);
  if (body) visit(body);
  return { name: columnNameOf(u, call, values), unique };
}

/** The elements of a plural call's array argument (`createUniqueConstraints(t, [a, b])`), or the single argument. */
function listArg(plural: boolean, arg: ts.Expression | undefined): (ts.Expression | undefined)[] {
  const a = arg && unwrap(arg);
  return plural && a && ts.isArrayLiteralExpression(a) ? [...a.elements] : plural ? [] : [arg];
}

function foreignKeyOf(o: ts.ObjectLiteralExpression, table: TableName, values: Values): ForeignKeySpec | undefined {
  const cols = values.strings(prop(o, 'columnNames', values));
  const ref = tableArg(prop(o, 'referencedTableName', values), values);
  const refCols = values.strings(prop(o, 'referencedColumnNames', values));
  if (!cols?.length || !ref) return undefined;
  const refSchema = values.string(prop(o, 'referencedSchema', values));
  return { name: values.string(prop(o, 'name', values)) ?? typeormNames.foreignKey(table.name, cols), columns: cols, ref: { table: refSchema ? { ...ref, schema: refSchema } : ref, columns: refCols } };
}

/** A query-runner call of a migration, with what every handler needs. */
interface RunnerCall {
  call: ts.CallExpression;
  method: string;
  args: (ts.Expression | undefined)[];
  at: ReturnType<typeof rangeOf>;
  /** The table its first argument names (a name or a `Table`), when readable. */
  table: TableName | undefined;
  values: Values;
  events: SchemaEvent[];
}

function migrationCall(call: ts.CallExpression, runner: string, values: Values, events: SchemaEvent[]): void {
  const { root, steps } = callChain(call);
  if (!ts.isIdentifier(root) || root.text !== runner || !steps.length) return;
  // queryRunner.query(…) or queryRunner.manager.query(…)
  const last = steps[steps.length - 1];
  if (last.node !== call || !last.args) return;
  const args = [...last.args];
  const at = rangeOf(call);
  if (last.name === 'query') {
    const text = values.mappedText(args[0]);
    if (text) events.push({ op: 'sql', at, text: text.text, offsetOf: text.offsetOf });
    else if (looksLikeDdl(args[0])) events.push({ op: 'problem', at, message: 'TypeORM migration: SQL built at run time not read' });
    return;
  }
  const handler = steps.length === 1 && Object.hasOwn(RUNNER_CALLS, last.name) ? RUNNER_CALLS[last.name] : undefined;
  handler?.({ call, method: last.name, args, at, table: tableArg(args[0], values), values, events });
}

/** A name given as a string or as an options object's `name`. */
function nameArg(e: ts.Expression | undefined, values: Values): string | undefined {
  return values.string(e) ?? values.string(prop(newOptions(e, values), 'name', values));
}

/** The elements of an array-literal property of a `new Table({…})` (none when absent or not a literal). */
function arrayProp(o: ts.ObjectLiteralExpression, name: string, values: Values): ts.Expression[] {
  const a = unwrap(prop(o, name, values) ?? ts.factory.createArrayLiteralExpression([]));
  return ts.isArrayLiteralExpression(a) ? [...a.elements] : [];
}

/**
 * Each options object of a call's second argument: one, or an array literal of them for the plural methods
 * (`lenient`: a plural method's argument that is no array literal is read as one object, as it always was for
 * indexes, columns and foreign keys; unique constraints take only a literal).
 */
function eachOptions(c: RunnerCall, plural: boolean, each: (o: ts.ObjectLiteralExpression, table: TableName) => void, lenient = true): void {
  const table = c.table;
  if (!table) return;
  const a = c.args[1] && unwrap(c.args[1]);
  const list = lenient && plural && !(a && ts.isArrayLiteralExpression(a)) ? [c.args[1]] : listArg(plural, c.args[1]);
  for (const e of list) {
    const o = newOptions(e, c.values);
    if (o) each(o, table);
  }
}

function createTable(c: RunnerCall): void {
  const { values, table } = c;
  const o = newOptions(c.args[0], values);
  if (!o || !table) return;
  const columns = arrayProp(o, 'columns', values).map((e) => values.object(e)).map((e) => e && tableColumn(e, values)).filter((e): e is ColumnSpec => !!e);
  const pk = columns.filter((e) => e.primaryKey).map((e) => e.name);
  for (const col of columns) {
    col.primaryKey = undefined;
    if (col.unique) col.unique = typeormNames.unique(table.name, [col.name]);
  }
  const options = (name: string) => arrayProp(o, name, values).map((e) => newOptions(e, values));
  const uniques = options('uniques').map((u) => u && tableUnique(u, table, values)).filter((u): u is { columns: string[]; name: string } => !!u);
  const indexes = options('indices').map((i) => i && tableIndex(i, table, values)).filter((i): i is IndexSpec => !!i);
  const foreignKeys = options('foreignKeys').map((f) => f && foreignKeyOf(f, table, values)).filter((f): f is ForeignKeySpec => !!f);
  const literal = (name: string) => ts.isArrayLiteralExpression(unwrap(prop(o, name, values) ?? ts.factory.createArrayLiteralExpression([])));
  c.events.push({
    op: 'createTable',
    at: c.at,
    table,
    columns,
    ifNotExists: c.args[1] ? values.boolean(c.args[1]) === true : undefined,
    primaryKey: pk.length ? { columns: pk, name: typeormNames.primaryKey(table.name, pk) } : undefined,
    indexes: literal('indices') ? indexes : undefined,
    foreignKeys: literal('foreignKeys') ? foreignKeys : undefined,
    uniques: uniques.length ? uniques : undefined,
  });
}

/**
 * `changeColumn(t, old, new)` with a unique new column: `new TableColumn({ name, isUnique: true })`, or a clone
 * of the old one marked unique (`const u = col.clone(); u.isUnique = true`, `col = table.findColumnByName('x')`).
 */
function changeColumn(c: RunnerCall): void {
  const { table, values, args } = c;
  if (!table) return;
  const o = newOptions(args[2], values);
  const spec = o ? tableColumn(o, values) : undefined;
  const cloned = spec ? undefined : changedColumn(args[2], c.call, values);
  const name = spec?.name ?? cloned?.name ?? columnNameOf(args[1], c.call, values);
  if (name && (spec?.unique ?? cloned?.unique)) c.events.push({ op: 'addUnique', at: c.at, table, columns: [name], name: typeormNames.unique(table.name, [name]) });
}

const addIndexes = (plural: boolean) => (c: RunnerCall) =>
  eachOptions(c, plural, (o, table) => {
    const index = tableIndex(o, table, c.values);
    if (index) c.events.push({ op: 'addIndex', at: c.at, table, index });
  });

const addColumns = (plural: boolean) => (c: RunnerCall) =>
  eachOptions(c, plural, (o, table) => {
    const col = tableColumn(o, c.values);
    if (col) c.events.push({ op: 'addColumn', at: c.at, table, column: { ...col, primaryKey: undefined, unique: col.unique ? typeormNames.unique(table.name, [col.name]) : undefined } });
  });

const addForeignKeys = (plural: boolean) => (c: RunnerCall) =>
  eachOptions(c, plural, (o, table) => {
    const fk = foreignKeyOf(o, table, c.values);
    if (fk) c.events.push({ op: 'addForeignKey', at: c.at, table, fk });
  });

const addUniques = (plural: boolean) => (c: RunnerCall) =>
  eachOptions(c, plural, (o, table) => {
    const uq = tableUnique(o, table, c.values);
    if (uq) c.events.push({ op: 'addUnique', at: c.at, table, ...uq });
  }, false);

const dropConstraints = (plural: boolean) => (c: RunnerCall) => {
  const table = c.table;
  if (!table) return;
  for (const e of listArg(plural, c.args[1])) {
    const name = nameArg(e, c.values);
    if (name) c.events.push({ op: 'dropConstraint', at: c.at, table, name, ifExists: true });
  }
};

/** The query-runner methods read as schema events, by name. */
const RUNNER_CALLS: Record<string, (c: RunnerCall) => void> = {
  createTable,
  createIndex: addIndexes(false),
  createIndices: addIndexes(true),
  dropIndex: (c) => {
    const name = nameArg(c.args[1], c.values);
    if (name) c.events.push({ op: 'dropIndex', at: c.at, name, schema: c.table?.schema, ifExists: true });
  },
  addColumn: addColumns(false),
  addColumns: addColumns(true),
  dropColumn: (c) => {
    const name = nameArg(c.args[1], c.values);
    if (c.table && name) c.events.push({ op: 'dropColumn', at: c.at, table: c.table, column: name, ifExists: true });
  },
  changeColumn,
  renameColumn: (c) => {
    const from = nameArg(c.args[1], c.values);
    const to = nameArg(c.args[2], c.values);
    if (c.table && from && to) c.events.push({ op: 'renameColumn', at: c.at, table: c.table, from, to });
  },
  createForeignKey: addForeignKeys(false),
  createForeignKeys: addForeignKeys(true),
  createUniqueConstraint: addUniques(false),
  createUniqueConstraints: addUniques(true),
  createPrimaryKey: (c) => {
    const cols = c.values.strings(c.args[1]);
    if (c.table && cols?.length) c.events.push({ op: 'addPrimaryKey', at: c.at, table: c.table, columns: cols, name: c.values.string(c.args[2]) ?? typeormNames.primaryKey(c.table.name, cols) });
  },
  dropForeignKey: dropConstraints(false),
  dropUniqueConstraint: dropConstraints(false),
  dropForeignKeys: dropConstraints(true),
  dropUniqueConstraints: dropConstraints(true),
  dropTable: (c) => {
    if (c.table) c.events.push({ op: 'dropTable', at: c.at, table: c.table, ifExists: true });
  },
  renameTable: (c) => {
    const to = tableArg(c.args[1], c.values);
    if (c.table && to) c.events.push({ op: 'renameTable', at: c.at, table: c.table, to: to.name });
  },
};

function looksLikeDdl(e: ts.Expression | undefined): boolean {
  return !!e && /\b(create|alter|drop)\s+(table|index|unique)/i.test(e.getText());
}

/** The query runner parameter of a method (its first parameter), or undefined. */
export function runnerParam(m: ts.MethodDeclaration): string | undefined {
  const p = m.parameters[0];
  return p && ts.isIdentifier(p.name) ? p.name.text : undefined;
}

/** The `up` method of a migration class. */
export function upMethod(cls: ts.ClassDeclaration): ts.MethodDeclaration | undefined {
  return cls.members.find((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && !!m.body && !!m.name && ts.isIdentifier(m.name) && m.name.text === 'up' && !!runnerParam(m));
}

/**
 * Reads `up` and the methods of the class it calls (`await this.modifyTable(queryRunner)`), in call
 * order, each with the name its runner parameter has there.
 */
export function readMigrationMethod(cls: ts.ClassDeclaration, m: ts.MethodDeclaration, runner: string, values: Values, events: SchemaEvent[], seen: Set<ts.MethodDeclaration>): void {
  if (seen.has(m) || !m.body) return;
  seen.add(m);
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      if (ts.isPropertyAccessExpression(callee) && callee.expression.kind === ts.SyntaxKind.ThisKeyword) {
        const target = cls.members.find((x): x is ts.MethodDeclaration => ts.isMethodDeclaration(x) && !!x.name && ts.isIdentifier(x.name) && x.name.text === callee.name.text);
        const argIndex = n.arguments.findIndex((a) => ts.isIdentifier(a) && a.text === runner);
        const p = target && argIndex >= 0 ? target.parameters[argIndex] : undefined;
        if (target && p && ts.isIdentifier(p.name)) readMigrationMethod(cls, target, p.name.text, values, events, seen);
      } else migrationCall(n, runner, values, events);
    }
    ts.forEachChild(n, visit);
  };
  visit(m.body);
}
