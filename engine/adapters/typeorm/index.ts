/**
 * TypeORM (`typeorm`, `@nestjs/typeorm`): a `DataSource`/`Connection` is a client, an `EntityManager` or
 * `Repository<User>` a repository (`ds.getRepository(User)`, `ds.manager`, `@InjectRepository(User)`);
 * Repository/EntityManager methods run at once, a QueryBuilder only at getMany/getOne/getRawMany/
 * getRawOne/getCount/getManyAndCount/getExists/execute/stream (an insert or update builder names its table in
 * `into(…)`/`update(…)`). Entities name their tables with `@Entity('name')` (snake_case of the class by default); an
 * active-record entity (`extends BaseEntity`) is a repository of itself and its objects are rows (`user.save()`).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import { typeormSchemaReader } from './schema';
import ts = require('typescript');
import type { QuerySite, SiteDraft } from '../../sources/query-sites';
import { literalNumber, objectProp, orderFields, rowMethodDraft, selectedFields, unparen, whereObjectFilters } from '../kit/chain';
import { classColumns, classIndex, decoratorsBefore, snakeCase } from '../kit/entities';
import * as fx from '../kit/fix';
import { bind, entityArg, exportBound, lastName, never, none, typeArgName } from '../kit/provenance';
import { codeSchema, oneRowOperation, writesByKind } from '../kit/rules';
import type { Adapter, Batched, ChainQuery, EntityDecl, RowsUpdate, RowsUpdateInput } from '../types';
import type { TableInfo } from '../../schema/types';
import { columnByField, nullFilter, ROWS_UPDATE_NOTE, unnestUpdate } from '../kit/rows-update';
import { filterValue } from '../kit/filter-values';
import { typeormMigrations } from './migrations';
import { loadedRelationNames, relationFilters } from './relations';
import { builderInfo } from './query-builder';

const READS = new Set([
  'find',
  'findBy',
  'findOne',
  'findOneBy',
  'findOneOrFail',
  'findOneByOrFail',
  'findAndCount',
  'findAndCountBy',
  'findByIds',
  'count',
  'countBy',
  'exist',
  'exists',
  'existsBy',
  'sum',
  'average',
  'minimum',
  'maximum',
]);
const WRITES = new Set(['save', 'insert', 'update', 'upsert', 'delete', 'remove', 'softDelete', 'softRemove', 'restore', 'recover', 'increment', 'decrement', 'preload', 'clear', 'updateAll', 'deleteAll']);
/** QueryBuilder methods that run it. */
const BUILDER_RUNS = new Set(['getMany', 'getOne', 'getOneOrFail', 'getRawMany', 'getRawOne', 'getCount', 'getManyAndCount', 'getRawAndEntities', 'getExists', 'execute', 'stream']);


/** Methods an active-record entity (`class User extends BaseEntity`) runs on itself: `user.save()`, `doc.remove()`. */
const ROW_WRITES = new Set(['save', 'remove', 'softRemove', 'recover']);
/** Statics of an active-record entity whose result is its rows (one, or an array of them); `create` builds unsaved ones. */
const ROW_RESULTS = new Set(['find', 'findBy', 'findOne', 'findOneBy', 'findOneOrFail', 'findOneByOrFail', 'create', 'save', 'preload']);

function interpretRow({ steps, binding }: ChainQuery): SiteDraft | undefined {
  const first = steps[0];
  if (!first.call || steps.length !== 1 || (!ROW_WRITES.has(first.name) && first.name !== 'reload')) return undefined;
  const read = first.name === 'reload';
  // By the entity's primary key, whatever its column is called.
  return rowMethodDraft('typeorm', first.call, first.name, read, { entity: binding.entity, wholeRow: read, filters: [], opaque: { opaqueFilter: true } });
}

