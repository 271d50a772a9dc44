import assert from 'node:assert/strict';
import { defaultConfig, type QuerylensConfig } from '../../engine/config';
import { buildSchema, DISCOVERED_SCHEMA_GLOBS, findTable, isSchemaSource, orderSchemaFiles, sourceKind, type IndexInfo, type SchemaModel } from '../../engine/schema';
import { Project } from '../../engine/project';
import { initParser } from '../../engine/sql/parser';
import type { SourceFile } from '../../engine/types';

function build(files: SourceFile[], config: QuerylensConfig = defaultConfig()): SchemaModel {
  return buildSchema(files, config);
}

function one(sql: string, path = 'migrations/0001_init.sql'): SchemaModel {
  return build([{ path, text: sql }]);
}

function idx(m: SchemaModel, table: string, name: string): IndexInfo | undefined {
  return findTable(m, table)?.indexes.find((i) => i.name === name);
}

function indexNames(m: SchemaModel, table: string): string[] {
  return (findTable(m, table)?.indexes ?? []).map((i) => i.name).sort();
}

describe('schema discovery (SQL)', () => {
  before(() => initParser());

  it('creates tables with normalised column types and NOT NULL', () => {
    const m = one(`
      create table users (
        id serial primary key,
        big bigserial,
        email varchar(255) not null,
        name character varying,
        bio text,
        data jsonb,
        avatar bytea,
        ext_id uuid,
        created_at timestamp with time zone default now(),
        plain_ts timestamp(3),
        flag boolean,
        score double precision,
        amount decimal(10,2),
        tags text[],
        n integer
      );`);
    const t = findTable(m, 'users')!;
    const types = Object.fromEntries([...t.columns.values()].map((c) => [c.name, c.type]));
    assert.deepEqual(types, {
      id: 'int4',
      big: 'int8',
      email: 'varchar',
      name: 'varchar',
      bio: 'text',
      data: 'jsonb',
      avatar: 'bytea',
      ext_id: 'uuid',
      created_at: 'timestamptz',
      plain_ts: 'timestamp',
      flag: 'bool',
      score: 'float8',
      amount: 'numeric',
      tags: 'text[]',
      n: 'int4',
    });
    assert.equal(t.columns.get('id')!.notNull, true);
    assert.equal(t.columns.get('email')!.notNull, true);
    assert.equal(t.columns.get('bio')!.notNull, false);
    assert.deepEqual(m.problems, []);
  });

  it('records PRIMARY KEY and UNIQUE constraints as indexes with PostgreSQL default names; a foreign key creates none', () => {
    const m = one(`
      create table orgs (id int8 primary key);
      create table members (
        id int8 not null,
        org_id int8 not null references orgs(id),
        email text unique,
        a int, b int,
        constraint members_pk primary key (id),
        unique (a, b),
        foreign key (a) references orgs(id)
      );`);
    assert.deepEqual(indexNames(m, 'orgs'), ['orgs_pkey']);
    const members = findTable(m, 'members')!;
    assert.deepEqual(
      members.indexes.map((i) => [i.name, i.kind, i.keys.map((k) => k.column).join(',')]).sort(),
      [
        ['members_a_b_key', 'unique', 'a,b'],
        ['members_email_key', 'unique', 'email'],
        ['members_pk', 'primary', 'id'],
      ],
    );
    assert.ok(!members.indexes.some((i) => i.keys.some((k) => k.column === 'org_id')), 'FK column org_id must not be indexed');
  });

  it('keeps quoted names case-sensitive and folds unquoted ones; keys tables schema.name', () => {
    const m = one(`
      CREATE TABLE "User" ("Id" TEXT NOT NULL, "createdAt" TIMESTAMP(3), Email TEXT, CONSTRAINT "User_pkey" PRIMARY KEY ("Id"));
      CREATE SCHEMA billing;
      CREATE TABLE billing.Invoices (id int);
      CREATE INDEX "User_createdAt_idx" ON "User"("createdAt");`);
    assert.ok(m.tables.has('public.User'));
    assert.ok(m.tables.has('billing.invoices'));
    assert.equal(findTable(m, 'user'), undefined);
    const u = findTable(m, 'User')!;
    assert.deepEqual([...u.columns.keys()], ['Id', 'createdAt', 'email']);
    assert.deepEqual(idx(m, 'User', 'User_createdAt_idx')!.keys, [{ column: 'createdAt' }]);
    assert.equal(findTable(m, 'invoices')!.schema, 'billing');
    assert.equal(findTable(m, 'invoices', 'public'), undefined);
  });

  it('renames a column, then indexes it under the new name (and keeps indexes made before the rename)', () => {
    const m = build([
      { path: 'migrations/001_users.sql', text: 'create table users (id int primary key, mail text);\ncreate index users_mail_lower on users (lower(mail));\ncreate index users_mail on users (mail);' },
      { path: 'migrations/002_rename.sql', text: 'alter table users rename column mail to email;\ncreate unique index users_email_uq on users (email);' },
    ]);
    const t = findTable(m, 'users')!;
    assert.ok(t.columns.has('email') && !t.columns.has('mail'));
    assert.deepEqual(idx(m, 'users', 'users_email_uq')!.keys, [{ column: 'email' }]);
    assert.equal(idx(m, 'users', 'users_email_uq')!.kind, 'unique');
    assert.deepEqual(idx(m, 'users', 'users_mail')!.keys, [{ column: 'email' }]);
    assert.deepEqual(idx(m, 'users', 'users_mail_lower')!.keys, [{ expression: 'lower(email)' }]);
    assert.deepEqual(m.problems, []);
  });

  it('renames a table, then indexes it; indexes follow the table', () => {
    const m = one(`
      create table account (id int primary key, email text);
      alter table account rename to accounts;
      create index accounts_email_idx on accounts (email);`);
    assert.equal(findTable(m, 'account'), undefined);
    assert.deepEqual(indexNames(m, 'accounts'), ['account_pkey', 'accounts_email_idx']);
    assert.equal(findTable(m, 'accounts')!.definedAt!.file, 'migrations/0001_init.sql');
  });

  it('drops indexes (IF EXISTS, several names, schema-qualified) and renames them', () => {
    const m = one(`
      create table t (a int, b int, c int);
      create index t_a on t (a);
      create index t_b on t (b);
      create index t_c on t (c);
      alter index t_c rename to t_c_renamed;
      drop index if exists t_a, public.t_b cascade;
      drop index if exists does_not_exist;`);
    assert.deepEqual(indexNames(m, 't'), ['t_c_renamed']);
    assert.deepEqual(m.problems, []);
  });

  it('reads an expression index lower(email) with the same key exprKey gives a predicate', () => {
    const m = one('create table users (email text);\ncreate index users_lower_email on users (lower(email));');
    const i = idx(m, 'users', 'users_lower_email')!;
    assert.deepEqual(i.keys, [{ expression: 'lower(email)' }]);
    assert.equal(i.kind, 'index');
    assert.equal(i.method, 'btree');
  });

  it('reads a partial index predicate as canonical text', () => {
    const m = one(`create table jobs (id int, status text, deleted_at timestamptz, attempts int);
      create index jobs_pending on jobs (status) where deleted_at IS NULL AND (status = 'pending' OR attempts > 3);`);
    assert.equal(idx(m, 'jobs', 'jobs_pending')!.predicate, "((deleted_at is null) and ((status = 'pending') or (attempts > 3)))");
  });

  it('reads composite, INCLUDE with WITH (fillfactor), USING gin, CONCURRENTLY IF NOT EXISTS, ON ONLY, unique', () => {
    const m = one(`
      create table events (id int8, org_id int8, created_at timestamptz, payload jsonb, title text) partition by range (created_at);
      create index concurrently if not exists events_org_created on events (org_id, created_at desc) include (title) with (fillfactor = 70);
      create index events_payload on events using gin (payload jsonb_path_ops);
      create unique index events_id_created on only events (id, created_at);
      create index if not exists events_org_created on events (title);`);
    const comp = idx(m, 'events', 'events_org_created')!;
    assert.deepEqual(comp.keys, [{ column: 'org_id' }, { column: 'created_at' }], 'IF NOT EXISTS must not replace an existing index');
    assert.deepEqual(comp.include, ['title']);
    assert.equal(idx(m, 'events', 'events_payload')!.method, 'gin');
    assert.deepEqual(idx(m, 'events', 'events_payload')!.keys, [{ column: 'payload', opclass: 'jsonb_path_ops' }]);
    assert.equal(idx(m, 'events', 'events_id_created')!.kind, 'unique');
    assert.deepEqual(m.problems, []);
  });

  it('alters column types (with USING), NOT NULL, adds/drops columns, and drops the indexes on a dropped column', () => {
    const m = one(`
      create table t (id int, amount text, note text, gone int, keep int);
      create index t_gone_keep on t (keep, gone);
      create index t_keep on t (keep) include (gone);
      create index t_keep2 on t (keep);
      alter table t alter column amount type numeric(12,2) using amount::numeric, alter column note set not null;
      alter table t add column if not exists created_at timestamptz not null default now(), add column code text unique;
      alter table t drop column gone;`);
    const t = findTable(m, 't')!;
    assert.equal(t.columns.get('amount')!.type, 'numeric');
    assert.equal(t.columns.get('note')!.notNull, true);
    assert.equal(t.columns.get('created_at')!.notNull, true);
    assert.ok(!t.columns.has('gone'));
    assert.deepEqual(indexNames(m, 't'), ['t_code_key', 't_keep2']);
  });

  it('adds and drops constraints, including UNIQUE USING INDEX and RENAME CONSTRAINT', () => {
    const m = one(`
      create table t (id int, a int, b int);
      alter table t add primary key (id);
      create unique index concurrently t_a_idx on t (a);
      alter table t add constraint t_a_unique unique using index t_a_idx;
      alter table t add constraint t_b_key unique (b);
      alter table t rename constraint t_b_key to t_b_unique;
      alter table t drop constraint if exists t_pkey;
      alter table t drop constraint t_some_fk;`);
    assert.deepEqual(indexNames(m, 't'), ['t_a_unique', 't_b_unique']);
    assert.equal(idx(m, 't', 't_a_unique')!.kind, 'unique');
  });

  it('records foreign keys: REFERENCES on a column, table FOREIGN KEY, ALTER TABLE ADD [CONSTRAINT], to the primary key when no columns', () => {
    const sql = `
      create schema billing;
      create table users (id bigserial primary key, org_id bigint);
      create table orgs (id bigint, region text, primary key (id));
      create table billing.accounts ("Id" bigint primary key, owner_id bigint references users);
      create table orders (
        id bigserial primary key,
        user_id bigint not null references users (id) on delete cascade,
        account_id bigint,
        parent_id bigint references orders,
        constraint orders_account_fk foreign key (account_id) references billing.accounts ("Id")
      );
      create table order_items (order_id bigint, line int, primary key (order_id, line));
      create table shipments (order_id bigint, line int, foreign key (order_id, line) references order_items);
      alter table users add constraint users_org_fk foreign key (org_id) references orgs (id) not valid;
      alter table only orgs add foreign key (region) references regions;
      alter table users add column manager_id bigint references users (id);`;
    const m = one(sql);
    const fks = (t: string) => (findTable(m, t)?.foreignKeys ?? []).map((f) => `${f.name}: ${f.columns.join(',')} -> ${f.refSchema}.${f.refTable}(${f.refColumns.join(',')})`);
    assert.deepEqual(fks('orders'), [
      'orders_user_id_fkey: user_id -> public.users(id)',
      'orders_parent_id_fkey: parent_id -> public.orders(id)',
      'orders_account_fk: account_id -> billing.accounts(Id)',
    ]);
    assert.deepEqual(fks('accounts'), ['accounts_owner_id_fkey: owner_id -> public.users(id)']);
    assert.deepEqual(fks('shipments'), ['shipments_order_id_line_fkey: order_id,line -> public.order_items(order_id,line)']);
    assert.deepEqual(fks('users'), ['users_org_fk: org_id -> public.orgs(id)', 'users_manager_id_fkey: manager_id -> public.users(id)']);
    // A referenced table that is not known keeps its name as written, with no columns to join on.
    assert.deepEqual(fks('orgs'), ['orgs_region_fkey: region -> public.regions()']);
    const at = (r: { start: number; end: number }) => sql.slice(r.start, r.end);
    assert.equal(at(findTable(m, 'orders')!.foreignKeys![2].definedAt!.range), 'constraint orders_account_fk foreign key (account_id) references billing.accounts ("Id")');
    assert.equal(at(findTable(m, 'orders')!.foreignKeys![0].definedAt!.range), 'references users (id) on delete cascade');
    // Foreign keys create no index.
    assert.deepEqual(indexNames(m, 'orders'), ['orders_pkey']);
  });

  it('keeps foreign keys through renames, SET SCHEMA and partitions, and drops them with their constraint, column or table', () => {
    const m = one(`
      create table users (id bigint primary key, email text);
      create table teams (id bigint primary key);
      create table members (id bigint primary key, user_id bigint references users, team_id bigint references teams, inviter_id bigint references users);
      create table events (id bigint, user_id bigint references users, at timestamptz) partition by range (at);
      create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01');
      create table old (id bigint primary key);
      create table notes (id bigint, old_id bigint references old);
      alter table users rename to accounts;
      alter table accounts rename column id to account_id;
      alter table members rename column user_id to account_id;
      alter table members rename constraint members_team_id_fkey to members_team_fk;
      create schema app;
      alter table teams set schema app;
      alter table members drop constraint members_inviter_id_fkey;
      drop table old cascade;`);
    const fks = (t: string) => (findTable(m, t)?.foreignKeys ?? []).map((f) => `${f.name}: ${f.columns.join(',')} -> ${f.refSchema}.${f.refTable}(${f.refColumns.join(',')})`);
    assert.deepEqual(fks('members'), ['members_user_id_fkey: account_id -> public.accounts(account_id)', 'members_team_fk: team_id -> app.teams(id)']);
    assert.deepEqual(fks('events_2024'), ['events_user_id_fkey: user_id -> public.accounts(account_id)']);
    assert.deepEqual(fks('notes'), []);
    const m2 = one(`
      create table users (id bigint primary key);
      create table a (id bigint primary key, user_id bigint references users, other bigint);
      create table b (id bigint primary key, a_id bigint references a (id));
      alter table a drop column user_id;
      alter table a drop column id cascade;`);
    assert.deepEqual(findTable(m2, 'a')!.foreignKeys, []);
    assert.deepEqual(findTable(m2, 'b')!.foreignKeys, []);
    // A dump followed by the migration that made the same key keeps it once.
    const m3 = build([
      { path: 'db/schema.sql', text: 'create table u (id int primary key);\ncreate table p (id int primary key, u_id int, constraint p_u_fk foreign key (u_id) references u (id));' },
      { path: 'migrations/1_init.sql', text: 'create table u (id int primary key);\ncreate table p (id int primary key, u_id int);\nalter table p add constraint p_u_fk foreign key (u_id) references u (id);' },
    ]);
    assert.equal(findTable(m3, 'p')!.foreignKeys!.length, 1);
  });

  it('moves a table with SET SCHEMA and follows SET search_path', () => {
    const m = one(`
      create table t (id int);
      create schema archive;
      alter table t set schema archive;
      set search_path to app, public;
      create table widgets (id int);`);
    assert.ok(m.tables.has('archive.t'));
    assert.ok(!m.tables.has('public.t'));
    assert.ok(m.tables.has('app.widgets'));
  });

  it('drops tables (several names, IF EXISTS, CASCADE) and schemas with their tables', () => {
    const m = one('create table a (id int);\ncreate table b (id int);\ncreate table c (id int);\ndrop table if exists a, b, zzz cascade;\ncreate schema old;\ncreate table old.x (id int);\ndrop schema old cascade;');
    assert.deepEqual([...m.tables.keys()], ['public.c']);
  });

  it('reads partitioned tables, PARTITION OF and LIKE … INCLUDING ALL', () => {
    const m = one(`
      create table measurements (id int8 not null, taken_at timestamptz not null, v float8, primary key (id, taken_at)) partition by range (taken_at);
      create table measurements_2024 partition of measurements for values from ('2024-01-01') to ('2025-01-01');
      create table measurements_copy (like measurements including all);`);
    assert.deepEqual([...findTable(m, 'measurements')!.columns.keys()], ['id', 'taken_at', 'v']);
    assert.deepEqual([...findTable(m, 'measurements_2024')!.columns.keys()], ['id', 'taken_at', 'v']);
    assert.equal(findTable(m, 'measurements_2024')!.indexes[0].kind, 'primary');
    assert.deepEqual([...findTable(m, 'measurements_copy')!.columns.keys()], ['id', 'taken_at', 'v']);
    const later = one(`
      create table m (id int, at date) partition by range (at);
      create table m_2024 partition of m for values from ('2024-01-01') to ('2025-01-01');
      create index m_at on m (at);
      create index m_id on only m (id);`);
    assert.deepEqual(indexNames(later, 'm_2024'), ['m_2024_at_idx'], 'an index on the parent reaches its partitions, ON ONLY does not');
    assert.equal(findTable(m, 'measurements_copy')!.indexes[0].kind, 'primary');
    assert.deepEqual(m.problems, []);
  });

  it('parses and ignores DML in migrations (UPDATE … FROM … JOIN, INSERT, functions, DO blocks)', () => {
    const m = one(`
      create table a (id int primary key, b_id int, v text);
      create table b (id int primary key, c_id int);
      create table c (id int primary key, v text);
      UPDATE a SET v = c.v FROM b JOIN c ON c.id = b.c_id WHERE a.b_id = b.id;
      insert into c (id, v) values (1, 'x') on conflict do nothing;
      create or replace function f() returns trigger as $$ begin new.v := 'y'; return new; end $$ language plpgsql;
      do $$ begin perform 1; end $$;`);
    assert.equal(m.tables.size, 3);
    assert.deepEqual(m.problems, []);
  });

  it('skips an unparseable statement in the middle of a migration, applies the rest, and reports the right line', () => {
    const text = [
      'create table t (id int);', // line 1
      'create index t_id on t (id);', // line 2
      '', // line 3
      'alter tabel t add column x int;', // line 4: typo
      'alter table t add column y int;', // line 5
      'create index t_y on t (y);', // line 6
    ].join('\n');
    const m = one(text);
    assert.deepEqual([...findTable(m, 't')!.columns.keys()], ['id', 'y']);
    assert.deepEqual(indexNames(m, 't'), ['t_id', 't_y']);
    assert.equal(m.problems.length, 1);
    assert.equal(m.problems[0].file, 'migrations/0001_init.sql');
    assert.equal(m.problems[0].line, 4);
    assert.match(m.problems[0].message, /syntax error/);
  });

  it('reports a ClickHouse migration as a problem without failing the rest', () => {
    const m = build([
      { path: 'migrations/001_pg.sql', text: 'create table runs (id int primary key);' },
      {
        path: 'migrations/002_events.sql',
        text: "-- +goose up\nCREATE TABLE trigger_dev.task_runs (id String, created_at DateTime64(3)) ENGINE = ReplacingMergeTree ORDER BY (id);\nALTER TABLE trigger_dev.task_runs ADD INDEX idx_x id TYPE bloom_filter GRANULARITY 1;\n-- +goose down\nDROP TABLE trigger_dev.task_runs;",
      },
      { path: 'migrations/003_pg.sql', text: 'create index runs_id2 on runs (id);' },
    ]);
    assert.deepEqual(indexNames(m, 'runs'), ['runs_id2', 'runs_pkey']);
    assert.equal(m.problems.length, 1);
    assert.equal(m.problems[0].file, 'migrations/002_events.sql');
    assert.equal(m.problems[0].line, 2);
    assert.match(m.problems[0].message, /2 of 2 statements do not parse as PostgreSQL/);
  });

  it('skips a file that mostly fails to parse, even if some statements are valid PostgreSQL, and files under clickhouse/ or mysql/', () => {
    const m = build([
      { path: 'db/analytics/00_init.sql', text: 'create table event_data (id int, event_date_value timestamptz);' },
      {
        path: 'db/analytics/01_edit_keys.sql',
        text: 'ALTER TABLE "event_data" RENAME COLUMN "event_date_value" TO "date_value";\nALTER TABLE "event_data" ADD COLUMN "job_id" UUID AFTER "created_at";\nALTER TABLE event_data ADD COLUMN x String AFTER id;\n',
      },
      { path: 'db/clickhouse/schema.sql', text: 'CREATE TABLE event_data (id UUID) ENGINE = MergeTree ORDER BY id;' },
      { path: 'db/mysql/migrations/01_init.sql', text: 'ALTER TABLE event_data RENAME COLUMN id TO pk;' },
    ]);
    assert.deepEqual([...findTable(m, 'event_data')!.columns.keys()], ['id', 'event_date_value']);
    assert.deepEqual(
      m.problems.map((p) => p.file),
      ['db/clickhouse/schema.sql', 'db/analytics/01_edit_keys.sql', 'db/mysql/migrations/01_init.sql'],
    );
    assert.deepEqual(m.sources, ['db/analytics/00_init.sql']);
    assert.match(m.problems[0].message, /ClickHouse/);
    assert.match(m.problems[2].message, /MySQL/);
    // Folders named after another database: one problem per folder, and Project.analyze leaves their .sql files alone.
    const many = build([
      { path: 'db/clickhouse/schema.sql', text: 'CREATE TABLE e (id UUID) ENGINE = MergeTree ORDER BY id;' },
      { path: 'db/clickhouse/migrations/01_edit_keys.sql', text: 'ALTER TABLE e ADD COLUMN x String AFTER id;' },
      { path: 'db/clickhouse/migrations/02_x.sql', text: 'ALTER TABLE e ADD COLUMN y String AFTER id;' },
      { path: 'db/schema.mysql.sql', text: 'CREATE TABLE `e` (`id` int);' },
    ]);
    assert.deepEqual(
      many.problems.map((p) => `${p.file}: ${p.message}`),
      [
        'db/clickhouse/schema.sql: the path names ClickHouse: not a PostgreSQL schema source; the 3 schema files under db/clickhouse/ are skipped, and .sql files there are not linted',
        'db/schema.mysql.sql: the path names MySQL: not a PostgreSQL schema source; skipped',
      ],
    );
    assert.deepEqual(many.nonPostgres?.map((d) => d.folder), ['db/clickhouse']);
  });

  it('blanks psql meta-commands and ignores comment-only files', () => {
    const m = build([
      { path: 'db/schema.sql', text: '\\restrict abc123\nSET search_path = public;\ncreate table t (id int primary key);\n\\unrestrict abc123\n' },
      { path: 'migrations/2_nothing.sql', text: '-- nothing to do here\n/* really */\n' },
    ]);
    assert.deepEqual(indexNames(m, 't'), ['t_pkey']);
    assert.deepEqual(m.problems, []);
  });

  it('ignores the down section of goose and dbmate migrations, and down files', () => {
    const m = build([
      { path: 'db/migrations/20240101_a.sql', text: '-- migrate:up\ncreate table t (id int);\ncreate index t_id on t (id);\n\n-- migrate:down\ndrop table t;\n' },
      { path: 'migrations/000002_x.up.sql', text: 'create index t_id2 on t (id);' },
      { path: 'migrations/3_sqlmigrate.sql', text: '-- +migrate Up\ncreate index t_id3 on t (id);\n-- +migrate Down\ndrop index t_id3;\n' },
      { path: 'migrations/000002_x.down.sql', text: 'drop index t_id2;' },
    ]);
    assert.deepEqual(indexNames(m, 't'), ['t_id', 't_id2', 't_id3']);
  });

  it('skips Postgrator undo files (<version>.undo.<name>.sql) and applies its do files', () => {
    // omnivore's packages/db/migrations: 188 pairs; applied as migrations, every undo dropped what its do made.
    const m = build([
      { path: 'packages/db/migrations/0001.do.init.sql', text: 'create table t (id int primary key, user_id int);' },
      { path: 'packages/db/migrations/0001.undo.init.sql', text: 'drop table t;' },
      { path: 'packages/db/migrations/0002.do.user_index.sql', text: 'create index t_user_id on t (user_id);' },
      { path: 'packages/db/migrations/0002.undo.user_index.sql', text: 'drop index t_user_id;' },
      { path: 'packages/db/migrations/0003.undo.sql', text: 'drop table t;' },
    ]);
    assert.deepEqual(indexNames(m, 't'), ['t_pkey', 't_user_id']);
    assert.equal(sourceKind('migrations/0002.undo.user_index.sql'), 'down');
    assert.equal(sourceKind('migrations/0002.do.user_index.sql'), 'migration');
  });

  it('orders migrations naturally: 10 after 9, across Prisma, Drizzle, Knex and Flyway layouts', () => {
    const order = (paths: string[]) => orderSchemaFiles(paths.map((path) => ({ path, text: '' }))).map((f) => f.path);
    assert.deepEqual(order(['migrations/10_b.sql', 'migrations/9_a.sql', 'migrations/2_x.sql']), ['migrations/2_x.sql', 'migrations/9_a.sql', 'migrations/10_b.sql']);
    assert.deepEqual(order(['db/V10__later.sql', 'db/R__views.sql', 'db/V2__first.sql', 'db/U2__undo.sql']), ['db/V2__first.sql', 'db/V10__later.sql', 'db/R__views.sql']);
    assert.deepEqual(order(['migrations/20230102_b.sql', 'migrations/20230101_create.sql']), ['migrations/20230101_create.sql', 'migrations/20230102_b.sql']);
    assert.deepEqual(
      order([
        'prisma/schema.prisma',
        'prisma/migrations/20240301000000_b/migration.sql',
        'prisma/migrations/20240101120000_init/migration.sql',
        'db/schema.sql',
      ]),
      ['db/schema.sql', 'prisma/migrations/20240101120000_init/migration.sql', 'prisma/migrations/20240301000000_b/migration.sql', 'prisma/schema.prisma'],
    );
    assert.deepEqual(order(['drizzle/0010_x.sql', 'drizzle/0002_y.sql', 'drizzle/0001_z.sql']), ['drizzle/0001_z.sql', 'drizzle/0002_y.sql', 'drizzle/0010_x.sql']);

    // Applied out of order the rename would fail; in natural order the index lands on the new name.
    const m = build([
      { path: 'migrations/10_index.sql', text: 'create index users_email on users (email);' },
      { path: 'migrations/9_rename.sql', text: 'alter table users rename column mail to email;' },
      { path: 'migrations/1_create.sql', text: 'create table users (id int, mail text);' },
    ]);
    assert.deepEqual(idx(m, 'users', 'users_email')!.keys, [{ column: 'email' }]);
    assert.deepEqual(m.sources, ['migrations/1_create.sql', 'migrations/9_rename.sql', 'migrations/10_index.sql']);
    assert.deepEqual(m.problems, []);
  });

  it('applies migrations over a schema dump (dump first, CREATE TABLE merges)', () => {
    const m = build([
      { path: 'migrations/002_more.sql', text: 'create index t_b on t (b);' },
      { path: 'migrations/001_init.sql', text: 'create table t (a int primary key);' },
      { path: 'db/schema.sql', text: 'create table t (a int primary key, b int);\ncreate index t_a_b on t (a, b);' },
    ]);
    assert.deepEqual([...findTable(m, 't')!.columns.keys()], ['a', 'b']);
    assert.deepEqual(indexNames(m, 't'), ['t_a_b', 't_b', 't_pkey']);
  });

  it('records where tables, columns and indexes are defined', () => {
    const text = 'create table users (\n  id int primary key,\n  "Email" text\n);\ncreate index users_email on users ("Email");\n';
    const m = one(text);
    const t = findTable(m, 'users')!;
    assert.equal(text.slice(t.definedAt!.range.start, t.definedAt!.range.end), 'create table users (\n  id int primary key,\n  "Email" text\n)');
    const col = t.columns.get('Email')!;
    assert.equal(text.slice(col.definedAt!.range.start, col.definedAt!.range.end), '"Email"');
    const i = idx(m, 'users', 'users_email')!;
    assert.equal(text.slice(i.definedAt!.range.start, i.definedAt!.range.end), 'create index users_email on users ("Email")');
    const pk = idx(m, 'users', 'users_pkey')!;
    assert.equal(text.slice(pk.definedAt!.range.start, pk.definedAt!.range.end), 'primary key');
  });

  it('applies DDL guarded in DO blocks (static and constant EXECUTE strings), quietly', () => {
    const text = `create table t (a int, b int, c int);
create index "Old_a_idx" on t (a);
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 't_b_idx') THEN
    CREATE INDEX t_b_idx ON t (b);
  END IF;
  IF EXISTS (SELECT 1 FROM pg_class WHERE relname = 'Old_a_idx') THEN
    EXECUTE 'ALTER INDEX "Old_a_idx" RENAME TO "New_a_idx"';
  END IF;
  EXECUTE 'CREATE INDEX t_dyn_' || 'x ON t (c)';
  DROP INDEX IF EXISTS never_existed;
  ALTER TABLE t ADD CONSTRAINT t_c_fk FOREIGN KEY (c) REFERENCES t (a);
EXCEPTION WHEN duplicate_object THEN null;
END $$;
DO $$ BEGIN IF EXISTS (SELECT 1) THEN DROP INDEX ghost_idx; END IF; END $$;`;
    const m = one(text);
    assert.deepEqual(indexNames(m, 't'), ['New_a_idx', 't_b_idx']);
    const b = idx(m, 't', 't_b_idx')!;
    assert.equal(text.slice(b.definedAt!.range.start, b.definedAt!.range.end), 'CREATE INDEX t_b_idx ON t (b)');
    assert.deepEqual(m.problems, []);
  });

  it('truncates long index names to 63 bytes as PostgreSQL does, for defaults and for names given', () => {
    const m = one(`
      create table "BackgroundWorkerTask" ("runtimeEnvironmentId" text, slug text, "triggerSource" text);
      create index "BackgroundWorkerTask_runtimeEnvironmentId_slug_triggerSource_idx" on "BackgroundWorkerTask" ("runtimeEnvironmentId", slug, "triggerSource");
      create index on "BackgroundWorkerTask" ("runtimeEnvironmentId", "triggerSource", slug);
      drop index "BackgroundWorkerTask_runtimeEnvironmentId_slug_triggerSource_idx";`);
    // PostgreSQL's makeObjectName shortens the longer of table and column parts until `_idx` fits.
    assert.deepEqual(indexNames(m, 'BackgroundWorkerTask'), ['BackgroundWorkerTask_runtimeEnvironmentId_triggerSource_slu_idx']);
    assert.equal(indexNames(m, 'BackgroundWorkerTask')[0].length, 63);
    assert.deepEqual(m.problems, []);
  });

  it('follows ALTER TYPE … RENAME into column types (Prisma enum migrations)', () => {
    const m = one(`
      create type "Status" as enum ('a', 'b');
      create table t (s "Status", ss "Status"[]);
      create type "Status_new" as enum ('a');
      alter table t alter column s type "Status_new" using (s::text::"Status_new");
      drop type "Status";
      alter type "Status_new" rename to "Status";`);
    assert.deepEqual([...findTable(m, 't')!.columns.values()].map((c) => c.type), ['Status', 'Status[]']);
  });

  it('reports references to unknown tables (a sign of wrong order), never throws', () => {
    const m = one('alter table ghosts add column x int;\ncreate index g on ghosts (x);\nalter table if exists ghosts add column y int;\ncreate index h on spirits (x);');
    // Each unknown table is reported once, at its first reference.
    assert.deepEqual(
      m.problems.map((p) => p.line),
      [1, 4],
    );
    assert.match(m.problems[0].message, /unknown table ghosts/);
  });
});

