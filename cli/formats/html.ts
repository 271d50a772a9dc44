/**
 * `--format html --output report.html`: one self-contained page (inline CSS
 * and SVG, no script, a Content-Security-Policy that forbids every fetch) for
 * people who want the whole picture at a glance:
 *   - totals: findings, estimated database time of what was flagged, time a
 *     fix would save;
 *   - charts of estimated database time per route/handler and per file;
 *   - counts per rule;
 *   - the findings ranked by estimated time saved, each with its code excerpt
 *     (the finding's range highlighted), the estimate and every input it rests
 *     on (defaults marked), fixes and related places.
 * Everything from the project goes through `escapeHtml` (cli/formats/escape.ts).
 *
 * Database time per handler: when a latency-budget finding sums a function's
 * queries (`estimate.aggregate`), that sum is the function's time; otherwise
 * the flagged queries in it are added up. Aggregate estimates are never added
 * to per-query totals (they would count the same queries twice).
 */
import type { Finding, Severity } from '../../engine';
import { assumptionNote, formatMs } from '../../engine';
import { type Report, problemLocation } from '../report';
import { escapeHtml as h } from './escape';

/** Messages and notes: prose spread over lines reads as one paragraph (names and paths keep a visible \n). */
function prose(s: string): string {
  return h(s.replace(/[ \t]*\n[ \t]*/g, ' '));
}

/** Bars per chart; the rest are summed in a note. */
const MAX_BARS = 15;
/** Context lines shown around a finding's range. */
const CONTEXT_LINES = 2;
/** A range longer than this many lines is shown with its middle cut. */
const MAX_EXCERPT_LINES = 14;

function saving(f: Finding): number {
  return f.estimate ? Math.max(0, f.estimate.currentMs - f.estimate.fixedMs) : -1;
}

function severityRank(s: Severity): number {
  return s === 'error' ? 2 : s === 'warning' ? 1 : 0;
}

/** Findings by estimated time saved (most first); those without an estimate last. */
export function rankFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => saving(b) - saving(a) || severityRank(b.severity) - severityRank(a.severity) || (a.file < b.file ? -1 : a.file > b.file ? 1 : a.range.start - b.range.start),
  );
}

interface Bar {
  label: string;
  sub?: string;
  ms: number;
  fixedMs: number;
  note?: string;
}

/**
 * Estimated database time per handler (scope within a file): the aggregate
 * (latency-budget) estimate when there is one, else the sum of the flagged
 * queries' estimates.
 */
export function handlerTimes(report: Pick<Report, 'findings' | 'displayPath'>): Bar[] {
  const groups = new Map<string, { file: string; scope?: string; aggregate?: Finding; parts: Finding[] }>();
  for (const f of report.findings) {
    if (!f.estimate) continue;
    const key = `${f.file}\u0000${f.scope ?? ''}`;
    const g = groups.get(key) ?? { file: f.file, scope: f.scope, parts: [] };
    groups.set(key, g);
    if (f.estimate.aggregate) {
      if (!g.aggregate || f.estimate.currentMs > g.aggregate.estimate!.currentMs) g.aggregate = f;
    } else g.parts.push(f);
  }
  const bars: Bar[] = [];
  for (const g of groups.values()) {
    const file = report.displayPath(g.file);
    if (g.aggregate) {
      const e = g.aggregate.estimate!;
      bars.push({ label: g.scope ?? file, sub: g.scope ? file : undefined, ms: e.currentMs, fixedMs: e.fixedMs, note: 'all its queries (latency budget)' });
    } else {
      const ms = g.parts.reduce((s, f) => s + f.estimate!.currentMs, 0);
      const fixedMs = g.parts.reduce((s, f) => s + f.estimate!.fixedMs, 0);
      const n = g.parts.length;
      bars.push({ label: g.scope ?? `${file} (top level)`, sub: g.scope ? file : undefined, ms, fixedMs, note: `${n} flagged ${n === 1 ? 'query' : 'queries'}` });
    }
  }
  return bars.sort((a, b) => b.ms - a.ms);
}

