/**
 * The analysis of one project file (`Project.analyze`): its syntax and SQL
 * problems, each enabled rule's reports made findings (suppressions,
 * duplicates, the performance model's details), unused suppressions, the
 * missing-schema note and the reach counts. A stage that throws becomes a
 * problem on the file; the other stages go on.
 */
import { RuleContext } from './context';
import { completeFinding } from './finding-details';
import { type Incident, MAX_FILE_BYTES, collectIncidents, isStackOverflow } from './guard';
import { isTestFilePath } from './one-off';
import type { Project, UnreachedFacts } from './project';
import { nonPostgresFolder } from './schema';
import { fileQuerySites } from './sources/orm';
import { tsSyntaxErrors } from './sources/ts-ast';
import type { SqlSite } from './sources/types';
import { sqlToFile } from './sources/types';
import { unresolvedCandidates } from './sources/unresolved';
import { findSuppressions, isSuppressed } from './suppress';
import { LineIndex } from './text';
import type { AnalysisResult, Finding, Problem, RunsIn } from './types';
import type * as ts from 'typescript';

/** What the analysis needs of the project's private state (read at each call: `usage()` puts the tree cache aside while it runs). */
export interface ProjectInternals {
  tree(path: string, text: string): ts.SourceFile;
  tooDeep(path: string, text: string): string | undefined;
  unreached(path: string, text: string, mentions: boolean): UnreachedFacts;
}

/** Why a file is not analysed, or undefined when it is. */
export function skipReason(path: string, text: string): string | undefined {
  if (text.length > MAX_FILE_BYTES) return `larger than ${MAX_FILE_BYTES / 1024 / 1024} MB (likely generated); skipped`;
  // NUL bytes in the first 8 KB: binary.
  if (text.slice(0, 8192).includes('\u0000')) return 'binary file; skipped';
  return undefined;
}

/**
 * A stage that threw: a stack overflow is the input's nesting (a `limit`),
 * anything else an internal error (`rule-crash`, which the CLI exits 2 for).
 */
function crashProblem(path: string, stage: string, e: unknown): Problem {
  if (isStackOverflow(e)) return { kind: 'limit', file: path, message: `${stage} stopped: this file is nested too deeply to analyse (stack limit); its findings from ${stage} are missing` };
  const err = e as Error;
  return { kind: 'rule-crash', file: path, message: `${stage} failed on this file: ${err?.stack?.split('\n').slice(0, 3).join(' ') ?? String(e)}` };
}

/**
 * Analyses one file of the project. Never throws: a stack overflow or any
 * other error in a stage becomes a problem on this file and the other
 * stages (and files) go on; limits hit here or in a helper it needed are
 * reported as `limit` problems.
 */
