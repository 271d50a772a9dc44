/**
 * The language server and the CLI agree on which schema a file's queries run against in a
 * monorepo (a service never sees a sibling's schema; a package without one uses the schema of the
 * workspace package it depends on), the index fix goes into the owning package, a TypeScript schema
 * source edited in the editor changes the schema, and `querylens/schemaStatus` carries the
 * missing-schema explanation the status bar shows.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { type LintOptions, parseArgs } from '../../cli/args';
import { runLint } from '../../cli/lint';
import { ensureBundles } from '../bundles';
import { LspClient, actionsOf, tempWorkspace, uriOf } from './client';

export type { CodeAction };

const QUERY = (table: string) => `import { Pool } from 'pg';
const pool = new Pool();
export async function byEmail(email: string) {
  return pool.query('SELECT id FROM ${table} WHERE email = $1', [email]);
}
`;

const MONOREPO: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['services/*', 'packages/*', 'tools'] }),
  'services/auth/package.json': JSON.stringify({ name: 'auth' }),
  'services/auth/migrations/001_init.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\n',
  'services/auth/src/users.ts': QUERY('users'),
  'services/billing/package.json': JSON.stringify({ name: 'billing' }),
  'services/billing/migrations/001_init.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\nCREATE INDEX users_email ON users (email);\n',
  'services/billing/src/users.ts': QUERY('users'),
  'packages/db/package.json': JSON.stringify({ name: '@mono/db' }),
  'packages/db/src/schema.ts': "import { pgTable, integer, text } from 'drizzle-orm/pg-core';\nexport const accounts = pgTable('accounts', { id: integer('id').primaryKey(), email: text('email') });\n",
  'packages/web/package.json': JSON.stringify({ name: 'web', dependencies: { '@mono/db': 'workspace:*' } }),
  'packages/web/src/accounts.ts': QUERY('accounts'),
  'tools/package.json': JSON.stringify({ name: 'tools' }),
  'tools/report.ts': QUERY('users'),
};

const QUERY_FILES = ['services/auth/src/users.ts', 'services/billing/src/users.ts', 'packages/web/src/accounts.ts', 'tools/report.ts'];

function unindexed(ds: Diagnostic[]): Diagnostic[] {
  return ds.filter((d) => d.code === 'unindexed-predicate');
}

describe('language server: schemas in a monorepo', function () {
  this.timeout(90000);
  const roots: string[] = [];
  const clients: LspClient[] = [];

  before(() => ensureBundles());
  after(async () => {
    for (const c of clients) await c.shutdown().catch(() => undefined);
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  });

  async function start(files: Record<string, string>) {
    const root = tempWorkspace(files);
    roots.push(root);
    const c = new LspClient({ root, initializationOptions: { debounceMs: 10 } });
    clients.push(c);
    const status = new Map<string, string | null>();
    c.conn.onNotification('querylens/schemaStatus', (p: { uri: string; missingSchema: string | null }) => {
      status.set(p.uri, p.missingSchema);
      // Re-check what the test waits for (LspClient re-checks on the messages it handles itself).
      (c as unknown as { wake(): void }).wake();
    });
    await c.initialize();
    return { root, c, status };
  }

  it('finds what the CLI finds, file by file: each service against its own schema', async () => {
    const { root, c } = await start(MONOREPO);
    const server: string[] = [];
    for (const rel of QUERY_FILES) {
      const ds = await c.diagnosticsFor(await c.open(path.join(root, rel), MONOREPO[rel]));
      for (const d of unindexed(ds)) server.push(`${rel}:${d.range.start.line + 1}`);
    }
    let out = '';
    await runLint(parseArgs(['lint', '--format', 'json']) as LintOptions, { cwd: root, env: {}, stdout: { write: (s: string) => (out += s) } });
    const cli = (JSON.parse(out) as { findings: { ruleId: string; file: string; line: number }[] }).findings.filter((f) => f.ruleId === 'unindexed-predicate').map((f) => `${f.file}:${f.line}`);
    assert.deepEqual(server.sort(), cli.sort());
    assert.deepEqual(server.sort(), ['packages/web/src/accounts.ts:4', 'services/auth/src/users.ts:4']);
  });

  it('offers the index migration inside the owning package', async () => {
    const { root, c } = await start(MONOREPO);
    const rel = 'services/auth/src/users.ts';
    const uri = await c.open(path.join(root, rel), MONOREPO[rel]);
    const d = unindexed(await c.diagnosticsFor(uri))[0];
    const actions = actionsOf(await c.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d], only: ['quickfix'] } }));
    const created = actions.flatMap((a) =>
      (a.edit?.documentChanges ?? []).flatMap((ch) => ('kind' in ch && ch.kind === 'create' ? [ch.uri] : 'textDocument' in ch ? [ch.textDocument.uri] : [])).concat(Object.keys(a.edit?.changes ?? {})),
    );
    const migration = created.find((u) => u.endsWith('_add_idx_users_email.sql'));
    assert.ok(migration, JSON.stringify(actions.map((a) => a.title)));
    assert.equal(migration, uriOf(path.join(root, 'services/auth/migrations/002_add_idx_users_email.sql')));
  });

  it('an edit to a TypeScript schema source in the editor changes the schema of the packages that use it', async () => {
    const { root, c } = await start(MONOREPO);
    const web = 'packages/web/src/accounts.ts';
    const webUri = await c.open(path.join(root, web), MONOREPO[web]);
    assert.equal(unindexed(await c.diagnosticsFor(webUri)).length, 1);
    const schemaRel = 'packages/db/src/schema.ts';
    const schemaUri = await c.open(path.join(root, schemaRel), MONOREPO[schemaRel]);
    const since = c.diagnostics.length;
    await c.change(
      schemaUri,
      "import { pgTable, integer, text, index } from 'drizzle-orm/pg-core';\nexport const accounts = pgTable('accounts', { id: integer('id').primaryKey(), email: text('email') }, (t) => [index('accounts_email_idx').on(t.email)]);\n",
    );
    const after = await c.waitFor('web re-analysed', () => c.diagnostics.slice(since).find((p) => p.uri === webUri)?.diagnostics);
    assert.deepEqual(unindexed(after), []);
  });

  it('sends the missing-schema explanation for files whose queries have no schema (status bar), and none otherwise', async () => {
    const { root, c, status } = await start(MONOREPO);
    const tool = await c.open(path.join(root, 'tools/report.ts'), MONOREPO['tools/report.ts']);
    const auth = await c.open(path.join(root, 'services/auth/src/users.ts'), MONOREPO['services/auth/src/users.ts']);
    const msg = await c.waitFor('schema status of the tool', () => status.get(tool) ?? undefined);
    assert.match(msg, /^no database schema found for package tools:/);
    assert.match(msg, /unindexed-predicate stays silent/);
    await c.waitFor('schema status of auth', () => (status.has(auth) ? true : undefined));
    assert.equal(status.get(auth), null);
  });
});
