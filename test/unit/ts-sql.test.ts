import assert from 'node:assert/strict';
import { memoryProject } from './memory-project';
import { deepConcatenation, builderChain } from '../pathological';
import { tsSourceFile } from '../../engine/sources/ts-ast';
import { tsSqlSites } from '../../engine/sources/ts-sql';
import { type SqlSite, sqlToFile, sqlRangeToFile } from '../../engine/sources/types';

const project = memoryProject;

function sites(src: string, others: Record<string, string> = {}, path = 'src/main.ts'): SqlSite[] {
  const files = { ...others, [path]: src };
  return tsSqlSites(path, src, tsSourceFile(path, src), project(files));
}

function one(src: string, others: Record<string, string> = {}): SqlSite {
  const s = sites(src, others);
  assert.equal(s.length, 1, `expected one site, got ${JSON.stringify(s.map((x) => x.sql))}`);
  return s[0];
}

const slice = (src: string, r: { start: number; end: number } | undefined): string | undefined => (r ? src.slice(r.start, r.end) : undefined);

/** File text at the SQL offset of `needle` (its first occurrence in the SQL). */
function fileAt(src: string, site: SqlSite, needle: string, len = needle.length): string {
  const i = site.sql.indexOf(needle);
  assert.ok(i >= 0, `${needle} not in ${site.sql}`);
  const r = sqlRangeToFile(site, { start: i, end: i + len });
  return src.slice(r.start, r.end);
}

const PG = `import { Pool, PoolClient } from 'pg';\nconst pool = new Pool();\n`;

