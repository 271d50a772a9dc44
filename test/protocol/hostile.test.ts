/**
 * A language server that always answers, driven by a misbehaving client over
 * real stdio: malformed headers, bodies that are not JSON, wrong lengths,
 * out-of-order versions, edits past the end, a statement that takes long to
 * analyse (another file's hover is answered first), keystrokes in a 130 KB
 * literal and 2,000 edits (heap bounds, measured after a collection),
 * a 10 MB document, and untrusted reads outside the folder. Assertions are on
 * order and bounds, never on milliseconds.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, Hover } from 'vscode-languageserver-protocol';
import { type LintOptions, parseArgs } from '../../cli/args';
import { runLint } from '../../cli/lint';
import { ensureBundles } from '../bundles';
import { LspClient, tempWorkspace } from './client';

const SCHEMA = 'CREATE TABLE users (id int primary key, name text, email text, avatar bytea);\nCREATE TABLE orders (id int primary key, user_id int, total int, notes jsonb);\n';
const MB = 1024 * 1024;

async function memory(c: LspClient): Promise<{ mainHeap: number; workerHeap: number; rss: number }> {
  return c.conn.sendRequest('querylens/memory') as Promise<{ mainHeap: number; workerHeap: number; rss: number }>;
}

/** A 2,000-line module with queries to find: the editing benchmark's shape. */
function bigModule(): string {
  const lines = ['import { Pool } from "pg";', 'const pool = new Pool();'];
  for (let i = 0; lines.length < 1998; i++) {
    lines.push(`export async function get${i}(id: number) {`, `  // note ${i}`, `  return pool.query("SELECT * FROM users WHERE email = $1", [id]);`, '}');
  }
  lines.push('// end', '');
  return lines.join('\n');
}

describe('language server: hostile clients', function () {
  this.timeout(120000);
  let root: string;
  let client: LspClient;

  before(async () => {
    ensureBundles();
    root = tempWorkspace({ 'migrations/001.sql': SCHEMA });
    client = new LspClient({ root, initializationOptions: { debounceMs: 0 }, nodeArgs: ['--expose-gc'] });
    await client.initialize();
  });
  after(async () => {
    await client?.shutdown();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('recovers from malformed headers, bodies that are not JSON and wrong lengths', async () => {
    const uri = await client.open(path.join(root, 'a.sql'), 'SELECT * FROM users;\n');
    await client.diagnosticsFor(uri);
    const stdin = client.proc.stdin!;
    const valid = JSON.stringify({ jsonrpc: '2.0', method: 'x/unknown' });
    stdin.write('Content-Length: -5\r\n\r\n');
    stdin.write('Content-Length: abc\r\n\r\n{}');
    stdin.write('X-Nothing: 1\r\n\r\n{}');
    stdin.write('Content-Length: 9\r\n\r\n{not json');
    stdin.write(`Content-Length: 10\r\n\r\n${valid}`);
    stdin.write('Content-Length: 99999999999999\r\n\r\n');
    const hover = (await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 7 } })) as Hover | null;
    assert.ok(hover, 'the server still answers');
    await client.waitFor('framing problems in the log', () => (client.logs.filter((l) => /malformed LSP message header|not valid JSON/.test(l)).length >= 4 ? true : undefined));
  });

  it('ignores a didChange older than the document, clamps edits past the end, and publishes for the newest version', async () => {
    const file = path.join(root, 'versions.sql');
    const uri = await client.open(file, 'SELECT 1;\n');
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: 'SELECT * FROM users;\n' }] });
    await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: 'SELECT 2;\n' }] });
    const v3 = await client.diagnosticsFor(uri, { version: 3 });
    assert.ok(v3.some((d) => d.code === 'over-fetching'), JSON.stringify(v3));
    await client.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 4 },
      contentChanges: [{ range: { start: { line: 900, character: 5 }, end: { line: 999, character: 80 } }, text: 'SELECT * FROM orders;\n' }],
    });
    const v4 = await client.diagnosticsFor(uri, { version: 4 });
    assert.equal(v4.filter((d) => d.code === 'over-fetching').length, 2, 'the edit past the end was appended');
    assert.ok(client.logs.some((l) => /didChange version 2 is not newer than 3; ignored/.test(l)));
  });

  it("answers a hover on another file while a 1,000-table statement is analysed; 1,500 tables is a limit problem", async () => {
    const small = await client.open(path.join(root, 'small.sql'), 'SELECT * FROM users;\n');
    const d = await client.diagnosticsFor(small);
    const at = d.find((x) => x.code === 'over-fetching')!.range.start;
    const tables = (n: number) => `SELECT 1 FROM ${Array.from({ length: n }, (_, i) => `t${i}`).join(', ')};\n`;
    const big = await client.open(path.join(root, 'big.sql'), tables(1000));
    const hover = (await client.conn.sendRequest('textDocument/hover', { textDocument: { uri: small }, position: at })) as Hover | null;
    assert.ok(hover, 'hover answered');
    assert.ok(!client.diagnostics.some((p) => p.uri === big), 'answered before the big statement was analysed');
    await client.diagnosticsFor(big, { ms: 100000 });
    const huge = await client.open(path.join(root, 'huge.sql'), tables(1500));
    const hd = await client.diagnosticsFor(huge, { ms: 100000 });
    assert.deepEqual(hd.map((x) => x.code), ['limit']);
  });

  it('a 10 MB document is skipped with a reason and the server keeps answering', async () => {
    const uri = await client.open(path.join(root, 'ten.sql'), `-- ${'x'.repeat(10 * MB)}\nSELECT 1;\n`);
    const d = await client.diagnosticsFor(uri);
    assert.match(String(d[0]?.message ?? ''), /larger than/);
    await client.close(uri);
  });

  it('300 keystrokes in a 130 KB SQL literal keep both heaps under 300 MB', async () => {
    const literal = `SELECT id FROM users WHERE name IN (${Array.from({ length: 13000 }, (_, i) => `'n${i}'`).join(',')})`;
    const text = `import { Pool } from "pg";\nconst pool = new Pool();\nexport const q = () => pool.query(\`${literal}\`);\n`;
    const file = path.join(root, 'literal.ts');
    const uri = await client.open(file, text);
    await client.diagnosticsFor(uri, { ms: 60000 });
    const line = 2;
    const col = text.split('\n')[2].indexOf("'n6000'");
    for (let i = 0; i < 300; i++) await client.edit(uri, { range: { start: { line, character: col + i }, end: { line, character: col + i } }, newText: 'x' });
    await client.diagnosticsFor(uri, { ms: 100000 });
    const m = await memory(client);
    assert.ok(m.mainHeap + m.workerHeap < 300 * MB, `heaps ${Math.round(m.mainHeap / MB)} + ${Math.round(m.workerHeap / MB)} MB`);
    await client.close(uri);
  });

  it('200 rapid edits on a 2,000-line file end in the diagnostics a fresh CLI lint gives; memory after 2,000 edits within 20 % of after 200', async () => {
    const file = path.join(root, 'src/module.ts');
    let text = bigModule();
    const uri = await client.open(file, text);
    await client.diagnosticsFor(uri, { ms: 60000 });
    const burst = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const lineNo = 3 + 4 * (i % 400);
        await client.edit(uri, { range: { start: { line: lineNo, character: 4 }, end: { line: lineNo, character: 4 } }, newText: String(i % 10) });
      }
      text = client.texts.get(uri)!;
      return client.diagnosticsFor(uri, { ms: 100000 });
    };
    // Ten times the edits, the same heap (within 20 %): nothing is kept per edit.
    const after200 = await burst(200);
    const mem200 = await memory(client);

    // A fresh CLI lint of the same text in the same project.
    const copy = tempWorkspace({ 'migrations/001.sql': SCHEMA, 'src/module.ts': text });
    let out = '';
    await runLint(parseArgs(['lint', 'src/module.ts', '--format', 'json']) as LintOptions, { cwd: copy, env: {}, stdout: { write: (s: string) => (out += s) } });
    fs.rmSync(copy, { recursive: true, force: true });
    const cli = (JSON.parse(out).findings as { ruleId: string; line: number; column: number; message: string }[]).map((f) => `${f.ruleId} ${f.line}:${f.column} ${f.message}`).sort();
    const ruleIds = new Set(['n-plus-one', 'over-fetching', 'cartesian-join', 'unindexed-predicate', 'latency-budget']);
    const lsp = after200.filter((x: Diagnostic) => ruleIds.has(String(x.code))).map((x) => `${x.code} ${x.range.start.line + 1}:${x.range.start.character + 1} ${x.message}`).sort();
    assert.ok(cli.length > 100, `${cli.length} CLI findings`);
    assert.deepEqual(lsp, cli);

    await burst(1800);
    const mem2000 = await memory(client);
    const before = mem200.mainHeap + mem200.workerHeap;
    const afterAll = mem2000.mainHeap + mem2000.workerHeap;
    assert.ok(afterAll <= before * 1.2, `heap after 200 edits ${Math.round(before / MB)} MB, after 2,000 ${Math.round(afterAll / MB)} MB`);
  });
});

