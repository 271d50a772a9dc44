/**
 * The fix machinery: applying text edits, choosing which fixes can go
 * together in one pass, and the "disable for this line" fix every finding
 * carries. Pure: callers read and write files.
 *
 * Conflicts: two edits conflict when their ranges overlap or when both start
 * at the same offset (two insertions at one point, or an insertion at the
 * start of a replacement: their order would be a guess). One pass never
 * applies two conflicting edits; a fix is applied whole or not at all, and a
 * fix held back applies in the next pass after a re-lint recomputes ranges.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { formatMs } from './model';
import { tsSourceFile } from './sources/ts-ast';
import { LineIndex } from './text';
import type { Finding, Fix, Range, TextEdit } from './types';

export type Edit = Pick<TextEdit, 'range' | 'newText'>;

export class EditConflictError extends Error {}

export function editsConflict(a: Range, b: Range): boolean {
  if (a.start === b.start) return true;
  return a.start < b.end && b.start < a.end;
}

/**
 * Applies edits to one text. Edits may come in any order; they are sorted.
 * Throws EditConflictError for overlapping edits or an edit outside the text
 * (a caller's bug: `applyFixes` never passes such a set).
 */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end);
  for (let i = 0; i < sorted.length; i++) {
    const { start, end } = sorted[i].range;
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= text.length)) {
      throw new EditConflictError(`edit [${start}, ${end}) is outside the text (length ${text.length})`);
    }
    if (i > 0 && editsConflict(sorted[i - 1].range, sorted[i].range)) {
      const p = sorted[i - 1].range;
      throw new EditConflictError(`edits [${p.start}, ${p.end}) and [${start}, ${end}) overlap`);
    }
  }
  const out: string[] = [];
  let at = 0;
  for (const e of sorted) {
    out.push(text.slice(at, e.range.start), e.newText);
    at = e.range.end;
  }
  out.push(text.slice(at));
  return out.join('');
}

export interface SkippedFix {
  fix: Fix;
  reason: 'not-safe' | 'overlap' | 'out-of-range' | 'missing-file' | 'empty' | 'claimed';
}

export interface ApplyFixesResult {
  /** New text of every file some applied fix changed (or created). */
  files: Map<string, string>;
  applied: Fix[];
  skipped: SkippedFix[];
}

/**
 * Applies as many of `fixes` as can go together, in the order given. A fix is
 * skipped when `safeOnly` and it is a suggestion, when it claims a key an
 * applied fix claimed (or a per-run key in `claimed`), when one of its edits
 * conflicts with an edit already accepted (or with another of its own), when
 * an edit lies outside its file, or when it edits a file that does not exist
 * with anything but an insertion at offset 0 (which creates the file).
 */
export function applyFixes(files: ReadonlyMap<string, string>, fixes: readonly Fix[], opts: { safeOnly?: boolean; claimed?: ReadonlySet<string> } = {}): ApplyFixesResult {
  const accepted = new Map<string, Edit[]>();
  const applied: Fix[] = [];
  const skipped: SkippedFix[] = [];
  // Claims of fixes applied in this call (either scope) and of earlier passes of the run (`claimed`, per-run keys).
  const taken = new Set<string>();
  for (const fix of fixes) {
    if (opts.safeOnly && fix.safety !== 'safe') {
      skipped.push({ fix, reason: 'not-safe' });
      continue;
    }
    if (fix.edits.length === 0) {
      skipped.push({ fix, reason: 'empty' });
      continue;
    }
    if (fix.claims?.some((c) => taken.has(c.key) || (c.per === 'run' && opts.claimed?.has(c.key)))) {
      skipped.push({ fix, reason: 'claimed' });
      continue;
    }
    let reason: SkippedFix['reason'] | undefined;
    for (let i = 0; i < fix.edits.length && !reason; i++) {
      const e = fix.edits[i];
      const text = files.get(e.file);
      const len = text?.length ?? 0;
      if (text === undefined && (e.range.start !== 0 || e.range.end !== 0)) reason = 'missing-file';
      else if (!(e.range.start >= 0 && e.range.start <= e.range.end && e.range.end <= len)) reason = 'out-of-range';
      else if ((accepted.get(e.file) ?? []).some((o) => editsConflict(o.range, e.range))) reason = 'overlap';
      else if (fix.edits.some((o, j) => j !== i && o.file === e.file && editsConflict(o.range, e.range))) reason = 'overlap';
    }
    if (reason) {
      skipped.push({ fix, reason });
      continue;
    }
    for (const e of fix.edits) {
      const list = accepted.get(e.file) ?? [];
      list.push(e);
      accepted.set(e.file, list);
    }
    for (const c of fix.claims ?? []) taken.add(c.key);
    applied.push(fix);
  }
  const out = new Map<string, string>();
  for (const [file, edits] of accepted) out.set(file, applyEdits(files.get(file) ?? '', edits));
  return { files: out, applied, skipped };
}

/** Where a line starts, syntactically: decides which comment syntax a line above it needs. */
export type LineContext = 'code' | 'sql' | 'template-sql' | 'jsx-text' | 'string';

