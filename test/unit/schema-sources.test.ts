/**
 * Schema sources beyond SQL migrations and schema.prisma: TypeScript schemas and migrations (one
 * reader per library in engine/adapters/<library>/schema.ts), pg_dumps and .sql files found by
 * content, psql variables, excluded copies, each tool's own migration order, and package scopes.
 * Every case builds a real Project from file texts and reads the schema it believes in.
 */
import assert from 'node:assert/strict';
import { defaultConfig, parseConfig } from '../../engine/config';
import { Project } from '../../engine/project';
import { missingSchemaProblems } from '../../engine/run-problems';
import { isSchemaSource } from '../../engine/schema';
import type { IndexInfo, SchemaModel, TableInfo } from '../../engine/schema/types';
import { initParser } from '../../engine/sql/parser';
import { ruleIds } from '../../rules';

function project(files: Record<string, string>, config = defaultConfig()): Project {
  const p = new Project(config);
  for (const [path, text] of Object.entries(files)) p.setFile(path, text);
  return p;
}

function table(s: SchemaModel, name: string): TableInfo {
  const t = [...s.tables.values()].find((x) => x.name === name);
  assert.ok(t, `table ${name} in ${[...s.tables.keys()].join(', ')}`);
  return t;
}

/** `name kind (keys)[ where …]` of every index, sorted: compact to compare. */
function indexes(t: TableInfo): string[] {
  const one = (i: IndexInfo) => `${i.name} ${i.kind} (${i.keys.map((k) => k.column ?? k.expression).join(', ')})${i.method !== 'btree' ? ` ${i.method}` : ''}${i.predicate ? ` where ${i.predicate}` : ''}`;
  return t.indexes.map(one).sort();
}

function fks(t: TableInfo): string[] {
  return (t.foreignKeys ?? []).map((f) => `${f.name}: (${f.columns.join(', ')}) -> ${f.refTable}(${f.refColumns.join(', ')})`).sort();
}

