/**
 * Hostile input turned into problems. Analysis recurses over syntax trees;
 * a file nested deeply enough (800 parentheses, 250 nested closures, a
 * 3,000-arm UNION) exhausts the stack. The engine's documented limits catch
 * most such files before any walk (`LIMITS`); what slips through is a
 * RangeError caught by the nearest guard. Best-effort steps that swallow
 * errors ("unknown, never a crash") report the overflows they swallow here,
 * so that a helper file too deep to analyse becomes a visible `limit`
 * problem on the file that needed it instead of a silently lost finding.
 *
 * Pure and synchronous: `Project.analyze` opens a collection, the steps it
 * runs add to it, and it reads them back.
 */

/**
 * Files larger than this (in characters of text; the CLI checks bytes on disk) are skipped with a reason:
 * generated bundles, dumps. The project-wide scans (callers, dead code, implementations, the prefilter) do not
 * read past it either.
 */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

/** The engine's limits on hostile sizes; each one hit is reported as a `limit` problem. */
export const LIMITS = {
  /** Bracket nesting of a TypeScript/JavaScript file: deeper files are not parsed (the parser recurses per level). */
  tsBracketDepth: 400,
  /** Nesting of one parsed SQL statement's syntax tree (JSON levels): deeper statements are skipped. */
  sqlTreeDepth: 1500,
  /** Characters of one SQL statement: longer ones are skipped. */
  sqlStatementChars: 1_000_000,
  /** Items in one FROM list (`FROM t1, t2, …`): a generated statement past this is skipped (each pair would be a finding). */
  sqlFromItems: 1000,
} as const;

export interface Incident {
  /** The file whose text was too deep (may be a helper of the analysed file). */
  file: string;
  /** What was being done: 'parse', 'query sites', 'call graph' … */
  stage: string;
}

let current: Incident[] | undefined;

export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/**
 * Called from a catch block that turns an error into "unknown": a stack
 * overflow is recorded for the analysis under way (other errors keep their
 * best-effort meaning). Returns nothing; the caller goes on with its fallback.
 */
export function noteSwallowed(file: string | undefined, stage: string, e: unknown): void {
  if (current && file !== undefined && isStackOverflow(e)) current.push({ file, stage });
}

/** Records a limit hit directly (a file not parsed because it is nested too deeply). */
export function noteIncident(file: string, stage: string): void {
  current?.push({ file, stage });
}

/** Runs `fn` collecting the incidents it notes; nested collections also pass them to the outer one. */
export function collectIncidents<T>(fn: () => T): { value: T; incidents: Incident[] } {
  const outer = current;
  const mine: Incident[] = [];
  current = mine;
  try {
    const value = fn();
    return { value, incidents: mine };
  } finally {
    current = outer;
    if (outer && mine.length) outer.push(...mine);
  }
}

/** Replays incidents noted while a memoised value was computed, so every later reader sees them too. */
export function replayIncidents(incidents: readonly Incident[]): void {
  if (current && incidents.length) current.push(...incidents);
}

/** What bracketDepth does at an ASCII character: 0 nothing, 1 opens, 2 closes, 3 starts a string, 4 may start a comment. */
const BRACKET_CLASS = new Uint8Array(128);
for (const c of '([{') BRACKET_CLASS[c.charCodeAt(0)] = 1;
for (const c of ')]}') BRACKET_CLASS[c.charCodeAt(0)] = 2;
BRACKET_CLASS[0x27] = 3;
BRACKET_CLASS[0x22] = 3;
BRACKET_CLASS[0x2f] = 4;

/**
 * Maximum nesting of (), [] and {} in TypeScript/JavaScript text, skipping
 * strings and comments; linear, no allocation. Template literals count their
 * `${…}` holes as braces. Stops counting once `limit` is passed. Every file is
 * scanned before it is parsed: one table lookup per character, the other
 * characters (most of them) skipped at once (half the time of a comparison chain; Unleash: 64 → 32 ms).
 */
