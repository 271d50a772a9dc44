/**
 * `querylens lint` ranks by time saved: the stylish output ends with the top
 * findings by estimated (or measured) saving, `--sort impact` orders every
 * format that way, and JSON carries savingMs (and severityReason for a
 * finding under minSavingMs). On the bundled example, in-process.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { type LintOptions, UsageError, parseArgs } from '../cli/args';
import { runLint } from '../cli/lint';

const repo = path.join(__dirname, '..');

async function lint(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runLint(parseArgs(['lint', ...args]) as LintOptions, { cwd: repo, env: { NO_COLOR: '1' }, stdout: { write: (s: string) => (out += s) } });
  return { code, out };
}

describe('querylens lint: ranked by time saved', function () {
  this.timeout(120000);

  it('stylish ends with the top findings by estimated time saved per call, largest first', async () => {
    const { code, out } = await lint(['examples/feature-store']);
    assert.equal(code, 1);
    const tail = out.slice(out.indexOf('Top '));
    assert.match(tail, /^Top 10 by estimated time saved per call:/);
    const savings = [...tail.matchAll(/saves ≈ ([\d.]+) (ms|s) per call/g)].map((m) => Number(m[1]) * (m[2] === 's' ? 1000 : 1));
    assert.equal(savings.length, 10);
    assert.deepEqual(savings, [...savings].sort((a, b) => b - a));
    assert.ok(out.trimEnd().endsWith(tail.trimEnd()), 'the list closes the output');
  });

  it('--sort impact orders findings by saving; json carries savingMs and the reason for info findings', async () => {
    const { out } = await lint(['examples/feature-store', '--sort', 'impact', '--format', 'json']);
    const doc = JSON.parse(out) as { findings: { savingMs: number; severity: string; severityReason?: string }[] };
    const s = doc.findings.map((f) => f.savingMs);
    assert.deepEqual(s, [...s].sort((a, b) => b - a));
    for (const f of doc.findings) {
      if (f.savingMs < 1) {
        assert.equal(f.severity, 'info');
        assert.match(f.severityReason ?? '', /under minSavingMs/);
      } else assert.notEqual(f.severity, 'info');
    }
    assert.throws(() => parseArgs(['lint', '--sort', 'size']), UsageError);
  });
});
