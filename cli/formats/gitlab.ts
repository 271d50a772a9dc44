/**
 * `--format gitlab`: a GitLab Code Quality report (the `codequality` artifact
 * of a CI job), shown in the merge-request widget and diff. GitLab reads an
 * array of issues with these documented fields
 * (docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format):
 *   description, check_name, fingerprint (unique; GitLab compares them between
 *   the base and the head pipeline to tell new issues from fixed ones),
 *   severity (info, minor, major, critical, blocker),
 *   location.path (relative), location.lines.begin (1-based).
 * test/gitlab.test.ts validates the output against exactly these fields.
 *
 * The fingerprint hashes the path, the rule and the finding's stable id
 * (engine/baseline.ts: the text of its lines, not the line number), so moved
 * code keeps its issue. Unused suppressions, which fail the run, are issues too, and so is the warning that most
 * calls that look like queries were not recognised (`unresolved-queries`).
 */
import { createHash } from 'node:crypto';
import type { Severity } from '../../engine';
import { type Report, findingIds, messageWithEstimate, problemLocation } from '../report';
import { jsonWithoutControls } from './escape';

export type GitlabSeverity = 'info' | 'minor' | 'major' | 'critical' | 'blocker';

export interface GitlabIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: GitlabSeverity;
  location: { path: string; lines: { begin: number; end?: number } };
}

function severity(s: Severity): GitlabSeverity {
  return s === 'error' ? 'major' : s === 'warning' ? 'minor' : 'info';
}

function hash(...parts: string[]): string {
  return createHash('md5').update(parts.join('\u0000')).digest('hex');
}

export function buildGitlab(report: Report): GitlabIssue[] {
  const ids = findingIds(report);
  const out: GitlabIssue[] = [];
  for (const f of report.findings) {
    const l = report.locate(f.file, f.range);
    out.push({
      description: messageWithEstimate(f, ' — '),
      check_name: `querylens/${f.ruleId}`,
      fingerprint: hash(l.path, f.ruleId, ids.get(f)!),
      severity: severity(f.severity),
      location: { path: l.path, lines: { begin: l.line, ...(l.endLine > l.line ? { end: l.endLine } : {}) } },
    });
  }
  const seen = new Map<string, number>();
  for (const p of report.problems) {
    if (p.kind !== 'unused-suppression') continue;
    const l = problemLocation(report, p);
    if (!l) continue;
    const key = `${l.path}\u0000${p.message}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    out.push({ description: p.message, check_name: 'querylens/unused-suppression', fingerprint: hash(l.path, p.kind, p.message, String(n)), severity: 'minor', location: { path: l.path, lines: { begin: l.line } } });
  }
  // Most query-looking calls unrecognised: the merge request should not read "no findings" as clean. One per run,
  // fingerprinted by kind only (its counts change with every edit).
  for (const p of report.problems) {
    if (p.kind !== 'unresolved-queries') continue;
    const l = problemLocation(report, p);
    if (!l) continue;
    out.push({ description: p.message, check_name: `querylens/${p.kind}`, fingerprint: hash(p.kind), severity: 'info', location: { path: l.path, lines: { begin: l.line } } });
  }
  return out;
}

export function formatGitlab(report: Report): string {
  return jsonWithoutControls(JSON.stringify(buildGitlab(report), null, 2)) + '\n';
}
