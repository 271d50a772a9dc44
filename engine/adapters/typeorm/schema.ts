/**
 * TypeORM schema sources.
 *
 * Entities (declarations): `@Entity(name?)` classes (and their non-entity base classes) with
 * `@Column`/`@PrimaryColumn`/`@PrimaryGeneratedColumn`/`@CreateDateColumn`…, `@Index` on the class
 * (columns by property, `unique`, `where`) or on a property, `@Unique`, `unique: true` columns,
 * `@ManyToOne`/`@OneToOne` + `@JoinColumn` (the join column and its foreign key, no index: TypeORM
 * makes none; one-to-one adds a `REL_` unique constraint), `@ManyToMany` + `@JoinTable` (the junction
 * table TypeORM creates). Names follow the DefaultNamingStrategy (./naming.ts): snake_case table names,
 * property names as column names, hashed `PK_`/`UQ_`/`IDX_`/`FK_` names. `@Index({ synchronize: false })`
 * is not created by TypeORM and is left out.
 *
 * Migrations: classes implementing `up(queryRunner)`: `queryRunner.query("…SQL…")` goes through the SQL
 * parser; `createTable(new Table({…}))` (its `indices`, `foreignKeys`, `uniques`), `createIndex(t, new
 * TableIndex({…}))`, `addColumn`, `dropColumn`, `renameColumn`, `changeColumn` to a unique column (a
 * `new TableColumn({ isUnique: true })`, or `col.clone()` with `isUnique = true`), `dropIndex`, `createForeignKey(s)`,
 * `createUniqueConstraint(s)` (a unique constraint is a unique index), `createPrimaryKey`, `dropTable`,
 * `renameTable` become events.
 */
import type { ColumnSpec, ForeignKeySpec, IndexSpec, SchemaEvent, SchemaReader, TableName, TsSchemaOutput } from '../../schema/events';
import { type Values, callChain, decoratorsOf, prop, propertyName, rangeOf, ts, unwrap } from '../../schema/ts-values';
import { typeormNames } from './naming';

type Decorated = ReturnType<typeof decoratorsOf>[number];

/** TypeORM column types → PostgreSQL (its PostgresDriver normalisation, for the common names). */
const TYPE_ALIASES: Record<string, string> = {
  int: 'int4',
  int4: 'int4',
  integer: 'int4',
  int2: 'int2',
  smallint: 'int2',
  int8: 'int8',
  bigint: 'int8',
  float: 'float8',
  double: 'float8',
  'double precision': 'float8',
  float8: 'float8',
  real: 'float4',
  float4: 'float4',
  decimal: 'numeric',
  numeric: 'numeric',
  bool: 'bool',
  boolean: 'bool',
  varchar: 'varchar',
  'character varying': 'varchar',
  nvarchar: 'varchar',
  string: 'varchar',
  char: 'bpchar',
  character: 'bpchar',
  text: 'text',
  citext: 'citext',
  uuid: 'uuid',
  json: 'json',
  jsonb: 'jsonb',
  'simple-json': 'text',
  'simple-array': 'text',
  'simple-enum': 'text',
  datetime: 'timestamp',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  timestamptz: 'timestamptz',
  'timestamp with time zone': 'timestamptz',
  date: 'date',
  time: 'time',
  interval: 'interval',
  bytea: 'bytea',
  blob: 'bytea',
  inet: 'inet',
  tsvector: 'tsvector',
};

/** The PostgreSQL type of a declared TypeScript property type when `@Column()` names none (reflect-metadata's design:type). */
function typeFromAnnotation(t: ts.TypeNode | undefined): string | undefined {
  if (!t) return undefined;
  if (ts.isUnionTypeNode(t)) {
    const rest = t.types.filter((x) => !(x.kind === ts.SyntaxKind.NullKeyword || x.kind === ts.SyntaxKind.UndefinedKeyword || (ts.isLiteralTypeNode(x) && x.literal.kind === ts.SyntaxKind.NullKeyword)));
    return rest.length === 1 ? typeFromAnnotation(rest[0]) : undefined;
  }
  if (t.kind === ts.SyntaxKind.StringKeyword) return 'varchar';
  if (t.kind === ts.SyntaxKind.NumberKeyword) return 'int4';
  if (t.kind === ts.SyntaxKind.BooleanKeyword) return 'bool';
  if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && t.typeName.text === 'Date') return 'timestamp';
  return undefined;
}