/** The syntactic context of `offset` in a TypeScript/JavaScript file. */
export function tsContextAt(path: string, text: string, offset: number, tree?: ts.SourceFile): LineContext {
  const sf = tree && tree.text === text ? tree : tsSourceFile(path, text);
  let ctx: LineContext = 'code';
  const visit = (node: ts.Node): void => {
    // A node that starts at or after the offset (its pos is where its leading trivia begins) cannot
    // hold it: decided without getStart, which scans the trivia (one call per top-level statement
    // per finding made this walk most of a keystroke's fix cost).
    if (node.pos > offset || offset >= node.end) return;
    // getStart skips leading trivia; a position inside the token's text is strictly after its start.
    // JSX text has no trivia: its whitespace and line breaks are the text itself.
    const start = node.kind === ts.SyntaxKind.JsxText ? node.pos : node.getStart(sf);
    if (offset <= start || offset >= node.end) return;
    switch (node.kind) {
      case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
      case ts.SyntaxKind.TemplateHead:
      case ts.SyntaxKind.TemplateMiddle:
      case ts.SyntaxKind.TemplateTail:
        ctx = 'template-sql';
        return;
      case ts.SyntaxKind.StringLiteral:
        ctx = 'string';
        return;
      case ts.SyntaxKind.JsxText:
        ctx = 'jsx-text';
        return;
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sf, visit);
  return ctx;
}

const DIRECTIVE_RE = /^(\s*)(\/\/|--|\{\/\*)\s*querylens-disable-next-line\b([^\n]*)$/;

/**
 * The "disable for this line" fix: a `querylens-disable-next-line <rule> -- <reason>`
 * comment on a new line above the finding's first line, indented like it, in
 * the comment syntax of the place it lands: `//` in code, `--` in .sql files
 * and inside SQL template literals (where `//` would become part of the SQL),
 * `{/* … *\/}` between JSX children. When the line above already holds a
 * next-line directive, the rule is added to it instead. Undefined when no
 * comment can go there (the line starts inside a multi-line string).
 */
/** What the caller already has for the file, so that N findings do not cost N line indexes and N parses. */
export interface FileShared {
  lines: LineIndex;
  tree?: ts.SourceFile;
}

export function disableLineFix(finding: Pick<Finding, 'ruleId' | 'file' | 'range' | 'estimate'>, fileText: string, shared?: FileShared): Fix | undefined {
  // Called for every finding while a file is analysed: bad input means no fix, never a throw.
  try {
    return buildDisableLineFix(finding, fileText, shared);
  } catch {
    return undefined;
  }
}

const eolOf = new WeakMap<LineIndex, string>();

function buildDisableLineFix(finding: Pick<Finding, 'ruleId' | 'file' | 'range' | 'estimate'>, fileText: string, shared?: FileShared): Fix | undefined {
  const lines = shared && shared.lines.text === fileText ? shared.lines : new LineIndex(fileText);
  const line = lines.position(finding.range.start).line;
  const lineStart = lines.lineStart(line);
  const lineText = lines.lineText(line);
  const indent = /^[ \t]*/.exec(lineText)?.[0] ?? '';
  let eol = eolOf.get(lines);
  if (eol === undefined) eolOf.set(lines, (eol = fileText.includes('\r\n') ? '\r\n' : '\n'));
  const rule = finding.ruleId;
  const title = `Disable ${rule} for this line`;

  // An existing directive right above: extend its rule list.
  if (line > 0) {
    const prev = lines.lineText(line - 1);
    const m = DIRECTIVE_RE.exec(prev);
    if (m) {
      const rest = m[3];
      const close = m[2] === '{/*' ? rest.lastIndexOf('*/') : -1;
      const body = close >= 0 ? rest.slice(0, close) : rest;
      const dd = body.indexOf('--');
      const ruleList = (dd >= 0 ? body.slice(0, dd) : body).trim();
      const ids = ruleList.split(/[,\s]+/).filter(Boolean);
      // No rule list disables every rule already; the rule is listed already: nothing to add.
      if (ids.length === 0 || ids.includes(rule)) return undefined;
      const prevStart = lines.lineStart(line - 1);
      const listEnd = prevStart + (prev.length - rest.length) + rest.indexOf(ruleList) + ruleList.length;
      return { title, safety: 'suggestion', edits: [{ file: finding.file, range: { start: listEnd, end: listEnd }, newText: `, ${rule}` }] };
    }
  }

  // What is accepted is what the fix would save, the figure the estimate's summary gives (not the query's whole cost).
  const reason = finding.estimate ? `accepted: the fix would save ≈ ${formatMs(Math.max(0, finding.estimate.currentMs - finding.estimate.fixedMs))} per call` : 'accepted';
  let context: LineContext = finding.file.endsWith('.sql') ? 'sql' : tsContextAt(finding.file, fileText, lineStart, shared?.tree);
  if (context === 'string') return undefined;
  let comment: string;
  if (context === 'sql' || context === 'template-sql') comment = `-- querylens-disable-next-line ${rule} -- ${reason}`;
  else if (context === 'jsx-text') comment = `{/* querylens-disable-next-line ${rule} -- ${reason} */}`;
  else {
    context = 'code';
    comment = `// querylens-disable-next-line ${rule} -- ${reason}`;
  }
  return {
    title,
    safety: 'suggestion',
    edits: [{ file: finding.file, range: { start: lineStart, end: lineStart }, newText: `${indent}${comment}${eol}` }],
  };
}
