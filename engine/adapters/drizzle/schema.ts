/**
 * Drizzle's PostgreSQL schema (`drizzle-orm/pg-core`) read as declarations: every
 * `pgTable(name, columns, extra)` (also `pgSchema('s').table(…)` and tables of a `pgTableCreator`)
 * becomes a table with the names drizzle-kit gives:
 * - columns: the builder's first string argument, else the object key; types from the builder
 *   (`timestamp(…, { withTimezone: true })` → timestamptz, `.array()` → `[]`, a `pgEnum` → its name,
 *   a `customType` → its `dataType()`);
 * - `.primaryKey()` → `<table>_pkey`; `.unique()` → `<table>_<column>_unique`; `.references(() => t.c)`
 *   → a foreign key `<table>_<column>_<ref table>_<ref column>_fk` (no index: PostgreSQL makes none);
 * - the third argument, as an array `(t) => [ … ]` or the older object `(t) => ({ … })`:
 *   `index(name).on(…)`, `uniqueIndex(name).on(…)` (unnamed: `<table>_<columns>_index`), `.using()`,
 *   `.where(sql\`…\`)` or drizzle-orm's operators (`.where(isNotNull(t.x))`), expression keys `sql\`lower(${t.email})\``, `.op()` classes; `primaryKey({ columns })`
 *   (`<table>_<columns>_pk`), `unique(name).on(…)`, `foreignKey({ columns, foreignColumns })`.
 * The table variable is the model name, so other files' `references(() => user.id)` find it.
 */
import type { SchemaEvent, SchemaReader, TsSchemaOutput, ColumnSpec, IndexSpec, ForeignKeySpec } from '../../schema/events';
import { type ChainStep, callChain, prop, rangeOf, sqlLiteral } from '../../schema/ts-syntax';
import { type Values, propertyName, ts, unwrap } from '../../schema/ts-values';
import { quoteIdentAlways } from '../../sql/ident';

const PG_CORE = /^drizzle-orm\/pg-core$/;

/** Builder function → PostgreSQL type (before options). */
const TYPES: Record<string, string> = {
  text: 'text',
  varchar: 'varchar',
  char: 'bpchar',
  integer: 'int4',
  smallint: 'int2',
  bigint: 'int8',
  serial: 'serial',
  smallserial: 'smallserial',
  bigserial: 'bigserial',
  boolean: 'bool',
  timestamp: 'timestamp',
  time: 'time',
  date: 'date',
  interval: 'interval',
  json: 'json',
  jsonb: 'jsonb',
  uuid: 'uuid',
  numeric: 'numeric',
  decimal: 'numeric',
  real: 'float4',
  doublePrecision: 'float8',
  vector: 'vector',
  halfvec: 'halfvec',
  sparsevec: 'sparsevec',
  bit: 'bit',
  inet: 'inet',
  cidr: 'cidr',
  macaddr: 'macaddr',
  macaddr8: 'macaddr8',
  point: 'point',
  line: 'line',
  geometry: 'geometry',
};

interface Imports {
  /** Local name → pg-core export name. */
  core: Map<string, string>;
  /** Local name → drizzle-orm export name (the filter operators of an index's `.where(isNotNull(t.x))`). */
  ops: Map<string, string>;
}

function pgCoreImports(sf: ts.SourceFile): Imports {
  const core = new Map<string, string>();
  const ops = new Map<string, string>();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const into = PG_CORE.test(st.moduleSpecifier.text) ? core : st.moduleSpecifier.text === 'drizzle-orm' ? ops : undefined;
    if (!into) continue;
    const nb = st.importClause?.namedBindings;
    if (nb && ts.isNamedImports(nb)) for (const el of nb.elements) into.set(el.name.text, (el.propertyName ?? el.name).text);
    if (into === core && nb && ts.isNamespaceImport(nb)) core.set(`${nb.name.text}.*`, '*');
  }
  return { core, ops };
}

/** The pg-core export a callee names (`index`, `pgTable`, `core.text` through a namespace import). */
function coreName(callee: ts.Expression, imp: Imports): string | undefined {
  const x = unwrap(callee);
  if (ts.isIdentifier(x)) return imp.core.get(x.text);
  if (ts.isPropertyAccessExpression(x) && ts.isIdentifier(x.expression) && imp.core.has(`${x.expression.text}.*`)) return x.name.text;
  return undefined;
}

