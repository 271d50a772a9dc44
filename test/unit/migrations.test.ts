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
