/**
 * What every output format renders: findings and problems with their
 * locations already converted to 1-based lines and UTF-16 columns, paths
 * relative to the working directory. Conversion happens here once (engine
 * offsets → `LineIndex` → 1-based), so the formats only lay text out.
 */
import type { Finding, Problem, Range, Severity } from '../engine';
import { type Estimate, LineIndex, type allRules, findingFingerprint, roundMs } from '../engine';

/** A registered rule (engine/index.ts exports the registry, not the type). */
export type Rule = (typeof allRules)[number];

/** A located span: `path` is relative to the working directory with `/`; lines and columns are 1-based; columns count UTF-16 code units; the end is exclusive. */
export interface Location {
  path: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface FixedEntry {
  /** Project-relative file of the finding. */
  file: string;
  ruleId: string;
  title: string;
  /** 1-based line of the finding before the fix. */
  line: number;
}

export interface Summary {
  /** Files analysed (read and handed to the engine). */
  files: number;
  errors: number;
  warnings: number;
  infos: number;
  problems: number;
  /** Fixes applied by --fix. */
  fixed: number;
  /** Findings accepted by the suppressions file (querylens-suppressions.json), not reported. */
  suppressed: number;
}

export interface Report {
  toolVersion: string;
  /** Absolute working directory: the base of every output path. */
  cwd: string;
  findings: Finding[];
  problems: Problem[];
  fixed: FixedEntry[];
  summary: Summary;
  /** Every registered rule (SARIF lists them all, results point into the list). */
  rules: readonly Rule[];
  /** Converts a project-relative path to the path shown to the user. */
  displayPath(file: string): string;
  /** Locates a range of a project file (a file that does not exist yet has an empty text). */
  locate(file: string, range: Range): Location;
  /** A project file's text as analysed (for excerpts and fingerprints). */
  text(file: string): string | undefined;
  /** Set when only part of the findings is reported, e.g. "files changed since origin/main (3 files)". */
  scope?: string;
  /** How findings are ordered: by file (default) or by time saved (`--sort impact`). */
  sort?: 'file' | 'impact';
  /** The configuration's minSavingMs: what the ranking counts as worth fixing (engine/model/impact.ts). */
  minSavingMs?: number;
  /** The configuration's minMeasuredSavingMs (same use). */
  minMeasuredSavingMs?: number;
}

/**
 * Each finding's stable identity across commits: the baseline fingerprint
 * (rule + the text of its lines, engine/baseline.ts) and its occurrence among
 * identical ones in the same file, `3k9d0q2m1x7:1`. SARIF partialFingerprints
 * and GitLab fingerprints are built from it.
 */
export function findingIds(report: Pick<Report, 'findings' | 'text'>): Map<Finding, string> {
  const seen = new Map<string, number>();
  const out = new Map<Finding, string>();
  const ordered = [...report.findings].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.range.start - b.range.start));
  for (const f of ordered) {
    const fp = findingFingerprint(f, report.text(f.file) ?? '');
    const key = `${f.file}\u0000${fp}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    out.set(f, `${fp}:${n}`);
  }
  return out;
}

/** The message with the estimate's summary appended, unless the message already says it. */
export function messageWithEstimate(f: Finding, join = ' '): string {
  const summary = f.estimate?.summary;
  return summary && !f.message.includes(summary) ? `${f.message}${join}${summary}` : f.message;
}

export function makeLocator(fileText: (file: string) => string | undefined, displayPath: (file: string) => string): (file: string, range: Range) => Location {
  const indexes = new Map<string, LineIndex>();
  return (file, range) => {
    let idx = indexes.get(file);
    if (!idx) {
      idx = new LineIndex(fileText(file) ?? '');
      indexes.set(file, idx);
    }
    const s = idx.position(range.start);
    const e = idx.position(range.end);
    return { path: displayPath(file), line: s.line + 1, column: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1 };
  };
}

export function severityRank(s: Severity): number {
  return s === 'error' ? 2 : s === 'warning' ? 1 : 0;
}

/** Where a problem sits: its range when known, else its line, else the file's start. */
export function problemLocation(report: Report, p: Problem): Location | undefined {
  if (!p.file) return undefined;
  if (p.range) return report.locate(p.file, p.range);
  const line = p.line ?? 1;
  return { path: report.displayPath(p.file), line, column: 1, endLine: line, endColumn: 1 };
}

/**
 * An estimate as machine formats (json, sarif) carry it: durations rounded to
 * what the model can claim (`roundMs`, the precision messages print), numeric
 * inputs to four significant digits.
 */
export function estimateData(e: Estimate) {
  return {
    currentMs: roundMs(e.currentMs),
    fixedMs: roundMs(e.fixedMs),
    summary: e.summary,
    assumptions: e.assumptions.map((a) => (typeof a.value === 'number' && Number.isFinite(a.value) ? { ...a, value: +a.value.toPrecision(4) } : a)),
    ...(e.aggregate ? { aggregate: true } : {}),
  };
}