interface Ctx {
  values: Values;
  imp: Imports;
  /** Local table variables of this file: variable → table name (for same-file references and FK names). */
  tables: Map<string, string>;
}

/** What a call makes a table with: pgTable itself, a pgSchema's `.table`, or a pgTableCreator's function. */
function tableFactory(callee: ts.Expression, ctx: Ctx): { schema?: string; prefix?: (n: string) => string } | undefined {
  const x = unwrap(callee);
  const name = coreName(x, ctx.imp);
  if (name === 'pgTable') return {};
  if (ts.isPropertyAccessExpression(x) && x.name.text === 'table') {
    const init = ctx.values.resolve(x.expression);
    if (init && ts.isCallExpression(init) && coreName(init.expression, ctx.imp) === 'pgSchema') {
      const schema = ctx.values.string(init.arguments[0]);
      return schema ? { schema } : undefined;
    }
  }
  if (ts.isIdentifier(x)) {
    const init = ctx.values.resolve(x);
    if (init && ts.isCallExpression(init) && coreName(init.expression, ctx.imp) === 'pgTableCreator') {
      const fn = init.arguments[0];
      if (fn && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && fn.parameters.length === 1 && ts.isIdentifier(fn.parameters[0].name)) {
        const param = fn.parameters[0].name.text;
        const body = ts.isBlock(fn.body) ? undefined : unwrap(fn.body);
        if (body && ts.isTemplateExpression(body) && body.templateSpans.every((s) => ts.isIdentifier(s.expression) && s.expression.text === param)) {
          return { prefix: (n) => body.head.text + body.templateSpans.map((s) => n + s.literal.text).join('') };
        }
      }
    }
  }
  return undefined;
}

interface ColumnRead {
  key: string;
  spec: ColumnSpec;
}

/** The base type a column builder call makes, or undefined when the callee is no column builder. */
function builderType(call: ts.CallExpression, ctx: Ctx): string | undefined {
  const name = coreName(call.expression, ctx.imp);
  const opts = call.arguments.map((a) => ctx.values.object(a)).find(Boolean);
  if (name) {
    if (name === 'timestamp' || name === 'time') {
      const tz = ctx.values.boolean(prop(opts, 'withTimezone'));
      return tz ? `${name}tz` : name;
    }
    return TYPES[name];
  }
  // A pgEnum or customType made in this project.
  const init = ctx.values.resolve(call.expression);
  if (!init || !ts.isCallExpression(init)) return undefined;
  const made = coreName(init.expression, ctx.imp) ?? (ts.isCallExpression(init.expression) ? coreName(init.expression.expression, ctx.imp) : undefined);
  if (made === 'pgEnum') return ctx.values.string(init.arguments[0]);
  if (made === 'customType') {
    const cfg = ctx.values.object(init.arguments[0]);
    const dt = cfg?.properties.find((p) => propertyName(p.name) === 'dataType');
    const body = dt && (ts.isMethodDeclaration(dt) ? dt.body : ts.isPropertyAssignment(dt) && (ts.isArrowFunction(dt.initializer) || ts.isFunctionExpression(dt.initializer)) ? dt.initializer.body : undefined);
    if (body && ts.isBlock(body)) {
      const ret = body.statements.find(ts.isReturnStatement);
      return ret?.expression ? (ctx.values.string(ret.expression) ?? 'unknown') : 'unknown';
    }
    if (body) return ctx.values.string(body as ts.Expression) ?? 'unknown';
    return 'unknown';
  }
  return undefined;
}

