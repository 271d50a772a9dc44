/**
 * The fixture harness: loads `fixtures/<rule-id>/` cases, runs the engine on
 * them, and compares findings with the `expect:` markers written beside the
 * code (see fixtures/README.md). Used by test/rules.test.ts and by any test
 * that needs "all fixture findings" (estimates, fixes).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultConfig, parseConfig } from '../engine/config';
import { isAnalyzable, Project } from '../engine/project';
import { isSchemaSource } from '../engine/schema';
import { LineIndex } from '../engine/text';
import type { Finding, Problem } from '../engine/types';
import { allRules, ruleIds } from '../rules';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');

export interface Marker {
  file: string;
  /** 0-based line. */
  line: number;
  ruleId: string;
  /** Exact columns from a caret line, when given. */
  startCol?: number;
  endCol?: number;
}

export interface FixtureCase {
  ruleId: string;
  verdict: 'flagged' | 'not-flagged';
  /** Case name: file or folder name under flagged/ or not-flagged/. */
  name: string;
  /** Absolute path of the case file or folder. */
  dir: string;
  /** Project-relative paths of the case's own files (what is linted). */
  files: string[];
  project: Project;
  markers: Marker[];
}

/** The files under `dir`, sorted, as paths relative to it; `skip`: folders directly under `dir` not entered. */
function walkFiles(dir: string, base = dir, skip: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) {
      if (!skip.includes(ent.name)) out.push(...walkFiles(p, base));
    } else out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out.sort();
}

const MARKER_RE = /(?:\/\/|--|\/\*)\s*expect:\s*([a-z][a-z0-9-]*(?:\s*,\s*[a-z][a-z0-9-]*)*)/;
const CARET_RE = /^(\s*(?:\/\/|--)\s*?)(\s*)(\^+)\s*$/;

export function parseMarkers(file: string, text: string): Marker[] {
  const lines = text.split(/\r?\n/);
  const out: Marker[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = MARKER_RE.exec(lines[i]);
    if (!m) continue;
    const ids = m[1].split(',').map((s) => s.trim());
    let startCol: number | undefined;
    let endCol: number | undefined;
    const next = lines[i + 1];
    if (next !== undefined && CARET_RE.test(next)) {
      startCol = next.indexOf('^');
      endCol = next.lastIndexOf('^') + 1;
    }
    for (const ruleId of ids) out.push({ file, line: i, ruleId, startCol, endCol });
  }
  return out;
}

function isCaseFile(rel: string): boolean {
  return isAnalyzable(rel) && !rel.endsWith('.snap.md');
}

/** Builds the project for one case: the rule folder's schema and config, plus the case's files. */
export function buildCase(ruleId: string, verdict: 'flagged' | 'not-flagged', name: string): FixtureCase {
  const ruleDir = path.join(FIXTURES, ruleId);
  const caseDir = path.join(ruleDir, verdict, name);
  let config = defaultConfig();
  const cfgPath = path.join(ruleDir, 'querylens.config.json');
  if (fs.existsSync(cfgPath)) config = parseConfig(JSON.parse(fs.readFileSync(cfgPath, 'utf8')), ruleIds());
  const project = new Project(config);
  // Shared schema: every file at the rule folder level and in its non-case folders.
  for (const rel of walkFiles(ruleDir, ruleDir, ['flagged', 'not-flagged'])) {
    if (rel === 'querylens.config.json' || rel.endsWith('.md')) continue;
    project.setFile(rel, fs.readFileSync(path.join(ruleDir, rel), 'utf8'));
  }
  const files: string[] = [];
  const markers: Marker[] = [];
  const caseFiles = fs.statSync(caseDir).isDirectory()
    ? walkFiles(caseDir).map((r) => ({ rel: `${verdict}/${name}/${r}`, abs: path.join(caseDir, r) }))
    : [{ rel: `${verdict}/${name}`, abs: caseDir }];
  for (const { rel, abs } of caseFiles) {
    if (rel.endsWith('.snap.md')) continue;
    const text = fs.readFileSync(abs, 'utf8');
    project.setFile(rel, text);
    if (isCaseFile(rel) && !isSchemaSource(rel, config)) {
      files.push(rel);
      markers.push(...parseMarkers(rel, text));
    }
  }
  return { ruleId, verdict, name, dir: caseDir, files, project, markers };
}

/** All fixture cases, optionally of one rule. */
export function loadCases(onlyRule?: string): FixtureCase[] {
  const out: FixtureCase[] = [];
  if (!fs.existsSync(FIXTURES)) return out;
  for (const ruleId of fs.readdirSync(FIXTURES).sort()) {
    if (onlyRule && ruleId !== onlyRule) continue;
    if (!fs.statSync(path.join(FIXTURES, ruleId)).isDirectory()) continue;
    for (const verdict of ['flagged', 'not-flagged'] as const) {
      const dir = path.join(FIXTURES, ruleId, verdict);
      if (!fs.existsSync(dir)) continue;
      for (const name of fs.readdirSync(dir).sort()) {
        if (name.endsWith('.snap.md')) continue;
        if (!fs.statSync(path.join(dir, name)).isDirectory() && !isCaseFile(name)) continue;
        out.push(buildCase(ruleId, verdict, name));
      }
    }
  }
  return out;
}

export interface CaseRun {
  findings: Finding[];
  problems: Problem[];
}

