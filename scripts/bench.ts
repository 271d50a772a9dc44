/**
 * `npm run bench -- <corpus-dir> [--runs N] [--only DIR,DIR] [--no-lsp] [--profile]`
 *
 * Throughput and memory of `querylens lint` on a corpus, side by side with
 * ESLint (flat config, @typescript-eslint/parser, only the core rule
 * `no-await-in-loop`) over the same files, in the same run, alternating,
 * N rounds (default 3).
 *
 * The file set is what a user's `querylens lint .` (or `lint DIR …` with
 * --only) lints: querylens' own walk (cli/files.ts: .gitignore, the config's
 * `ignore`, test files unless `lintTests`, declaration files, node_modules …
 * skipped) and its extensions (TypeScript, JavaScript, SQL). querylens is run
 * exactly so (the folder, not a list of files); ESLint is handed the same
 * files but the .sql ones, which it cannot parse, with its TypeScript parser
 * on the JavaScript files too. The bench checks that querylens linted as many
 * files as the set holds and that ESLint ignored none, and prints the set.
 *
 * Each round runs, each in its own process:
 *   querylens cold, one thread (--concurrency 1 --cache, empty cache)
 *   querylens warm, one thread (the same again: nothing changed)
 *   querylens cold, --concurrency auto (--cache, empty cache)
 *   querylens warm, --concurrency auto
 *   ESLint
 * and prints medians: wall time, CPU time (every thread), files/s, peak RSS
 * (every thread), the load average when the run started, and whether every
 * querylens run found exactly the same (a digest of findings and problems).
 * The machine may be shared: wall time depends on load, CPU time much less.
 *
 * --only DIR,DIR: only these corpus-relative folders are linted (both tools;
 * querylens still reads the whole project for the schema and helpers).
 * --profile: one more cold single-threaded querylens run under --cpu-prof,
 * summarised (scripts/cpu-profile.ts): where the time goes.
 * Then (unless --no-lsp) the server's per-edit latency (scripts/bench-lsp.ts),
 * and (unless --no-bounds) the time pathological inputs take (scripts/bench-bounds.ts).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileFilter, commonDirectory, locateProject, toProjectPath } from '../cli/files';
import { loadConfig } from '../cli/lint';
import { isAnalyzable } from '../engine';
import { summariseProfile } from './cpu-profile';

const ROOT = path.join(__dirname, '..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** What `querylens lint <paths>` run in `corpus` lints (absolute paths, sorted): its own walk, config and extensions. */
export function lintedFiles(corpus: string, paths: readonly string[]): string[] {
  const abs = paths.map((p) => path.resolve(corpus, p));
  const { root, configFile } = locateProject(commonDirectory(abs), undefined, corpus);
  const config = loadConfig(corpus, configFile);
  const under = abs.map((a) => toProjectPath(root, a));
  return new FileFilter(root, config.ignore, config.lintTests)
    .walk('')
    .filter((f) => isAnalyzable(f) && under.some((u) => u === '' || f.startsWith(`${u}/`)))
    .map((f) => path.join(root, f))
    .sort();
}

