import assert from 'node:assert/strict';
import * as ts from 'typescript';
import { memoryProject } from './memory-project';
import { fileProvenance, resolveModulePath } from '../../engine/sources/provenance';
import type { Binding } from '../../engine/sources/query-sites';
import { tsSourceFile } from '../../engine/sources/ts-ast';

const project = memoryProject;

/**
 * Resolves the expression marked with `/*@*\/` right before it (the marker
 * precedes the expression's first token) in `main`.
 */
function at(files: Record<string, string>, main = 'src/main.ts', marker = '/*@*/'): Binding | undefined {
  const p = project(files);
  const text = files[main];
  const pos = text.indexOf(marker);
  assert.ok(pos >= 0, 'marker missing');
  const target = pos + marker.length;
  const sf = tsSourceFile(main, text);
  // The outermost expression starting at the marker.
  let found: ts.Expression | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (n.getStart(sf) === target && ts.isExpression(n) && !ts.isPropertyAccessExpression(n.parent)) {
      found = n;
      return;
    }
    if (n.pos <= target && target < n.end) ts.forEachChild(n, visit);
  };
  visit(sf);
  assert.ok(found, 'no expression at marker');
  // Prefer the widest expression starting at the marker (a call, not its callee).
  let e: ts.Expression = found;
  while (e.parent && ts.isExpression(e.parent) && e.parent.getStart(sf) === target && !ts.isExpressionStatement(e.parent))
    e = e.parent as ts.Expression;
  return fileProvenance(p, main).resolve(e);
}

function expect(b: Binding | undefined, library: string, role: string, entity?: string): void {
  assert.ok(b, `expected ${library} ${role}, got nothing`);
  assert.equal(b.library, library);
  assert.equal(b.role, role);
  if (entity !== undefined) assert.equal(b.entity, entity);
}