describe('schema discovery (robustness)', () => {
  before(() => initParser());

  it('never throws on truncated or garbled DDL', () => {
    const ddl = `create table t (id int primary key, "A" text unique, b jsonb, constraint c unique (b));
create index t_x on t using gin (b) include ("A") where id > 0;
alter table t rename column "A" to a, add column z int references t (id);
alter table t add constraint u unique using index t_x;
DO $$ BEGIN IF NOT EXISTS (select 1) THEN EXECUTE 'create index q on t (id)'; END IF; END $$;
create table p (like t including all) partition by list (id);
drop index if exists t_x; alter index q rename to r; alter table t set schema s;`;
    let seed = 11;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 80; i++) {
      const a = rand(ddl.length);
      const b = a + rand(ddl.length - a);
      const text = ddl.slice(0, a) + ['(', ')', "'", '"', '$$', ';', ','][rand(7)] + ddl.slice(b);
      const m = build([{ path: 'migrations/1.sql', text }]);
      assert.ok(Array.isArray(m.problems));
    }
  });
});

describe('schema discovery (config, stats, discovery)', () => {
  before(() => initParser());

  it('sets rows and tiny from config; config keys may be schema-qualified; unknown tables are added only with rows or tiny', () => {
    const cfg = defaultConfig();
    cfg.tables = { orders: { rows: 5e7 }, 'billing.invoices': { tiny: true }, phantom: { rows: 10 }, nothing: {} };
    const m = build(
      [
        { path: 'migrations/1.sql', text: 'create table orders (id int);\ncreate schema billing;\ncreate table billing.invoices (id int);' },
        { path: 'querylens.stats.json', text: JSON.stringify({ tables: { orders: { rows: 51234567 }, 'billing.invoices': { rows: 42 } } }) },
      ],
      cfg,
    );
    const orders = findTable(m, 'orders')!;
    assert.equal(orders.rows, 5e7);
    assert.equal(orders.rowsSource, 'config');
    const inv = findTable(m, 'invoices', 'billing')!;
    assert.equal(inv.tiny, true);
    assert.equal(inv.rows, 42);
    assert.equal(inv.rowsSource, 'stats');
    const phantom = findTable(m, 'phantom')!;
    assert.equal(phantom.origin, 'config');
    assert.equal(phantom.columns.size, 0);
    assert.equal(findTable(m, 'nothing'), undefined);
  });

  it('reports a broken stats snapshot as a problem', () => {
    const m = build([{ path: 'querylens.stats.json', text: '{ "tables": ' }]);
    assert.equal(m.problems.length, 1);
    assert.match(m.problems[0].message, /JSON/);
  });

  it('discovers schema sources in the usual places only', () => {
    const cfg = defaultConfig();
    assert.ok(isSchemaSource('prisma/migrations/20240101120000_init/migration.sql', cfg));
    assert.ok(isSchemaSource('packages/db/drizzle/0001_x.sql', cfg));
    assert.ok(isSchemaSource('db/schema.sql', cfg));
    assert.ok(isSchemaSource('prisma/schema.prisma', cfg));
    assert.ok(isSchemaSource('prisma/schema/user.prisma', cfg));
    assert.ok(isSchemaSource('querylens.stats.json', cfg));
    assert.ok(!isSchemaSource('src/queries/users.sql', cfg));
    assert.ok(!isSchemaSource('node_modules/x/migrations/1.sql', cfg));
    assert.ok(!isSchemaSource('migrations/000002_x.down.sql', cfg));
    assert.ok(DISCOVERED_SCHEMA_GLOBS.includes('**/querylens.stats.json'));
    cfg.schema.discover = false;
    cfg.schema.sources = ['sql/ddl/*.sql'];
    assert.ok(!isSchemaSource('db/schema.sql', cfg));
    assert.ok(isSchemaSource('sql/ddl/tables.sql', cfg));
  });
});

