/**
 * One small project per migration tool, shared by test/unit/migrations.test.ts (the fix's format) and
 * test/db/migrations.test.ts (the migration runs on PostgreSQL). Each has the table `link` (or Prisma's
 * `Link`) with an unindexed `url`, a query on it and a write (so the table is not a read-only lookup table).
 */
import type { Project } from '../engine/project';
import type { Fix } from '../engine/types';

export interface ToolProject {
  tool: string;
  files: Record<string, string>;
  expect: {
    title: RegExp;
    safety?: Fix['safety'];
    /** Files the fix creates, in edit order. */
    creates: string[];
    contains?: RegExp[];
    lacks?: RegExp[];
  };
}

const TABLE = 'CREATE TABLE link (id serial PRIMARY KEY, url text NOT NULL, title text);\n';
const QUERIES = { 'src/q.sql': 'SELECT id, title FROM link WHERE url = $1;\n', 'src/w.sql': 'INSERT INTO link (url) VALUES ($1);\n' };
const SQL_SCHEMA = { 'db/schema.sql': TABLE };

const PRISMA_SCHEMA = `generator client {
  provider = "prisma-client-js"
}

datasource db {
  provider = "postgresql"
}

model Link {
  id    Int    @id @default(autoincrement())
  url   String
  title String
}

model Tag {
  id   Int    @id @default(autoincrement())
  name String
}
`;
const PRISMA_INIT = `-- CreateTable
CREATE TABLE "Link" ("id" SERIAL NOT NULL, "url" TEXT NOT NULL, "title" TEXT NOT NULL, CONSTRAINT "Link_pkey" PRIMARY KEY ("id"));
-- CreateTable
CREATE TABLE "Tag" ("id" SERIAL NOT NULL, "name" TEXT NOT NULL, CONSTRAINT "Tag_pkey" PRIMARY KEY ("id"));
`;
const PRISMA_QUERIES = {
  'src/q.sql': 'SELECT id FROM "Link" WHERE "url" = $1;\n',
  'src/w.sql': 'INSERT INTO "Link" ("url", "title") VALUES ($1, $2);\nINSERT INTO "Tag" ("name") VALUES ($1);\n',
};

export const DRIZZLE_SCHEMA = `import { pgTable, serial, text } from 'drizzle-orm/pg-core';

export const links = pgTable('link', {
  id: serial('id').primaryKey(),
  url: text('url').notNull(),
  title: text('title'),
});
`;

/** hollo's src/schema.ts shape: double quotes, the extra config one element per line with a trailing comma. */
export const DRIZZLE_SCHEMA_MULTILINE = `import { index, pgTable, serial, text } from "drizzle-orm/pg-core";

export const links = pgTable(
  "link",
  {
    id: serial("id").primaryKey(),
    url: text("url").notNull(),
    title: text("title"),
  },
  (table) => [
    index("idx_link_title").on(table.title),
  ],
);
`;

