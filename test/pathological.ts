/**
 * Pathological inputs shared by the tests that check what they produce (and
 * that they finish at all) and by `scripts/bench-bounds.ts`, which times them
 * (`npm run bench`): how long they take depends on machine load, so no test
 * asserts it.
 */

const PG = `import { Pool, PoolClient } from 'pg';\nconst pool = new Pool();\n`;

/** A query-builder chain of 40 `.where` links, each with a subquery, then one raw `sql` tag: `select 1 from t`. */
export function builderChain(links = 40): string {
  const chain = Array.from({ length: links }, (_, i) => `.where('c${i}', '=', db.selectFrom('u').select('id').where('k', '=', ${i}))`).join('\n    ');
  return `import { Kysely, sql } from 'kysely';\nconst db = new Kysely<any>({});\nexport async function f() {\n  return db.selectFrom('t')\n    ${chain}\n    .execute();\n}\nawait sql\`select 1 from t\`.execute(db);`;
}

/** A 3,000-term string concatenation reaching pool.query, then 2,000 query helpers: 2,001 SQL sites. */
export function deepConcatenation(terms = 3000, helpers = 2000): string {
  const parts = Array.from({ length: terms }, (_, i) => `'c${i}, '`).join(' + ');
  const body = Array.from({ length: helpers }, (_, i) => `export async function f${i}(id: number) { return pool.query('select * from t${i} where id = $1', [id]); }`).join('\n');
  return `${PG}pool.query('select ' + ${parts} + 'x from t');\n${body}`;
}

/** A 60-link fluent chain of another library (ts-pattern) inside a loop with one Prisma query: one N+1. */
export function fluentChain(links = 60): string {
  const ls = Array.from({ length: links }, (_, i) => `.with(${i}, () => ${i})`).join('\n    ');
  return `import { match } from 'ts-pattern';\nimport { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\nexport async function f(xs: number[]) {\n  for (const x of xs) {\n    const v = match(x)\n    ${ls}\n    .otherwise(() => 0);\n    await prisma.user.findFirst({ where: { id: v } });\n  }\n}\n`;
}

/** 300 helpers calling each other in a cycle, none running a query: no N+1. */
export function helperCycle(n = 300): string {
  const fns: string[] = [];
  for (let i = 0; i < n; i++) fns.push(`async function h${i}(x: number): Promise<unknown> { if (x > 1) return h${(i + 1) % n}(x - 1); return h${(i + 7) % n}(x + 1); }`);
  return `import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n${fns.join('\n')}\nexport async function run(ids: number[]) { for (const id of ids) await h0(id); }\n`;
}

/** A generated file of Prisma query helpers of at least `bytes`, one of them called in a loop: one N+1. */
export function bigHelperFile(bytes = 1.5 * 1024 * 1024): string {
  const fn = (i: number) => `export async function get${i}(id: number) { return prisma.user.findFirst({ where: { id } }); }\n`;
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const f = fn(i);
    parts.push(f);
    size += f.length;
  }
  return `import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n${parts.join('')}export async function all(ids: number[]) { for (const id of ids) await get7(id); }\n`;
}

/** A pg module of at least `bytes` (one query per line): the server skips it with a reason. */
export function bigDocument(bytes: number): string {
  const line = "export const q = () => pool.query('SELECT * FROM users WHERE id = 1');\n";
  return "import { Pool } from 'pg';\nconst pool = new Pool();\n" + line.repeat(Math.ceil(bytes / line.length));
}