function normType(t: string | undefined, length?: string): string | undefined {
  if (!t) return undefined;
  const base = TYPE_ALIASES[t.toLowerCase()] ?? t;
  return length && (base === 'varchar' || base === 'bpchar') ? `${base}(${length})` : base;
}

interface EntityColumn {
  property: string;
  spec: ColumnSpec;
  primary: boolean;
  generated?: string;
}

interface EntityInfo {
  table: TableName;
  className: string;
  columns: EntityColumn[];
  cls: ts.ClassDeclaration;
  values: Values;
}

const COLUMN_DECORATORS = new Set(['Column', 'PrimaryColumn', 'PrimaryGeneratedColumn', 'CreateDateColumn', 'UpdateDateColumn', 'DeleteDateColumn', 'VersionColumn']);
const RELATIONS = new Set(['ManyToOne', 'OneToOne', 'ManyToMany', 'OneToMany']);

function memberName(m: ts.ClassElement, values: Values): string | undefined {
  return m.name ? propertyName(m.name as ts.PropertyName, values) : undefined;
}

/** `@Column('text', { … })`, `@Column({ type: 'text', … })`, `@PrimaryGeneratedColumn('uuid')`. */
function readColumnDecorator(d: Decorated, m: ts.PropertyDeclaration, property: string, values: Values): EntityColumn {
  let typeArg: string | undefined;
  let opts: ts.ObjectLiteralExpression | undefined;
  for (const a of d.args) {
    const o = values.object(a);
    if (o) opts = o;
    else if (typeArg === undefined) typeArg = values.string(a);
  }
  const s = (k: string) => (opts ? values.string(prop(opts, k, values)) : undefined);
  const b = (k: string) => (opts ? values.boolean(prop(opts, k, values)) : undefined);
  const primary = d.name === 'PrimaryColumn' || d.name === 'PrimaryGeneratedColumn' || b('primary') === true;
  let type = s('type') ?? (d.name === 'PrimaryGeneratedColumn' ? undefined : typeArg);
  let generated: string | undefined;
  if (d.name === 'PrimaryGeneratedColumn') {
    generated = typeArg ?? s('strategy') ?? 'increment';
    type ??= generated === 'uuid' ? 'uuid' : 'int4';
  }
  if (!type && (d.name === 'CreateDateColumn' || d.name === 'UpdateDateColumn' || d.name === 'DeleteDateColumn')) type = 'timestamp';
  if (!type && d.name === 'VersionColumn') type = 'int4';
  if (type === 'enum') type = s('enumName') ?? undefined;
  let pgType = normType(type, opts ? values.string(prop(opts, 'length', values)) : undefined) ?? typeFromAnnotation(m.type);
  if (pgType && b('array')) pgType += '[]';
  const nullable = b('nullable') === true || d.name === 'DeleteDateColumn';
  const spec: ColumnSpec = { name: s('name') ?? property, type: pgType, notNull: primary || !nullable, fieldName: property };
  const unique = b('unique');
  if (unique) spec.unique = true;
  const domain = declaredValues(m.type, values);
  if (domain) spec.declaredValues = domain;
  return { property, spec, primary, generated };
}

/**
 * The values a property's declared type names: a project enum (`status: MediaRequestStatus`, its members' values) or
 * a union of literals (`'movie' | 'tv'`). The column's domain as the code writes it; an alias or any other type gives nothing.
 */
