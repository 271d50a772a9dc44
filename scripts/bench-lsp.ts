/**
 * Keystroke latency of the language server: opens a generated 2,000-line
 * repository module in the real server (over stdio, as an editor would),
 * applies single-character edits and measures the time from sending each
 * didChange to receiving publishDiagnostics for that version. Debounce is 0
 * so the figure is the server's own work plus transport.
 *
 *   npx tsx scripts/bench-lsp.ts [--edits 50] [--lines 2000] [--json] [--no-build] [--profile]
 *
 * --profile runs the server under --cpu-prof (written to bench-results/) and
 * prints the engine and rule functions with the most inclusive time: where a
 * keystroke's milliseconds go.
 *
 * Target (mission §6): median < 50 ms.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LspClient, buildBundles, serverCommand, tempWorkspace } from '../test/protocol/client';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const MIGRATION = `CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, name text NOT NULL, org_id bigint, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orgs (id bigserial PRIMARY KEY, name text NOT NULL, plan text NOT NULL);
CREATE TABLE orders (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), status text NOT NULL, total_cents bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE order_items (id bigserial PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id), sku text NOT NULL, qty int NOT NULL);
CREATE INDEX order_items_order_id_idx ON order_items (order_id);
CREATE TABLE events (id bigserial PRIMARY KEY, user_id bigint, kind text NOT NULL, payload jsonb, at timestamptz NOT NULL);
`;

const TABLES = ['users', 'orders', 'order_items', 'events', 'orgs'];

/** One block of repository code (~25 lines): typed rows, a query, a loop with a per-item query, a helper. */
function block(i: number): string {
  const t = TABLES[i % TABLES.length];
  const shapes = [
    `export async function find${i}(id: number): Promise<Row${i} | undefined> {
  // Single-row lookup by primary key.
  const { rows } = await pool.query<Row${i}>('SELECT id, created_at FROM ${t === 'orgs' ? 'users' : t} WHERE id = $1', [id]);
  return rows[0];
}`,
    `export async function listAll${i}(limit = 50) {
  const { rows } = await pool.query('SELECT * FROM ${t} ORDER BY id DESC LIMIT $1', [limit]);
  return rows.map((r) => ({ ...r, label: \`#\${r.id}\` }));
}`,
    `export async function itemsFor${i}(orderIds: number[]) {
  const out: unknown[] = [];
  for (const orderId of orderIds) {
    const { rows } = await pool.query('SELECT sku, qty FROM order_items WHERE order_id = $1', [orderId]);
    out.push(...rows);
  }
  return out;
}`,
    `export async function byStatus${i}(status: string) {
  const sql = 'SELECT id, user_id, total_cents FROM orders WHERE status = $1 AND created_at > now() - interval \\'7 days\\'';
  const { rows } = await pool.query(sql, [status]);
  return rows.filter((r) => r.total_cents > 0);
}`,
    `export async function report${i}(orgId: number) {
  const { rows } = await pool.query(
    \`SELECT u.id, u.email, count(o.id) AS orders
       FROM users u
       JOIN orders o ON o.user_id = u.id
      WHERE u.org_id = $1
      GROUP BY u.id, u.email\`,
    [orgId],
  );
  return rows;
}`,
  ];
  return `
interface Row${i} {
  id: number;
  created_at: Date;
}

/** Helper ${i}: normalises input before querying. */
function clamp${i}(n: number): number {
  return Math.max(0, Math.min(n, 1000));
}

${shapes[i % shapes.length]}
`;
}

/** The driver import of the bundled example project (its first line imports the pool class). */
const POOL_IMPORT = fs.readFileSync(path.join(__dirname, '..', 'examples', 'feature-store', 'src', 'db.ts'), 'utf8').split('\n')[0];

export function generate(lines: number): string {
  let text = `${POOL_IMPORT}\n\nconst pool = new Pool({ max: 10 });\n`;
  for (let i = 0; text.split('\n').length < lines; i++) text += block(i);
  return text.split('\n').slice(0, lines).join('\n') + '\n';
}