describe('TypeScript schema sources', () => {
  before(() => initParser());

  it('Drizzle: pgTable with the array form, .primaryKey(), .unique(), .references() to another file, unnamed and partial indexes', () => {
    const p = project({
      'src/db/users.ts': `import { pgTable, text, uuid, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
export const users = pgTable('users', {
  id: uuid('id').primaryKey(),
  email: text('email').notNull().unique(),
  createdAt: timestamp('created_at', { withTimezone: true }),
});`,
      'src/db/posts.ts': `import { pgTable, text, uuid, index, uniqueIndex, primaryKey } from 'drizzle-orm/pg-core';
import { sql, isNotNull, isNull, and, eq, gt } from 'drizzle-orm';
import { users } from './users';
export const posts = pgTable('posts', {
  id: uuid('id').primaryKey(),
  authorId: uuid('author_id').notNull().references(() => users.id),
  slug: text().notNull(),
  deletedAt: text('deleted_at'),
}, (t) => [
  index().on(t.authorId),
  uniqueIndex('posts_slug_live').on(t.slug).where(sql\`\${t.deletedAt} IS NULL\`),
  index('posts_lower_slug').on(sql\`lower(\${t.slug})\`),
  index('posts_live_author').on(t.authorId, t.slug).where(isNotNull(t.deletedAt)),
  index('posts_hello').on(t.authorId).where(and(eq(t.slug, "it's"), isNull(t.deletedAt))),
  index('posts_unknown').on(t.slug).where(gt(t.deletedAt, sql\`now()\`)),
]);`,
    });
    const s = p.schema();
    assert.deepEqual(indexes(table(s, 'users')), ['users_email_unique unique (email)', 'users_pkey primary (id)']);
    assert.deepEqual(indexes(table(s, 'posts')), [
      'posts_author_id_index index (author_id)',
      'posts_hello index (author_id) where ((slug = \'it\'s\') and (deleted_at is null))',
      'posts_live_author index (author_id, slug) where (deleted_at is not null)',
      'posts_lower_slug index (lower(slug))',
      'posts_pkey primary (id)',
      'posts_slug_live unique (slug) where (deleted_at is null)',
    ]);
    assert.deepEqual(fks(table(s, 'posts')), ['posts_author_id_users_id_fk: (author_id) -> users(id)']);
    assert.equal(table(s, 'posts').columns.get('author_id')?.fieldName, 'authorId');
    assert.equal(table(s, 'users').columns.get('created_at')?.type, 'timestamptz');
    assert.equal(table(s, 'posts').modelName, 'posts');
  });

  it('Drizzle: the older object form of the third argument and composite primaryKey', () => {
    const s = project({
      'schema.ts': `import { pgTable, integer, index, primaryKey } from 'drizzle-orm/pg-core';
export const memberships = pgTable('memberships', { userId: integer('user_id').notNull(), teamId: integer('team_id').notNull() },
  (table) => ({ pk: primaryKey({ columns: [table.userId, table.teamId] }), team: index('memberships_team_idx').on(table.teamId) }));`,
    }).schema();
    assert.deepEqual(indexes(table(s, 'memberships')), ['memberships_team_idx index (team_id)', 'memberships_user_id_team_id_pk primary (user_id, team_id)']);
  });

  it('TypeORM entities: default names (snake_case table, hashed PK/IDX/UQ/FK names), @Index on class and property, @ManyToOne + @JoinColumn', () => {
    const s = project({
      'src/entities/User.ts': `import { Entity, PrimaryGeneratedColumn, Column, Index, Unique } from 'typeorm';
@Entity()
@Unique(['email'])
export class UserAccount {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column() email: string;
  @Index() @Column({ name: 'team_id', nullable: true }) teamId?: string;
}`,
      'src/entities/Order.ts': `import { Entity, PrimaryGeneratedColumn, Column, Index, ManyToOne, JoinColumn } from 'typeorm';
import { UserAccount } from './User';
@Entity('orders')
@Index(['status', 'createdAt'], { where: '"deletedAt" IS NULL' })
export class Order {
  @PrimaryGeneratedColumn() id: number;
  @Column() status: string;
  @Column({ type: 'timestamptz' }) createdAt: Date;
  @Column({ nullable: true }) deletedAt?: Date;
  @ManyToOne(() => UserAccount) @JoinColumn({ name: 'user_id' }) user: UserAccount;
}`,
    }).schema();
    const u = table(s, 'user_account');
    assert.equal(u.indexes.length, 3);
    assert.ok(indexes(u).some((x) => /^PK_\w{27} primary \(id\)$/.test(x)));
    assert.ok(indexes(u).some((x) => /^UQ_\w{27} unique \(email\)$/.test(x)));
    assert.ok(indexes(u).some((x) => /^IDX_\w{26} index \(team_id\)$/.test(x)));
    const o = table(s, 'orders');
    assert.ok(indexes(o).some((x) => /^IDX_\w{26} index \(status, createdAt\) where \(deletedAt is null\)$/.test(x)), indexes(o).join('\n'));
    assert.equal(o.columns.get('user_id')?.type, 'uuid');
    assert.deepEqual(fks(o).map((f) => f.replace(/^FK_\w{27}/, 'FK')), ['FK: (user_id) -> user_account(id)']);
    // The join column is not indexed: PostgreSQL and TypeORM make no index for it.
    assert.ok(!o.indexes.some((i) => i.keys[0]?.column === 'user_id'));
    assert.equal(o.modelName, 'Order');
  });

  it('TypeORM names match the DefaultNamingStrategy (Flowise chat_flow)', () => {
    const s = project({
      'ChatFlow.ts': `import { Entity, PrimaryGeneratedColumn, Column } from 'typeorm';
@Entity() export class ChatFlow { @PrimaryGeneratedColumn('uuid') id: string; @Column() name: string }`,
    }).schema();
    assert.deepEqual(indexes(table(s, 'chat_flow')), ['PK_3c7cea7d047ac4b91764574cdbf primary (id)']);
  });

  it('TypeORM migrations: queryRunner.query SQL through the parser, createIndex(new TableIndex), helper methods, class-name timestamp order', () => {
    const s = project({
      'migrations/b/1700000000000-Init.ts': `import { MigrationInterface, QueryRunner } from 'typeorm';
const T = 'invoices';
export class Init1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`CREATE TABLE "\${T}" (id serial PRIMARY KEY, customer_id int NOT NULL, total numeric)\`);
    await this.indexes(queryRunner);
  }
  private async indexes(qr: QueryRunner) { await qr.createIndex('invoices', new TableIndex({ name: 'IDX_invoices_customer', columnNames: ['customer_id'] })); }
  public async down(queryRunner: QueryRunner): Promise<void> { await queryRunner.query('DROP TABLE invoices'); }
}`,
      'migrations/a/1710000000000-More.ts': `import { MigrationInterface, QueryRunner } from 'typeorm';
export class More1710000000000 implements MigrationInterface {
  async up(q: QueryRunner) { await q.query('CREATE INDEX invoices_total ON invoices (total)'); }
  async down(q: QueryRunner) {}
}`,
    }).schema();
    assert.deepEqual(indexes(table(s, 'invoices')), ['IDX_invoices_customer index (customer_id)', 'invoices_pkey primary (id)', 'invoices_total index (total)']);
    assert.deepEqual(s.problems, []);
  });

  it('Sequelize: Model.init with indexes and references; queryInterface migrations', () => {
    const s = project({
      'models/user.js': `const { Model, DataTypes } = require('sequelize');
class User extends Model {}
User.init({ email: { type: DataTypes.STRING, allowNull: false, unique: true }, teamId: { type: DataTypes.INTEGER, field: 'team_id' } },
  { sequelize, tableName: 'users', indexes: [{ fields: ['teamId'] }, { fields: ['email'], where: { deletedAt: null }, name: 'users_live_email' }], paranoid: true });`,
      'migrations/20240101-orders.js': `module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.createTable('orders', { id: { type: Sequelize.INTEGER, primaryKey: true, autoIncrement: true }, user_id: { type: Sequelize.INTEGER, references: { model: 'users', key: 'id' } } });
    await queryInterface.addIndex('orders', ['user_id']);
    await queryInterface.sequelize.query('CREATE INDEX orders_id_desc ON orders (id DESC)');
  },
  async down(queryInterface) { await queryInterface.dropTable('orders'); },
};`,
    }).schema();
    assert.deepEqual(indexes(table(s, 'users')), ['users_email_key unique (email)', 'users_live_email index (email) where (deletedAt is null)', 'users_pkey primary (id)', 'users_team_id index (team_id)']);
    assert.deepEqual(indexes(table(s, 'orders')), ['orders_id_desc index (id)', 'orders_pkey primary (id)', 'orders_user_id index (user_id)']);
    assert.deepEqual(fks(table(s, 'orders')), ['orders_user_id_fkey: (user_id) -> users(id)']);
  });

  it('Knex: createTable/alterTable builders, Knex names, raw SQL, constants from a workspace package', () => {
    const s = project({
      'package.json': '{ "name": "app", "workspaces": ["db"] }',
      'db/package.json': '{ "name": "@app/db", "main": "dist/index.js" }',
      'db/src/index.ts': `export const TableUser = 'user';\nexport enum FieldUser { email = 'email', team = 'team_id' }`,
      'migrations/20240101_init.js': `const { TableUser, FieldUser } = require('@app/db');
exports.up = async function (knex) {
  await knex.schema.createTable(TableUser, (t) => {
    t.increments('id').primary();
    t.string(FieldUser.email).notNullable().unique();
    t.integer(FieldUser.team).references('id').inTable('team').index();
    t.timestamps(true, true);
    t.index(['created_at', 'id'], 'user_created_idx');
  });
  await knex.schema.alterTable(TableUser, (t) => { t.string('nick'); t.unique(['nick']); });
  await knex.raw('CREATE INDEX user_lower_email ON "user" (lower(email))');
};
exports.down = async function (knex) { await knex.schema.dropTable(TableUser); };`,
    }).schema();
    assert.deepEqual(indexes(table(s, 'user')), [
      'user_created_idx index (created_at, id)',
      'user_email_unique unique (email)',
      'user_lower_email index (lower(email))',
      'user_nick_unique unique (nick)',
      'user_pkey primary (id)',
      'user_team_id_index index (team_id)',
    ]);
    assert.deepEqual(fks(table(s, 'user')), ['user_team_id_foreign: (team_id) -> team(id)']);
  });

  it('Knex: a loop over a constant list and a constant condition are read as they run', () => {
    const s = project({
      'migrations/1_init.js': `exports.up = async (knex) => {
  await knex.schema.createTable('a', (t) => { t.increments('id'); });
  await knex.schema.createTable('b', (t) => { t.increments('id'); });
  for (const { name, indexed } of [{ name: 'a', indexed: true }, { name: 'b', indexed: false }]) {
    await knex.schema.alterTable(name, (t) => {
      t.integer('owner_id');
      if (indexed) t.index(['owner_id']);
    });
  }
};`,
    }).schema();
    assert.deepEqual(indexes(table(s, 'a')), ['a_owner_id_index index (owner_id)', 'a_pkey primary (id)']);
    assert.deepEqual(indexes(table(s, 'b')), ['b_pkey primary (id)']);
    assert.ok(table(s, 'b').columns.has('owner_id'));
  });

  it('Kysely: createTable().addColumn(), constraints, createIndex().on().columns(), sql`…`.execute(db)', () => {
    const s = project({
      'src/migrations/0001_init.ts': `import { Kysely, sql } from 'kysely';
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('person').addColumn('id', 'serial', (col) => col.primaryKey())
    .addColumn('email', 'varchar(255)', (col) => col.notNull().unique())
    .addColumn('org_id', 'integer', (col) => col.references('org.id')).execute();
  await db.schema.createIndex('person_org_idx').on('person').columns(['org_id', 'id']).execute();
  await db.schema.createIndex('person_email_lower').on('person').expression(sql\`lower(email)\`).execute();
  await sql\`CREATE INDEX person_live ON person (id) WHERE email IS NOT NULL\`.execute(db);
}
export async function down(db: Kysely<any>): Promise<void> { await db.schema.dropTable('person').execute(); }`,
    }).schema();
    assert.deepEqual(indexes(table(s, 'person')), [
      'person_email_key unique (email)',
      'person_email_lower index (lower(email))',
      'person_live index (id) where (email is not null)',
      'person_org_idx index (org_id, id)',
      'person_pkey primary (id)',
    ]);
    assert.deepEqual(fks(table(s, 'person')), ['person_org_id_fkey: (org_id) -> org(id)']);
  });

  it('node-pg-migrate: pgm.createTable, pgm.createIndex (its default names), pgm.sql', () => {
    const s = project({
      'migrations/1600000000000_init.js': `exports.up = (pgm) => {
  pgm.createTable('users', { id: 'id', name: { type: 'varchar(1000)', notNull: true }, createdAt: { type: 'timestamp', notNull: true } });
  pgm.createTable('posts', { id: 'id', userId: { type: 'integer', notNull: true, references: '"users"', onDelete: 'cascade' }, body: { type: 'text' } });
  pgm.createIndex('posts', 'userId');
  pgm.createIndex('users', ['name'], { unique: true, where: '"createdAt" > now()' });
  pgm.sql('CREATE INDEX posts_body ON posts (body)');
};`,
    }).schema();
    assert.deepEqual(indexes(table(s, 'posts')), ['posts_body index (body)', 'posts_pkey primary (id)', 'posts_userId_index index (userId)']);
    assert.deepEqual(indexes(table(s, 'users')), ['users_name_unique_index unique (name) where (createdAt > now())', 'users_pkey primary (id)']);
    assert.deepEqual(fks(table(s, 'posts')), ['posts_userId_fkey: (userId) -> users(id)']);
  });

  it('declarations give names only where migrations define the table: the migration is what the database has', () => {
    const s = project({
      'migrations/001_init.sql': 'CREATE TABLE accounts (id int PRIMARY KEY, owner_email text);',
      'src/schema.ts': `import { pgTable, integer, text, index } from 'drizzle-orm/pg-core';
export const accounts = pgTable('accounts', { id: integer('id').primaryKey(), ownerEmail: text('owner_email') }, (t) => [index('accounts_owner_idx').on(t.ownerEmail)]);
export const audit = pgTable('audit', { id: integer('id').primaryKey() });`,
    }).schema();
    // The index exists in schema.ts only (not migrated yet): not believed.
    assert.deepEqual(indexes(table(s, 'accounts')), ['accounts_pkey primary (id)']);
    assert.equal(table(s, 'accounts').columns.get('owner_email')?.fieldName, 'ownerEmail');
    assert.deepEqual(indexes(table(s, 'audit')), ['audit_pkey primary (id)']);
  });

  it('a file that only mentions a library is no schema source of its package', () => {
    const p = project({
      'package.json': '{ "name": "root", "workspaces": ["packages/*"] }',
      'packages/db/package.json': '{ "name": "@x/db" }',
      'packages/db/migrations/1_init.sql': 'CREATE TABLE t (id int PRIMARY KEY);',
      'packages/util/package.json': '{ "name": "@x/util" }',
      'packages/util/src/types.ts': "import type { PgColumn } from 'drizzle-orm/pg-core';\nexport type C = PgColumn;",
      'packages/util/src/q.ts': 'export const q = 1;',
    });
    assert.deepEqual(p.schemaScope('packages/util/src/q.ts'), { packages: ['packages/db'], reason: 'only' });
  });
});

