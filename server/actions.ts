/**
 * Hover and code actions from a document's last analysis: pure conversions (server/main.ts finds the
 * analysis, the document's version and how paths map to URIs).
 */
import { type CodeAction, CodeActionKind, type CodeActionParams, type Hover, type Position } from 'vscode-languageserver/node';
import type { AnalysisResult, Finding, LineIndex } from '../engine';
import {
  type DiagnosticData,
  type EditOptions,
  FIX_ALL_KIND,
  type FileResolver,
  SOURCE,
  findingToDiagnostic,
  fixToCodeAction,
  nonOverlappingSafeFixes,
  toEngineRange,
  toLspRange,
  toOffset,
  toWorkspaceEdit,
  touches,
} from './convert';

/** A document's analysis as the server keeps it. */
export interface LastAnalysis {
  version: number;
  result: AnalysisResult;
  lines: LineIndex;
}

/** The hover of the findings at a position (their markdown, joined), or null. */
export function hoverAt(last: LastAnalysis, position: Position): Hover | null {
  const off = toOffset(last.lines, position);
  const hits = last.result.findings.filter((f) => f.hover && touches(f.range, { start: off, end: off }));
  if (!hits.length) return null;
  return {
    contents: { kind: 'markdown', value: hits.map((f) => f.hover!).join('\n\n---\n\n') },
    range: toLspRange(last.lines, hits[0].range),
  };
}

function isData(v: unknown): v is DiagnosticData {
  return typeof v === 'object' && v !== null && typeof (v as DiagnosticData).version === 'number' && Array.isArray((v as DiagnosticData).fixes);
}

/**
 * Quick fixes of the diagnostics in range and "fix all safe problems" as the client asks (`only`). The
 * diagnostics the client sends carry their fixes in `data`, valid for the version they were computed on;
 * without them, the fixes of the findings the range touches. `analysis` is asked only when needed.
 */
export async function codeActionsFor(
  params: CodeActionParams,
  version: number,
  analysis: () => Promise<LastAnalysis | undefined>,
  resolver: FileResolver,
  opts: EditOptions,
): Promise<CodeAction[]> {
  const only = params.context.only;
  const wants = (kind: string) => !only || only.some((k) => kind === k || kind.startsWith(`${k}.`));
  const actions: CodeAction[] = [];
  if (wants(CodeActionKind.QuickFix)) {
    const fromClient = params.context.diagnostics.filter((d) => d.source === SOURCE && isData(d.data) && d.data.version === version);
    if (fromClient.length) {
      for (const d of fromClient) {
        for (const fix of (d.data as DiagnosticData).fixes) {
          const edit = toWorkspaceEdit(fix.edits, resolver, opts);
          if (edit) actions.push(fixToCodeAction(fix, d, edit));
        }
      }
    } else {
      const last = await analysis();
      if (last) {
        const range = toEngineRange(last.lines, params.range);
        for (const f of last.result.findings) {
          if (!touches(f.range, range)) continue;
          const d = findingToDiagnostic(f, last.lines, last.version, resolver);
          for (const fix of f.fixes) {
            const edit = toWorkspaceEdit(fix.edits, resolver, opts);
            if (edit) actions.push(fixToCodeAction(fix, d, edit));
          }
        }
      }
    }
  }
  if (wants(FIX_ALL_KIND)) {
    const last = await analysis();
    const fixes = last ? nonOverlappingSafeFixes(last.result.findings as Finding[]) : [];
    if (fixes.length) {
      const edit = toWorkspaceEdit(
        fixes.flatMap((f) => f.edits),
        resolver,
        opts,
      );
      if (edit) actions.push({ title: 'Fix all safe problems in this file', kind: FIX_ALL_KIND, edit });
    }
  }
  return actions;
}
