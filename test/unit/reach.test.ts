/**
 * The import prefilter (engine/sources/reach.ts): which files may reach a data library, and the proof that
 * skipping the others changes nothing: the CLI's report on every fixture folder and the bundled example is
 * the same string with and without it.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { parseArgs, type LintOptions } from '../../cli/args';
import { runLint } from '../../cli/lint';
import { reachingFiles } from '../../engine/sources/reach';
import { registeredKeys } from '../../engine/sources/service-registry';
import { resolveModulePath } from '../../engine/sources/module-paths';
import { Project } from '../../engine/project';

function reach(files: Record<string, string>): string[] {
  const project = new Project(undefined, { listFiles: () => Object.keys(files), readFile: (f) => files[f] });
  const live = reachingFiles({
    files: Object.keys(files),
    text: (p) => files[p],
    resolve: (from, spec) => resolveModulePath(project, from, spec),
    schemaSource: (p) => p.endsWith('schema.prisma'),
  });
  return [...live].sort();
}

describe('import prefilter', () => {
  it('keeps files importing a library, a generated client, a schema source, and every importer of those', () => {
    const live = reach({
      'src/db.ts': "import { Pool } from 'pg';\nexport const pool = new Pool();\n",
      'src/gen.ts': "import { PrismaClient } from '../generated/prisma';\nexport const prisma = new PrismaClient();\n",
      'src/raw.ts': 'export const f = (x: any) => x.$queryRaw`SELECT 1`;\n',
      'src/types.ts': "import type { Pool } from './db';\nexport type Db = Pool;\n",
      'src/service.ts': "import type { Db } from './types';\nexport async function load(db: Db) { return db.query('SELECT 1'); }\n",
      'src/reexport.ts': "export * from './service';\n",
      'src/lazy.ts': "export const go = () => import(/* webpackChunkName: \"r\" */ './reexport');\n",
      'src/old.js': "const { load } = require('./reexport');\nmodule.exports = load;\n",
      'src/ui.tsx': "import { useState } from 'react';\nexport const A = () => useState(0);\n",
      'src/util.ts': "export const add = (a: number, b: number) => a + b;\n",
      'src/uses-util.ts': "import { add } from './util';\nexport const three = add(1, 2);\n",
      'db/q.sql': 'SELECT 1;\n',
    });
    assert.deepEqual(live, ['db/q.sql', 'src/db.ts', 'src/gen.ts', 'src/lazy.ts', 'src/old.js', 'src/raw.ts', 'src/reexport.ts', 'src/service.ts', 'src/types.ts']);
  });

  it('keeps every file a reaching production file imports, transitively: a callee may be handed its client through an untyped parameter', () => {
    const live = reach({
      'src/main.ts': "import { Pool } from 'pg';\nimport { listAll } from './utils';\nconst pool = new Pool();\nexport const run = (ids: number[]) => listAll(pool, ids);\n",
      // Imports nothing, yet runs the caller's client once per id (the CLI used to skip it while the editor flagged it).
      'src/utils.ts': "import { each } from './loop';\nexport async function listAll(db, ids) { return each(ids, (id) => db.query('SELECT 1 WHERE $1', [id])); }\n",
      'src/loop.ts': 'export const each = (xs, f) => Promise.all(xs.map(f));\n',
      // Importers of a callee get no client from it; a test's imports are not production callees.
      'src/page.ts': "import { each } from './loop';\nexport const p = each([1], (x) => x);\n",
      'src/main.test.ts': "import { Pool } from 'pg';\nimport { fake } from './fake';\nexport const t = fake(new Pool());\n",
      'src/fake.ts': 'export const fake = (db) => db.query(\'SELECT 1\');\n',
    });
    assert.deepEqual(live, ['src/loop.ts', 'src/main.test.ts', 'src/main.ts', 'src/utils.ts']);
  });

  it('keeps the declaration of an interface a reaching class implements (with methods) and whoever imports it', () => {
    const live = reach({
      'src/store.ts': "import { Knex } from 'knex';\nimport { IBase, IStore } from './istore';\nexport class Store implements IStore { constructor(private db: Knex) {} all() { return this.db('t'); } }\n",
      'src/istore.ts': 'export interface IBase { all(): Promise<unknown[]>; }\nexport interface IStore extends IBase { one?(id: string): unknown }\n',
      // Reaches only through the interface: a call on `IBase` runs Store.all (engine/sources/implementations.ts).
      'src/ibase-elsewhere.ts': 'export interface IBase {\n  all(): Promise<unknown[]>;\n}\n',
      'src/service.ts': "import type { IBase } from './ibase-elsewhere';\nexport const run = (s: IBase) => s.all();\n",
      // Data interfaces of the same name without methods: no call through them reaches a class.
      'web/istore.ts': 'export interface IStore { name: string; load: () => void }\n',
      'web/page.ts': "import type { IStore } from './istore';\nexport const name = (s: IStore) => s.name;\n",
    });
    assert.deepEqual(live, ['src/ibase-elsewhere.ts', 'src/istore.ts', 'src/service.ts', 'src/store.ts']);
  });

  it('reads the keys of `f(Key, …)` calls as the pattern starting at the callee word does', () => {
    const text = 'Layer.effect(OrderRepo, impl)\nprovide (\n  Db ,x)\n((Foo, 1)) g(Bar, h(Baz,\n$f(Q$1, 2) f(lower, 1) f(A)\nx\u00a0(Nb, 1) é(Uni, 1)';
    const old = /(?<![\w$])[\w$]+\s*\(\s*([A-Z][\w$]*)\s*,/g;
    const expected = [...text.matchAll(old)].map((m) => m[1]);
    assert.deepEqual(expected, ['OrderRepo', 'Db', 'Bar', 'Baz', 'Q$1', 'Nb']);
    assert.deepEqual(registeredKeys(text), expected);
  });

  it('gives the same report with and without it, on every fixture folder and the example', async function () {
    this.timeout(600_000);
    const root = path.join(__dirname, '..', '..');
    const dirs = ['cartesian-join', 'latency-budget', 'n-plus-one', 'over-fetching', 'unindexed-predicate'].map((r) => path.join(root, 'fixtures', r));
    dirs.push(path.join(root, 'examples', 'feature-store'));
    const pinned = process.env.SOURCE_DATE_EPOCH;
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    try {
      for (const dir of dirs) {
        const lint = async (reachFilter: boolean): Promise<string> => {
          let out = '';
          await runLint(parseArgs(['lint', '--format', 'json', '--concurrency', '1', '.']) as LintOptions, { cwd: dir, env: {}, stdout: { write: (s: string) => (out += s) }, reachFilter });
          return out;
        };
        const whole = await lint(false);
        const filtered = await lint(true);
        assert.ok(whole.length > 100, dir);
        assert.equal(filtered, whole, `report differs with the prefilter in ${path.relative(root, dir)}`);
      }
    } finally {
      if (pinned === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = pinned;
    }
  });
});