/** Files by extension, largest group first: "4,825 .ts/.tsx/.mts, 403 .js/.jsx, 3 .sql". */
function byKind(files: readonly string[]): string {
  const kinds: [string, RegExp][] = [
    ['.ts/.tsx/.mts/.cts', /\.[cm]?tsx?$/],
    ['.js/.jsx/.mjs/.cjs', /\.[cm]?jsx?$/],
    ['.sql', /\.sql$/],
  ];
  return kinds
    .map(([k, re]) => [k, files.filter((f) => re.test(f)).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n.toLocaleString('en')} ${k}`)
    .join(', ');
}

interface ChildResult {
  ms: number;
  cpuMs: number;
  maxRssMb: number;
  /** Files the tool linted (querylens: its summary; ESLint: results it did not ignore). */
  files: number;
  findings: number;
  digest: string;
  fromCache: number;
  threads: number;
  /** 1-minute load average when the run started. */
  load: number;
}

function runChild(tool: 'querylens' | 'eslint', corpus: string, listFile: string, extra: string[] = [], nodeArgs: string[] = []): ChildResult {
  const load = os.loadavg()[0];
  const r = spawnSync(process.execPath, [...nodeArgs, path.join(ROOT, 'scripts', 'bench-child.cjs'), tool, corpus, listFile, ...extra], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return { ...(JSON.parse(line) as Omit<ChildResult, 'load'>), load };
  } catch {
    throw new Error(`${tool} run failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  }
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function main(): void {
  const args = process.argv.slice(2);
  const runs = Number(arg(args, '--runs') ?? 3);
  const only = (arg(args, '--only') ?? '').split(',').filter(Boolean);
  const corpus = path.resolve(args.find((a, i) => !a.startsWith('--') && !['--runs', '--only'].includes(args[i - 1])) ?? path.join(ROOT, 'examples', 'feature-store'));
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) {
    console.error('dist/cli.js missing: run npm run build first');
    process.exit(2);
  }
  // querylens is run as a user runs it (the folders); ESLint gets the files that run lints, but SQL.
  const qlPaths = only.length ? only : ['.'];
  const files = lintedFiles(corpus, qlPaths);
  const eslintFiles = files.filter((f) => !f.endsWith('.sql'));
  // ESLint given no file lints the folder: nothing to compare.
  if (eslintFiles.length === 0) throw new Error(`querylens lint ${qlPaths.join(' ')} in ${corpus} lints no TypeScript or JavaScript file`);
  const mb = (fs_: readonly string[]) => (fs_.reduce((s, f) => s + fs.statSync(f).size, 0) / 1048576).toFixed(1);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-bench-'));
  const qlList = path.join(tmp, 'querylens-paths.txt');
  const eslintList = path.join(tmp, 'eslint-files.txt');
  fs.writeFileSync(qlList, qlPaths.join('\n'));
  fs.writeFileSync(eslintList, eslintFiles.join('\n'));
  console.log(`corpus ${corpus}; ${runs} rounds, alternating; ${os.cpus().length} cores`);
  console.log(`querylens: \`querylens lint ${qlPaths.join(' ')}\` lints ${files.length.toLocaleString('en')} files, ${mb(files)} MB (${byKind(files)}; its walk skips test files, .gitignored and declaration files)`);
  console.log(`ESLint:    the same ${eslintFiles.length.toLocaleString('en')} files but SQL, ${mb(eslintFiles)} MB (@typescript-eslint/parser on all of them)`);

  const modes = [
    { name: 'querylens cold, 1 thread', args: ['--concurrency', '1'], cache: 'one', fresh: true },
    { name: 'querylens warm, 1 thread', args: ['--concurrency', '1'], cache: 'one', fresh: false },
    { name: 'querylens cold, auto', args: ['--concurrency', 'auto'], cache: 'auto', fresh: true },
    { name: 'querylens warm, auto', args: ['--concurrency', 'auto'], cache: 'auto', fresh: false },
  ];
  const results = new Map<string, ChildResult[]>();
  const push = (name: string, r: ChildResult) => results.set(name, [...(results.get(name) ?? []), r]);
  for (let i = 0; i < runs; i++) {
    for (const m of modes) {
      const cacheFile = path.join(tmp, `cache-${m.cache}.json`);
      if (m.fresh) fs.rmSync(cacheFile, { force: true });
      push(m.name, runChild('querylens', corpus, qlList, [...m.args, '--cache-location', cacheFile]));
    }
    push('eslint no-await-in-loop', runChild('eslint', corpus, eslintList));
  }
  // Both tools did what they were asked: the same set of files.
  const linted = [...results].map(([name, rs]) => [name, new Set(rs.map((r) => r.files))] as const);
  for (const [name, counts] of linted) {
    const want = name.startsWith('eslint') ? eslintFiles.length : files.length;
    if (counts.size !== 1 || !counts.has(want)) throw new Error(`${name} linted ${[...counts].join(', ')} files, not the ${want} of the set`);
  }

  const eslintMs = median(results.get('eslint no-await-in-loop')!.map((r) => r.ms));
  const eslintCpu = median(results.get('eslint no-await-in-loop')!.map((r) => r.cpuMs));
  console.log('');
  console.log(`${'run'.padEnd(26)} ${'wall'.padStart(8)} ${'CPU'.padStart(8)} ${'files/s'.padStart(8)} ${'peak RSS'.padStart(9)} ${'vs ESLint'.padStart(10)}  threads  from cache  findings (digest)  runs: wall ms [load]`);
  for (const [name, rs] of results) {
    const ms = median(rs.map((r) => r.ms));
    const cpu = median(rs.map((r) => r.cpuMs));
    const rss = median(rs.map((r) => r.maxRssMb));
    const vs = name.startsWith('eslint') ? '' : `${(eslintMs / ms).toFixed(2)}×`;
    const each = rs.map((r) => `${Math.round(r.ms)} [${r.load.toFixed(1)}]`).join(', ');
    const n = name.startsWith('eslint') ? eslintFiles.length : files.length;
    console.log(
      `${name.padEnd(26)} ${`${(ms / 1000).toFixed(2)} s`.padStart(8)} ${`${(cpu / 1000).toFixed(2)} s`.padStart(8)} ${(n / (ms / 1000)).toFixed(0).padStart(8)} ${`${rss.toFixed(0)} MB`.padStart(9)} ${vs.padStart(10)}  ${String(rs[0].threads).padStart(7)}  ${String(rs[0].fromCache).padStart(10)}  ${rs[0].findings} (${rs[0].digest || '-'})  ${each}`,
    );
  }
  const ql = [...results].filter(([n]) => n.startsWith('querylens')).flatMap(([, rs]) => rs);
  const digests = new Set(ql.map((r) => r.digest));
  console.log(`\nidentical findings and problems in every querylens run: ${digests.size === 1 ? 'yes' : `NO (${[...digests].join(', ')})`}`);
  const med = (n: string, k: 'ms' | 'cpuMs') => median(results.get(n)!.map((r) => r[k]));
  for (const t of ['1 thread', 'auto']) {
    console.log(`warm / cold, ${t}: ${((100 * med(`querylens warm, ${t}`, 'ms')) / med(`querylens cold, ${t}`, 'ms')).toFixed(1)} % of the wall time, ${((100 * med(`querylens warm, ${t}`, 'cpuMs')) / med(`querylens cold, ${t}`, 'cpuMs')).toFixed(1)} % of the CPU time`);
  }
  console.log(`ESLint / querylens cold: ${(eslintMs / med('querylens cold, 1 thread', 'ms')).toFixed(2)}× (1 thread), ${(eslintMs / med('querylens cold, auto', 'ms')).toFixed(2)}× (auto) in wall time; ${(eslintCpu / med('querylens cold, 1 thread', 'cpuMs')).toFixed(2)}× in CPU time (1 thread)`);

  if (args.includes('--profile')) {
    const dir = path.join(tmp, 'profile');
    runChild('querylens', corpus, qlList, ['--concurrency', '1'], ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    console.log('\nwhere a cold single-threaded run spends its time (--cpu-prof):');
    if (file) console.log(summariseProfile(path.join(dir, file)));
  }
  fs.rmSync(tmp, { recursive: true, force: true });

  const lspBench = path.join(ROOT, 'scripts', 'bench-lsp.ts');
  if (fs.existsSync(lspBench) && !args.includes('--no-lsp')) {
    console.log('\nserver per-edit latency:');
    const r = spawnSync(process.execPath, ['--import', 'tsx', lspBench], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = 1;
  }
  if (!args.includes('--no-bounds')) {
    console.log('');
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'bench-bounds.ts')], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = 1;
  }
}

main();
