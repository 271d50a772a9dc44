/**
 * Sequelize (`sequelize`, `sequelize-typescript`, `@nestjs/sequelize`): `new Sequelize()` is a client;
 * model classes (`class User extends Model`, `sequelize.define('User', …)`, `sequelize.models.User`,
 * `@InjectModel(User)`) are repositories whose statics (findAll, findOne, findByPk, create …) run at
 * once. Tables: `tableName`, or the model name pluralised. Raw SQL: `sequelize.query(text, { replacements })`.
 * Rows (`findAll`/`findByPk` results, values typed as a model class) are model instances whose `save()`,
 * `destroy()`, `reload()`, `update()`, `increment()` … and sequelize-typescript `$get/$set/$add…` each run a statement.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import { sequelizeSchemaReader } from './schema';
import ts = require('typescript');
import type { TableInfo } from '../../schema/types';
import { objProp, rewritePlaceholders, type Piece } from '../../sources/sql-pieces';
import type { QuerySite, SiteDraft } from '../../sources/query-sites';
import { skipOuter } from '../../sources/ts-expr';
import { literalNumber, objectProp, orderFields, rangeOf, rowMethodDraft, selectedFields, unparen, whereObjectFilters } from '../kit/chain';
import { classColumns, classIndex, decoratorsBefore, snakeCase } from '../kit/entities';
import * as fx from '../kit/fix';
import { bind, entityArg, exportBound, lastName, never, none, stringArg, typeArgName } from '../kit/provenance';
import { codeSchema, firstArgument, oneRowOperation, writesByKind } from '../kit/rules';
import type { Adapter, Batched, BindKit, ChainQuery, EntityDecl } from '../types';
import { filterValue } from '../kit/filter-values';
import { sequelizeMigrations } from './migrations';

const READS = new Set(['findAll', 'findOne', 'findByPk', 'findAndCountAll', 'count', 'max', 'min', 'sum', 'aggregate']);
const WRITES = new Set(['create', 'bulkCreate', 'update', 'destroy', 'upsert', 'findOrCreate', 'findCreateFind', 'increment', 'decrement', 'truncate', 'restore']);
/** Statics whose result is rows (one, or an array of them) of the model. */
const ROW_RESULTS = new Set(['findAll', 'findOne', 'findByPk', 'create', 'findCreateFind']);
/**
 * Instance methods that each send one statement for the row (by its primary key), and
 * sequelize-typescript's association helpers (`row.$get('documents')`: the associated rows).
 */
const ROW_READS = new Set(['reload', '$get', '$count', '$has']);
const ROW_WRITES = new Set(['save', 'destroy', 'update', 'increment', 'decrement', 'restore', '$set', '$add', '$remove', '$create']);
/** Instance methods that return the row itself. */
const ROW_SELF = new Set(['reload', 'save', 'update', 'increment', 'decrement']);

/** `row.save()`, `row.destroy()`, `row.reload()`, `row.$get('x')` on a model instance: one statement per call. */
function interpretRow({ steps, binding }: ChainQuery): SiteDraft | undefined {
  const first = steps[0];
  if (!first.call) return undefined;
  const read = ROW_READS.has(first.name);
  if (!read && !ROW_WRITES.has(first.name)) return undefined;
  // The association helpers query the associated model, whose name the string argument gives only indirectly.
  const association = first.name.startsWith('$');
  return rowMethodDraft('sequelize', first.call, first.name, read, {
    entity: association ? undefined : binding.entity,
    wholeRow: first.name === 'reload' || first.name === '$get',
    filters: association ? [] : [{ column: 'id', range: rangeOf(first.call), op: 'eq' }],
    opaque: { opaqueFilter: association, filterHidden: association },
  });
}


function interpret(q: ChainQuery): SiteDraft | undefined {
  const { steps, binding } = q;
  if (binding.role === 'row') return interpretRow(q);
  const first = steps[0];
  if (binding.role !== 'repository' || !first.call || steps.length !== 1) return undefined;
  const read = READS.has(first.name);
  if (!read && !WRITES.has(first.name)) return undefined;
  const args = first.call.arguments;
  const opts = first.name === 'update' ? args[1] : first.name === 'findByPk' ? undefined : args[0];
  const state = { opaque: false };
  const filters = first.name === 'findByPk' ? [{ column: 'id', range: rangeOf(args[0] ?? first.call), op: 'eq' }] : whereObjectFilters(objectProp(opts, 'where'), [], state);
  // Options held in a variable or spread from one may carry the where.
  const o = first.name === 'findByPk' ? undefined : opts && unparen(opts);
  if (o && (!ts.isObjectLiteralExpression(o) || o.properties.some((p) => ts.isSpreadAssignment(p)))) state.opaque = true;
  return {
    library: 'sequelize',
    operation: first.name,
    executes: true,
    kind: read ? 'read' : 'write',
    entity: binding.entity,
    selects: read && /^find/.test(first.name) ? (selectedFields(objectProp(opts ?? args[1], 'attributes')) ?? '*') : undefined,
    filters,
    opaqueFilter: state.opaque,
    orderBy: orderFields(objectProp(opts, 'order')),
    limit: /findOne|findByPk/.test(first.name) ? 1 : literalNumber(objectProp(opts, 'limit')),
    batched: first.name === 'bulkCreate' || filters.some((f) => f.op === 'in'),
    batchOperands: first.name === 'bulkCreate' ? [args[0]?.getText() ?? ''] : undefined,
    node: first.call,
  };
}