describe('sources/provenance', () => {
  describe('package imports, constructors and factories', () => {
    it('pg: new Pool(), new pg.Client(), pool.connect()', () => {
      expect(at({ 'src/main.ts': `import { Pool } from 'pg';\nconst pool = new Pool();\n/*@*/pool;` }), 'pg', 'client');
      expect(at({ 'src/main.ts': `import pg from 'pg';\nconst c = new pg.Client();\n/*@*/c;` }), 'pg', 'client');
      expect(at({ 'src/main.ts': `import * as pg from 'pg';\nconst p = new pg.Pool();\nasync function f() { const c = await p.connect(); /*@*/c; }` }), 'pg', 'client');
      expect(at({ 'src/main.ts': `import Pool from 'pg-pool';\nconst p = new Pool();\n/*@*/p;` }), 'pg', 'client');
      expect(at({ 'src/main.ts': `const { Pool } = require('pg');\nconst p = new Pool();\n/*@*/p;` }), 'pg', 'client');
    });

    it('does not go by names: a local class called Pool is nothing', () => {
      assert.equal(at({ 'src/main.ts': `class Pool { query(s: string) {} }\nconst pool = new Pool();\n/*@*/pool;` }), undefined);
      assert.equal(at({ 'src/main.ts': `import { Pool } from './my-pool';\nconst pool = new Pool();\n/*@*/pool;`, 'src/my-pool.ts': 'export class Pool {}' }), undefined);
      assert.equal(at({ 'src/main.ts': `declare const prisma: any;\n/*@*/prisma;` }), undefined);
    });

    it('postgres.js, slonik, kysely, drizzle, knex, sequelize, typeorm', () => {
      expect(at({ 'src/main.ts': `import postgres from 'postgres';\nconst sql = postgres(process.env.URL!);\n/*@*/sql;` }), 'postgres', 'sql-tag');
      expect(at({ 'src/main.ts': `import { createPool, sql } from 'slonik';\nconst pool = await createPool('x');\n/*@*/pool;` }), 'slonik', 'client');
      expect(at({ 'src/main.ts': `import { createPool, sql } from 'slonik';\n/*@*/sql;` }), 'slonik', 'sql-tag');
      expect(at({ 'src/main.ts': `import { Kysely, PostgresDialect } from 'kysely';\nconst db = new Kysely<DB>({ dialect });\n/*@*/db;` }), 'kysely', 'client');
      expect(at({ 'src/main.ts': `import { sql } from 'kysely';\n/*@*/sql;` }), 'kysely', 'sql-tag');
      expect(at({ 'src/main.ts': `import { drizzle } from 'drizzle-orm/node-postgres';\nconst db = drizzle(pool);\n/*@*/db;` }), 'drizzle', 'client');
      expect(at({ 'src/main.ts': `import { sql } from 'drizzle-orm';\n/*@*/sql;` }), 'drizzle', 'sql-tag');
      expect(at({ 'src/main.ts': `import { inArray } from 'drizzle-orm';\n/*@*/inArray;` }), 'drizzle', 'operator');
      expect(at({ 'src/main.ts': `import { pgTable, serial } from 'drizzle-orm/pg-core';\nexport const users = pgTable('users', { id: serial('id') });\n/*@*/users;` }), 'drizzle', 'table', 'users');
      expect(at({ 'src/main.ts': `import knex from 'knex';\nconst db = knex({ client: 'pg' });\n/*@*/db;` }), 'knex', 'client');
      expect(at({ 'src/main.ts': `import knex from 'knex';\nconst db = knex({ client: 'pg' });\n/*@*/db('users');` }), 'knex', 'query-builder', 'users');
      expect(at({ 'src/main.ts': `import { Sequelize } from 'sequelize';\nconst s = new Sequelize('x');\n/*@*/s;` }), 'sequelize', 'client');
      expect(at({ 'src/main.ts': `import { Sequelize } from 'sequelize';\nconst s = new Sequelize('x');\nconst User = s.define('User', {});\n/*@*/User;` }), 'sequelize', 'repository', 'User');
      expect(at({ 'src/main.ts': `import { Model } from 'sequelize';\nclass User extends Model {}\n/*@*/User;` }), 'sequelize', 'repository', 'User');
      expect(at({ 'src/main.ts': `import { Op } from 'sequelize';\n/*@*/Op;` }), 'sequelize', 'operator');
      expect(at({ 'src/main.ts': `import { DataSource } from 'typeorm';\nconst ds = new DataSource({});\n/*@*/ds;` }), 'typeorm', 'client');
      expect(at({ 'src/main.ts': `import { DataSource } from 'typeorm';\nconst ds = new DataSource({});\n/*@*/ds.getRepository(User);` }), 'typeorm', 'repository', 'User');
      expect(at({ 'src/main.ts': `import { DataSource } from 'typeorm';\nconst ds = new DataSource({});\n/*@*/ds.manager;` }), 'typeorm', 'repository');
      expect(at({ 'src/main.ts': `import { DataSource } from 'typeorm';\nconst ds = new DataSource({});\nconst qr = ds.createQueryRunner();\n/*@*/qr;` }), 'typeorm', 'client');
      expect(at({ 'src/main.ts': `import { In } from 'typeorm';\n/*@*/In;` }), 'typeorm', 'operator');
    });

    it('prisma: client, model delegates, Prisma.sql, generated client paths', () => {
      expect(at({ 'src/main.ts': `import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n/*@*/prisma;` }), 'prisma', 'client');
      expect(at({ 'src/main.ts': `import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n/*@*/prisma.user;` }), 'prisma', 'repository', 'user');
      assert.equal(at({ 'src/main.ts': `import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n/*@*/prisma.$queryRaw;` }), undefined);
      expect(at({ 'src/main.ts': `import { Prisma } from '@prisma/client';\n/*@*/Prisma.sql;` }), 'prisma', 'sql-tag');
      expect(at({ 'src/main.ts': `import { PrismaClient } from '../generated/prisma';\nconst prisma = new PrismaClient();\n/*@*/prisma;` }), 'prisma', 'client');
      expect(at({ 'src/main.ts': `import { PrismaClient } from '.prisma/client';\nconst prisma = new PrismaClient();\n/*@*/prisma;` }), 'prisma', 'client');
      expect(at({ 'src/main.ts': `import { PrismaClient } from '@/generated/prisma/client';\nconst prisma = new PrismaClient().$extends({});\n/*@*/prisma.post;` }), 'prisma', 'repository', 'post');
      // The Next.js singleton idiom.
      expect(
        at({
          'src/main.ts': `import { PrismaClient } from '@prisma/client';\nconst g = globalThis as unknown as { prisma?: PrismaClient };\nexport const prisma = g.prisma ?? new PrismaClient();\n/*@*/prisma;`,
        }),
        'prisma',
        'client',
      );
    });
  });

  describe('transactions and callbacks', () => {
    it('hands the client to transaction callbacks', () => {
      expect(at({ 'src/main.ts': `import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\nprisma.$transaction(async (tx) => { /*@*/tx.user; });` }), 'prisma', 'repository', 'user');
      expect(at({ 'src/main.ts': `import knex from 'knex';\nconst db = knex({});\ndb.transaction(async (trx) => { /*@*/trx; });` }), 'knex', 'client');
      expect(at({ 'src/main.ts': `import { Kysely } from 'kysely';\nconst db = new Kysely<DB>({});\nawait db.transaction().execute(async (trx) => { /*@*/trx; });` }), 'kysely', 'client');
      expect(at({ 'src/main.ts': `import { drizzle } from 'drizzle-orm/postgres-js';\nconst db = drizzle(c);\nawait db.transaction(async (tx) => { /*@*/tx; });` }), 'drizzle', 'client');
      expect(at({ 'src/main.ts': `import { DataSource } from 'typeorm';\nconst ds = new DataSource({});\nawait ds.transaction('SERIALIZABLE', async (m) => { /*@*/m; });` }), 'typeorm', 'repository');
      expect(at({ 'src/main.ts': `import postgres from 'postgres';\nconst sql = postgres();\nawait sql.begin(async (sql) => { /*@*/sql; });` }), 'postgres', 'sql-tag');
      expect(at({ 'src/main.ts': `import { createPool } from 'slonik';\nconst pool = await createPool('');\nawait pool.transaction(async (t) => { /*@*/t; });` }), 'slonik', 'client');
    });

    it('types callback parameters from their context', () => {
      const types = `import type { DatabaseTransactionConnection } from 'slonik';\nimport type { Kysely } from 'kysely';\nexport type AlterationScript = { up: (connection: DatabaseTransactionConnection) => Promise<void>; down(c: DatabaseTransactionConnection): Promise<void> };\nexport type Job = (db: Kysely<any>) => Promise<void>;`;
      const files = { 'src/types/alteration.ts': types };
      // An import of the build output (`outDir: lib`) finds the source under src/.
      expect(
        at({ 'pkg/src/types/alteration.ts': types, 'pkg/alterations/main.ts': `import type { AlterationScript } from '../lib/types/alteration.js';\nconst a: AlterationScript = { up: async (pool) => { /*@*/pool; }, down: async () => {} };` }, 'pkg/alterations/main.ts'),
        'slonik',
        'client',
      );
      expect(at({ ...files, 'src/main.ts': `import type { AlterationScript } from './types/alteration';\nexport default { async down(pool) { /*@*/pool; }, up: async () => {} } satisfies AlterationScript;` }), 'slonik', 'client');
      expect(at({ ...files, 'src/main.ts': `import type { Job } from './types/alteration';\nexport const run: Job = async (db) => { /*@*/db; };` }), 'kysely', 'client');
      assert.equal(at({ ...files, 'src/main.ts': `type Other = { up: (c: string) => void };\nconst a: Other = { up: (pool) => { /*@*/pool; } };` }), undefined);
    });

    it('an arbitrary callback parameter is nothing', () => {
      assert.equal(at({ 'src/main.ts': `[1].forEach(async (tx) => { /*@*/tx; });` }), undefined);
      assert.equal(at({ 'src/main.ts': `import { Pool } from 'pg';\nconst pool = new Pool();\npool.on('error', (err) => { /*@*/err; });` }), undefined);
    });
  });

  describe('declared types', () => {
    it('parameters, variables and properties typed with package types', () => {
      expect(at({ 'src/main.ts': `import type { PoolClient } from 'pg';\nexport async function f(client: PoolClient) { /*@*/client; }` }), 'pg', 'client');
      expect(at({ 'src/main.ts': `import { Kysely } from 'kysely';\nexport function f(db: Kysely<DB>) { /*@*/db; }` }), 'kysely', 'client');
      expect(at({ 'src/main.ts': `import { Prisma } from '@prisma/client';\nexport function f(tx: Prisma.TransactionClient) { /*@*/tx.order; }` }), 'prisma', 'repository', 'order');
      expect(at({ 'src/main.ts': `import { Repository } from 'typeorm';\nexport function f(repo: Repository<User>) { /*@*/repo; }` }), 'typeorm', 'repository', 'User');
      expect(at({ 'src/main.ts': `import { EntityManager } from 'typeorm';\nexport function f(manager: EntityManager) { /*@*/manager; }` }), 'typeorm', 'repository');
      // A type parameter in scope names no entity (grist-core's `_verifyAclPermissions<T extends Resource>(queryBuilder: SelectQueryBuilder<T>)`
      // was reported as a query on `T`); a class of that name is one.
      const generic = at({ 'src/main.ts': `import { SelectQueryBuilder } from 'typeorm';\nexport class S {\n  run<T>(qb: SelectQueryBuilder<T>) { /*@*/qb; }\n}` });
      expect(generic, 'typeorm', 'query-builder');
      assert.equal(generic?.entity, undefined);
      expect(at({ 'src/main.ts': `import { SelectQueryBuilder } from 'typeorm';\nexport function f(qb: SelectQueryBuilder<T>) { /*@*/qb; }` }), 'typeorm', 'query-builder', 'T');
      expect(at({ 'src/main.ts': `import type { Knex } from 'knex';\nexport function f(trx: Knex.Transaction) { /*@*/trx; }` }), 'knex', 'client');
      expect(at({ 'src/main.ts': `import type { Sql } from 'postgres';\nexport function f(sql: Sql) { /*@*/sql; }` }), 'postgres', 'sql-tag');
      expect(at({ 'src/main.ts': `import { Pool } from 'pg';\ntype Db = Pool | undefined;\nexport function f(db: Db) { /*@*/db; }` }), 'pg', 'client');
      expect(at({ 'src/main.ts': `import { Pool } from 'pg';\nexport function f({ db }: { db: Pool }) { /*@*/db; }` }), 'pg', 'client');
      assert.equal(at({ 'src/main.ts': `export function f(client: PoolClient) { /*@*/client; }` }), undefined);
    });

    it('NestJS constructor injection and this.x fields', () => {
      const files = {
        'src/prisma.service.ts': `import { Injectable } from '@nestjs/common';\nimport { PrismaClient } from '@prisma/client';\n@Injectable()\nexport class PrismaService extends PrismaClient {}`,
        'src/main.ts': `import { PrismaService } from './prisma.service';\nexport class UsersService {\n  constructor(private readonly prisma: PrismaService) {}\n  find() { return /*@*/this.prisma.user.findMany(); }\n}`,
      };
      expect(at({ ...files, 'src/main.ts': files['src/main.ts'].replace('/*@*/this.prisma.user.findMany()', '/*@*/this.prisma') }), 'prisma', 'client');
      expect(at({ ...files, 'src/main.ts': files['src/main.ts'].replace('/*@*/this.prisma.user.findMany()', '/*@*/this.prisma.user') }), 'prisma', 'repository', 'user');
      expect(
        at({
          'src/main.ts': `import { InjectRepository } from '@nestjs/typeorm';\nimport { Repository } from 'typeorm';\nexport class S {\n  constructor(@InjectRepository(User) private repo: Repository<User>) {}\n  f() { /*@*/this.repo; }\n}`,
        }),
        'typeorm',
        'repository',
        'User',
      );
      expect(
        at({
          'src/main.ts': `import { InjectRepository } from '@nestjs/typeorm';\nexport class S {\n  constructor(@InjectRepository(Order) private readonly orders) {}\n  f() { /*@*/this.orders; }\n}`,
        }),
        'typeorm',
        'repository',
        'Order',
      );
      expect(
        at({
          'src/main.ts': `import { Pool } from 'pg';\nexport class Repo {\n  private pool: any;\n  constructor() { this.pool = new Pool(); }\n  f() { /*@*/this.pool; }\n}`,
        }),
        'pg',
        'client',
      );
      expect(at({ 'src/main.ts': `import { Pool } from 'pg';\nclass Repo {\n  private readonly pool = new Pool();\n  f = () => /*@*/this.pool;\n}` }), 'pg', 'client');
    });
  });

  describe('across files', () => {
    it('follows exports, default exports, re-exports and export *', () => {
      const db = `import { Pool } from 'pg';\nexport const db = new Pool();\nconst prismaLike = db;\nexport default prismaLike;`;
      expect(at({ 'src/db.ts': db, 'src/main.ts': `import { db } from './db';\n/*@*/db;` }), 'pg', 'client');
      expect(at({ 'src/db.ts': db, 'src/main.ts': `import pool from './db.js';\n/*@*/pool;` }), 'pg', 'client');
      expect(at({ 'src/db/index.ts': db, 'src/main.ts': `import { db } from './db';\n/*@*/db;` }), 'pg', 'client');
      expect(
        at({
          'src/client.ts': `import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();`,
          'src/lib/index.ts': `export { prisma } from '../client';`,
          'src/main.ts': `import { prisma } from './lib';\n/*@*/prisma.user;`,
        }),
        'prisma',
        'repository',
        'user',
      );
      expect(
        at({
          'src/client.ts': `import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\nexport default prisma;`,
          'src/lib/index.ts': `export * from './other';\nexport { default as prisma } from '../client';`,
          'src/lib/other.ts': `export const x = 1;`,
          'src/main.ts': `import { prisma } from './lib';\n/*@*/prisma;`,
        }),
        'prisma',
        'client',
      );
      expect(
        at({
          'src/a.ts': `export * from './b';`,
          'src/b.ts': `import postgres from 'postgres';\nexport const sql = postgres();`,
          'src/main.ts': `import * as dbm from './a';\n/*@*/dbm.sql;`,
        }),
        'postgres',
        'sql-tag',
      );
      expect(
        at({
          'src/db.ts': `import { Pool } from 'pg';\nconst pool = new Pool();\nexport function getDb() { return pool; }`,
          'src/main.ts': `import { getDb } from './db';\n/*@*/getDb();`,
        }),
        'pg',
        'client',
      );
    });

    it('follows exported type aliases and monorepo workspace packages', () => {
      expect(
        at({
          'src/db/db.ts': `import type { Knex } from 'knex';\nexport type Db = Knex | Knex.Transaction;`,
          'src/main.ts': `import type { Db } from './db/db.js';\nexport class Store {\n  private db: Db;\n  constructor(db: Db) { this.db = db; }\n  f() { return /*@*/this.db; }\n}`,
        }),
        'knex',
        'client',
      );
      const ws = {
        'packages/prisma/package.json': JSON.stringify({ name: '@acme/prisma', main: './index.ts' }),
        'packages/prisma/index.ts': `import { PrismaClient } from '@prisma/client';\nimport { remember } from './remember';\nexport const prisma = remember('prisma', () => new PrismaClient());\nexport { sql } from 'kysely';`,
        'packages/prisma/remember.ts': `export function remember<T>(name: string, getValue: () => T): T { return (globalThis as any)[name] ??= getValue(); }`,
        'packages/db/package.json': JSON.stringify({ name: '@acme/db', exports: { './client': { types: './dist/client.d.ts', default: './dist/client.js' } } }),
        'packages/db/src/client.ts': `import { Pool } from 'pg';\nexport const pool = new Pool();`,
      };
      expect(at({ ...ws, 'apps/web/src/main.ts': `import { prisma } from '@acme/prisma';\n/*@*/prisma.user;` }, 'apps/web/src/main.ts'), 'prisma', 'repository', 'user');
      expect(at({ ...ws, 'apps/web/src/main.ts': `import { sql } from '@acme/prisma';\n/*@*/sql;` }, 'apps/web/src/main.ts'), 'kysely', 'sql-tag');
      expect(at({ ...ws, 'apps/web/src/main.ts': `import { pool } from '@acme/db/client';\n/*@*/pool;` }, 'apps/web/src/main.ts'), 'pg', 'client');
      // A package of another name in that folder is not it.
      assert.equal(at({ ...ws, 'apps/web/src/main.ts': `import { pool } from '@other/db/client';\n/*@*/pool;` }, 'apps/web/src/main.ts'), undefined);
    });

    it('resolves tsconfig paths and @/ aliases', () => {
      const files = {
        'tsconfig.json': `{ // comment\n "compilerOptions": { "baseUrl": ".", "paths": { "#db/*": ["src/db/*"] } } }`,
        'src/db/client.ts': `import { Pool } from 'pg';\nexport const pool = new Pool();`,
        'src/features/users/main.ts': `import { pool } from '#db/client';\nimport { pool as p2 } from '@/db/client';\n/*@*/pool; /*#*/p2;`,
      };
      expect(at(files, 'src/features/users/main.ts'), 'pg', 'client');
      expect(at(files, 'src/features/users/main.ts', '/*#*/'), 'pg', 'client');
      const p = project(files);
      assert.equal(resolveModulePath(p, 'src/features/users/main.ts', '../../db/client.js'), 'src/db/client.ts');
      assert.equal(resolveModulePath(p, 'src/features/users/main.ts', 'lodash'), undefined);
    });

    it('resolves bare specifiers under an explicit baseUrl, and not without one', () => {
      const client = { 'src/prisma/prisma.service.ts': `import { Pool } from 'pg';\nexport const pool = new Pool();` };
      const main = { 'src/user/user.service.ts': `import { pool } from 'src/prisma/prisma.service';\n/*@*/pool;` };
      const withBase = { ...client, ...main, 'tsconfig.json': `{ "compilerOptions": { "baseUrl": "./" } }` };
      expect(at(withBase, 'src/user/user.service.ts'), 'pg', 'client');
      assert.equal(resolveModulePath(project(withBase), 'src/user/user.service.ts', 'src/prisma/prisma.service'), 'src/prisma/prisma.service.ts');
      const noBase = { ...client, ...main, 'tsconfig.json': `{ "compilerOptions": { "strict": true } }` };
      assert.equal(at(noBase, 'src/user/user.service.ts'), undefined);
      assert.equal(resolveModulePath(project(noBase), 'src/user/user.service.ts', 'src/prisma/prisma.service'), undefined);
    });

    it('shares a bare specifier between folders of one tsconfig, and never between tsconfigs or src/ roots', () => {
      const files = {
        'tsconfig.json': `{ "compilerOptions": { "baseUrl": "./" } }`,
        'src/db/client.ts': `export const pool = 1;`,
        'src/a/x.ts': ``,
        'src/b/c/y.ts': ``,
        'web/tsconfig.json': `{ "compilerOptions": { "baseUrl": "./lib" } }`,
        'web/lib/src/db/client.ts': `export const pool = 2;`,
        'web/app/z.ts': ``,
        'other/src/db/only.ts': ``,
        'other/src/k/w.ts': ``,
      };
      const p = project(files);
      assert.equal(resolveModulePath(p, 'src/a/x.ts', 'src/db/client'), 'src/db/client.ts');
      assert.equal(resolveModulePath(p, 'src/b/c/y.ts', 'src/db/client'), 'src/db/client.ts');
      assert.equal(resolveModulePath(p, 'web/app/z.ts', 'src/db/client'), 'web/lib/src/db/client.ts');
      // `@/` is the nearest src/ folder's: same tsconfig, another answer.
      assert.equal(resolveModulePath(p, 'src/a/x.ts', '@/db/only'), undefined);
      assert.equal(resolveModulePath(p, 'other/src/k/w.ts', '@/db/only'), 'other/src/db/only.ts');
    });

    it('forgets a resolution whose probes a created or deleted file answers differently, in every folder', () => {
      const files = { 'tsconfig.json': `{ "compilerOptions": { "baseUrl": "./" } }`, 'src/a/x.ts': ``, 'src/b/y.ts': `` };
      const p = project(files);
      assert.equal(resolveModulePath(p, 'src/a/x.ts', 'src/db/client'), undefined);
      assert.equal(resolveModulePath(p, 'src/a/x.ts', './z'), undefined);
      p.setFile('src/db/client.ts', `export const pool = 1;`);
      p.setFile('src/a/z.ts', ``);
      // The folder that asked before and one that never did both see the new files.
      assert.equal(resolveModulePath(p, 'src/a/x.ts', 'src/db/client'), 'src/db/client.ts');
      assert.equal(resolveModulePath(p, 'src/b/y.ts', 'src/db/client'), 'src/db/client.ts');
      assert.equal(resolveModulePath(p, 'src/a/x.ts', './z'), 'src/a/z.ts');
      // A file found through a nearer one created later (`.ts` before `/index.ts`), and a deleted one.
      p.setFile('src/db/client/index.ts', ``);
      assert.equal(resolveModulePath(p, 'src/b/y.ts', 'src/db/client'), 'src/db/client.ts');
      p.deleteFile('src/db/client.ts');
      assert.equal(resolveModulePath(p, 'src/a/x.ts', 'src/db/client'), 'src/db/client/index.ts');
      assert.equal(resolveModulePath(p, 'src/b/y.ts', 'src/db/client'), 'src/db/client/index.ts');
      // A tsconfig created nearer the importer decides from then on.
      p.setFile('src/b/tsconfig.json', `{ "compilerOptions": { "baseUrl": "./lib" } }`);
      assert.equal(resolveModulePath(p, 'src/b/y.ts', 'src/db/client'), undefined);
      assert.equal(resolveModulePath(p, 'src/a/x.ts', 'src/db/client'), 'src/db/client/index.ts');
    });

    it('reads baseUrl and paths a tsconfig inherits through extends', () => {
      // grist-core: app/tsconfig.json extends ../buildtools/tsconfig-base.json, which sets baseUrl ".." and paths "*".
      const files = {
        'buildtools/tsconfig-base.json': `{ "compilerOptions": { "baseUrl": "..", "paths": { "*": ["*", "stubs/*"] } } }`,
        'app/tsconfig.json': `{ "extends": "../buildtools/tsconfig-base.json", "files": [] }`,
        'app/db/home.ts': `import { Pool } from 'pg';\nexport const pool = new Pool();`,
        'stubs/app/db/extra.ts': `import { Pool } from 'pg';\nexport const extra = new Pool();`,
        'app/lib/deep/main.ts': `import { pool } from 'app/db/home';\nimport { extra } from 'app/db/extra';\n/*@*/pool; /*#*/extra;`,
      };
      expect(at(files, 'app/lib/deep/main.ts'), 'pg', 'client');
      expect(at(files, 'app/lib/deep/main.ts', '/*#*/'), 'pg', 'client');
      // The extending config's own baseUrl wins; inherited paths are then relative to it.
      const own = { ...files, 'app/tsconfig.json': `{ "extends": "../buildtools/tsconfig-base", "compilerOptions": { "baseUrl": "." } }` };
      assert.equal(resolveModulePath(project(own), 'app/lib/deep/main.ts', 'db/home'), 'app/db/home.ts');
      assert.equal(resolveModulePath(project(own), 'app/lib/deep/main.ts', 'app/db/home'), undefined);
      // A config extending a package's config reads nothing from it.
      const pkg = { ...files, 'app/tsconfig.json': `{ "extends": "@tsconfig/node20/tsconfig.json" }` };
      assert.equal(resolveModulePath(project(pkg), 'app/lib/deep/main.ts', 'app/db/home'), undefined);
    });

    it('survives import cycles and self-references', () => {
      const files = {
        'src/a.ts': `export { x } from './b';\nexport * from './b';`,
        'src/b.ts': `export { x } from './a';\nexport * from './a';`,
        'src/main.ts': `import { x } from './a';\nconst y = y2; const y2 = y;\n/*@*/x; /*#*/y;`,
      };
      assert.equal(at(files), undefined);
      assert.equal(at(files, 'src/main.ts', '/*#*/'), undefined);
    });

    it('finds definitions across files for helper functions', () => {
      const files = {
        'src/repo.ts': `export async function loadUser(id: number) { return id; }`,
        'src/index.ts': `export { loadUser as fetchUser } from './repo';`,
        'src/main.ts': `import { fetchUser } from '.';\nfetchUser(1);`,
      };
      const p = project(files);
      const prov = fileProvenance(p, 'src/main.ts');
      const sf = tsSourceFile('src/main.ts', files['src/main.ts']);
      const call = (sf.statements[1] as ts.ExpressionStatement).expression as ts.CallExpression;
      const def = prov.definitionOf(call.expression as ts.Identifier);
      assert.ok(def);
      assert.equal(def.file, 'src/repo.ts');
      assert.ok(ts.isFunctionDeclaration(def.node) && def.node.name?.text === 'loadUser');
    });
  });

  describe('types written through functions and frameworks', () => {
    const client = [
      `import { drizzle } from 'drizzle-orm/node-postgres';`,
      `type Replicated<Q> = Q & { usePrimaryOnly: () => Replicated<Q> };`,
      `export const withReadReplicas = <Q,>(primary: Q, replicas: Q[]): Replicated<Q> => ({ ...primary, usePrimaryOnly: () => withReadReplicas(primary, replicas) }) as Replicated<Q>;`,
      `const primary = drizzle(process.env.DATABASE_URL!);`,
      `export const db = withReadReplicas(primary, [primary]);`,
      `export const connectDb = async () => db;`,
      `export type Database = Awaited<ReturnType<typeof connectDb>>;`,
    ].join('\n');

    it('a parameter typed Awaited<ReturnType<typeof f>> is what f returns (a generic wrapper typed by its argument)', () => {
      expect(at({ 'src/db.ts': client, 'src/main.ts': `import type { Database } from './db';
export function f(db: Database) { return /*@*/db; }` }), 'drizzle', 'client');
      expect(at({ 'src/db.ts': client, 'src/main.ts': `import { db } from './db';
/*@*/db;` }), 'drizzle', 'client');
    });

    it('a wrapper whose result type does not carry its argument is not its argument', () => {
      const other = client.replace('): Replicated<Q> =>', '): { usePrimaryOnly: () => void } =>');
      assert.equal(at({ 'src/db.ts': other, 'src/main.ts': `import { db } from './db';
/*@*/db;` }), undefined);
    });

    const trpc = (context: string, middleware = '') =>
      [
        `import { initTRPC } from '@trpc/server';`,
        `import { PrismaClient } from '@prisma/client';`,
        `const db = new PrismaClient();`,
        `export const createContext = async () => ({ db, session: null as null | { id: number } });`,
        `type Ctx = { db: PrismaClient; session: null };`,
        `const t = initTRPC.context<${context}>().create();`,
        `export const authed = t.procedure.use(({ ctx, next }) => next({ ctx: { session: ctx.session${middleware} } }));`,
      ].join('\n');

    it('a procedure resolver\'s ctx is its context creator\'s result or the declared context type', () => {
      const main = `import { authed } from './trpc';
export const r = authed.query(async ({ ctx }) => /*@*/ctx.db.user);`;
      expect(at({ 'src/trpc.ts': trpc('typeof createContext'), 'src/main.ts': main }), 'prisma', 'repository', 'user');
      expect(at({ 'src/trpc.ts': trpc('Ctx'), 'src/main.ts': main }), 'prisma', 'repository', 'user');
      const nested = `import { authed } from './trpc';
export const r = authed.input(null).mutation(async ({ ctx: { db } }) => /*@*/db.user);`;
      expect(at({ 'src/trpc.ts': trpc('typeof createContext'), 'src/main.ts': nested }), 'prisma', 'repository', 'user');
    });

    it('not when a middleware replaces the client, nor for a context not made by the framework', () => {
      const main = `import { authed } from './trpc';
export const r = authed.query(async ({ ctx }) => /*@*/ctx.db.user);`;
      assert.equal(at({ 'src/trpc.ts': trpc('typeof createContext', ', db: {} as any'), 'src/main.ts': main }), undefined);
      assert.equal(at({ 'src/trpc.ts': trpc('Ctx', ', db: {} as any'), 'src/main.ts': main }), undefined);
      const local = trpc('typeof createContext').replace(`import { initTRPC } from '@trpc/server';`, `const initTRPC = { context: <T,>() => ({ create: () => ({ procedure: {} as any }) }) };`);
      assert.equal(at({ 'src/trpc.ts': local, 'src/main.ts': main }), undefined);
    });
  });

  describe('scopes', () => {
    it('an inner declaration shadows an outer client', () => {
      const src = `import { Pool } from 'pg';\nconst db = new Pool();\nfunction f() { const db = { query() {} }; /*@*/db; }\n/*#*/db;`;
      assert.equal(at({ 'src/main.ts': src }), undefined);
      expect(at({ 'src/main.ts': src }, 'src/main.ts', '/*#*/'), 'pg', 'client');
    });

    it('does not throw on broken code', () => {
      const src = `import { Pool } from 'pg';\nconst db = new Pool(;\nfunction (( { /*@*/db.query('select 1'`;
      const b = at({ 'src/main.ts': src });
      expect(b, 'pg', 'client');
    });
  });
});