function interpret(q: ChainQuery): SiteDraft | undefined {
  const { steps, last, binding } = q;
  if (binding.role === 'row') return interpretRow(q);
  const first = steps[0];
  if ((binding.role === 'repository' || binding.role === 'client') && first.call && (READS.has(first.name) || WRITES.has(first.name)) && steps.length === 1) {
    const args = first.call.arguments;
    // EntityManager methods take the entity class first: manager.find(User, {...}).
    let entity = binding.entity;
    let opts = args[0];
    if (args[0] && ts.isIdentifier(args[0]) && /^[A-Z]/.test(args[0].text) && (binding.role === 'client' || !binding.entity)) {
      entity = args[0].text;
      opts = args[1];
    }
    // Without an entity (`manager.save(user)`) it is still a query, on a table we do not know.
    const read = READS.has(first.name);
    const byStyle = /By(OrFail)?$/.test(first.name) || first.name === 'countBy' || first.name === 'existsBy';
    const where = read ? (byStyle ? opts : objectProp(opts, 'where')) : first.name === 'update' || first.name === 'delete' || first.name === 'softDelete' ? opts : undefined;
    const state = { opaque: false };
    const filters = whereObjectFilters(where, [], state);
    const o = read && !byStyle && opts ? unparen(opts) : undefined;
    if (o && (!ts.isObjectLiteralExpression(o) || o.properties.some((p) => ts.isSpreadAssignment(p)))) state.opaque = true;
    const take = literalNumber(objectProp(opts, 'take'));
    const writeArr = (first.name === 'save' || first.name === 'insert' || first.name === 'upsert' || first.name === 'remove') && opts && ts.isArrayLiteralExpression(unparen(opts));
    return {
      library: 'typeorm',
      operation: first.name,
      executes: true,
      kind: read ? 'read' : 'write',
      entity,
      selects: read && /^find/.test(first.name) ? (selectedFields(objectProp(opts, 'select')) ?? (byStyle ? '*' : '*')) : undefined,
      filters,
      opaqueFilter: state.opaque,
      orderBy: orderFields(objectProp(opts, 'order')),
      limit: /findOne/.test(first.name) ? 1 : take,
      batched: filters.some((f) => f.op === 'in') || first.name === 'findByIds' || !!writeArr,
      batchOperands: first.name === 'findByIds' || writeArr ? [opts?.getText() ?? ''] : undefined,
      node: first.call,
    };
  }
  // QueryBuilder chains: only the terminal call runs.
  if (BUILDER_RUNS.has(last.name) && last.call) {
    const qb = builderInfo(steps);
    const entity = qb.entity ?? binding.entity;
    // A builder declared as one (`qb: SelectQueryBuilder<T>`, `SelectQueryBuilder<any>`) runs a statement on a table the code does not name.
    if (!entity && !qb.tableName && !qb.conditional && binding.role !== 'query-builder') return undefined;
    const write = steps.some((s) => /^(insert|update|delete|softDelete)$/.test(s.name));
    return {
      library: 'typeorm',
      operation: last.name,
      executes: true,
      kind: write ? 'write' : 'read',
      entity,
      tableName: qb.tableName,
      selects: write || last.name === 'getCount' || last.name === 'getExists' ? undefined : qb.selects,
      filters: qb.filters,
      opaqueFilter: qb.opaque || undefined,
      orderBy: qb.orderBy,
      limit: last.name === 'getOne' || last.name === 'getOneOrFail' || last.name === 'getRawOne' ? 1 : qb.limit,
      batched: qb.batched,
      node: last.call,
    };
  }
  return undefined;
}

/** `@Entity('name')` / `@Entity({ name })` / `@Entity()` before `class Name`: the table (snake_case of the class by default). */
function entityDecl(file: string, text: string, name: string): EntityDecl | undefined {
  const at = classIndex(text, name);
  if (at < 0) return undefined;
  const before = decoratorsBefore(text, at);
  const ent = /@Entity\(\s*(?:['"]([^'"]+)['"]|\{[^}]*?\bname:\s*['"]([^'"]+)['"][^}]*\})?/g;
  let last: RegExpExecArray | null = null;
  for (let m = ent.exec(before); m; m = ent.exec(before)) last = m;
  if (!last) return undefined;
  const table = last[1] ?? last[2] ?? snakeCase(name);
  return { file, table, candidates: [table, name, name.toLowerCase()], columns: classColumns(text, at) };
}

// ---------------------------------------------------------------------------
// Fix templates

/** Does a `select` option (object of `true`s or array of names) keep the key field in every row? */
function selectKeeps(arg: ts.ObjectLiteralExpression, field: string): boolean {
  const select = fx.objectProp(arg, 'select');
  if (!select) return true;
  if (!ts.isPropertyAssignment(select)) return false;
  const v = fx.unparen(select.initializer);
  if (ts.isArrayLiteralExpression(v)) return v.elements.some((e) => fx.strLit(e) === field);
  return /^true$/.test((fx.objectProp(v, field) as ts.PropertyAssignment | undefined)?.initializer?.getText() ?? '');
}

