/**
 * The fuzz suite's generators and properties. Inputs are the repository's
 * own fixtures and example files, mutated (inserted brackets, quotes,
 * comment openers, control characters, SQL keywords, deletions, duplicated
 * spans), plus generated configs and LSP byte streams. Properties:
 *   - no crash: analysis never throws, the framing reader never throws;
 *   - every range lies within its file (findings, related locations, problems,
 *     fix edits on existing files);
 *   - nothing outside the project root is read;
 *   - the CLI's host and the server's host give the same findings;
 *   - `querylens lint` exits 0, 1 or 2;
 *   - no single input takes longer than the hang bound.
 * `npm test` runs a few hundred inputs with a fixed seed (test/fuzz/fuzz.test.ts);
 * `npm run fuzz` runs as many as asked (scripts/fuzz.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { type LintOptions, parseArgs } from '../../cli/args';
import { lazyReader } from '../../cli/files';
import { runLint } from '../../cli/lint';
import { type AnalysisResult, type Finding, Project, type QuerylensConfig, defaultConfig, parseConfig, ruleIds } from '../../engine';
import { BoundedDisk, WorkerState } from '../../server/analysis-worker';
import { RecoveringMessageReader } from '../../server/framing';

const REPO = path.join(__dirname, '..', '..');

export interface Seed {
  path: string;
  text: string;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.(ts|sql)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Seed files: every fixture and example source (TypeScript and SQL), smallest first. */
export function loadSeeds(): Seed[] {
  const files = [...walk(path.join(REPO, 'fixtures')), ...walk(path.join(REPO, 'examples'))];
  return files
    .map((f) => ({ path: path.relative(REPO, f).split(path.sep).join('/'), text: fs.readFileSync(f, 'utf8') }))
    .filter((s) => s.text.length < 20000)
    .sort((a, b) => a.text.length - b.text.length);
}

/** Fragments that stress parsers and walkers: brackets, quotes, comment openers, template holes, controls, keywords. */
const FRAGMENTS = [
  '(', ')', '{', '}', '[', ']', "'", '"', '`', '${', '/*', '*/', '//', '--', '\n', '\r\n', ';', ',', '.', '$1', '::',
  '\u0000', '\u001b]0;x\u0007', '\u202e', '\u2028', '😀', '\uFEFF', '\uD800',
  'SELECT * FROM users', ' UNION ALL SELECT 1', ' FROM a, b', ' CROSS JOIN t', ' WHERE ', ' JOIN x ON true',
  'for (const x of xs) { await ', 'pool.query(', 'prisma.user.findMany({ where: { id } })', '() => { ', 'async function f() {',
  'import { Pool } from "pg";', 'export ', 'new Pool()', '$$', '$tag$', 'E\'\\\'', '\\',
];

export interface Mutation {
  kind: 'insert' | 'delete' | 'duplicate' | 'nest';
  at: number;
  len: number;
  fragment: string;
  times: number;
}

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('insert', 'insert', 'delete', 'duplicate', 'nest'),
  at: fc.nat(),
  len: fc.nat({ max: 200 }),
  fragment: fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 4 })),
  times: fc.integer({ min: 1, max: 40 }),
});

export function mutate(text: string, muts: readonly Mutation[]): string {
  let t = text;
  for (const m of muts) {
    const at = t.length ? m.at % (t.length + 1) : 0;
    switch (m.kind) {
      case 'insert':
        t = t.slice(0, at) + m.fragment + t.slice(at);
        break;
      case 'delete':
        t = t.slice(0, at) + t.slice(at + m.len);
        break;
      case 'duplicate':
        t = t.slice(0, at + m.len) + t.slice(at, at + m.len) + t.slice(at);
        break;
      case 'nest':
        // Deep nesting: the fragment repeated (brackets, closures, UNION arms).
        t = t.slice(0, at) + m.fragment.repeat(m.times * 10) + t.slice(at);
        break;
    }
  }
  return t;
}

/** A config from the schema's keys with odd values: extreme numbers, wrong types, odd globs. */
export const configArb: fc.Arbitrary<unknown> = fc.record(
  {
    rules: fc.dictionary(fc.constantFrom(...ruleIds(), 'nope'), fc.constantFrom('off', 'info', 'warning', 'error', 'fatal', 3)),
    model: fc.dictionary(fc.constantFrom('roundTripMs', 'roundTripMS', 'seqScanRowsPerMs', 'defaultLoopIterations', 'defaultResultColumns'), fc.oneof(fc.double(), fc.constantFrom(0, -1, 1e308, 1e-308, 1600, 1601))),
    tables: fc.dictionary(fc.string({ maxLength: 12 }), fc.record({ rows: fc.oneof(fc.double(), fc.nat()), tiny: fc.boolean() }, { requiredKeys: [] })),
    budgets: fc.dictionary(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('GET /a/**/b', 'GET /**/**/**/**/x', '*  /')), fc.oneof(fc.double(), fc.nat())),
    ignore: fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('**/**/**/x', 'a/*b*c*d*e', '!keep', '[z-a]')), { maxLength: 4 }),
    schema: fc.record({ sources: fc.array(fc.string({ maxLength: 16 }), { maxLength: 3 }), discover: fc.boolean() }, { requiredKeys: [] }),
    failOn: fc.constantFrom('error', 'warning', 'info', 'x'),
  },
  { requiredKeys: [] },
);