describe('schema sources found by content', () => {
  before(() => initParser());
  const cfg = defaultConfig();

  it('a pg_dump anywhere; its sequences, views, ownership and grants are no problems', () => {
    const dump = `--
-- PostgreSQL database dump
--
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.users (id integer NOT NULL, email text);
ALTER TABLE public.users OWNER TO app;
CREATE SEQUENCE public.users_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER TABLE public.users_id_seq OWNER TO app;
ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;
CREATE VIEW public.v_users AS SELECT users.id FROM public.users;
ALTER TABLE public.v_users OWNER TO app;
CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
ALTER FUNCTION public.f() OWNER TO app;
ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);
ALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
CREATE INDEX users_email_idx ON public.users USING btree (email);
GRANT SELECT ON TABLE public.users TO reader;
`;
    assert.ok(isSchemaSource('ops/backups/prod-2024.sql', cfg, dump));
    assert.ok(!isSchemaSource('ops/backups/prod-2024.sql', cfg));
    const s = project({ 'ops/backups/prod-2024.sql': dump }).schema();
    assert.deepEqual(indexes(table(s, 'users')), ['users_email_idx index (email)', 'users_pkey primary (id)']);
    assert.deepEqual(s.problems, []);
  });

  it('numbered .sql files with DDL in folders of any name, and .sql files creating tables', () => {
    assert.ok(isSchemaSource('sql/001_init.sql', cfg, 'CREATE TABLE a (id int);'));
    assert.ok(isSchemaSource('db/V2__index.sql', cfg, 'CREATE INDEX a_id ON a (id);'));
    assert.ok(isSchemaSource('packages/schemas/tables/users.sql', cfg, 'create table users (id int);'));
    // Queries, and DDL only in comments, are not schema.
    assert.ok(!isSchemaSource('sql/002_reports.sql', cfg, 'SELECT * FROM a; -- CREATE TABLE x'));
    // A block comment before the first statement (a header, an ordering note) does not hide the CREATE TABLE.
    assert.ok(isSchemaSource('packages/db/tables/orgs.sql', cfg, '/* init_order = 1 */\n\n/** Orgs. */\ncreate table orgs (id int);'));
    assert.ok(isSchemaSource('packages/db/tables/notes.sql', cfg, '/** Notes. */ create table notes (id int);'));
    assert.ok(!isSchemaSource('sql/003_reports.sql', cfg, 'SELECT * FROM a; /* CREATE TABLE x */'));
    assert.ok(!isSchemaSource('queries/users.sql', cfg, 'SELECT id FROM users WHERE id = $1'));
  });

  it('every migration of a numbered folder: bare numbers, index-only, drops, type changes, seeds, DO blocks (lunary, evolution-api)', () => {
    // lunary: packages/db/0001-init.sql … 0121.sql, most named by a bare number.
    assert.ok(isSchemaSource('packages/db/0081.sql', cfg, 'create index template_version_template_idx on template_version (template_id);'));
    assert.ok(isSchemaSource('packages/db/0029.sql', cfg, 'drop index if exists run_to_tsvector_idx3;'));
    assert.ok(isSchemaSource('packages/db/0012.sql', cfg, "alter type org_plan add value if not exists 'team' after 'pro';"));
    assert.ok(isSchemaSource('packages/db/0028.sql', cfg, "insert into model_mapping (name) values ('gpt-4o-mini');"));
    assert.ok(isSchemaSource('packages/db/0056.sql', cfg, 'drop table if exists log;\ncreate extension if not exists btree_gin;'));
    assert.ok(isSchemaSource('db/007.sql', cfg, 'DO $$ BEGIN ALTER TABLE a ADD CONSTRAINT a_u UNIQUE (x); EXCEPTION WHEN duplicate_object THEN null; END $$;'));
    // evolution-api: one folder per migration under prisma/postgresql-migrations, an index-only one among them.
    assert.ok(isSchemaSource('prisma/postgresql-migrations/20241017144950_create_index/migration.sql', cfg, '-- CreateIndex\nCREATE INDEX "Chat_instanceId_idx" ON "Chat"("instanceId");'));
    assert.ok(isSchemaSource('prisma/postgresql-migrations/20240813003116_make_label_unique/migration.sql', cfg, 'ALTER TABLE "Label" ADD CONSTRAINT "Label_labelId_instanceId_key" UNIQUE ("labelId", "instanceId");'));
    assert.ok(isSchemaSource('hasura/migrations/default/1700000000000_add_index/up.sql', cfg, 'CREATE INDEX a_x ON a (x);'));
    // A dated folder that is not under a migrations folder is a document (refly's specs/change/<date>-<name>/migration.sql).
    assert.ok(!isSchemaSource('specs/change/20260224-ptc-enabled-action-results/migration.sql', cfg, 'ALTER TABLE action_results ADD COLUMN ptc_enabled boolean;'));
    // Numbered files and folders that only read are query files.
    assert.ok(!isSchemaSource('sql/0004.sql', cfg, 'SELECT * FROM a WHERE id = $1'));
    assert.ok(!isSchemaSource('reports/2024_q1/top.sql', cfg, 'SELECT * FROM a; -- DROP TABLE a'));
    // A file in a numbered folder that only writes data is not a schema source (a report's backfill, not DDL).
    assert.ok(!isSchemaSource('reports/2024_q1/fix.sql', cfg, "UPDATE a SET x = 1 WHERE id = 2"));
    // The whole folder, in order: a later index-only file adds its index, a later drop removes one.
    const s = project({
      'packages/db/0001-init.sql': 'create table tv (id int primary key, template_id int, project_id int);\ncreate index tv_project on tv (project_id);',
      'packages/db/0002.sql': 'drop index tv_project;',
      'packages/db/0010.sql': 'create index tv_template on tv (template_id);',
    }).schema();
    assert.deepEqual(indexes(table(s, 'tv')), ['tv_pkey primary (id)', 'tv_template index (template_id)']);
  });

  it('copies under docs/, examples/, reference/, __fixtures__/ are not the schema (configurable)', () => {
    assert.ok(!isSchemaSource('docs/reference/schema.prisma', cfg));
    assert.ok(!isSchemaSource('examples/blog/migrations/1_init.sql', cfg));
    assert.ok(!isSchemaSource('src/__fixtures__/schema.sql', cfg));
    const c = parseConfig({ schema: { exclude: [] } }, ruleIds());
    assert.ok(isSchemaSource('docs/reference/schema.prisma', c));
    const explicit = parseConfig({ schema: { sources: ['docs/schema.sql'] } }, ruleIds());
    assert.ok(isSchemaSource('docs/schema.sql', explicit));
  });

  it('psql variables: placeholders keep statements readable; config values are substituted', () => {
    const sql = `CREATE TABLE :SCHEMA.users (id int PRIMARY KEY, role text DEFAULT :'role');
CREATE INDEX users_role ON :SCHEMA.users (role);
GRANT SELECT ON :SCHEMA.users TO :"reader";
SELECT '::not a var', x::int FROM (SELECT 1 AS x) s;`;
    const plain = project({ 'migrations/1.sql': sql }).schema();
    assert.deepEqual(plain.problems, []);
    assert.deepEqual(indexes(table(plain, 'users')), ['users_pkey primary (id)', 'users_role index (role)']);
    const set = project({ 'migrations/1.sql': sql }, parseConfig({ schema: { variables: { SCHEMA: 'app' } } }, ruleIds())).schema();
    assert.equal(table(set, 'users').schema, 'app');
    // Definitions still point into the file (the variable changed the length of the line).
    const ix = table(set, 'users').indexes.find((i) => i.name === 'users_role')!;
    assert.equal(sql.slice(ix.definedAt!.range.start, ix.definedAt!.range.start + 6), 'CREATE');
  });

  it('Prisma applies migration folders in lexicographic order of their names', () => {
    const s = project({
      'prisma/migrations/20230912150657_init/migration.sql': 'CREATE TABLE "User" (id int PRIMARY KEY, email text);',
      // 12-digit prefix: numerically smaller, lexicographically after — Prisma runs it second.
      'prisma/migrations/202310122339_email_index/migration.sql': 'CREATE INDEX "User_email_idx" ON "User" (email);',
    }).schema();
    assert.deepEqual(s.problems, []);
    assert.deepEqual(indexes(table(s, 'User')), ['User_email_idx index (email)', 'User_pkey primary (id)']);
  });

  it('multi-file Prisma schemas (prisma/schema/*.prisma)', () => {
    const s = project({
      'prisma/schema/base.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n',
      'prisma/schema/user.prisma': 'model User {\n  id Int @id\n  email String @unique\n  posts Post[]\n}\n',
      'prisma/schema/post.prisma': 'model Post {\n  id Int @id\n  authorId Int\n  author User @relation(fields: [authorId], references: [id])\n  @@index([authorId])\n}\n',
    }).schema();
    assert.deepEqual(indexes(table(s, 'Post')), ['Post_authorId_idx index (authorId)', 'Post_pkey primary (id)']);
    assert.deepEqual(indexes(table(s, 'User')), ['User_email_key unique (email)', 'User_pkey primary (id)']);
  });
});

