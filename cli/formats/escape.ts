/**
 * The one place output is made inert. File names, SQL identifiers and
 * messages come from the linted project, so they may hold newlines (a line
 * of its own in a CI log: `::error …` is a GitHub workflow command), terminal
 * escape sequences (ESC ] 0; … BEL sets the terminal title) or bidirectional
 * overrides (text that reads differently than it is). Every format passes
 * what it prints through one of these helpers; new formats (gitlab, html)
 * use them too.
 */

/**
 * Characters that control a terminal or a log rather than show as text:
 * C0 controls, DEL, C1 controls (U+009B is a one-character CSI in some
 * terminals), the Unicode line/paragraph separators, and bidi embeddings,
 * overrides and isolates.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

function visible(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text safe for a terminal or a log line: every control character becomes a
 * visible escape (`\n`, `\e`, `\x07`, `\u202e`); everything else is kept.
 * `keep` lists control characters the caller lays out itself (a format that
 * encodes newlines its own way).
 */
export function safeText(s: string, keep = ''): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(s)) return s;
  return s.replace(CONTROL, (c) => (keep.includes(c) ? c : visible(c)));
}

/**
 * JSON text (from JSON.stringify) with no raw control character left:
 * JSON.stringify escapes U+0000–U+001F but writes DEL, C1 controls, U+2028/9
 * and bidi controls raw. They can only occur inside strings, where a
 * `\uXXXX` escape denotes the same character: the data stays exact.
 */
export function jsonWithoutControls(json: string): string {
  // eslint-disable-next-line no-control-regex
  return json.replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * GitHub Actions workflow-command escaping (as `@actions/core` command.ts):
 * in the message `%`, `\r`, `\n` are percent-encoded (a newline stays a line
 * break of the annotation, never a new command); other control characters
 * become visible escapes.
 */
export function escapeData(s: string): string {
  return safeText(s, '\r\n').replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** In property values (file, title) `:` and `,` are percent-encoded too: they delimit properties. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * Text for HTML (element content and quoted attribute values): the five
 * markup characters become entities, and control characters visible escapes
 * as in a terminal (a bidi override in quoted code shows as `\u202e`, not as
 * reordered text; a newline in a file name as `\n`, so no line of the page
 * can pass for a CI workflow command). Tabs are kept for `<pre>`; the page
 * lays out its own line breaks.
 */
export function escapeHtml(s: string): string {
  return safeText(s, '\t').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
