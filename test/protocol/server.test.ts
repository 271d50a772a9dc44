/**
 * The language server over stdio, driven by a real JSON-RPC client: the
 * process the editor would start, not handlers called in-process.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic, Hover, InitializeResult } from 'vscode-languageserver-protocol';
import { type LintOptions, parseArgs } from '../../cli/args';
import { runLint } from '../../cli/lint';
import { ensureBundles } from '../bundles';
import { bigDocument } from '../pathological';
import { LspClient, actionsOf, applyWorkspaceEdit, tempWorkspace, uriOf, writeFile } from './client';

const MIGRATION = `-- The initial schema.
CREATE TABLE users (
  id bigserial PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL,
  bio text,
  avatar bytea,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  status text NOT NULL,
  total_cents bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`;

const INDEX = `\nCREATE INDEX orders_user_id_idx ON orders (user_id);\n`;

const REPO_TS = `import { Pool } from 'pg';

const pool = new Pool();

export async function emailOf(id: number) {
  const { rows } = await pool.query('SELECT * FROM users WHERE id = $1', [id]);
  return rows[0].email;
}

export async function ordersOf(userId: number) {
  const { rows } = await pool.query('SELECT id, status, total_cents FROM orders WHERE user_id = $1', [userId]);
  return rows;
}
`;

const REPORT_SQL = `-- name: ActiveUsers :many
SELECT * FROM users WHERE created_at > now() - interval '30 days';
`;

const HELPER_TS = `import { Pool } from 'pg';

export const pool = new Pool();

export async function loadOrders(userId: number) {
  const { rows } = await pool.query('SELECT id, status FROM orders WHERE user_id = $1', [userId]);
  return rows;
}
`;

const HELPER_NO_QUERY = `export async function loadOrders(userId: number) {
  return [{ id: userId, status: 'cached' }];
}
`;

const SERVICE_TS = `import { loadOrders } from './db';

export async function ordersForAll(ids: number[]) {
  const out = [];
  for (const id of ids) {
    out.push(await loadOrders(id));
  }
  return out;
}
`;

// A loop over a parameter is bounded by what its callers write out (engine/model/written-out.ts): the callee's
// findings depend on a file it does not import.
const COUNTS_TS = `import { Pool } from 'pg';

const pool = new Pool();

export async function countByStatus(statuses: string[]) {
  const out: number[] = [];
  for (const status of statuses) {
    const { rows } = await pool.query('SELECT count(*) AS n FROM orders WHERE status = $1', [status]);
    out.push(Number(rows[0].n));
  }
  return out;
}
`;

const JOB_WRITTEN_OUT = `import { countByStatus } from './counts';

export async function nightly() {
  return countByStatus(['paid', 'refunded']);
}
`;

const JOB_FROM_DATA = `import { Pool } from 'pg';
import { countByStatus } from './counts';

const pool = new Pool();

export async function nightly() {
  const { rows } = await pool.query('SELECT DISTINCT status FROM orders');
  return countByStatus(rows.map((r) => r.status));
}
`;

const CONFIG = JSON.stringify({ tables: { orders: { rows: 20000000 }, users: { rows: 2000000 } } }, null, 2);

function codes(ds: Diagnostic[]): string[] {
  return ds.map((d) => String(d.code));
}

function only(ds: Diagnostic[], code: string): Diagnostic[] {
  return ds.filter((d) => d.code === code);
}

describe('language server over stdio', function () {
  this.timeout(60000);
  let root: string;
  let client: LspClient;
  let init: InitializeResult;
  const repoFile = () => path.join(root, 'src/repo.ts');

  before(async () => {
    ensureBundles();
    root = tempWorkspace({
      'migrations/001_init.sql': MIGRATION,
      'src/repo.ts': REPO_TS,
      'src/db.ts': HELPER_TS,
      'src/service.ts': SERVICE_TS,
      'src/counts.ts': COUNTS_TS,
      'src/job.ts': JOB_WRITTEN_OUT,
      'queries/report.sql': REPORT_SQL,
      'querylens.config.json': CONFIG,
      'node_modules/pg/index.ts': 'export const x = 1;',
      '.gitignore': 'generated/\n',
      'generated/big.ts': 'export const y = 2;',
    });
    client = new LspClient({ root, initializationOptions: { debounceMs: 20 } });
    init = await client.initialize();
    // Opened once here so each test can also run alone (mocha -g); the first diagnostics are checked below.
    await client.open(repoFile(), REPO_TS);
  });

  after(async () => {
    await client?.shutdown();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('initializes with hover, code actions and incremental sync, and registers file watchers', async () => {
    assert.equal(init.capabilities.hoverProvider, true);
    assert.deepEqual((init.capabilities.codeActionProvider as { codeActionKinds: string[] }).codeActionKinds, ['quickfix', 'source.fixAll.querylens']);
    assert.equal((init.capabilities.textDocumentSync as { change: number }).change, 2);
    const reg = await client.waitFor('watcher registration', () => client.registrations.find((r) => r.method === 'workspace/didChangeWatchedFiles'));
    const globs = (reg.registerOptions as { watchers: { globPattern: string }[] }).watchers.map((w) => w.globPattern);
    for (const g of ['**/*.sql', '**/schema.prisma', '**/querylens.config.json']) assert.ok(globs.includes(g), g);
    // The walk skipped node_modules and .gitignore'd directories.
    const loaded = await client.waitFor('load log', () => client.logs.find((l) => / files, \d+ schema sources/.test(l)));
    assert.match(loaded, /\b7 files, 1 schema sources/);
  });

  it('publishes over-fetching and unindexed-predicate diagnostics on open, with rule code, doc link and source', async () => {
    const uri = uriOf(repoFile());
    const ds = await client.diagnosticsFor(uri, { version: 1 });
    const over = only(ds, 'over-fetching');
    assert.equal(over.length, 1, `diagnostics: ${JSON.stringify(codes(ds))}`);
    const line = REPO_TS.split('\n').findIndex((l) => l.includes('SELECT *'));
    assert.equal(over[0].range.start.line, line);
    assert.equal(over[0].source, 'querylens');
    assert.equal(over[0].codeDescription?.href, 'https://github.com/querylens/querylens/blob/main/docs/rules/over-fetching.md');
    assert.ok(over[0].severity! >= 1 && over[0].severity! <= 3);
    const unindexed = only(ds, 'unindexed-predicate');
    assert.equal(unindexed.length, 1, `diagnostics: ${JSON.stringify(codes(ds))}`);
    assert.equal(unindexed[0].range.start.line, REPO_TS.split('\n').findIndex((l) => l.includes('user_id = $1')));
    assert.match(String(unindexed[0].message), /orders/);
  });

  it('hovers a finding with the engine markdown, including an estimate in ms', async () => {
    const uri = uriOf(repoFile());
    const ds = await client.diagnosticsFor(uri);
    const over = only(ds, 'over-fetching')[0];
    assert.ok(over, 'over-fetching finding to hover');
    const hover = (await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: over.range.start })) as Hover | null;
    assert.ok(hover, 'a hover on the finding');
    const value = (hover.contents as { kind: string; value: string }).value;
    assert.equal((hover.contents as { kind: string }).kind, 'markdown');
    assert.match(value, /\d(\.\d+)?\s*ms/);
    // Outside any finding: nothing.
    const none = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    assert.equal(none, null);
  });

  it('the hover does not repeat the diagnostic message (the editor shows it right above): estimate, inputs and fixes only', async () => {
    const hoverOf = async (uri: string, d: Diagnostic) => {
      const h = (await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: d.range.start })) as Hover | null;
      assert.ok(h, `a hover on ${d.code}`);
      return (h.contents as { value: string }).value;
    };
    const repo = uriOf(repoFile());
    const checked: string[] = [];
    for (const d of await client.diagnosticsFor(repo)) {
      const value = await hoverOf(repo, d);
      assert.ok(!value.includes(String(d.message)), `${d.code}: the hover repeats the message\n${value}`);
      assert.match(value, new RegExp(`^\\*\\*querylens · ${d.code}\\*\\*`));
      assert.match(value, /\*\*Estimated cost:\*\* [\d.]+ m?s → /);
      checked.push(String(d.code));
    }
    // The N+1 (through a helper in another file): its message quotes the estimate's summary; the hover does not again.
    const service = path.join(root, 'src/service.ts');
    const suri = await client.open(service, SERVICE_TS);
    const n1 = only(await client.diagnosticsFor(suri, { where: (ds) => only(ds, 'n-plus-one').length > 0 }), 'n-plus-one')[0];
    const value = await hoverOf(suri, n1);
    assert.ok(!value.includes(String(n1.message)), value);
    const summary = /≈ \d+ round trips[^;]*/.exec(String(n1.message))?.[0];
    assert.ok(summary, String(n1.message));
    assert.ok(!value.includes(summary), `the hover repeats "${summary}"\n${value}`);
    assert.match(value, /\| iterations \| 100 \| \*\*default\*\*/);
    checked.push('n-plus-one');
    assert.deepEqual(checked.sort(), ['n-plus-one', 'over-fetching', 'unindexed-predicate']);
    await client.close(suri);
  });

  it('offers code actions whose edits remove the finding on the next diagnostics', async () => {
    const uri = uriOf(repoFile());
    const original = client.texts.get(uri)!;
    const ds = await client.diagnosticsFor(uri);
    const over = only(ds, 'over-fetching')[0];
    assert.ok(over, 'over-fetching finding');
    const actions = actionsOf(
      await client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: over.range, context: { diagnostics: [over], only: ['quickfix'] } }),
    );
    assert.ok(actions.length >= 1, 'at least one quick fix');
    for (const a of actions) {
      assert.equal(a.kind, 'quickfix');
      assert.ok(a.edit, `action "${a.title}" has an edit`);
      const fixed = applyWorkspaceEdit(a.edit!, uri, original);
      assert.notEqual(fixed, original, `action "${a.title}" changes the text`);
      const since = client.diagnostics.length;
      const v = await client.change(uri, fixed);
      const after = await client.diagnosticsFor(uri, { version: v, since });
      const remaining = only(after, 'over-fetching').filter((d) => d.range.start.line === over.range.start.line);
      assert.equal(remaining.length, 0, `after "${a.title}": ${JSON.stringify(after.map((d) => d.message))}`);
      // Back to the original for the next action.
      const s2 = client.diagnostics.length;
      const v2 = await client.change(uri, original);
      await client.diagnosticsFor(uri, { version: v2, since: s2 });
    }
    // The same actions without client diagnostics (clients that send none): found by range.
    const byRange = actionsOf(
      await client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: over.range, context: { diagnostics: [] } }),
    );
    assert.deepEqual(
      byRange.filter((a) => a.kind === 'quickfix').map((a) => a.title),
      actions.map((a) => a.title),
    );
  });

  it('turns a fix that writes a new migration into CreateFile + TextDocumentEdit; applying it removes unindexed-predicate', async () => {
    const uri = uriOf(repoFile());
    const ds = await client.diagnosticsFor(uri);
    const unindexed = only(ds, 'unindexed-predicate')[0];
    assert.ok(unindexed, JSON.stringify(codes(ds)));
    const actions = actionsOf(
      await client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: unindexed.range, context: { diagnostics: [unindexed] } }),
    );
    // Edits that create a file: the CreateFile comes first, then the new file's text edit (LSP applies documentChanges in order).
    const creating = actions.filter((a) => a.edit?.documentChanges?.some((c) => 'kind' in c && c.kind === 'create'));
    assert.ok(creating.length >= 1, JSON.stringify(actions.map((a) => a.title)));
    const changes = creating[0].edit!.documentChanges!;
    const create = changes.find((c) => 'kind' in c && c.kind === 'create') as { uri: string };
    const createdAt = changes.indexOf(create as never);
    const textEdit = changes.find((c) => 'textDocument' in c && c.textDocument.uri === create.uri) as { edits: { newText: string }[] } | undefined;
    assert.ok(textEdit && changes.indexOf(textEdit as never) > createdAt, 'text edit of the new file after its creation');
    assert.ok(create.uri.startsWith(uriOf(root)), create.uri);
    // Apply it as the editor would: create the file on disk, then the watcher reports it.
    const file = fileURLToPath(create.uri);
    assert.ok(!fs.existsSync(file));
    const newText = applyWorkspaceEdit(creating[0].edit!, create.uri, '');
    assert.match(newText, /CREATE INDEX/i);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, newText);
    let since = client.diagnostics.length;
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: create.uri, type: 1 }] });
    const after = await client.waitFor('repo.ts after the created migration', () => client.diagnostics.slice(since).find((p) => p.uri === uri)?.diagnostics);
    assert.deepEqual(only(after, 'unindexed-predicate'), [], JSON.stringify(codes(after)));
    fs.rmSync(file);
    since = client.diagnostics.length;
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: create.uri, type: 3 }] });
    const back = await client.waitFor('repo.ts after removing it', () => client.diagnostics.slice(since).find((p) => p.uri === uri)?.diagnostics);
    assert.equal(only(back, 'unindexed-predicate').length, 1);
  });

  it('offers "disable for this line" for every finding', async () => {
    const uri = uriOf(repoFile());
    // Errors, warnings and info (a finding whose saving is under minSavingMs is info); not baselined hints.
    const ds = (await client.diagnosticsFor(uri)).filter((d) => d.source === 'querylens' && typeof d.severity === 'number' && d.severity <= 3);
    assert.ok(ds.length >= 2);
    for (const d of ds) {
      const actions = actionsOf(await client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } }));
      assert.ok(
        actions.some((a) => /disable/i.test(a.title) && a.title.includes(String(d.code))),
        `${d.code}: ${JSON.stringify(actions.map((a) => a.title))}`,
      );
    }
  });

  it('offers "fix all safe problems" exactly when a finding has a safe fix, and applying it removes them', async () => {
    const uri = uriOf(repoFile());
    const ds = await client.diagnosticsFor(uri);
    const withSafe = ds.filter((d) => (d.data as { fixes?: { safety: string }[] } | undefined)?.fixes?.some((f) => f.safety === 'safe'));
    const actions = actionsOf(
      await client.conn.sendRequest('textDocument/codeAction', {
        textDocument: { uri },
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        context: { diagnostics: [], only: ['source.fixAll'] },
      }),
    );
    if (!withSafe.length) {
      assert.equal(actions.length, 0, 'no fix-all without safe fixes');
      return;
    }
    assert.equal(actions.length, 1);
    assert.equal(actions[0].kind, 'source.fixAll.querylens');
    const original = client.texts.get(uri)!;
    // Apply the whole edit as an editor would: files it creates (a migration with the index) are
    // written to disk and reported by the watcher, then this document's own edits are applied.
    const created = (actions[0].edit!.documentChanges ?? []).filter((c) => 'kind' in c && c.kind === 'create') as { uri: string }[];
    for (const c of created) {
      const file = fileURLToPath(c.uri);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, applyWorkspaceEdit(actions[0].edit!, c.uri, ''));
    }
    if (created.length) await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: created.map((c) => ({ uri: c.uri, type: 1 })) });
    const since = client.diagnostics.length;
    const v = await client.change(uri, applyWorkspaceEdit(actions[0].edit!, uri, original));
    const after = await client.diagnosticsFor(uri, { version: v, since });
    for (const d of withSafe) {
      assert.ok(!after.some((a) => a.code === d.code && a.range.start.line === d.range.start.line), `${d.code} on line ${d.range.start.line} fixed`);
    }
    for (const c of created) fs.rmSync(fileURLToPath(c.uri));
    if (created.length) await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: created.map((c) => ({ uri: c.uri, type: 3 })) });
    const s2 = client.diagnostics.length;
    await client.diagnosticsFor(uri, { version: await client.change(uri, original), since: s2 });
  });

  it('querylens/lintWorkspace publishes diagnostics of files that are not open (the n-plus-one through a helper in service.ts)', async () => {
    await client.diagnosticsFor(uriOf(repoFile()));
    const since = client.diagnostics.length;
    const res = (await client.conn.sendRequest('querylens/lintWorkspace')) as { files: number; findings: number };
    assert.ok(res.files >= 3, JSON.stringify(res));
    const serviceUri = uriOf(path.join(root, 'src/service.ts'));
    const pub = client.diagnostics.slice(since).find((p) => p.uri === serviceUri);
    assert.ok(pub, 'service.ts diagnostics published');
    assert.deepEqual(codes(pub.diagnostics).filter((c) => c === 'n-plus-one'), ['n-plus-one']);
    assert.ok(!client.diagnostics.slice(since).some((p) => p.uri === uriOf(repoFile())), 'open documents keep their own diagnostics');
  });

  it('re-publishes after didChange, for the new version only', async () => {
    const uri = uriOf(repoFile());
    const original = client.texts.get(uri)!;
    const since = client.diagnostics.length;
    // A burst of edits: only the last version may be published (stale runs are dropped).
    let v = 0;
    const explicit = original.replace('SELECT * FROM users', 'SELECT id, email FROM users');
    for (let i = 0; i < 5; i++) v = await client.change(uri, i === 4 ? explicit : `${original}\n// edit ${i}\n`);
    const ds = await client.diagnosticsFor(uri, { version: v, since });
    assert.deepEqual(only(ds, 'over-fetching'), [], JSON.stringify(codes(ds)));
    assert.equal(only(ds, 'unindexed-predicate').length, 1, JSON.stringify(codes(ds)));
    await new Promise((r) => setTimeout(r, 300));
    const published = client.diagnostics.slice(since).filter((p) => p.uri === uri);
    assert.ok(published.every((p) => p.version === v), `versions published: ${published.map((p) => p.version)}`);
    const s2 = client.diagnostics.length;
    await client.diagnosticsFor(uri, { version: await client.change(uri, original), since: s2 });
  });

  it('re-analyses open documents when an open migration changes (adding an index removes unindexed-predicate)', async () => {
    const repoUri = uriOf(repoFile());
    const before = await client.diagnosticsFor(repoUri);
    assert.equal(only(before, 'unindexed-predicate').length, 1);
    const migUri = await client.open(path.join(root, 'migrations/001_init.sql'), MIGRATION);
    let since = client.diagnostics.length;
    await client.change(migUri, MIGRATION + INDEX);
    const fixed = await client.waitFor('repo.ts re-published without unindexed-predicate', () => {
      const p = client.diagnostics.slice(since).find((x) => x.uri === repoUri);
      return p?.diagnostics;
    });
    assert.deepEqual(only(fixed, 'unindexed-predicate'), [], JSON.stringify(codes(fixed)));
    // Undo: the finding comes back.
    since = client.diagnostics.length;
    await client.change(migUri, MIGRATION);
    const back = await client.waitFor('repo.ts re-published after undo', () => client.diagnostics.slice(since).find((x) => x.uri === repoUri)?.diagnostics);
    assert.equal(only(back, 'unindexed-predicate').length, 1);
    await client.close(migUri);
  });

  it('re-analyses open documents when a migration changes on disk (didChangeWatchedFiles)', async () => {
    const repoUri = uriOf(repoFile());
    const file = path.join(root, 'migrations/002_index.sql');
    writeFile(root, 'migrations/002_index.sql', INDEX);
    let since = client.diagnostics.length;
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(file), type: 1 }] });
    const fixed = await client.waitFor('repo.ts re-published after the new migration', () => client.diagnostics.slice(since).find((x) => x.uri === repoUri)?.diagnostics);
    assert.deepEqual(only(fixed, 'unindexed-predicate'), [], JSON.stringify(codes(fixed)));
    fs.rmSync(file);
    since = client.diagnostics.length;
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(file), type: 3 }] });
    const back = await client.waitFor('repo.ts re-published after deleting it', () => client.diagnostics.slice(since).find((x) => x.uri === repoUri)?.diagnostics);
    assert.equal(only(back, 'unindexed-predicate').length, 1);
  });

  it('re-analyses a document when a helper it imports changes, in the editor or on disk (n-plus-one through a helper)', async () => {
    const service = path.join(root, 'src/service.ts');
    const helper = path.join(root, 'src/db.ts');
    const sUri = await client.open(service, SERVICE_TS);
    const ds = await client.diagnosticsFor(sUri);
    const n1 = only(ds, 'n-plus-one');
    assert.equal(n1.length, 1, JSON.stringify(codes(ds)));
    assert.equal(n1[0].range.start.line, SERVICE_TS.split('\n').findIndex((l) => l.includes('loadOrders(id)')));
    // The related locations reach into the helper file.
    assert.ok(n1[0].relatedInformation?.some((r) => r.location.uri === uriOf(helper)), JSON.stringify(n1[0].relatedInformation));

    // Edited in the editor: the helper stops querying.
    const hUri = await client.open(helper, HELPER_TS);
    let since = client.diagnostics.length;
    await client.change(hUri, HELPER_NO_QUERY);
    let after = await client.waitFor('service.ts after the helper edit', () => client.diagnostics.slice(since).find((p) => p.uri === sUri)?.diagnostics);
    assert.deepEqual(only(after, 'n-plus-one'), []);
    // Closed without saving: the disk version (which queries) counts again.
    since = client.diagnostics.length;
    await client.close(hUri);
    after = await client.waitFor('service.ts after closing the helper', () => client.diagnostics.slice(since).find((p) => p.uri === sUri)?.diagnostics);
    assert.equal(only(after, 'n-plus-one').length, 1);

    // Changed on disk and announced by the watcher.
    writeFile(root, 'src/db.ts', HELPER_NO_QUERY);
    since = client.diagnostics.length;
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(helper), type: 2 }] });
    after = await client.waitFor('service.ts after the helper changed on disk', () => client.diagnostics.slice(since).find((p) => p.uri === sUri)?.diagnostics);
    assert.deepEqual(only(after, 'n-plus-one'), []);
    writeFile(root, 'src/db.ts', HELPER_TS);
    since = client.diagnostics.length;
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(helper), type: 2 }] });
    after = await client.waitFor('service.ts after the helper was restored', () => client.diagnostics.slice(since).find((p) => p.uri === sUri)?.diagnostics);
    assert.equal(only(after, 'n-plus-one').length, 1);
    await client.close(sUri);
  });

  it('re-analyses a document when a caller of its function changes, though it imports nothing from the caller', async () => {
    const counts = path.join(root, 'src/counts.ts');
    const job = path.join(root, 'src/job.ts');
    const cUri = await client.open(counts, COUNTS_TS);
    const first = await client.diagnosticsFor(cUri);
    // The one caller writes two statuses out: not N+1.
    assert.deepEqual(only(first, 'n-plus-one'), [], JSON.stringify(codes(first)));

    // Edited in the editor: the caller now passes rows read from the database.
    const jUri = await client.open(job, JOB_WRITTEN_OUT);
    let since = client.diagnostics.length;
    await client.change(jUri, JOB_FROM_DATA);
    let after = await client.waitFor('counts.ts after its caller changed', () => client.diagnostics.slice(since).find((p) => p.uri === cUri)?.diagnostics);
    assert.equal(only(after, 'n-plus-one').length, 1, JSON.stringify(codes(after)));
    // Closed without saving: the disk version (written out) counts again.
    since = client.diagnostics.length;
    await client.close(jUri);
    after = await client.waitFor('counts.ts after closing its caller', () => client.diagnostics.slice(since).find((p) => p.uri === cUri)?.diagnostics);
    assert.deepEqual(only(after, 'n-plus-one'), []);

    // Changed on disk and announced by the watcher.
    writeFile(root, 'src/job.ts', JOB_FROM_DATA);
    since = client.diagnostics.length;
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(job), type: 2 }] });
    after = await client.waitFor('counts.ts after its caller changed on disk', () => client.diagnostics.slice(since).find((p) => p.uri === cUri)?.diagnostics);
    assert.equal(only(after, 'n-plus-one').length, 1, JSON.stringify(codes(after)));
    writeFile(root, 'src/job.ts', JOB_WRITTEN_OUT);
    since = client.diagnostics.length;
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(job), type: 2 }] });
    after = await client.waitFor('counts.ts after its caller was restored', () => client.diagnostics.slice(since).find((p) => p.uri === cUri)?.diagnostics);
    assert.deepEqual(only(after, 'n-plus-one'), []);

    // A new file that starts calling it with data (it named the function nowhere before).
    const report = path.join(root, 'src/report.ts');
    writeFile(root, 'src/report.ts', JOB_FROM_DATA.replace('nightly', 'report'));
    since = client.diagnostics.length;
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(report), type: 1 }] });
    after = await client.waitFor('counts.ts after a new caller appeared', () => client.diagnostics.slice(since).find((p) => p.uri === cUri)?.diagnostics);
    assert.equal(only(after, 'n-plus-one').length, 1, JSON.stringify(codes(after)));
    fs.rmSync(report);
    since = client.diagnostics.length;
    await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(report), type: 3 }] });
    after = await client.waitFor('counts.ts after the new caller was deleted', () => client.diagnostics.slice(since).find((p) => p.uri === cUri)?.diagnostics);
    assert.deepEqual(only(after, 'n-plus-one'), []);
    await client.close(cUri);
  });

  it('lints .sql query files too', async () => {
    const uri = await client.open(path.join(root, 'queries/report.sql'), REPORT_SQL);
    const ds = await client.diagnosticsFor(uri);
    assert.equal(only(ds, 'over-fetching').length, 1, JSON.stringify(codes(ds)));
    assert.equal(only(ds, 'over-fetching')[0].range.start.line, 1);
    await client.close(uri);
  });

  it('reports unparseable SQL and broken TypeScript as information, not errors, and keeps serving', async () => {
    const badSql = await client.open(path.join(root, 'queries/bad.sql'), 'SELEC id FRM users;\nSELECT * FROM users;\n');
    const ds = await client.diagnosticsFor(badSql);
    const unparseable = only(ds, 'unparseable-sql');
    assert.equal(unparseable.length, 1, JSON.stringify(ds));
    assert.equal(unparseable[0].severity, 3);
    assert.equal(unparseable[0].range.start.line, 0);
    // The good statement after the bad one is still analysed.
    assert.equal(only(ds, 'over-fetching').length, 1, JSON.stringify(codes(ds)));

    const brokenText = "import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function f( {\n  await pool.query('SELECT * FROM users');\n";
    const broken = await client.open(path.join(root, 'src/broken.ts'), brokenText);
    const bd = await client.diagnosticsFor(broken);
    const syntax = only(bd, 'unparseable-file');
    assert.equal(syntax.length, 1, JSON.stringify(bd));
    assert.ok(syntax[0].severity! >= 3, 'information or hint');
    assert.ok(!bd.some((d) => d.severity === 1), 'no error-level diagnostics for bad input');
    // Still alive: a hover on the healthy document answers.
    const h = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri: uriOf(repoFile()) }, position: { line: 0, character: 0 } });
    assert.equal(h, null);
    await client.close(badSql);
    await client.close(broken);
  });

  // How long the server takes on these is load-dependent: scripts/bench-bounds.ts (npm run bench) times it.
  it('answers a 5 MB document (skipped with a reason) and keeps serving', async () => {
    const big = bigDocument(5 * 1024 * 1024);
    assert.ok(big.length >= 5 * 1024 * 1024);
    const uri = await client.open(path.join(root, 'src/huge.ts'), big);
    const ds = await client.diagnosticsFor(uri, { ms: 50000 });
    const skipped = only(ds, 'skipped-file');
    assert.equal(skipped.length, 1, JSON.stringify(ds.slice(0, 3)));
    assert.match(String(skipped[0].message), /MB/);
    assert.equal(ds.length, 1);
    // A hover and code actions on it answer quickly and empty.
    const h = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 5, character: 30 } });
    assert.equal(h, null);
    await client.close(uri);
    const cleared = await client.waitFor('diagnostics cleared on close', () => {
      const last = client.diagnostics.filter((p) => p.uri === uri).at(-1);
      return last && last.diagnostics.length === 0 ? true : undefined;
    });
    assert.ok(cleared);
  });

  it('skips a 1 MB document while editing (below the engine bound, above the editing bound), with a reason', async () => {
    const big = bigDocument(1024 * 1024);
    const uri = await client.open(path.join(root, 'src/generated-1mb.ts'), big);
    const ds = await client.diagnosticsFor(uri, { ms: 50000 });
    assert.deepEqual(codes(ds), ['skipped-file']);
    assert.match(String(ds[0].message), /512 KB.*querylens lint/);
    await client.close(uri);
  });

  it('answers code actions and hovers for unknown documents with empty results', async () => {
    const uri = uriOf(path.join(root, 'src/never-opened.ts'));
    const actions = await client.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [] },
    });
    assert.deepEqual(actions, []);
    assert.equal(await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } }), null);
  });
});