export function analyzeFile(p: Project, inner: ProjectInternals, path: string, only?: readonly string[]): AnalysisResult {
  let out: AnalysisResult;
  let incidents: Incident[];
  try {
    ({ value: out, incidents } = collectIncidents(() => analyzeUnguarded(p, inner, path, only)));
  } catch (e) {
    return { findings: [], problems: [crashProblem(path, 'analysis', e)] };
  }
  const seen = new Set<string>();
  for (const inc of incidents) {
    const key = `${inc.file}\0${inc.stage}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const why = inc.stage === 'parse' ? (inner.tooDeep(inc.file, p.fileText(inc.file) ?? '') ?? 'nested too deeply') : 'nested too deeply (stack limit)';
    out.problems.push({
      kind: 'limit',
      file: path,
      message:
        inc.file === path
          ? `not analysed (${inc.stage}): ${why}`
          : `${inc.file}, which this file uses, is not analysed (${inc.stage}: ${why}); what this file reaches through it is not seen`,
    });
  }
  return out;
}

function analyzeUnguarded(p: Project, inner: ProjectInternals, path: string, only?: readonly string[]): AnalysisResult {
  const text = p.fileText(path);
  const problems: Problem[] = [];
  const findings: Finding[] = [];
  if (text === undefined) {
    problems.push({ kind: 'unreadable-file', file: path, message: 'file not found in the project' });
    return { findings, problems };
  }
  const skip = skipReason(path, text);
  if (skip) {
    problems.push({ kind: 'skipped-file', file: path, message: skip });
    return { findings, problems };
  }
  const language: 'ts' | 'sql' = path.endsWith('.sql') ? 'sql' : 'ts';
  // A file that reaches no data library has no SQL site, query site or finding: only its own problems.
  const reaches = p.mayReach(path);
  // Another database's SQL (drizzle.config `dialect: "sqlite"`, Prisma `provider = "mysql"`): the schema reports the folder once.
  if (language === 'sql' && nonPostgresFolder(p.schema(path), path)) return { findings, problems };
  // Built on first use: most files have no finding, problem or suppression to place.
  let lineIndex: LineIndex | undefined;
  const lines = (): LineIndex => (lineIndex ??= new LineIndex(text));

  if (language === 'ts') {
    const facts = reaches ? undefined : inner.unreached(path, text, false);
    const errs = facts ? { length: facts.errors, 0: facts.firstError } : tsSyntaxErrors(inner.tree(path, text));
    if (errs.length) {
      const e = errs[0]!;
      problems.push({
        kind: 'unparseable-file',
        file: path,
        line: lines().position(e.start).line + 1,
        range: { start: e.start, end: e.start },
        message: `TypeScript syntax error: ${e.message} (${errs.length} in file; analysed as far as the parser recovered)`,
      });
    }
  }
  let sites: SqlSite[] = [];
  try {
    if (reaches) sites = p.sqlSites(path);
  } catch (e) {
    problems.push(crashProblem(path, 'SQL extraction', e));
  }
  for (const site of sites) {
    for (const err of site.parsed?.errors ?? []) {
      // Clamped: the end of an unterminated literal's SQL maps one past the end of the file (found by npm run fuzz).
      const at = Math.min(Math.max(sqlToFile(site, err.offset), 0), text.length);
      problems.push({
        kind: err.limit ? 'limit' : 'unparseable-sql',
        file: path,
        line: lines().position(at).line + 1,
        range: { start: at, end: at },
        message: err.limit ? `SQL ${err.message}${site.name ? ` (query ${site.name})` : ''}` : `SQL not parsed as PostgreSQL: ${err.message}${site.name ? ` (query ${site.name})` : ''}; statement skipped`,
      });
    }
  }

  const sups = findSuppressions(text);
  let runs: { v: RunsIn | undefined } | undefined;
  const runsIn = (): RunsIn | undefined => (runs ??= { v: p.runsIn(path) }).v;
  for (const rule of reaches ? p.rules : []) {
    if (only && !only.includes(rule.id)) continue;
    const severity = p.severityOf(rule);
    if (severity === 'off') continue;
    if (!rule.meta.languages.includes(language)) continue;
    const ctx = new RuleContext({ path, text }, rule.id, p.config.rules[rule.id]?.options ?? {}, p);
    try {
      rule.check(ctx);
    } catch (e) {
      problems.push(crashProblem(path, `rule ${rule.id}`, e));
      continue;
    }
    // A fragment shared by several statements (or a helper's statement built at several call sites) maps
    // each statement's finding to the same place: one finding per distinct (place, message), not per embedding.
    const seen = new Set<string>();
    for (const r of ctx.reports) {
      const key = `${r.range.start}:${r.range.end}:${r.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (isSuppressed(sups, r.ruleId, lines().position(r.range.start).line)) continue;
      const f: Finding = {
        ruleId: r.ruleId,
        severity,
        message: r.message,
        file: path,
        range: r.range,
        related: r.related ?? [],
        estimate: r.estimate,
        fixes: r.fixes ?? [],
      };
      // The performance model's part (engine/finding-details.ts): measured workload, severity by saving, hover, scope, "disable for this line" fix.
      completeFinding(p, f, r, { rule, severity, text, runsIn, lines, tree: () => (language === 'ts' ? inner.tree(path, text) : undefined) });
      findings.push(f);
    }
  }
  if (p.config.reportUnusedSuppressions && !only) {
    for (const s of sups) {
      if (!s.used) {
        problems.push({
          kind: 'unused-suppression',
          file: path,
          line: s.line + 1,
          range: { start: s.start, end: s.end },
          message: `unused suppression${s.rules.length ? ` of ${s.rules.join(', ')}` : ''}: no finding on line ${s.target + 1}`,
        });
      }
    }
  }
  findings.sort((a, b) => a.range.start - b.range.start || a.ruleId.localeCompare(b.ruleId));
  let missingSchema: string | undefined;
  try {
    if (reaches) missingSchema = p.missingSchema(path);
  } catch {
    // The explanation is a courtesy: no schema status rather than no analysis.
  }
  const result: AnalysisResult = missingSchema ? { findings, problems, missingSchema } : { findings, problems };
  // Test files are not linted by the rules (their clients are often mocks): counting their calls would only cost time.
  if (reaches && language === 'ts' && !isTestFilePath(path)) {
    const reach = reachCounts(p, path, text);
    if (reach) result.reach = reach;
  }
  return result;
}

/** The file's recognised query sites and unresolved look-alike calls, counted (AnalysisResult.reach). */
function reachCounts(p: Project, path: string, text: string): AnalysisResult['reach'] {
  try {
    const sites = p.memo(`querySites:${path}`, text, () => fileQuerySites(p, path));
    const sf = p.tsAst(path);
    const known = new Set(sites.map((s) => s.range.start));
    const unresolved = sf ? unresolvedCandidates(p, path, sf).filter((u) => !known.has(u.range.start)) : [];
    if (!sites.length && !unresolved.length) return undefined;
    return unresolved.length ? { sites: sites.length, unresolved: unresolved.length, firstUnresolved: unresolved[0]!.range } : { sites: sites.length, unresolved: 0 };
  } catch {
    // A count is a courtesy: no count rather than no analysis.
    return undefined;
  }
}
