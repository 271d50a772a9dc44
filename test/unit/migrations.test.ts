/**
 * Index fixes per migration tool (engine/migrations, the adapters' tools): for a small project of each
 * tool, the unindexed-predicate fix must be one new migration in that tool's format — file name after
 * the existing ones, CONCURRENTLY only with the tool's transaction opt-out — or the schema edit the tool
 * generates migrations from. test/db/migrations.test.ts runs the same migrations on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { applyFixes } from '../../engine/fixes';
import { initParser } from '../../engine/sql/parser';
import type { Fix } from '../../engine/types';
import { nextPrefix, nextVersion } from '../../engine/migrations/naming';
import { Project } from '../../engine/project';
import { memoryProject } from './memory-project';
import { TOOL_PROJECTS, indexFixOf } from '../migration-projects';

describe('index migrations per tool', () => {
  before(async () => {
    await initParser();
  });

  for (const tp of TOOL_PROJECTS) {
    it(`${tp.tool}: ${tp.expect.title}`, () => {
      const project = memoryProject(tp.files);
      const fix = indexFixOf(project);
      assert.ok(fix, 'an index fix');
      assert.match(fix.title, tp.expect.title);
      assert.equal(fix.safety, tp.expect.safety ?? 'safe');
      const created = fix.edits.filter((e) => tp.files[e.file] === undefined).map((e) => e.file);
      assert.deepEqual(created, tp.expect.creates);
      const all = fix.edits.map((e) => e.newText).join('\n');
      for (const re of tp.expect.contains ?? []) assert.match(all, re);
      for (const re of tp.expect.lacks ?? []) assert.doesNotMatch(all, re);
    });
  }

  it('sequelize: an expression index (no addIndex form) is written as SQL through queryInterface.sequelize.query, and dropped the same way', () => {
    const tp = TOOL_PROJECTS.find((t) => t.tool === 'sequelize')!;
    const project = memoryProject({ ...tp.files, 'src/q.sql': 'SELECT id, title FROM link WHERE lower(url) = $1;\n' });
    const fix = indexFixOf(project);
    assert.ok(fix, 'an index fix');
    assert.equal(fix.safety, 'suggestion');
    const all = fix.edits.map((e) => e.newText).join('\n');
    assert.match(all, /await queryInterface\.sequelize\.query\('CREATE INDEX CONCURRENTLY IF NOT EXISTS \S+ ON link \(\(?lower\(url\)\)?\);'\);/);
    assert.match(all, /await queryInterface\.sequelize\.query\('DROP INDEX CONCURRENTLY IF EXISTS \S+;'\);/);
    assert.doesNotMatch(all, /addIndex/);
  });

  it('never a second copy of an index: an @@index the variant\'s model already has (evolution-api: prisma validate P1012), or one a migration creates where the schema does not see it', () => {
    const tp = TOOL_PROJECTS.find((t) => t.tool === 'prisma-migrate (variants)')!;
    // The schema the rule reads has no index on url (the migrations do not create one); the variant's model declares it.
    const declared = tp.files['prisma/postgresql-schema.prisma'].replace('  title String\n}', '  title String\n\n  @@index([url, title])\n}');
    assert.equal(indexFixOf(memoryProject({ ...tp.files, 'prisma/postgresql-schema.prisma': declared })), undefined);
    // A numbered-SQL project that queues its index builds as strings for a runner of its own (lunary's _db_migration_async).
    const sql = TOOL_PROJECTS.find((t) => t.tool === 'sql-files (numbers alone)')!;
    const queued = "insert into _db_migration_async (name, operation, statement) values\n('idx_link_url', 'create', $$create index concurrently idx_link_url on link (url)$$);\n";
    assert.equal(indexFixOf(memoryProject({ ...sql.files, 'packages/db/0004.sql': queued })), undefined);
    // Dropped again later: the fix is offered.
    assert.ok(indexFixOf(memoryProject({ ...sql.files, 'packages/db/0004.sql': queued, 'packages/db/0005.sql': 'drop index if exists idx_link_url;\n' })));
  });

  it('drizzle-kit: --fix twice declares the index once; the finding then says to run drizzle-kit generate (kan: every index twice)', () => {
    for (const tool of ['drizzle-kit', 'drizzle-kit (multi-line extra config)', 'drizzle-kit (folders)']) {
      const tp = TOOL_PROJECTS.find((t) => t.tool === tool)!;
      const fix = indexFixOf(memoryProject(tp.files));
      assert.ok(fix, `${tool}: an index fix`);
      const once = applyFixes(new Map([['src/db/schema.ts', tp.files['src/db/schema.ts']]]), [fix], { safeOnly: true }).files.get('src/db/schema.ts')!;
      // The migrations still lack the index: the finding stays, with no edit and the step that creates it.
      const again = memoryProject({ ...tp.files, 'src/db/schema.ts': once });
      assert.equal(indexFixOf(again), undefined, `${tool}: no second index`);
      const findings = again.analyze(tp.files['src/q.sql'] !== undefined ? 'src/q.sql' : 'src/q.ts', ['unindexed-predicate']).findings;
      assert.equal(findings.length, 1);
      assert.match(findings[0].message, /src\/db\/schema\.ts already declares an index on table\.url for table link but no migration creates it yet: run drizzle-kit generate\.$/);
    }
    // Under another name, unique, or leading a composite: the same (the declaration serves url); on another column: a fix.
    const tp = TOOL_PROJECTS.find((t) => t.tool === 'drizzle-kit')!;
    const withExtra = (extra: string) => memoryProject({ ...tp.files, 'src/db/schema.ts': tp.files['src/db/schema.ts'].replace(/\}\);\s*$/, `}, (t) => [${extra}]);\n`).replace('{ pgTable', '{ index, uniqueIndex, pgTable') });
    for (const extra of ['index("by_url").on(t.url)', 'uniqueIndex("u").on(t.url.desc(), t.title)', 'index("b").using("btree", t.url)']) assert.equal(indexFixOf(withExtra(extra)), undefined, extra);
    for (const extra of ['index("by_title").on(t.title)', 'index("p").on(t.url).where(sql`true`)', 'index("g").using("gin", t.url)']) assert.ok(indexFixOf(withExtra(extra)), extra);
  });

  it('names never collide: a Prisma project with two unindexed tables gets two timestamps, and --fix one index per table', () => {
    const tp = TOOL_PROJECTS.find((t) => t.tool === 'prisma-migrate')!;
    const project = memoryProject({ ...tp.files, 'src/more.sql': 'SELECT id FROM "Link" WHERE "title" = $1;\nSELECT id FROM "Tag" WHERE "name" = $1;\n' });
    const fixes: Fix[] = [];
    for (const f of ['src/q.sql', 'src/more.sql']) for (const x of project.analyze(f, ['unindexed-predicate']).findings) fixes.push(...x.fixes.filter((y) => y.safety === 'safe'));
    assert.equal(fixes.length, 3);
    const files = new Map(Object.entries(tp.files).filter(([p]) => fixes.some((x) => x.edits.some((e) => e.file === p))));
    // One pass: the first index of Link and the one of Tag; the second of Link waits (one per table per run), and
    // so does Tag's migration folder number (one new migration per folder per pass, renumbered after a re-lint).
    const pass = applyFixes(files, fixes, { safeOnly: true });
    assert.equal(pass.applied.length, 1);
    assert.deepEqual(
      pass.skipped.map((s) => s.reason),
      ['claimed', 'claimed'],
    );
  });
});

describe('new migration versions (width and kind of the majority, the clock for timestamped tools)', () => {
  const now = new Date('2026-12-02T06:30:05.123Z');
  const seq = (from: number, to: number, w: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i).padStart(w, '0'));

  it('numbered files: the majority width, not the one odd file (supabase/storage: 62 of 4 digits and 00010)', () => {
    const nums = [...seq(1, 63, 4).filter((n) => n !== '0010'), '00010'];
    assert.equal(nextVersion(nums, { now }), '0064');
    // A clock never turns a sequence into a timestamp.
    assert.equal(nextVersion(['001', '002', '003'], { now }), '004');
  });

  it('timestamped files: the current UTC time in the majority width, not max+1 of a 16-digit outlier (nango)', () => {
    const nums = ['20250101000000', '20250301120000', '20260801093000', '2025090211162062', '2025090211162065'];
    assert.equal(nextVersion(nums, { now }), '20261202063005');
    // Without a clock (library use, fixtures): the number after the majority's largest.
    assert.equal(nextVersion(nums), '20260801093001');
  });

  it('a clock behind the newest migration, or a version already taken, gives the next free number of that width', () => {
    assert.equal(nextVersion(['20270101000000', '20260101000000'], { now }), '20270101000001');
    assert.equal(nextVersion(['20250101000000', '20261202063005'], { now }), '20261202063006');
  });

  it('a calendar stamp rolls over instead of counting past 59 (openpanel --fix wrote 20261202150260 after …259)', () => {
    const at = new Date('2026-12-02T15:02:59.500Z');
    assert.equal(nextVersion(['20250101000000', '20261202150259'], { now: at, force: 'ymdhms' }), '20261202150300');
    assert.equal(nextVersion(['20261231235959', '20261231235958'], { now: at, force: 'ymdhms' }), '20270101000000');
    assert.equal(nextVersion(['202612021502', '202612021559'], { now: at }), '202612021600');
    // Without a clock, too.
    assert.equal(nextVersion(['20260801093059']), '20260801093100');
  });

  it('epoch-millisecond versions (TypeORM, node-pg-migrate) and a tool that forces its kind (Prisma with no migration yet)', () => {
    assert.equal(nextVersion(['1700000000000', '1710000000000'], { now }), String(now.getTime()));
    assert.equal(nextVersion([], { now, force: 'ymdhms' }), '20261202063005');
    assert.equal(nextVersion(['1700000000000'], { now, force: 'epoch-ms' }), String(now.getTime()));
  });

  it('string-sorted names (Kysely): a plain leading version follows the majority; a composite one bumps its last group', () => {
    assert.equal(nextPrefix(['0001_init', '0002_users', '00003_odd'], now), '0004');
    assert.equal(nextPrefix(['20240101120000_init', '20240301120000_users'], now), '20261202063005');
    assert.equal(nextPrefix(['2024_03_12_001_init', '2024_03_12_002_users']), '2024_03_12_003');
  });

  it('the host clock names the Knex migration of a --fix run', () => {
    const tp = TOOL_PROJECTS.find((t) => t.tool === 'knex')!;
    const project = new Project(undefined, { now: () => now });
    for (const [p, text] of Object.entries(tp.files)) project.setFile(p, text);
    const fix = indexFixOf(project);
    assert.deepEqual(
      fix?.edits.map((e) => e.file),
      ['migrations/20261202063005_add_idx_link_url.ts'],
    );
  });
});
