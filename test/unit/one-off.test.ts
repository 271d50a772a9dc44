import assert from 'node:assert/strict';
import { defaultConfig, parseConfig } from '../../engine/config';
import { isOneOffPath, isTopLevelScript, oneOffReason, packageScriptEntries } from '../../engine/one-off';
import { Project } from '../../engine/project';
import { ruleIds } from '../../rules';
import { initParser } from '../../engine/sql/parser';
import { loadCases, runCase } from '../harness';
import { isTestPath } from '../../rules/n-plus-one';
import { isOneOffScriptPath, isTestFilePath } from '../../rules/one-off';

describe('one-off scripts (migrations as code, data migrations, backfills, seeds)', () => {
  before(async () => {
    await initParser();
  });

  it('recognises the paths found in real repositories, and only those', () => {
    for (const p of [
      'db/postgresql/data-migrations/populate-revenue-table.sql', // umami
      'packages/database/migration/20260204174943_migrate_storage_urls_to_relative/migration.ts', // formbricks
      'packages/database/src/scripts/backfill-attribute-values.ts', // formbricks
      'packages/database/src/seed.ts', // formbricks
      'packages/prisma/seed/documents.ts', // documenso
      'scripts/seed/index.ts', // umami
      'src/db/seeds/001_users.ts',
      'db/migrate.ts',
      'server/scripts/20210716000000-backfill-revisions.ts', // outline
      'packages/db/code-migrations/2-accounts.ts', // openpanel
      'src/db/mongo_migrations/001.ts',
    ]) {
      assert.ok(isOneOffScriptPath(p), p);
    }
    for (const p of [
      'src/queries/prisma/user.ts',
      'apps/webapp/app/v3/runOpsMigration/readThrough.server.ts',
      'src/services/seeding-helpers-client.ts',
      'src/lib/migrationStatus.ts',
      'src/seedling/plant.ts',
      'src/backfiller.ts',
      'src/2fa-seedless.ts',
      'packages/db/src/code-migrations-ui/status.ts',
      'src/migrationsView/list.ts',
      'src/features/account-migration/route.ts',
    ]) {
      assert.ok(!isOneOffScriptPath(p), p);
    }
  });

  it('the per-execution rules see one-off code by folder, name, package.json scripts and the oneOff config', () => {
    for (const p of [
      'scripts/fix-avatars.ts',
      'src/scripts/migrate-call.ts', // supabase storage
      'oneoffs/export.ts',
      'one-off/x.ts',
      'temp/check.sql',
      'db/manual-migrations/01.sql',
      'src/upgrades/v2.ts',
      'src/tools/upgrade-v3.ts',
      'src/tools/settings-upgrade.ts',
      'db/alter-tables.sql',
      'app/prisma/seedUsageLog.ts', // OpenPipe
      'src/backfillOrders.ts',
    ]) {
      assert.ok(isOneOffPath(p), p);
    }
    for (const p of ['src/seeder.ts', 'src/seedling.ts', 'src/backfilling.ts', 'src/seedlessAuth.ts', 'src/upgradeable.ts', 'src/services/alerts.ts', 'src/transcripts/list.ts', 'src/template/render.ts']) assert.ok(!isOneOffPath(p), p);
    const pkg = JSON.stringify({
      scripts: {
        start: 'NODE_ENV=production node dist/start/server.js',
        'dev:code': 'nodemon --exec node --loader ts-node/esm src/server/server.ts',
        'docs:export': 'EXPORT=1 node --loader ts-node/esm src/server/server.ts',
        'report:generate': 'tsx src/dev/report.ts && echo done',
        build: 'tsc -p . && esbuild src/worker.ts',
      },
    });
    const only = packageScriptEntries(['package.json'], (f) => (f === 'package.json' ? pkg : undefined)).scriptOnly;
    assert.deepEqual([...only], ['src/dev/report.ts'], 'an entry the application also runs is not one-off; a built file is not run');
    const cfg = defaultConfig();
    cfg.oneOff = { include: ['src/jobs/rebuild-*.ts'], exclude: ['scripts/cron/**'] };
    assert.equal(oneOffReason('src/jobs/rebuild-index.ts', cfg, new Set()), 'oneOff.include');
    assert.equal(oneOffReason('scripts/cron/nightly.ts', cfg, new Set()), undefined, 'exclude wins over the folder');
    assert.match(oneOffReason('src/dev/report.ts', cfg, only) ?? '', /package\.json/);
    assert.throws(() => parseConfig({ oneOff: { includes: [] } }, ruleIds()), /oneOff\.includes: unknown oneOff setting \(did you mean "include"\?\)/);
  });

  it('sees a module that exports nothing, defines no function and awaits at top level as a script', () => {
    // OpenPipe's app/prisma/deleteOneFineTune.ts
    const script = 'import { prisma } from "~/server/db";\n\n// delete most recent\nconst row = await prisma.fineTune.findFirst({ orderBy: { createdAt: "desc" } });\n\nif (row) {\n  await prisma.fineTune.delete({ where: { id: row.id } });\n}\n';
    assert.equal(isTopLevelScript(script), true);
    assert.equal(isTopLevelScript(`${script}export const done = true;\n`), false, 'an export: an importer may call into it');
    assert.equal(isTopLevelScript('const x = 1;\nasync function go() {\n  await db.q();\n}\ngo();\n'), false, 'no top-level await');
    assert.equal(isTopLevelScript('await db.connect();\napp.get("/", async (req, res) => res.json(await db.q()));\n'), false, 'a handler: a server entry');
    assert.equal(isTopLevelScript('await db.connect();\nfunction handle(req) {\n  return db.q(req);\n}\nserve(handle);\n'), false);
    const cfg = defaultConfig();
    assert.match(oneOffReason('app/prisma/deleteOneFineTune.ts', cfg, new Set(), script) ?? '', /exports nothing/);
    assert.equal(oneOffReason('src/main.ts', cfg, new Set(), script, new Set(['src/main.ts'])), undefined, 'an application script runs it');
  });

  // The not-flagged fixtures `one-off-scripts` must be quiet only because of where the files are:
  // with the rule option includeOneOffScripts the same files give findings.
  for (const ruleId of ['unindexed-predicate', 'over-fetching', 'cartesian-join']) {
    it(`${ruleId}: the one-off-scripts fixture is flagged with includeOneOffScripts`, () => {
      const c = loadCases(ruleId).find((x) => x.verdict === 'not-flagged' && x.name === 'one-off-scripts');
      assert.ok(c, 'fixture case exists');
      const quiet = runCase(c);
      assert.deepEqual(quiet.problems, []);
      assert.equal(quiet.findings.length, 0);
      const cfg = structuredClone(c.project.config);
      cfg.rules[ruleId] = { severity: 'warning', options: { includeOneOffScripts: true } };
      const project = new Project(cfg);
      for (const f of c.project.paths()) project.setFile(f, c.project.fileText(f)!);
      const runs = c.files.map((f) => project.analyze(f, [ruleId]));
      assert.deepEqual(runs.flatMap((r) => r.problems), []);
      const flaggedFiles = new Set(c.files.filter((_f, i) => runs[i].findings.length > 0));
      // Every file of the case is a real finding once one-off scripts are linted.
      assert.deepEqual([...flaggedFiles].sort(), [...c.files].sort());
    });
  }
});


describe('test-file paths', () => {
  it('match n-plus-one (one convention for every rule)', () => {
    for (const p of ['src/__tests__/a.ts', 'test/x.ts', 'src/a.test.ts', 'src/a.spec.tsx', 'e2e/a.e2e-spec.ts', 'src/app.ts', 'src/testing/x.ts', 'src/contest.ts']) {
      assert.equal(isTestFilePath(p), isTestPath(p), p);
    }
  });
  it('include end-to-end suites and test packages, not folders that merely end in "tests"', () => {
    for (const p of ['packages/app-tests/e2e/fixtures/api-seeds.ts', 'e2e/fixtures/seed.ts', 'integration_tests/db.ts', 'apps/web-e2e/src/x.ts']) assert.equal(isTestPath(p), true, p);
    for (const p of ['src/requests/list.ts', 'src/contests/x.ts', 'src/latest/x.ts', 'src/e2ee/keys.ts']) assert.equal(isTestPath(p), false, p);
  });
});
