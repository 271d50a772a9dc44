/**
 * What the performance model adds to a rule's report once it is a finding (`Project.analyze`): the
 * measured workload of its query (pg_stat_statements), the severity its saving earns, the one-off
 * downgrade, the hover (with the budget of the function it sits in), the handler it belongs to, and
 * the "disable for this line" fix.
 */
import type * as ts from 'typescript';
import type { ReportedFinding } from './context';
import { disableLineFix } from './fixes';
import { findingScope, hoverBudget } from './model/budgets';
import { hoverMarkdown } from './model/hover';
import { severityBySaving } from './model/impact';
import type { Project } from './project';
import { fileQuerySites } from './sources/orm';
import { isTsLike } from './sources/ts-ast';
import { hasWorkload, measuredSite, measuredSql, sqlOffsetOf } from './stats/workload';
import type { LineIndex } from './text';
import type { Finding, Measured, Range, RunsIn, Severity } from './types';
import type { Rule } from '../rules/define-rule';

/** The analysis of the finding's file, as `completeFinding` needs it (each part computed at most once per file). */
export interface FindingFile {
  rule: Rule;
  /** The rule's configured severity (before grading by saving). */
  severity: Severity;
  text: string;
  runsIn(): RunsIn | undefined;
  lines(): LineIndex;
  /** The file's syntax tree (TypeScript files), for the disable comment's placement. */
  tree(): ts.SourceFile | undefined;
}

/** Fills in `f` (built from the report `r`): measured, severity (and why), runsIn, hover, scope, and the disable fix. */
export function completeFinding(project: Project, f: Finding, r: ReportedFinding, file: FindingFile): void {
  const path = f.file;
  const measured = measuredOf(project, path, r);
  if (measured) f.measured = measured;
  const graded = severityBySaving(file.severity, f.estimate, f.measured, project.config);
  f.severity = graded.severity;
  if (graded.reason) f.severityReason = graded.reason;
  // One-off code (a rule that reports there, e.g. n-plus-one in a hand-run script) is info and ranks last,
  // unless the rule is asked to lint it like application code; background code keeps its severity, ranks after requests.
  const runs = file.runsIn();
  if (runs) f.runsIn = runs;
  if (runs?.kind === 'one-off' && f.severity !== 'info' && project.config.rules[file.rule.id]?.options?.includeOneOffScripts !== true) {
    f.severity = 'info';
    f.severityReason = `one-off code (${runs.reason}): it runs by hand, not per request`;
  }
  f.hover = hoverMarkdown(f, r.hoverDetail, hoverBudget(project, path, f, project.model));
  const scope = findingScope(project, path, f.range);
  if (scope) f.scope = scope;
  const disable = disableLineFix(f, file.text, { lines: file.lines(), tree: file.tree() });
  if (disable) f.fixes = [...f.fixes, disable];
}

/**
 * pg_stat_statements figures (stats snapshot) of the query a finding is about: the query it names,
 * else the raw SQL or the query call its range lies in. Undefined without a measured workload.
 */
function measuredOf(project: Project, path: string, r: ReportedFinding): Measured | undefined {
  const schema = project.schema();
  if (!hasWorkload(schema)) return undefined;
  try {
    if (r.querySite) return measuredSite(project, r.querySite);
    const inside = (x: Range) => x.start <= r.range.start && r.range.end <= x.end;
    for (const site of project.sqlSites(path)) {
      if (!inside(site.range)) continue;
      const at = sqlOffsetOf(site, r.range);
      return measuredSql(schema, site, at);
    }
    const text = project.fileText(path);
    if (text === undefined || !isTsLike(path)) return undefined;
    const q = project.memo(`querySites:${path}`, text, () => fileQuerySites(project, path)).find((s) => inside(s.range));
    return q ? measuredSite(project, q) : undefined;
  } catch {
    // A failure to match is no measurement, never a lost finding.
    return undefined;
  }
}
