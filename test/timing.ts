/**
 * Per-suite timing (a mocha plugin, .mocharc.json `require`): after the run, the wall time each test file took,
 * hooks included (each test is charged the time since the previous test of its file ended, so a file's `before`
 * hooks count for it), and the CPU time its process and the child processes it waited for used, slowest first.
 * Reported, never asserted.
 *
 * Works serially and with `--parallel`: the root hooks run in whichever process runs the file (a worker under
 * `--parallel`, where the root `before` runs once per file) and write their spans to a folder the global setup
 * made in mocha's own process; the global teardown there prints them with the run's wall time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Context } from 'mocha';

const REPO = path.join(__dirname, '..');
const DIR_VAR = 'QUERYLENS_TEST_TIMING_DIR';

interface Span {
  ms: number;
  cpu: number;
  tests: number;
}

/** Linux's USER_HZ: /proc counts CPU time in hundredths of a second. */
const CLOCK_TICKS = 100;

/** CPU seconds of this process and of the children it waited for (Linux /proc; 0 elsewhere). */
function cpuNow(): number {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLOCK_TICKS || 0;
  } catch {
    return 0;
  }
}

const spans = new Map<string, Span>();
let lastEnd = performance.now();
let lastCpu = cpuNow();
let started = performance.now();

export function mochaGlobalSetup(): void {
  started = performance.now();
  process.env[DIR_VAR] = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-timing-'));
}

export const mochaHooks = {
  beforeAll(): void {
    lastEnd = performance.now();
    lastCpu = cpuNow();
  },
  afterEach(this: Context): void {
    const now = performance.now();
    const cpu = cpuNow();
    const file = path.relative(REPO, this.currentTest?.file ?? '?');
    const s = spans.get(file) ?? { ms: 0, cpu: 0, tests: 0 };
    s.ms += now - lastEnd;
    s.cpu += cpu - lastCpu;
    s.tests++;
    spans.set(file, s);
    lastEnd = now;
    lastCpu = cpu;
  },
  afterAll(): void {
    const dir = process.env[DIR_VAR];
    if (!dir || !spans.size) return;
    fs.writeFileSync(path.join(dir, `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`), JSON.stringify([...spans]));
    spans.clear();
  },
};

export function mochaGlobalTeardown(): void {
  const dir = process.env[DIR_VAR];
  if (!dir) return;
  const all = new Map<string, Span>();
  for (const f of fs.readdirSync(dir)) {
    for (const [file, s] of JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as [string, Span][]) {
      const t = all.get(file) ?? { ms: 0, cpu: 0, tests: 0 };
      t.ms += s.ms;
      t.cpu += s.cpu;
      t.tests += s.tests;
      all.set(file, t);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const total = performance.now() - started;
  const rows = [...all].sort((a, b) => b[1].ms - a[1].ms);
  const sum = (k: 'ms' | 'cpu') => rows.reduce((n, [, s]) => n + s[k], 0);
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  const lines = rows.map(([f, s]) => `  ${(s.ms / 1000).toFixed(1).padStart(6)} s ${s.cpu.toFixed(1).padStart(6)} s CPU ${String(s.tests).padStart(5)} tests  ${f}`);
  process.stdout.write(
    `\nper-suite timing (wall, hooks included; CPU of the suite's process and its waited-for children; load average ${load}):\n${lines.join('\n')}\n` +
      `${(total / 1000).toFixed(1)} s for the run (wall); ${(sum('ms') / 1000).toFixed(1)} s summed over suites; ${sum('cpu').toFixed(1)} s CPU\n`,
  );
}
