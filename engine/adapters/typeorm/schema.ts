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
import { decoratorsOf, prop, rangeOf } from '../../schema/ts-syntax';
import { type Values, propertyName, ts, unwrap } from '../../schema/ts-values';
import { normType } from './column-types';
import { readMigrationMethod, runnerParam, upMethod } from './migration-reader';
import { typeormNames } from './naming';

type Decorated = ReturnType<typeof decoratorsOf>[number];

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
