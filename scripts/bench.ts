/**
 * `npm run bench -- <corpus-dir> [--runs N]`
 *
 * Throughput of `querylens lint` on a corpus, side by side with ESLint (flat
 * config, @typescript-eslint/parser, only the core rule `no-await-in-loop`)
 * over the same files, in the same run, alternating, N runs each (default 5).
 * Prints medians (wall time, files/s, MB/s, peak RSS) and the ratio. Then the
 * server's per-edit latency (scripts/bench-lsp.ts) next to ESLint re-linting
 * the same edited file in-process.
 *
 * Both tools run as separate Node processes started the same way
 * (scripts/bench-child.cjs), so process start-up is counted for both.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', 'out', '.next', 'coverage', '.git', '.turbo', '.cache']);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The TypeScript/JavaScript files both tools lint (querylens also reads .sql and schema files). */
export function corpusFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const ent of fs.readdirSync(d, { withFileTypes: true })) {
      if (ent.isDirectory()) {
        if (!SKIP_DIRS.has(ent.name) && !ent.name.startsWith('.')) walk(path.join(d, ent.name));
      } else if (/\.(ts|tsx|mts|cts)$/.test(ent.name) && !ent.name.endsWith('.d.ts')) out.push(path.join(d, ent.name));
    }
  };
  walk(dir);
  return out;
}

interface ChildResult {
  ms: number;
  maxRssMb: number;
  files: number;
  findings: number;
}

function runChild(tool: 'querylens' | 'eslint', corpus: string, listFile: string): ChildResult {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'bench-child.cjs'), tool, corpus, listFile], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ChildResult;
  } catch {
    throw new Error(`${tool} run failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  }
}

function main(): void {
  const args = process.argv.slice(2);
  const runsIdx = args.indexOf('--runs');
  const runs = runsIdx >= 0 ? Number(args[runsIdx + 1]) : 5;
  const corpus = path.resolve(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--runs') ?? path.join(ROOT, 'examples'));
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) {
    console.error('dist/cli.js missing: run npm run build first');
    process.exit(2);
  }
  const files = corpusFiles(corpus);
  const bytes = files.reduce((s, f) => s + fs.statSync(f).size, 0);
  const listFile = path.join(require('node:os').tmpdir(), `querylens-bench-${process.pid}.txt`);
  fs.writeFileSync(listFile, files.join('\n'));
  console.log(`corpus ${corpus}: ${files.length} TypeScript files, ${(bytes / 1048576).toFixed(1)} MB; ${runs} runs each, alternating`);

  const q: ChildResult[] = [];
  const e: ChildResult[] = [];
  for (let i = 0; i < runs; i++) {
    q.push(runChild('querylens', corpus, listFile));
    e.push(runChild('eslint', corpus, listFile));
  }
  fs.rmSync(listFile, { force: true });
  const row = (name: string, rs: ChildResult[]) => {
    const ms = median(rs.map((r) => r.ms));
    const rss = median(rs.map((r) => r.maxRssMb));
    return {
      name,
      ms,
      rss,
      line: `${name.padEnd(34)} median ${String(Math.round(ms)).padStart(6)} ms  ${(files.length / (ms / 1000)).toFixed(0).padStart(6)} files/s  ${(bytes / 1048576 / (ms / 1000)).toFixed(2).padStart(6)} MB/s  peak RSS ${rss.toFixed(0)} MB  findings ${rs[0].findings}  (runs: ${rs.map((r) => Math.round(r.ms)).join(', ')})`,
    };
  };
  const a = row('querylens lint', q);
  const b = row('eslint no-await-in-loop', e);
  console.log(a.line);
  console.log(b.line);
  console.log(`ratio: querylens is ${(b.ms / a.ms).toFixed(2)}× the speed of ESLint (median wall time ${Math.round(b.ms)} / ${Math.round(a.ms)} ms); memory ${(a.rss / b.rss).toFixed(2)}× ESLint's`);

  const lspBench = path.join(ROOT, 'scripts', 'bench-lsp.ts');
  if (fs.existsSync(lspBench) && !args.includes('--no-lsp')) {
    console.log('\nserver per-edit latency:');
    const r = spawnSync(process.execPath, ['--import', 'tsx', lspBench], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = 1;
  }
}

main();