function declaredValues(t: ts.TypeNode | undefined, values: Values): string[] | undefined {
  if (!t) return undefined;
  if (ts.isUnionTypeNode(t)) {
    const lits = t.types.filter((u) => !(ts.isLiteralTypeNode(u) && u.literal.kind === ts.SyntaxKind.NullKeyword) && u.kind !== ts.SyntaxKind.UndefinedKeyword);
    const out = lits.map((u) => (ts.isLiteralTypeNode(u) && (ts.isStringLiteral(u.literal) || ts.isNumericLiteral(u.literal)) ? u.literal.text : undefined));
    if (out.length === 1 && lits.length === 1) return declaredValues(lits[0], values);
    return out.length > 1 && out.every((v): v is string => v !== undefined) ? out : undefined;
  }
  if (!ts.isTypeReferenceNode(t) || t.typeArguments || !ts.isIdentifier(t.typeName)) return undefined;
  const d = values.lookup(t.typeName)?.node;
  if (!d || !ts.isEnumDeclaration(d) || !d.members.length) return undefined;
  return d.members.map((m) => (m.initializer && (ts.isStringLiteral(m.initializer) || ts.isNumericLiteral(m.initializer)) ? m.initializer.text : propertyName(m.name, values) ?? m.name.getText()));
}

/** The entity a class declares (or undefined), with the columns of its own members and its base classes. */
function readEntity(cls: ts.ClassDeclaration, values: Values, depth = 0): EntityInfo | undefined {
  const ent = decoratorsOf(cls).find((d) => d.name === 'Entity');
  if (depth === 0 && !ent) return undefined;
  const className = cls.name?.text ?? 'default';
  let given: string | undefined;
  let schema: string | undefined;
  for (const a of ent?.args ?? []) {
    const o = values.object(a);
    if (o) {
      given = values.string(prop(o, 'name', values)) ?? given;
      schema = values.string(prop(o, 'schema', values)) ?? schema;
    } else given = values.string(a) ?? given;
  }
  const info: EntityInfo = { table: { name: typeormNames.table(className, given), schema }, className, columns: [], cls, values };
  // Columns of a base class (a shared `id`/`createdAt`), unless the base is TypeORM's own BaseEntity.
  const ext = cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
  if (ext && ts.isIdentifier(ext) && depth < 5) {
    const base = values.lookup(ext);
    if (base && ts.isClassDeclaration(base.node)) {
      const b = readEntity(base.node, values, depth + 1);
      if (b) info.columns.push(...b.columns);
    }
  }
  for (const m of cls.members) {
    if (!ts.isPropertyDeclaration(m)) continue;
    const property = memberName(m, values);
    if (!property) continue;
    const col = decoratorsOf(m).find((d) => COLUMN_DECORATORS.has(d.name));
    if (!col) continue;
    const c = readColumnDecorator(col, m, property, values);
    const i = info.columns.findIndex((x) => x.property === property);
    if (i >= 0) info.columns[i] = c;
    else info.columns.push(c);
  }
  return info;
}

/** The class a relation decorator targets: `() => User`, `'User'`, `(type) => User`. */
function relationTarget(arg: ts.Expression | undefined, values: Values): { name: string; cls?: ts.ClassDeclaration } | undefined {
  if (!arg) return undefined;
  let x = unwrap(arg);
  if (ts.isArrowFunction(x) || ts.isFunctionExpression(x)) {
    if (ts.isBlock(x.body)) {
      const ret = x.body.statements.find(ts.isReturnStatement);
      if (!ret?.expression) return undefined;
      x = unwrap(ret.expression);
    } else x = unwrap(x.body);
  }
  if (ts.isIdentifier(x)) {
    const d = values.lookup(x);
    return { name: d && ts.isClassDeclaration(d.node) && d.node.name ? d.node.name.text : x.text, cls: d && ts.isClassDeclaration(d.node) ? d.node : undefined };
  }
  const s = values.string(x);
  return s ? { name: s } : undefined;
}

