import assert from 'node:assert/strict';
import { defaultConfig } from '../../engine/config';
import { buildSchema, findColumn, findModel, findTable, type SchemaModel } from '../../engine/schema';
import { initParser } from '../../engine/sql/parser';
import type { SourceFile } from '../../engine/types';

const SCHEMA = `// This is your Prisma schema file
generator client {
  provider        = "prisma-client-js"
  previewFeatures = ["multiSchema", "views"]
}

datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL") // comment after a value
  schemas  = ["public", "billing"]
}

/// A person who can sign in.
/// Docs with braces { } and @@index([ignored]) in them.
model User {
  id        Int      @id @default(autoincrement())
  email     String   @unique(map: "users_email_unique") @db.VarChar(320)
  name      String?  @db.Text
  createdAt DateTime @default(now()) @map("created_at")
  updatedAt DateTime @updatedAt @map(name: "updated_at")
  role      Role     @default(USER)
  settings  Json?
  avatar    Bytes?
  balance   Decimal  @db.Decimal(12, 2)
  tags      String[]
  posts     Post[]
  profile   Profile?

  @@index([createdAt(sort: Desc)], map: "users_created_idx")
  @@map("users")
}

model Post {
  id        BigInt   @id @default(autoincrement())
  title     String   @default("a // not a comment")
  authorId  Int      @map("author_id")
  author    User     @relation(fields: [authorId], references: [id], onDelete: Cascade)
  slug      String
  tenant    String   @db.Uuid
  published Boolean  @default(false)

  @@unique([tenant, slug])
  @@index(
    [authorId, published],
    type: BTree
  )
  @@index([title], type: Hash, name: "post_title_hash")
}

model Profile {
  /**
   * A block comment inside a model.
   */
  userId Int  @unique @map("user_id") /* trailing */
  user   User @relation(fields: [userId], references: [id])
  bio    String
}

model Membership {
  orgId  String @map("org_id")
  userId Int    @map("user_id")
  kind   String @default("member")

  @@id([orgId, userId])
  @@schema("billing")
}

view UserStats {
  userId Int @unique
  posts  Int
}

enum Role {
  USER
  ADMIN // comment

  @@map("user_role")
}
`;

function build(files: SourceFile[]): SchemaModel {
  return buildSchema(files, defaultConfig());
}

