/**
 * Human-readable output, laid out like ESLint's `stylish` formatter: findings
 * grouped by file, one aligned `line:col  severity  message  rule-id` row
 * each, the estimate dimmed on the line below, then problems (input querylens
 * could not use), fixes applied, and a totals line. Everything taken from the
 * project (paths, messages quoting identifiers) goes through `safeText`.
 */
import { type Finding, impactOf, impactOrder, impactText } from '../../engine';
import { type Report, problemLocation } from '../report';
import { safeText } from './escape';

interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  underline(s: string): string;
  green(s: string): string;
}

function paint(color: boolean): Paint {
  const wrap = (open: number, close: number) => (s: string) => (color ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return {
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    green: wrap(32, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
    underline: wrap(4, 24),
  };
}

/** Display width of a string without its ANSI codes. */
function width(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\u001b\[\d+m/g, '')].length;
}

function pad(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)));
}

const MAX_ALIGNED_MESSAGE = 100;

/** The estimate's inputs that are defaults, e.g. "iterations, roundTripMs" (at most four named). */
function defaultInputs(f: Finding): string | undefined {
  const names = (f.estimate?.assumptions ?? []).filter((a) => a.source === 'default').map((a) => safeText(a.name));
  if (!names.length) return undefined;
  return names.length > 4 ? `${names.slice(0, 4).join(', ')} +${names.length - 4}` : names.join(', ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** How many findings the closing "top by time saved" list names. */
export const TOP_FINDINGS = 10;

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s*\n\s*/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export function formatStylish(report: Report, color: boolean): string {
  const p = paint(color);
  const { lines, anyDefaults } = findingLines(report, p);
  return [...lines, ...problemLines(report, p), ...fixedLines(report, p), ...summaryLines(report, p, anyDefaults), ...topFindings(report, p)].join('\n') + '\n';
}

/** The findings by file (ESLint's layout), or one list in order of time saved (`--sort impact`); whether any estimate rests on defaults. */
function findingLines(report: Report, p: Paint): { lines: string[]; anyDefaults: boolean } {
  const out: string[] = [];
  const byImpact = report.sort === 'impact';
  const groups = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const key = byImpact ? '' : f.file;
    const list = groups.get(key) ?? [];
    list.push(f);
    groups.set(key, list);
  }
  const keys = byImpact ? [...groups.keys()] : [...groups.keys()].sort((a, b) => report.displayPath(a).localeCompare(report.displayPath(b)));
  let anyDefaults = false;
  for (const key of keys) {
    const rows = groups.get(key)!.map((f) => {
      const loc = report.locate(f.file, f.range);
      const sev = f.severity === 'error' ? p.red('error') : f.severity === 'warning' ? p.yellow('warning') : p.cyan('info');
      const message = safeText(f.message.replace(/\s*\n\s*/g, ' '));
      // The estimate goes on its own dimmed line, unless the message already quotes it; either
      // way that line names the inputs that are model defaults rather than facts of this project.
      const summary = f.estimate?.summary ? safeText(f.estimate.summary) : undefined;
      const defaults = defaultInputs(f);
      const parts = [summary && !message.includes(summary) ? summary : undefined, defaults ? `defaults: ${defaults}` : undefined].filter(Boolean);
      if (defaults) anyDefaults = true;
      const pos = byImpact ? `${safeText(loc.path)}:${loc.line}:${loc.column}` : `${loc.line}:${loc.column}`;
      return { pos, sev, message, rule: p.dim(f.ruleId), estimate: parts.length ? parts.join(' · ') : undefined };
    });
    const wPos = Math.max(...rows.map((r) => width(r.pos)));
    const wSev = Math.max(...rows.map((r) => width(r.sev)));
    // Align rule ids after messages of ordinary length; a very long message would push
    // every rule id of the file off screen, so longer ones just take two spaces.
    const wMsg = Math.max(0, ...rows.map((r) => width(r.message)).filter((w) => w <= MAX_ALIGNED_MESSAGE));
    out.push(byImpact ? p.underline('Findings by time saved, largest first') : p.underline(safeText(report.displayPath(key))));
    for (const r of rows) {
      out.push(`  ${pad(r.pos, wPos)}  ${pad(r.sev, wSev)}  ${pad(r.message, wMsg)}  ${r.rule}`.trimEnd());
      if (r.estimate) out.push(`  ${' '.repeat(wPos + wSev + 4)}${p.dim(r.estimate)}`);
    }
    out.push('');
  }
  return { lines: out, anyDefaults };
}

function problemLines(report: Report, p: Paint): string[] {
  if (!report.problems.length) return [];
  const out = [p.bold('Problems (input querylens could not fully use):')];
  for (const prob of report.problems) {
    const loc = problemLocation(report, prob);
    const where = loc ? `${safeText(loc.path)}${prob.line !== undefined || prob.range ? `:${loc.line}:${loc.column}` : ''}` : '(project)';
    out.push(`  ${where}  ${p.dim(prob.kind)}  ${safeText(prob.message.replace(/\s*\n\s*/g, ' '))}`);
  }
  out.push('');
  return out;
}

function fixedLines(report: Report, p: Paint): string[] {
  if (!report.fixed.length) return [];
  const nFiles = new Set(report.fixed.map((f) => f.file)).size;
  const out = [p.green(`Fixed ${plural(report.fixed.length, 'problem')} in ${plural(nFiles, 'file')}:`)];
  for (const f of report.fixed) out.push(`  ${safeText(report.displayPath(f.file))}:${f.line}  ${safeText(f.title)}  ${p.dim(f.ruleId)}`);
  out.push('');
  return out;
}

/** The closing count (or the clean bill, or the warning that most query-looking calls were not recognised), and its notes. */
function summaryLines(report: Report, p: Paint, anyDefaults: boolean): string[] {
  const out: string[] = [];
  const s = report.summary;
  const total = s.errors + s.warnings + s.infos;
  const notes: string[] = [];
  if (s.suppressed) notes.push(p.dim(`  ${plural(s.suppressed, 'finding')} accepted by the suppressions file (baseline) not shown.`));
  if (report.scope) notes.push(p.dim(`  Findings reported only in ${safeText(report.scope)}.`));
  if (anyDefaults) notes.push(p.dim('  Estimates marked "defaults" rest on model defaults; set them in querylens.config.json ("model", "tables"). --format json lists every input.'));
  if (total > 0) {
    const parts = [plural(s.errors, 'error'), plural(s.warnings, 'warning')];
    if (s.infos) parts.push(`${s.infos} info`);
    const line = `✖ ${plural(total, 'problem')} (${parts.join(', ')})`;
    out.push(s.errors ? p.red(p.bold(line)) : s.warnings ? p.yellow(p.bold(line)) : p.bold(line));
    const fixable = report.findings.filter((f) => f.fixes.some((x) => x.safety === 'safe')).length;
    if (fixable) out.push(p.dim(`  ${plural(fixable, 'finding')} potentially fixable with the --fix option.`));
  } else if (report.problems.some((x) => x.kind === 'unresolved-queries')) {
    // Most query-looking calls were not recognised: "no findings" is not a clean bill.
    out.push(p.yellow(p.bold(`⚠ No findings in ${plural(s.files, 'file')}, but most calls that look like queries were not recognised (listed above): run querylens queries to see why.`)));
  } else {
    const note = report.problems.length ? ` (${plural(report.problems.length, 'problem')} with the input, listed above)` : '';
    out.push(p.green(`✔ No findings in ${plural(s.files, 'file')}${note}.`));
  }
  out.push(...notes);
  return out;
}

/**
 * The closing list: the findings whose fix saves the most time, in
 * impactOrder (engine/model/impact.ts): those worth fixing first — request
 * paths, then background jobs, then one-off code (the last two tagged) —
 * and within each, measured savings (pg_stat_statements in the stats
 * snapshot) first, then estimated savings per call. Shown when there are at least two findings to rank.
 */
function topFindings(report: Report, p: Paint): string[] {
  const ranked = report.findings.filter((f) => f.estimate && impactOf(f).perCallMs > 0).sort(impactOrder(report.minSavingMs ?? 1, report.minMeasuredSavingMs ?? 60000)).slice(0, TOP_FINDINGS);
  if (ranked.length < 2) return [];
  const measured = ranked.some((f) => f.measured);
  const out = ['', p.bold(`Top ${ranked.length} by ${measured ? 'time saved (measured over the stats window first, then estimated per call)' : 'estimated time saved per call'}:`)];
  const rows = ranked.map((f, i) => {
    const loc = report.locate(f.file, f.range);
    const runs = f.runsIn ? ` (${f.runsIn.kind})` : '';
    return { n: `${i + 1}.`, saving: impactText(f), where: `${safeText(loc.path)}:${loc.line}:${loc.column}`, rule: `${f.ruleId}${runs}`, message: safeText(oneLine(f.message, 90)) };
  });
  const wN = Math.max(...rows.map((r) => r.n.length));
  const wS = Math.max(...rows.map((r) => width(r.saving)));
  for (const r of rows) out.push(`  ${r.n.padStart(wN)}  ${pad(r.saving, wS)}  ${r.where}  ${p.dim(r.rule)}  ${p.dim(r.message)}`);
  return out;
}
