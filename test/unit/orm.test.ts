import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultConfig } from '../../engine/config';
import { Project } from '../../engine/project';
import { fileQuerySites } from '../../engine/sources/orm';
import type { QuerySite } from '../../engine/sources/query-sites';
import { initParser } from '../../engine/sql/parser';
import { bigHelperFile, fluentChain, helperCycle } from '../pathological';

const FIX = path.join(__dirname, '..', '..', 'fixtures', 'n-plus-one');

function project(files: Record<string, string>, config = defaultConfig()): Project {
  const p = new Project(config);
  for (const [k, v] of Object.entries(files)) p.setFile(k, v);
  return p;
}

/** Sites of `file`, each with the text of its range. */
function sites(p: Project, file: string): (QuerySite & { text: string })[] {
  const text = p.fileText(file)!;
  return fileQuerySites(p, file).map((s) => ({ ...s, text: text.slice(s.range.start, s.range.end) }));
}

const one = (list: (QuerySite & { text: string })[], needle: string) => {
  const hits = list.filter((s) => s.text.includes(needle));
  assert.equal(hits.length, 1, `expected one site containing ${needle}, got ${hits.map((h) => h.text).join(' | ') || 'none'}`);
  return hits[0];
};

describe('ORM query sites', () => {
  before(() => initParser());

  it('Prisma: delegates, fluent relation reads, select/take/orderBy, in-batching, the findUnique dataloader flag, @@map', () => {
    const p = project({
      'prisma/schema.prisma': fs.readFileSync(path.join(FIX, 'schema.prisma'), 'utf8'),
      'a.ts': `import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();
export async function f(ids: number[]) {
  await prisma.user.findUnique({ where: { id: 1 } });
  await prisma.order.findMany({ where: { userId: { in: ids } }, select: { id: true, total: true }, take: 5, orderBy: { createdAt: 'desc' } });
  await prisma.user.findUnique({ where: { id: 2 } }).orders();
  await prisma.auditLog.createMany({ data: [] });
  await prisma.$transaction(async (tx) => tx.order.update({ where: { id: 1 }, data: { status: 'x' } }));
}`,
    });
    const s = sites(p, 'a.ts');
    const fu = one(s, 'id: 1 } })');
    assert.deepEqual([fu.library, fu.operation, fu.table, fu.executes, fu.batchesSameTick, fu.limit, fu.batched], ['prisma', 'findUnique', 'users', true, true, 1, false]);
    const fm = one(s, 'findMany');
    assert.deepEqual(fm.selects, ['id', 'total']);
    assert.equal(fm.limit, 5);
    assert.equal(fm.batched, true);
    assert.equal(fm.table, 'orders');
    assert.deepEqual(fm.orderBy.map((o) => o.column), ['createdAt']);
    const fl = one(s, '.orders()');
    assert.equal(fl.operation, 'findUnique().orders');
    assert.equal(fl.batchesSameTick, true);
    assert.equal(one(s, 'createMany').batched, true);
    const tx = one(s, 'tx.order.update');
    assert.deepEqual([tx.kind, tx.table], ['write', 'orders']);
  });

  it('TypeORM: repository methods, EntityManager with an entity argument, QueryBuilder runs only at getMany/getOne, In(), @Entity names', () => {
    const p = project({
      'user.entity.ts': `import { Entity } from 'typeorm';\n@Entity('app_users')\nexport class User {}\n@Entity()\nexport class OrderLine {}\n`,
      'a.ts': `import { DataSource, In } from 'typeorm';
import { User, OrderLine } from './user.entity';
const ds = new DataSource({ type: 'postgres' });
export async function f(ids: number[]) {
  const repo = ds.getRepository(User);
  await repo.find({ where: { id: In(ids) }, take: 10 });
  await ds.manager.findOne(OrderLine, { where: { sku: 'x' } });
  const qb = repo.createQueryBuilder('u').where('u.email = :e', { e: 'x' });
  await repo.createQueryBuilder('u').where('u.email = :e', { e: 'x' }).orderBy('u.created_at').getMany();
}`,
    });
    const s = sites(p, 'a.ts');
    const find = one(s, 'repo.find(');
    assert.deepEqual([find.library, find.table, find.batched, find.limit], ['typeorm', 'app_users', true, 10]);
    const mgr = one(s, 'findOne(OrderLine');
    assert.equal(mgr.table, 'order_line');
    assert.deepEqual(mgr.filters.map((f) => f.column), ['sku']);
    const qb = one(s, 'getMany');
    assert.equal(qb.executes, true);
    assert.deepEqual(qb.filters.map((f) => [f.column, f.op]), [['email', 'eq']]);
    assert.deepEqual(qb.orderBy.map((f) => f.column), ['created_at']);
    // The builder assigned to `qb` without a terminal call runs nothing.
    assert.equal(s.filter((x) => x.text.startsWith('repo.createQueryBuilder')).length, 1);
  });

  it('Sequelize: model statics with tableName, attributes, Op.in, bulkCreate', () => {
    const p = project({
      'a.ts': `import { Model, Op, Sequelize } from 'sequelize';
const sequelize = new Sequelize('x');
class Order extends Model {}
Order.init({}, { sequelize, tableName: 'orders' });
export async function f(ids: number[]) {
  await Order.findAll({ where: { id: { [Op.in]: ids } }, attributes: ['id'], limit: 3 });
  await Order.findByPk(1);
  await Order.bulkCreate([]);
}`,
    });
    const s = sites(p, 'a.ts');
    const fa = one(s, 'findAll');
    assert.deepEqual([fa.library, fa.table, fa.batched, fa.limit], ['sequelize', 'orders', true, 3]);
    assert.deepEqual(fa.selects, ['id']);
    assert.deepEqual(one(s, 'findByPk').filters.map((f) => f.column), ['id']);
    assert.equal(one(s, 'bulkCreate').batched, true);
  });

  it('Knex: builders execute when awaited; whereIn batches; first() limits', () => {
    const p = project({
      'a.ts': `import knex from 'knex';
const db = knex({ client: 'pg' });
export async function f(ids: number[]) {
  await db('orders').where({ user_id: 1 }).first();
  await db('orders as o').whereIn('o.id', ids).select('id', 'total');
  const pending = db('users').where('id', 1);
  const held = db('items').where('id', 2);
  await held;
  return pending.toQuery();
}`,
    });
    const s = sites(p, 'a.ts');
    const first = one(s, 'first()');
    assert.deepEqual([first.table, first.limit, first.executes], ['orders', 1, true]);
    const wi = one(s, 'whereIn');
    assert.deepEqual([wi.table, wi.batched], ['orders', true]);
    assert.deepEqual(wi.selects, ['id', 'total']);
    assert.equal(one(s, "db('users')").executes, false);
    // A builder held in a variable runs where the variable is awaited (an async function returning it would run it too).
    assert.equal(one(s, "db('items')").executes, true);
  });

  it('Drizzle: select().from(t) on await, db.query.<t>.findMany, inArray, pgTable names and column keys', () => {
    const p = project({
      'schema.ts': `import { pgTable, text, bigserial } from 'drizzle-orm/pg-core';\nexport const users = pgTable('app_users', { id: bigserial('id'), fullName: text('full_name') });\n`,
      'db.ts': `import { drizzle } from 'drizzle-orm/node-postgres';\nimport * as schema from './schema';\nexport const db = drizzle(process.env.X!, { schema });\nexport * from './schema';\n`,
      'a.ts': `import { eq, inArray } from 'drizzle-orm';
import { db, users } from './db';
export async function f(ids: number[]) {
  await db.select().from(users).where(eq(users.fullName, 'x'));
  await db.query.users.findMany({ where: inArray(users.id, ids), limit: 7 });
  const built = db.select().from(users);
}`,
    });
    const s = sites(p, 'a.ts');
    const sel = one(s, 'eq(users.fullName');
    assert.deepEqual([sel.library, sel.table, sel.executes, sel.selects], ['drizzle', 'app_users', true, '*']);
    assert.deepEqual(sel.filters.map((f) => f.column), ['full_name']);
    const q = one(s, 'findMany');
    assert.deepEqual([q.table, q.batched, q.limit], ['app_users', true, 7]);
    assert.equal(s.filter((x) => x.executes && x.text === 'db.select().from(users)').length, 0);
  });

  it('Kysely: runs only at execute*, where in batches', () => {
    const p = project({
      'a.ts': `import { Kysely } from 'kysely';
const db = new Kysely<any>({} as any);
export async function f(ids: number[]) {
  await db.selectFrom('users').selectAll().where('id', 'in', ids).execute();
  await db.selectFrom('users').select(['email']).where('id', '=', 1).executeTakeFirstOrThrow();
  const b = db.selectFrom('orders').selectAll();
}`,
    });
    const s = sites(p, 'a.ts');
    assert.equal(one(s, "'in', ids").batched, true);
    const t = one(s, 'executeTakeFirstOrThrow');
    assert.deepEqual([t.table, t.limit, t.selects], ['users', 1, ['email']]);
    assert.equal(s.some((x) => x.text.includes("'orders'")), false);
  });

  it('raw SQL calls become sites; = ANY($1) and IN ($1) on an array batch', () => {
    const p = project({
      'a.ts': `import { Pool } from 'pg';
const pool = new Pool();
export async function f(ids: number[]) {
  await pool.query('SELECT * FROM orders WHERE id = ANY($1)', [ids]);
  await pool.query('SELECT * FROM orders WHERE user_id = $1 LIMIT 5', [1]);
}`,
    });
    const s = sites(p, 'a.ts');
    assert.equal(s.length, 2);
    assert.deepEqual([s[0].library, s[0].table, s[0].batched], ['pg', 'orders', true]);
    assert.deepEqual([s[1].batched, s[1].limit, s[1].kind], [false, 5, 'read']);
  });

  it('names never make a client: a Map called db is no query', () => {
    const p = project({ 'a.ts': `const db = new Map();\nconst prisma = { user: { findMany: () => [] } };\nexport function f() { db.get(1); prisma.user.findMany(); }\n` });
    assert.deepEqual(sites(p, 'a.ts'), []);
  });

  it('the chunked-batches fixture has one batched site per library (the not-flagged case is not vacuous)', () => {
    const p = project({
      'chunked.ts': fs.readFileSync(path.join(FIX, 'not-flagged', 'chunked-batches.ts'), 'utf8'),
    });
    const s = sites(p, 'chunked.ts');
    const libs = new Set(s.filter((x) => x.executes).map((x) => x.library));
    assert.deepEqual([...libs].sort(), ['drizzle', 'knex', 'pg', 'prisma', 'sequelize', 'typeorm']);
    // The reads are batched by their filters; the chunk writes are recognised as writes taking the chunk.
    assert.ok(s.filter((x) => x.kind === 'read').every((x) => x.batched));
  });
});