/** Join columns of a relation: `@JoinColumn({ name, referencedColumnName })` (or several), else the default. */
function joinColumns(m: ts.PropertyDeclaration, property: string, target: EntityInfo | undefined, values: Values): { name: string; ref: string }[] | undefined {
  const jc = decoratorsOf(m).find((d) => d.name === 'JoinColumn');
  const pk = target?.columns.filter((c) => c.primary).map((c) => c.spec.name) ?? [];
  const list: { name?: string; ref?: string }[] = [];
  const arg = jc?.args[0];
  const x = arg ? unwrap(arg) : undefined;
  const items = x && ts.isArrayLiteralExpression(x) ? [...x.elements] : x ? [x] : [];
  for (const it of items) {
    const o = values.object(it);
    list.push({ name: o ? values.string(prop(o, 'name', values)) : undefined, ref: o ? values.string(prop(o, 'referencedColumnName', values)) : undefined });
  }
  if (!list.length) list.push({});
  const out: { name: string; ref: string }[] = [];
  for (const [i, l] of list.entries()) {
    const ref = l.ref ?? pk[i];
    if (!ref) return undefined;
    out.push({ name: l.name ?? typeormNames.joinColumn(property, ref), ref });
  }
  return out;
}

/** Index decorators of the class and its properties. */
function readIndexes(e: EntityInfo, ev: Extract<SchemaEvent, { op: 'createTable' }>, events: SchemaEvent[]): void {
  const { values } = e;
  const colOf = (property: string): string | undefined => e.columns.find((c) => c.property === property)?.spec.name ?? ev.columns.find((c) => c.fieldName === property || c.name === property)?.name;
  const props = (arg: ts.Expression | undefined): string[] | undefined => {
    if (!arg) return undefined;
    const x = unwrap(arg);
    if (ts.isArrowFunction(x) || ts.isFunctionExpression(x)) {
      const body = ts.isBlock(x.body) ? undefined : unwrap(x.body);
      if (body && ts.isArrayLiteralExpression(body)) return body.elements.map((el) => (ts.isPropertyAccessExpression(unwrap(el)) ? (unwrap(el) as ts.PropertyAccessExpression).name.text : '')).filter(Boolean);
      if (body && ts.isObjectLiteralExpression(body)) return body.properties.map((p) => (p.name ? propertyName(p.name, values) ?? '' : '')).filter(Boolean);
      return undefined;
    }
    return values.strings(x);
  };
  const add = (d: Decorated, properties: string[] | undefined, name: string | undefined, opts: ts.ObjectLiteralExpression | undefined, unique: boolean): void => {
    if (opts && values.boolean(prop(opts, 'synchronize', values)) === false) return;
    const cols = properties?.map(colOf);
    if (!cols?.length || cols.some((c) => !c)) {
      events.push({ op: 'problem', at: rangeOf(d.node), message: `TypeORM index on ${e.className} not read: its columns are computed at run time or unknown` });
      return;
    }
    const where = opts ? values.string(prop(opts, 'where', values)) : undefined;
    const u = unique || (opts ? values.boolean(prop(opts, 'unique', values)) === true : false);
    const spatial = opts ? values.boolean(prop(opts, 'spatial', values)) === true : false;
    const ix: IndexSpec = { name: name ?? typeormNames.index(ev.table.name, cols as string[], where), keys: cols as string[], unique: u, where, method: spatial ? 'gist' : undefined };
    (ev.indexes ??= []).push(ix);
  };
  for (const d of decoratorsOf(e.cls)) {
    if (d.name !== 'Index' && d.name !== 'Unique') continue;
    let name: string | undefined;
    let list: string[] | undefined;
    let opts: ts.ObjectLiteralExpression | undefined;
    for (const a of d.args) {
      const o = values.object(a);
      const x = unwrap(a);
      if (o) opts = o;
      else if (ts.isArrayLiteralExpression(x) || ts.isArrowFunction(x) || ts.isFunctionExpression(x)) list = props(a);
      else name = values.string(a);
    }
    if (d.name === 'Unique') {
      const cols = list?.map(colOf);
      if (cols?.length && cols.every(Boolean)) (ev.uniques ??= []).push({ columns: cols as string[], name: name ?? typeormNames.unique(ev.table.name, cols as string[]) });
    } else add(d, list, name, opts, false);
  }
  for (const m of e.cls.members) {
    if (!ts.isPropertyDeclaration(m)) continue;
    const property = memberName(m, values);
    const d = decoratorsOf(m).find((x) => x.name === 'Index');
    if (!property || !d) continue;
    let name: string | undefined;
    let opts: ts.ObjectLiteralExpression | undefined;
    for (const a of d.args) {
      const o = values.object(a);
      if (o) opts = o;
      else name = values.string(a);
    }
    // A property index on a relation indexes its join column(s).
    const rel = ev.columns.filter((c) => c.fieldName === property);
    add(d, rel.length ? rel.map((c) => c.name) : [property], name, opts, false);
  }
}