/** Config parse: accepted or a ConfigError naming a key; never anything else. */
export function configProperty(raw: unknown): QuerylensConfig | undefined {
  try {
    return parseConfig(raw, ruleIds());
  } catch (e) {
    if ((e as { key?: unknown }).key === undefined) throw e;
    return undefined;
  }
}

export interface Violation {
  property: string;
  detail: string;
}

function rangeOk(r: { start: number; end: number } | undefined, len: number): boolean {
  return !r || (Number.isInteger(r.start) && Number.isInteger(r.end) && r.start >= 0 && r.start <= r.end && r.end <= len);
}

/** Every range of a result within its file's text. */
export function checkRanges(result: AnalysisResult, textOf: (file: string) => string | undefined): Violation[] {
  const out: Violation[] = [];
  const within = (file: string, r: { start: number; end: number } | undefined, what: string, mayCreate = false) => {
    const t = textOf(file);
    if (t === undefined) {
      if (!mayCreate && r && (r.start !== 0 || r.end !== 0)) out.push({ property: 'range within its file', detail: `${what} in ${file}, a file that does not exist: ${JSON.stringify(r)}` });
      return;
    }
    if (!rangeOk(r, t.length)) out.push({ property: 'range within its file', detail: `${what} ${JSON.stringify(r)} outside ${file} (length ${t.length})` });
  };
  for (const f of result.findings) {
    within(f.file, f.range, `finding ${f.ruleId}`);
    for (const rel of f.related) within(rel.file, rel.range, 'related location');
    for (const fix of f.fixes) for (const e of fix.edits) within(e.file, e.range, `edit of "${fix.title}"`, e.range.start === 0 && e.range.end === 0);
  }
  for (const p of result.problems) if (p.range) within(p.file, p.range, `problem ${p.kind}`);
  return out;
}

/** A comparable summary of findings (adapters may order them differently). */
export function findingKeys(fs_: readonly Finding[]): string[] {
  return fs_.map((f) => `${f.file}:${f.range.start}-${f.range.end} ${f.ruleId} ${f.message}`).sort();
}

/** A project directory on disk for the file-system properties, reused between inputs. */
export class Sandbox {
  readonly root: string;
  readonly outside: string;

  constructor() {
    const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-fuzz-')));
    this.root = path.join(base, 'project');
    this.outside = path.join(base, 'outside');
    fs.mkdirSync(this.root);
    fs.mkdirSync(this.outside);
    fs.writeFileSync(path.join(this.outside, 'secret.ts'), 'import { Pool } from "pg";\nconst pool = new Pool();\nexport const leak = () => pool.query("SELECT secret_outside FROM vault");\n');
  }

  /** Lays out the project: a schema, the mutated file, a helper and a link that leads outside. */
  write(file: string, text: string, schema: string): void {
    fs.rmSync(this.root, { recursive: true, force: true });
    fs.mkdirSync(path.join(this.root, 'migrations'), { recursive: true });
    fs.writeFileSync(path.join(this.root, 'migrations', '001.sql'), schema);
    const abs = path.join(this.root, file);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
    fs.symlinkSync(path.join(this.outside, 'secret.ts'), path.join(this.root, 'linked.ts'));
  }

  dispose(): void {
    fs.rmSync(path.dirname(this.root), { recursive: true, force: true });
  }
}

/** Reads through fs while `fn` runs are recorded (the CLI and server hosts read through this module object). */
export function recordReads<T>(fn: () => T): { value: T; reads: string[] } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fsm = require('node:fs') as typeof fs;
  const original = fsm.readFileSync;
  const reads: string[] = [];
  (fsm as { readFileSync: unknown }).readFileSync = function (p: fs.PathOrFileDescriptor, ...rest: unknown[]) {
    if (typeof p === 'string') {
      try {
        reads.push(fsm.realpathSync(p));
      } catch {
        reads.push(p);
      }
    }
    return (original as (...a: unknown[]) => unknown).call(fsm, p, ...rest);
  };
  try {
    return { value: fn(), reads };
  } finally {
    (fsm as { readFileSync: unknown }).readFileSync = original;
  }
}

const SCHEMA_FALLBACK = 'CREATE TABLE users (id int primary key, name text, email text);\nCREATE TABLE orders (id int primary key, user_id int REFERENCES users(id));\n';

