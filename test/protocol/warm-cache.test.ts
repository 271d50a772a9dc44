/**
 * The language server warms from `querylens lint --cache` (server/warm-cache.ts):
 * a file opened unchanged takes the cached result (same diagnostics, no
 * analysis), an edited one is analysed; a server whose settings differ from
 * the lint's does not use the cache. The real server over stdio.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../cli/main';
import { ensureBundles } from '../bundles';
import { LspClient, tempWorkspace } from './client';

const FILES = {
  'migrations/001.sql': 'CREATE TABLE users (id int PRIMARY KEY, name text, avatar bytea);\n',
  'src/users.ts': [
    "import { Pool } from 'pg';",
    'const pool = new Pool();',
    'export async function getUser(id: number) {',
    "  const { rows } = await pool.query('SELECT id, name FROM users WHERE id = $1', [id]);",
    '  return rows[0];',
    '}',
    '',
  ].join('\n'),
  'src/route.ts': [
    "import { getUser } from './users';",
    'export async function handler(ids: number[]) {',
    '  const out = [];',
    '  for (const id of ids) out.push(await getUser(id));',
    '  return out;',
    '}',
    '',
  ].join('\n'),
};

describe('language server: warm from the lint cache', function () {
  this.timeout(60000);
  const clients: LspClient[] = [];
  const roots: string[] = [];
  before(() => ensureBundles());
  after(async () => {
    for (const c of clients) await c.shutdown();
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  });

  async function lintWithCache(root: string): Promise<void> {
    const code = await main(['lint', '--cache', '--concurrency', '1'], { cwd: root, env: {}, stdout: { write: () => true }, stderr: { write: () => true } });
    assert.equal(code, 1, 'the N+1 is found');
    assert.ok(fs.existsSync(path.join(root, 'node_modules', '.cache', 'querylens')));
  }

  async function open(root: string, settings?: Record<string, unknown>) {
    const c = new LspClient({ root, initializationOptions: { debounceMs: 10, logTiming: true }, settings });
    clients.push(c);
    await c.initialize();
    const file = path.join(root, 'src/route.ts');
    const uri = await c.open(file, FILES['src/route.ts']);
    const ds = await c.diagnosticsFor(uri);
    return { c, uri, ds };
  }

  it('an unchanged file takes the cached result; an edit is analysed', async () => {
    const root = tempWorkspace(FILES);
    roots.push(root);
    await lintWithCache(root);
    const { c, uri, ds } = await open(root);
    assert.deepEqual(
      ds.map((d) => d.code),
      ['n-plus-one'],
    );
    assert.ok(c.logs.some((l) => /timing: src\/route\.ts from the lint cache/.test(l)), c.logs.join('\n'));
    assert.ok(!c.logs.some((l) => /timing: analysed src\/route\.ts/.test(l)), 'not analysed');
    // An edit: analysed as usual, same finding.
    const since = c.diagnostics.length;
    await c.change(uri, `${FILES['src/route.ts']}// edited\n`);
    const after = await c.waitFor('diagnostics after the edit', () => c.diagnostics.slice(since).find((p) => p.uri === uri)?.diagnostics);
    assert.deepEqual(
      after.map((d) => d.code),
      ['n-plus-one'],
    );
    await c.waitFor('an analysis', () => c.logs.find((l) => /timing: analysed src\/route\.ts/.test(l)));
  });

  it('a project with package manifests and a TypeScript schema: the server keys the cache as the lint did', async () => {
    // The lint's key holds every schema source (by path and by content) and the manifests that scope them.
    const root = tempWorkspace({
      ...FILES,
      'package.json': JSON.stringify({ name: 'app', workspaces: ['packages/*'] }),
      'packages/db/package.json': JSON.stringify({ name: '@app/db' }),
      'packages/db/schema.ts': "import { pgTable, integer, text } from 'drizzle-orm/pg-core';\nexport const teams = pgTable('teams', { id: integer('id').primaryKey(), name: text('name') });\n",
    });
    roots.push(root);
    await lintWithCache(root);
    const { c, ds } = await open(root);
    assert.deepEqual(
      ds.map((d) => d.code),
      ['n-plus-one'],
    );
    assert.ok(c.logs.some((l) => /timing: src\/route\.ts from the lint cache/.test(l)), c.logs.join('\n'));
  });

  it('a helper edited in the editor: the file that calls it is analysed, not taken from the cache', async () => {
    const root = tempWorkspace(FILES);
    roots.push(root);
    await lintWithCache(root);
    const c = new LspClient({ root, initializationOptions: { debounceMs: 10, logTiming: true } });
    clients.push(c);
    await c.initialize();
    // getUser no longer queries (unsaved buffer): the loop in route.ts is no N+1 any more.
    const constant = ['export async function getUser(id: number) {', '  return { id, name: String(id) };', '}', ''].join('\n');
    await c.diagnosticsFor(await c.open(path.join(root, 'src/users.ts'), constant));
    const ds = await c.diagnosticsFor(await c.open(path.join(root, 'src/route.ts'), FILES['src/route.ts']));
    assert.deepEqual(ds.map((d) => d.code), []);
    assert.ok(!c.logs.some((l) => /src\/route\.ts from the lint cache/.test(l)), c.logs.join('\n'));
  });

  it('settings that change the configuration: the cache is not used', async () => {
    const root = tempWorkspace(FILES);
    roots.push(root);
    await lintWithCache(root);
    const { c, ds } = await open(root, { rules: { 'n-plus-one': 'error' } });
    assert.equal(ds[0]?.severity, 1, 'the setting applies');
    assert.ok(!c.logs.some((l) => /from the lint cache/.test(l)), c.logs.join('\n'));
  });
});
