/**
 * Parsing TypeScript with the real compiler API, one syntax tree per file
 * version. No Program and no type checker: provenance is resolved from
 * imports, constructors and declared types (see ARCHITECTURE.md), which is
 * what keeps the CLI fast.
 */
import * as ts from 'typescript';

const cache = new Map<string, { text: string; sf: ts.SourceFile }>();
const MAX_CACHE = 2000;

export function scriptKind(path: string): ts.ScriptKind {
  if (path.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (path.endsWith('.jsx')) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/.test(path)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

/** The syntax tree of a file, cached by path and text. */
export function tsSourceFile(path: string, text: string): ts.SourceFile {
  const hit = cache.get(path);
  if (hit && hit.text === text) return hit.sf;
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, scriptKind(path));
  if (cache.size >= MAX_CACHE) cache.delete(cache.keys().next().value as string);
  cache.set(path, { text, sf });
  return sf;
}

/** Syntax errors the parser recorded (a file with errors is still analysed as far as it goes). */
export function tsSyntaxErrors(sf: ts.SourceFile): { start: number; message: string }[] {
  const diags = (sf as unknown as { parseDiagnostics?: ts.Diagnostic[] }).parseDiagnostics ?? [];
  return diags.map((d) => ({ start: d.start ?? 0, message: ts.flattenDiagnosticMessageText(d.messageText, '\n') }));
}

export function isTsLike(path: string): boolean {
  return /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/.test(path) && !path.endsWith('.d.ts');
}
