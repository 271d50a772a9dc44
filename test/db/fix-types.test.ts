/**
 * Every TypeScript fix proven against the libraries' real types (issue 13, "every fix proven"): each
 * non-disable fix of every flagged TypeScript fixture (n-plus-one batched rewrites, over-fetching column
 * lists and ORM selections, ORM index fixes, …) is applied and the fixture type-checks with
 * `tsc --strict` against the types of the library it imports (test/fix-proof/node_modules; Prisma's client
 * generated from the fixture's schema.prisma). The fixture itself must type-check first, except the few
 * listed in UNTYPED with the reason; for those, the fix may add no diagnostic. (The unit suite
 * test/unit/fixes.test.ts proves on the same fixtures that each fix parses and removes its finding.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { applyFixes } from '../../engine/fixes';
import { initParser } from '../../engine/sql/parser';
import type { Finding, Fix } from '../../engine/types';
import { FIXTURES, loadCases, runCase, type FixtureCase } from '../harness';
import { fixtureModulePaths, inProcessTypeChecker, prismaGenerate, proofInstalled, writeProject } from './fix-proof';

/** Fixtures that do not type-check as written, and why: their fixes are checked to add no diagnostic. */
const UNTYPED: Record<string, string> = {
  'cartesian-join/interpolated-look-alikes.ts': 'imports slonik (not a proof package)',
  'n-plus-one/typeorm-service.ts': 'imports @nestjs/common and @nestjs/typeorm (not proof packages)',
  'n-plus-one/rpc-procedure-context': 'imports @trpc/server and zod (not proof packages)',
  'n-plus-one/prisma-workspace-factory': "imports its workspace package '@acme/db', which the proof project does not link, and passes datasourceUrl, an option Prisma 7 dropped",
  'n-plus-one/prisma-workspace-star-client-type': "imports its workspace package '@acme/db' (which re-exports the generated client), and the proof project does not link workspace packages",
  'n-plus-one/singleton-accessor': "imports its workspace package '@acme/kit' (the lazy-singleton helper), which the proof project does not link",
  'n-plus-one/drizzle-unique-key-partly.ts': "its relational `where: (table, { eq }) => …` callback meets drizzle-orm's SQL type through both the package's ESM and CJS declarations under the proof's nodenext options (TS2322/TS2769 'separate declarations of a private property'), a clash of the proof's module setup, not of the fix",
  'n-plus-one/top-level-await-script.ts': 'awaits at its top level, which the proof compiles as CommonJS (nodenext, no package.json "type": "module"): TS1309 as written; its fix (a top-level awaited createMany) is checked to add no diagnostic',
  'over-fetching/orm-typeorm-sequelize': 'its Sequelize model User declares no attributes (Model {}), so reading org_id is a type error',
  'over-fetching/orm-prisma.ts': 'no schema.prisma: the Prisma client has no models',
  'over-fetching/handed-to-helper.ts': 'no schema.prisma: the Prisma client has no models (its tables come from the rule folder\'s schema.sql)',
  'over-fetching/pushed-onto-list.ts': 'no schema.prisma: the Prisma client has no models (its tables come from the rule folder\'s schema.sql)',
  'over-fetching/presence-and-chained-reads.ts': 'no schema.prisma: the Prisma client has no models (its tables come from the rule folder\'s schema.sql)',
  'over-fetching/row-held-then-read.ts': 'no schema.prisma: the Prisma client has no models (its tables come from the rule folder\'s schema.sql)',
  'over-fetching/row-returned-to-readers.ts': 'no schema.prisma: the Prisma client has no models (its tables come from the rule folder\'s schema.sql)',
  'over-fetching/presence-in-place.ts': 'no schema.prisma: the Prisma client has no models (its tables come from the rule folder\'s schema.sql)',
  'over-fetching/long-text-column.ts': 'no schema.prisma: the Prisma client has no models (its tables come from the rule folder\'s schema.sql)',
  'over-fetching/prisma-include.ts': 'no schema.prisma: the Prisma client has no models, nor the relations its include names (its tables come from the rule folder\'s schema.sql)',
};

/**
 * Fixtures written for a major version of their library that the proof does not install, and why: their fixes are
 * not type-checked here (the unit suite still applies them, parses the result and sees the finding gone).
 */
const OTHER_VERSION: Record<string, string> = {
  'n-plus-one/drizzle-relational-v2-lookups.ts': "drizzle-orm 1.0's relational API v2 (defineRelations, drizzle({ client, relations }), object filters); the proof installs 0.44, where db.query has no tables and every row is any. Its two fixes type-check with --strict against drizzle-orm 1.0.0-rc.4 (checked by hand, h13 s26)",
};

const isTs = (f: string): boolean => /\.tsx?$/.test(f);
const isDisable = (f: Finding, x: Fix): boolean => x.title === `Disable ${f.ruleId} for this line`;
/** A diagnostic without its line: a fix moves lines. */
const unplaced = (d: string): string => d.replace(/^([^:]+):\d+: /, '$1: ');