describe('sources/ts-sql', () => {
  describe('pg', () => {
    it('finds string literals passed to pool.query and client.query', () => {
      const src = `${PG}export async function f(client: PoolClient, id: number) {\n  await pool.query('select * from users where id = $1', [id]);\n  await client.query("delete from sessions");\n}`;
      const s = sites(src);
      assert.deepEqual(
        s.map((x) => x.sql),
        ['select * from users where id = $1', 'delete from sessions'],
      );
      assert.equal(s[0].client, 'pg');
      assert.deepEqual(s[0].params, ['id']);
      assert.equal(slice(src, s[0].range), `'select * from users where id = $1'`);
      assert.equal(slice(src, s[0].callRange), `pool.query('select * from users where id = $1', [id])`);
      assert.equal(fileAt(src, s[1], 'sessions'), 'sessions');
    });

    it('reads { text, values } config objects', () => {
      const src = `${PG}pool.query({ name: 'get', text: 'select name from users where id = $1', values: [userId] });`;
      const s = one(src);
      assert.equal(s.sql, 'select name from users where id = $1');
      assert.deepEqual(s.params, ['userId']);
      assert.equal(fileAt(src, s, 'name from'), 'name from');
    });

    it('ignores literals that reach no SQL sink, and receivers that are not clients', () => {
      const src = `${PG}console.log('select * from users');\nconst logger = { query(s: string) {} };\nlogger.query('select * from users');\nclass Pool2 { query(s: string) {} }\nnew Pool2().query('select 1');\ndeclare const db: any;\ndb.query('select 2');`;
      assert.deepEqual(sites(src), []);
    });

    it('folds constants, concatenations and constant objects', () => {
      const src = `${PG}const TABLE = 'orders';\nconst Q = { byUser: 'select * from ' + TABLE + ' where user_id = $1' } as const;\nconst base = 'select id ';\nasync function f(u: number) {\n  await pool.query(Q.byUser, [u]);\n  await pool.query(base + 'from items where price > ' + u);\n}`;
      const s = sites(src);
      assert.deepEqual(
        s.map((x) => x.sql),
        ['select * from orders where user_id = $1', 'select id from items where price > $1'],
      );
      assert.equal(fileAt(src, s[0], 'orders'), 'orders');
      assert.equal(src.lastIndexOf('orders'), sqlToFile(s[0], s[0].sql.indexOf('orders')) + 0);
      // The non-constant operand is a parameter spanning the operand.
      const i = s[1].sql.indexOf('$1');
      assert.equal(slice(src, sqlRangeToFile(s[1], { start: i, end: i + 2 })), 'u');
      assert.deepEqual(s[1].params, ['u']);
    });

    it('inlines constant strings in plain templates and makes other interpolations parameters', () => {
      const src = `${PG}const cols = 'id, name';\nasync function f(id: number) {\n  await pool.query(\`select \${cols} from users where id = \${ id } and x = 'a'\`);\n}`;
      const s = one(src);
      assert.equal(s.sql, "select id, name from users where id = $1 and x = 'a'");
      assert.deepEqual(s.params, ['id']);
      // `$1` snaps to the whole `${ id }`.
      const i = s.sql.indexOf('$1');
      assert.equal(slice(src, sqlRangeToFile(s, { start: i, end: i + 2 })), '${ id }');
      assert.equal(fileAt(src, s, 'and x'), 'and x');
      assert.equal(fileAt(src, s, 'name'), 'name');
    });

    it('numbers template parameters after $n already in the text', () => {
      const src = `${PG}pool.query(\`select * from t where a = $1 and b = \${b}\`, [a]);`;
      assert.equal(one(src).sql, 'select * from t where a = $1 and b = $2');
    });

    it('follows clients imported from local modules', () => {
      const src = `import { pool } from './db';\npool.query('select 1 from dual_table');`;
      const s = one(src, { 'src/db.ts': `import pg from 'pg';\nexport const pool = new pg.Pool();` });
      assert.equal(s.client, 'pg');
      assert.equal(sites(src).length, 0, 'without the module there is no client');
    });

    it('cooks escapes and keeps exact offsets across them', () => {
      const src = `${PG}pool.query('select \\'a\\\\b\\' as x,\\n\\u00e9 from t');`;
      const s = one(src);
      assert.equal(s.sql, "select 'a\\b' as x,\né from t");
      assert.equal(fileAt(src, s, 'from t'), 'from t');
      assert.equal(fileAt(src, s, 'é', 1), '\\u00e9');
    });
  });

  describe('tagged templates', () => {
    it('postgres.js: statements, inlined fragments, fragment variables, unsafe and identifiers', () => {
      const src = `import postgres from 'postgres';\nconst sql = postgres();\nexport async function f(id: number, name?: string) {\n  const byName = sql\`and name = \${name}\`;\n  await sql\`select * from \${sql('users')} where id = \${id} \${name ? byName : sql\`\`}\`;\n  const frag = sql\`lower(\${name})\`;\n  await sql.unsafe('select count(*) from orders');\n}`;
      const s = sites(src);
      assert.deepEqual(
        s.map((x) => x.sql),
        ['select * from users where id = $1 and name = $2', 'select count(*) from orders'],
      );
      assert.deepEqual(s[0].params, ['id', 'name']);
      assert.equal(s[0].client, 'postgres');
      assert.ok(slice(src, s[0].callRange)?.startsWith('sql`select'));
      assert.equal(fileAt(src, s[0], 'and name'), 'and name');
      assert.equal(fileAt(src, s[0], 'users'), 'users');
      const j = s[0].sql.indexOf('$2');
      assert.equal(slice(src, sqlRangeToFile(s[0], { start: j, end: j + 2 })), '${name}');
    });

    it('slonik: query methods, sql.type, sql.unsafe, sql.identifier', () => {
      const src = `import { createPool, sql } from 'slonik';\nconst pool = await createPool('');\nawait pool.one(sql.type(User)\`select * from \${sql.identifier(['public', 'users'])} where id = \${id}\`);\nawait pool.query(sql.unsafe\`delete from t\`);`;
      const s = sites(src);
      assert.deepEqual(
        s.map((x) => x.sql),
        ['select * from public.users where id = $1', 'delete from t'],
      );
      assert.equal(s[0].client, 'slonik');
      assert.ok(slice(src, s[0].callRange)?.startsWith('pool.one('));
    });

    it('kysely: sql`…`.execute(db), and fragments are not sites', () => {
      const src = `import { Kysely, sql } from 'kysely';\nconst db = new Kysely<DB>({} as any);\nconst r = await sql<{ n: number }>\`select count(*) as n from \${sql.table('person')} where age > \${age}\`.execute(db);\nawait db.selectFrom('person').where(sql\`lower(first_name)\`, '=', 'x').execute();`;
      const s = one(src);
      assert.equal(s.sql, 'select count(*) as n from person where age > $1');
      assert.equal(s.client, 'kysely');
      assert.ok(slice(src, s.callRange)?.endsWith('.execute(db)'));
    });

    it('drizzle: db.execute(sql`…`) with tables and columns rendered by their database names', () => {
      const src = `import { sql } from 'drizzle-orm';\nimport { drizzle } from 'drizzle-orm/node-postgres';\nimport { pgTable, serial, text } from 'drizzle-orm/pg-core';\nexport const users = pgTable('app_users', { id: serial('id').primaryKey(), email: text('email_address').notNull(), name: text() });\nconst db = drizzle(pool);\nawait db.execute(sql\`select \${users.name} from \${users} where \${users.email} = \${e}\`);\nconst cond = sql\`\${users.id} = 1\`;`;
      const s = one(src);
      assert.equal(s.sql, 'select app_users.name from app_users where app_users.email_address = $1');
      assert.equal(s.client, 'drizzle');
      assert.ok(slice(src, s.callRange)?.startsWith('db.execute('));
      assert.equal(fileAt(src, s, 'app_users.email_address'), '${users.email}'.slice(2, -1));
    });

    it('prisma: $queryRaw tags, Prisma.sql passed to $executeRaw, *Unsafe strings, join/raw/empty', () => {
      const src = `import { PrismaClient, Prisma } from '@prisma/client';\nconst prisma = new PrismaClient();\nawait prisma.$queryRaw<User[]>\`select * from "User" where id in (\${Prisma.join(ids)}) \${Prisma.empty}\`;\nconst q = Prisma.sql\`update "Post" set views = views + 1 where id = \${id}\`;\nawait prisma.$executeRaw(q);\nawait prisma.$queryRawUnsafe('select * from "User" where email = $1', email);\nawait prisma.$transaction(async (tx) => { await tx.$queryRaw\`select \${Prisma.raw('1')} from "Post"\`; });`;
      const s = sites(src);
      assert.deepEqual(
        s.map((x) => x.sql),
        [
          'select * from "User" where id in ($1) ',
          'update "Post" set views = views + 1 where id = $1',
          'select * from "User" where email = $1',
          'select 1 from "Post"',
        ],
      );
      assert.ok(s.every((x) => x.client === 'prisma'));
      assert.equal(slice(src, s[1].callRange), 'prisma.$executeRaw(q)');
      assert.deepEqual(s[2].params, ['email']);
    });

    it('a variable set by a conditional with a literal branch is a value; one choosing a fragment stays a fragment', () => {
      // mirlo admin/stats.ts: `const days = Number.isFinite(parsedDays) && parsedDays > 0 ? parsedDays : 90` then
      // `NOW() - (${days} * INTERVAL '1 day')` was left out as a fragment, and the statement did not parse.
      const src = `import { PrismaClient, Prisma } from '@prisma/client';\nconst prisma = new PrismaClient();\nconst parsed = parseInt(q, 10);\nconst days = Number.isFinite(parsed) && parsed > 0 ? parsed : 90;\nawait prisma.$queryRaw\`select count(*) from "User" where "createdAt" >= now() - (\${days} * interval '1 day')\`;\nconst extra = admin ? Prisma.sql\`and "deleted" = false\` : other;\nawait prisma.$queryRaw\`select id from "User" where true \${extra}\`;`;
      const s = sites(src);
      assert.deepEqual(s.map((x) => x.sql), [`select count(*) from "User" where "createdAt" >= now() - ($1 * interval '1 day')`, 'select id from "User" where true ']);
      assert.deepEqual(s[0].params, ['days']);
    });

    it('an unrecognised tag is not a site, a sql tag from an unknown module is not either', () => {
      const src = `import sql from 'some-sql-lib';\nconst html = (s: TemplateStringsArray) => s;\nhtml\`select 1\`;\nsql\`select * from users\`;`;
      assert.deepEqual(sites(src), []);
    });

    it('sql-template-strings: the SQL tag builds the statement a pg client runs', () => {
      const src = `import SQL from 'sql-template-strings';\nimport { Client } from 'pg';\nexport async function f(client: Client, id: string) {\n  await client.query(SQL\`select * from users where id = \${id}\`);\n}`;
      const s = sites(src);
      assert.deepEqual(s.map((x) => [x.sql, x.client, !!x.callRange]), [['select * from users where id = $1', 'pg', true]]);
    });
  });

  describe('ORMs raw SQL', () => {
    it('typeorm: dataSource, manager, repository and query runner', () => {
      const src = `import { DataSource, Repository } from 'typeorm';\nconst ds = new DataSource({} as any);\nexport async function f(repo: Repository<User>) {\n  await ds.query('select 1 from a');\n  await ds.manager.query('select 1 from b');\n  await repo.query('select 1 from c where x = $1', [x]);\n  const qr = ds.createQueryRunner();\n  await qr.query('select 1 from d');\n}`;
      assert.deepEqual(
        sites(src).map((s) => s.sql),
        ['select 1 from a', 'select 1 from b', 'select 1 from c where x = $1', 'select 1 from d'],
      );
    });

    it('sequelize: replacements become parameters', () => {
      const src = `import { Sequelize, QueryTypes } from 'sequelize';\nconst seq = new Sequelize('x');\nawait seq.query('select * from users where id = :id and s = \\':x\\' and t::text = :t', { replacements: { id, t: 'a' }, type: QueryTypes.SELECT });\nawait seq.query('select * from users where id = ? and tags ?| array[?]', { replacements: [id, tag] });`;
      const s = sites(src);
      assert.deepEqual(
        s.map((x) => x.sql),
        ["select * from users where id = $1 and s = ':x' and t::text = $2", 'select * from users where id = $1 and tags ?| array[$2]'],
      );
      assert.deepEqual(s[0].params, ['id', "'a'"]);
      assert.equal(s[0].client, 'sequelize');
    });

    it('knex.raw: ? and ?? placeholders', () => {
      const src = `import knex from 'knex';\nconst db = knex({ client: 'pg' });\nawait db.raw('select * from ?? where id = ? and note <> \\'?\\' and data \\\\? \\'k\\'', ['orders', id]);\nawait db.transaction(async (trx) => { await trx.raw('update t set a = ?', [a]); });`;
      const s = sites(src);
      assert.deepEqual(
        s.map((x) => x.sql),
        ["select * from orders where id = $1 and note <> '?' and data ? 'k'", 'update t set a = $1'],
      );
      assert.deepEqual(s[0].params, ['id']);
      const i = s[0].sql.indexOf('$1');
      assert.equal(slice(src, sqlRangeToFile(s[0], { start: i, end: i + 2 })), '?');
      // An inlined identifier binding maps onto the binding's own text.
      assert.equal(fileAt(src, s[0], 'orders'), 'orders');
      assert.equal(sqlToFile(s[0], s[0].sql.indexOf('orders')), src.indexOf(`['orders'`) + 2);
    });
  });

  describe('SQL built as text', () => {
    it('names spliced into text become identifiers; values become parameters', () => {
      const src = `${PG}export async function f(schema: string, db: string, id: number) {\n  await pool.query(\`select * from \${schema}.jobs where id = \${id}\`);\n  await pool.query(\`drop database \${db}\`);\n  await pool.query(\`create database test_\${db} template tpl\`);\n  await pool.query('update ' + schema + '.t set a = 1 where id = ' + id);\n}`;
      const s = sites(src);
      assert.deepEqual(
        s.map((x) => x.sql),
        ['select * from "schema".jobs where id = $1', 'drop database "db"', 'create database test_db template tpl', 'update "schema".t set a = 1 where id = $1'],
      );
      assert.deepEqual(s[0].params, ['id']);
      // The identifier snaps to the whole hole.
      const i = s[0].sql.indexOf('"schema"');
      assert.equal(slice(src, sqlRangeToFile(s[0], { start: i, end: i + 8 })), '${schema}');
    });

    it('inlines conditional text and nested templates, and drops optional fragments on their own line', () => {
      const src = `${PG}export async function f(where: string, desc: boolean, id: number) {\n  await pool.query(\`select * from t \${desc ? 'order by a desc' : ''}\`);\n  await pool.query(\`select * from t \${id ? \`where id = \${id}\` : ''}\`);\n  await pool.query(\`select *\n from t\n \${where}\n limit 10\`);\n}`;
      assert.deepEqual(
        sites(src).map((x) => x.sql),
        ['select * from t order by a desc', 'select * from t where id = $1', 'select *\n from t\n \n limit 10'],
      );
    });

    it('slonik/postgres.js lists: values ${rows} and in ${sql(ids)} read as ($n)', () => {
      const src = `import postgres from 'postgres';\nconst sql = postgres();\nawait sql\`select * from users where id in \${sql(ids)}\`;\nawait sql\`insert into t (a) values \${sql(rows)}\`;`;
      assert.deepEqual(
        sites(src).map((x) => x.sql),
        ['select * from users where id in ($1)', 'insert into t (a) values ($1)'],
      );
    });

    it('a statement handed to a query method keeps the call even when the receiver is unknown', () => {
      const src = `import { sql } from 'slonik';\nexport const alteration = { up: async (pool) => { await pool.query(sql\`alter table users add column x int\`); } };`;
      const s = one(src);
      assert.equal(slice(src, s.callRange), 'pool.query(sql`alter table users add column x int`)');
    });

    it('knex.raw fragments handed to builders are not statements', () => {
      const src = `import knex from 'knex';\nconst db = knex({});\nawait db('t').select(db.raw('count(*) as n'), db.raw('(select max(a) from u) as m'));\nawait db.raw('(select 1) union (select 2)');\n` +
        // teable's sort and group keys: a subquery aliased by a `??` binding, or followed by an ordering.
        `await db('t').select(db.raw('(select to_jsonb(array_agg(e)) from jsonb_array_elements_text(??::jsonb) as e) as ??', [c, c]));\n` +
        `await db('t').orderByRaw(db.raw('(select 1 from u where u.a = ??) ->> 0 ASC NULLS FIRST, (select 2) DESC', [c]));\n` +
        `await db.raw('(select a from t) order by a limit 1;');`;
      assert.deepEqual(
        sites(src).map((x) => x.sql),
        ['(select 1) union (select 2)', '(select a from t) order by a limit 1;'],
      );
    });
  });

  describe('exact ranges', () => {
    it('maps through non-ASCII text before, inside and after the literal', () => {
      const src = `// 😀 héllo 中文\n${PG}const s = '😀';\npool.query(\`select 'é😀中' as "naïve 列", x from "tâble" where y = \${s} and z = \${zz}\`); // après 😀`;
      const s = one(src);
      assert.equal(s.sql, `select 'é😀中' as "naïve 列", x from "tâble" where y = 😀 and z = $1`);
      assert.equal(fileAt(src, s, '"tâble"'), '"tâble"');
      assert.equal(fileAt(src, s, 'x from'), 'x from');
      assert.equal(fileAt(src, s, '"naïve 列"'), '"naïve 列"');
      assert.equal(fileAt(src, s, 'and z'), 'and z');
      // The inlined constant maps to its declaration.
      const k = s.sql.indexOf('😀 and');
      assert.equal(src.slice(sqlToFile(s, k), sqlToFile(s, k) + 2), '😀');
      assert.equal(sqlToFile(s, k), src.indexOf(`'😀'`) + 1);
    });

    it('a column on line 3 of a multi-line template maps to that line and column, with CRLF line ends too', () => {
      for (const nl of ['\n', '\r\n']) {
        const src = `${PG}pool.query(\`${nl}  select id,${nl}    é_col, name${nl}  from users\`);`;
        const s = one(src);
        assert.equal(s.sql, '\n  select id,\n    é_col, name\n  from users');
        const off = sqlToFile(s, s.sql.indexOf('name'));
        assert.equal(src.slice(off, off + 4), 'name');
        const lines = src.slice(0, off).split(/\r?\n/);
        assert.equal(lines[lines.length - 1], '    é_col, ');
      }
    });
  });

  describe('robustness', () => {
    it('does not throw on broken TypeScript', () => {
      const inputs = [
        `${PG}pool.query('select 1 from t'`,
        `${PG}pool.query(\`select \${ from t\`);`,
        `${PG}pool.query('unterminated`,
        `${PG}}}}{{{ pool.query(\`select\` + ) ;; class { constructor(`,
        `\u0000\u0001 binary \uFFFD`,
        '',
      ];
      for (const src of inputs) assert.doesNotThrow(() => sites(src));
      assert.equal(sites(inputs[0])[0]?.sql, 'select 1 from t');
    });

    // How long these take is load-dependent: scripts/bench-bounds.ts (npm run bench) times them.
    it('resolves long builder chains (completes with the one raw site)', () => {
      assert.equal(one(builderChain()).sql, 'select 1 from t');
    });

    it('handles long generated files and deep concatenations', () => {
      const s = sites(deepConcatenation());
      assert.equal(s.length, 2001);
      assert.ok(s[0].sql.startsWith('select c0, c1, '));
      assert.ok(s[0].sql.endsWith('c2999, x from t'));
    });
  });
});

describe('ts-sql: Prisma raw methods by name', () => {
  it('finds $queryRaw/$executeRawUnsafe on a receiver provenance cannot resolve (a client from another package)', () => {
    const src = [
      "import { prisma } from '@acme/database';",
      'export class Repo {',
      '  constructor(private readonly db: PrismaClientOrTransaction) {}',
      '  async runs(id: string) {',
      '    await this.db.$executeRawUnsafe(`UPDATE "TaskRun" SET status = $1`, id);',
      '    return prisma.$queryRaw`SELECT id FROM "TaskRun" WHERE "projectId" = ${id}`;',
      '  }',
      '}',
    ].join('\n');
    const found = sites(src);
    assert.deepEqual(found.map((s) => s.client), ['prisma', 'prisma']);
    assert.match(found[1].sql, /"projectId" = \$1/);
  });

  it('does not take other methods of an unknown receiver for SQL', () => {
    assert.deepEqual(sites("export const f = (x: any) => x.query('SELECT 1');"), []);
  });
});