/** The same per file: the sum of its handlers' times. */
export function fileTimes(handlers: readonly Bar[], report: Pick<Report, 'findings' | 'displayPath'>): Bar[] {
  const byFile = new Map<string, Bar>();
  for (const f of report.findings) {
    const file = report.displayPath(f.file);
    if (!byFile.has(file)) byFile.set(file, { label: file, ms: 0, fixedMs: 0 });
  }
  for (const b of handlers) {
    const file = b.sub ?? b.label.replace(/ \(top level\)$/, '');
    const t = byFile.get(file) ?? { label: file, ms: 0, fixedMs: 0 };
    t.ms += b.ms;
    t.fixedMs += b.fixedMs;
    byFile.set(file, t);
  }
  return [...byFile.values()].filter((b) => b.ms > 0).sort((a, b) => b.ms - a.ms);
}

/** 10^p ms as an axis label: 0.01 ms … 100 ms, 1 s, 10 s … */
function tickLabel(p: number): string {
  if (p >= 3) return `${10 ** (p - 3)} s`;
  return `${+(10 ** p).toPrecision(1)} ms`;
}

/** A horizontal bar chart on a logarithmic scale (estimates span µs to minutes), with the after-fix time marked. */
function barChart(id: string, title: string, bars: readonly Bar[]): string {
  if (!bars.length) return `<figure class="chart" id="${id}"><figcaption>${h(title)}</figcaption><p class="empty">No estimates.</p></figure>`;
  const shown = bars.slice(0, MAX_BARS);
  const rest = bars.slice(MAX_BARS);
  const positive = shown.flatMap((b) => [b.ms, b.fixedMs]).filter((v) => v > 0);
  const lo = Math.floor(Math.log10(Math.min(...positive)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...positive))));
  const labelW = 300;
  const plotW = 460;
  const valueW = 170;
  const rowH = 30;
  const top = 24;
  const x = (ms: number) => labelW + (ms > 0 ? Math.max(0, ((Math.log10(ms) - lo) / (hi - lo)) * plotW) : 0);
  const height = top + shown.length * rowH + 8;
  const ticks: string[] = [];
  for (let p = lo; p <= hi; p++) {
    const tx = x(10 ** p);
    ticks.push(`<line class="grid" x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${height - 4}"/><text class="tick" x="${tx}" y="${top - 10}">${tickLabel(p)}</text>`);
  }
  const rows = shown.map((b, i) => {
    const y = top + i * rowH;
    const w = Math.max(2, x(b.ms) - labelW);
    const fx = x(b.fixedMs);
    // Paths keep their end (the file name), names their start.
    const label = b.label.length <= 40 ? b.label : b.sub ? `${b.label.slice(0, 39)}…` : `…${b.label.slice(-39)}`;
    const sub = b.sub && b.sub.length > 44 ? `…${b.sub.slice(-43)}` : b.sub;
    return (
      `<g class="bar"><title>${h(`${b.label}${b.sub ? ` (${b.sub})` : ''}: ≈ ${formatMs(b.ms)} per call, ≈ ${formatMs(b.fixedMs)} after the fixes${b.note ? `; ${b.note}` : ''}`)}</title>` +
      `<text class="label" x="${labelW - 8}" y="${y + 12}">${h(label)}</text>` +
      (sub ? `<text class="sub" x="${labelW - 8}" y="${y + 24}">${h(sub)}</text>` : '') +
      `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 10}" rx="2"/>` +
      (b.fixedMs > 0 ? `<line class="fixed" x1="${fx.toFixed(1)}" y1="${y + 1}" x2="${fx.toFixed(1)}" y2="${y + rowH - 5}"/>` : '') +
      `<text class="value" x="${labelW + plotW + 8}" y="${y + 17}">${h(`${formatMs(b.ms)} → ${formatMs(b.fixedMs)}`)}</text></g>`
    );
  });
  const more = rest.length ? `<p class="note">${rest.length} more, together ≈ ${h(formatMs(rest.reduce((s, b) => s + b.ms, 0)))}.</p>` : '';
  return (
    `<figure class="chart" id="${id}"><figcaption>${h(title)}</figcaption>` +
    `<svg role="img" aria-label="${h(title)}" viewBox="0 0 ${labelW + plotW + valueW} ${height}" width="${labelW + plotW + valueW}" height="${height}">${ticks.join('')}${rows.join('')}</svg>` +
    `<p class="note">Bars: estimated time per call, logarithmic scale; the dark tick marks the estimate after the fixes; hover a bar for its figures. Each finding below lists the inputs.</p>${more}</figure>`
  );
}