export const TOOL_PROJECTS: ToolProject[] = [
  {
    tool: 'sql-files',
    files: { 'migrations/001_init.sql': TABLE, ...QUERIES },
    expect: { title: /^Create migration migrations\/002_add_idx_link_url\.sql with CREATE INDEX idx_link_url \(plain/, creates: ['migrations/002_add_idx_link_url.sql'], contains: [/blocks writes to link/, /CREATE INDEX IF NOT EXISTS idx_link_url ON link \(url\);/], lacks: [/CONCURRENTLY idx/] },
  },
  {
    // Most files named by their number alone, one named (lunary's packages/db: 0001-init.sql, 0002.sql … 0121.sql, run in
    // parseInt order): the next number after the largest, alone, not the number after the one named file (0002-…).
    tool: 'sql-files (numbers alone)',
    files: {
      'packages/db/0001-init.sql': 'CREATE TABLE account (id serial PRIMARY KEY);\n',
      'packages/db/0002.sql': TABLE,
      'packages/db/0003.sql': 'ALTER TABLE link ADD COLUMN created_at timestamptz;\n',
      ...QUERIES,
    },
    expect: {
      title: /^Create migration packages\/db\/0004\.sql with CREATE INDEX idx_link_url \(plain/,
      creates: ['packages/db/0004.sql'],
      contains: [/^-- add_idx_link_url\n/, /CREATE INDEX IF NOT EXISTS idx_link_url ON link \(url\);/],
      lacks: [/CONCURRENTLY idx/],
    },
  },
  {
    tool: 'flyway',
    files: { 'db/migration/V1__init.sql': TABLE, 'db/migration/V2__titles.sql': 'ALTER TABLE link ALTER COLUMN title SET DEFAULT \'\';\n', ...QUERIES },
    expect: { title: /^Create migration db\/migration\/V3__add_idx_link_url\.sql with CREATE INDEX CONCURRENTLY/, creates: ['db/migration/V3__add_idx_link_url.sql'], contains: [/^CREATE INDEX CONCURRENTLY idx_link_url ON link \(url\);\n$/] },
  },
  {
    tool: 'golang-migrate',
    files: { 'migrations/000001_init.up.sql': TABLE, 'migrations/000001_init.down.sql': 'DROP TABLE link;\n', ...QUERIES },
    expect: {
      title: /^Create migration migrations\/000002_add_idx_link_url\.up\.sql with CREATE INDEX CONCURRENTLY/,
      creates: ['migrations/000002_add_idx_link_url.up.sql', 'migrations/000002_add_idx_link_url.down.sql'],
      contains: [/CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_link_url/, /DROP INDEX CONCURRENTLY IF EXISTS idx_link_url/],
    },
  },
  {
    tool: 'postgrator',
    files: { 'migrations/0001.do.init.sql': TABLE, 'migrations/0001.undo.init.sql': 'DROP TABLE link;\n', ...QUERIES },
    expect: {
      title: /^Create migration migrations\/0002\.do\.add_idx_link_url\.sql with CREATE INDEX idx_link_url \(plain CREATE INDEX, with its undo file\)/,
      creates: ['migrations/0002.do.add_idx_link_url.sql', 'migrations/0002.undo.add_idx_link_url.sql'],
      contains: [/CREATE INDEX IF NOT EXISTS idx_link_url/, /DROP INDEX IF EXISTS idx_link_url/],
    },
  },
  {
    tool: 'goose',
    files: { 'db/migrations/00001_init.sql': `-- +goose Up\n${TABLE}\n-- +goose Down\nDROP TABLE link;\n`, ...QUERIES },
    expect: { title: /^Create migration db\/migrations\/00002_add_idx_link_url\.sql with CREATE INDEX CONCURRENTLY/, creates: ['db/migrations/00002_add_idx_link_url.sql'], contains: [/^-- \+goose NO TRANSACTION\n-- \+goose Up\nCREATE INDEX CONCURRENTLY/] },
  },
  {
    tool: 'dbmate',
    files: { 'db/migrations/20240101000000_init.sql': `-- migrate:up\n${TABLE}\n-- migrate:down\nDROP TABLE link;\n`, ...QUERIES },
    expect: { title: /^Create migration db\/migrations\/20240101000001_add_idx_link_url\.sql with CREATE INDEX CONCURRENTLY/, creates: ['db/migrations/20240101000001_add_idx_link_url.sql'], contains: [/^-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY/, /-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY/] },
  },
  {
    tool: 'sqlx',
    files: { 'Cargo.toml': '[dependencies]\nsqlx = { version = "0.8", features = ["postgres"] }\n', 'migrations/20240101000000_init.sql': TABLE, ...QUERIES },
    expect: { title: /^Create migration migrations\/20240101000001_add_idx_link_url\.sql with CREATE INDEX CONCURRENTLY/, creates: ['migrations/20240101000001_add_idx_link_url.sql'], contains: [/^-- no-transaction\nCREATE INDEX CONCURRENTLY/] },
  },
  {
    tool: 'prisma-migrate',
    files: { 'prisma/schema.prisma': PRISMA_SCHEMA, 'prisma/migrations/20240101000000_init/migration.sql': PRISMA_INIT, 'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n', ...PRISMA_QUERIES },
    expect: {
      title: /^Add @@index\(\[url\]\) to model Link in prisma\/schema\.prisma and create migration prisma\/migrations\/20240101000001_add_link_url_idx\/migration\.sql with CREATE INDEX Link_url_idx$/,
      creates: ['prisma/migrations/20240101000001_add_link_url_idx/migration.sql'],
      contains: [/^ {2}@@index\(\[url\]\)\n$/m, /CREATE INDEX "Link_url_idx" ON "Link" \(url\);/],
      lacks: [/CONCURRENTLY "/],
    },
  },
  {
    // Schema variants picked by an environment variable (evolution-api: postgresql-schema.prisma with postgresql-migrations,
    // psql_bouncer-schema.prisma with none, mysql-schema.prisma): the index goes to the variant whose migrations create the
    // tables, with a migration in that folder; the bouncer copy is read last, so its model is the one the schema remembers.
    tool: 'prisma-migrate (variants)',
    files: {
      'prisma/postgresql-schema.prisma': PRISMA_SCHEMA,
      'prisma/postgresql-migrations/20240101000000_init/migration.sql': PRISMA_INIT,
      'prisma/postgresql-migrations/migration_lock.toml': 'provider = "postgresql"\n',
      'prisma/psql_bouncer-schema.prisma': PRISMA_SCHEMA,
      'prisma/mysql-schema.prisma': PRISMA_SCHEMA.replace('"postgresql"', '"mysql"'),
      ...PRISMA_QUERIES,
    },
    expect: {
      title: /^Add @@index\(\[url\]\) to model Link in prisma\/postgresql-schema\.prisma and create migration prisma\/postgresql-migrations\/20240101000001_add_link_url_idx\/migration\.sql with CREATE INDEX Link_url_idx$/,
      creates: ['prisma/postgresql-migrations/20240101000001_add_link_url_idx/migration.sql'],
      contains: [/^ {2}@@index\(\[url\]\)\n$/m, /CREATE INDEX "Link_url_idx" ON "Link" \(url\);/],
    },
  },
  {
    tool: 'prisma-db-push',
    files: { 'prisma/schema.prisma': PRISMA_SCHEMA, 'src/q.ts': "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\nexport const byUrl = (url: string) => prisma.link.findFirst({ where: { url } });\nexport const add = (url: string) => prisma.link.create({ data: { url, title: '' } });\n" },
    expect: { title: /^Add @@index\(\[url\]\) to model Link in prisma\/schema\.prisma \(prisma db push or migrate dev creates it\)$/, creates: [] },
  },
  {
    tool: 'drizzle-kit',
    files: {
      'drizzle/0000_init.sql': TABLE,
      'drizzle/meta/_journal.json': '{"version":"7","dialect":"postgresql","entries":[{"idx":0,"version":"7","when":1704067200000,"tag":"0000_init","breakpoints":true}]}\n',
      'package.json': '{"dependencies":{"drizzle-orm":"^0.44.0"}}\n',
      'src/db/schema.ts': DRIZZLE_SCHEMA,
      ...QUERIES,
    },
    expect: { title: /^Add index\('idx_link_url'\)\.on\(table\.url\) to table link in src\/db\/schema\.ts, then run drizzle-kit generate$/, creates: [], contains: [/^, index$/m, /^, \(table\) => \[index\('idx_link_url'\)\.on\(table\.url\)\]$/m] },
  },
  {
    // A list written one element per line gets the index on its own line, in the file's quotes (hollo: the edit was
    // appended to the last element's line in single quotes).
    tool: 'drizzle-kit (multi-line extra config)',
    files: {
      'drizzle/0000_init.sql': TABLE,
      'drizzle/meta/_journal.json': '{"version":"7","dialect":"postgresql","entries":[{"idx":0,"version":"7","when":1704067200000,"tag":"0000_init","breakpoints":true}]}\n',
      'package.json': '{"dependencies":{"drizzle-orm":"^0.44.0"}}\n',
      'src/db/schema.ts': DRIZZLE_SCHEMA_MULTILINE,
      ...QUERIES,
    },
    expect: { title: /^Add index\('idx_link_url'\)\.on\(table\.url\) to table link in src\/db\/schema\.ts, then run drizzle-kit generate$/, creates: [], contains: [/^\n {4}index\("idx_link_url"\)\.on\(table\.url\),$/] },
  },
  {
    // Drizzle Kit 1.0: one folder per migration with its snapshot, no meta/_journal.json (hollo's drizzle/).
    tool: 'drizzle-kit (folders)',
    files: {
      'drizzle/20240101120000_init/migration.sql': TABLE,
      'drizzle/20240101120000_init/snapshot.json': '{"version":"8","dialect":"postgres"}\n',
      'drizzle.config.ts': "import { defineConfig } from 'drizzle-kit';\nexport default defineConfig({ dialect: 'postgresql', schema: './src/db/schema.ts', out: './drizzle' });\n",
      'package.json': '{"dependencies":{"drizzle-orm":"^1.0.0-beta.1"}}\n',
      'src/db/schema.ts': DRIZZLE_SCHEMA,
      ...QUERIES,
    },
    expect: { title: /^Add index\('idx_link_url'\)\.on\(table\.url\) to table link in src\/db\/schema\.ts, then run drizzle-kit generate$/, creates: [] },
  },
  {
    tool: 'knex',
    files: { 'migrations/20240101120000_init.ts': "import type { Knex } from 'knex';\n\nexport async function up(knex: Knex): Promise<void> {\n  await knex.raw('SELECT 1');\n}\n\nexport async function down(knex: Knex): Promise<void> {}\n", ...SQL_SCHEMA, ...QUERIES },
    expect: { title: /^Create Knex migration migrations\/20240101120001_add_idx_link_url\.ts with CREATE INDEX CONCURRENTLY idx_link_url \(config\.transaction = false\)$/, creates: ['migrations/20240101120001_add_idx_link_url.ts'], contains: [/export const config = \{ transaction: false \};/, /CREATE INDEX CONCURRENTLY IF NOT EXISTS \?\? ON \?\? \(\?\?\)', \['idx_link_url', 'link', 'url'\]/] },
  },
  {
    tool: 'knex (CommonJS)',
    files: { 'db/migrations/20240101120000_init.js': "exports.up = function (knex) {\n  return knex.raw('SELECT 1');\n};\nexports.down = function () {};\n", ...SQL_SCHEMA, ...QUERIES },
    expect: { title: /^Create Knex migration db\/migrations\/20240101120001_add_idx_link_url\.js/, creates: ['db/migrations/20240101120001_add_idx_link_url.js'], contains: [/^exports\.config = \{ transaction: false \};$/m, /^exports\.up = async function \(knex\)/m] },
  },
  {
    tool: 'kysely',
    files: { 'src/migrations/2024_01_01_001_init.ts': "import { Kysely } from 'kysely';\n\nexport async function up(db: Kysely<any>): Promise<void> {\n  await db.schema.createTable('x').addColumn('id', 'integer').execute();\n}\n", ...SQL_SCHEMA, ...QUERIES },
    expect: {
      title: /^Create Kysely migration src\/migrations\/2024_01_01_002_add_idx_link_url\.ts with CREATE INDEX idx_link_url \(plain/,
      creates: ['src/migrations/2024_01_01_002_add_idx_link_url.ts'],
      contains: [/db\.schema\.createIndex\('idx_link_url'\)\.ifNotExists\(\)\.on\('link'\)\.column\('url'\)\.execute\(\)/, /blocks writes to link/],
      lacks: [/CONCURRENTLY idx/],
    },
  },
  {
    tool: 'typeorm',
    files: { 'src/migrations/1700000000000-Init.ts': "import { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class Init1700000000000 implements MigrationInterface {\n  public async up(queryRunner: QueryRunner): Promise<void> {}\n  public async down(queryRunner: QueryRunner): Promise<void> {}\n}\n", ...SQL_SCHEMA, ...QUERIES },
    expect: { title: /^Create TypeORM migration src\/migrations\/1700000000001-AddIdxLinkUrl\.ts with CREATE INDEX idx_link_url \(plain/, creates: ['src/migrations/1700000000001-AddIdxLinkUrl.ts'], contains: [/export class AddIdxLinkUrl1700000000001 implements MigrationInterface/, /CREATE INDEX IF NOT EXISTS idx_link_url ON link \(url\);`/], lacks: [/transaction = false/] },
  },
  {
    tool: 'typeorm (each)',
    files: {
      'src/migrations/1700000000000-Init.ts': "import { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class Init1700000000000 implements MigrationInterface {\n  public async up(queryRunner: QueryRunner): Promise<void> {}\n  public async down(queryRunner: QueryRunner): Promise<void> {}\n}\n",
      'src/data-source.ts': "import { DataSource } from 'typeorm';\nexport default new DataSource({ type: 'postgres', migrations: ['src/migrations/*.ts'], migrationsTransactionMode: 'each' });\n",
      ...SQL_SCHEMA,
      ...QUERIES,
    },
    expect: { title: /^Create TypeORM migration src\/migrations\/1700000000001-AddIdxLinkUrl\.ts with CREATE INDEX CONCURRENTLY idx_link_url \(migrationsTransactionMode "each"\)$/, creates: ['src/migrations/1700000000001-AddIdxLinkUrl.ts'], contains: [/public transaction = false;/, /CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_link_url/] },
  },
  {
    tool: 'node-pg-migrate',
    files: { 'migrations/1700000000000_init.js': "exports.up = (pgm) => {\n  pgm.sql('SELECT 1');\n};\n", ...SQL_SCHEMA, ...QUERIES },
    expect: { title: /^Create node-pg-migrate migration migrations\/1700000000001_add_idx_link_url\.js with CREATE INDEX CONCURRENTLY idx_link_url \(pgm\.noTransaction\(\)\)$/, creates: ['migrations/1700000000001_add_idx_link_url.js'], contains: [/pgm\.noTransaction\(\);/, /pgm\.createIndex\('link', 'url', \{ name: 'idx_link_url', concurrently: true, ifNotExists: true \}\);/] },
  },
  {
    tool: 'sequelize',
    files: { 'migrations/20240101000000-init.js': "'use strict';\nmodule.exports = {\n  async up(queryInterface, Sequelize) {\n    await queryInterface.sequelize.query('SELECT 1');\n  },\n  async down() {},\n};\n", ...SQL_SCHEMA, ...QUERIES },
    expect: { title: /^Create Sequelize migration migrations\/20240101000001-add-idx-link-url\.js with CREATE INDEX CONCURRENTLY idx_link_url/, creates: ['migrations/20240101000001-add-idx-link-url.js'], contains: [/await queryInterface\.addIndex\('link', \['url'\], \{ name: 'idx_link_url', concurrently: true \}\);/] },
  },
];

/** The first index fix of the project's unindexed-predicate findings (on src/q.sql or src/q.ts). */
export function indexFixOf(project: Project): Fix | undefined {
  const file = project.fileText('src/q.sql') !== undefined ? 'src/q.sql' : 'src/q.ts';
  for (const f of project.analyze(file, ['unindexed-predicate']).findings) {
    const fix = f.fixes.find((x) => !x.title.startsWith('Disable'));
    if (fix) return fix;
  }
  return undefined;
}