function entityEvents(e: EntityInfo, events: SchemaEvent[]): void {
  const { values } = e;
  const at = rangeOf(e.cls.name ?? e.cls);
  const ev: Extract<SchemaEvent, { op: 'createTable' }> = { op: 'createTable', at, table: e.table, columns: e.columns.map((c) => ({ ...c.spec })), modelName: e.className };
  const pk = e.columns.filter((c) => c.primary).map((c) => c.spec.name);
  if (pk.length) ev.primaryKey = { columns: pk, name: typeormNames.primaryKey(e.table.name, pk) };
  for (const c of ev.columns) if (c.unique === true) c.unique = typeormNames.unique(e.table.name, [c.name]);
  for (const m of e.cls.members) {
    if (!ts.isPropertyDeclaration(m)) continue;
    const property = memberName(m, values);
    const rel = decoratorsOf(m).find((d) => RELATIONS.has(d.name));
    if (!property || !rel || rel.name === 'OneToMany') continue;
    const target = relationTarget(rel.args[0], values);
    if (!target) continue;
    const targetEntity = target.cls ? readEntity(target.cls, values) : undefined;
    if (rel.name === 'ManyToMany') {
      junctionTable(e, m, property, targetEntity, events);
      continue;
    }
    if (rel.name === 'OneToOne' && !decoratorsOf(m).some((d) => d.name === 'JoinColumn')) continue;
    const jcs = joinColumns(m, property, targetEntity, values);
    if (!jcs || !targetEntity) continue;
    const relOpts = rel.args.map((a) => values.object(a)).find(Boolean);
    const nullable = relOpts ? values.boolean(prop(relOpts, 'nullable', values)) : undefined;
    for (const jc of jcs) {
      if (ev.columns.some((c) => c.name === jc.name)) continue;
      const refCol = targetEntity.columns.find((c) => c.spec.name === jc.ref);
      ev.columns.push({ name: jc.name, type: refCol?.spec.type, notNull: nullable === false, fieldName: property });
    }
    const cols = jcs.map((j) => j.name);
    const fk: ForeignKeySpec = { name: typeormNames.foreignKey(e.table.name, cols), columns: cols, ref: { table: targetEntity.table, columns: jcs.map((j) => j.ref) } };
    (ev.foreignKeys ??= []).push(fk);
    if (rel.name === 'OneToOne') (ev.uniques ??= []).push({ columns: cols, name: typeormNames.relation(e.table.name, cols) });
  }
  readIndexes(e, ev, events);
  events.push(ev);
}