/** Is the field alone the key of a primary key or unique index (no predicate) of the table? */
function uniqueField(table: TableInfo | undefined, field: string): boolean {
  const col = table && columnByField(table, field);
  return !!col && table!.indexes.some((i) => (i.kind === 'primary' || i.kind === 'unique') && !i.predicate && i.keys.length === 1 && i.keys[0].column === col.name);
}

/**
 * `findOne({ where: { k: K, … }, order: { f: 'DESC' } })` per element on a key that is not unique: the first row
 * of each key's group. `find` with `In()` would read every row of every group (all messages of each channel, to
 * keep the newest); PostgreSQL's DISTINCT ON reads one per key:
 * `createQueryBuilder('row').distinctOn(['row.k']).where({ k: In(keys), … }).orderBy('row.k').addOrderBy('row.f', 'DESC').getMany()`.
 * Only for a where and an order of plain directions (no relations, select or nulls placement); undefined
 * (no fix) otherwise; null where the key is unique (a plain `find`, below, reads one row per key).
 */
function distinctOnRead(call: ts.CallExpression, arg: ts.ObjectLiteralExpression, key: ts.Expression, table: TableInfo | undefined, tableText: string | undefined): Batched | undefined | null {
  const where = fx.objectProp(arg, 'where');
  const order = fx.objectProp(arg, 'order');
  if (!where || !order || !ts.isPropertyAssignment(where) || !ts.isPropertyAssignment(order)) return undefined;
  const k = fx.keyPropAmong(where.initializer, key);
  if (!k) return undefined;
  if (uniqueField(table, k.field)) return null;
  if (arg.properties.some((p) => !/^(where|order)$/.test(fx.propName(p) ?? ''))) return undefined;
  // find* loads eager relations, a query builder does not: only for an entity whose definition is known to have none.
  if (!tableText || /\beager\s*:\s*true\b/.test(tableText)) return undefined;
  const o = fx.unparen(order.initializer);
  if (!ts.isObjectLiteralExpression(o) || !o.properties.length) return undefined;
  const by: string[] = [];
  for (const p of o.properties) {
    const dir = ts.isPropertyAssignment(p) ? fx.strLit(fx.unparen(p.initializer)) : undefined;
    const name = fx.propName(p);
    if (!name || !/^[A-Za-z_$][\w$]*$/.test(name) || !dir || !/^(asc|desc)$/i.test(dir)) return undefined;
    by.push(`.addOrderBy('row.${name}', '${dir.toUpperCase()}')`);
  }
  const recv = (call.expression as ts.PropertyAccessExpression).expression.getText();
  const at = optionsArgIndex(call);
  const qb = at === 1 ? `${recv}.createQueryBuilder(${call.arguments[0].getText()}, 'row')` : `${recv}.createQueryBuilder('row')`;
  const op = (call.expression as ts.PropertyAccessExpression).name.text;
  const entity = at === 1 ? call.arguments[0].getText() : `${recv}.target`;
  return {
    pieces: [
      { start: call.getStart(), end: where.initializer.getStart(), text: `${qb}.distinctOn(['row.${k.field}']).where(` },
      fx.whole(k.prop, `${k.field}: In(${fx.KEYS})`),
      { start: where.initializer.getEnd(), end: call.getEnd(), text: `)${[`.orderBy('row.${k.field}')`, ...by].join('')}.getMany()` },
    ],
    rowField: k.field,
    column: k.field,
    shape: op.endsWith('OrFail') ? 'one-throw' : 'one',
    firstOfGroup: true,
    missing: 'null',
    notFound: { text: (kt) => `new EntityNotFoundError(${entity}, { where: { ${k.field}: ${kt} } })`, imports: [{ module: 'typeorm', name: 'EntityNotFoundError' }] },
    imports: [{ module: 'typeorm', name: 'In' }],
    title: `createQueryBuilder().distinctOn(${k.field}) … { ${k.field}: In(…) }: one row per key`,
  };
}