describe('schema discovery (projects of another database)', () => {
  before(() => initParser());

  // openstatus: Drizzle on Turso. Its migrations use backticks and PRAGMA: 356 "unparseable" statements before.
  const drizzleConfig = (dialect: string, out = './drizzle') => `import type { Config } from "drizzle-kit";
// dialect: "postgresql" in a comment does not count
export default {
  schema: "./src/schema/index.ts",
  out: "${out}",
  strict: true,
  ${dialect},
} satisfies Config;
`;
  const sqliteMigration = 'CREATE TABLE `page` (\n  `id` integer PRIMARY KEY NOT NULL,\n  `slug` text(256)\n);\n--> statement-breakpoint\nPRAGMA foreign_keys=OFF;\nCREATE UNIQUE INDEX `page_slug_unique` ON `page` (`slug`);\n';

  it('reads drizzle.config dialect/driver and out: one problem per folder, none of its SQL applied', () => {
    const cfg = defaultConfig();
    assert.ok(isSchemaSource('packages/db/drizzle.config.ts', cfg));
    assert.ok(isSchemaSource('drizzle.config.mjs', cfg));
    const files = [
      { path: 'packages/db/drizzle.config.ts', text: drizzleConfig('dialect: "turso"') },
      { path: 'packages/db/drizzle/0000_lively_master_chief.sql', text: sqliteMigration },
      { path: 'packages/db/drizzle/0001_brainy_beast.sql', text: 'ALTER TABLE `page` ADD `icon` text(256);' },
      // A PostgreSQL package beside it is still read.
      { path: 'apps/api/drizzle.config.ts', text: drizzleConfig("dialect: 'postgresql'", 'migrations') },
      { path: 'apps/api/migrations/0000_init.sql', text: 'CREATE TABLE "users" ("id" serial PRIMARY KEY);' },
    ];
    const m = build(files);
    assert.deepEqual([...m.tables.keys()], ['public.users']);
    assert.deepEqual(
      m.problems.map((p) => `${p.file}:${p.line} ${p.message}`),
      ['packages/db/drizzle.config.ts:7 dialect: "turso": SQLite (Turso), not PostgreSQL; the 2 schema files under packages/db/drizzle/ are skipped, and .sql files there are not linted'],
    );
    assert.deepEqual(m.sources, ['apps/api/migrations/0000_init.sql']);
    // Older configs name the driver; `out` may climb out of the config's folder.
    for (const [line, db] of [
      ["driver: 'better-sqlite'", 'SQLite'],
      ["driver: 'mysql2'", 'MySQL'],
      ["dialect: 'mysql'", 'MySQL'],
      ["dialect: 'singlestore'", 'SingleStore'],
    ]) {
      const m2 = build([
        { path: 'db/drizzle.config.js', text: drizzleConfig(line, '../sql/out/') },
        { path: 'sql/out/0000_x.sql', text: sqliteMigration },
      ]);
      assert.equal(m2.nonPostgres?.[0].folder, 'sql/out');
      assert.match(m2.problems[0]?.message ?? '', new RegExp(`${db}, not PostgreSQL; the 1 schema file under sql/out/ is skipped`));
    }
    // PostgreSQL, or a dialect computed at run time: nothing is skipped (the SQL speaks for itself).
    for (const line of ["driver: 'pg'", 'dialect: process.env.DIALECT', '']) {
      const m3 = build([
        { path: 'drizzle.config.ts', text: drizzleConfig(line) },
        { path: 'drizzle/0000_x.sql', text: 'CREATE TABLE t (id int);' },
      ]);
      assert.equal(m3.nonPostgres, undefined);
      assert.ok(findTable(m3, 't'));
    }
  });

  it('skips the migrations folder of a Prisma schema for another provider, including the multi-file layout', () => {
    const m = build([
      { path: 'prisma/schema.prisma', text: 'datasource db {\n  provider = "sqlite" // "postgresql" in a comment\n  url = "file:./dev.db"\n}\nmodel A {\n  id Int @id\n}\n' },
      { path: 'prisma/migrations/20240101000000_init/migration.sql', text: 'CREATE TABLE "A" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT);' },
      { path: 'prisma/migrations/20240102000000_b/migration.sql', text: 'CREATE TABLE "B" ("id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT);' },
    ]);
    assert.equal(m.tables.size, 0);
    const messages = m.problems.map((p) => `${p.file}:${p.line ?? ''} ${p.message}`);
    assert.deepEqual(messages, [
      'prisma/schema.prisma:1 Prisma schema for provider "sqlite", not PostgreSQL; skipped',
      'prisma/schema.prisma:2 provider = "sqlite": SQLite, not PostgreSQL; the 2 schema files under prisma/migrations/ are skipped, and .sql files there are not linted',
    ]);
    const multi = build([
      { path: 'prisma/schema/base.prisma', text: 'datasource db {\n  provider = "mysql"\n  url = env("DATABASE_URL")\n}\n' },
      { path: 'prisma/migrations/1_init/migration.sql', text: 'CREATE TABLE `A` (`id` INTEGER NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`));' },
    ]);
    assert.match(multi.problems.at(-1)!.message, /^provider = "mysql": MySQL, not PostgreSQL; the 1 schema file under prisma\/migrations\/ is skipped/);
  });

  it('Project.analyze does not lint .sql files of such a folder as PostgreSQL, and lints the rest', async () => {
    const p = new Project(defaultConfig());
    p.setFile('packages/db/drizzle.config.ts', drizzleConfig('dialect: "sqlite"'));
    p.setFile('packages/db/drizzle/0000_x.sql', sqliteMigration);
    p.setFile('packages/db/queries/report.sql', 'SELECT `id` FROM `page`;');
    assert.deepEqual(p.analyze('packages/db/drizzle/0000_x.sql'), { findings: [], problems: [] });
    assert.deepEqual(
      p.analyze('packages/db/queries/report.sql').problems.map((x) => x.kind),
      ['unparseable-sql'],
    );
    // Without the config the same migration is reported statement by statement.
    p.deleteFile('packages/db/drizzle.config.ts');
    const kinds = p.analyze('packages/db/drizzle/0000_x.sql').problems.map((x) => x.kind);
    assert.ok(kinds.length >= 2 && kinds.every((k) => k === 'unparseable-sql'), kinds.join());
  });
});
