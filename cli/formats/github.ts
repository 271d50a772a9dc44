/**
 * `--format github`: GitHub Actions workflow commands, which annotate the
 * pull request without a SARIF upload:
 *   ::warning file=src/a.ts,line=3,col=5,endLine=3,endColumn=20,title=querylens(n-plus-one)::message
 * Errors become `::error`, info findings and problems `::notice`.
 *
 * Escaping (cli/formats/escape.ts) follows the Actions toolkit (`@actions/core`
 * command.ts): in the message `%`, `\r`, `\n` are percent-encoded; in property
 * values `:` and `,` are too, since they delimit properties; other control
 * characters become visible escapes.
 */
import type { Severity } from '../../engine';
import { type Location, type Report, messageWithEstimate, problemLocation } from '../report';
import { escapeData, escapeProperty } from './escape';

export { escapeData, escapeProperty };

function command(name: string, props: Record<string, string | number | undefined>, message: string): string {
  const list = Object.entries(props)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${name}${list ? ` ${list}` : ''}::${escapeData(message)}`;
}

function commandName(s: Severity): string {
  return s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'notice';
}

function where(l: Location) {
  return { file: l.path, line: l.line, col: l.column, endLine: l.endLine, endColumn: l.endColumn };
}

export function formatGithub(report: Report): string {
  const out: string[] = [];
  for (const f of report.findings) {
    const msg = messageWithEstimate(f, '\n');
    out.push(command(commandName(f.severity), { ...where(report.locate(f.file, f.range)), title: `querylens(${f.ruleId})` }, msg));
  }
  for (const p of report.problems) {
    const l = problemLocation(report, p);
    const props = l ? (p.line !== undefined || p.range ? { file: l.path, line: l.line, col: l.column } : { file: l.path }) : {};
    // Unused suppressions count as warnings for the exit code; annotate them as such.
    out.push(command(p.kind === 'unused-suppression' ? 'warning' : 'notice', { ...props, title: `querylens: ${p.kind}` }, p.message));
  }
  return out.length ? out.join('\n') + '\n' : '';
}
