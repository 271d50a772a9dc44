/**
 * Findings do not depend on the order files are analysed in. The CLI analyses a project's files in path
 * order (split across workers, or partly from --cache); the language server one open document at a time.
 * For every fixture case of several files, each file's findings of the case's rule are the same analysed first to last, last to
 * first, and alone in a fresh project. (A memo filled by whichever file asked first, under its own context,
 * and reused by another breaks this: projectIteration kept one answer per closure, computed at the depth of
 * the first chain that reached it.)
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { initParser } from '../../engine/sql/parser';
import * as path from 'node:path';
import { Project } from '../../engine/project';
import { buildCase, loadCases, type FixtureCase } from '../harness';

function findingsByFile(c: FixtureCase, order: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of order) {
    const r = c.project.analyze(f, [c.ruleId]);
    out.set(f, JSON.stringify(r.findings.map((x) => [x.ruleId, x.range.start, x.range.end, x.severity, x.message])));
  }
  return out;
}

describe('analysis order', function () {
  this.timeout(600000);
  before(async () => {
    await initParser();
  });

  const cases = loadCases().filter((c) => fs.statSync(c.dir).isDirectory() && c.files.length > 1);

  it('has multi-file fixture cases to check', () => assert.ok(cases.length > 10));

  for (const c of cases) {
    it(`${c.ruleId} · ${c.verdict} · ${c.name}: same findings first to last, last to first, and alone`, () => {
      const forward = findingsByFile(buildCase(c.ruleId, c.verdict, c.name), c.files);
      const reverse = findingsByFile(buildCase(c.ruleId, c.verdict, c.name), [...c.files].reverse());
      for (const f of c.files) {
        assert.equal(reverse.get(f), forward.get(f), `${f}: analysed last to first`);
        const alone = findingsByFile(buildCase(c.ruleId, c.verdict, c.name), [f]);
        assert.equal(alone.get(f), forward.get(f), `${f}: analysed alone`);
      }
    });
  }

  /** A flagged case's file as its not-flagged look-alike has it (same relative path), if there is one. */
  const lookAlikeOf = (c: FixtureCase) => (rel: string): string | undefined => {
    const abs = path.join(c.dir, '..', '..', 'not-flagged', c.name, rel.slice(`flagged/${c.name}/`.length));
    return fs.existsSync(abs) ? fs.readFileSync(abs, 'utf8') : undefined;
  };

  const edited = cases.filter((c) => c.verdict === 'flagged' && fs.existsSync(path.join(c.dir, '..', '..', 'not-flagged', c.name)));

  it('has multi-file cases with look-alikes to edit', () => assert.ok(edited.length > 5));

  for (const c of edited) {
    it(`${c.ruleId} · ${c.name}: a file analysed again after its siblings changed has a fresh project's findings`, () => {
      const lookAlike = lookAlikeOf(c);
      for (const f of c.files) {
        const siblings = c.files.filter((g) => g !== f && lookAlike(g) !== undefined);
        if (!siblings.length) continue;
        const kept = buildCase(c.ruleId, 'flagged', c.name);
        findingsByFile(kept, kept.files);
        for (const g of siblings) kept.project.setFile(g, lookAlike(g)!);
        const fresh = buildCase(c.ruleId, 'flagged', c.name);
        for (const g of siblings) fresh.project.setFile(g, lookAlike(g)!);
        assert.equal(findingsByFile(kept, [f]).get(f), findingsByFile(fresh, [f]).get(f), `${f} after its siblings became their look-alikes`);
      }
    });
  }

  /**
   * As the language server holds a project: the analysed file and the rule's shared files given, the case's other
   * files read from "disk" through the host. A disk change then reaches the project only as Project.forget (the
   * server drops nothing else), and must leave what it derived from the old text nowhere.
   */
  function onDisk(c: FixtureCase, f: string, edits: ReadonlyMap<string, string>): FixtureCase {
    const base = buildCase(c.ruleId, 'flagged', c.name);
    const disk = new Map(base.project.paths().map((p) => [p, edits.get(p) ?? base.project.fileText(p)!]));
    const project = new Project(base.project.config, { readFile: (p) => disk.get(p), listFiles: () => [...disk.keys()] });
    for (const [p, text] of disk) if (p === f || !c.files.includes(p)) project.setFile(p, text);
    const write = (p: string, text: string) => {
      disk.set(p, text);
      project.forget(p);
    };
    return { ...base, project, write } as FixtureCase & { write: typeof write };
  }

  for (const c of edited) {
    it(`${c.ruleId} · ${c.name}: after siblings changed on disk (Project.forget), a file has a fresh project's findings`, () => {
      const lookAlike = lookAlikeOf(c);
      for (const f of c.files) {
        const siblings = c.files.filter((g) => g !== f && lookAlike(g) !== undefined);
        if (!siblings.length) continue;
        const kept = onDisk(c, f, new Map()) as FixtureCase & { write: (p: string, t: string) => void };
        findingsByFile(kept, kept.files);
        for (const g of siblings) kept.write(g, lookAlike(g)!);
        const fresh = onDisk(c, f, new Map(siblings.map((g) => [g, lookAlike(g)!])));
        assert.equal(findingsByFile(kept, [f]).get(f), findingsByFile(fresh, [f]).get(f), `${f} after its siblings became their look-alikes on disk`);
      }
    });
  }
});