/**
 * `findOneBy`/`findBy`/`findOne`/`find` (repository or EntityManager with the entity first) by one key
 * field, other filters kept (the rule has checked they do not change per element) → `findBy`/`find` with
 * `In(…)`; `relations`, `order` and a `select` keeping the key stay; `take`/`skip` are per query: none.
 */
function readMany(call: ts.CallExpression, key: ts.Expression, table?: TableInfo, tableText?: string): Batched | undefined {
  if (!ts.isPropertyAccessExpression(call.expression)) return undefined;
  const at = optionsArgIndex(call);
  if (call.arguments.length !== at + 1) return undefined;
  const op = call.expression.name.text;
  const arg = call.arguments[at];
  const firstPerKey = /^(findOne|findOneOrFail)$/.test(op) && ts.isObjectLiteralExpression(arg) && fx.objectProp(arg, 'order') ? distinctOnRead(call, arg, key, table, tableText) : null;
  if (firstPerKey !== null) return firstPerKey;
  let k: ReturnType<typeof fx.keyPropAmong>;
  let batchedOp: string;
  if (/^(findOneBy|findOneByOrFail|findBy)$/.test(op)) {
    k = fx.keyPropAmong(arg, key);
    batchedOp = 'findBy';
  } else if (/^(findOne|findOneOrFail|find)$/.test(op)) {
    if (!ts.isObjectLiteralExpression(arg)) return undefined;
    for (const p of arg.properties) {
      const n = fx.propName(p);
      if (!ts.isPropertyAssignment(p) || !n || !/^(where|relations|order|select)$/.test(n)) return undefined;
    }
    const where = fx.objectProp(arg, 'where');
    if (!where || !ts.isPropertyAssignment(where)) return undefined;
    k = fx.keyPropAmong(where.initializer, key);
    if (k && !selectKeeps(arg, k.field)) return undefined;
    batchedOp = 'find';
  } else return undefined;
  if (!k) return undefined;
  const field = k.field;
  // What findOneOrFail throws: EntityNotFoundError of the entity (a manager's first argument, else the repository's
  // or active-record class's `target`), which error handlers recognise by class or name (a 404, not a 500).
  const entity = at === 1 ? call.arguments[0].getText() : `${call.expression.expression.getText()}.target`;
  return {
    pieces: [fx.whole(call.expression.name, batchedOp), fx.whole(k.prop, `${field}: In(${fx.KEYS})`)],
    rowField: field,
    column: field,
    shape: /^find(By)?$/.test(op) ? 'many' : op.endsWith('OrFail') ? 'one-throw' : 'one',
    firstOfGroup: ts.isObjectLiteralExpression(arg) && !!fx.objectProp(arg, 'order'),
    missing: 'null',
    notFound: { text: (key) => `new EntityNotFoundError(${entity}, { where: { ${field}: ${key} } })`, imports: [{ module: 'typeorm', name: 'EntityNotFoundError' }] },
    imports: [{ module: 'typeorm', name: 'In' }],
    title: `${batchedOp}(… { ${k.field}: In(…) })`,
  };
}


/** The where argument of a keyed write: `repo.update(where, data)`, `manager.update(Entity, where, data)`, `repo.delete(where)`. */
function writeWhereArg(call: ts.CallExpression): { op: string; where: ts.Expression; data?: ts.Expression } | undefined {
  if (!ts.isPropertyAccessExpression(call.expression)) return undefined;
  const op = call.expression.name.text;
  if (!/^(update|delete|softDelete|restore)$/.test(op)) return undefined;
  const args = call.arguments.slice(optionsArgIndex(call));
  if (args.length !== (op === 'update' ? 2 : 1)) return undefined;
  return { op, where: args[0], data: args[1] };
}

/**
 * `repo.update({ id: K }, data)` / `repo.delete(K)` (and the EntityManager forms) per element, the same data for
 * every row: `{ id: In(keys) }`, or the key array where the call took the bare key (TypeORM takes an id array).
 * The where may hold other filters beside the key (`delete({ application_id, guild_id: IsNull(), id: c.id })`):
 * they stay as written (the rule has checked that nothing in the call but the key changes per element), so the
 * one statement writes the rows the per-element ones wrote.
 */