/** `() => user.id` / `(): AnyPgColumn => user.id`: the referenced table variable and field. */
function referenceTarget(fn: ts.Expression | undefined, ctx: Ctx): { model: string; field: string } | undefined {
  if (!fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return undefined;
  let body: ts.Node = fn.body;
  if (ts.isBlock(body)) {
    const ret = body.statements.find(ts.isReturnStatement);
    if (!ret?.expression) return undefined;
    body = ret.expression;
  }
  const x = unwrap(body as ts.Expression);
  if (!ts.isPropertyAccessExpression(x) || !ts.isIdentifier(x.expression)) return undefined;
  return { model: modelNameOf(x.expression, ctx), field: x.name.text };
}

/** The model name of a table variable: the name it was declared under (through an import alias). */
function modelNameOf(id: ts.Identifier, ctx: Ctx): string {
  const b = ctx.values.root.top.get(id.text);
  return b?.kind === 'import' && b.name !== 'default' ? b.name : id.text;
}

function readColumn(key: string, init: ts.Expression, ctx: Ctx): ColumnRead | undefined {
  const { root, steps } = callChain(init);
  // callChain stops at a plain call: the builder call is the root.
  if (!ts.isCallExpression(root)) return undefined;
  const base = builderType(root, ctx);
  if (!base) return undefined;
  const first = root.arguments[0];
  const name = (first && ctx.values.string(first)) ?? key;
  const spec: ColumnSpec = { name, type: base, fieldName: key };
  for (const s of steps) {
    switch (s.name) {
      case 'notNull':
        spec.notNull = true;
        break;
      case 'primaryKey':
        spec.primaryKey = true;
        spec.notNull = true;
        break;
      case 'unique': {
        const n = s.args?.[0] ? ctx.values.string(s.args[0]) : undefined;
        spec.unique = n ?? true;
        break;
      }
      case 'array':
        spec.type = `${spec.type}[]`;
        break;
      case 'default': {
        const a = s.args?.[0] && unwrap(s.args[0]);
        if (a && ts.isStringLiteralLike(a)) spec.defaultWord = a.text;
        break;
      }
      case '$type': {
        const values = declaredLiterals((s.node as ts.CallExpression).typeArguments?.[0]);
        if (values) spec.declaredValues = values;
        break;
      }
      case 'references': {
        const t = referenceTarget(s.args?.[0], ctx);
        if (t) spec.references = { model: t.model, fields: [t.field] };
        break;
      }
      default:
        break;
    }
  }
  return { key, spec };
}

/**
 * The string literals a `$type<…>()` argument is a union of (`'owner' | 'member' | 'admin'`, also with the open-ended
 * `(string & {})` member TypeScript code adds to keep other values legal while naming the usual ones); undefined for
 * any other type (a plain `string` member, an alias, a number).
 */
function declaredLiterals(t: ts.TypeNode | undefined): string[] | undefined {
  if (!t) return undefined;
  const members = ts.isUnionTypeNode(t) ? t.types : [t];
  const values: string[] = [];
  for (let m of members) {
    while (ts.isParenthesizedTypeNode(m)) m = m.type;
    if (ts.isLiteralTypeNode(m) && ts.isStringLiteral(m.literal)) values.push(m.literal.text);
    else if (ts.isIntersectionTypeNode(m) && m.types.some((x) => x.kind === ts.SyntaxKind.StringKeyword) && m.types.every((x) => x.kind === ts.SyntaxKind.StringKeyword || (ts.isTypeLiteralNode(x) && !x.members.length))) continue;
    else return undefined;
  }
  return values.length ? values : undefined;
}

/** The column (by key) a `t.key` / `t.key.asc()` / `t.key.op('x')` names in the extra-config function. */
function columnRef(e: ts.Expression, param: string | undefined, columns: Map<string, ColumnSpec>): { column: string; opclass?: string; order?: string } | undefined {
  let x = unwrap(e);
  let opclass: string | undefined;
  let order: string | undefined;
  while (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression)) {
    const m = x.expression.name.text;
    if (m === 'op' && x.arguments[0] && ts.isStringLiteralLike(x.arguments[0])) opclass = x.arguments[0].text;
    else if (m === 'asc' || m === 'desc') order = m.toUpperCase();
    else if (m === 'nullsFirst' || m === 'nullsLast') order = `${order ? `${order} ` : ''}NULLS ${m === 'nullsFirst' ? 'FIRST' : 'LAST'}`;
    else return undefined;
    x = unwrap(x.expression.expression);
  }
  if (ts.isPropertyAccessExpression(x) && ts.isIdentifier(x.expression) && (!param || x.expression.text === param)) {
    const c = columns.get(x.name.text);
    return c ? { column: c.name, opclass, order } : undefined;
  }
  return undefined;
}

