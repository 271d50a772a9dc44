/**
 * ORM call sites → QuerySite (see query-sites.ts for the contract).
 *
 * What each library's calls do, as documented:
 * - Prisma: model delegate methods return a PrismaPromise that runs when
 *   awaited (or handed to `$transaction`); a fluent relation read
 *   (`prisma.user.findUnique(…).posts()`) is one more query. Prisma's
 *   dataloader batches `findUnique` calls issued in the same tick with the
 *   same where/include shape ("Solving n+1 in GraphQL with findUnique() and
 *   Prisma Client's dataloader", Prisma docs, Query optimization).
 * - TypeORM: Repository/EntityManager methods run at once; a QueryBuilder
 *   only runs at getMany/getOne/getRawMany/getRawOne/getCount/
 *   getManyAndCount/getExists/execute/stream.
 * - Sequelize: Model statics (findAll, findOne, findByPk, create …) run at once.
 * - Knex and Drizzle: builders are thenables and run when awaited or `.then`-ed.
 * - Kysely: builders run only at execute/executeTakeFirst/executeTakeFirstOrThrow/stream.
 * - Raw SQL calls come from `ProjectServices.sqlSites` (ts-sql.ts).
 *
 * Which client a receiver is comes from provenance.ts (imports, constructors,
 * declared types), never from variable names.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ProjectServices } from '../context';
import { findModel, findTable, type TableInfo } from '../schema/types';
import { walk, unwrap, nameList } from '../sql/expr';
import type { Range } from '../types';
import { enclosingIterations } from './iteration';
import { fileProvenance, resolveModulePath } from './provenance';
import type { Value } from './provenance';
import type { Binding, ColumnUse, Library, QuerySite } from './query-sites';
import type { SqlClient, SqlSite } from './types';

/** One link of a member/call chain: `.name` or `.name(args)` or a direct call `(args)`. */
export interface ChainStep {
  name: string;
  /** The call node when this step is a call. */
  call?: ts.CallExpression;
  /** The expression up to and including this step. */
  node: ts.Expression;
}

export interface Chain {
  root: ts.Expression;
  steps: ChainStep[];
}

function unparen(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  return e;
}

/** Splits `a.b(x).c.d(y)` into root `a` and steps b(x), c, d(y). */
export function decomposeChain(expr: ts.Expression): Chain {
  const steps: ChainStep[] = [];
  let e = unparen(expr);
  for (let guard = 0; guard < 200; guard++) {
    if (ts.isCallExpression(e)) {
      const callee = unparen(e.expression);
      if (ts.isPropertyAccessExpression(callee)) {
        steps.unshift({ name: callee.name.text, call: e, node: e });
        e = unparen(callee.expression);
        continue;
      }
      if (ts.isIdentifier(callee) || callee.kind === ts.SyntaxKind.ThisKeyword) {
        steps.unshift({ name: '', call: e, node: e });
        e = callee;
        break;
      }
      steps.unshift({ name: '', call: e, node: e });
      e = callee;
      break;
    }
    if (ts.isPropertyAccessExpression(e)) {
      steps.unshift({ name: e.name.text, node: e });
      e = unparen(e.expression);
      continue;
    }
    if (ts.isElementAccessExpression(e) && ts.isStringLiteral(e.argumentExpression)) {
      steps.unshift({ name: e.argumentExpression.text, node: e });
      e = unparen(e.expression);
      continue;
    }
    break;
  }
  return { root: e, steps };
}

/** Expression of the chain up to (not including) step i. */
function prefix(chain: Chain, i: number): ts.Expression {
  return i === 0 ? chain.root : unparen(chain.steps[i - 1].node);
}

const PRISMA_READS = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
]);
const PRISMA_WRITES = new Set(['create', 'createMany', 'createManyAndReturn', 'update', 'updateMany', 'updateManyAndReturn', 'upsert', 'delete', 'deleteMany']);

