/**
 * Reading `querylens.config.json` text: JSONC, as VS Code users write their
 * settings (comments, trailing commas), parsed by Microsoft's `jsonc-parser`
 * (the parser of VS Code's own JSON support). Every syntax error and every
 * validation issue comes back at once, each with a 1-based line and column:
 * syntax errors where the parser noticed them, unknown keys at the key, bad
 * values at the value.
 */
import { type Node, type ParseError, ParseErrorCode, findNodeAtLocation, getNodeValue, parseTree } from 'jsonc-parser';
import { type ConfigIssue, type QuerylensConfig, defaultConfig, formatConfigPath, validateConfig } from './config';
import { LineIndex } from './text';

const SYNTAX: Record<number, string> = {
  [ParseErrorCode.InvalidSymbol]: 'unexpected character',
  [ParseErrorCode.InvalidNumberFormat]: 'invalid number',
  [ParseErrorCode.PropertyNameExpected]: 'expected a property name in double quotes',
  [ParseErrorCode.ValueExpected]: 'expected a value',
  [ParseErrorCode.ColonExpected]: 'expected ":" after the property name',
  [ParseErrorCode.CommaExpected]: 'expected "," between entries',
  [ParseErrorCode.CloseBraceExpected]: 'expected "}"',
  [ParseErrorCode.CloseBracketExpected]: 'expected "]"',
  [ParseErrorCode.EndOfFileExpected]: 'unexpected text after the configuration object',
  [ParseErrorCode.InvalidCommentToken]: 'invalid comment',
  [ParseErrorCode.UnexpectedEndOfComment]: 'unterminated /* comment',
  [ParseErrorCode.UnexpectedEndOfString]: 'unterminated string',
  [ParseErrorCode.UnexpectedEndOfNumber]: 'unterminated number',
  [ParseErrorCode.InvalidUnicode]: 'invalid \\u escape',
  [ParseErrorCode.InvalidEscapeCharacter]: 'invalid escape sequence',
  [ParseErrorCode.InvalidCharacter]: 'control character in a string (escape it, e.g. \\n)',
};

function syntaxMessage(e: ParseError, src: string): string {
  if (e.error === ParseErrorCode.ValueExpected && !src.trim()) return 'the file is empty (write {} for the defaults)';
  if (e.error === ParseErrorCode.InvalidSymbol || e.error === ParseErrorCode.EndOfFileExpected) {
    const token = src.slice(e.offset, e.offset + Math.max(1, Math.min(e.length, 20)));
    if (token.startsWith("'")) return `unexpected ${token}: strings and keys need double quotes`;
    if (/^(True|False|TRUE|FALSE|Null|NULL|None|undefined)$/.test(token)) return `unexpected "${token}" (JSON has true, false and null, in lower case)`;
    return `unexpected "${token}"`;
  }
  return SYNTAX[e.error] ?? `syntax error ${e.error}`;
}

/** The parsed text: its value, syntax errors, and a way to place validation issues. */
export interface ConfigDocument {
  /** The parsed value; undefined when the text has syntax errors. */
  raw: unknown;
  /** Syntax errors and duplicate keys, located. */
  issues: ConfigIssue[];
  /** Adds line and column to an issue found by validating `raw`. */
  locate(issue: ConfigIssue): ConfigIssue;
}

export function readConfigDocument(text: string): ConfigDocument {
  const src = text.replace(/^\uFEFF/, '');
  const lines = new LineIndex(src);
  const at = (offset: number) => {
    const p = lines.position(offset);
    return { line: p.line + 1, column: p.character + 1 };
  };
  const errors: ParseError[] = [];
  const tree = parseTree(src, errors, { allowTrailingComma: true, disallowComments: false });
  const issues: ConfigIssue[] = [];
  let lastLine = 0;
  for (const e of errors) {
    const pos = at(e.offset);
    // One error per line, and no "expected }" at the end after an earlier error: those are
    // echoes of the first (an unterminated string swallows the closing brackets).
    if (issues.length && (pos.line === lastLine || (e.offset >= src.length && (e.error === ParseErrorCode.CloseBraceExpected || e.error === ParseErrorCode.CloseBracketExpected)))) continue;
    lastLine = pos.line;
    issues.push({ path: [], key: '(syntax)', message: `invalid JSON: ${syntaxMessage(e, src)}`, at: 'value', ...pos });
  }
  if (tree) issues.push(...duplicateKeys(tree, at));
  const locate = (issue: ConfigIssue): ConfigIssue => {
    if (!tree) return issue;
    let node: Node | undefined = findNodeAtLocation(tree, issue.path);
    if (node && issue.at === 'key' && node.parent?.type === 'property') node = node.parent.children?.[0];
    return node ? { ...issue, ...at(node.offset) } : { ...issue, ...at(tree.offset) };
  };
  return { raw: errors.length || !tree ? undefined : getNodeValue(tree), issues, locate };
}

/** A key given twice in one object: JSON keeps the last silently, which hides a typo or a merge slip. */
function duplicateKeys(tree: Node, at: (offset: number) => { line: number; column: number }): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const visit = (n: Node, path: (string | number)[]) => {
    if (n.type === 'object') {
      const seen = new Set<string>();
      for (const prop of n.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (!k) continue;
        const name = String(k.value);
        if (seen.has(name)) {
          const key = formatConfigPath([...path, name]);
          out.push({ path: [...path, name], key, message: `${key}: given twice in the same object (JSON would keep only the last)`, at: 'key', ...at(k.offset) });
        }
        seen.add(name);
        if (v) visit(v, [...path, name]);
      }
    } else if (n.type === 'array') {
      (n.children ?? []).forEach((c, i) => visit(c, [...path, i]));
    }
  };
  visit(tree, []);
  return out;
}

/**
 * Parses and validates configuration text: the config (defaults where the
 * text is wrong) and every issue, in text order, each with line and column.
 */
export function parseConfigText(text: string, knownRules: readonly string[], base: QuerylensConfig = defaultConfig()): { config: QuerylensConfig; issues: ConfigIssue[] } {
  const doc = readConfigDocument(text);
  if (doc.raw === undefined && doc.issues.length) return { config: structuredClone(base), issues: doc.issues };
  const { config, issues } = validateConfig(doc.raw, knownRules, base);
  const all = [...doc.issues, ...issues.map(doc.locate)];
  all.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { config, issues: all };
}

/** `file:line:column: message` for each issue (a file name alone when there is no position). */
export function formatConfigIssues(file: string, issues: readonly ConfigIssue[]): string[] {
  return issues.map((i) => `${file}${i.line !== undefined ? `:${i.line}:${i.column}` : ''}: ${i.message}`);
}