describe('schema discovery (Prisma)', () => {
  before(() => initParser());

  it('maps models to tables with @@map, @map, @@schema and PostgreSQL types', () => {
    const m = build([{ path: 'prisma/schema.prisma', text: SCHEMA }]);
    assert.deepEqual(m.problems, []);
    const users = findTable(m, 'users')!;
    assert.equal(users.origin, 'prisma');
    assert.equal(users.modelName, 'User');
    assert.equal(findModel(m, 'User'), users);
    const types = Object.fromEntries([...users.columns.values()].map((c) => [c.name, `${c.type}${c.notNull ? '!' : ''}`]));
    assert.deepEqual(types, {
      id: 'int4!',
      email: 'varchar!',
      name: 'text',
      created_at: 'timestamp!',
      updated_at: 'timestamp!',
      role: 'user_role!',
      settings: 'jsonb',
      avatar: 'bytea',
      balance: 'numeric!',
      tags: 'text[]',
    });
    assert.equal(users.columns.get('created_at')!.fieldName, 'createdAt');
    assert.equal(findColumn(users, 'createdAt'), users.columns.get('created_at'));
    assert.ok(m.tables.has('billing.Membership'));
    assert.equal(findTable(m, 'UserStats'), undefined, 'views are not tables');
    const post = findTable(m, 'Post')!;
    assert.equal(post.columns.get('id')!.type, 'int8');
    assert.equal(post.columns.get('tenant')!.type, 'uuid');
    assert.equal(post.columns.get('title')!.type, 'text');
  });

  it('reads @id, @@id, @unique, @@unique and @@index (map:, name:, sort, type, multi-line)', () => {
    const m = build([{ path: 'prisma/schema.prisma', text: SCHEMA }]);
    const summary = (t: string) =>
      findTable(m, t)!
        .indexes.map((i) => `${i.kind} ${i.name} (${i.keys.map((k) => k.column).join(',')}) ${i.method}`)
        .sort();
    assert.deepEqual(summary('users'), [
      'index users_created_idx (created_at) btree',
      'primary users_pkey (id) btree',
      'unique users_email_unique (email) btree',
    ]);
    assert.deepEqual(summary('Post'), [
      'index Post_author_id_published_idx (author_id,published) btree',
      'index post_title_hash (title) hash',
      'primary Post_pkey (id) btree',
      'unique Post_tenant_slug_key (tenant,slug) btree',
    ]);
    assert.deepEqual(summary('Profile'), ['unique Profile_user_id_key (user_id) btree']);
    // Prisma cuts long default names so that `_key` still fits in 63 bytes.
    const long = build([{ path: 'schema.prisma', text: 'model WebhookEndpoint {\n  runtimeEnvironmentId String\n  handlerWebhookId String\n  endpointTenantId String\n  @@unique([runtimeEnvironmentId, handlerWebhookId, endpointTenantId])\n}\n' }]);
    assert.deepEqual(findTable(long, 'WebhookEndpoint')!.indexes.map((i) => i.name), ['WebhookEndpoint_runtimeEnvironmentId_handlerWebhookId_endpo_key']);
    assert.deepEqual(findTable(m, 'Membership', 'billing')!.indexes.map((i) => [i.name, i.kind, i.keys.map((k) => k.column)]), [['Membership_pkey', 'primary', ['org_id', 'user_id']]]);
  });

  it('makes relation fields no columns, keeps their scalar FK fields, and does not index them', () => {
    const m = build([
      {
        path: 'prisma/schema.prisma',
        text: 'model Author {\n  id Int @id\n  books Book[]\n}\nmodel Book {\n  id Int @id\n  authorId Int\n  author Author @relation(fields: [authorId], references: [id])\n}\n',
      },
    ]);
    const book = findTable(m, 'Book')!;
    assert.deepEqual([...book.columns.keys()], ['id', 'authorId']);
    assert.ok(!book.indexes.some((i) => i.keys.some((k) => k.column === 'authorId')));
    assert.deepEqual([...findTable(m, 'Author')!.columns.keys()], ['id']);
  });

  it('records foreign keys from @relation(fields, references) with mapped names, and adds them to SQL tables that lack them', () => {
    const m = build([{ path: 'prisma/schema.prisma', text: SCHEMA }]);
    const fk = (t: string) => (findTable(m, t)?.foreignKeys ?? []).map((f) => `${f.name}: ${f.columns.join(',')} -> ${f.refSchema}.${f.refTable}(${f.refColumns.join(',')})`);
    assert.deepEqual(fk('Post'), ['Post_author_id_fkey: author_id -> public.users(id)']);
    assert.deepEqual(fk('Profile'), ['Profile_user_id_fkey: user_id -> public.users(id)']);
    assert.deepEqual(fk('users'), [], 'the list side of a relation holds no key');
    const rel = findTable(m, 'Post')!.foreignKeys![0].definedAt!;
    assert.equal(SCHEMA.slice(rel.range.start, rel.range.end), '@relation(fields: [authorId], references: [id], onDelete: Cascade)');
    // relationMode = "prisma": the migration has no constraint, the relation still joins the tables.
    const merged = build([
      { path: 'prisma/migrations/1_init/migration.sql', text: 'CREATE TABLE "A" ("id" INT PRIMARY KEY);\nCREATE TABLE "B" ("id" INT PRIMARY KEY, "a_id" INT, CONSTRAINT "B_a_fk" FOREIGN KEY ("a_id") REFERENCES "A"("id"));\nCREATE TABLE "C" ("id" INT PRIMARY KEY, "a_id" INT);' },
      { path: 'prisma/schema.prisma', text: 'model A {\n  id Int @id\n  bs B[]\n  cs C[]\n}\nmodel B {\n  id Int @id\n  aId Int @map("a_id")\n  a A @relation(fields: [aId], references: [id])\n}\nmodel C {\n  id Int @id\n  aId Int @map("a_id")\n  a A @relation(fields: [aId], references: [id], map: "c_a")\n}\n' },
    ]);
    const names = (t: string) => (findTable(merged, t)?.foreignKeys ?? []).map((f) => f.name);
    assert.deepEqual(names('B'), ['B_a_fk']);
    assert.deepEqual(names('C'), ['c_a']);
    const bad = build([{ path: 'schema.prisma', text: 'model A {\n  id Int @id\n  b B @relation(fields: [nope], references: [id])\n}\nmodel B {\n  id Int @id\n  as A[]\n}\n' }]);
    assert.equal(bad.problems.length, 1);
    assert.deepEqual(findTable(bad, 'A')!.foreignKeys ?? [], []);
  });

  it('records where models, fields and index attributes are', () => {
    const m = build([{ path: 'prisma/schema.prisma', text: SCHEMA }]);
    const users = findTable(m, 'users')!;
    const at = (r: { start: number; end: number }) => SCHEMA.slice(r.start, r.end);
    assert.match(at(users.definedAt!.range), /^model User \{[\s\S]*@@map\("users"\)\n\}$/);
    assert.equal(at(users.columns.get('created_at')!.definedAt!.range), 'createdAt');
    assert.equal(at(users.indexes.find((i) => i.name === 'users_created_idx')!.definedAt!.range), '@@index([createdAt(sort: Desc)], map: "users_created_idx")');
  });

  it('reports a broken line and an @@index on an unknown field as problems, keeping the rest', () => {
    const text = 'model A {\n  id Int @id\n  ??? what\n  b String\n  @@index([nope])\n}\n';
    const m = build([{ path: 'schema.prisma', text }]);
    assert.deepEqual([...findTable(m, 'A')!.columns.keys()], ['id', 'b']);
    assert.deepEqual(
      m.problems.map((p) => p.line),
      [3, 5],
    );
  });

  it('reads a single field without brackets (`@@index(b)`) as `@@index([b])`, and a bracketless unknown one as a problem', () => {
    const text = 'model A {\n  id Int @id\n  b String\n  @@index(b)\n  @@unique(b, map: "a_b_uq")\n  @@index(nope)\n}\n';
    const m = build([{ path: 'schema.prisma', text }]);
    const idx = findTable(m, 'A')!.indexes.map((i) => `${i.name}: ${i.keys.map((k) => k.column).join(',')}`);
    assert.deepEqual(idx, ['A_pkey: id', 'A_b_idx: b', 'a_b_uq: b']);
    assert.deepEqual(m.problems.map((p) => p.message), ['model A: @@index names unknown field(s) nope; ignored']);
  });

  it('merges with Prisma migrations: SQL is the truth for indexes, the model adds its name and field names', () => {
    const m = build([
      {
        path: 'prisma/migrations/20240101120000_init/migration.sql',
        text: `CREATE TABLE "users" ("id" SERIAL NOT NULL, "email" VARCHAR(320) NOT NULL, "created_at" TIMESTAMP(3) NOT NULL, CONSTRAINT "users_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "users_email_unique" ON "users"("email");`,
      },
      { path: 'prisma/schema.prisma', text: 'model User {\n  id Int @id @default(autoincrement())\n  email String @unique(map: "users_email_unique")\n  createdAt DateTime @map("created_at")\n  @@index([createdAt])\n  @@map("users")\n}\n' },
    ]);
    const users = findModel(m, 'User')!;
    assert.equal(users.name, 'users');
    assert.equal(users.origin, 'sql');
    assert.equal(users.definedAt!.file, 'prisma/migrations/20240101120000_init/migration.sql');
    assert.equal(users.modelDefinedAt!.file, 'prisma/schema.prisma');
    assert.equal(findColumn(users, 'createdAt')!.name, 'created_at');
    // The @@index exists in schema.prisma only: no migration created it, so the database does not have it.
    assert.deepEqual(users.indexes.map((i) => i.name).sort(), ['users_email_unique', 'users_pkey']);
    assert.deepEqual(m.sources, ['prisma/migrations/20240101120000_init/migration.sql', 'prisma/schema.prisma']);
  });

  it('reads a multi-file Prisma schema whose models refer across files', () => {
    const m = build([
      { path: 'prisma/schema/user.prisma', text: 'model User {\n  id Int @id\n  posts Post[]\n}\n' },
      { path: 'prisma/schema/post.prisma', text: 'model Post {\n  id Int @id\n  userId Int\n  user User @relation(fields: [userId], references: [id])\n  @@index([userId])\n}\n' },
    ]);
    assert.deepEqual([...findTable(m, 'Post')!.columns.keys()], ['id', 'userId']);
    assert.deepEqual([...findTable(m, 'User')!.columns.keys()], ['id']);
    assert.ok(findTable(m, 'Post')!.indexes.some((i) => i.name === 'Post_userId_idx'));
  });

  it('skips Prisma schemas for other databases (provider or path), keeping the PostgreSQL one', () => {
    const m = build([
      { path: 'prisma/schema.prisma', text: 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\nmodel A {\n  id Int @id\n}\n' },
      { path: 'db/legacy/schema.prisma', text: 'datasource db {\n  provider = "mysql" // old\n  url = env("DATABASE_URL")\n}\nmodel B {\n  id Int @id\n}\n' },
      { path: 'db/sqlite/schema.prisma', text: 'model C {\n  id Int @id\n}\n' },
    ]);
    assert.deepEqual([...m.tables.keys()], ['public.A']);
    assert.deepEqual(m.sources, ['prisma/schema.prisma']);
    assert.deepEqual(
      m.problems.map((p) => p.file).sort(),
      ['db/legacy/schema.prisma', 'db/sqlite/schema.prisma'],
    );
  });

  it('never throws on truncated or garbled schema text', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 80; i++) {
      const a = rand(SCHEMA.length);
      const b = a + rand(SCHEMA.length - a);
      const garbled = SCHEMA.slice(0, a) + '"{[(@@' .slice(rand(6)) + SCHEMA.slice(b);
      const m = build([{ path: 'prisma/schema.prisma', text: garbled }, { path: 'migrations/1.sql', text: garbled }]);
      assert.ok(Array.isArray(m.problems));
    }
  });
});
