/**
 * The README's example outputs, produced by running querylens, not pasted:
 * each block between `<!-- readme:NAME -->` and `<!-- /readme:NAME -->` is
 * rendered here. test/readme.test.ts fails when a block is stale.
 *
 *   npm run readme            rewrite the blocks in README.md
 *   npm run readme -- --check exit 1 when a block is stale
 *
 * Blocks: `example` (what `npm run example` prints), `hover` (the N+1's hover
 * in the editor), `fix` (`--fix` on a copy of the example), `after-fix` (the
 * paragraph comparing before and after, with its figures computed),
 * `config-errors` (two config mistakes and the messages), `severity` (which
 * findings severity-by-saving makes `info`), `queries` (`querylens queries` on
 * a small project: its source and the output).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type LintOptions, parseArgs } from '../cli/args';
import { CliError } from '../cli/errors';
import { loadConfig, runLint } from '../cli/lint';
import { main } from '../cli/main';
import { type Finding, Project, formatMs, initParser, isAnalyzable, parseConfigText, ruleIds } from '../engine';

const ROOT = path.join(__dirname, '..');
export const README = path.join(ROOT, 'README.md');
const EXAMPLE = path.join(ROOT, 'examples', 'feature-store');

function fence(lang: string, body: string): string {
  return ['```' + lang, body.replace(/\s+$/, ''), '```'].join('\n');
}

/** What `npm run example` prints (the script, run as npm runs it). */
function exampleBlock(): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'example.mjs')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' } });
  if (r.status !== 0) throw new Error(`npm run example exited ${r.status}: ${r.stderr}`);
  return fence('text', `$ npm run example\n${r.stdout}`);
}

/** The example's files in an engine Project, as the CLI and the server load them. */
async function exampleProject(root: string): Promise<Project> {
  await initParser();
  const config = parseConfigText(fs.readFileSync(path.join(root, 'querylens.config.json'), 'utf8'), ruleIds()).config;
  const read = (rel: string) => {
    try {
      return fs.readFileSync(path.join(root, rel), 'utf8');
    } catch {
      return undefined;
    }
  };
  const project = new Project(config, { readFile: read });
  const walk = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.posix.join(dir, e.name)) : [path.posix.join(dir, e.name)]));
  for (const rel of walk('')) if (isAnalyzable(rel)) project.setFile(rel, read(rel)!);
  return project;
}

function theNPlusOne(project: Project): Finding {
  const f = project.analyze('src/routes/metadata.ts').findings.find((x) => x.ruleId === 'n-plus-one');
  if (!f) throw new Error('the example has no n-plus-one finding in src/routes/metadata.ts');
  return f;
}

async function hoverBlock(): Promise<string> {
  const f = theNPlusOne(await exampleProject(EXAMPLE));
  const quote = (s: string) =>
    s
      .split('\n')
      .map((l) => (l ? `> ${l}` : '>'))
      .join('\n');
  return [`The diagnostic (the editor shows it above the hover):`, '', quote(f.message), '', 'The hover:', '', quote(f.hover ?? '')].join('\n');
}

async function lintText(cwd: string, args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runLint(parseArgs(['lint', '--no-color', ...args]) as LintOptions, { cwd, env: { NO_COLOR: '1' }, stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true } });
  return { code, out };
}

interface FixRun {
  block: string;
  before: Finding[];
  after: Finding[];
  beforeProject: Project;
  afterProject: Project;
}

