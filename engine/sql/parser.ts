/**
 * The one module that talks to the SQL parser. Nothing else imports
 * `libpg-query` (test/unit/boundaries.test.ts checks this).
 *
 * libpg-query is PostgreSQL's own parser compiled to WebAssembly. It reports
 * `location`/`stmt_location`/`stmt_len` as UTF-8 byte offsets; JavaScript and
 * LSP count UTF-16 code units. We convert every location in the AST once,
 * here, so everything downstream works in UTF-16 offsets of the text that was
 * parsed.
 *
 * Why libpg-query and not pgsql-ast-parser: see README "Dependency notes" and
 * `scripts/compare-parsers.ts` (measured on real migrations).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
import * as pg from 'libpg-query';
import { LIMITS, treeShape } from '../guard';
import pgPackage from 'libpg-query/package.json';

/** The parser's package version: parse results (and so cached analyses) may differ between versions. */
export const PARSER_VERSION: string = (pgPackage as { version?: string }).version ?? 'unknown';

let ready = false;
let loading: Promise<void> | undefined;

/** Loads the WebAssembly module. Call once before any parse; later calls are free. */
export function initParser(): Promise<void> {
  if (ready) return Promise.resolve();
  loading ??= pg.loadModule().then(() => {
    ready = true;
  });
  return loading;
}

export function parserReady(): boolean {
  return ready;
}

/** A libpg-query AST node: `{ SelectStmt: {...} }`, `{ ColumnRef: {...} }`, ... */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PgNode = any;

export interface ParsedStatement {
  /** The statement node, e.g. `{ SelectStmt: {...} }`. Locations inside are UTF-16 offsets in the parsed text. */
  node: PgNode;
  /** Node type name, e.g. 'SelectStmt'. */
  type: string;
  start: number;
  end: number;
}

export interface SqlSyntaxError {
  message: string;
  /** UTF-16 offset in the parsed text where the parser stopped. */
  offset: number;
  /** The statement's own range, when the error is local to one statement of several. */
  statementStart?: number;
  statementEnd?: number;
  /** The statement parsed but exceeds one of the engine's limits (nesting, size): skipped, not wrong. */
  limit?: boolean;
}

export interface ParseOutcome {
  statements: ParsedStatement[];
  /** Statements (or the whole text) that did not parse. Empty when all is well. */
  errors: SqlSyntaxError[];
}

export interface SqlToken {
  start: number;
  end: number;
  text: string;
  /** libpg-query token name, e.g. 'IDENT', 'SCONST', 'ASCII_59' (;), keyword names like 'SELECT'. */
  name: string;
}

/** Maps UTF-8 byte offsets of `text` to UTF-16 offsets. Identity for ASCII text. */
export function byteToUtf16Mapper(text: string): (byte: number) => number {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return (b) => b;
  const byteLen = Buffer.byteLength(text, 'utf8');
  const map = new Uint32Array(byteLen + 1);
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let n: number;
    if (c < 0x80) n = 1;
    else if (c < 0x800) n = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair is 4 UTF-8 bytes for 2 UTF-16 units.
      for (let k = 0; k < 4; k++) map[b + k] = i;
      b += 4;
      i++;
      continue;
    } else n = 3;
    for (let k = 0; k < n; k++) map[b + k] = i;
    b += n;
  }
  map[byteLen] = text.length;
  return (byte) => (byte < 0 ? byte : byte >= byteLen ? text.length : map[byte]);
}

/** Converts every `location` in place; iterative, so a deeply nested statement cannot exhaust the stack. */
function convertLocations(root: PgNode, toUtf16: (b: number) => number, shift: number): void {
  const stack: PgNode[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const child of node) if (child !== null && typeof child === 'object') stack.push(child);
      continue;
    }
    for (const key of Object.keys(node)) {
      const v = node[key];
      if (key === 'location' && typeof v === 'number') node[key] = v < 0 ? v : toUtf16(v) + shift;
      else if (v !== null && typeof v === 'object') stack.push(v);
    }
  }
}

/**
 * A left-deep chain of one set operation (`a UNION ALL b UNION ALL c …`,
 * 3,000 arms in generated SQL) is re-associated into a balanced tree, arms in
 * the same left-to-right order: UNION [ALL] and INTERSECT [ALL] are
 * associative, so the statement means the same, and its depth drops from the
 * number of arms to their logarithm. Only inner nodes with nothing of their
 * own (no ORDER BY, LIMIT, WITH) are merged; EXCEPT is left alone.
 */