/** SQL text of a `sql\`…\`` template (or `sql.raw('…')`) with `${t.col}` as quoted column names. */
function sqlText(e: ts.Expression, param: string | undefined, columns: Map<string, ColumnSpec>, ctx: Ctx): string | undefined {
  const x = unwrap(e);
  if (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) && x.expression.name.text === 'raw') return ctx.values.string(x.arguments[0]);
  if (!ts.isTaggedTemplateExpression(x)) return undefined;
  const tpl = x.template;
  if (ts.isNoSubstitutionTemplateLiteral(tpl)) return tpl.text;
  let out = tpl.head.text;
  for (const span of tpl.templateSpans) {
    const c = columnRef(span.expression, param, columns);
    if (c) out += quoteIdentAlways(c.column);
    else {
      const s = ctx.values.string(span.expression);
      if (s === undefined) return undefined;
      out += s;
    }
    out += span.literal.text;
  }
  return out;
}

/**
 * An index condition written with drizzle-orm's filter operators, as SQL: `isNull`/`isNotNull` of a column, `eq`/`ne`
 * of a column and a literal, and `and`/`or` of those (hollo's `.where(isNotNull(table.approved))`). Anything else: unknown.
 */
function conditionText(e: ts.Expression, param: string | undefined, columns: Map<string, ColumnSpec>, ctx: Ctx): string | undefined {
  const x = unwrap(e);
  if (!ts.isCallExpression(x) || !ts.isIdentifier(x.expression)) return undefined;
  const op = ctx.imp.ops.get(x.expression.text);
  const args = [...x.arguments];
  if (op === 'and' || op === 'or') {
    const parts = args.map((a) => conditionText(a, param, columns, ctx));
    if (!parts.length || parts.some((p) => p === undefined)) return undefined;
    return parts.length === 1 ? parts[0] : parts.map((p) => `(${p})`).join(op === 'and' ? ' AND ' : ' OR ');
  }
  const c = args[0] && columnRef(args[0], param, columns);
  if (!c || c.opclass || c.order) return undefined;
  const col = quoteIdentAlways(c.column);
  if ((op === 'isNull' || op === 'isNotNull') && args.length === 1) return `${col} IS ${op === 'isNull' ? '' : 'NOT '}NULL`;
  if ((op === 'eq' || op === 'ne') && args.length === 2) {
    // Literals as written only (`eq(t.x, null)` is never true: not an index condition).
    const lit = sqlLiteral(args[1], { string: (x) => (x && ts.isStringLiteralLike(x) ? x.text : undefined) });
    return lit === undefined || lit === 'NULL' ? undefined : `${col} ${op === 'eq' ? '=' : '<>'} ${lit}`;
  }
  return undefined;
}

function indexKeys(args: readonly ts.Expression[], param: string | undefined, columns: Map<string, ColumnSpec>, ctx: Ctx): IndexSpec['keys'] | undefined {
  const keys: IndexSpec['keys'] = [];
  for (const a of args) {
    const c = columnRef(a, param, columns);
    if (c) {
      keys.push(c.opclass || c.order ? { expression: `${quoteIdentAlways(c.column)}${c.order ? ` ${c.order}` : ''}`, opclass: c.opclass } : c.column);
      continue;
    }
    const sql = sqlText(a, param, columns, ctx);
    if (sql === undefined) return undefined;
    keys.push({ expression: sql });
  }
  return keys;
}

/** Reads the entries of the third argument into the table event. */
/** What an extra-config entry is read against: its table, the event it adds to, the callback's table parameter. */
interface Extra {
  table: string;
  ev: Extract<SchemaEvent, { op: 'createTable' }>;
  columns: Map<string, ColumnSpec>;
  ctx: Ctx;
  events: SchemaEvent[];
  param: string | undefined;
}

type ExtraEntry = (x: Extra, root: ts.CallExpression, steps: ChainStep[], at: { start: number; end: number }, name: string | undefined) => void;