/** `@ManyToMany(() => T) @JoinTable()`: the junction table TypeORM creates, with its keys and indexes. */
function junctionTable(e: EntityInfo, m: ts.PropertyDeclaration, property: string, target: EntityInfo | undefined, events: SchemaEvent[]): void {
  const jt = decoratorsOf(m).find((d) => d.name === 'JoinTable');
  if (!jt || !target) return;
  const { values } = e;
  const opts = jt.args.map((a) => values.object(a)).find(Boolean);
  const name = (opts && values.string(prop(opts, 'name', values))) ?? typeormNames.joinTable(e.table.name, target.table.name, property);
  const own = e.columns.filter((c) => c.primary);
  const other = target.columns.filter((c) => c.primary);
  if (!own.length || !other.length) return;
  const jcOpt = opts && values.object(prop(opts, 'joinColumn', values));
  const ijcOpt = opts && values.object(prop(opts, 'inverseJoinColumn', values));
  const ownCols = own.map((c, i) => ((i === 0 && jcOpt && values.string(prop(jcOpt, 'name', values))) || typeormNames.joinTableColumn(e.table.name, c.spec.name)));
  const otherCols = other.map((c, i) => ((i === 0 && ijcOpt && values.string(prop(ijcOpt, 'name', values))) || typeormNames.joinTableColumn(target.table.name, c.spec.name)));
  const columns: ColumnSpec[] = [
    ...own.map((c, i) => ({ name: ownCols[i], type: c.spec.type, notNull: true })),
    ...otherCols.map((n, i) => ({ name: n, type: other[i].spec.type, notNull: true })),
  ];
  const all = [...ownCols, ...otherCols];
  events.push({
    op: 'createTable',
    at: rangeOf(m),
    table: { name, schema: e.table.schema },
    columns,
    primaryKey: { columns: all, name: typeormNames.primaryKey(name, all) },
    indexes: [
      { name: typeormNames.index(name, ownCols), keys: ownCols },
      { name: typeormNames.index(name, otherCols), keys: otherCols },
    ],
    foreignKeys: [
      { name: typeormNames.foreignKey(name, ownCols), columns: ownCols, ref: { table: e.table, columns: own.map((c) => c.spec.name) } },
      { name: typeormNames.foreignKey(name, otherCols), columns: otherCols, ref: { table: target.table, columns: other.map((c) => c.spec.name) } },
    ],
  });
}

// ---------------------------------------------------------------------------
// Migrations

/** `'schema.table'` or a `Table` instance's name. */
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