function writeMany(call: ts.CallExpression, key: ts.Expression): Batched | undefined {
  const w = writeWhereArg(call);
  if (!w) return undefined;
  const bare = fx.unparen(w.where) === key;
  const k = bare ? undefined : fx.keyPropAmong(w.where, key);
  if (!bare && !k) return undefined;
  const field = k?.field ?? 'id';
  return {
    pieces: bare ? [fx.whole(key, fx.KEYS)] : [fx.whole(k!.prop, `${field}: In(${fx.KEYS})`)],
    rowField: field,
    column: field,
    shape: 'many',
    guardEmpty: true,
    imports: bare ? [] : [{ module: 'typeorm', name: 'In' }],
    title: bare ? `${w.op}(keys)` : `${w.op}({ ${field}: In(…) })`,
  };
}

/**
 * `repo.update({ id: K }, { a: X })` per row with per-row values → one `repo.query(UPDATE … FROM unnest($1, $2))` on
 * the same repository or manager (a transaction's manager stays in it). Not for an entity with an
 * `@UpdateDateColumn`/`@VersionColumn`, which TypeORM sets on every update.
 */
function rowsUpdate({ call, table, tableText, rows }: RowsUpdateInput): RowsUpdate | undefined {
  const w = writeWhereArg(call);
  if (!w || w.op !== 'update' || !w.data || /@(UpdateDateColumn|VersionColumn)\b/.test(tableText) || !ts.isPropertyAccessExpression(call.expression)) return undefined;
  const pairs = (o: ts.Expression): { field: string; value: ts.Expression }[] | undefined => {
    const e = fx.unparen(o);
    if (!ts.isObjectLiteralExpression(e)) return undefined;
    const out: { field: string; value: ts.Expression }[] = [];
    for (const p of e.properties) {
      if (ts.isShorthandPropertyAssignment(p)) out.push({ field: p.name.text, value: p.name });
      else if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && !ts.isObjectLiteralExpression(fx.unparen(p.initializer)) && !ts.isArrowFunction(fx.unparen(p.initializer))) out.push({ field: p.name.text, value: p.initializer });
      else return undefined;
    }
    return out;
  };
  const where = pairs(w.where);
  const data = pairs(w.data);
  // A find operator (`IsNull()`, `In(…)`, `Not(…)`) is no value to compare with `=`.
  const operator = (e: ts.Expression): boolean => {
    const v = fx.unparen(e);
    return ts.isCallExpression(v) && ts.isIdentifier(v.expression) && /^[A-Z]/.test(v.expression.text);
  };
  if (!where?.length || where.some((w) => nullFilter(w.value.getText()) || operator(w.value)) || !data?.length) return undefined;
  const statement = unnestUpdate(table, where.map((w) => w.field), data.map((d) => d.field), (i, type) => `$${i + 1}::${type}`);
  if (!statement) return undefined;
  const params = [...where, ...data].map((_, i) => `${rows}.map((r) => r[${i}])`).join(', ');
  return {
    tuple: [...where.map((w) => w.value), ...data.map((d) => d.value)],
    text: `${call.expression.expression.getText()}.query('${statement}', [${params}])`,
    title: `one query(UPDATE … FROM unnest(…)) (${ROWS_UPDATE_NOTE})`,
  };
}

/** EntityManager methods take the entity class first: `manager.find(User, {…})`. */
function optionsArgIndex(call: ts.CallExpression): number {
  const args = call.arguments;
  return args[0] && ts.isIdentifier(args[0]) && /^[A-Z]/.test(args[0].text) ? 1 : 0;
}

/**
 * Entity listeners a repository write runs once per entity it is given (`remove(rows)`, `save(rows)`), by operation;
 * `insert`, `update` and `delete` take plain values and run none.
 */
const ENTITY_LISTENERS: Record<string, string[]> = {
  remove: ['BeforeRemove', 'AfterRemove'],
  softRemove: ['BeforeSoftRemove', 'AfterSoftRemove'],
  recover: ['BeforeRecover', 'AfterRecover'],
  save: ['BeforeInsert', 'AfterInsert', 'BeforeUpdate', 'AfterUpdate'],
};