/** `index()` / `uniqueIndex()`. */
const indexEntry = (unique: boolean): ExtraEntry => (x, _root, steps, at, name) => {
  const ix: IndexSpec = { keys: [], unique, name };
  let ok = true;
  for (const s of steps) {
    const args = s.args ? [...s.args] : [];
    if (s.name === 'on' || s.name === 'onOnly') {
      const k = indexKeys(args, x.param, x.columns, x.ctx);
      if (k) ix.keys = k;
      else ok = false;
    } else if (s.name === 'using') {
      ix.method = x.ctx.values.string(args[0]);
      const k = indexKeys(args.slice(1), x.param, x.columns, x.ctx);
      if (k) ix.keys = k;
      else ok = false;
    } else if (s.name === 'where') {
      const w = args[0] && (sqlText(args[0], x.param, x.columns, x.ctx) ?? conditionText(args[0], x.param, x.columns, x.ctx));
      if (w === undefined) ok = false;
      else ix.where = w;
    }
  }
  if (!ok || !ix.keys.length) {
    x.events.push({ op: 'problem', at, message: `index ${name ?? ''} on ${x.table} not read: a key or condition is computed at run time`.replace('  ', ' ') });
    return;
  }
  // drizzle-kit names an unnamed index `<table>_<columns>_index`.
  ix.name ??= `${x.table}_${ix.keys.map((k) => (typeof k === 'string' ? k : 'expr')).join('_')}_index`;
  (x.ev.indexes ??= []).push(ix);
};

/** Array elements of an expression that is an array literal, else undefined. */
function arrayElements(e: ts.Expression | undefined): ts.Expression[] | undefined {
  const u = e && unwrap(e);
  return u && ts.isArrayLiteralExpression(u) ? [...u.elements] : undefined;
}

/** `index()`, `uniqueIndex()`, `primaryKey()`, `unique()`, `foreignKey()` entries of a table's extra config. */
const EXTRAS: Record<string, ExtraEntry> = {
  index: indexEntry(false),
  uniqueIndex: indexEntry(true),
  primaryKey: (x, root) => {
    const cfg = x.ctx.values.object(root.arguments[0]);
    const refs = arrayElements(cfg ? prop(cfg, 'columns') : undefined) ?? [...root.arguments];
    const cols = refs.map((r) => columnRef(r, x.param, x.columns)?.column);
    if (cols.length && cols.every(Boolean)) {
      const pkName = (cfg && x.ctx.values.string(prop(cfg, 'name'))) ?? `${x.table}_${(cols as string[]).join('_')}_pk`;
      x.ev.primaryKey = { columns: cols as string[], name: pkName };
    }
  },
  unique: (x, _root, steps, _at, name) => {
    const on = steps.find((s) => s.name === 'on');
    const cols = on?.args ? [...on.args].map((r) => columnRef(r, x.param, x.columns)?.column) : [];
    if (cols.length && cols.every(Boolean)) (x.ev.uniques ??= []).push({ columns: cols as string[], name: name ?? `${x.table}_${(cols as string[]).join('_')}_unique` });
  },
  foreignKey: (x, root) => {
    const cfg = x.ctx.values.object(root.arguments[0]);
    const fromCols = (arrayElements(cfg && prop(cfg, 'columns')) ?? []).map((r) => columnRef(r, x.param, x.columns)?.column);
    const toRefs = (arrayElements(cfg && prop(cfg, 'foreignColumns')) ?? []).map((r) => unwrap(r));
    const target = toRefs.map((r) => (ts.isPropertyAccessExpression(r) && ts.isIdentifier(r.expression) ? { model: modelNameOf(r.expression, x.ctx), field: r.name.text } : undefined));
    if (!fromCols.length || !fromCols.every(Boolean) || !target.length || !target.every(Boolean)) return;
    const model = target[0]!.model;
    const cols = fromCols as string[];
    const table = x.table;
    const fk: ForeignKeySpec = {
      name: (cfg && x.ctx.values.string(prop(cfg, 'name'))) ?? undefined,
      columns: cols,
      ref: { model, fields: target.map((t) => t!.field), nameFor: (r) => `${table}_${cols.join('_')}_${r.table}_${r.columns.join('_')}_fk` },
    };
    (x.ev.foreignKeys ??= []).push(fk);
  },
};