describe('n-plus-one engine behaviour', () => {
  before(() => initParser());

  const loop = `import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();
export async function seed(names: string[]) {
  for (const name of names) await prisma.user.create({ data: { name } });
}
`;

  it('skips test files unless includeTests (or config lintTests) is set', () => {
    const p = project({ 'src/__tests__/users.test.ts': loop, 'src/users.ts': loop });
    assert.equal(p.analyze('src/users.ts', ['n-plus-one']).findings.length, 1);
    assert.equal(p.analyze('src/__tests__/users.test.ts', ['n-plus-one']).findings.length, 0);
    const cfg = defaultConfig();
    cfg.rules['n-plus-one'] = { severity: 'warning', options: { includeTests: true } };
    const p2 = project({ 'src/__tests__/users.test.ts': loop }, cfg);
    assert.equal(p2.analyze('src/__tests__/users.test.ts', ['n-plus-one']).findings.length, 1);
    const cfg3 = defaultConfig();
    cfg3.lintTests = true;
    assert.equal(project({ 'src/__tests__/users.test.ts': loop }, cfg3).analyze('src/__tests__/users.test.ts', ['n-plus-one']).findings.length, 1);
  });

  it('reports seed scripts as info (one-off code, with the reason), at full severity when includeOneOffScripts is set', () => {
    const seed = project({ 'prisma/seed.ts': loop }).analyze('prisma/seed.ts', ['n-plus-one']).findings;
    assert.equal(seed.length, 1);
    assert.equal(seed[0].severity, 'info');
    assert.equal(seed[0].runsIn?.kind, 'one-off');
    assert.match(seed[0].severityReason ?? '', /one-off code .*runs by hand, not per request/);
    const cfg = defaultConfig();
    cfg.rules['n-plus-one'] = { severity: 'warning', options: { includeOneOffScripts: true } };
    const full = project({ 'prisma/seed.ts': loop }, cfg).analyze('prisma/seed.ts', ['n-plus-one']).findings;
    assert.equal(full.length, 1);
    assert.equal(full[0].severity, 'warning');
  });

  it('the same-tick findUnique case is flagged once the query is findFirst (the not-flagged case is not vacuous)', () => {
    const text = fs.readFileSync(path.join(FIX, 'not-flagged', 'prisma-find-unique-same-tick.ts'), 'utf8');
    const p = project({ 'a.ts': text.replace(/findUnique/g, 'findFirst') });
    assert.equal(p.analyze('a.ts', ['n-plus-one']).findings.length, 3);
  });

  // How long these take is load-dependent: scripts/bench-bounds.ts (npm run bench) times them.
  it('a 60-link fluent chain of another library (ts-pattern match().with()…) completes with its one finding', function () {
    this.timeout(30000);
    const r = project({ 'chain.ts': fluentChain() }).analyze('chain.ts', ['n-plus-one']);
    assert.equal(r.findings.length, 1);
  });

  it('a 5 MB generated file and a 300-function helper cycle neither crash nor stall', function () {
    this.timeout(60000);
    const p = project({ 'cycle.ts': helperCycle() });
    const r = p.analyze('cycle.ts', ['n-plus-one']);
    assert.equal(r.findings.length, 0);
    // A big generated file: 1.5 MB (under the 2 MB skip limit) of helpers with queries is analysed;
    // a 5 MB one is skipped with a problem.
    const big = bigHelperFile();
    const p2 = project({ 'big.ts': big, 'huge.ts': big + big + big + big });
    const rb = p2.analyze('big.ts', ['n-plus-one']);
    assert.equal(rb.findings.length, 1);
    const rh = p2.analyze('huge.ts', ['n-plus-one']);
    assert.equal(rh.findings.length, 0);
    assert.ok(rh.problems.some((x) => x.kind === 'skipped-file'));
  });
});