function batchAdvice(site: QuerySite): string {
  // A QueryBuilder insert or update (`insert().into(T).values(row).execute()`).
  if (site.kind === 'write' && site.operation === 'execute')
    return 'write every row in one statement (`insert().values(rows)`, or `update()` with `where(\'id IN (:...ids)\')`)';
  const col = site.filters.find((f) => f.op === 'eq')?.column ?? 'id';
  if (site.kind === 'write') {
    if (/^(save|insert|upsert|remove|softRemove|recover)$/.test(site.operation)) return `write every element in one call: \`${site.operation}(entities)\` takes the array`;
    if (/^(delete|softDelete|restore)$/.test(site.operation)) return `write every element's rows in one call with \`${site.operation}({ ${col}: In(…) })\``;
    return `write every element in one call: \`update({ ${col}: In(…) }, values)\` when the values are the same for all, else one \`UPDATE … FROM (VALUES …)\` through \`query\``;
  }
  return `load all rows at once with \`find({ where: { ${col}: In(…) } })\``;
}

/**
 * The entity a `getRepository(x)` argument names: an entity class (`User`), a string, `schema.User`. A
 * lower-case identifier is a variable (a wrapper's `target` parameter), not an entity: unknown.
 */
function entityClassArg(e: ts.Expression | undefined): string | undefined {
  if (e && ts.isIdentifier(e) && !/^[A-Z]/.test(e.text)) return undefined;
  return entityArg(e);
}

const REPOSITORY_METHODS = ['getRepository', 'getTreeRepository', 'getMongoRepository', 'getCustomRepository'];