/** The entries a table's extra-config callback returns (`(t) => [index().on(t.a), …]` or `({ a: index()… })`), and its parameter. */
function extraEntries(fn: ts.Expression | undefined): { entries: ts.Expression[]; param: string | undefined } | undefined {
  if (!fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return undefined;
  const p0 = fn.parameters[0]?.name;
  const param = p0 && ts.isIdentifier(p0) ? p0.text : undefined;
  let body: ts.Node = fn.body;
  if (ts.isBlock(body)) {
    const ret = body.statements.find(ts.isReturnStatement);
    if (!ret?.expression) return undefined;
    body = ret.expression;
  }
  const b = unwrap(body as ts.Expression);
  const entries: ts.Expression[] = ts.isArrayLiteralExpression(b)
    ? [...b.elements]
    : ts.isObjectLiteralExpression(b)
      ? b.properties.filter(ts.isPropertyAssignment).map((p) => p.initializer)
      : [];
  return { entries, param };
}

function readExtra(fn: ts.Expression | undefined, table: string, ev: Extract<SchemaEvent, { op: 'createTable' }>, columns: Map<string, ColumnSpec>, ctx: Ctx, events: SchemaEvent[]): void {
  const extra = extraEntries(fn);
  if (!extra) return;
  const x: Extra = { table, ev, columns, ctx, events, param: extra.param };
  for (const entry of extra.entries) {
    const { root, steps } = callChain(entry);
    if (!ts.isCallExpression(root)) continue;
    const kind = coreName(root.expression, ctx.imp);
    if (kind === undefined || !Object.hasOwn(EXTRAS, kind)) continue;
    const name = root.arguments[0] ? ctx.values.string(root.arguments[0]) : undefined;
    EXTRAS[kind](x, root, steps, rangeOf(entry), name);
  }
}

function readTable(call: ts.CallExpression, variable: string | undefined, ctx: Ctx, events: SchemaEvent[]): void {
  const factory = tableFactory(call.expression, ctx);
  if (!factory) return;
  const raw = ctx.values.string(call.arguments[0]);
  const colsObj = ctx.values.object(call.arguments[1]) ?? (call.arguments[1] && ts.isObjectLiteralExpression(unwrap(call.arguments[1])) ? (unwrap(call.arguments[1]) as ts.ObjectLiteralExpression) : undefined);
  const at = rangeOf(call);
  if (raw === undefined || !colsObj) {
    events.push({ op: 'problem', at, message: `Drizzle table${variable ? ` ${variable}` : ''} not read: its name or columns are computed at run time` });
    return;
  }
  const name = factory.prefix ? factory.prefix(raw) : raw;
  const columns = new Map<string, ColumnSpec>();
  const readProps = (obj: ts.ObjectLiteralExpression, depth: number): void => {
    for (const p of obj.properties) {
      if (ts.isSpreadAssignment(p)) {
        // `...timestamps`: a shared object of column builders.
        const spread = ctx.values.object(p.expression);
        if (spread && depth < 4) readProps(spread, depth + 1);
        continue;
      }
      if (!ts.isPropertyAssignment(p)) continue;
      const key = propertyName(p.name, ctx.values);
      if (!key) continue;
      const c = readColumn(key, p.initializer, ctx);
      if (c) columns.set(c.key, c.spec);
    }
  };
  readProps(colsObj, 0);
  if (variable) ctx.tables.set(variable, name);
  const ev: Extract<SchemaEvent, { op: 'createTable' }> = { op: 'createTable', at, table: { name, schema: factory.schema }, columns: [...columns.values()], modelName: variable };
  for (const c of ev.columns) {
    // drizzle-kit names column-level unique constraints `<table>_<column>_unique`.
    if (c.unique === true) c.unique = `${name}_${c.name}_unique`;
  }
  readExtra(call.arguments[2], name, ev, columns, ctx, events);
  for (const c of ev.columns) if (c.references) c.references.nameFor = (r) => `${name}_${c.name}_${r.table}_${r.columns.join('_')}_fk`;
  events.push(ev);
}

/**
 * `relations(boards, ({ one, many }) => ({ labels: many(labels), workspace: one(workspaces, { fields: [boards.workspaceId],
 * references: [workspaces.id] }) }))`: one `relation` event per property written out (the relational query API's `with`).
 */
function readRelations(call: ts.CallExpression, ctx: Ctx, events: SchemaEvent[]): void {
  const [tableArg, fn] = call.arguments;
  const own = tableArg && unwrap(tableArg);
  if (!own || !ts.isIdentifier(own) || !fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return;
  const helpers = new Map<string, 'one' | 'many'>();
  const param = fn.parameters[0]?.name;
  if (param && ts.isObjectBindingPattern(param)) {
    for (const el of param.elements) {
      const key = el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : ts.isIdentifier(el.name) ? el.name.text : undefined;
      if ((key === 'one' || key === 'many') && ts.isIdentifier(el.name)) helpers.set(el.name.text, key);
    }
  }
  let body: ts.Node = fn.body;
  if (ts.isBlock(body)) body = body.statements.find(ts.isReturnStatement)?.expression ?? body;
  const obj = unwrap(body as ts.Expression);
  if (!ts.isObjectLiteralExpression(obj)) return;
  const model = modelNameOf(own, ctx);
  const fieldsOf = (e: ts.Expression | undefined): string[] | undefined => {
    const arr = e && unwrap(e);
    if (!arr || !ts.isArrayLiteralExpression(arr)) return undefined;
    const out = arr.elements.map((x) => (ts.isPropertyAccessExpression(x) ? x.name.text : undefined));
    return out.every((x): x is string => x !== undefined) ? out : undefined;
  };
  for (const p of obj.properties) {
    if (!ts.isPropertyAssignment(p)) continue;
    const field = propertyName(p.name, ctx.values);
    const v = unwrap(p.initializer);
    if (!field || !ts.isCallExpression(v) || !ts.isIdentifier(v.expression)) continue;
    const kind = helpers.get(v.expression.text);
    const target = v.arguments[0] && unwrap(v.arguments[0]);
    if (!kind || !target || !ts.isIdentifier(target)) continue;
    const opts = v.arguments[1] && unwrap(v.arguments[1]);
    const o = opts && ts.isObjectLiteralExpression(opts) ? opts : undefined;
    const relationName = o ? ctx.values.string(prop(o, 'relationName', ctx.values)) : undefined;
    const fields = o ? fieldsOf(prop(o, 'fields', ctx.values)) : undefined;
    const references = o ? fieldsOf(prop(o, 'references', ctx.values)) : undefined;
    events.push({ op: 'relation', at: rangeOf(p), model, field, many: kind === 'many', target: modelNameOf(target, ctx), ...(fields && references ? { fields, references } : {}), ...(relationName ? { relationName } : {}) });
  }
}

function read(sf: ts.SourceFile, values: Values): TsSchemaOutput | undefined {
  const imp = pgCoreImports(sf);
  const relationsFn = [...imp.ops].find(([, name]) => name === 'relations')?.[0];
  if (!imp.core.size && !relationsFn) return undefined;
  const ctx: Ctx = { values, imp, tables: new Map() };
  const events: SchemaEvent[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && n.initializer && ts.isIdentifier(n.name)) {
      let init = unwrap(n.initializer);
      // `pgTable(…).enableRLS()`: the table is the call the chain starts with.
      while (ts.isCallExpression(init) && ts.isPropertyAccessExpression(init.expression) && ts.isCallExpression(unwrap(init.expression.expression)) && !tableFactory(init.expression, ctx)) init = unwrap(init.expression.expression);
      if (ts.isCallExpression(init) && tableFactory(init.expression, ctx)) {
        readTable(init, n.name.text, ctx, events);
        return;
      }
    }
    if (ts.isCallExpression(n) && tableFactory(n.expression, ctx)) {
      readTable(n, undefined, ctx, events);
      return;
    }
    if (relationsFn && ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === relationsFn) {
      readRelations(n, ctx, events);
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return events.length ? { kind: 'declaration', events, library: 'drizzle' } : undefined;
}

export const drizzleSchemaReader: SchemaReader = {
  library: 'drizzle',
  detect: (text) => text.includes('drizzle-orm/pg-core') || (/\brelations\s*\(/.test(text) && /from\s+['"]drizzle-orm['"]/.test(text)),
  read,
};
