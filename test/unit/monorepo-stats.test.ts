/**
 * A monorepo like rallly's: the Prisma models live in packages/database/prisma/models/*.prisma (Prisma ≥ 6.7
 * reads every .prisma file under the folder of schema.prisma), the app depends on the database package, and
 * `querylens stats pull` wrote querylens.stats.json at the repository root. The app's queries must see the
 * models and the snapshot; a snapshot inside another package stays that package's.
 */
import assert from 'node:assert/strict';
import { findTable } from '../../engine/schema';
import { initParser } from '../../engine/sql/parser';
import { memoryProject } from './memory-project';

const files = (statsAt: string): Record<string, string> => ({
  'package.json': JSON.stringify({ name: 'root', private: true, workspaces: ['apps/*', 'packages/*'] }),
  'packages/database/package.json': JSON.stringify({ name: '@acme/database' }),
  'packages/database/prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n}\n',
  'packages/database/prisma/models/billing.prisma': 'model Subscription {\n  id     String  @id\n  active Boolean\n  @@map("subscriptions")\n}\n',
  'packages/other/package.json': JSON.stringify({ name: '@acme/other' }),
  'apps/web/package.json': JSON.stringify({ name: 'web', dependencies: { '@acme/database': 'workspace:*' } }),
  'apps/web/src/subs.ts': "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\nexport const all = () => prisma.subscription.findMany();\n",
  [statsAt]: JSON.stringify({ tables: { 'public.subscriptions': { rows: 3000 } } }),
});

describe('monorepo: Prisma models folder and a root stats snapshot', () => {
  before(() => initParser());

  it('the app resolves the model from prisma/models/*.prisma and gets the root snapshot’s row count', () => {
    const p = memoryProject(files('querylens.stats.json'));
    const t = findTable(p.schema('apps/web/src/subs.ts'), 'subscriptions');
    assert.ok(t, 'the model file is a schema source');
    assert.equal(t.rows, 3000);
    assert.equal(t.rowsSource, 'stats');
  });

  it('a snapshot inside a sibling package does not reach the app', () => {
    const p = memoryProject(files('packages/other/querylens.stats.json'));
    const t = findTable(p.schema('apps/web/src/subs.ts'), 'subscriptions');
    assert.ok(t);
    assert.notEqual(t.rowsSource, 'stats');
  });
});
