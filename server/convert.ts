/**
 * The server's one place for position maths and engine → LSP shapes.
 * Engine offsets are UTF-16 code-unit offsets, which is LSP's default
 * position encoding ('utf-16'), so a `LineIndex` over the same text converts
 * exactly; nothing here counts bytes.
 */
import {
  CodeAction,
  CodeActionKind,
  CreateFile,
  type Diagnostic,
  DiagnosticSeverity,
  DiagnosticTag,
  type DiagnosticRelatedInformation,
  OptionalVersionedTextDocumentIdentifier,
  type Position,
  type Range as LspRange,
  TextDocumentEdit,
  type TextEdit as LspTextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import { type Finding, type Fix, LineIndex, type Problem, type Range, type Severity, type TextEdit } from '../engine';

/** Stable base for rule documentation links (docs/rules/<id>.md is generated from rule meta). */
export const RULE_DOCS_BASE = 'https://github.com/querylens/querylens/blob/main/docs/rules/';
export const SOURCE = 'querylens';
export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.querylens`;

export function ruleDocUrl(ruleId: string): string {
  return `${RULE_DOCS_BASE}${encodeURIComponent(ruleId)}.md`;
}

export function toPosition(lines: LineIndex, offset: number): Position {
  return lines.position(offset);
}

export function toLspRange(lines: LineIndex, range: Range): LspRange {
  return { start: lines.position(range.start), end: lines.position(Math.max(range.start, range.end)) };
}

export function toOffset(lines: LineIndex, pos: Position): number {
  return lines.offset(pos.line, pos.character);
}

export function toEngineRange(lines: LineIndex, range: LspRange): Range {
  return { start: toOffset(lines, range.start), end: toOffset(lines, range.end) };
}

export function toSeverity(s: Severity): DiagnosticSeverity {
  switch (s) {
    case 'error':
      return DiagnosticSeverity.Error;
    case 'warning':
      return DiagnosticSeverity.Warning;
    default:
      return DiagnosticSeverity.Information;
  }
}

/**
 * How other files are reached when a finding points at them (related
 * locations, edits): their URI, and their text when it exists (open buffer
 * first, then disk), so their offsets can become positions.
 */
export interface FileResolver {
  uri(projectPath: string): string;
  text(projectPath: string): string | undefined;
}

/** What a diagnostic carries for the code-action handler (LSP `Diagnostic.data`). */
export interface DiagnosticData {
  ruleId: string;
  /** Document version the fixes' offsets refer to. */
  version: number;
  fixes: Fix[];
  /** The estimate's headline figures in ms, for clients that sum costs (the VS Code status bar). */
  estimate?: { currentMs: number; fixedMs: number };
  /** Accepted by querylens-suppressions.json (shown as a hint). */
  baselined?: true;
}

function lineIndexCache(resolver: FileResolver, self: { path: string; lines: LineIndex }) {
  const cache = new Map<string, LineIndex | undefined>([[self.path, self.lines]]);
  return (path: string): LineIndex | undefined => {
    if (!cache.has(path)) {
      const t = resolver.text(path);
      cache.set(path, t === undefined ? undefined : new LineIndex(t));
    }
    return cache.get(path);
  };
}

export function findingToDiagnostic(f: Finding, lines: LineIndex, version: number, resolver: FileResolver, opts: { baselined?: boolean } = {}): Diagnostic {
  const linesOf = lineIndexCache(resolver, { path: f.file, lines });
  const related: DiagnosticRelatedInformation[] = [];
  for (const r of f.related) {
    const li = linesOf(r.file);
    if (!li) continue;
    related.push({ location: { uri: resolver.uri(r.file), range: toLspRange(li, r.range) }, message: r.message });
  }
  const d: Diagnostic = {
    range: toLspRange(lines, f.range),
    // A finding the team accepted (querylens-suppressions.json) stays visible, quietly.
    severity: opts.baselined ? DiagnosticSeverity.Hint : toSeverity(f.severity),
    code: f.ruleId,
    codeDescription: { href: ruleDocUrl(f.ruleId) },
    source: SOURCE,
    // Rule messages already state the estimate ("≈ 100 round trips ≈ 60 ms"); the hover has the breakdown.
    message: opts.baselined ? `${f.message} (accepted in querylens-suppressions.json)` : f.message,
    data: {
      ruleId: f.ruleId,
      version,
      fixes: f.fixes,
      ...(f.estimate ? { estimate: { currentMs: f.estimate.currentMs, fixedMs: f.estimate.fixedMs } } : {}),
      ...(opts.baselined ? { baselined: true as const } : {}),
    } satisfies DiagnosticData,
  };
  if (related.length) d.relatedInformation = related;
  return d;
}

/** Input the engine could not use: information or a hint, never an error (the user's code may be fine). */
export function problemToDiagnostic(p: Problem, lines: LineIndex): Diagnostic {
  const range = p.range
    ? toLspRange(lines, p.range)
    : p.line !== undefined
      ? { start: { line: p.line - 1, character: 0 }, end: { line: p.line - 1, character: lines.lineText(p.line - 1).length } }
      : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const hint = p.kind === 'skipped-file' || p.kind === 'unused-suppression';
  const d: Diagnostic = {
    range,
    severity: hint ? DiagnosticSeverity.Hint : DiagnosticSeverity.Information,
    code: p.kind,
    source: SOURCE,
    message: p.message,
  };
  if (p.kind === 'unused-suppression') d.tags = [DiagnosticTag.Unnecessary];
  return d;
}

export interface EditOptions {
  /** Client supports `documentChanges` (and the `create` resource operation). */
  documentChanges: boolean;
  createFiles: boolean;
  /** Version of an open document, or null when it is not open. */
  versionOf(projectPath: string): number | null;
}

/**
 * Engine edits → a WorkspaceEdit. Edits to a file that does not exist yet
 * become `CreateFile` followed by a `TextDocumentEdit` on the new file (its
 * ranges are clamped to the empty document). Returns undefined when the
 * client cannot apply the edit (a file to create without `documentChanges`).
 */
export function toWorkspaceEdit(edits: TextEdit[], resolver: FileResolver, opts: EditOptions): WorkspaceEdit | undefined {
  const byFile = new Map<string, TextEdit[]>();
  for (const e of edits) {
    const list = byFile.get(e.file) ?? [];
    list.push(e);
    byFile.set(e.file, list);
  }
  const changes: Record<string, LspTextEdit[]> = {};
  const documentChanges: (TextDocumentEdit | CreateFile)[] = [];
  for (const [file, list] of byFile) {
    const uri = resolver.uri(file);
    const text = resolver.text(file);
    const lines = new LineIndex(text ?? '');
    const lspEdits = list.map((e) => ({ range: toLspRange(lines, e.range), newText: e.newText }));
    if (text === undefined) {
      if (!opts.documentChanges || !opts.createFiles) return undefined;
      documentChanges.push(CreateFile.create(uri, { ignoreIfExists: true }));
      documentChanges.push(TextDocumentEdit.create(OptionalVersionedTextDocumentIdentifier.create(uri, null), lspEdits));
    } else {
      changes[uri] = lspEdits;
      documentChanges.push(TextDocumentEdit.create(OptionalVersionedTextDocumentIdentifier.create(uri, opts.versionOf(file)), lspEdits));
    }
  }
  return opts.documentChanges ? { documentChanges } : { changes };
}

export function fixToCodeAction(fix: Fix, diagnostic: Diagnostic | undefined, edit: WorkspaceEdit): CodeAction {
  const action = CodeAction.create(fix.title, edit, CodeActionKind.QuickFix);
  if (diagnostic) action.diagnostics = [diagnostic];
  if (fix.safety === 'safe') action.isPreferred = true;
  return action;
}

/** Whether two half-open ranges touch (a cursor at either end of a finding counts). */
export function touches(a: Range, b: Range): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/**
 * Safe fixes for "fix all": whole fixes whose edits overlap no edit already
 * taken, in file order. A fix is taken entirely or not at all, so a
 * multi-edit fix never lands half-applied.
 */
export function nonOverlappingSafeFixes(findings: Finding[]): Fix[] {
  const taken: TextEdit[] = [];
  const out: Fix[] = [];
  const overlaps = (e: TextEdit) =>
    taken.some((t) => t.file === e.file && (e.range.start < t.range.end && t.range.start < e.range.end || (e.range.start === t.range.start && e.range.end === t.range.end)));
  for (const f of [...findings].sort((a, b) => a.range.start - b.range.start)) {
    const fix = f.fixes.find((x) => x.safety === 'safe');
    if (!fix || fix.edits.some(overlaps)) continue;
    taken.push(...fix.edits);
    out.push(fix);
  }
  return out;
}