function balanceSetOperations(root: PgNode): void {
  const stack: PgNode[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const c of node) if (c !== null && typeof c === 'object') stack.push(c);
      continue;
    }
    const sel = node.SelectStmt;
    if (sel && (sel.op === 'SETOP_UNION' || sel.op === 'SETOP_INTERSECT')) {
      const arms: PgNode[] = [];
      const plain = (b: PgNode) => b.op === sel.op && !!b.all === !!sel.all && !b.sortClause && !b.limitCount && !b.limitOffset && !b.withClause && !b.lockingClause;
      // Collect the chain's arms left to right without recursion (larg/rarg are SelectStmt bodies, unwrapped).
      const work: PgNode[] = [sel.rarg, sel.larg];
      while (work.length) {
        const w = work.pop();
        if (w && plain(w)) work.push(w.rarg, w.larg);
        else arms.push(w);
      }
      if (arms.length > 8) {
        const build = (lo: number, hi: number): PgNode => {
          if (hi - lo === 1) return arms[lo];
          const mid = (lo + hi) >> 1;
          return { limitOption: sel.limitOption, op: sel.op, ...(sel.all ? { all: true } : {}), larg: build(lo, mid), rarg: build(mid, hi) };
        };
        const mid = arms.length >> 1;
        sel.larg = build(0, mid);
        sel.rarg = build(mid, arms.length);
      }
    }
    for (const key of Object.keys(node)) {
      const v = node[key];
      if (v !== null && typeof v === 'object') stack.push(v);
    }
  }
}

function errorOffset(e: unknown, toUtf16: (b: number) => number): number {
  const d = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
  // libpg-query 18 reports cursorPosition as a 0-based byte offset in the parsed text.
  const pos = d?.cursorPosition ?? 0;
  return pos > 0 ? toUtf16(pos) : 0;
}

/**
 * The parser's message, without the text it quotes: `syntax error at or near
 * "secret_token"` would carry a token of a file that may not be SQL at all
 * into a report (a CI annotation, SARIF). The kind of error stays; the
 * position is the problem's range.
 */
export function errorMessage(e: unknown): string {
  const m = (e instanceof Error ? e.message : String(e)).replace(/^Error:\s*/, '');
  return m
    .replace(/\s+at or near\s+"[\s\S]*$/, ' at this position')
    .replace(/"(?:[^"]|"")*"?/g, '"…"')
    .replace(/'(?:[^']|'')*'?/g, "'…'")
    .slice(0, 200);
}

/** Parses one piece of text that may hold several statements. Throws on a syntax error. */
function parseWhole(text: string, shift: number): ParsedStatement[] {
  const result = pg.parseSync(text) as { stmts?: PgNode[] };
  const toUtf16 = byteToUtf16Mapper(text);
  const out: ParsedStatement[] = [];
  for (const raw of result.stmts ?? []) {
    const byteStart: number = raw.stmt_location ?? 0;
    const byteLen: number | undefined = raw.stmt_len;
    const node = raw.stmt ?? {};
    convertLocations(node, toUtf16, shift);
    balanceSetOperations(node);
    let start = toUtf16(byteStart);
    let end = byteLen === undefined || byteLen === 0 ? text.length : toUtf16(byteStart + byteLen);
    // stmt_location includes leading whitespace/comments after the previous ';'; trim for tight ranges.
    while (start < end && /\s/.test(text[start])) start++;
    while (end > start && /\s/.test(text[end - 1])) end--;
    out.push({ node, type: Object.keys(node)[0] ?? 'Unknown', start: start + shift, end: end + shift });
  }
  return out;
}

/**
 * Parse results by SQL text. A keystroke in the editor changes one file, but
 * the file's other SQL sites keep their text: they come from here instead of
 * the parser. Outcomes are shared, so callers must treat them as read-only.
 */
const parseCache = new Map<string, ParseOutcome>();
const scanCache = new Map<string, SqlToken[]>();
const CACHE_MAX = 20000;
/**
 * Characters of SQL text each cache may hold. A parse tree or token list is
 * some 20× its text, so this bounds each cache near 80 MB however large the
 * statements (each keystroke in a 130 KB literal is a new 130 KB key).
 */
const CACHE_MAX_CHARS = 4_000_000;
const cacheChars = new WeakMap<Map<string, unknown>, number>();

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  let chars = cacheChars.get(cache) ?? 0;
  // Oldest first out (insertion order); a hit does not refresh, which keeps this O(1) per call.
  while (cache.size && (cache.size >= CACHE_MAX || chars + key.length > CACHE_MAX_CHARS)) {
    const oldest = cache.keys().next().value as string;
    cache.delete(oldest);
    chars -= oldest.length;
  }
  if (key.length <= CACHE_MAX_CHARS) {
    cache.set(key, value);
    chars += key.length;
  }
  cacheChars.set(cache, chars);
  return value;
}

/**
 * Parses SQL text (memoised by text; see parseCache). A text whose statements all parse gives them all; when one
 * does not, the text is split at top-level `;` (by PostgreSQL's own scanner, so
 * semicolons in strings, comments and dollar quotes do not count) and each
 * piece is parsed alone: good statements are kept, bad ones are reported.
 * Never throws for bad input.
 */
export function parseSql(text: string): ParseOutcome {
  if (!ready) throw new Error('SQL parser not initialised: await initParser() first');
  const hit = parseCache.get(text);
  if (hit) return hit;
  return remember(parseCache, text, withinLimits(text.length > LIMITS.sqlStatementChars * 4 ? tooLong(text) : parseUncached(text)));
}

