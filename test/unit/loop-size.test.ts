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
});