/** `--fix` on a copy of the example in the temporary directory. */
async function fixRun(): Promise<FixRun> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-readme-'));
  const copy = path.join(tmp, 'feature-store');
  try {
    fs.cpSync(EXAMPLE, copy, { recursive: true });
    const beforeProject = await exampleProject(copy);
    const before = allFindings(beforeProject);
    const { out } = await lintText(copy, ['--fix']);
    const lines = out.split('\n');
    const from = lines.findIndex((l) => /^Fixed \d+ problems? in/.test(l));
    if (from < 0) throw new Error(`--fix fixed nothing:\n${out}`);
    const created = /Create migration (\S+)/.exec(lines[from + 1] ?? '')?.[1];
    const migration = created ? fs.readFileSync(path.join(copy, created), 'utf8') : '';
    const afterProject = await exampleProject(copy);
    const after = allFindings(afterProject);
    const shown = [
      '$ cp -r examples/feature-store /tmp/feature-store && cd /tmp/feature-store',
      '$ npx querylens lint --fix',
      `… (${from} lines of findings left after the fixes)`,
      ...lines.slice(from),
      ...(created ? [`$ cat ${created}`, migration.trimEnd()] : []),
    ];
    return { block: fence('text', shown.join('\n')), before, after, beforeProject, afterProject };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function allFindings(project: Project): Finding[] {
  return project.paths().filter(isAnalyzable).flatMap((p) => project.analyze(p).findings);
}

/** The before/after paragraph, every figure from the two runs. */
function afterFixBlock(run: FixRun): string {
  const onModelId = (fs: Finding[]) => fs.filter((f) => /model_versions\.model_id|model_versions\(model_id\)/.test(f.message)).length;
  const budget = (fs: Finding[]) => fs.find((f) => f.ruleId === 'latency-budget' && /getModelMetadata/.test(f.message))?.estimate?.currentMs;
  const b0 = budget(run.before);
  const b1 = budget(run.after);
  const n1 = theNPlusOne(run.afterProject);
  const titles = n1.fixes.map((x) => `“${x.title}”`);
  const rewrite = n1.fixes.filter((x) => !/^Disable /.test(x.title));
  const offered = rewrite.length
    ? `in the editor it offers ${titles.join(', ')}`
    : `querylens has no automatic rewrite for it (its one quick fix in the editor is ${titles.join(', ')}); batching the loop is a change to write by hand`;
  const budgetAfter = b1 === undefined ? 'the budget finding is gone' : `the budget finding drops to ≈ ${formatMs(b1)}`;
  return (
    `Before, ${onModelId(run.before)} findings pointed at \`model_versions.model_id\` (the foreign key PostgreSQL does not index by\n` +
    `itself) and the metadata endpoint was estimated at ≈ ${formatMs(b0 ?? NaN)} per call; after, ${onModelId(run.after)} of them remain and\n` +
    `${budgetAfter}. The N+1 that remains is a code change: ${offered}.`
  );
}

/** Which findings of the example are `info` because their fix saves too little, from the run itself. */
async function severityBlock(): Promise<string> {
  const project = await exampleProject(EXAMPLE);
  const minSaving = project.config.minSavingMs ?? 1;
  const graded = allFindings(project).filter((f) => f.severityReason);
  const what = graded.map((f) => `\`${f.ruleId}\` in \`${f.file}\`, saving ≈ ${formatMs(Math.max(0, (f.estimate?.currentMs ?? 0) - (f.estimate?.fixedMs ?? 0)))}`);
  const n = graded.length;
  return (
    `Severity follows the estimate: a finding is a warning only when its fix saves at least \`minSavingMs\`\n` +
    `per call (${formatMs(minSaving)} here); ${n === 0 ? 'no finding of the example saves less' : `${n === 1 ? 'one' : n} of the example's findings save${n === 1 ? 's' : ''} less (${what.join('; ')}) and ${n === 1 ? 'is' : 'are'} \`info\`, saying why in ${n === 1 ? 'its' : 'their'} hover`}.\n` +
    `The output ends with the findings whose fix saves the most time.`
  );
}

async function configErrorsBlock(): Promise<string> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-readme-cfg-'));
  try {
    const file = path.join(tmp, 'querylens.config.json');
    const text = '{\n  "rulez": { "over-fetching": "info" },\n  // the round trip to our database\n  "model": { "roundTripMS": 0.8 },\n}\n';
    fs.writeFileSync(file, text);
    let message = '';
    try {
      loadConfig(tmp, file);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      message = e.message;
    }
    if (!message) throw new Error('the sample config was accepted');
    return [fence('jsonc', text), '', fence('text', `querylens: ${message}`)].join('\n');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** A small pg project: a query per element of a loop, a write, and a call querylens cannot resolve. */
export const QUERIES_PROJECT: Record<string, string> = {
  'package.json': '{"name":"app"}',
  'migrations/001_init.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n',
  'src/db.ts': "import { Pool } from 'pg';\nexport const pool = new Pool();\n",
  'src/users.ts': [
    "import { pool } from './db';",
    'export async function emails(ids: string[]) {',
    '  for (const id of ids) {',
    "    await pool.query('SELECT email FROM users WHERE id = $1', [id]);",
    '  }',
    "  await pool.query('INSERT INTO orders (id, user_id) VALUES ($1, $2)', [1, 2]);",
    '}',
    'export async function viaUntyped(db) {',
    "  return db.query('SELECT id FROM orders');",
    '}',
    '',
  ].join('\n'),
};

/** `querylens queries src` on QUERIES_PROJECT, in-process. */
async function queriesBlock(): Promise<string> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-readme-queries-'));
  try {
    for (const [rel, text] of Object.entries(QUERIES_PROJECT)) {
      fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
      fs.writeFileSync(path.join(tmp, rel), text);
    }
    let out = '';
    let err = '';
    const code = await main(['queries', 'src'], { cwd: tmp, env: { NO_COLOR: '1' }, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
    if (code !== 0) throw new Error(`querylens queries exited ${code}: ${err}`);
    return [fence('ts', `// src/users.ts\n${QUERIES_PROJECT['src/users.ts']}`), '', fence('text', `$ npx querylens queries src\n${out}`)].join('\n');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export async function renderBlocks(): Promise<Record<string, string>> {
  const run = await fixRun();
  return {
    example: exampleBlock(),
    hover: await hoverBlock(),
    fix: run.block,
    'after-fix': afterFixBlock(run),
    'config-errors': await configErrorsBlock(),
    severity: await severityBlock(),
    queries: await queriesBlock(),
  };
}

/** README text with every block replaced; throws when a marker pair is missing. */
export function applyBlocks(readme: string, blocks: Record<string, string>): string {
  let out = readme;
  for (const [name, body] of Object.entries(blocks)) {
    const re = new RegExp(`<!-- readme:${name} -->[\\s\\S]*?<!-- /readme:${name} -->`);
    if (!re.test(out)) throw new Error(`README.md has no <!-- readme:${name} --> … <!-- /readme:${name} --> block`);
    out = out.replace(re, () => `<!-- readme:${name} -->\n${body}\n<!-- /readme:${name} -->`);
  }
  return out;
}

if (require.main === module) {
  (async () => {
    const current = fs.readFileSync(README, 'utf8');
    const next = applyBlocks(current, await renderBlocks());
    if (process.argv.includes('--check')) {
      if (next !== current) {
        console.error('README.md: generated blocks are stale; run npm run readme');
        process.exit(1);
      }
      console.log('README.md: generated blocks are current');
      return;
    }
    fs.writeFileSync(README, next);
    console.log(next === current ? 'README.md: unchanged' : 'README.md: blocks rewritten');
  })().catch((e) => {
    console.error(e);
    process.exit(2);
  });
}
