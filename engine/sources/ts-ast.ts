/**
 * Parsing TypeScript with the real compiler API, one syntax tree per file
 * version. No Program and no type checker: provenance is resolved from
 * imports, constructors and declared types (see ARCHITECTURE.md), which is
 * what keeps the CLI fast.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { LIMITS, bracketDepth, isStackOverflow, noteIncident } from '../guard';
import { warmUpParser } from './parser-warmup';

/** The TypeScript package's version: syntax trees (and so cached analyses) may differ between versions. */
export const TYPESCRIPT_VERSION: string = ts.version;

/**
 * Parse options: JSDoc comments are not parsed (ParseNone) — no extractor reads them, and the parser's
 * syntax errors (parseDiagnostics) are the same either way (checked on 30,841 files of 9 corpora).
 */
const PARSE: ts.CreateSourceFileOptions = { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone };

/** A parse with the options above (the first one of a thread warms the parser up: parser-warmup.ts). */
function parse(path: string, text: string, parents: boolean): ts.SourceFile {
  warmUpParser(PARSE);
  return ts.createSourceFile(path, text, PARSE, parents, scriptKind(path));
}

const cache = new Map<string, { text: string; sf: ts.SourceFile }>();
const MAX_CACHE = 2000;

export function scriptKind(path: string): ts.ScriptKind {
  if (path.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (path.endsWith('.jsx')) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/.test(path)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

/**
 * Syntax trees of one project's files, updated incrementally when a file's
 * text changes (the editor case: ts.updateSourceFile re-parses only around the
 * edit, ≈ 3 ms instead of ≈ 15 ms for a 2,000-line file). Incremental parsing
 * reuses and shifts the old tree's nodes in place, so a TsCache belongs to one
 * Project, whose memos are single-entry per path and keyed by text.
 */
export class TsCache {
  private readonly entries = new Map<string, { text: string; sf: ts.SourceFile; tooDeep?: string }>();

  /**
   * `deep`: why files were not parsed (by path, with the text), kept when the trees are dropped and
   * shareable with another cache (Project's aside trees): a limit problem names the reason whichever
   * cache parsed the file.
   */
  constructor(readonly deep = new Map<string, { text: string; why: string }>()) {}

  /** Why the file's current text was not parsed (nested too deeply), or undefined. */
  tooDeep(path: string, text: string): string | undefined {
    const hit = this.deep.get(path);
    return hit && hit.text === text ? hit.why : undefined;
  }
  /** Characters of text whose trees are held: what the trees' memory grows with. */
  heldChars = 0;

  private put(path: string, entry: { text: string; sf: ts.SourceFile; tooDeep?: string }): void {
    this.heldChars += entry.text.length - (this.entries.get(path)?.text.length ?? 0);
    this.entries.set(path, entry);
    if (entry.tooDeep) this.deep.set(path, { text: entry.text, why: entry.tooDeep });
  }

  /** The held tree of this text (a file not parsed notes its incident again), else undefined. */
  private held(path: string, text: string): ts.SourceFile | undefined {
    const hit = this.entries.get(path);
    if (!hit || hit.text !== text) return undefined;
    if (hit.tooDeep) noteIncident(path, 'parse');
    return hit.sf;
  }

  get(path: string, text: string): ts.SourceFile {
    const held = this.held(path, text);
    if (held) return held;
    const hit = this.entries.get(path);
    const guarded = guardedParse(path, text);
    if (guarded) {
      this.put(path, guarded);
      noteIncident(path, 'parse');
      return guarded.sf;
    }
    let sf: ts.SourceFile | undefined;
    if (hit && !hit.tooDeep) {
      const old = hit.text;
      let prefix = 0;
      const max = Math.min(old.length, text.length);
      while (prefix < max && old.charCodeAt(prefix) === text.charCodeAt(prefix)) prefix++;
      let suffix = 0;
      while (suffix < max - prefix && old.charCodeAt(old.length - 1 - suffix) === text.charCodeAt(text.length - 1 - suffix)) suffix++;
      const oldSpan = old.length - prefix - suffix;
      // A small edit: re-parse around it. A rewrite: parse afresh.
      if (oldSpan < old.length / 2) {
        const range = ts.createTextChangeRange(ts.createTextSpan(prefix, oldSpan), text.length - prefix - suffix);
        try {
          sf = ts.updateSourceFile(hit.sf, text, range);
        } catch {
          sf = undefined;
        }
      }
    }
    if (!sf) {
      try {
        sf = parse(path, text, true);
      } catch (e) {
        if (!isStackOverflow(e)) throw e;
        const deep = tooDeepTree(path, 'nested too deeply for the TypeScript parser (stack limit)');
        this.put(path, { text, ...deep });
        noteIncident(path, 'parse');
        return deep.sf;
      }
    }
    this.put(path, { text, sf });
    return sf;
  }

  /**
   * A tree for one look that is not kept: the held one, else a parse without parent pointers (the parser's
   * fix-up pass is a good share of a parse), with the same limits, reasons and incidents as `get`.
   */
  transient(path: string, text: string): ts.SourceFile {
    const held = this.held(path, text);
    if (held) return held;
    let deep = guardedParse(path, text);
    if (!deep) {
      try {
        return parse(path, text, false);
      } catch (e) {
        if (!isStackOverflow(e)) throw e;
        deep = { text, ...tooDeepTree(path, 'nested too deeply for the TypeScript parser (stack limit)') };
      }
    }
    this.deep.set(path, { text, why: deep.tooDeep });
    noteIncident(path, 'parse');
    return deep.sf;
  }

  delete(path: string): void {
    this.heldChars -= this.entries.get(path)?.text.length ?? 0;
    this.entries.delete(path);
    this.deep.delete(path);
  }

  clear(): void {
    this.entries.clear();
    this.heldChars = 0;
  }
}

/** An empty tree standing for a file that is not parsed, with the reason. */
function tooDeepTree(path: string, why: string): { sf: ts.SourceFile; tooDeep: string } {
  return { sf: parse(path, '', true), tooDeep: why };
}

/** A file nested past LIMITS.tsBracketDepth is not handed to the (recursive) parser at all. */
function guardedParse(path: string, text: string): { text: string; sf: ts.SourceFile; tooDeep: string } | undefined {
  const depth = bracketDepth(text, LIMITS.tsBracketDepth);
  if (depth <= LIMITS.tsBracketDepth) return undefined;
  return { text, ...tooDeepTree(path, `brackets nested more than ${LIMITS.tsBracketDepth} deep (the limit)`) };
}

/** The syntax tree of a file, cached by path and text (a fresh parse per new text; see TsCache for incremental). */
export function tsSourceFile(path: string, text: string): ts.SourceFile {
  const hit = cache.get(path);
  if (hit && hit.text === text) return hit.sf;
  let sf: ts.SourceFile;
  try {
    sf = guardedParse(path, text)?.sf ?? parse(path, text, true);
  } catch (e) {
    if (!isStackOverflow(e)) throw e;
    sf = tooDeepTree(path, 'stack').sf;
  }
  if (cache.size >= MAX_CACHE) cache.delete(cache.keys().next().value as string);
  cache.set(path, { text, sf });
  return sf;
}

/** Syntax errors the parser recorded (a file with errors is still analysed as far as it goes). */
export function tsSyntaxErrors(sf: ts.SourceFile): { start: number; message: string }[] {
  const diags = (sf as unknown as { parseDiagnostics?: ts.Diagnostic[] }).parseDiagnostics ?? [];
  return diags.map((d) => ({ start: d.start ?? 0, message: ts.flattenDiagnosticMessageText(d.messageText, '\n') }));
}

/** The innermost node of `sf` whose text (from its start, trivia excluded) spans [start, end), or undefined. */
export function innermostNode(sf: ts.SourceFile, start: number, end: number): ts.Node | undefined {
  let best: ts.Node | undefined;
  const visit = (n: ts.Node): void => {
    // pos (where leading trivia begins) <= getStart: a sibling starting after the range is skipped without the trivia scan.
    if (n.pos > start || n.end < end) return;
    if (n.getStart(sf) <= start && n.end >= end) {
      best = n;
      ts.forEachChild(n, visit);
    }
  };
  ts.forEachChild(sf, visit);
  return best;
}

export function isTsLike(path: string): boolean {
  return /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/.test(path) && !path.endsWith('.d.ts');
}

const identifierIndexes = new WeakMap<ts.SourceFile, Map<string, ts.Identifier[]>>();

/** The identifiers of a tree spelled `name`, in the order a forEachChild walk meets them (indexed once per tree). */
export function identifiersNamed(sf: ts.SourceFile, name: string): readonly ts.Identifier[] {
  let index = identifierIndexes.get(sf);
  if (!index) {
    const built = new Map<string, ts.Identifier[]>();
    const visit = (n: ts.Node): void => {
      if (ts.isIdentifier(n)) {
        const list = built.get(n.text);
        if (list) list.push(n);
        else built.set(n.text, [n]);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    identifierIndexes.set(sf, (index = built));
  }
  return index.get(name) ?? [];
}
