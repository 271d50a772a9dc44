/**
 * The project-wide usage facts (engine/sources/table-usage.ts) summarise every project file, usually from
 * inside one file's analysis. Under a tree budget (the CLI's), they are computed on trees of their own that
 * are dropped whenever they pass it, and the analysis in progress keeps its own: on sim (15,000 files) the
 * unbounded loop held every file's tree at once. Counted quantities only (trees held, releases), no timing.
 */
import assert from 'node:assert/strict';
import { Project } from '../../engine/project';
import { initParser } from '../../engine/sql/parser';

const SCHEMA = 'CREATE TABLE users (id int PRIMARY KEY, email text, status text);\n';
/** Queries on `users` filtered by an unindexed column: unindexed-predicate asks whether the table is tiny (the usage facts). */
const helper = (i: number) =>
  `import { Pool } from 'pg';\nconst pool = new Pool();\n// ${'x'.repeat(400)}\nexport async function find${i}(email: string) {\n  return pool.query('SELECT id FROM users WHERE email = $1 AND status = \\'s${i % 3}\\'', [email]);\n}\n`;
const N = 40;

function project(budget: number): Project {
  const files: Record<string, string> = { 'db/schema.sql': SCHEMA };
  for (let i = 0; i < N; i++) files[`src/q${i}.ts`] = helper(i);
  const p = new Project(undefined, { listFiles: () => Object.keys(files), readFile: (f) => files[f] });
  p.setFile('db/schema.sql', SCHEMA);
  p.setFile('src/q0.ts', files['src/q0.ts']);
  p.usageTreeBudget = budget;
  return p;
}

describe('usage facts under a tree budget', () => {
  before(async () => {
    await initParser();
  });

  it('hold at most the budget plus one file, drop them between files, and change no finding', () => {
    const size = helper(0).length;
    const bounded = project(3 * size);
    const free = project(Infinity);
    const a = bounded.analyze('src/q0.ts');
    const b = free.analyze('src/q0.ts');
    assert.deepEqual(a, b);
    assert.ok(a.findings.length > 0, 'the fixture reaches a rule that reads the usage facts');
    // Every one of the N files was summarised; the bounded project never held more than budget + one file.
    assert.ok(bounded.usagePeakChars > 0);
    assert.ok(bounded.usagePeakChars <= 4 * size + 100, `peak ${bounded.usagePeakChars} chars`);
    assert.ok(bounded.usageReleases >= Math.floor(N / 4) - 1, `${bounded.usageReleases} releases`);
    // Unbounded (the server): one pass holds every tree, and nothing is released.
    assert.equal(free.usageReleases, 0);
    // The analysed file's own tree is still the one its analysis used (put back after the usage pass).
    assert.ok(bounded.heldTreeChars() >= size && bounded.heldTreeChars() < 3 * size, `held ${bounded.heldTreeChars()}`);
  });
});