function migrationCall(call: ts.CallExpression, runner: string, values: Values, events: SchemaEvent[]): void {
  const { root, steps } = callChain(call);
  if (!ts.isIdentifier(root) || root.text !== runner || !steps.length) return;
  // queryRunner.query(…) or queryRunner.manager.query(…)
  const last = steps[steps.length - 1];
  if (last.node !== call || !last.args) return;
  const args = [...last.args];
  const at = rangeOf(call);
  const method = last.name;
  if (method === 'query') {
    const text = values.mappedText(args[0]);
    if (text) events.push({ op: 'sql', at, text: text.text, offsetOf: text.offsetOf });
    else if (looksLikeDdl(args[0])) events.push({ op: 'problem', at, message: 'TypeORM migration: SQL built at run time not read' });
    return;
  }
  if (steps.length !== 1) return;
  const table = tableArg(args[0], values);
  switch (method) {
    case 'createTable': {
      const o = newOptions(args[0], values);
      if (!o || !table) return;
      const cols = unwrap(prop(o, 'columns', values) ?? ts.factory.createArrayLiteralExpression([]));
      const columns = ts.isArrayLiteralExpression(cols) ? cols.elements.map((c) => values.object(c)).map((c) => c && tableColumn(c, values)).filter((c): c is ColumnSpec => !!c) : [];
      const pk = columns.filter((c) => c.primaryKey).map((c) => c.name);
      for (const c of columns) {
        c.primaryKey = undefined;
        if (c.unique) c.unique = typeormNames.unique(table.name, [c.name]);
      }
      const idx = unwrap(prop(o, 'indices', values) ?? ts.factory.createArrayLiteralExpression([]));
      const fks = unwrap(prop(o, 'foreignKeys', values) ?? ts.factory.createArrayLiteralExpression([]));
      const uqs = unwrap(prop(o, 'uniques', values) ?? ts.factory.createArrayLiteralExpression([]));
      const uniques = ts.isArrayLiteralExpression(uqs) ? uqs.elements.map((u) => newOptions(u, values)).map((u) => u && tableUnique(u, table, values)).filter((u): u is { columns: string[]; name: string } => !!u) : [];
      events.push({
        op: 'createTable',
        at,
        table,
        columns,
        ifNotExists: args[1] ? values.boolean(args[1]) === true : undefined,
        primaryKey: pk.length ? { columns: pk, name: typeormNames.primaryKey(table.name, pk) } : undefined,
        indexes: ts.isArrayLiteralExpression(idx) ? idx.elements.map((i) => newOptions(i, values)).map((i) => i && tableIndex(i, table, values)).filter((i): i is IndexSpec => !!i) : undefined,
        foreignKeys: ts.isArrayLiteralExpression(fks) ? fks.elements.map((f) => newOptions(f, values)).map((f) => f && foreignKeyOf(f, table, values)).filter((f): f is ForeignKeySpec => !!f) : undefined,
        uniques: uniques.length ? uniques : undefined,
      });
      return;
    }
    case 'createIndex':
    case 'createIndices': {
      if (!table) return;
      const list = method === 'createIndices' && args[1] && ts.isArrayLiteralExpression(unwrap(args[1])) ? [...(unwrap(args[1]) as ts.ArrayLiteralExpression).elements] : [args[1]];
      for (const i of list) {
        const o = newOptions(i, values);
        const ix = o && tableIndex(o, table, values);
        if (ix) events.push({ op: 'addIndex', at, table, index: ix });
      }
      return;
    }
    case 'dropIndex': {
      const name = values.string(args[1]) ?? values.string(prop(newOptions(args[1], values), 'name', values));
      if (name) events.push({ op: 'dropIndex', at, name, schema: table?.schema, ifExists: true });
      return;
    }
    case 'addColumn':
    case 'addColumns': {
      if (!table) return;
      const list = method === 'addColumns' && args[1] && ts.isArrayLiteralExpression(unwrap(args[1])) ? [...(unwrap(args[1]) as ts.ArrayLiteralExpression).elements] : [args[1]];
      for (const c of list) {
        const o = newOptions(c, values);
        const col = o && tableColumn(o, values);
        if (col) events.push({ op: 'addColumn', at, table, column: { ...col, primaryKey: undefined, unique: col.unique ? typeormNames.unique(table.name, [col.name]) : undefined } });
      }
      return;
    }
    case 'dropColumn': {
      const name = values.string(args[1]) ?? values.string(prop(newOptions(args[1], values), 'name', values));
      if (table && name) events.push({ op: 'dropColumn', at, table, column: name, ifExists: true });
      return;
    }
    case 'changeColumn': {
      // `changeColumn(t, old, new)` with a unique new column: `new TableColumn({ name, isUnique: true })`, or a clone
      // of the old one marked unique (`const u = col.clone(); u.isUnique = true`, `col = table.findColumnByName('x')`).
      if (!table) return;
      const o = newOptions(args[2], values);
      const spec = o ? tableColumn(o, values) : undefined;
      const cloned = spec ? undefined : changedColumn(args[2], call, values);
      const name = spec?.name ?? cloned?.name ?? columnNameOf(args[1], call, values);
      if (name && (spec?.unique ?? cloned?.unique)) events.push({ op: 'addUnique', at, table, columns: [name], name: typeormNames.unique(table.name, [name]) });
      return;
    }
    case 'renameColumn': {
      const from = values.string(args[1]) ?? values.string(prop(newOptions(args[1], values), 'name', values));
      const to = values.string(args[2]) ?? values.string(prop(newOptions(args[2], values), 'name', values));
      if (table && from && to) events.push({ op: 'renameColumn', at, table, from, to });
      return;
    }
    case 'createForeignKey':
    case 'createForeignKeys': {
      if (!table) return;
      const list = method === 'createForeignKeys' && args[1] && ts.isArrayLiteralExpression(unwrap(args[1])) ? [...(unwrap(args[1]) as ts.ArrayLiteralExpression).elements] : [args[1]];
      for (const f of list) {
        const o = newOptions(f, values);
        const fk = o && foreignKeyOf(o, table, values);
        if (fk) events.push({ op: 'addForeignKey', at, table, fk });
      }
      return;
    }
    case 'createUniqueConstraint':
    case 'createUniqueConstraints': {
      if (!table) return;
      for (const u of listArg(method === 'createUniqueConstraints', args[1])) {
        const o = newOptions(u, values);
        const uq = o && tableUnique(o, table, values);
        if (uq) events.push({ op: 'addUnique', at, table, ...uq });
      }
      return;
    }
    case 'createPrimaryKey': {
      const cols = values.strings(args[1]);
      if (table && cols?.length) events.push({ op: 'addPrimaryKey', at, table, columns: cols, name: values.string(args[2]) ?? typeormNames.primaryKey(table.name, cols) });
      return;
    }
    case 'dropForeignKey':
    case 'dropUniqueConstraint':
    case 'dropForeignKeys':
    case 'dropUniqueConstraints': {
      if (!table) return;
      for (const c of listArg(method.endsWith('s'), args[1])) {
        const name = values.string(c) ?? values.string(prop(newOptions(c, values), 'name', values));
        if (name) events.push({ op: 'dropConstraint', at, table, name, ifExists: true });
      }
      return;
    }
    case 'dropTable':
      if (table) events.push({ op: 'dropTable', at, table, ifExists: true });
      return;
    case 'renameTable': {
      const to = tableArg(args[1], values);
      if (table && to) events.push({ op: 'renameTable', at, table, to: to.name });
      return;
    }
    default:
      return;
  }
}