export function bracketDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const k = c < 128 ? BRACKET_CLASS[c] : 0;
    if (k === 0) continue;
    if (k === 1) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (k === 2) {
      if (depth > 0) depth--;
    } else if (k === 3) {
      // 'string' or "string": to the closing quote or the end of the line.
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === c || d === 0x0a) break;
      }
    } else if (text.charCodeAt(i + 1) === 0x2f) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl;
    } else if (text.charCodeAt(i + 1) === 0x2a) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 1;
    }
  }
  return max;
}

/**
 * Maximum nesting of a JSON-like value (a parsed SQL statement), iteratively,
 * stopping once `limit` is passed.
 */
export function treeDepth(root: unknown, limit = Infinity): number {
  return treeShape(root, limit).depth;
}

/** Nesting depth and the longest `fromClause` list of a parsed statement, in one iterative walk (stops past `depthLimit`). */
export function treeShape(root: unknown, depthLimit = Infinity): { depth: number; fromItems: number } {
  let depth = 0;
  let fromItems = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > depth) {
      depth = d;
      if (depth > depthLimit) break;
    }
    if (Array.isArray(v)) for (const x of v) stack.push([x, d + 1]);
    else {
      for (const k in v as Record<string, unknown>) {
        const x = (v as Record<string, unknown>)[k];
        if (k === 'fromClause' && Array.isArray(x) && x.length > fromItems) fromItems = x.length;
        stack.push([x, d + 1]);
      }
    }
  }
  return { depth, fromItems };
}

/** Wildcards a glob may hold: more make the matchers' regular expressions backtrack exponentially. */
export const GLOB_LIMITS = { starsPerSegment: 3, globstarSegments: 4, length: 8192 } as const;

/**
 * A glob with runs of `**` segments collapsed (`a/**\/**\/b` ≡ `a/**\/b`):
 * same meaning, one backtracking point instead of several.
 */
export function simplifyGlob(pattern: string): string {
  return pattern.replace(/(^|\/)\*\*(?:\/\*\*)+(?=\/|$)/g, '$1**');
}

/**
 * Why a glob (after `simplifyGlob`) is refused, or undefined. picomatch and
 * `ignore` compile globs to regular expressions; `*x*x**x*x*` against a
 * 60-character name, or six `**` segments against a deep path, take seconds
 * to minutes. Bounded with a reason instead.
 */
export function globTooComplex(pattern: string): string | undefined {
  if (pattern.length > GLOB_LIMITS.length) return `longer than ${GLOB_LIMITS.length} characters`;
  const segments = simplifyGlob(pattern).split('/');
  const globstars = segments.filter((s) => s === '**').length;
  if (globstars > GLOB_LIMITS.globstarSegments) return `${globstars} "**" segments (at most ${GLOB_LIMITS.globstarSegments})`;
  for (const s of segments) {
    if (s === '**') continue;
    const stars = (s.match(/\*+/g) ?? []).length;
    if (stars > GLOB_LIMITS.starsPerSegment) return `${stars} "*" wildcards in one path segment (at most ${GLOB_LIMITS.starsPerSegment})`;
  }
  return undefined;
}

/**
 * A .gitignore text with each pattern simplified and the patterns too
 * complex to match safely dropped (1-based line numbers and reasons), for
 * the `ignore` package: a .gitignore comes with the project, and a pull
 * request can add one.
 */
export function safeIgnoreText(text: string): { text: string; dropped: { line: number; why: string }[] } {
  const dropped: { line: number; why: string }[] = [];
  const lines = text.split(/\r?\n/).map((l, i) => {
    if (!l.trim() || l.startsWith('#')) return l;
    const why = globTooComplex(l);
    if (why) {
      dropped.push({ line: i + 1, why });
      return '';
    }
    return simplifyGlob(l);
  });
  return { text: lines.join('\n'), dropped };
}
