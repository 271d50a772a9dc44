/**
 * Every identifier the SQL parser locates must map back to the TypeScript
 * character where that identifier is written: for each site of a varied
 * corpus, walk all ColumnRef/RangeVar locations of the parsed AST and check
 * the file text at `sqlToFile(site, location)`.
 */
import assert from 'node:assert/strict';
import { memoryProject } from './memory-project';
import { tsSourceFile } from '../../engine/sources/ts-ast';
import { tsSqlSites } from '../../engine/sources/ts-sql';
import { type SqlSite, sqlToFile } from '../../engine/sources/types';
import { initParser, parseSql, type PgNode } from '../../engine/sql/parser';

const project = memoryProject;

const CORPUS: Record<string, string> = {
  'src/pg.ts': [
    `// Données 😀 中文 before any literal`,
    `import { Pool, type PoolClient } from 'pg';`,
    `import { pool as shared } from './db';`,
    `const pool = new Pool();`,
    `const TABLE = 'orders';`,
    `const cols = 'o.id, o."Tötal"';`,
    `const Q = { byUser: 'SELECT id, user_id FROM invoices WHERE user_id = $1' };`,
    `export async function a(client: PoolClient, id: number, name: string) {`,
    `  await pool.query('select u.id, u.email from users u where u.id = $1', [id]);`,
    `  await client.query("SELECT Name, \\"Créé\\" FROM public.Accounts WHERE name = 'é😀'");`,
    `  await pool.query(\`select \${cols} from \${TABLE} o join customers c on c.id = o.customer_id where c.name = \${name}\`);`,
    `  await pool.query('select count(*) from ' + TABLE + ' where status = $1', ['paid']);`,
    `  await pool.query(Q.byUser, [id]);`,
    `  await pool.query({ text: 'update "naïve 列" set "值" = $1 where k = $2', values: [1, 2] });`,
    `  await pool.query(\``,
    `    select p.sku,`,
    `           p.price`,
    `    from products p`,
    `    where p.category_id in (select id from categories where slug = \${name})`,
    `  \`);`,
    `  await pool.query('select\\tx\\nfrom\\u0020t_esc where y = \\'a\\\\b\\'');`,
    `  await shared.query('select 1 from imported_table where flag');`,
    `  await pool.query(\`with recent as (select * from events where at > now() - interval '1 day') select r.kind from recent r\`);`,
    `  await pool.query('insert into audit_log (actor, action) values ($1, $2)', [id, name]);`,
    `  await pool.query('delete from sessions s using users u where s.user_id = u.id and u.banned');`,
    `}`,
    `// après 😀`,
  ].join('\r\n'),
  'src/db.ts': `import { Pool } from 'pg';\nexport const pool = new Pool();\n`,
  'src/tags.ts': [
    `import postgres from 'postgres';`,
    `import { createPool, sql as s } from 'slonik';`,
    `import { Kysely, sql as k } from 'kysely';`,
    `import { PrismaClient, Prisma } from '@prisma/client';`,
    `import knex from 'knex';`,
    `import { DataSource } from 'typeorm';`,
    `import { Sequelize } from 'sequelize';`,
    `const sql = postgres();`,
    `const prisma = new PrismaClient();`,
    `const kdb = new Kysely<any>({} as any);`,
    `const kx = knex({ client: 'pg' });`,
    `const ds = new DataSource({} as any);`,
    `const seq = new Sequelize('x');`,
    `export async function b(id: number, name?: string) {`,
    `  const pool = await createPool('');`,
    `  const byName = sql\`and ü.name = \${name}\`;`,
    `  await sql\`select ü.id, ü.nick from "üsers" ü where ü.id = \${id} \${name ? byName : sql\`\`}\`;`,
    `  await pool.one(s.type(X)\`select g.id from \${s.identifier(['public', 'groups'])} g where g.owner = \${id}\`);`,
    `  await k\`select pet.name from pet where pet.owner_id = \${id}\`.execute(kdb);`,
    `  await prisma.$queryRaw\`SELECT "Post"."title" FROM "Post" WHERE "authorId" = \${id}\`;`,
    `  await prisma.$executeRaw(Prisma.sql\`UPDATE "User" SET "lastSeen" = now() WHERE "id" = \${id}\`);`,
    `  await prisma.$queryRawUnsafe('SELECT email FROM "User" WHERE id = $1', id);`,
    `  await kx.raw('select ?? from tickets t where t.assignee = ?', ['t.title', id]);`,
    `  await ds.query('select m.body from messages m where m.thread_id = $1', [id]);`,
    `  await seq.query('select r.stars from reviews r where r.product_id = :pid', { replacements: { pid: id } });`,
    `  await sql.unsafe('select w.id from widgets w');`,
    `}`,
  ].join('\n'),
};