function looksLikeDdl(e: ts.Expression | undefined): boolean {
  return !!e && /\b(create|alter|drop)\s+(table|index|unique)/i.test(e.getText());
}

/** The query runner parameter of a method (its first parameter), or undefined. */
function runnerParam(m: ts.MethodDeclaration): string | undefined {
  const p = m.parameters[0];
  return p && ts.isIdentifier(p.name) ? p.name.text : undefined;
}

/** The `up` method of a migration class. */
function upMethod(cls: ts.ClassDeclaration): ts.MethodDeclaration | undefined {
  return cls.members.find((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && !!m.body && !!m.name && ts.isIdentifier(m.name) && m.name.text === 'up' && !!runnerParam(m));
}

/**
 * Reads `up` and the methods of the class it calls (`await this.modifyTable(queryRunner)`), in call
 * order, each with the name its runner parameter has there.
 */
function readMigrationMethod(cls: ts.ClassDeclaration, m: ts.MethodDeclaration, runner: string, values: Values, events: SchemaEvent[], seen: Set<ts.MethodDeclaration>): void {
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

function read(sf: ts.SourceFile, values: Values): TsSchemaOutput | undefined {
  const events: SchemaEvent[] = [];
  let kind: TsSchemaOutput['kind'] | undefined;
  let order: string | undefined;
  for (const st of sf.statements) {
    if (!ts.isClassDeclaration(st)) continue;
    const e = readEntity(st, values);
    if (e) {
      kind ??= 'declaration';
      if (kind === 'declaration') entityEvents(e, events);
      continue;
    }
    const implementsMigration = st.heritageClauses?.some((h) => h.types.some((t) => /MigrationInterface$/.test(t.expression.getText())));
    const up = upMethod(st);
    if (!up || !(implementsMigration || /QueryRunner/.test(up.getText().slice(0, 200)))) continue;
    kind ??= 'migration';
    if (kind !== 'migration') continue;
    // TypeORM runs migrations in the order of the timestamp ending the class name, whatever the folder.
    order ??= /(\d{13})$/.exec(st.name?.text ?? '')?.[1];
    readMigrationMethod(st, up, runnerParam(up)!, values, events, new Set());
  }
  return kind && events.length ? { kind, events, library: 'typeorm', order: kind === 'migration' ? order : undefined } : undefined;
}

export const typeormSchemaReader: SchemaReader = {
  library: 'typeorm',
  detect: (text) => text.includes('typeorm') && (text.includes('@Entity') || text.includes('QueryRunner') || text.includes('MigrationInterface')),
  read,
};