export const typeorm: Adapter<'typeorm'> = {
  id: 'typeorm',
  displayName: 'TypeORM',
  modules: {
    owns: (spec) => spec === 'typeorm' || spec.startsWith('typeorm/') || spec === '@nestjs/typeorm',
    defaultExport: () => '*',
    namespaceExport: () => '*',
    generatedImport: never,
    mayBeGenerated: never,
  },
  provenance: {
    exportBinding: (name, origin) => (lastName(name) === 'In' ? exportBound('typeorm', 'operator', origin) : undefined),
    construct: (name, origin) => {
      const n = lastName(name);
      if (n === 'DataSource' || n === 'Connection') return bind('typeorm', 'client', origin);
      if (n === 'EntityManager') return bind('typeorm', 'repository', origin);
      return undefined;
    },
    callExport: (name, call, origin) => {
      const n = lastName(name);
      if (n === 'getConnection' || n === 'createConnection') return bind('typeorm', 'client', origin);
      if (n === 'getManager') return bind('typeorm', 'repository', origin);
      if (n === 'getRepository' || n === 'getTreeRepository' || n === 'getCustomRepository') return bind('typeorm', 'repository', origin, entityClassArg(call.arguments[0]));
      return undefined;
    },
    otherDatabase: never,
    typeInstance: (name, typeArgs, origin) => {
      const n = lastName(name);
      const argName = typeArgName(typeArgs);
      if (n === 'DataSource' || n === 'Connection' || n === 'QueryRunner') return bind('typeorm', 'client', origin);
      if (n === 'EntityManager') return bind('typeorm', 'repository', origin);
      if (n === 'Repository' || n === 'TreeRepository' || n === 'MongoRepository') return bind('typeorm', 'repository', origin, argName);
      if (n === 'SelectQueryBuilder') return bind('typeorm', 'query-builder', origin, argName);
      return undefined;
    },
    method: (b, method, call, origin) => {
      // Active record: `await Member.find(…)` gives rows of the entity (`b.model`: the class itself, not a Repository, whose
      // results are plain objects); `await m.reload()` the row again; `Member.getRepository()` its repository.
      if (b.role === 'repository' && b.model && b.entity && ROW_RESULTS.has(method)) return bind('typeorm', 'row', origin, b.entity);
      if (b.role === 'repository' && b.model && b.entity && method === 'getRepository' && call.arguments.length === 0) return bind('typeorm', 'repository', origin, b.entity);
      if (b.role === 'row' && (method === 'save' || method === 'reload' || method === 'recover')) return bind('typeorm', 'row', origin, b.entity);
      if (b.role === 'client' || b.role === 'repository') {
        if (REPOSITORY_METHODS.includes(method)) return bind('typeorm', 'repository', origin, entityClassArg(call.arguments[0]));
        if (method === 'withRepository') return bind('typeorm', 'repository', origin);
        if (method === 'extend' && b.role === 'repository') return bind('typeorm', 'repository', origin, b.entity);
        // `manager.createQueryBuilder(Journey, 'journey')`: an EntityManager names the entity in its first argument.
        if (method === 'createQueryBuilder') return bind('typeorm', 'query-builder', origin, (b.role === 'repository' ? b.entity : undefined) ?? (b.role === 'client' || call.arguments.length >= 2 ? entityArg(call.arguments[0]) : undefined));
      }
      if (b.role === 'client') {
        if (method === 'createQueryRunner') return bind('typeorm', 'client', origin);
        if (method === 'initialize' || method === 'connect') return bind('typeorm', 'client', b.origin ?? origin);
        if (method === 'createEntityManager') return bind('typeorm', 'repository', origin);
      }
      return undefined;
    },
    callInstance: none,
    property: (b, name) => ((b.role === 'client' || b.role === 'repository') && name === 'manager' ? bind('typeorm', 'repository', b.origin) : undefined),
    registries: [],
    registryMember: none,
    callbackClient: (recv, method) => {
      if (recv.kind !== 'instance') return undefined;
      const b = recv.binding;
      return (b.role === 'client' || b.role === 'repository') && method === 'transaction' ? bind('typeorm', 'repository', b.origin) : undefined;
    },
    injected: (decorator, call, origin) => {
      if (decorator === 'InjectRepository') return bind('typeorm', 'repository', origin, entityArg(call.arguments[0]));
      if (decorator === 'InjectDataSource' || decorator === 'InjectConnection') return bind('typeorm', 'client', origin);
      if (decorator === 'InjectEntityManager') return bind('typeorm', 'repository', origin);
      return undefined;
    },
    // Active-record entities: `class User extends BaseEntity` is a repository of itself (`User.findOne(…)`), its objects rows (`user.save()`).
    modelClass: (baseExport) => baseExport === 'BaseEntity',
  },
  sql: {
    sink: (b, method) => ((b.role === 'client' || b.role === 'repository') && method === 'query' ? 'text' : undefined),
    sinkMethods: ['query'],
    clientMethods: [],
    templateRunners: [],
    exportSink: none,
    tag: none,
    textMayBeFragment: false,
    bindParams: none,
    resultTypes: [],
    expandsValuesList: false,
    splice: none,
    emptyFragment: never,
    tableOf: none,
    columnOf: none,
  },
  orm: {
    interpret,
    entityDecl,
    entityTable: none,
    readsOneRow: oneRowOperation,
    batchRunners: [],
    candidates: ['findOneBy', 'findBy', 'findOneOrFail', 'findOneByOrFail', 'findAndCount', 'findAndCountBy', 'findByIds', 'countBy', 'existsBy', 'getMany', 'getOne', 'getOneOrFail', 'getRawMany', 'getRawOne', 'getManyAndCount', 'getRawAndEntities', 'getCount', 'getExists', 'softDelete', 'softRemove'],
    modelCandidates: [],
    runs: [],
  },
  schema: codeSchema([typeormMigrations], [typeormSchemaReader]),
  rules: {
    batchAdvice,
    entityListeners: (site) => (site.kind === 'write' ? ENTITY_LISTENERS[site.operation] : undefined),
    nestedRowWrites: () => [],
    limitWord: 'take',
    typedRowKeys: false,
    transactionCallbacks: ['transaction'],
    batchedRead: ({ node, key, write, table, tableText }) => (!ts.isCallExpression(node) ? undefined : write ? writeMany(node, key) : readMany(node, key, table, tableText)),
    createReturnsRow: never,
    batchedWrite: none,
    insertRows: none,
    rowsUpdate,
    insertRowsCall: (calls, methods) => (methods[0] === 'insert' ? calls[0] : undefined),
    insertRowsType: none,
    isWrite: writesByKind,
    // With relations loaded, a `select` must name their columns too: no fix is written then.
    selectColumns: ({ site, fields, insertOption, relations }) => (/^find/.test(site.operation) && !/By/.test(site.operation) && !relations?.length ? insertOption('select', fx.fieldsObject(fields)) : undefined),
    optionsArgIndex,
    uniqueLookup: never,
    relationFilters,
    relatedReads: () => [],
    loadedTables: () => undefined,
    filterValue,
    // No where key of this library is a JSON path.
    jsonPath: () => undefined,
    loadedRelations: (call) => loadedRelationNames(call),
  },
};