describe('language server: nothing outside the workspace folder is read', function () {
  this.timeout(120000);
  const SECRET = 'secret_token_abc123';
  const HELPER = 'import { Pool } from "pg";\nconst pool = new Pool();\nexport async function load(id: number) { return pool.query("SELECT id FROM users WHERE id = $1", [id]); }\n';
  const caller = (spec: string) => `import { load } from "${spec}";\nexport async function all(ids: number[]) { for (const id of ids) { await load(id); } }\n`;

  for (const trusted of [false, true]) {
    it(`${trusted ? 'trusted' : 'untrusted'}: no ../ import, tsconfig path or symbolic link leads out`, async () => {
      const outside = tempWorkspace({ 'helper.ts': HELPER, 'secret.sql': `${SECRET} = 1;\n` });
      const root = tempWorkspace({
        'migrations/001.sql': SCHEMA,
        'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@out/*': [`${path.relative(path.join(path.dirname(outside), 'x'), outside)}/*`.replace(/^/, '../')] } } }),
      });
      fs.symlinkSync(path.join(outside, 'helper.ts'), path.join(root, 'linked.ts'));
      fs.symlinkSync(path.join(outside, 'secret.sql'), path.join(root, 'migrations', '002.sql'));
      const c = new LspClient({ root, initializationOptions: { debounceMs: 0, trusted } });
      try {
        await c.initialize();
        const files: Record<string, string> = {
          'up.ts': caller(`../${path.basename(outside)}/helper`),
          'alias.ts': caller('@out/helper'),
          'link.ts': caller('./linked'),
        };
        for (const [name, text] of Object.entries(files)) {
          const uri = await c.open(path.join(root, name), text);
          const d = await c.diagnosticsFor(uri);
          assert.deepEqual(d.filter((x) => x.code === 'n-plus-one'), [], `${name}: the helper outside was read`);
        }
        const all = JSON.stringify(c.diagnostics) + c.logs.join('\n') + JSON.stringify(c.messages);
        assert.ok(!all.includes(SECRET), 'the secret behind the link appears nowhere');
      } finally {
        await c.shutdown();
        fs.rmSync(root, { recursive: true, force: true });
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });
  }
});