/** Names the AST gives to ColumnRef and RangeVar nodes, with their locations. */
function identifiers(node: PgNode, out: { name: string; quotedCandidates: string[]; location: number; kind: string }[] = []) {
  if (node === null || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    for (const c of node) identifiers(c, out);
    return out;
  }
  if (node.ColumnRef && typeof node.ColumnRef.location === 'number') {
    const first = node.ColumnRef.fields?.[0];
    const name: string | undefined = first?.String?.sval;
    if (name !== undefined) out.push({ name, quotedCandidates: [], location: node.ColumnRef.location, kind: 'ColumnRef' });
  }
  if (node.RangeVar && typeof node.RangeVar.location === 'number' && node.RangeVar.location >= 0) {
    const rv = node.RangeVar;
    out.push({ name: rv.schemaname ?? rv.relname, quotedCandidates: [], location: rv.location, kind: 'RangeVar' });
  }
  for (const k of Object.keys(node)) identifiers(node[k], out);
  return out;
}

/** Whether the file text at `off` spells identifier `name` (unquoted: case-insensitively; or double-quoted). */
function spells(text: string, off: number, name: string): boolean {
  if (text.startsWith(`"${name.replace(/"/g, '""')}"`, off)) return true;
  // An identifier spelled with an escaped quote in a JS string: \"Créé\".
  if (text.startsWith(`\\"${name}\\"`, off)) return true;
  return text.slice(off, off + name.length).toLowerCase() === name.toLowerCase() && !/[\w$]/.test(text[off + name.length] ?? '');
}

describe('exact ranges over a corpus (parser locations → TypeScript text)', () => {
  before(() => initParser());

  const all: { file: string; site: SqlSite }[] = [];
  before(() => {
    const p = project(CORPUS);
    for (const [file, text] of Object.entries(CORPUS)) {
      for (const site of tsSqlSites(file, text, tsSourceFile(file, text), p)) all.push({ file, site });
    }
  });

  it('finds every literal of the corpus (at least 20)', () => {
    assert.ok(all.length >= 20, `only ${all.length} sites`);
    assert.equal(all.filter((x) => x.file === 'src/pg.ts').length, 12);
    assert.equal(all.filter((x) => x.file === 'src/tags.ts').length, 10);
  });

  it('every site parses as PostgreSQL', () => {
    for (const { site } of all) {
      const out = parseSql(site.sql);
      assert.deepEqual(out.errors, [], `${site.sql}`);
    }
  });

  it('maps every ColumnRef and RangeVar location to the identifier in the TypeScript text', () => {
    let checked = 0;
    for (const { file, site } of all) {
      const text = CORPUS[file];
      const out = parseSql(site.sql);
      for (const st of out.statements) {
        for (const id of identifiers(st.node)) {
          const off = sqlToFile(site, id.location);
          assert.ok(
            spells(text, off, id.name),
            `${id.kind} ${id.name} in ${JSON.stringify(site.sql)} maps to ${JSON.stringify(text.slice(off, off + 20))}`,
          );
          // The SQL text itself agrees with the AST (sanity of the parser's UTF-16 conversion).
          assert.ok(spells(site.sql, id.location, id.name) || site.sql.startsWith(id.name, id.location), `${id.name} @ ${site.sql}`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 60, `only ${checked} identifiers checked`);
  });

  it('maps the start and end of each site inside its literal range or the constants it uses', () => {
    for (const { file, site } of all) {
      const text = CORPUS[file];
      const start = sqlToFile(site, 0);
      const end = sqlToFile(site, site.sql.length, 'end');
      assert.ok(start >= 0 && end <= text.length, `${site.sql}: ${start}..${end}`);
      // Inlined fragments and constants may sit anywhere in the file; otherwise the SQL stays in its literal.
      if (site.segments.every((s) => s.fileStart >= site.range.start && s.fileStart < site.range.end)) {
        assert.ok(start >= site.range.start && end <= site.range.end, `${site.sql} leaves its literal`);
      }
    }
  });
});