/** The schema.prisma the case is read with (its own, else its rule folder's), made generate-able by Prisma 7. */
function prismaSchemaOf(c: FixtureCase): string | undefined {
  const own = fs.statSync(c.dir).isDirectory() ? walk(c.dir).find((f) => f.endsWith('.prisma')) : undefined;
  const shared = path.join(FIXTURES, c.ruleId, 'schema.prisma');
  const file = own ? path.join(c.dir, own) : fs.existsSync(shared) ? shared : undefined;
  if (!file) return undefined;
  // Prisma 7 reads the URL from prisma.config.ts, never the schema; the client is generated by prisma-client-js.
  const text = fs.readFileSync(file, 'utf8').replace(/^\s*url\s*=.*$/m, '');
  return /generator\s+\w+\s*\{/.test(text) ? text : `generator client {\n  provider = "prisma-client-js"\n}\n\n${text}`;
}

function walk(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]));
}

describe('fix proof: every TypeScript fix of the fixtures type-checks with the real library types', function () {
  this.timeout(300000);
  const check = inProcessTypeChecker();
  let generated: string | undefined;
  const checked = new Map<string, number>();
  const visited = new Set<string>();
  const cases = loadCases().filter((c) => c.verdict === 'flagged' && c.files.some(isTs));

  before(async () => {
    const missing = proofInstalled();
    assert.ok(!missing, missing);
    await initParser();
  });
  after(() => console.log(`\n  TypeScript fixes type-checked against the libraries' types: ${[...checked].map(([r, n]) => `${r} ${n}`).join(', ')}\n`));

  /** Failures of one case: the fixture's own diagnostics when it should type-check, or those a fix adds. */
  const proveCase = (c: FixtureCase, fixes: Fix[]): string[] => {
    const key = `${c.ruleId}/${c.name}`;
    const files: Record<string, string> = {};
    // Every TypeScript file of the case, schema sources (entities, Drizzle tables) included.
    const caseFiles = fs.statSync(c.dir).isDirectory() ? walk(c.dir).map((r) => `${c.verdict}/${c.name}/${r.split(path.sep).join('/')}`) : c.files;
    for (const f of caseFiles.filter(isTs)) files[f] = c.project.fileText(f) ?? '';
    const read = prismaSchemaOf(c);
    // A generator `output` folder (`./__generated__`) holds the generated client in the project: the proof generates
    // the default @prisma/client and puts a module re-exporting it where the output folder would be.
    const output = read && /generator\s+client\s*\{[^}]*?\boutput\s*=\s*"([^"]+)"/.exec(read);
    const schema = output ? read.replace(/^\s*output\s*=.*$/m, '') : read;
    if (output) {
      const own = walk(c.dir).find((f) => f.endsWith('.prisma'));
      if (own) files[`${c.verdict}/${c.name}/${path.join(path.dirname(own), output[1], 'index.ts').split(path.sep).join('/')}`] = "export * from '@prisma/client';\n";
    }
    const dir = writeProject(`types-${key}`, { ...files, ...(schema ? { 'prisma/schema.prisma': schema } : {}) });
    if (schema && Object.values(files).some((t) => /@prisma\/client/.test(t)) && schema !== generated) {
      const err = prismaGenerate(dir);
      if (err) return [`${key}: prisma generate failed: ${err}`];
      generated = schema;
    }
    // A fixture with its own tsconfig resolves its non-relative imports through its baseUrl/paths.
    const modulePaths = fs.statSync(c.dir).isDirectory() ? fixtureModulePaths(c.dir, path.join(dir, c.verdict, c.name)) : undefined;
    const before = check(dir, files, modulePaths);
    if (!UNTYPED[key] && before.length) return [`${key}: the fixture does not type-check as written:\n    ${before.join('\n    ')}`];
    const allowed = before.map(unplaced);
    const failures: string[] = [];
    for (const fix of fixes) {
      const current = new Map(Object.entries(files).filter(([f]) => fix.edits.some((e) => e.file === f)));
      const res = applyFixes(current, [fix]);
      if (res.applied.length !== 1) {
        failures.push(`${key}: fix "${fix.title}" does not apply`);
        continue;
      }
      const after = check(dir, { ...files, ...Object.fromEntries(res.files) }, modulePaths);
      checked.set(c.ruleId, (checked.get(c.ruleId) ?? 0) + 1);
      const budget = [...allowed];
      const added = after.filter((d) => {
        const i = budget.indexOf(unplaced(d));
        if (i < 0) return true;
        budget.splice(i, 1);
        return false;
      });
      if (added.length) failures.push(`${key}: fix "${fix.title}" adds:\n    ${added.join('\n    ')}`);
    }
    return failures;
  };

  for (const ruleId of [...new Set(cases.map((c) => c.ruleId))]) {
    it(`${ruleId}: each fixture with a TypeScript fix type-checks, and still does after each fix`, () => {
      const failures: string[] = [];
      for (const c of cases.filter((x) => x.ruleId === ruleId)) {
        const fixes = runCase(c)
          .findings.filter((f) => f.ruleId === ruleId)
          .flatMap((f) => f.fixes.filter((x) => !isDisable(f, x) && x.edits.some((e) => isTs(e.file))));
        if (!fixes.length) continue;
        visited.add(`${c.ruleId}/${c.name}`);
        if (OTHER_VERSION[`${c.ruleId}/${c.name}`]) continue;
        failures.push(...proveCase(c, fixes));
      }
      assert.deepEqual(failures, []);
    });
  }

  it('every fixture listed as untyped has a TypeScript fix (the list is not stale)', () => {
    assert.deepEqual([...Object.keys(UNTYPED), ...Object.keys(OTHER_VERSION)].filter((k) => !visited.has(k)), []);
    assert.ok([...checked.values()].reduce((a, b) => a + b, 0) > 0, 'fixes were type-checked');
  });
});