describe('schema scopes in monorepos', () => {
  before(() => initParser());

  const files = {
    'package.json': '{ "name": "mono", "private": true, "workspaces": ["services/*", "packages/*"] }',
    'services/billing/package.json': '{ "name": "billing" }',
    'services/billing/migrations/001_init.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text);\nCREATE INDEX users_email ON users (email);',
    'services/billing/src/q.ts': "import { Pool } from 'pg';\nconst pool = new Pool();\nexport const q = (e: string) => pool.query('SELECT id FROM users WHERE email = $1', [e]);",
    'services/auth/package.json': '{ "name": "auth" }',
    'services/auth/migrations/001_init.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text);',
    'services/auth/src/q.ts': "import { Pool } from 'pg';\nconst pool = new Pool();\nexport const q = (e: string) => pool.query('SELECT id FROM users WHERE email = $1', [e]);",
    'packages/db/package.json': '{ "name": "@mono/db" }',
    'packages/db/src/schema.ts': "import { pgTable, integer, text } from 'drizzle-orm/pg-core';\nexport const events = pgTable('events', { id: integer('id').primaryKey(), kind: text('kind') });",
    'services/web/package.json': '{ "name": "web", "dependencies": { "@mono/db": "workspace:*" } }',
    'services/web/src/q.ts': 'export const x = 1;',
    'tools/package.json': '{ "name": "tools" }',
    'tools/src/q.ts': 'export const x = 1;',
  };

  it('a service sees its own schema, never a sibling service\'s', () => {
    const p = project(files);
    assert.deepEqual(p.schemaScope('services/auth/src/q.ts'), { packages: ['services/auth'], reason: 'own' });
    assert.deepEqual(indexes(table(p.schema('services/auth/src/q.ts'), 'users')), ['users_pkey primary (id)']);
    assert.deepEqual(indexes(table(p.schema('services/billing/src/q.ts'), 'users')), ['users_email index (email)', 'users_pkey primary (id)']);
  });

  it('code in a package without a schema uses the schema of the workspace package it depends on; otherwise none', () => {
    const p = project(files);
    assert.deepEqual(p.schemaScope('services/web/src/q.ts'), { packages: ['packages/db'], reason: 'dependency' });
    assert.ok(p.schema('services/web/src/q.ts').tables.has('public.events'));
    assert.deepEqual(p.schemaScope('tools/src/q.ts'), { packages: [], reason: 'none' });
    assert.equal(p.schema('tools/src/q.ts').tables.size, 0);
  });

  it('the unindexed-predicate finding of one service does not use the sibling\'s index', () => {
    const p = project(files);
    const auth = p.analyze('services/auth/src/q.ts', ['unindexed-predicate']).findings;
    const billing = p.analyze('services/billing/src/q.ts', ['unindexed-predicate']).findings;
    assert.equal(auth.length, 1);
    assert.match(auth[0].message, /users\.email/);
    // Its migration fix goes into the service's own migrations folder.
    assert.deepEqual(auth[0].fixes.filter((f) => f.safety === 'safe').flatMap((f) => f.edits.map((e) => e.file)), ['services/auth/migrations/002_add_idx_users_email.sql']);
    assert.equal(billing.length, 0);
  });

  it('a file that runs queries without any schema gets the missing-schema explanation naming the silent rules', () => {
    const p = project({
      'src/q.ts': "import { Pool } from 'pg';\nconst pool = new Pool();\nexport const q = () => pool.query('SELECT id FROM users WHERE email = $1', ['x']);",
      'src/noquery.ts': 'export const x = 1;',
    });
    const msg = p.missingSchema('src/q.ts');
    assert.ok(msg);
    assert.match(msg, /unindexed-predicate stays silent/);
    assert.match(msg, /"schema": \{ "sources"/);
    assert.equal(p.missingSchema('src/noquery.ts'), undefined);
    // Said once per package, at its first file that runs queries.
    const once = missingSchemaProblems(['src/noquery.ts', 'src/q.ts', 'src/q.ts'].map((f) => [f, p.analyze(f)]));
    assert.deepEqual(once.map((x) => [x.kind, x.file]), [['schema', 'src/q.ts']]);
    const withSchema = project({ 'src/q.ts': 'x', 'migrations/1.sql': 'CREATE TABLE users (id int);' });
    assert.equal(withSchema.missingSchema('src/q.ts'), undefined);
  });

  describe('a Drizzle Kit config links schema files to its migrations folder', () => {
    // The dokploy layout: the config sits in server/db/ of the app, its paths resolve against the app's
    // folder (where drizzle-kit runs), its schema re-exports the tables of a workspace package.
    const linked = (extra: Record<string, string> = {}): Record<string, string> => ({
      'packages/server/package.json': '{ "name": "@acme/server", "exports": { "./db/schema": "./src/db/schema/index.ts" } }',
      'packages/server/src/db/schema/index.ts': "export * from './project';",
      'packages/server/src/db/schema/project.ts': "import { pgTable, text } from 'drizzle-orm/pg-core';\nexport const project = pgTable('project', { id: text('id').primaryKey(), organizationId: text('organizationId') });",
      'packages/server/auth-schema2.ts': "import { index, pgTable, text } from 'drizzle-orm/pg-core';\nexport const member = pgTable('member', { id: text('id').primaryKey(), userId: text('user_id') }, (t) => [index('member_userId_idx').on(t.userId)]);",
      'apps/web/package.json': '{ "name": "web", "dependencies": { "@acme/server": "workspace:*" } }',
      'apps/web/server/db/schema/index.ts': "export * from '@acme/server/db/schema';",
      'apps/web/server/db/drizzle.config.ts': "import { defineConfig } from 'drizzle-kit';\nexport default defineConfig({ schema: './server/db/schema/index.ts', dialect: 'postgresql', out: 'drizzle' });",
      'apps/web/drizzle/0000_init.sql': 'CREATE TABLE "project" ("id" text PRIMARY KEY, "organizationId" text);',
      'apps/web/drizzle/0001_hand.sql': 'CREATE INDEX "idx_project_organization" ON "project" ("organizationId");',
      ...extra,
    });

    it('the package holding the schema files sees the migrations of `out`', () => {
      const s = project(linked()).schema('packages/server/src/services/project.ts');
      assert.ok(indexes(table(s, 'project')).includes('idx_project_organization index (organizationId)'));
    });

    it('a table file no config names and no code imports is not a schema source; an imported one is', () => {
      const left = project(linked()).schema('packages/server/src/services/project.ts');
      assert.ok(![...left.tables.values()].some((t) => t.name === 'member'));
      const used = project(linked({ 'packages/server/src/auth.ts': "import * as s from '../auth-schema2';\nexport const schema = s;" })).schema('packages/server/src/services/project.ts');
      assert.deepEqual(indexes(table(used, 'member')), ['member_pkey primary (id)', 'member_userId_idx index (user_id)']);
    });

    it('a config whose schema is not a literal leaves every table file a source', () => {
      const s = project(linked({ 'apps/web/server/db/drizzle.config.ts': "import { defineConfig } from 'drizzle-kit';\nexport default defineConfig({ schema: SCHEMA, dialect: 'postgresql', out: 'drizzle' });" })).schema('packages/server/src/services/project.ts');
      assert.ok([...s.tables.values()].some((t) => t.name === 'member'));
    });
  });

  describe('entities in one package, the migrations that create their tables in another (one database)', () => {
    // The omnivore layout: packages/api's TypeORM entities (no schema, SnakeNamingStrategy), packages/db's SQL migrations.
    const entity = (cls: string, table: string, cols: string): string =>
      `import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';\n@Entity({ name: '${table}' })\nexport class ${cls} {\n  @PrimaryGeneratedColumn('uuid') id!: string;\n${cols}\n}`;
    const api = {
      'packages/api/package.json': '{ "name": "@r/api" }',
      'packages/api/src/entity/account.ts': entity('Account', 'account', "  @Column('text') email!: string;"),
      'packages/api/src/entity/item.ts': entity('Item', 'item', "  @Column('uuid') accountId!: string;\n  @Column('text') originalUrl!: string;"),
      'packages/api/src/entity/tag.ts': entity('Tag', 'tag', "  @Column('uuid') accountId!: string;\n  @Column('text') name!: string;"),
    };
    const db = (dir: string, extra = ''): Record<string, string> => ({
      [`${dir}/package.json`]: `{ "name": "@r/${dir.replace(/\W/g, '')}" }`,
      [`${dir}/migrations/0001.do.init.sql`]:
        'CREATE SCHEMA app;\nCREATE TABLE app.account (id uuid PRIMARY KEY, email text);\nCREATE TABLE app.item (id uuid PRIMARY KEY, account_id uuid, original_url text);\n' +
        'CREATE INDEX item_account_id_idx ON app.item (account_id);\nCREATE TABLE app.tag (id uuid PRIMARY KEY, account_id uuid, name text);' + extra,
    });
    const itemOf = (p: Project): TableInfo => table(p.schema('packages/api/src/q.ts'), 'item');

    it('the migrations are the database: their tables, schema and indexes; the entities give model and field names', () => {
      const p = project({ ...api, ...db('packages/db') });
      const item = itemOf(p);
      assert.equal(item.schema, 'app');
      assert.equal(item.modelName, 'Item');
      assert.deepEqual(indexes(item), ['item_account_id_idx index (account_id)', 'item_pkey primary (id)']);
      assert.equal(item.columns.get('account_id')?.fieldName, 'accountId');
      assert.equal(item.columns.get('original_url')?.fieldName, 'originalUrl');
      assert.ok(![...p.schema('packages/api/src/q.ts').tables.values()].some((t) => t.schema === 'public'));
    });

    it('not linked to another database sharing a table or two, nor when two packages\' migrations qualify', () => {
      const other = {
        'services/billing/package.json': '{ "name": "billing" }',
        'services/billing/migrations/0001.do.init.sql': 'CREATE TABLE account (id uuid PRIMARY KEY, email text);\nCREATE TABLE invoice (id uuid PRIMARY KEY);\nCREATE TABLE item (id uuid PRIMARY KEY, sku text);',
      };
      const alone = project({ ...api, ...other });
      assert.equal(itemOf(alone).schema, 'public');
      assert.deepEqual(indexes(itemOf(alone)).map((i) => i.replace(/_\w+ /, ' ')), ['PK primary (id)']);
      const two = project({ ...api, ...db('packages/db'), ...db('packages/db-copy') });
      assert.equal(itemOf(two).schema, 'public');
    });

    it('`schema.links` in the configuration decides instead: a package named there is linked only as written', () => {
      const cfg = (links: Record<string, string[]>) => parseConfig({ schema: { links } }, ruleIds());
      const off = project({ ...api, ...db('packages/db') }, cfg({ 'packages/api': [] }));
      assert.equal(itemOf(off).schema, 'public');
      const two = project({ ...api, ...db('packages/db'), ...db('packages/db-copy', '\nCREATE INDEX item_url_idx ON app.item (original_url);') }, cfg({ 'packages/api/': ['./packages/db-copy'] }));
      assert.ok(indexes(itemOf(two)).includes('item_url_idx index (original_url)'));
    });
  });
});