function ruleCounts(report: Report): string {
  const by = new Map<string, { n: number; saved: number; bySeverity: Record<Severity, number> }>();
  for (const f of report.findings) {
    const r = by.get(f.ruleId) ?? { n: 0, saved: 0, bySeverity: { error: 0, warning: 0, info: 0 } };
    r.n++;
    r.bySeverity[f.severity]++;
    if (f.estimate && !f.estimate.aggregate) r.saved += saving(f);
    by.set(f.ruleId, r);
  }
  const rows = [...by].sort((a, b) => b[1].n - a[1].n || a[0].localeCompare(b[0]));
  const max = Math.max(1, ...rows.map(([, r]) => r.n));
  return (
    `<figure class="chart" id="rule-counts"><figcaption>Findings per rule</figcaption><table><thead><tr><th>rule</th><th>findings</th><th></th><th>errors / warnings / info</th><th>estimated saving</th></tr></thead><tbody>` +
    rows
      .map(
        ([id, r]) =>
          `<tr><td><code>${h(id)}</code></td><td class="num">${r.n}</td><td><span class="minibar" style="width:${Math.round((r.n / max) * 120)}px"></span></td>` +
          `<td class="num">${r.bySeverity.error} / ${r.bySeverity.warning} / ${r.bySeverity.info}</td><td class="num">${r.saved > 0 ? `≈ ${h(formatMs(r.saved))}` : '—'}</td></tr>`,
      )
      .join('') +
    `</tbody></table></figure>`
  );
}

/** Lines around the finding's range, the range marked. */
function excerpt(report: Report, f: Finding): string {
  const text = report.text(f.file);
  if (text === undefined) return '';
  const lines = text.split('\n');
  const loc = report.locate(f.file, f.range);
  const first = Math.max(1, loc.line - CONTEXT_LINES);
  const last = Math.min(lines.length, loc.endLine + CONTEXT_LINES);
  let numbers: number[] = [];
  for (let n = first; n <= last; n++) numbers.push(n);
  if (numbers.length > MAX_EXCERPT_LINES) {
    const head = numbers.slice(0, MAX_EXCERPT_LINES / 2);
    const tail = numbers.slice(-MAX_EXCERPT_LINES / 2);
    numbers = [...head, -1, ...tail];
  }
  let offset = 0;
  const starts: number[] = [];
  for (const l of lines) {
    starts.push(offset);
    offset += l.length + 1;
  }
  const rows = numbers.map((n) => {
    if (n < 0) return '<span class="ln">⋮</span>\n';
    const line = lines[n - 1].replace(/\r$/, '');
    const s = starts[n - 1];
    const a = Math.max(0, Math.min(line.length, f.range.start - s));
    const b = Math.max(0, Math.min(line.length, f.range.end - s));
    const body = b > a ? `${h(line.slice(0, a))}<mark>${h(line.slice(a, b))}</mark>${h(line.slice(b))}` : h(line);
    return `<span class="ln">${n}</span>${body}\n`;
  });
  return `<pre class="excerpt"><code>${rows.join('')}</code></pre>`;
}

