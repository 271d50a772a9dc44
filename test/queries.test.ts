/**
 * `querylens queries`: the query sites the engine recognises and the candidates it could not resolve,
 * in-process through `main(argv, io)` on small projects in the temp directory.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { main } from '../cli/main';
import { QUERIES_PROJECT } from '../scripts/readme';
import { makeProject } from './temp-project';

const temps: string[] = [];
function project(files: Record<string, string>): string {
  return makeProject(files, temps, 'querylens-queries-');
}

async function ql(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { cwd, env: {}, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

/** The README's `querylens queries` example project (a loop query, a write, an unresolved call). */
const FILES = QUERIES_PROJECT;

after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

describe('querylens queries', () => {
  it('json: every recognised site with kind, library, table, read/write and per-element; unresolved candidates with the reason', async () => {
    const dir = project(FILES);
    const r = await ql(dir, ['queries', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      queries: { file: string; line: number; column: number; kind: string; library: string; table?: string; operation: string; perElement: boolean; loop?: { line: number } }[];
      unresolved: { file: string; line: number; method: string; reason: string }[];
      summary: { queries: number; read: number; write: number; perElement: number; unresolved: number };
    };
    assert.deepEqual(
      doc.queries.map((q) => [q.file, q.line, q.kind, q.library, q.table, q.operation, q.perElement, q.loop?.line]),
      [
        ['src/users.ts', 4, 'sql', 'pg', 'users', 'read', true, 3],
        ['src/users.ts', 6, 'sql', 'pg', 'orders', 'write', false, undefined],
      ],
    );
    assert.deepEqual(doc.unresolved.map((u) => [u.file, u.line, u.method]), [['src/users.ts', 9, 'query']]);
    assert.match(doc.unresolved[0].reason, /`db` is an untyped parameter of `viaUntyped`/);
    assert.deepEqual(doc.summary, { files: 3, queries: 2, read: 1, write: 1, perElement: 1, unresolved: 1 });
  });

  it('stylish: one row per site grouped by file, the unresolved with their reason, and totals', async () => {
    const dir = project(FILES);
    const r = await ql(dir, ['queries', 'src']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^src\/users\.ts$/m);
    assert.match(r.stdout, /^ {2}4:11 +sql +pg +query +users +read +per element \(loop at line 3\)$/m);
    assert.match(r.stdout, /^ {2}9:10 +unresolved query: `db` is an untyped parameter of `viaUntyped`$/m);
    assert.match(r.stdout, /2 query sites in 2 files \(1 read, 1 write; 1 per element of a loop\); 1 unresolved candidate\n$/);
  });

  it('Kysely statements are labelled by their head: insertInto/updateTable/deleteFrom write, selectFrom reads', async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'k', dependencies: { kysely: '*' } }),
      'src/db.ts': "import { Kysely } from 'kysely';\nexport const db = new Kysely<any>({} as any);\n",
      'src/jobs.ts': [
        "import { db } from './db';",
        'export async function run(id: string) {',
        "  await db.insertInto('event').values({ id }).execute();",
        "  await db.updateTable('event').set({ id }).where('id', '=', id).execute();",
        "  await db.deleteFrom('event').where('id', '=', id).execute();",
        "  return db.selectFrom('event').selectAll().where('id', '=', id).execute();",
        '}',
        '',
      ].join('\n'),
    });
    const r = await ql(dir, ['queries', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { queries: { line: number; operation: string }[] };
    assert.deepEqual(
      doc.queries.map((q) => [q.line, q.operation]),
      [
        [3, 'write'],
        [4, 'write'],
        [5, 'write'],
        [6, 'read'],
      ],
    );
  });

  it('a builder whose statement cannot be read is listed unresolved when it runs', async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'k', dependencies: { kysely: '*' } }),
      'src/db.ts': "import { Kysely } from 'kysely';\nexport const db = new Kysely<any>({} as any);\n",
      'src/jobs.ts': [
        "import { db } from './db';",
        'declare function opaque(q: unknown): any;',
        'export async function run() {',
        "  let qb = db.selectFrom('event').selectAll();",
        '  qb = opaque(qb);',
        '  await qb.execute();',
        "  return db.selectFrom('event').selectAll().execute();",
        '}',
        '',
      ].join('\n'),
    });
    const r = await ql(dir, ['queries', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { queries: { line: number }[]; unresolved: { line: number; method: string; reason: string }[] };
    assert.deepEqual(
      doc.queries.map((q) => q.line),
      [7],
    );
    assert.deepEqual(
      doc.unresolved.map((u) => [u.line, u.method]),
      [[6, 'execute']],
    );
    assert.match(doc.unresolved[0].reason, /`qb` is a Kysely query builder whose statement querylens could not read/);
  });

  it('a bad option is a usage error (exit 2)', async () => {
    const dir = project(FILES);
    const r = await ql(dir, ['queries', '--format', 'sarif']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /queries --format: unknown format "sarif" \(expected stylish or json\)/);
  });
});