function tooLong(text: string): ParseOutcome {
  return { statements: [], errors: [{ message: `SQL text of ${text.length} characters, over the limit of ${LIMITS.sqlStatementChars * 4}; not parsed`, offset: 0, limit: true }] };
}

/** Statements past the engine's limits (characters, nesting after balancing) become `limit` errors: skipped, reported, never walked. */
function withinLimits(out: ParseOutcome): ParseOutcome {
  const keep: ParsedStatement[] = [];
  for (const st of out.statements) {
    const chars = st.end - st.start;
    const shape = chars > LIMITS.sqlStatementChars ? { depth: 0, fromItems: 0 } : treeShape(st.node, LIMITS.sqlTreeDepth);
    if (chars > LIMITS.sqlStatementChars || shape.depth > LIMITS.sqlTreeDepth || shape.fromItems > LIMITS.sqlFromItems) {
      out.errors.push({
        message:
          chars > LIMITS.sqlStatementChars
            ? `statement of ${chars} characters, over the limit of ${LIMITS.sqlStatementChars}; skipped`
            : shape.depth > LIMITS.sqlTreeDepth
              ? `statement nested more than ${LIMITS.sqlTreeDepth} levels deep (the limit); skipped`
              : `FROM list of ${shape.fromItems} items, over the limit of ${LIMITS.sqlFromItems}; statement skipped`,
        offset: st.start,
        statementStart: st.start,
        statementEnd: st.end,
        limit: true,
      });
    } else keep.push(st);
  }
  out.statements = keep;
  return out;
}

function parseUncached(text: string): ParseOutcome {
  try {
    return { statements: parseWhole(text, 0), errors: [] };
  } catch (whole) {
    const pieces = splitStatements(text);
    if (pieces.length <= 1) {
      return { statements: [], errors: [{ message: errorMessage(whole), offset: errorOffset(whole, byteToUtf16Mapper(text)) }] };
    }
    const statements: ParsedStatement[] = [];
    const errors: SqlSyntaxError[] = [];
    for (const p of pieces) {
      const piece = text.slice(p.start, p.end);
      if (!piece.trim()) continue;
      try {
        statements.push(...parseWhole(piece, p.start));
      } catch (e) {
        let s = p.start;
        while (s < p.end && /\s/.test(text[s])) s++;
        errors.push({
          message: errorMessage(e),
          offset: p.start + errorOffset(e, byteToUtf16Mapper(piece)),
          statementStart: s,
          statementEnd: p.end,
        });
      }
    }
    return { statements, errors };
  }
}

/** Tokens of `text` with UTF-16 ranges. Returns [] when even the scanner gives up. */
export function scanSql(text: string): SqlToken[] {
  if (!ready) throw new Error('SQL parser not initialised: await initParser() first');
  return scanCache.get(text) ?? remember(scanCache, text, scanUncached(text));
}

function scanUncached(text: string): SqlToken[] {
  let res: { tokens: { start: number; end: number; text: string; tokenName: string }[] };
  try {
    res = pg.scanSync(text) as typeof res;
  } catch {
    return [];
  }
  const toUtf16 = byteToUtf16Mapper(text);
  return res.tokens.map((t) => {
    const start = toUtf16(t.start);
    const end = toUtf16(t.end);
    return { start, end, text: text.slice(start, end), name: t.tokenName };
  });
}

/** Splits at top-level semicolons using the scanner; ranges include the `;`. */
export function splitStatements(text: string): { start: number; end: number }[] {
  const tokens = scanSql(text);
  if (tokens.length === 0) return [{ start: 0, end: text.length }];
  const out: { start: number; end: number }[] = [];
  let start = 0;
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(') depth++;
    else if (t.text === ')') depth = Math.max(0, depth - 1);
    // BEGIN ... END blocks of CREATE FUNCTION bodies in SQL-standard form contain ';' too;
    // libpg-query handles those when the whole statement is parsed, and the split is only a fallback.
    else if (t.text === ';' && depth === 0) {
      out.push({ start, end: t.end });
      start = t.end;
    }
  }
  if (text.slice(start).trim()) out.push({ start, end: text.length });
  return out;
}

/** Deparse is not needed by the engine; fingerprint-like keys come from `expr.ts`. */
export const PARSER_NAME = 'libpg-query';
export const PARSER_PG_VERSION = 18;

/**
 * PostgreSQL's query fingerprint (libpg-query, the pg_query algorithm): equal for statements that
 * differ only in constants, parameter numbers, `IN` list lengths or whitespace, so a statement in
 * the code and its normalised form in pg_stat_statements match. Undefined when it does not parse.
 */
export function fingerprintSql(text: string): string | undefined {
  try {
    return pg.fingerprintSync(text);
  } catch {
    return undefined;
  }
}

/** The statement with every constant replaced by `$n` (libpg-query normalize); undefined when it does not parse. */
export function normalizeSql(text: string): string | undefined {
  try {
    return pg.normalizeSync(text);
  } catch {
    return undefined;
  }
}
