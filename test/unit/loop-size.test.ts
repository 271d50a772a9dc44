/**
 * Loop counts from the query that produced the collection (engine/model/loop-size.ts): the rows an
 * unbounded read keeps by the stats snapshot, and a limit handed to a helper by its caller. The
 * fixture corpus has the limit cases without statistics (fixtures/n-plus-one/*helper-limit-parameter*);
 * the harness has no snapshot, so the statistics pair lives here, on a real Project.
 */
import assert from 'node:assert/strict';
import { initParser } from '../../engine/sql/parser';
import type { Finding } from '../../engine/types';
import { memoryProject } from './memory-project';

const SCHEMA =
  'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n' +
  'model Subscription {\n  id     String  @id\n  userId String  @map("user_id")\n  active Boolean\n  @@index([userId])\n  @@map("subscriptions")\n}\n' +
  'model Space {\n  id      String @id\n  ownerId String @map("owner_id")\n  @@index([ownerId])\n  @@map("spaces")\n}\n';

const STATS = {
  tables: {
    'public.subscriptions': { rows: 3000, columns: { active: { nullFrac: 0, nDistinct: 2, avgWidth: 1, mostCommonFreqs: [0.9, 0.1] }, user_id: { nullFrac: 0, nDistinct: -1, avgWidth: 24 } } },
    'public.spaces': { rows: 20000, columns: { owner_id: { nullFrac: 0, nDistinct: -1, avgWidth: 24 } } },
  },
};

const code = (where: string): string =>
  "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n" +
  `export async function sync() {\n  const subs = await prisma.subscription.findMany(${where});\n  for (const s of subs) {\n    await prisma.space.findFirst({ where: { ownerId: s.userId } });\n  }\n}\n`;

function iterations(files: Record<string, string>): { value: number; source: string; note?: string } {
  const project = memoryProject({ 'prisma/schema.prisma': SCHEMA, ...files });
  const f: Finding | undefined = project.analyze('src/sync.ts').findings.find((x) => x.ruleId === 'n-plus-one');
  assert.ok(f, 'an n-plus-one finding');
  const a = f.estimate?.assumptions.find((x) => x.name === 'iterations');
  assert.ok(a);
  return { value: a.value as number, source: a.source, note: a.note };
}

describe('loop counts from the producing query', () => {
  before(() => initParser());

  it('an unbounded read of the whole table loops over its reltuples (stats)', () => {
    const n = iterations({ 'querylens.stats.json': JSON.stringify(STATS), 'src/sync.ts': code('{ select: { userId: true } }') });
    assert.equal(n.value, 3000);
    assert.equal(n.source, 'stats');
    assert.match(n.note ?? '', /every row of subscriptions/);
  });

  it('a filtered read loops over the rows its filter keeps by the statistics', () => {
    const n = iterations({ 'querylens.stats.json': JSON.stringify(STATS), 'src/sync.ts': code('{ where: { active: true } }') });
    assert.equal(n.source, 'stats');
    // Equality on a 2-valued column, priced as for a parameter: 3000 rows ÷ 2 distinct values.
    assert.equal(n.value, 1500);
  });

  it('the look-alike without a snapshot keeps the default, labelled as such', () => {
    const n = iterations({ 'src/sync.ts': code('{ select: { userId: true } }') });
    assert.equal(n.value, 100);
    assert.equal(n.source, 'default');
  });

  it('a take bound by a constant wins over the statistics', () => {
    const n = iterations({ 'querylens.stats.json': JSON.stringify(STATS), 'src/sync.ts': code('{ take: PAGE }').replace('export async', 'const PAGE = 40;\nexport async') });
    assert.equal(n.value, 40);
    assert.equal(n.source, 'code');
  });
  // Raw SQL keeps its WHERE in the statement: an equality on a key is the relation's fan-out, any other
  // term leaves the count unknown (the default), never "every row" (the db suite's case gave 50,000).
  const SQL_SCHEMA = 'CREATE TABLE customers (id int PRIMARY KEY);\nCREATE TABLE orders (id int PRIMARY KEY, customer_id int, created_at timestamptz);\n';
  const SQL_STATS = { tables: { 'public.orders': { rows: 50000, columns: { customer_id: { nullFrac: 0, nDistinct: 5000, avgWidth: 4 }, created_at: { nullFrac: 0, nDistinct: -1, avgWidth: 8 } } }, 'public.customers': { rows: 5000, columns: {} } } };
  const sqlCode = (where: string): string =>
    "import { Pool } from 'pg';\nconst pool = new Pool();\n" +
    `export async function sync(c: number) {\n  const { rows } = await pool.query('SELECT id FROM orders ${where}', [c]);\n  for (const o of rows) {\n    await pool.query('SELECT id FROM customers WHERE id = $1', [o.id]);\n  }\n}\n`;
  const sqlIterations = (where: string) => {
    const project = memoryProject({ 'migrations/001.sql': SQL_SCHEMA, 'querylens.stats.json': JSON.stringify(SQL_STATS), 'src/sync.ts': sqlCode(where) });
    const f = project.analyze('src/sync.ts').findings.find((x) => x.ruleId === 'n-plus-one');
    assert.ok(f, 'an n-plus-one finding');
    return f.estimate?.assumptions.find((x) => x.name === 'iterations');
  };

  it('raw SQL: an equality on a foreign key loops over the fan-out, not the whole table', () => {
    const n = sqlIterations('WHERE customer_id = $1');
    assert.equal(n?.source, 'stats');
    assert.equal(n?.value, 10);
    assert.match(n?.note ?? '', /fan-out of orders\.customer_id/);
  });

  it('raw SQL: a range term leaves the count to the default', () => {
    const n = sqlIterations('WHERE created_at > $1');
    assert.equal(n?.source, 'default');
  });
});