/** Runs the case's rule (only) over the case's files. */
export function runCase(c: FixtureCase, rules: readonly string[] = [c.ruleId]): CaseRun {
  const findings: Finding[] = [];
  const problems: Problem[] = [];
  for (const f of c.files) {
    const r = c.project.analyze(f, rules);
    findings.push(...r.findings);
    problems.push(...r.problems);
  }
  return { findings, problems };
}

const sharedRuns = new Map<string, { inputs: string; run: CaseRun }>();

/**
 * runCase of the case's own rule, kept for the rest of the process: the suites that only read a case's findings
 * (the fixture suite and its quality bar, estimates, severity by saving) get the run the first of them made
 * instead of analysing every case again. Same case, same config and texts: the same run (a fresh project's; the
 * analysis-order suite checks that a run does not depend on what was analysed before). A suite that edits the
 * case's project after the run (fixes) uses runCase.
 */
export function sharedRun(c: FixtureCase): CaseRun {
  const key = `${c.ruleId}\u0000${c.verdict}\u0000${c.name}`;
  const p = c.project;
  const inputs = JSON.stringify([p.config, c.files, p.paths().sort().map((f) => [f, p.fileText(f)])]);
  const hit = sharedRuns.get(key);
  if (hit && hit.inputs === inputs) return hit.run;
  const run = runCase(c);
  sharedRuns.set(key, { inputs, run });
  return run;
}

export interface Comparison {
  missing: Marker[];
  unexpected: Finding[];
  wrongRange: { marker: Marker; finding: Finding; got: string }[];
  matched: number;
}

/** Matches findings of the case's rule with its markers. */
export function compare(c: FixtureCase, findings: Finding[]): Comparison {
  const mine = findings.filter((f) => f.ruleId === c.ruleId);
  const used = new Set<Finding>();
  const missing: Marker[] = [];
  const wrongRange: Comparison['wrongRange'] = [];
  let matched = 0;
  const indexes = new Map<string, LineIndex>();
  const li = (file: string) => {
    let x = indexes.get(file);
    if (!x) indexes.set(file, (x = new LineIndex(c.project.fileText(file) ?? '')));
    return x;
  };
  for (const m of c.markers.filter((m) => m.ruleId === c.ruleId)) {
    const idx = li(m.file);
    const f = mine.find((f) => !used.has(f) && f.file === m.file && idx.position(f.range.start).line === m.line);
    if (!f) {
      missing.push(m);
      continue;
    }
    used.add(f);
    matched++;
    if (m.startCol !== undefined) {
      const s = idx.position(f.range.start);
      const e = idx.position(f.range.end);
      if (s.character !== m.startCol || e.line !== m.line || e.character !== m.endCol) {
        wrongRange.push({ marker: m, finding: f, got: `${s.line + 1}:${s.character}-${e.line + 1}:${e.character}` });
      }
    }
  }
  const unexpected = mine.filter((f) => !used.has(f));
  return { missing, unexpected, wrongRange, matched };
}

/** Applies a fix's edits to one file's text (edits sorted from the end; overlaps are the fix's bug). */
export function applyEditsTo(text: string, edits: { range: { start: number; end: number }; newText: string }[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.range.start - a.range.start)) {
    out = out.slice(0, e.range.start) + e.newText + out.slice(e.range.end);
  }
  return out;
}

/** The snapshot of a flagged case: each finding's message, estimate and fixes as diffs. */
export function renderSnapshot(c: FixtureCase, run: CaseRun): string {
  const parts: string[] = [`# ${c.ruleId} / ${c.verdict} / ${c.name}`, ''];
  for (const f of run.findings.filter((x) => x.ruleId === c.ruleId)) {
    const idx = new LineIndex(c.project.fileText(f.file) ?? '');
    const s = idx.position(f.range.start);
    const e = idx.position(f.range.end);
    parts.push(`## ${f.file}:${s.line + 1}:${s.character + 1}-${e.line + 1}:${e.character + 1} ${f.severity}`, '', f.message, '');
    if (f.runsIn) parts.push(`Runs in: ${f.runsIn.kind} (${f.runsIn.reason})${f.severityReason ? `; ${f.severity}: ${f.severityReason}` : ''}`, '');
    for (const r of f.related) {
      const ri = new LineIndex(c.project.fileText(r.file) ?? '');
      parts.push(`- related ${r.file}:${ri.position(r.range.start).line + 1}: ${r.message}`);
    }
    if (f.estimate) {
      parts.push('', `Estimate: ${f.estimate.summary} (now ${f.estimate.currentMs.toPrecision(3)} ms, fixed ${f.estimate.fixedMs.toPrecision(3)} ms)`);
    }
    for (const fix of f.fixes) {
      parts.push('', `### fix (${fix.safety}): ${fix.title}`, '', '```diff');
      for (const ed of fix.edits) {
        const before = c.project.fileText(ed.file) ?? '';
        const bi = new LineIndex(before);
        const l0 = bi.position(ed.range.start).line;
        const l1 = bi.position(ed.range.end).line;
        const oldLines: string[] = [];
        for (let l = l0; l <= l1 && before.length; l++) oldLines.push(bi.lineText(l));
        const after = applyEditsTo(before, [ed]);
        const ai = new LineIndex(after);
        const a1 = ai.position(ed.range.start + ed.newText.length).line;
        const newLines: string[] = [];
        for (let l = l0; l <= a1; l++) newLines.push(ai.lineText(l));
        parts.push(`--- ${ed.file}:${l0 + 1}`);
        for (const l of oldLines) parts.push(`-${l}`);
        for (const l of newLines) parts.push(`+${l}`);
      }
      parts.push('```');
    }
    parts.push('');
  }
  return parts.join('\n');
}

export { allRules };