function pct(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

async function main(): Promise<void> {
  const edits = arg('edits', 50);
  const lineCount = arg('lines', 2000);
  if (!process.argv.includes("--no-build")) buildBundles();
  const text = generate(lineCount);
  const root = tempWorkspace({ 'migrations/001_init.sql': MIGRATION, 'src/repository.ts': text });
  const profile = process.argv.includes('--profile');
  const profDir = path.resolve(__dirname, '..', 'bench-results');
  const profStarted = Date.now();
  const client = new LspClient({
    root,
    initializationOptions: { debounceMs: 0, logTiming: true },
    nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : undefined,
  });
  try {
    await client.initialize();
    const file = path.join(root, 'src/repository.ts');
    let t0 = performance.now();
    const uri = await client.open(file, text);
    const first = await client.diagnosticsFor(uri, { version: 1, ms: 60000 });
    const openMs = performance.now() - t0;

    // Edit sites: inside comments, identifiers and SQL strings, spread over the file.
    const lines = text.split('\n');
    const sites = lines
      .map((l, n) => ({ n, l }))
      .filter(({ l }) => /\/\/ |SELECT|return |const /.test(l))
      .map(({ n, l }) => ({ line: n, character: Math.max(0, l.length - 3) }));
    const times: number[] = [];
    for (let k = 0; k < edits; k++) {
      // Pairs: type a character, then delete it, so the file stays realistic.
      const at = sites[Math.floor(k / 2) * 37 % sites.length];
      const insert = k % 2 === 0;
      t0 = performance.now();
      const v = await client.edit(uri, insert
        ? { range: { start: at, end: at }, newText: ' ' }
        : { range: { start: at, end: { line: at.line, character: at.character + 1 } }, newText: '' });
      await client.diagnosticsFor(uri, { version: v, ms: 30000 });
      times.push(performance.now() - t0);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const peer = eslintPeer(text, sites, edits);
    // The server's own analysis time per edit (logged with logTiming): CPU time is what other load on the machine does not inflate.
    const timing = client.logs
      .map((l) => /^timing: analysed src\/repository\.ts v(\d+) in ([\d.]+) ms wall, ([\d.]+) ms cpu/.exec(l))
      .filter((m): m is RegExpExecArray => !!m && Number(m[1]) > 1);
    const cpu = timing.map((m) => Number(m[3])).sort((a, b) => a - b);
    const analysisWall = timing.map((m) => Number(m[2])).sort((a, b) => a - b);
    const result = {
      server: serverCommand().slice(1).join(' '),
      lines: lineCount,
      edits,
      firstOpenMs: Math.round(openMs),
      diagnosticsOnOpen: first.length,
      medianMs: +pct(sorted, 50).toFixed(1),
      p90Ms: +pct(sorted, 90).toFixed(1),
      maxMs: +sorted[sorted.length - 1].toFixed(1),
      analysisWallMedianMs: analysisWall.length ? +pct(analysisWall, 50).toFixed(1) : null,
      analysisCpuMedianMs: cpu.length ? +pct(cpu, 50).toFixed(1) : null,
      analysisCpuP90Ms: cpu.length ? +pct(cpu, 90).toFixed(1) : null,
      loadAverage: os.loadavg()[0].toFixed(2),
      eslintPerEditMedianMs: +peer.toFixed(1),
    };
    if (process.argv.includes('--json')) console.log(JSON.stringify(result));
    else {
      console.log(`querylens LSP keystroke latency (${result.server})`);
      console.log(`  file: ${lineCount} lines, ${first.length} diagnostics on open; first analysis ${result.firstOpenMs} ms`);
      console.log(`  ${edits} single-character edits, didChange → publishDiagnostics:`);
      console.log(`  median ${result.medianMs} ms   p90 ${result.p90Ms} ms   max ${result.maxMs} ms   (target: median < 50 ms)`);
      console.log(`  of which analysis in the server: median ${result.analysisWallMedianMs} ms wall, ${result.analysisCpuMedianMs} ms CPU (p90 ${result.analysisCpuP90Ms} ms CPU)`);
      console.log(`  peer, same edits: ESLint Linter.verify (@typescript-eslint/parser, no-await-in-loop) in-process median ${result.eslintPerEditMedianMs} ms per edit`);
      console.log(`  ratio: the server's didChange→diagnostics median is ${(result.eslintPerEditMedianMs / result.medianMs).toFixed(2)}× ESLint's re-lint time`);
      console.log(`  machine load average (1 min): ${result.loadAverage} on ${os.cpus().length} cores`);
    }
    process.exitCode = result.medianMs < 50 ? 0 : 1;
  } finally {
    await client.shutdown();
    fs.rmSync(root, { recursive: true, force: true });
  }
  if (profile) printProfile(profDir, profStarted);
}

/**
 * The peer: what an ESLint language server does per keystroke — re-lint the
 * whole edited text in-process (no process start, no LSP round trip), with
 * the same edit sequence. Median ms per edit.
 */
function eslintPeer(text: string, sites: { line: number; character: number }[], edits: number): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Linter } = require('eslint') as typeof import('eslint');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const parser = require('@typescript-eslint/parser');
  const linter = new Linter({ configType: 'flat' });
  const config = [{ files: ['**/*.ts'], languageOptions: { parser }, rules: { 'no-await-in-loop': 'warn' as const } }];
  const lines = text.split('\n');
  const times: number[] = [];
  linter.verify(text, config, { filename: 'src/repository.ts' });
  for (let k = 0; k < edits; k++) {
    const at = sites[(Math.floor(k / 2) * 37) % sites.length];
    if (k % 2 === 0) lines[at.line] = lines[at.line].slice(0, at.character) + ' ' + lines[at.line].slice(at.character);
    else lines[at.line] = lines[at.line].slice(0, at.character) + lines[at.line].slice(at.character + 1);
    const t0 = performance.now();
    linter.verify(lines.join('\n'), config, { filename: 'src/repository.ts' });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return pct(times, 50);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Inclusive time per engine/rule function (bundle functions are named like their source) from the newest profile. */
function printProfile(dir: string, since: number): void {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(f).mtimeMs >= since)
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!files.length) {
    console.log('  (no profile written)');
    return;
  }
  const prof = JSON.parse(fs.readFileSync(files[0], 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const seen = new Set<string>();
    let analysing = false;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (f.functionName === 'analyze') analysing = true;
      const where = f.url.includes('typescript') ? 'typescript' : f.url.includes('libpg-query') ? 'libpg-query' : '';
      const key = `${f.functionName || '(anonymous)'}${where ? ` [${where}]` : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
    if (analysing) total += us;
  }
  // Library internals are summarised by their entry points (createSourceFile, parseSync, scanSync).
  const keep = (k: string) =>
    !/^\(|^(analyze|analysis|publish|check|memo|visit|\(anonymous\))$/.test(k) &&
    (!k.endsWith('[typescript]') || k.startsWith('createSourceFile')) &&
    (!k.endsWith('[libpg-query]') || /^(parseSync|scanSync)/.test(k));
  const rows = [...inclusive].filter(([k]) => keep(k)).sort((a, b) => b[1] - a[1]).slice(0, 15);
  console.log(`  profile ${path.relative(process.cwd(), files[0])}: ${(total / 1000).toFixed(0)} ms inside Project.analyze; top functions (inclusive ms):`);
  for (const [k, us] of rows) console.log(`    ${(us / 1000).toFixed(0).padStart(6)}  ${k}`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 2;
  });
}