const TYPEORM_READS = new Set([
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
const TYPEORM_WRITES = new Set(['save', 'insert', 'update', 'upsert', 'delete', 'remove', 'softDelete', 'softRemove', 'restore', 'recover', 'increment', 'decrement', 'preload', 'clear', 'updateAll', 'deleteAll']);
const TYPEORM_QB_EXEC = new Set(['getMany', 'getOne', 'getOneOrFail', 'getRawMany', 'getRawOne', 'getCount', 'getManyAndCount', 'getRawAndEntities', 'getExists', 'execute', 'stream']);

const SEQUELIZE_READS = new Set(['findAll', 'findOne', 'findByPk', 'findAndCountAll', 'count', 'max', 'min', 'sum', 'aggregate']);
const SEQUELIZE_WRITES = new Set(['create', 'bulkCreate', 'update', 'destroy', 'upsert', 'findOrCreate', 'findCreateFind', 'increment', 'decrement', 'truncate', 'restore']);

const KYSELY_EXEC = new Set(['execute', 'executeTakeFirst', 'executeTakeFirstOrThrow', 'stream']);

const THEN_METHODS = new Set(['then', 'catch', 'finally']);

const LARGE_MAP_GUARD = 5000;

/** Links of a chain tried as the database binding (see siteFor). */
const MAX_BINDING_PREFIX = 4;

/** Whether the value of a builder expression is consumed in a way that runs it (awaited, `.then`, Promise.all, returned into one). */
function builderRuns(node: ts.Expression): boolean {
  let n: ts.Node = node;
  for (let guard = 0; guard < 20; guard++) {
    const p: ts.Node | undefined = n.parent;
    if (!p) return false;
    if (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isNonNullExpression(p)) {
      n = p;
      continue;
    }
    if (ts.isAwaitExpression(p) || ts.isYieldExpression(p)) return true;
    if (ts.isPropertyAccessExpression(p) && p.expression === n && THEN_METHODS.has(p.name.text)) return true;
    if (ts.isArrayLiteralExpression(p)) {
      n = p;
      continue;
    }
    if (ts.isCallExpression(p) && p.arguments.includes(n as ts.Expression)) {
      const c = unparen(p.expression);
      const name = ts.isPropertyAccessExpression(c) ? c.name.text : ts.isIdentifier(c) ? c.text : '';
      return /^(all|allSettled|race|any|\$transaction|batch)$/.test(name);
    }
    // `xs.map((x) => knex('t').where(…))` handed to Promise.all.
    if (ts.isArrowFunction(p) && p.body === n) {
      const call = p.parent;
      if (call && ts.isCallExpression(call) && call.arguments[0] === p) {
        n = call;
        continue;
      }
      return false;
    }
    if (ts.isReturnStatement(p)) {
      // Returned from an async function: the caller awaits it. Count it as run
      // only when the function is a per-element callback feeding Promise.all.
      let f: ts.Node | undefined = p.parent;
      while (f && !ts.isFunctionLike(f)) f = f.parent;
      if (f && (ts.isArrowFunction(f) || ts.isFunctionExpression(f)) && f.parent && ts.isCallExpression(f.parent)) {
        n = f.parent;
        continue;
      }
      return false;
    }
    return false;
  }
  return false;
}

function literalNumber(e: ts.Expression | undefined): number | undefined {
  if (!e) return undefined;
  const u = unparen(e);
  if (ts.isNumericLiteral(u)) return Number(u.text);
  return undefined;
}

function stringValue(e: ts.Expression | undefined): string | undefined {
  if (!e) return undefined;
  const u = unparen(e);
  if (ts.isStringLiteral(u) || ts.isNoSubstitutionTemplateLiteral(u)) return u.text;
  return undefined;
}

function propName(p: ts.ObjectLiteralElementLike): string | undefined {
  if (!p.name) return undefined;
  if (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) || ts.isNumericLiteral(p.name)) return p.name.text;
  return undefined;
}

function objectProp(obj: ts.Expression | undefined, key: string): ts.Expression | undefined {
  if (!obj) return undefined;
  const o = unparen(obj);
  if (!ts.isObjectLiteralExpression(o)) return undefined;
  for (const p of o.properties) {
    if (propName(p) !== key) continue;
    if (ts.isPropertyAssignment(p)) return p.initializer;
    if (ts.isShorthandPropertyAssignment(p)) return p.name;
  }
  return undefined;
}

function rangeOf(n: ts.Node): Range {
  return { start: n.getStart(), end: n.getEnd() };
}

const PRISMA_OPS: Record<string, string> = {
  in: 'in',
  notIn: 'not-in',
  equals: 'eq',
  not: 'ne',
  lt: 'range',
  lte: 'range',
  gt: 'range',
  gte: 'range',
  contains: 'like-contains',
  endsWith: 'like-contains',
  startsWith: 'like-prefix',
  search: 'func',
  has: 'func',
  hasSome: 'in',
  hasEvery: 'func',
};
const RELATION_FILTERS = new Set(['some', 'every', 'none', 'is', 'isNot']);

/**
 * Column filters of a Prisma/TypeORM/Sequelize-style `where` object. Keys
 * whose value is an object of relation filters (`some`, `is` …) are relation
 * filters, not columns of this table, and are skipped.
 */
export function whereObjectFilters(where: ts.Expression | undefined, library: Library, out: ColumnUse[] = []): ColumnUse[] {
  if (!where) return out;
  const w = unparen(where);
  if (ts.isArrayLiteralExpression(w)) {
    // TypeORM `where: [{…}, {…}]` (OR of objects).
    for (const el of w.elements) whereObjectFilters(el, library, out);
    return out;
  }
  if (!ts.isObjectLiteralExpression(w)) return out;
  for (const p of w.properties) {
    const key = propName(p);
    if (!key) continue;
    if (key === 'AND' || key === 'OR' || key === 'NOT') {
      if (ts.isPropertyAssignment(p)) whereObjectFilters(p.initializer, library, out);
      continue;
    }
    if (ts.isShorthandPropertyAssignment(p)) {
      out.push({ column: key, range: rangeOf(p), op: 'eq' });
      continue;
    }
    if (!ts.isPropertyAssignment(p)) continue;
    const v = unparen(p.initializer);
    if (ts.isObjectLiteralExpression(v)) {
      const keys = v.properties.map(propName).filter((k): k is string => !!k);
      if (keys.some((k) => RELATION_FILTERS.has(k))) continue;
      // Sequelize `{ [Op.in]: ids }`.
      const opKeys = v.properties
        .map((q) => (q.name && ts.isComputedPropertyName(q.name) ? q.name.expression.getText() : undefined))
        .filter((k): k is string => !!k);
      if (opKeys.length) {
        const op = opKeys.some((k) => /\.in$/.test(k)) ? 'in' : opKeys.some((k) => /\.(i?like|startsWith|substring|endsWith)$/.test(k)) ? 'like-contains' : 'range';
        out.push({ column: key, range: rangeOf(p.name), op });
        continue;
      }
      if (keys.length && keys.every((k) => k in PRISMA_OPS || k === 'mode')) {
        const ops = keys.filter((k) => k !== 'mode').map((k) => PRISMA_OPS[k]);
        const op = ops.includes('in') ? 'in' : ops[0] ?? 'eq';
        out.push({ column: key, range: rangeOf(p.name), op });
        continue;
      }
      // A compound unique (`email_tenantId: { email, tenantId }`) or a nested relation: record the keys as columns only for compounds.
      if (key.includes('_') && keys.length > 1 && keys.every((k) => key.split('_').includes(k))) {
        for (const k of keys) out.push({ column: k, range: rangeOf(p.name), op: 'eq' });
      }
      continue;
    }
    if (ts.isCallExpression(v)) {
      // TypeORM operators: In(ids), Like('%x'), ILike, MoreThan, Between, Raw ...
      const fn = ts.isIdentifier(v.expression) ? v.expression.text : ts.isPropertyAccessExpression(v.expression) ? v.expression.name.text : '';
      const op =
        fn === 'In' || fn === 'Any' || fn === 'ArrayContainedBy'
          ? 'in'
          : fn === 'Like' || fn === 'ILike'
            ? /^['"`]%/.test(v.arguments[0]?.getText() ?? '')
              ? 'like-contains'
              : 'like-prefix'
            : fn === 'Raw'
              ? 'func'
              : fn === 'Not'
                ? 'ne'
                : /^(MoreThan|LessThan|MoreThanOrEqual|LessThanOrEqual|Between)$/.test(fn)
                  ? 'range'
                  : fn === 'IsNull'
                    ? 'null'
                    : 'eq';
      out.push({ column: key, range: rangeOf(p.name), op });
      continue;
    }
    out.push({ column: key, range: rangeOf(p.name), op: 'eq' });
  }
  return out;
}

/** Keys of a `select`/`columns` object whose value is `true`, or of an `attributes`/`select` string array. */
function selectedFields(sel: ts.Expression | undefined): string[] | undefined {
  if (!sel) return undefined;
  const s = unparen(sel);
  if (ts.isArrayLiteralExpression(s)) {
    const out: string[] = [];
    for (const el of s.elements) {
      const v = stringValue(el);
      if (v) out.push(v);
      else if (ts.isArrayLiteralExpression(el)) {
        const first = stringValue(el.elements[0]);
        if (first) out.push(first);
      } else if (ts.isPropertyAccessExpression(el)) out.push(el.name.text);
    }
    return out;
  }
  if (ts.isObjectLiteralExpression(s)) {
    const out: string[] = [];
    for (const p of s.properties) {
      const k = propName(p);
      if (!k) continue;
      if (ts.isPropertyAssignment(p) && p.initializer.kind === ts.SyntaxKind.FalseKeyword) continue;
      out.push(k);
    }
    // Sequelize `attributes: { exclude: [...] }` selects everything but some: treat as all.
    if (out.length === 1 && (out[0] === 'exclude' || out[0] === 'include')) return undefined;
    return out;
  }
  return undefined;
}

function orderFields(order: ts.Expression | undefined, out: ColumnUse[] = []): ColumnUse[] {
  if (!order) return out;
  const o = unparen(order);
  if (ts.isArrayLiteralExpression(o)) {
    for (const el of o.elements) {
      const s = stringValue(el);
      if (s) out.push({ column: s, range: rangeOf(el) });
      else if (ts.isArrayLiteralExpression(el)) {
        const f = stringValue(el.elements[0]);
        if (f) out.push({ column: f, range: rangeOf(el.elements[0]) });
      } else orderFields(el, out);
    }
    return out;
  }
  if (ts.isObjectLiteralExpression(o)) {
    for (const p of o.properties) {
      const k = propName(p);
      if (!k || !ts.isPropertyAssignment(p)) continue;
      const v = unparen(p.initializer);
      // Relation ordering (`author: { name: 'asc' }`) is another table.
      if (ts.isObjectLiteralExpression(v) && !objectProp(v, 'sort')) continue;
      out.push({ column: k, range: rangeOf(p.name) });
    }
  }
  const s = stringValue(o);
  if (s) out.push({ column: s, range: rangeOf(o) });
  return out;
}

// ---------------------------------------------------------------------------
// Entity → table declarations, read across project files.

export interface EntityDecl {
  file: string;
  /** Table name as declared (or as the library derives it). */
  table: string;
  /** Candidates tried against the schema, in order. */
  candidates: string[];
  /** JS property → DB column (Drizzle column keys, TypeORM/Sequelize `name:`/`field:` options). */
  columns: Map<string, string>;
}

function snakeCase(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** Files to search for a name used in `path`: the file itself, then where it imports the name from (following `export … from`). */
function declarationFiles(project: ProjectServices, path: string, name: string, depth = 0, seen = new Set<string>()): string[] {
  if (seen.has(path) || depth > 4) return [];
  seen.add(path);
  const text = project.fileText(path);
  if (text === undefined || text.length > LARGE_TEXT) return [];
  const out = [path];
  const importRe = /(?:import|export)\s+(?:type\s+)?([\s\S]{0,400}?)\s+from\s+['"]([^'"]+)['"]/g;
  for (let m = importRe.exec(text); m; m = importRe.exec(text)) {
    const what = m[1];
    if (!(new RegExp(`\\b${name}\\b`).test(what) || /^\*/.test(what.trim()))) continue;
    const target = resolveModulePath(project, path, m[2]);
    if (target) out.push(...declarationFiles(project, target, name, depth + 1, seen));
  }
  return out;
}

const LARGE_TEXT = 2 * 1024 * 1024;

function entityDeclIn(file: string, text: string, name: string): EntityDecl | undefined {
  const esc = name.replace(/[$]/g, '\\$');
  // TypeORM / sequelize-typescript: decorators before `class Name`.
  const classRe = new RegExp(`class\\s+${esc}\\b`);
  const cm = classRe.exec(text);
  if (cm) {
    const before = text.slice(Math.max(0, cm.index - 600), cm.index);
    const ent = /@Entity\(\s*(?:['"]([^'"]+)['"]|\{[^}]*?\bname:\s*['"]([^'"]+)['"][^}]*\})?/g;
    let last: RegExpExecArray | null = null;
    for (let m = ent.exec(before); m; m = ent.exec(before)) last = m;
    if (last) {
      const table = last[1] ?? last[2] ?? snakeCase(name);
      return { file, table, candidates: [table, name, name.toLowerCase()], columns: classColumns(text, cm.index) };
    }
    const tbl = /@Table\(\s*\{[^}]*?\btableName:\s*['"]([^'"]+)['"]/.exec(before);
    if (tbl) return { file, table: tbl[1], candidates: [tbl[1]], columns: classColumns(text, cm.index) };
    // Sequelize `class User extends Model {}` + `User.init({...}, { tableName })`.
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
      return { file, table: `${name}s`, candidates: [`${name}s`, name, `${name.toLowerCase()}s`, snakeCase(name) + 's'], columns: classColumns(text, cm.index) };
    }
  }
  // Drizzle: const users = pgTable('users', { id: serial('id'), … })
  const tableRe = new RegExp(`(?:const|let|var)\\s+${esc}\\s*=\\s*(?:[\\w$]+\\.)?(?:pgTable|mysqlTable|sqliteTable|table)\\(\\s*['"\`]([^'"\`]+)['"\`]`);
  const tm = tableRe.exec(text);
  if (tm) {
    const columns = new Map<string, string>();
    const body = text.slice(tm.index + tm[0].length, tm.index + tm[0].length + 8000);
    const colRe = /(\w+)\s*:\s*\w+\(\s*['"]([^'"]+)['"]/g;
    for (let m = colRe.exec(body); m; m = colRe.exec(body)) {
      columns.set(m[1], m[2]);
      if (columns.size > LARGE_MAP_GUARD) break;
    }
    // Drizzle's column builders without a name argument use the key as the column name.
    const keyRe = /(\w+)\s*:\s*\w+\(\s*\)/g;
    for (let m = keyRe.exec(body); m; m = keyRe.exec(body)) if (!columns.has(m[1])) columns.set(m[1], m[1]);
    return { file, table: tm[1], candidates: [tm[1]], columns };
  }
  // Sequelize define: const User = sequelize.define('User', {...}, { tableName: 'users' })
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

/** `@Column({ name: 'created_at' }) createdAt` → createdAt → created_at. */
function classColumns(text: string, classStart: number): Map<string, string> {
  const out = new Map<string, string>();
  const body = text.slice(classStart, classStart + 20000);
  const re = /@(?:Column|PrimaryColumn|PrimaryGeneratedColumn|CreateDateColumn|UpdateDateColumn)\(\s*\{[^}]*?\bname:\s*['"]([^'"]+)['"][^}]*\}\s*\)\s*(?:public\s+|readonly\s+|declare\s+)*(\w+)/g;
  for (let m = re.exec(body); m; m = re.exec(body)) out.set(m[2], m[1]);
  const fre = /(\w+)\s*:\s*\{[^{}]*?\bfield:\s*['"]([^'"]+)['"]/g;
  for (let m = fre.exec(body); m; m = fre.exec(body)) out.set(m[1], m[2]);
  return out;
}

/** Finds how entity/model/table `name`, used in `path`, is declared. Memoised per file text. */
export function findEntityDecl(project: ProjectServices, path: string, name: string): EntityDecl | undefined {
  const text = project.fileText(path) ?? '';
  return project.memo(`entityDecl:${path}:${name}`, text, () => {
    for (const f of declarationFiles(project, path, name)) {
      const t = project.fileText(f);
      if (t === undefined) continue;
      // Memoised per declaring file too: every file that uses `User` searches models/User.ts with the same regexes.
      const d = project.memo(`entityDeclIn:${f}:${name}`, t, () => entityDeclIn(f, t, name));
      if (d) return d;
    }
    return undefined;
  });
}

/** The schema table of an entity, trying the declared name and the library's defaults. */
export function tableForEntity(project: ProjectServices, path: string, library: Library, entity: string): { table?: TableInfo; name: string; decl?: EntityDecl } {
  const schema = project.schema();
  if (library === 'prisma') {
    const t = findModel(schema, entity) ?? findModel(schema, entity.charAt(0).toUpperCase() + entity.slice(1));
    return { table: t, name: t?.name ?? entity };
  }
  const decl = findEntityDecl(project, path, entity);
  const cands = decl ? decl.candidates : [entity, snakeCase(entity), entity.toLowerCase(), `${entity.toLowerCase()}s`, `${snakeCase(entity)}s`];
  for (const c of cands) {
    const t = findTable(schema, c) ?? findModel(schema, c);
    if (t) return { table: t, name: t.name, decl };
  }
  return { name: decl?.table ?? entity, decl };
}

// ---------------------------------------------------------------------------
// Per-library interpretation of a chain.

/** A QuerySite before its table is resolved and its range taken from `node`. */
type SiteDraft = Pick<QuerySite, 'library' | 'operation' | 'executes' | 'kind' | 'entity' | 'selects' | 'filters' | 'orderBy' | 'limit' | 'batched' | 'prismaBatchable'> & {
  /** Table named by a string in code (Knex/Kysely). */
  tableName?: string;
  node: ts.Expression;
};

function stripAlias(t: string): string {
  return t
    .replace(/\s+as\s+\w+$/i, '')
    .replace(/\s+\w+$/, '')
    .replace(/^.*\./, '')
    .replace(/"/g, '');
}

function prismaWhereBatchable(where: ts.Expression | undefined): boolean {
  if (!where) return false;
  const w = unparen(where);
  if (!ts.isObjectLiteralExpression(w)) return true;
  for (const p of w.properties) {
    if (ts.isSpreadAssignment(p)) return false;
    const key = propName(p);
    if (!key || key === 'AND' || key === 'OR' || key === 'NOT') return false;
    if (ts.isPropertyAssignment(p)) {
      const v = unparen(p.initializer);
      if (ts.isObjectLiteralExpression(v)) {
        const keys = v.properties.map(propName);
        // `{ equals: x }`, or a compound unique `{ tenantId, userId }`; any other operator is not batched.
        if (keys.some((k) => !k || (k in PRISMA_OPS && k !== 'equals'))) return false;
      }
    }
  }
  return true;
}

function prismaSite(delegate: string, step: ChainStep, rest: ChainStep[]): SiteDraft | undefined {
  const op = step.name;
  if (!PRISMA_READS.has(op) && !PRISMA_WRITES.has(op)) return undefined;
  const args = step.call!.arguments[0];
  const filters = whereObjectFilters(objectProp(args, 'where'), 'prisma');
  const sel = selectedFields(objectProp(args, 'select'));
  const read = PRISMA_READS.has(op);
  const take = literalNumber(objectProp(args, 'take'));
  let limit = op.startsWith('findUnique') || op.startsWith('findFirst') ? 1 : take !== undefined ? Math.abs(take) : undefined;
  let node: ts.Expression = step.call!;
  let operation = op;
  let entity = delegate;
  // The dataloader batches findUnique (and findUniqueOrThrow since Prisma 5.1, prisma-engines#4019)
  // only when every where criterion is a scalar equality: no AND/OR/NOT, no other operators.
  const batchable = (op === 'findUnique' || op === 'findUniqueOrThrow') && prismaWhereBatchable(objectProp(args, 'where'));
  // Fluent relation read: prisma.user.findUnique({…}).posts()
  const next = rest[0];
  if (next?.call && !THEN_METHODS.has(next.name) && op.startsWith('findUnique')) {
    node = next.call;
    operation = `${op}().${next.name}`;
    entity = next.name;
    limit = undefined;
    return {
      library: 'prisma',
      operation,
      executes: true,
      kind: 'read',
      entity,
      selects: '*',
      filters: [],
      orderBy: [],
      limit,
      batched: false,
      prismaBatchable: batchable,
      node,
    };
  }
  return {
    library: 'prisma',
    operation,
    executes: true,
    kind: read ? 'read' : 'write',
    entity,
    selects: read && op !== 'count' && op !== 'aggregate' && op !== 'groupBy' ? (sel ?? (objectProp(args, 'omit') ? undefined : '*')) : undefined,
    filters,
    orderBy: orderFields(objectProp(args, 'orderBy')),
    limit,
    batched: op === 'createMany' || op === 'createManyAndReturn' || filters.some((f) => f.op === 'in'),
    prismaBatchable: batchable,
    node,
  };
}

function typeormQbInfo(steps: ChainStep[]): { filters: ColumnUse[]; orderBy: ColumnUse[]; limit?: number; batched: boolean; selects?: string[] | '*'; entity?: string; tableName?: string } {
  const filters: ColumnUse[] = [];
  const orderBy: ColumnUse[] = [];
  let limit: number | undefined;
  let batched = false;
  let selects: string[] | '*' | undefined = '*';
  let entity: string | undefined;
  let tableName: string | undefined;
  for (const s of steps) {
    if (!s.call) continue;
    const a0 = s.call.arguments[0];
    switch (s.name) {
      case 'where':
      case 'andWhere':
      case 'orWhere': {
        const text = stringValue(a0);
        if (text !== undefined) {
          if (/\bIN\s*\(\s*:\.\.\.\w+\s*\)|=\s*ANY\s*\(/i.test(text)) batched = true;
          const re = /(?:\b\w+\.)?"?(\w+)"?\s*(=|<>|!=|<=|>=|<|>|\bI?LIKE\b|\bIN\b)\s*(['"]?)(%?)/gi;
          for (let m = re.exec(text); m; m = re.exec(text)) {
            const op = /in/i.test(m[2]) ? 'in' : /like/i.test(m[2]) ? (m[4] === '%' ? 'like-contains' : 'like-prefix') : m[2] === '=' ? 'eq' : 'range';
            filters.push({ column: m[1], range: rangeOf(a0), op });
          }
        } else if (a0) {
          whereObjectFilters(a0, 'typeorm', filters);
          if (filters.some((f) => f.op === 'in')) batched = true;
        }
        break;
      }
      case 'whereInIds':
        batched = true;
        break;
      case 'orderBy':
      case 'addOrderBy': {
        const t = stringValue(a0);
        if (t) orderBy.push({ column: t.replace(/^.*\./, ''), range: rangeOf(a0) });
        break;
      }
      case 'take':
      case 'limit':
        limit = literalNumber(a0);
        break;
      case 'select':
      case 'addSelect': {
        if (a0) {
          const f = selectedFields(a0) ?? (stringValue(a0) ? [stringValue(a0)!] : undefined);
          if (f && !f.some((x) => /\.?\*$/.test(x) || !x.includes('.'))) selects = f.map((x) => x.replace(/^.*\./, ''));
          else if (f && f.every((x) => !x.endsWith('*'))) selects = f.map((x) => x.replace(/^.*\./, ''));
        }
        break;
      }
      case 'from': {
        if (a0 && ts.isIdentifier(a0)) entity = a0.text;
        else tableName = stringValue(a0);
        break;
      }
      case 'createQueryBuilder': {
        if (a0 && ts.isIdentifier(a0) && s.call.arguments.length >= 2) entity = a0.text;
        break;
      }
    }
  }
  return { filters, orderBy, limit, batched, selects, entity, tableName };
}

function knexInfo(steps: ChainStep[]): { filters: ColumnUse[]; orderBy: ColumnUse[]; limit?: number; batched: boolean; selects: string[] | '*'; tableName?: string; kind: QuerySite['kind']; operation: string } {
  const filters: ColumnUse[] = [];
  const orderBy: ColumnUse[] = [];
  let limit: number | undefined;
  let batched = false;
  let selects: string[] | '*' = '*';
  let tableName: string | undefined;
  let kind: QuerySite['kind'] = 'read';
  let operation = 'select';
  for (const s of steps) {
    if (!s.call) continue;
    const a0 = s.call.arguments[0];
    switch (s.name) {
      case '':
      case 'from':
      case 'table':
      case 'into':
      case 'update':
      case 'del':
      case 'delete':
      case 'insert': {
        if (s.name === '' || s.name === 'from' || s.name === 'table' || s.name === 'into') {
          const t = stringValue(a0);
          if (t) tableName = stripAlias(t);
        }
        if (s.name === 'insert' || s.name === 'update' || s.name === 'del' || s.name === 'delete') {
          kind = 'write';
          operation = s.name;
          if (s.name === 'insert' && a0 && ts.isArrayLiteralExpression(unparen(a0))) batched = true;
        }
        break;
      }
      case 'where':
      case 'andWhere':
      case 'orWhere': {
        const col = stringValue(a0);
        if (col) {
          const op = s.call.arguments.length === 3 ? (stringValue(s.call.arguments[1]) ?? '=') : '=';
          const o = op.toLowerCase();
          const fop = o === 'in' ? 'in' : o.includes('like') ? (/^['"`]%/.test(s.call.arguments[2]?.getText() ?? '') ? 'like-contains' : 'like-prefix') : o === '=' ? 'eq' : 'range';
          if (fop === 'in') batched = true;
          filters.push({ column: stripAlias(col.replace(/\s.*$/, '')) || col, range: rangeOf(a0!), op: fop });
        } else if (a0) whereObjectFilters(a0, 'knex', filters);
        break;
      }
      case 'whereIn':
      case 'andWhereIn':
      case 'orWhereIn': {
        batched = true;
        const col = stringValue(a0);
        if (col) filters.push({ column: col.replace(/^.*\./, ''), range: rangeOf(a0!), op: 'in' });
        break;
      }
      case 'whereILike':
      case 'whereLike': {
        const col = stringValue(a0);
        if (col) filters.push({ column: col.replace(/^.*\./, ''), range: rangeOf(a0!), op: /^['"`]%/.test(s.call.arguments[1]?.getText() ?? '') ? 'like-contains' : 'like-prefix' });
        break;
      }
      case 'orderBy': {
        const col = stringValue(a0);
        if (col) orderBy.push({ column: col.replace(/^.*\./, ''), range: rangeOf(a0!) });
        break;
      }
      case 'limit':
        limit = literalNumber(a0);
        break;
      case 'first':
        limit = 1;
        if (s.call.arguments.length) selects = s.call.arguments.map((a) => stringValue(a) ?? '*');
        break;
      case 'select':
      case 'column':
      case 'columns': {
        const cols: string[] = [];
        for (const a of s.call.arguments) {
          const v = stringValue(a);
          if (v) cols.push(v);
          else if (ts.isArrayLiteralExpression(a)) for (const e of a.elements) cols.push(stringValue(e) ?? '*');
          else cols.push('*');
        }
        if (cols.length && !cols.includes('*') && !cols.some((c) => c.endsWith('.*'))) selects = cols.map((c) => c.replace(/^.*\./, '').replace(/\s+as\s+.*$/i, ''));
        break;
      }
      case 'count':
      case 'sum':
      case 'max':
      case 'min':
      case 'avg':
        selects = [];
        operation = s.name;
        break;
    }
  }
  return { filters, orderBy, limit, batched, selects, tableName, kind, operation };
}

function drizzleColumnRef(e: ts.Expression | undefined): { table?: string; column: string } | undefined {
  if (!e) return undefined;
  const u = unparen(e);
  if (ts.isPropertyAccessExpression(u) && ts.isIdentifier(u.expression)) return { table: u.expression.text, column: u.name.text };
  return undefined;
}

function drizzleFilters(e: ts.Expression | undefined, out: ColumnUse[]): boolean {
  let batched = false;
  if (!e) return batched;
  const u = unparen(e);
  if (!ts.isCallExpression(u) || !ts.isIdentifier(u.expression)) return batched;
  const fn = u.expression.text;
  if (fn === 'and' || fn === 'or') {
    for (const a of u.arguments) batched = drizzleFilters(a, out) || batched;
    return batched;
  }
  const col = drizzleColumnRef(u.arguments[0]);
  if (!col) return batched;
  const op =
    fn === 'inArray'
      ? 'in'
      : fn === 'eq'
        ? 'eq'
        : fn === 'like' || fn === 'ilike'
          ? /^['"`]%/.test(u.arguments[1]?.getText() ?? '')
            ? 'like-contains'
            : 'like-prefix'
          : /^(gt|gte|lt|lte|between)$/.test(fn)
            ? 'range'
            : fn === 'isNull' || fn === 'isNotNull'
              ? 'null'
              : 'func';
  if (op === 'in') batched = true;
  out.push({ column: col.column, range: rangeOf(u.arguments[0]), op });
  return batched;
}

function kyselyInfo(steps: ChainStep[]): { filters: ColumnUse[]; orderBy: ColumnUse[]; limit?: number; batched: boolean; selects: string[] | '*' | undefined; tableName?: string; kind: QuerySite['kind'] } {
  const filters: ColumnUse[] = [];
  const orderBy: ColumnUse[] = [];
  let limit: number | undefined;
  let batched = false;
  let selects: string[] | '*' | undefined;
  let tableName: string | undefined;
  let kind: QuerySite['kind'] = 'read';
  for (const s of steps) {
    if (!s.call) continue;
    const a0 = s.call.arguments[0];
    switch (s.name) {
      case 'selectFrom':
      case 'insertInto':
      case 'updateTable':
      case 'deleteFrom': {
        const t = stringValue(a0);
        if (t) tableName = stripAlias(t);
        if (s.name !== 'selectFrom') kind = 'write';
        break;
      }
      case 'values':
        if (a0 && ts.isArrayLiteralExpression(unparen(a0))) batched = true;
        break;
      case 'where':
      case 'orWhere':
      case 'andWhere': {
        const col = stringValue(a0);
        const op = stringValue(s.call.arguments[1]) ?? '=';
        if (col) {
          const o = op.toLowerCase();
          const fop = o === 'in' ? 'in' : o.includes('like') ? (/^['"`]%/.test(s.call.arguments[2]?.getText() ?? '') ? 'like-contains' : 'like-prefix') : o === '=' ? 'eq' : 'range';
          if (fop === 'in') batched = true;
          filters.push({ column: col.replace(/^.*\./, ''), range: rangeOf(a0!), op: fop });
        }
        break;
      }
      case 'orderBy': {
        const col = stringValue(a0);
        if (col) orderBy.push({ column: col.replace(/^.*\./, '').replace(/\s.*$/, ''), range: rangeOf(a0!) });
        break;
      }
      case 'limit':
        limit = literalNumber(a0);
        break;
      case 'selectAll':
        selects = '*';
        break;
      case 'select': {
        const f = selectedFields(a0) ?? (stringValue(a0) ? [stringValue(a0)!] : undefined);
        if (f) selects = [...(selects === '*' ? [] : (selects ?? [])), ...f.map((x) => x.replace(/^.*\./, '').replace(/\s+as\s+.*$/i, ''))];
        break;
      }
      case 'executeTakeFirst':
      case 'executeTakeFirstOrThrow':
        limit ??= 1;
        break;
    }
  }
  return { filters, orderBy, limit, batched, selects, tableName, kind };
}

/**
 * Interprets one outermost chain expression. `binding` is what the chain's
 * prefix at `at` resolved to.
 */
function interpret(chain: Chain, at: number, binding: Binding, outer: ts.Expression): SiteDraft | undefined {
  const steps = chain.steps.slice(at);
  // Drop trailing .then/.catch/.finally: they consume the query, they are not part of it.
  while (steps.length && THEN_METHODS.has(steps[steps.length - 1].name)) steps.pop();
  if (!steps.length) return undefined;
  const lib = binding.library;
  const last = steps[steps.length - 1];
  const runs = builderRuns(outer) || (outer !== last.node && THEN_METHODS.has(chain.steps[chain.steps.length - 1]?.name ?? ''));

  if (lib === 'prisma') {
    if (binding.role === 'repository') {
      const i = steps.findIndex((s) => s.call);
      if (i !== 0) return undefined;
      return prismaSite(binding.entity ?? '', steps[0], steps.slice(1));
    }
    if (binding.role === 'client' && steps.length >= 2 && !steps[0].call && !steps[0].name.startsWith('$') && steps[1].call) {
      return prismaSite(steps[0].name, steps[1], steps.slice(2));
    }
    return undefined;
  }

  if (lib === 'typeorm') {
    const first = steps[0];
    if ((binding.role === 'repository' || binding.role === 'client') && first.call && (TYPEORM_READS.has(first.name) || TYPEORM_WRITES.has(first.name)) && steps.length === 1) {
      const args = first.call.arguments;
      // EntityManager methods take the entity class first: manager.find(User, {...}).
      let entity = binding.entity;
      let opts = args[0];
      if (args[0] && ts.isIdentifier(args[0]) && /^[A-Z]/.test(args[0].text) && (binding.role === 'client' || !binding.entity)) {
        entity = args[0].text;
        opts = args[1];
      }
      if (!entity) return undefined;
      const read = TYPEORM_READS.has(first.name);
      const byStyle = /By(OrFail)?$/.test(first.name) || first.name === 'countBy' || first.name === 'existsBy';
      const where = read ? (byStyle ? opts : objectProp(opts, 'where')) : first.name === 'update' || first.name === 'delete' || first.name === 'softDelete' ? opts : undefined;
      const filters = whereObjectFilters(where, 'typeorm');
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
        orderBy: orderFields(objectProp(opts, 'order')),
        limit: /findOne/.test(first.name) ? 1 : take,
        batched: filters.some((f) => f.op === 'in') || first.name === 'findByIds' || !!writeArr,
        node: first.call,
      };
    }
    // QueryBuilder chains: only the terminal call runs.
    if (TYPEORM_QB_EXEC.has(last.name) && last.call) {
      const qb = typeormQbInfo(steps);
      const entity = qb.entity ?? binding.entity;
      if (!entity && !qb.tableName) return undefined;
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
        orderBy: qb.orderBy,
        limit: last.name === 'getOne' || last.name === 'getOneOrFail' || last.name === 'getRawOne' ? 1 : qb.limit,
        batched: qb.batched,
        node: last.call,
      };
    }
    return undefined;
  }

  if (lib === 'sequelize') {
    const first = steps[0];
    if (binding.role !== 'repository' || !first.call || steps.length !== 1) return undefined;
    const read = SEQUELIZE_READS.has(first.name);
    if (!read && !SEQUELIZE_WRITES.has(first.name)) return undefined;
    const args = first.call.arguments;
    const opts = first.name === 'update' ? args[1] : first.name === 'findByPk' ? undefined : args[0];
    const filters = first.name === 'findByPk' ? [{ column: 'id', range: rangeOf(args[0] ?? first.call), op: 'eq' }] : whereObjectFilters(objectProp(opts, 'where'), 'sequelize');
    return {
      library: 'sequelize',
      operation: first.name,
      executes: true,
      kind: read ? 'read' : 'write',
      entity: binding.entity,
      selects: read && /^find/.test(first.name) ? (selectedFields(objectProp(opts ?? args[1], 'attributes')) ?? '*') : undefined,
      filters,
      orderBy: orderFields(objectProp(opts, 'order')),
      limit: /findOne|findByPk/.test(first.name) ? 1 : literalNumber(objectProp(opts, 'limit')),
      batched: first.name === 'bulkCreate' || filters.some((f) => f.op === 'in'),
      node: first.call,
    };
  }

  if (lib === 'knex') {
    if (!(binding.role === 'client' || binding.role === 'query-builder')) return undefined;
    // knex.raw / knex.transaction / knex.schema are not builder chains.
    if (steps[0].name === 'raw' || steps[0].name === 'transaction' || steps[0].name === 'schema' || steps[0].name === 'fn' || steps[0].name === 'destroy') return undefined;
    const info = knexInfo(steps);
    if (!info.tableName && binding.role === 'client') return undefined;
    return {
      library: 'knex',
      operation: info.operation,
      executes: runs,
      kind: info.kind,
      // Knex builders carry a table name string, not an entity.
      tableName: info.tableName ?? (binding.entity ? stripAlias(binding.entity) : undefined),
      selects: info.kind === 'read' ? info.selects : undefined,
      filters: info.filters,
      orderBy: info.orderBy,
      limit: info.limit,
      batched: info.batched,
      node: outer,
    };
  }

  if (lib === 'drizzle') {
    if (binding.role === 'table' || binding.role === 'operator' || binding.role === 'sql-tag') return undefined;
    // db.query.users.findMany({ where, with, columns, limit })
    if (steps[0].name === 'query' && steps.length >= 3 && steps[2].call && /^find(Many|First)$/.test(steps[2].name)) {
      const opts = steps[2].call.arguments[0];
      const filters: ColumnUse[] = [];
      const batched = drizzleFilters(objectProp(opts, 'where'), filters);
      return {
        library: 'drizzle',
        operation: steps[2].name,
        executes: runs || true,
        kind: 'read',
        entity: steps[1].name,
        selects: selectedFields(objectProp(opts, 'columns')) ?? '*',
        filters,
        orderBy: [],
        limit: steps[2].name === 'findFirst' ? 1 : literalNumber(objectProp(opts, 'limit')),
        batched,
        node: steps[2].call,
      };
    }
    const head = steps[0];
    if (!head.call || !/^(select|selectDistinct|insert|update|delete)$/.test(head.name)) return undefined;
    const filters: ColumnUse[] = [];
    let batched = false;
    let entity: string | undefined;
    let limit: number | undefined;
    const orderBy: ColumnUse[] = [];
    let selects: string[] | '*' | undefined = head.name.startsWith('select') ? (head.call.arguments.length ? selectedFields(head.call.arguments[0]) : '*') : undefined;
    if (head.name !== 'select' && head.name !== 'selectDistinct') {
      const t = head.call.arguments[0];
      if (t && ts.isIdentifier(t)) entity = t.text;
    }
    for (const s of steps.slice(1)) {
      if (!s.call) continue;
      const a0 = s.call.arguments[0];
      if (s.name === 'from' && a0 && ts.isIdentifier(a0)) entity = a0.text;
      else if (s.name === 'where') batched = drizzleFilters(a0, filters) || batched;
      else if (s.name === 'limit') limit = literalNumber(a0);
      else if (s.name === 'orderBy') {
        for (const a of s.call.arguments) {
          const u = unparen(a);
          const ref = drizzleColumnRef(ts.isCallExpression(u) ? u.arguments[0] : u);
          if (ref) orderBy.push({ column: ref.column, range: rangeOf(a) });
        }
      } else if (s.name === 'values' && a0 && ts.isArrayLiteralExpression(unparen(a0))) batched = true;
    }
    if (!entity) return undefined;
    if (selects === undefined && head.name.startsWith('select')) selects = undefined;
    const exec = runs || last.name === 'execute' || last.name === 'all' || last.name === 'get' || last.name === 'run';
    return {
      library: 'drizzle',
      operation: head.name,
      executes: exec,
      kind: head.name.startsWith('select') ? 'read' : 'write',
      entity,
      selects,
      filters,
      orderBy,
      limit,
      batched,
      node: outer,
    };
  }

  if (lib === 'kysely') {
    if (!KYSELY_EXEC.has(last.name) || !last.call) return undefined;
    const head = steps[0];
    if (!/^(selectFrom|insertInto|updateTable|deleteFrom)$/.test(head.name) && binding.role !== 'query-builder') return undefined;
    const info = kyselyInfo(steps);
    info.tableName ??= binding.entity ? stripAlias(binding.entity) : undefined;
    if (!info.tableName) return undefined;
    return {
      library: 'kysely',
      operation: last.name,
      executes: true,
      kind: info.kind,
      tableName: info.tableName,
      selects: info.kind === 'read' ? info.selects : undefined,
      filters: info.filters,
      orderBy: info.orderBy,
      limit: info.limit,
      batched: info.batched,
      node: last.call,
    };
  }
  return undefined;
}

/** Whether `n` continues into a longer chain (`n.x`, `n.x()`), so it is not the outermost link. */
function isChainInner(n: ts.Node): boolean {
  let c: ts.Node = n;
  while (c.parent && (ts.isParenthesizedExpression(c.parent) || ts.isNonNullExpression(c.parent))) c = c.parent;
  const p = c.parent;
  if (!p) return false;
  if (ts.isPropertyAccessExpression(p) && p.expression === c) return true;
  // The callee of a call: the call is the link.
  if (ts.isCallExpression(p) && p.expression === c) return true;
  if (ts.isElementAccessExpression(p) && p.expression === c) return false;
  return false;
}

const SQL_CLIENT_LIB: Partial<Record<SqlClient, Library>> = {
  pg: 'pg',
  postgres: 'postgres',
  slonik: 'slonik',
  kysely: 'kysely',
  drizzle: 'drizzle',
  prisma: 'prisma',
  typeorm: 'typeorm',
  sequelize: 'sequelize',
  knex: 'knex',
  unknown: 'pg',
};

/** Does the parsed SQL take a whole collection at once (`= ANY($1)`, `IN ($1)` on an array, `unnest($1)`)? */
export function sqlIsBatched(site: SqlSite): boolean {
  return sqlCollectionParams(site).batched;
}

/**
 * Which parameters of the SQL carry a whole collection (`= ANY($n)`, `IN ($n)`
 * expanded by the driver, `unnest($n)`), and which others appear at all.
 */
export function sqlCollectionParams(site: SqlSite): { batched: boolean; collection: Set<number>; all: Set<number> } {
  let batched = false;
  const collection = new Set<number>();
  const all = new Set<number>();
  const paramsIn = (n: unknown): number[] => {
    const out: number[] = [];
    walk(n, (t, b) => {
      if (t === 'ParamRef') out.push(Number(b.number ?? 0));
    });
    return out;
  };
  for (const st of site.parsed?.statements ?? []) {
    walk(st.node, (type, body) => {
      if (type === 'ParamRef') all.add(Number(body.number ?? 0));
      if (type === 'A_Expr') {
        const kind = String(body.kind ?? '');
        if (kind === 'AEXPR_OP_ANY' || kind === 'AEXPR_OP_ALL') {
          const ps = paramsIn(body.rexpr);
          if (ps.length) batched = true;
          for (const p of ps) collection.add(p);
        }
        // `IN ($1)` with a single parameter: the driver expands an array (postgres.js `${sql(ids)}`, slonik lists).
        if (kind === 'AEXPR_IN') {
          const items = unwrap(body.rexpr)?.type === 'List' ? body.rexpr.List.items : Array.isArray(body.rexpr) ? body.rexpr : [];
          if (items.length === 1 && unwrap(items[0])?.type === 'ParamRef') {
            batched = true;
            collection.add(Number(items[0].ParamRef.number ?? 0));
          }
        }
      }
      if (type === 'FuncCall') {
        const fn = nameList(body.funcname).pop();
        if (fn === 'unnest') {
          for (const a of body.args ?? []) {
            if (unwrap(a)?.type === 'ParamRef') {
              batched = true;
              collection.add(Number(a.ParamRef.number ?? 0));
            }
          }
        }
      }
      return undefined;
    });
  }
  // A multi-row VALUES list built from the collection (postgres.js `${sql(rows)}`) is one statement too.
  if (!batched && site.client === 'postgres' && /\bvalues\s*\$\d+\s*(?:returning|on\s+conflict|$)/i.test(site.sql)) batched = true;
  return { batched, collection, all };
}

/** The innermost call expression spanning exactly `r`. */
function callAt(sf: ts.SourceFile, r: Range): ts.CallExpression | undefined {
  let found: ts.CallExpression | undefined;
  const visit = (n: ts.Node): void => {
    if (found || n.end < r.start || n.pos > r.end) return;
    if (ts.isCallExpression(n) && n.getStart(sf) === r.start && n.end === r.end) found = n;
    else ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/**
 * The texts bound to each parameter of a raw-SQL call: a template's
 * interpolations (`SqlSite.params`), or the values array of
 * `query(text, [a, b])`.
 */
function paramTexts(site: SqlSite, call: ts.CallExpression | undefined): string[] | undefined {
  if (site.params?.length) return site.params;
  const values = call?.arguments[1];
  if (values && ts.isArrayLiteralExpression(values)) return values.elements.map((e) => e.getText());
  return undefined;
}

/**
 * A collection parameter makes a query batched only if the element of the
 * loop around it is not also bound to a scalar parameter: in
 * `ids.map((id) => query('… WHERE a = $1 AND b = ANY($2)', [id, bs]))` the
 * `= ANY($2)` batches `bs`, but the query still runs once per `id`.
 */
function elementBoundToScalar(site: SqlSite, sf: ts.SourceFile | undefined, info: { collection: Set<number>; all: Set<number> }): boolean {
  if (!sf || !site.callRange) return false;
  const call = callAt(sf, site.callRange);
  if (!call) return false;
  const texts = paramTexts(site, call);
  if (!texts) return false;
  const elements = enclosingIterations(call)
    .map((s) => s.element)
    .filter((e): e is string => !!e);
  if (!elements.length) return false;
  for (const n of info.all) {
    if (info.collection.has(n)) continue;
    const t = texts[n - 1];
    if (t && elements.some((e) => new RegExp(`(^|[^\\w$.])${e.replace(/[$]/g, '\\$')}\\b`).test(t))) return true;
  }
  return false;
}

function sqlTable(site: SqlSite): { table?: string; kind: QuerySite['kind']; limit?: number } {
  const st = site.parsed?.statements[0];
  if (!st) return { kind: 'unknown' };
  const kind: QuerySite['kind'] = st.type === 'SelectStmt' ? 'read' : /^(Insert|Update|Delete|Merge)Stmt$/.test(st.type) ? 'write' : 'unknown';
  let table: string | undefined;
  const body = st.node[st.type];
  // INSERT/UPDATE/DELETE carry their target as a bare RangeVar body (no `{ RangeVar: … }` wrapper).
  if (body?.relation) table = body.relation.RangeVar?.relname ?? body.relation.relname;
  if (!table) {
    walk(body?.fromClause ?? [], (type, b) => {
      if (table) return false;
      if (type === 'RangeVar') table = b.relname;
      return undefined;
    });
  }
  let limit: number | undefined;
  const lc = body?.limitCount?.A_Const;
  if (lc?.ival) limit = lc.ival.ival;
  return { table, kind, limit };
}

function rawSites(project: ProjectServices, path: string): QuerySite[] {
  let sites: SqlSite[] = [];
  try {
    sites = project.sqlSites(path);
  } catch {
    return [];
  }
  const out: QuerySite[] = [];
  for (const s of sites) {
    if (!s.callRange) continue;
    const lib = SQL_CLIENT_LIB[s.client];
    if (!lib) continue;
    const t = sqlTable(s);
    const tinfo = t.table ? findTable(project.schema(), t.table) : undefined;
    out.push({
      file: path,
      range: s.callRange,
      library: lib,
      operation: 'query',
      executes: true,
      kind: t.kind,
      table: tinfo?.name ?? t.table,
      filters: [],
      orderBy: [],
      limit: t.limit,
      batched: (() => {
        const info = sqlCollectionParams(s);
        return info.batched && !elementBoundToScalar(s, project.tsAst(path), info);
      })(),
      sql: s,
    });
  }
  return out;
}

/** Per-node lookup of the QuerySite a call expression produced (for the call graph and rules). */
export interface QuerySiteIndex {
  sites: QuerySite[];
}

/** Every query-running (or query-building) call in a TypeScript file, raw SQL calls included. */
export function fileQuerySites(project: ProjectServices, path: string): QuerySite[] {
  const sf = project.tsAst(path);
  if (!sf) return [];
  const out: QuerySite[] = rawSites(project, path);
  const rawStarts = new Set(out.map((s) => `${s.range.start}:${s.range.end}`));
  let prov: ReturnType<typeof fileProvenance> | undefined;
  try {
    prov = fileProvenance(project, path, sf.text, sf);
  } catch {
    prov = undefined;
  }
  if (!prov) return out;
  const resolve = (e: ts.Expression): Binding | undefined => {
    try {
      return prov!.resolve(e);
    } catch {
      return undefined;
    }
  };
  const value = (e: ts.Expression): Value | undefined => {
    try {
      return prov!.value(e);
    } catch {
      return undefined;
    }
  };
  const visit = (n: ts.Node): void => {
    if ((ts.isCallExpression(n) || ts.isPropertyAccessExpression(n)) && !isChainInner(n)) {
      const site = siteFor(project, path, n, resolve, value);
      if (site && !rawStarts.has(`${site.range.start}:${site.range.end}`)) out.push(site);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  out.sort((a, b) => a.range.start - b.range.start);
  return out;
}

/**
 * Whether a chain's longer prefixes can have a value when its root has none. Provenance evaluates
 * `a.b`, `a.b(x)` and `a(x)` through the value of `a`, so an unknown root makes every prefix unknown;
 * the exceptions are roots provenance reads without a value of their own: `this.x` and `require('m')`.
 */
function rootGatesChain(root: ts.Expression): boolean {
  if (root.kind === ts.SyntaxKind.ThisKeyword) return false;
  if (ts.isIdentifier(root) && root.text === 'require') return false;
  return true;
}

function siteFor(
  project: ProjectServices,
  path: string,
  outer: ts.Expression,
  resolve: (e: ts.Expression) => Binding | undefined,
  value: (e: ts.Expression) => Value | undefined,
): QuerySite | undefined {
  const chain = decomposeChain(outer);
  if (!chain.steps.some((s) => s.call)) return undefined;
  if (chain.steps.length > 60) return undefined;
  const longest = Math.min(chain.steps.length - 1, MAX_BINDING_PREFIX);
  // Several prefixes to try, each a fresh resolution from the root up: an unknown root (`console`,
  // `arr`, a parameter of no known type) means no prefix binds, and a root that is known but not a
  // binding (a function, a plain object, a module namespace) needs no resolution of its own.
  let rootMayBind = true;
  if (longest >= 1 && rootGatesChain(chain.root)) {
    const rv = value(chain.root);
    if (rv === undefined) return undefined;
    rootMayBind = rv.kind === 'instance' || rv.kind === 'pkg' || rv.kind === 'class';
  }
  // The longest prefix that resolves to a database binding.
  // Database chains bind within their first few links (`prisma.user`, `this.repo`,
  // `ds.getRepository(User)`, `db.query.users`); resolving only those keeps long
  // fluent chains of other libraries (ts-pattern `match().with()…`, 40 links) cheap.
  for (let i = longest; i >= 0; i--) {
    if (i === 0 && !rootMayBind) continue;
    const b = resolve(prefix(chain, i));
    if (!b) continue;
    const part = interpret(chain, i, b, outer);
    // A builder bound mid-chain may not say enough (`db.select()`): try the shorter prefix.
    if (!part) continue;
    let tableName = part.tableName;
    let table: TableInfo | undefined;
    if (part.entity && !tableName) {
      const t = tableForEntity(project, path, part.library, part.entity);
      table = t.table;
      tableName = t.name;
    } else if (tableName) {
      table = findTable(project.schema(), tableName);
    }
    // Drizzle keys, TypeORM `@Column({ name })`, Sequelize `field:` → database column names.
    const colMap = part.entity && !part.tableName ? findEntityDecl(project, path, part.entity)?.columns : undefined;
    if (colMap?.size) {
      const mapCol = (c: ColumnUse): ColumnUse => ({ ...c, column: colMap.get(c.column) ?? c.column });
      part.filters = part.filters.map(mapCol);
      part.orderBy = part.orderBy.map(mapCol);
      if (Array.isArray(part.selects)) part.selects = part.selects.map((c) => colMap.get(c) ?? c);
    }
    return {
      file: path,
      range: rangeOf(part.node),
      library: part.library,
      operation: part.operation,
      executes: part.executes,
      kind: part.kind,
      table: table?.name ?? tableName,
      entity: part.entity && part.entity !== (table?.name ?? tableName) ? part.entity : undefined,
      selects: part.selects,
      filters: part.filters,
      orderBy: part.orderBy,
      limit: part.limit,
      batched: part.batched,
      prismaBatchable: part.prismaBatchable,
    };
  }
  // Knex's `knex('users')` root: the root identifier is called directly.
  return undefined;
}
