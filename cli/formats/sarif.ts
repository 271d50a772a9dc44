/**
 * `--format sarif`: SARIF 2.1.0 (OASIS), as GitHub code scanning and other
 * viewers read it. Shape per mission §5; test/sarif.test.ts validates it
 * against the official 2.1.0 JSON schema.
 *
 * Regions are 1-based; columns count UTF-16 code units, which the run declares
 * with `columnKind: "utf16CodeUnits"`. Artifact URIs are relative to the
 * working directory, resolved against `%SRCROOT%` (declared in
 * `originalUriBaseIds` as the working directory's file: URI).
 */
import { pathToFileURL } from 'node:url';
import { type Problem, type Range, type Severity, measuredSavingMs, roundMs, savingMs } from '../../engine';
import { type Location, type Report, estimateData, findingIds, problemLocation } from '../report';
import { informationUri, ruleHelpUri } from '../version';
import { jsonWithoutControls } from './escape';

const SRCROOT = '%SRCROOT%';
/** partialFingerprints key: versioned, so a change of the fingerprint's recipe is a new key, not a mass of "new" alerts. */
export const FINGERPRINT_KEY = 'querylens/v1';

function level(s: Severity): 'error' | 'warning' | 'note' {
  return s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note';
}

function problemLevel(p: Problem): 'error' | 'warning' | 'note' {
  if (p.kind === 'rule-crash' || p.kind === 'config') return 'error';
  if (p.kind === 'skipped-file') return 'note';
  return 'warning';
}

/** A relative path as a URI reference: each segment percent-encoded, `/` kept. */
export function pathToUri(p: string): string {
  return p
    .split('/')
    .map((seg) => (seg === '..' || seg === '.' ? seg : encodeURIComponent(seg)))
    .join('/');
}

function region(l: Location) {
  return { startLine: l.line, startColumn: l.column, endLine: l.endLine, endColumn: l.endColumn };
}

function physical(l: Location) {
  return { artifactLocation: { uri: pathToUri(l.path), uriBaseId: SRCROOT }, region: region(l) };
}

/** A rule's SARIF descriptor. */
function ruleDescriptor(r: Report['rules'][number]) {
  return {
    id: r.id,
    name: r.id
      .split('-')
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join(''),
    shortDescription: { text: r.meta.summary },
    fullDescription: { text: r.meta.docs.what },
    helpUri: ruleHelpUri(r.id),
    help: { text: r.meta.docs.why },
    defaultConfiguration: { level: level(r.meta.defaultSeverity) },
    properties: { tags: ['performance', 'postgresql'], fix: r.meta.fix, languages: r.meta.languages },
  };
}

type Finding = Report['findings'][number];

/** A finding's estimate, measurements and severity reason as result properties, when it has any. */
function resultProperties(f: Finding): Record<string, unknown> | undefined {
  if (!f.estimate && !f.measured) return undefined;
  const props: Record<string, unknown> = {};
  if (f.estimate) {
    props.estimate = estimateData(f.estimate);
    props.savingMs = roundMs(savingMs(f.estimate));
  }
  // pg_stat_statements figures of the statement (querylens stats pull), and what the fix would have saved of them.
  if (f.measured) {
    props.measured = f.measured;
    const window = measuredSavingMs(f.estimate, f.measured);
    if (window !== undefined) props.measuredSavingMs = window;
  }
  if (f.severityReason) props.severityReason = f.severityReason;
  if (f.runsIn) props.runsIn = f.runsIn;
  return props;
}

/** A finding's fixes as SARIF fixes: one artifact change per file, its edits as replacements. */
function resultFixes(report: Report, f: Finding) {
  return f.fixes.map((x) => {
    const byFile = new Map<string, typeof x.edits>();
    for (const e of x.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
    return {
      description: { text: x.title },
      artifactChanges: [...byFile].map(([file, edits]) => ({
        artifactLocation: { uri: pathToUri(report.displayPath(file)), uriBaseId: SRCROOT },
        replacements: edits.map((e) => ({ deletedRegion: region(report.locate(e.file, e.range)), insertedContent: { text: e.newText } })),
      })),
      properties: { safety: x.safety },
    };
  });
}

export function buildSarif(report: Report) {
  const ruleIndex = new Map(report.rules.map((r, i) => [r.id, i]));
  const at = (file: string, range: Range) => report.locate(file, range);
  const info = informationUri();
  const rules = report.rules.map(ruleDescriptor);

  const ids = findingIds(report);
  const results = report.findings.map((f) => {
    const loc = at(f.file, f.range);
    // The estimate's summary once: N+1 messages already quote it.
    const summary = f.estimate?.summary;
    const result: Record<string, unknown> = {
      ruleId: f.ruleId,
      level: level(f.severity),
      message: { text: summary && !f.message.includes(summary) ? `${f.message} (${summary})` : f.message },
      locations: [{ physicalLocation: physical(loc) }],
      // Stable across commits (the code's text, not its line): code scanning follows the alert as code moves.
      partialFingerprints: { [FINGERPRINT_KEY]: ids.get(f)! },
    };
    const idx = ruleIndex.get(f.ruleId);
    if (idx !== undefined) result.ruleIndex = idx;
    if (f.related.length) {
      result.relatedLocations = f.related.map((r, i) => ({ id: i + 1, physicalLocation: physical(at(r.file, r.range)), message: { text: r.message } }));
    }
    const props = resultProperties(f);
    if (props) result.properties = props;
    if (f.fixes.length) result.fixes = resultFixes(report, f);
    return result;
  });

  const notifications = report.problems.map((p) => {
    const l = problemLocation(report, p);
    const n: Record<string, unknown> = { level: problemLevel(p), message: { text: p.message }, descriptor: { id: p.kind } };
    if (l) n.locations = [{ physicalLocation: physical(l) }];
    return n;
  });

  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'querylens',
            version: report.toolVersion,
            semanticVersion: report.toolVersion,
            ...(info ? { informationUri: info } : {}),
            rules,
          },
        },
        invocations: [{ executionSuccessful: !report.problems.some((p) => p.kind === 'rule-crash'), toolExecutionNotifications: notifications }],
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(report.cwd).href.replace(/\/?$/, '/') } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

export function formatSarif(report: Report): string {
  return jsonWithoutControls(JSON.stringify(buildSarif(report), null, 2)) + '\n';
}