/** Engine properties on one mutated text: no throw, ranges within files. Cheap: no disk. */
export function engineCase(seed: Seed, text: string, config: QuerylensConfig = defaultConfig()): Violation[] {
  const p = new Project(config);
  p.setFile('migrations/001.sql', SCHEMA_FALLBACK);
  p.setFile(seed.path, text);
  let result: AnalysisResult;
  try {
    result = p.analyze(seed.path);
  } catch (e) {
    return [{ property: 'no crash', detail: `analyze threw: ${(e as Error)?.stack?.split('\n').slice(0, 4).join(' | ')}` }];
  }
  const v = checkRanges(result, (f) => p.fileText(f));
  for (const pr of result.problems) if (pr.kind === 'rule-crash') v.push({ property: 'no crash', detail: `rule-crash: ${pr.message.slice(0, 300)}` });
  return v;
}

/** File-system properties on one mutated text: no read outside the root, CLI host = server host, exit code in {0,1,2}. */
export async function diskCase(box: Sandbox, seed: Seed, text: string): Promise<Violation[]> {
  const out: Violation[] = [];
  const file = seed.path.startsWith('fixtures/') || seed.path.startsWith('examples/') ? `src/${path.basename(seed.path)}` : seed.path;
  box.write(file, text, SCHEMA_FALLBACK);
  const config = defaultConfig();

  const cli = recordReads(() => {
    const p = new Project(config, { readFile: lazyReader(box.root) });
    p.setFile('migrations/001.sql', SCHEMA_FALLBACK);
    p.setFile(file, text);
    return p.analyze(file);
  });
  const server = recordReads(() => {
    const state = new WorkerState();
    state.handle({ type: 'open', id: 1, root: box.root, config });
    state.handle({ type: 'setFile', id: 1, rel: 'migrations/001.sql', text: SCHEMA_FALLBACK });
    state.handle({ type: 'setFile', id: 1, rel: file, text });
    const r = state.handle({ type: 'analyze', id: 1, rel: file, seq: 1 });
    return r?.type === 'result' ? r.result : undefined;
  });
  for (const r of [...cli.reads, ...server.reads]) {
    if (r.startsWith(box.outside) || r.includes('secret')) out.push({ property: 'no read outside the root', detail: r });
  }
  if (!server.value) out.push({ property: 'no crash', detail: 'the server host failed' });
  else {
    const a = findingKeys(cli.value.findings);
    const b = findingKeys(server.value.findings);
    if (a.join('\n') !== b.join('\n')) out.push({ property: 'CLI and server agree', detail: `cli ${a.length} findings, server ${b.length}: ${a.filter((x) => !b.includes(x)).concat(b.filter((x) => !a.includes(x))).slice(0, 3).join(' || ')}` });
  }
  void BoundedDisk;

  let stdout = '';
  let code: number;
  try {
    code = await runLint(parseArgs(['lint', '--format', 'json']) as LintOptions, { cwd: box.root, env: {}, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true } });
  } catch (e) {
    code = (e as Error).constructor.name === 'CliError' ? 2 : -1;
    if (code === -1) out.push({ property: 'no crash', detail: `lint threw ${(e as Error)?.stack?.split('\n').slice(0, 3).join(' | ')}` });
  }
  if (![0, 1, 2].includes(code)) out.push({ property: 'exit code in {0,1,2}', detail: String(code) });
  if (stdout.includes('secret_outside')) out.push({ property: 'no read outside the root', detail: 'the linked file outside appears in the report' });
  return out;
}

/** LSP framing: any byte stream; the reader never throws, delivers only objects, and a clean message after garbage without a header arrives. */
export function framingCase(garbage: Uint8Array): Violation[] {
  const reader = new RecoveringMessageReader(process.stdin, 1024 * 1024);
  const got: unknown[] = [];
  reader.report = () => undefined;
  (reader as unknown as { callback: (m: unknown) => void }).callback = (m) => got.push(m);
  const valid = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' });
  const frame = Buffer.from(`Content-Length: ${Buffer.byteLength(valid)}\r\n\r\n${valid}`);
  try {
    reader.push(Buffer.from(garbage));
    reader.push(frame);
    reader.push(frame);
  } catch (e) {
    return [{ property: 'no crash', detail: `framing threw ${(e as Error)?.message}` }];
  }
  const out: Violation[] = [];
  if (got.some((m) => typeof m !== 'object' || m === null || Array.isArray(m))) out.push({ property: 'framing delivers objects', detail: JSON.stringify(got).slice(0, 200) });
  const text = Buffer.from(garbage).toString('latin1');
  if (!/content-length/i.test(text) && !got.some((m) => (m as { id?: number }).id === 7)) out.push({ property: 'framing recovers', detail: JSON.stringify(text.slice(0, 80)) });
  return out;
}

export const framingArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .tuple(fc.constantFrom('Content-Length: ', 'content-length:', 'Content-Type: x; charset=latin1\r\nContent-Length: ', ''), fc.oneof(fc.integer({ min: -10, max: 400 }).map(String), fc.string({ maxLength: 6 })), fc.constantFrom('\r\n\r\n', '\n\n', '\r\n'), fc.string({ maxLength: 120 }))
    .map(([h, n, sep, body]) => Buffer.from(`${h}${n}${sep}${body}`)),
);