/**
 * `class User extends Model` with `@Table({ tableName })`, `User.init({…}, { tableName, modelName })` or a
 * bare `@Table` (the model name pluralised); or `const User = sequelize.define('User', {…}, { tableName })`.
 */
function entityDecl(file: string, text: string, name: string): EntityDecl | undefined {
  const esc = name.replace(/[$]/g, '\\$');
  const at = classIndex(text, name);
  if (at >= 0) {
    const before = decoratorsBefore(text, at);
    const tbl = /@Table\(\s*\{[^}]*?\btableName:\s*['"]([^'"]+)['"]/.exec(before);
    if (tbl) return { file, table: tbl[1], candidates: [tbl[1]], columns: classColumns(text, at) };
    const init = new RegExp(`\\b${esc}\\.init\\(`).exec(text);
    if (init) {
      const seg = text.slice(init.index, init.index + 6000);
      const tn = /\btableName:\s*['"]([^'"]+)['"]/.exec(seg);
      const mn = /\bmodelName:\s*['"]([^'"]+)['"]/.exec(seg);
      const model = mn?.[1] ?? name;
      const table = tn?.[1] ?? `${model}s`;
      return { file, table, candidates: [table, model, `${model.toLowerCase()}s`, model.toLowerCase(), snakeCase(model) + 's'], columns: new Map() };
    }
    if (/@Table\b/.test(before)) {
      return { file, table: `${name}s`, candidates: [`${name}s`, name, `${name.toLowerCase()}s`, snakeCase(name) + 's'], columns: classColumns(text, at) };
    }
  }
  const defRe = new RegExp(`(?:const|let|var)\\s+${esc}\\s*=\\s*[\\w$.]+\\.define\\(\\s*['"]([^'"]+)['"]`);
  const dm = defRe.exec(text);
  if (dm) {
    const seg = text.slice(dm.index, dm.index + 6000);
    const tn = /\btableName:\s*['"]([^'"]+)['"]/.exec(seg);
    const model = dm[1];
    const table = tn?.[1] ?? `${model}s`;
    return { file, table, candidates: [table, model, `${model.toLowerCase()}s`, model.toLowerCase()], columns: new Map() };
  }
  return undefined;
}

/** Sequelize replacements: `?` with an array, `:name` with an object (`$1`/`$name` bind parameters stay as written). */
function replacements(pieces: Piece[], options: ts.Expression | undefined, paramTexts: string[], kit: BindKit): Piece[] {
  const o = options && skipOuter(options);
  const rep = o && ts.isObjectLiteralExpression(o) ? objProp(o, 'replacements') : undefined;
  const r = rep && skipOuter(rep);
  if (!r) return pieces;
  const arr = ts.isArrayLiteralExpression(r) ? r.elements : undefined;
  const obj = ts.isObjectLiteralExpression(r) ? r : undefined;
  let n = 0;
  return rewritePlaceholders(pieces, (src, i) => {
    if (!obj && src[i] === '?' && src[i + 1] !== '|' && src[i + 1] !== '&') {
      const el = arr?.[n++];
      paramTexts.push(el ? el.getText(kit.sf) : '');
      return { len: 1, param: paramTexts.length, expr: el?.getText(kit.sf) ?? '' };
    }
    if (src[i] === ':' && src[i - 1] !== ':' && /[A-Za-z_]/.test(src[i + 1] ?? '')) {
      const m = /^:([A-Za-z_]\w*)/.exec(src.slice(i));
      if (!m || src[i + m[0].length] === ':') return undefined;
      const el = obj ? objProp(obj, m[1]) : undefined;
      if (!obj) return undefined;
      paramTexts.push(el ? el.getText(kit.sf) : '');
      return { len: m[0].length, param: paramTexts.length, expr: el?.getText(kit.sf) ?? '' };
    }
    return undefined;
  });
}

// ---------------------------------------------------------------------------
// Fix templates

function readMany(call: ts.CallExpression, key: ts.Expression, table: TableInfo | undefined): Batched | undefined {
  if (!ts.isPropertyAccessExpression(call.expression) || call.arguments.length !== 1) return undefined;
  const op = call.expression.name.text;
  const imports = [{ module: 'sequelize', name: 'Op' }];
  if (op === 'findByPk') {
    if (fx.unparen(call.arguments[0]) !== key) return undefined;
    // findByPk means the primary key: only when the table's primary key is the single column `id`.
    const pk = table?.indexes.find((i) => i.kind === 'primary');
    if (!pk || pk.keys.length !== 1 || pk.keys[0].column !== 'id') return undefined;
    return {
      pieces: [fx.whole(call.expression.name, 'findAll'), fx.whole(call.arguments[0], `{ where: { id: { [Op.in]: ${fx.KEYS} } } }`)],
      rowField: 'id',
      column: 'id',
      shape: 'one',
      missing: 'null',
      getter: true,
      imports,
      title: 'findAll({ where: { id: { [Op.in]: … } } })',
    };
  }
  if (!/^(findOne|findAll)$/.test(op)) return undefined;
  const arg = call.arguments[0];
  if (!ts.isObjectLiteralExpression(arg)) return undefined;
  for (const p of arg.properties) {
    const n = fx.propName(p);
    if (!ts.isPropertyAssignment(p) || !n || !/^(where|include|order)$/.test(n)) return undefined;
  }
  const where = fx.objectProp(arg, 'where');
  if (!where || !ts.isPropertyAssignment(where)) return undefined;
  const k = fx.singleKeyProp(where.initializer, key);
  if (!k) return undefined;
  return {
    pieces: [fx.whole(call.expression.name, 'findAll'), fx.whole(k.prop, `${whereKey(k.field)}: { [Op.in]: ${fx.KEYS} }`)],
    rowField: k.field,
    column: k.field,
    shape: op === 'findAll' ? 'many' : 'one',
    missing: 'null',
    getter: true,
    imports,
    title: `findAll({ where: { ${whereKey(k.field)}: { [Op.in]: … } } })`,
  };
}


/**
 * No batched `create`: `bulkCreate` runs the per-instance hooks (beforeCreate, which often hashes a password
 * or fills a column) only with `individualHooks: true`, and then saves each instance with its own INSERT —
 * measured on PostgreSQL, 3 creates stay 3 statements (test/db/rewrite-runs.test.ts). Without it, one INSERT
 * skips those hooks, which no file shows are absent (sequelize.addHook is global). So no rewrite is offered;
 * the advice names bulkCreate.
 */
function batchedWrite(): undefined {
  return undefined;
}

/**
 * Advice for a write or a row's own method run once per element (`row.save()`, `row.destroy()`, `Model.update(v, { where })`,
 * `row.$get('x')`): one statement over all the keys.
 */
function writeAdvice(op: string, col: string, model: string): string | undefined {
  const inList = `{ where: { ${whereKey(col)}: { [Op.in]: … } } }`;
  switch (op) {
    case 'save':
      return `write the rows in one statement (\`${model}.update(values, ${inList})\`, or \`bulkCreate\` with \`updateOnDuplicate\`)`;
    case 'update':
    case 'increment':
    case 'decrement':
      return `${op} the rows in one statement with \`${model}.${op}(${op === 'update' ? 'values' : 'fields'}, ${inList})\``;
    case 'destroy':
    case 'restore':
      return `${op === 'destroy' ? 'delete' : 'restore'} the rows in one statement with \`${model}.${op}(${inList})\``;
    case 'reload':
      return `load the rows at once with \`findAll(${inList})\``;
    default:
      return op.startsWith('$') ? 'load or change the association for all rows at once (`include` it in the query that loads the rows, or query its model with `[Op.in]`)' : undefined;
  }
}

/**
 * A `where` key as code: an identifier as is, anything else quoted — a JSON path (`'recording_meta.id'`, which
 * Sequelize reads as `recording_meta #>> '{id}'`) or a nested column (`'$user.id$'`) is no identifier.
 */
function whereKey(field: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(field) ? field : `'${field.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * A where key Sequelize reads as a JSON path: `'recording_meta.id'` → `(recording_meta #>> '{id}')` (its query
 * generator turns a dotted key on a JSON column into `#>>` over the path). Not the `'$assoc.col$'` form of an
 * included model's column.
 */
function jsonPath(key: string): { column: string; path: string[] } | undefined {
  const m = /^([A-Za-z_][\w]*)((?:\.[A-Za-z_]\w*)+)$/.exec(key);
  return m ? { column: m[1], path: m[2].slice(1).split('.') } : undefined;
}

function batchAdvice(site: QuerySite): string {
  const col = site.filters.find((f) => f.op === 'eq')?.column ?? 'id';
  const write = writeAdvice(site.operation, col, site.entity ?? 'Model');
  if (write) return write;
  return `load all rows at once with \`findAll({ where: { ${whereKey(col)}: { [Op.in]: … } } })\` (or \`bulkCreate\`)`;
}

export const sequelize: Adapter<'sequelize'> = {
  id: 'sequelize',
  displayName: 'Sequelize',
  modules: {
    owns: (spec) => spec === 'sequelize' || spec === 'sequelize-typescript' || spec === '@nestjs/sequelize',
    defaultExport: (spec) => (spec === 'sequelize' ? 'Sequelize' : '*'),
    namespaceExport: () => '*',
    generatedImport: never,
    mayBeGenerated: never,
  },
  provenance: {
    exportBinding: (name, origin) => (lastName(name) === 'Op' ? exportBound('sequelize', 'operator', origin) : undefined),
    construct: (name, origin) => (lastName(name) === 'Sequelize' ? bind('sequelize', 'client', origin) : undefined),
    callExport: none,
    otherDatabase: never,
    typeInstance: (name, typeArgs, origin) => {
      const n = lastName(name);
      if (n === 'Sequelize') return bind('sequelize', 'client', origin);
      if (n === 'ModelStatic' || n === 'ModelCtor') return bind('sequelize', 'repository', origin, typeArgName(typeArgs));
      return undefined;
    },
    method: (b, method, call, origin) => {
      if (b.role === 'client' && (method === 'define' || method === 'model')) return bind('sequelize', 'repository', origin, stringArg(call.arguments[0]));
      // `User.scope('active')`, `User.unscoped()`, `User.schema('tenant')`: the same model with other default options.
      if (b.role === 'repository' && (method === 'scope' || method === 'unscoped' || method === 'schema')) return bind('sequelize', 'repository', origin, b.entity);
      // `await User.findAll()` / `findByPk(id)`: rows of the model; `await row.reload()`: the row again.
      if (b.role === 'repository' && ROW_RESULTS.has(method)) return bind('sequelize', 'row', origin, b.entity);
      if (b.role === 'row' && ROW_SELF.has(method)) return bind('sequelize', 'row', origin, b.entity);
      return undefined;
    },
    callInstance: none,
    property: none,
    registries: ['models'],
    // `sequelize.models.User`.
    registryMember: (b, registry, name) => (b.role === 'client' && registry === 'models' ? bind('sequelize', 'repository', b.origin, name) : undefined),
    callbackClient: none,
    injected: (decorator, call, origin) => {
      if (decorator === 'InjectModel') return bind('sequelize', 'repository', origin, entityArg(call.arguments[0]));
      if (decorator === 'InjectConnection') return bind('sequelize', 'client', origin);
      return undefined;
    },
    modelClass: (baseExport) => baseExport === 'Model',
  },
  sql: {
    sink: (b, method) => (b.role === 'client' && method === 'query' ? 'text' : undefined),
    sinkMethods: ['query'],
    clientMethods: [],
    templateRunners: [],
    exportSink: none,
    tag: none,
    textMayBeFragment: false,
    bindParams: (pieces, call, _method, _kind, paramTexts, kit) => replacements(pieces, call.arguments[1], paramTexts, kit),
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
    candidates: ['findAll', 'findByPk', 'findAndCountAll', 'bulkCreate', 'findOrCreate', 'findCreateFind'],
    modelCandidates: [],
    runs: [],
  },
  schema: codeSchema([sequelizeMigrations], [sequelizeSchemaReader]),
  rules: {
    batchAdvice,
    entityListeners: () => undefined,
    nestedRowWrites: () => [],
    limitWord: 'limit',
    typedRowKeys: false,
    // A managed transaction's queries name it in their options ({ transaction: t }), not through a receiver.
    transactionCallbacks: [],
    batchedRead: ({ node, key, write, table }) => (write || !ts.isCallExpression(node) ? undefined : readMany(node, key, table)),
    createReturnsRow: never,
    batchedWrite,
    insertRows: none,
    rowsUpdate: none,
    insertRowsCall: none,
    insertRowsType: none,
    isWrite: writesByKind,
    selectColumns: ({ site, fields, insertOption }) => (/^find(All|One|AndCountAll)$/.test(site.operation) ? insertOption('attributes', fx.fieldsArray(fields)) : undefined),
    optionsArgIndex: firstArgument,
    uniqueLookup: (site: QuerySite) => site.operation === 'findByPk',
    relationFilters: none,
    relatedReads: () => [],
    loadedTables: () => undefined,
    filterValue,
    jsonPath,
    loadedRelations: none,
  },
};
