/**
 * Per-suite timing (a mocha root-hook plugin, .mocharc.json `require`): after
 * the run, the wall time each test file took, hooks included (each test is
 * charged the time since the previous test ended, so a file's `before` hooks
 * count for it), slowest first. Reported, never asserted.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { Context } from 'mocha';

const REPO = path.join(__dirname, '..');
const spans = new Map<string, { ms: number; tests: number }>();
let lastEnd = performance.now();
const started = lastEnd;

export const mochaHooks = {
  afterEach(this: Context): void {
    const now = performance.now();
    const file = path.relative(REPO, this.currentTest?.file ?? '?');
    const s = spans.get(file) ?? { ms: 0, tests: 0 };
    s.ms += now - lastEnd;
    s.tests++;
    spans.set(file, s);
    lastEnd = now;
  },
  afterAll(): void {
    const total = performance.now() - started;
    const rows = [...spans].sort((a, b) => b[1].ms - a[1].ms);
    const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
    const lines = rows.map(([f, s]) => `  ${(s.ms / 1000).toFixed(1).padStart(6)} s  ${String(s.tests).padStart(4)} tests  ${f}`);
    process.stdout.write(`\nper-suite timing (wall, hooks included; load average ${load}; ${(total / 1000).toFixed(1)} s in all):\n${lines.join('\n')}\n`);
  },
};
