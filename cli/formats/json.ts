/**
 * `--format json`: a stable, documented shape for scripts and dashboards.
 *
 * {
 *   "version": "0.1.0",              // querylens version
 *   "formatVersion": 1,              // bumped on any incompatible change of this shape
 *   "findings": [{
 *     "ruleId", "severity",          // "error" | "warning" | "info"
 *     "message",
 *     "file",                        // relative to the working directory, "/" separators
 *     "line", "column", "endLine", "endColumn",  // 1-based; columns in UTF-16 code units; end exclusive
 *     "range": { "start", "end" },   // 0-based UTF-16 offsets into the file's text, end exclusive
 *     "related": [{ "file", "line", "column", "endLine", "endColumn", "range", "message" }],
 *     "scope"?,                      // the function, route or named query it sits in ("GET /x", "getFeatures")
 *     "estimate": { "currentMs", "fixedMs",   // ms, rounded to the precision messages print (3.5, 65, 2063)
 *                   "summary", "assumptions": [{ "name", "value" (4 significant digits), "unit"?, "source", "note"? }],
 *                   "aggregate"? } | null,   // true: sums a whole function's queries (other findings' estimates included)
 *     "savingMs",                    // estimated ms saved per call by the fix (currentMs − fixedMs; 0 without an estimate)
 *     "measured"?: { "calls", "meanMs", "totalMs", "rows", "matchedBy" },  // pg_stat_statements (querylens stats pull)
 *     "measuredSavingMs"?,           // share of the measured execution time the fix removes
 *     "severityReason"?,             // why the severity differs from the rule's (saving under minSavingMs …)
 *     "runsIn"?: { kind, reason },   // 'background' (scheduled) or 'one-off' (run by hand): ranked after request paths
 *     "fixes": [{ "title", "safety",  // "safe" (applied by --fix) | "suggestion"
 *                 "edits": [{ "file", "line", "column", "endLine", "endColumn", "range", "newText" }] }]
 *   }],
 *   "problems": [{ "kind", "file", "line"?, "column"?, "message" }],
 *   "fixed": [{ "file", "line", "ruleId", "title" }],  // fixes applied by --fix
 *   "summary": { "files", "errors", "warnings", "infos", "problems", "fixed", "suppressed" }  // suppressed: accepted by querylens-suppressions.json
 * }
 */
import { type Range, measuredSavingMs, roundMs, savingMs } from '../../engine';
import { type Report, estimateData, problemLocation } from '../report';
import { jsonWithoutControls } from './escape';

export function formatJson(report: Report): string {
  const loc = (file: string, range: Range) => {
    const l = report.locate(file, range);
    return { file: l.path, line: l.line, column: l.column, endLine: l.endLine, endColumn: l.endColumn, range: { start: range.start, end: range.end } };
  };
  const doc = {
    version: report.toolVersion,
    formatVersion: 1,
    findings: report.findings.map((f) => ({
      ruleId: f.ruleId,
      severity: f.severity,
      message: f.message,
      ...loc(f.file, f.range),
      related: f.related.map((r) => ({ ...loc(r.file, r.range), message: r.message })),
      ...(f.scope ? { scope: f.scope } : {}),
      estimate: f.estimate ? estimateData(f.estimate) : null,
      savingMs: roundMs(savingMs(f.estimate)),
      ...(f.measured ? { measured: f.measured, measuredSavingMs: measuredSavingMs(f.estimate, f.measured) ?? null } : {}),
      ...(f.severityReason ? { severityReason: f.severityReason } : {}),
      ...(f.runsIn ? { runsIn: f.runsIn } : {}),
      fixes: f.fixes.map((x) => ({ title: x.title, safety: x.safety, edits: x.edits.map((e) => ({ ...loc(e.file, e.range), newText: e.newText })) })),
    })),
    problems: report.problems.map((p) => {
      const l = problemLocation(report, p);
      const known = p.line !== undefined || p.range !== undefined;
      return { kind: p.kind, file: l?.path ?? p.file, ...(known && l ? { line: l.line, column: l.column } : {}), message: p.message };
    }),
    fixed: report.fixed.map((f) => ({ file: report.displayPath(f.file), line: f.line, ruleId: f.ruleId, title: f.title })),
    summary: report.summary,
  };
  return jsonWithoutControls(JSON.stringify(doc, null, 2)) + '\n';
}