function estimateBlock(f: Finding, open: boolean): string {
  const e = f.estimate;
  if (!e) return '<p class="note">No estimate for this finding.</p>';
  const ratio = e.fixedMs > 0 ? e.currentMs / e.fixedMs : Infinity;
  const speed = Number.isFinite(ratio) ? `${ratio >= 10 ? Math.round(ratio) : ratio.toFixed(1)}× faster` : 'free after the fix';
  const inputs = e.assumptions
    .map((a) => {
      const v = typeof a.value === 'number' ? `${+a.value.toPrecision(4)}${a.unit ? ` ${a.unit}` : ''}` : a.value;
      const src = a.source === 'default' ? '<strong class="default">default</strong>' : h(a.source);
      const note = assumptionNote(a);
      return `<tr${a.source === 'default' ? ' class="is-default"' : ''}><td><code>${h(a.name)}</code></td><td class="num">${h(String(v))}</td><td>${src}</td><td>${note ? prose(note) : ''}</td></tr>`;
    })
    .join('');
  return (
    `<details class="estimate"${open ? ' open' : ''}><summary>Estimate: ≈ ${h(formatMs(e.currentMs))} → ≈ ${h(formatMs(e.fixedMs))} per call after the fix (${speed})${e.aggregate ? ' — the whole function, its flagged queries included' : ''}</summary>` +
    `<p>${prose(e.summary)}</p><table class="inputs"><thead><tr><th>input</th><th>value</th><th>source</th><th>note</th></tr></thead><tbody>${inputs}</tbody></table></details>`
  );
}

function findingItem(report: Report, f: Finding, rank: number): string {
  const loc = report.locate(f.file, f.range);
  const s = saving(f);
  const saved = s > 0 ? `saves ≈ ${formatMs(s)} per call` : s === 0 ? 'no time saved by the estimate' : 'not estimated';
  const fixes = f.fixes.length ? `<p class="fixes">Fix${f.fixes.length > 1 ? 'es' : ''}: ${f.fixes.map((x) => `${prose(x.title)} <span class="safety">(${h(x.safety === 'safe' ? 'safe, applied by --fix' : 'suggestion')})</span>`).join('; ')}</p>` : '';
  const related = f.related.length
    ? `<ul class="related">${f.related
        .map((r) => {
          const rl = report.locate(r.file, r.range);
          return `<li><code>${h(`${rl.path}:${rl.line}`)}</code> ${prose(r.message)}</li>`;
        })
        .join('')}</ul>`
    : '';
  return (
    `<li class="finding sev-${f.severity}" id="finding-${rank}">` +
    `<div class="head"><span class="rank">#${rank}</span><span class="saving">${h(saved)}</span><code class="rule">${h(f.ruleId)}</code><span class="sev">${f.severity}</span>` +
    `<code class="where">${h(`${loc.path}:${loc.line}:${loc.column}`)}</code>${f.scope ? `<span class="scope">in <code>${h(f.scope)}</code></span>` : ''}</div>` +
    `<p class="message">${prose(f.message)}</p>${excerpt(report, f)}${estimateBlock(f, rank <= 3)}${fixes}${related}</li>`
  );
}

const CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#d9dee7;--bar:#3b6fd8;--warn:#b26b00;--err:#c0392b;--info:#2a7ab0;--bg:#fff;--soft:#f5f7fa;--mark:#ffe08a}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:1000px;margin:0 auto;padding:0 20px}header{padding-top:20px}h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}
.meta,.note,footer{color:var(--muted)}.note{font-size:12px;margin:4px 0}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:14px 0}.card{flex:1 1 170px;border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--soft)}.card strong{display:block;font-size:20px}
figure.chart{margin:18px 0;border:1px solid var(--line);border-radius:8px;padding:12px;overflow-x:auto}figcaption{font-weight:600;margin-bottom:6px}
svg text{font:12px system-ui,sans-serif;fill:var(--fg)}svg .label{text-anchor:end}svg .sub{text-anchor:end;fill:var(--muted);font-size:10px}svg .tick{text-anchor:middle;fill:var(--muted);font-size:10px}
svg .grid{stroke:var(--line)}svg rect{fill:var(--bar)}svg .fixed{stroke:#0b1d45;stroke-width:3}svg .value{fill:var(--muted)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}td.num{text-align:right;white-space:nowrap}
.minibar{display:inline-block;height:10px;background:var(--bar);border-radius:2px}
ol.findings{list-style:none;padding:0;margin:0}.finding{border:1px solid var(--line);border-left:4px solid var(--warn);border-radius:8px;padding:10px 14px;margin:12px 0}
.finding.sev-error{border-left-color:var(--err)}.finding.sev-info{border-left-color:var(--info)}
.head{display:flex;flex-wrap:wrap;gap:10px;align-items:baseline}.rank{font-weight:700}.saving{font-weight:600}.sev{color:var(--muted)}.scope{color:var(--muted)}
.message{margin:6px 0}pre.excerpt{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow-x:auto;font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;margin:8px 0}
.ln{display:inline-block;width:3em;color:var(--muted);user-select:none}mark{background:var(--mark);border-bottom:2px solid var(--warn);padding:0 1px}
details.estimate summary{cursor:pointer;font-weight:600}table.inputs{margin:6px 0;font-size:13px}tr.is-default td{background:#fff8e6}.default{color:var(--warn)}
.safety{color:var(--muted)}ul.related{margin:4px 0;padding-left:18px;color:var(--muted)}.problems li{margin:3px 0}footer{padding:20px;font-size:12px}
`;

export function formatHtml(report: Report): string {
  const ranked = rankFindings(report.findings);
  const handlers = handlerTimes(report);
  const files = fileTimes(handlers, report);
  const perQuery = report.findings.filter((f) => f.estimate && !f.estimate.aggregate);
  const flaggedMs = perQuery.reduce((s, f) => s + f.estimate!.currentMs, 0);
  const savedMs = perQuery.reduce((s, f) => s + saving(f), 0);
  const s = report.summary;
  const cards = [
    ['findings', `${report.findings.length}`, `${s.errors} errors, ${s.warnings} warnings, ${s.infos} info`],
    ['estimated time of the flagged queries', `≈ ${formatMs(flaggedMs)}`, 'per call, summed over findings'],
    ['estimated time the fixes save', `≈ ${formatMs(savedMs)}`, 'per call, summed over findings'],
    ['files analysed', `${s.files}`, `${s.problems} input problem${s.problems === 1 ? '' : 's'}${s.suppressed ? `, ${s.suppressed} baselined` : ''}`],
  ]
    .map(([k, v, sub]) => `<div class="card">${h(k)}<strong>${h(v)}</strong><span class="note">${h(sub)}</span></div>`)
    .join('');
  const problems = report.problems.length
    ? `<h2>Input querylens could not fully use (${report.problems.length})</h2><ul class="problems">${report.problems
        .map((p) => {
          const l = problemLocation(report, p);
          return `<li><code>${h(l ? `${l.path}${p.line !== undefined || p.range ? `:${l.line}` : ''}` : '(project)')}</code> <span class="sev">${h(p.kind)}</span> ${prose(p.message)}</li>`;
        })
        .join('')}</ul>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>querylens report</title><style>${CSS}</style></head>
<body><header><h1>querylens report</h1><p class="meta">querylens ${h(report.toolVersion)} · ${h(report.cwd)}${report.scope ? ` · findings in ${h(report.scope)}` : ''} · estimates from the performance model (engine/model), each with the inputs it rests on</p>
<section class="cards">${cards}</section></header>
<main>
${barChart('db-time-chart', 'Estimated database time per route/handler', handlers)}
${barChart('file-chart', 'Estimated database time per file', files)}
${ruleCounts(report)}
<h2>Findings, ranked by estimated time saved</h2>
${ranked.length ? `<ol class="findings">${ranked.map((f, i) => findingItem(report, f, i + 1)).join('\n')}</ol>` : '<p>No findings.</p>'}
${problems}
</main><footer>Generated by querylens ${h(report.toolVersion)}. Times are estimates per call of the surrounding function (per execution for SQL files) from querylens's cost model; "default" inputs are model defaults — set them in querylens.config.json to make the estimates yours.</footer></body></html>
`;
}