/** A users table with a large column: `SELECT *` over it is an over-fetching finding (a narrow or unknown table is not). */
const WIDE_USERS = 'CREATE TABLE users (id bigserial PRIMARY KEY, name text, bio text, avatar bytea);\n';

describe('language server configuration', function () {
  this.timeout(60000);
  const roots: string[] = [];
  const clients: LspClient[] = [];
  before(() => ensureBundles());
  after(async () => {
    for (const c of clients) await c.shutdown();
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  });

  async function start(files: Record<string, string>, opts: Partial<ConstructorParameters<typeof LspClient>[0]> = {}) {
    const root = tempWorkspace(files);
    roots.push(root);
    const c = new LspClient({ root, initializationOptions: { debounceMs: 10 }, ...opts });
    clients.push(c);
    await c.initialize();
    return { root, c };
  }

  it('shows a message for a bad querylens.config.json, falls back to defaults and still lints', async () => {
    const { root, c } = await start({ 'querylens.config.json': '{ "rules": { "no-such-rule": "off" } }', 'schema.sql': WIDE_USERS, 'q.sql': 'SELECT * FROM users;\n' });
    const msg = await c.waitFor('showMessage', () => c.messages.find((m) => /querylens\.config\.json/.test(m.message)));
    assert.match(msg.message, /no-such-rule/);
    const ds = await c.diagnosticsFor(await c.open(path.join(root, 'q.sql'), 'SELECT * FROM users;\n'));
    assert.equal(only(ds, 'over-fetching').length, 1, JSON.stringify(codes(ds)));
  });

  it('applies rule severities from the querylens settings section and from the config file', async () => {
    const { root, c } = await start({ 'schema.sql': WIDE_USERS, 'q.sql': 'SELECT * FROM users;\n' }, { settings: { rules: { 'over-fetching': 'error' } } });
    const ds = await c.diagnosticsFor(await c.open(path.join(root, 'q.sql'), 'SELECT * FROM users;\n'));
    assert.equal(only(ds, 'over-fetching')[0]?.severity, 1, JSON.stringify(ds));
    // The config file, written and announced, turns the rule off (the file wins over settings).
    writeFile(root, 'querylens.config.json', JSON.stringify({ rules: { 'over-fetching': 'off' } }));
    const since = c.diagnostics.length;
    await c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(path.join(root, 'querylens.config.json')), type: 1 }] });
    const after = await c.waitFor('re-published after config change', () => c.diagnostics.slice(since).find((p) => p.uri.endsWith('/q.sql'))?.diagnostics);
    assert.deepEqual(only(after, 'over-fetching'), []);
  });

  it('applies an open querylens.config.json as it is typed: no popup for half-typed JSON, re-analysis when it parses', async () => {
    const { root, c } = await start({ 'schema.sql': WIDE_USERS, 'q.sql': 'SELECT * FROM users;\n', 'querylens.config.json': '{}' });
    const q = await c.open(path.join(root, 'q.sql'), 'SELECT * FROM users;\n');
    assert.equal(only(await c.diagnosticsFor(q), 'over-fetching').length, 1);
    const cfg = await c.open(path.join(root, 'querylens.config.json'), '{}', 'json');
    await c.change(cfg, '{ "rules": { "over-fe');
    await c.waitFor('logged JSON error', () => c.logs.find((l) => /not valid JSON/.test(l)));
    const since = c.diagnostics.length;
    await c.change(cfg, '{ "rules": { "over-fetching": "off" } }');
    const after = await c.waitFor('q.sql re-published', () => c.diagnostics.slice(since).find((p) => p.uri === q)?.diagnostics);
    assert.deepEqual(only(after, 'over-fetching'), []);
    assert.deepEqual(c.messages, [], 'no popups while typing');
  });

  it('does not lint test files unless lintTests, and says why in the log; lints files outside every folder with defaults', async () => {
    const src = "import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function f(id: number) {\n  const { rows } = await pool.query('SELECT * FROM users WHERE id = $1', [id]);\n  return rows[0].email;\n}\n";
    const { root, c } = await start({ 'migrations/001.sql': 'CREATE TABLE users (id bigserial PRIMARY KEY, email text, bio text, avatar bytea);\n' });
    const t = await c.open(path.join(root, 'src/users.test.ts'), src);
    assert.deepEqual(await c.diagnosticsFor(t), []);
    await c.waitFor('excluded log', () => c.logs.find((l) => /src\/users\.test\.ts: not linted \(test file/.test(l)));
    const outside = tempWorkspace({});
    roots.push(outside);
    // No schema out there: a comma join with no predicate is a finding whatever the tables are.
    const o = await c.open(path.join(outside, 'loose.sql'), 'SELECT a.id FROM a, b;\n');
    assert.equal(only(await c.diagnosticsFor(o), 'cartesian-join').length, 1);

    const { root: root2, c: c2 } = await start({ 'migrations/001.sql': 'CREATE TABLE users (id bigserial PRIMARY KEY, email text, bio text, avatar bytea);\n' }, { settings: { lintTests: true } });
    const t2 = await c2.open(path.join(root2, 'src/users.test.ts'), src);
    assert.equal(only(await c2.diagnosticsFor(t2), 'over-fetching').length, 1);
  });

  it('keeps one project per workspace folder (each with its own schema), and picks up folders added later', async () => {
    const table = 'CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL, status text);\n';
    const ts = "import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function f(u: number) {\n  const { rows } = await pool.query('SELECT id, status FROM orders WHERE user_id = $1', [u]);\n  return rows.map((r) => r.status);\n}\n";
    const config = JSON.stringify({ tables: { orders: { rows: 20000000 } } });
    const a = tempWorkspace({ 'migrations/001.sql': table + 'CREATE INDEX orders_user_idx ON orders (user_id);\n', 'src/a.ts': ts, 'querylens.config.json': config });
    const b = tempWorkspace({ 'migrations/001.sql': table, 'src/b.ts': ts, 'querylens.config.json': config });
    const late = tempWorkspace({ 'migrations/001.sql': table, 'src/c.ts': ts, 'querylens.config.json': config });
    roots.push(a, b, late);
    const c = new LspClient({ root: a, folders: [a, b], initializationOptions: { debounceMs: 10 } });
    clients.push(c);
    await c.initialize();
    const da = await c.diagnosticsFor(await c.open(path.join(a, 'src/a.ts'), ts));
    const db = await c.diagnosticsFor(await c.open(path.join(b, 'src/b.ts'), ts));
    assert.deepEqual(only(da, 'unindexed-predicate'), [], 'folder a has the index');
    assert.equal(only(db, 'unindexed-predicate').length, 1, 'folder b has none');
    await c.conn.sendNotification('workspace/didChangeWorkspaceFolders', { event: { added: [{ uri: uriOf(late), name: 'late' }], removed: [] } });
    const dl = await c.diagnosticsFor(await c.open(path.join(late, 'src/c.ts'), ts));
    assert.equal(only(dl, 'unindexed-predicate').length, 1, 'the added folder is loaded with its schema');
    await c.waitFor('load log of the added folder', () => c.logs.find((l) => l.includes(late) && / files, 1 schema sources/.test(l)));
  });

  it('polls schema sources when the client cannot watch files: a new migration on disk re-analyses open documents', async () => {
    const table = 'CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL, status text);\n';
    const ts = "import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function f(u: number) {\n  const { rows } = await pool.query('SELECT id, status FROM orders WHERE user_id = $1', [u]);\n  return rows.map((r) => r.status);\n}\n";
    const { root, c } = await start(
      { 'migrations/001.sql': table, 'src/a.ts': ts, 'querylens.config.json': JSON.stringify({ tables: { orders: { rows: 20000000 } } }) },
      { watchers: false, initializationOptions: { debounceMs: 10, pollMs: 100 } },
    );
    const uri = await c.open(path.join(root, 'src/a.ts'), ts);
    assert.equal(only(await c.diagnosticsFor(uri), 'unindexed-predicate').length, 1);
    await c.waitFor('polling log', () => c.logs.find((l) => /polling schema sources/.test(l)));
    assert.ok(!c.registrations.some((r) => r.method === 'workspace/didChangeWatchedFiles'));
    const since = c.diagnostics.length;
    writeFile(root, 'migrations/002.sql', 'CREATE INDEX orders_user_idx ON orders (user_id);\n');
    const after = await c.waitFor('re-published after the poll', () => c.diagnostics.slice(since).find((p) => p.uri === uri)?.diagnostics);
    assert.deepEqual(only(after, 'unindexed-predicate'), []);
  });

  it('in an untrusted workspace ignores database/command/*Path keys and says so in the log', async () => {
    const { c } = await start(
      { 'querylens.config.json': JSON.stringify({ database: 'postgres://prod', tables: { users: { rows: 10 } }, explainPath: '/usr/bin/x' }) },
      { initializationOptions: { trusted: false, debounceMs: 10 } },
    );
    await c.waitFor('untrusted log', () => c.logs.find((l) => /untrusted workspace: ignoring querylens\.config\.json keys database, explainPath/.test(l)));
    assert.ok(c.logs.some((l) => /untrusted workspace/.test(l)));
    // The remaining keys were read without complaint.
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(c.messages, []);
  });

  it('in a trusted workspace the same database key is read (and, unsupported, reported)', async () => {
    const { c } = await start({ 'querylens.config.json': JSON.stringify({ database: 'postgres://prod' }) });
    const msg = await c.waitFor('showMessage', () => c.messages.find((m) => /database/.test(m.message)));
    assert.match(msg.message, /unknown key/);
  });

  it('marks findings accepted in querylens-suppressions.json as hints (or hides them), and follows the file', async () => {
    const files = { 'migrations/001.sql': 'CREATE TABLE users (id int PRIMARY KEY, name text, bio text, avatar bytea);\n', 'q.sql': 'SELECT * FROM users;\n' };
    const { root, c } = await start(files);
    const q = path.join(root, 'q.sql');
    const uri = await c.open(q, files['q.sql']);
    const plain = only(await c.diagnosticsFor(uri), 'over-fetching');
    assert.equal(plain[0]?.severity, 2, JSON.stringify(plain));

    // Accept today's findings with the CLI, then tell the server the file appeared.
    const code = await runLint(parseArgs(['lint', '--suppress-all']) as LintOptions, { cwd: root, env: {}, stdout: { write: () => true } });
    assert.equal(code, 0);
    let since = c.diagnostics.length;
    await c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(path.join(root, 'querylens-suppressions.json')), type: 1 }] });
    const hinted = await c.waitFor('re-published as a hint', () => c.diagnostics.slice(since).find((p) => p.uri === uri)?.diagnostics);
    const d = only(hinted, 'over-fetching')[0];
    assert.equal(d?.severity, 4, JSON.stringify(hinted));
    assert.match(String(d.message), /\(accepted in querylens-suppressions\.json\)$/);
    assert.equal((d.data as { baselined?: boolean }).baselined, true);

    // A second, new SELECT * in the same file is beyond the baseline: shown at its own severity again
    // (info: one row by primary key saves under minSavingMs per call), not as a hint.
    const text2 = `${files['q.sql']}SELECT * FROM users WHERE id = 1;\n`;
    await c.change(uri, text2);
    const both = only(await c.diagnosticsFor(uri, { version: 2 }), 'over-fetching');
    assert.deepEqual(both.map((x) => [x.range.start.line, x.severity]), [[0, 4], [1, 3]]);

    // With the setting "baselined": "hide" the accepted one is not published at all.
    const hidden = await start(files, { settings: { baselined: 'hide' } });
    fs.copyFileSync(path.join(root, 'querylens-suppressions.json'), path.join(hidden.root, 'querylens-suppressions.json'));
    since = hidden.c.diagnostics.length;
    await hidden.c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(path.join(hidden.root, 'querylens-suppressions.json')), type: 1 }] });
    const hq = await hidden.c.open(path.join(hidden.root, 'q.sql'), files['q.sql']);
    const none = await hidden.c.diagnosticsFor(hq, { since, where: (ds) => only(ds, 'over-fetching').length === 0 });
    assert.deepEqual(only(none, 'over-fetching'), []);
  });
});
