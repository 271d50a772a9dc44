/**
 * `--format html`: the page's content without a browser (the e2e suite opens
 * it in Chromium and takes the screenshot). Self-contained (no script, no
 * fetch of any kind), findings ranked by estimated time saved, the charts'
 * figures, per-rule counts, excerpts with the range marked, every estimate's
 * inputs, and everything from the project escaped.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type LintOptions, parseArgs } from '../cli/args';
import { formatHtml, handlerTimes, rankFindings } from '../cli/formats/html';
import { runLint } from '../cli/lint';
import { type Report, makeLocator } from '../cli/report';
import type { Finding } from '../engine';

const repo = path.join(__dirname, '..');

function jsonFindings(out: string) {
  return JSON.parse(out).findings as { ruleId: string; file: string; line: number; scope?: string; estimate: { currentMs: number; fixedMs: number; aggregate?: boolean } | null }[];
}

describe('--format html', () => {
  let dir: string;
  let page: string;
  let findings: ReturnType<typeof jsonFindings>;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-html-'));
    fs.cpSync(path.join(repo, 'examples', 'feature-store'), dir, { recursive: true });
    let json = '';
    await runLint(parseArgs(['lint', '--format', 'json', '--report', 'html=out/report.html']) as LintOptions, { cwd: dir, env: {}, stdout: { write: (s: string) => (json += s) } });
    findings = jsonFindings(json);
    page = fs.readFileSync(path.join(dir, 'out', 'report.html'), 'utf8');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is one self-contained page: no script, no external resource, a policy that forbids fetching', () => {
    assert.match(page, /^<!doctype html>/);
    assert.doesNotMatch(page, /<script|<link|<img|<iframe|@import|url\(/i);
    assert.doesNotMatch(page, /\b(src|href)=/i);
    assert.match(page, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/);
  });

  it('ranks the findings by estimated time saved', () => {
    const items = [...page.matchAll(/<li class="finding[^"]*" id="finding-(\d+)">[\s\S]*?<code class="where">([^<]+)<\/code>/g)].map((m) => m[2]);
    assert.equal(items.length, findings.length);
    const saved = (f: (typeof findings)[number]) => (f.estimate ? Math.max(0, f.estimate.currentMs - f.estimate.fixedMs) : -1);
    const best = [...findings].sort((a, b) => saved(b) - saved(a))[0];
    assert.match(items[0], new RegExp(`^${best.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${best.line}:`));
    // Non-increasing savings down the list.
    const savings = [...page.matchAll(/<span class="saving">saves ≈ ([\d.]+) (ms|s|µs) per call<\/span>/g)].map((m) => Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'µs' ? 0.001 : 1));
    assert.ok(savings.length >= 10);
    for (let i = 1; i < savings.length; i++) assert.ok(savings[i] <= savings[i - 1] * 1.06, `rank ${i + 1}: ${savings[i]} > ${savings[i - 1]}`);
  });

  it('charts database time per route/handler and per file; a latency budget is its function\'s whole time, never added twice', () => {
    assert.match(page, /<figure class="chart" id="db-time-chart"><figcaption>Estimated database time per route\/handler<\/figcaption><svg role="img"/);
    assert.match(page, /<figure class="chart" id="file-chart">/);
    const chart = /id="db-time-chart">([\s\S]*?)<\/figure>/.exec(page)![1];
    const labels = [...chart.matchAll(/<text class="label"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]);
    assert.ok(labels.includes('getModelMetadata') && labels.includes('getOnlineFeatures') && labels.includes('FeatureCoverage'), labels.join(', '));
    // getModelMetadata: the latency-budget sum (its N+1 is inside it), not sum + N+1.
    const budget = findings.find((f) => f.ruleId === 'latency-budget' && f.scope === 'getModelMetadata')!;
    const bars = handlerTimes({ findings: findings as unknown as Finding[], displayPath: (f) => f });
    const bar = bars.find((b) => b.label === 'getModelMetadata')!;
    assert.equal(bar.ms, budget.estimate!.currentMs);
    assert.equal(bar.note, 'all its queries (latency budget)');
  });

  it('counts findings per rule', () => {
    const table = /id="rule-counts">([\s\S]*?)<\/figure>/.exec(page)![1];
    const counts = Object.fromEntries([...table.matchAll(/<tr><td><code>([^<]+)<\/code><\/td><td class="num">(\d+)<\/td>/g)].map((m) => [m[1], Number(m[2])]));
    const expected: Record<string, number> = {};
    for (const f of findings) expected[f.ruleId] = (expected[f.ruleId] ?? 0) + 1;
    assert.deepEqual(counts, expected);
  });

  it("shows each finding's code with its range marked, and every input of its estimate (defaults marked)", () => {
    const nPlusOne = /<li class="finding[^"]*" id="finding-\d+">(?:(?!<\/li>)[\s\S])*?refresh-features\.ts:7:11[\s\S]*?<\/li>/.exec(page)![0];
    assert.match(nPlusOne, /<mark>sql`UPDATE feature_values SET computed_at = now\(\) WHERE feature_id = \$\{featureId\}`<\/mark>/);
    assert.match(nPlusOne, /<span class="ln">5<\/span>/);
    assert.match(nPlusOne, /<tr class="is-default"><td><code>iterations<\/code><\/td><td class="num">100<\/td><td><strong class="default">default<\/strong><\/td>/);
    assert.match(nPlusOne, /in <code>refreshFeatures<\/code>/);
  });

  it('escapes what comes from the project, control characters included', () => {
    const text = 'const q = "<b>";\n// \u202e evil\nawait db.query(`SELECT * FROM t`);\n';
    const f: Finding = {
      ruleId: 'over-fetching',
      severity: 'warning',
      message: 'SELECT * from <script>alert(1)</script> & "quotes"',
      file: 'src/<x>.ts',
      range: { start: text.indexOf('SELECT'), end: text.indexOf('SELECT') + 8 },
      related: [],
      fixes: [],
      scope: "it's <here>",
      estimate: { currentMs: 2, fixedMs: 1, summary: '<i>', assumptions: [{ name: 'rows<', value: 1, source: 'default', note: '</td>' }] },
    };
    const report: Report = {
      toolVersion: '0',
      cwd: '/tmp/<p>',
      findings: [f],
      problems: [{ kind: 'unparseable-sql', file: 'a.sql', line: 1, message: 'bad <sql>\u001b[31m' }],
      fixed: [],
      summary: { files: 1, errors: 0, warnings: 1, infos: 0, problems: 1, fixed: 0, suppressed: 0 },
      rules: [],
      displayPath: (p) => p,
      locate: makeLocator(() => text, (p) => p),
      text: () => text,
    };
    const out = formatHtml(report);
    assert.doesNotMatch(out, /<script|<b>|<i>|<x>|<here>|\u202e|\u001b/);
    assert.match(out, /<td>&lt;\/td&gt;<\/td>/);
    assert.match(out, /SELECT \* from &lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot;/);
    assert.match(out, /\/\/ \\u202e evil/);
    assert.match(out, /bad &lt;sql&gt;\\e\[31m/);
    assert.equal(rankFindings([f])[0], f);
  });
});
