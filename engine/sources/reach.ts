/**
 * Which project files may reach a data library: the CLI's prefilter. A file none of whose imports leads to a
 * data library, a schema source or a generated client cannot hold a query site, nor call a function that runs
 * one, so its analysis needs no provenance, SQL extraction or rule (its syntax errors and suppressions are
 * still reported). Read from a cheap pass over every file (a regular expression for module specifiers, no
 * parse; it may take a specifier in a comment or a string too, which only keeps more files):
 *
 *  - seeds: `.sql` files, schema sources, files importing a library module (adapters' `modules.owns`) or a
 *    path a generated client may live at (`modules.mayBeGenerated`), files naming a method only a library's
 *    client has (`$queryRaw`: `clientByMethodName`), files too large to scan (kept: unsure);
 *  - every file importing a reaching file, by any kind of import (type-only, re-export, `require`, dynamic
 *    `import()`), resolved as provenance resolves them (relative paths, tsconfig paths, workspace packages):
 *    a client handed in through a parameter, injected or received from a framework context has a type or a
 *    creator that comes from an import;
 *  - a call through an interface runs the class that implements it (engine/sources/implementations.ts,
 *    found by name, not by import): every file declaring an interface of a name a reaching class implements
 *    (or one such an interface extends) reaches too, and so do the files importing it;
 *  - a service registered under a key class by a reaching file (`Layer.effect(Key, …)`, service-registry.ts) is
 *    what the key hands out: every file declaring a class of that name reaches, and so do its importers;
 *  - every file a reaching production file imports, transitively (withCallees): a reaching caller may hand its
 *    client to a function there through an untyped parameter.
 * When unsure the file is kept: an unresolved import is no edge, but it is no seed either only when it is no
 * library's module.
 */
import { CLIENT_METHOD_NAMES, libraryOfModule, mayBeGeneratedImport } from '../adapters';
import { MAX_FILE_BYTES } from '../guard';
import { isTestFilePath } from '../one-off';
import { EXTENDS, heritageNames, IMPLEMENTS, TYPED_OBJECT } from './implementations';
import { registeredKeys } from './service-registry';
import { isTsLike } from './ts-ast';

export interface ReachHost {
  /** The project's files (the walk's list and the given files). */
  files: readonly string[];
  text(path: string): string | undefined;
  /** A module specifier of `from` to a project file, as provenance resolves it. */
  resolve(from: string, spec: string): string | undefined;
  /** Whether a file is a schema source (by path or content). */
  schemaSource(path: string, text: string): boolean;
}

const CLIENT_METHODS = CLIENT_METHOD_NAMES.length ? new RegExp(`(?<![\\w$])(?:${CLIENT_METHOD_NAMES.map(escapeRe).join('|')})(?![\\w$])`) : undefined;

interface Scan {
  seed: boolean;
  /** Project files it imports. */
  imports: string[];
  /** Interface names its classes implement. */
  implemented: string[];
  /** Whether the text has the word `interface` at all (else it declares none). */
  interfaces: boolean;
  /** Whether the text has the word `class` at all (else it declares none). */
  classes: boolean;
  /** Key classes it registers a service under (`f(Key, impl)`: service-registry.ts). */
  registered: string[];
}

/** The files that may reach a data library (see the module comment). */
export function reachingFiles(host: ReachHost): Set<string> {
  const scans = new Map<string, Scan>();
  /** Interface name → the interfaces it extends (`interface A extends B, C`). */
  const parents = new Map<string, string[]>();
  const queue = [...host.files];
  while (queue.length) {
    const path = queue.pop()!;
    if (scans.has(path)) continue;
    const s = scan(path, host, parents);
    scans.set(path, s);
    // An import of a file the walk did not list (an ignored folder) is still followed.
    for (const f of s.imports) if (!scans.has(f)) queue.push(f);
  }
  const importers = new Map<string, string[]>();
  for (const [path, s] of scans) {
    for (const f of s.imports) {
      const list = importers.get(f);
      if (list) list.push(path);
      else importers.set(f, [path]);
    }
  }
  const live = new Set<string>();
  const names = new Set<string>();
  let fresh: string[] = [];
  const keys = new Set<string>();
  let freshKeys: string[] = [];
  const work: string[] = [];
  const mark = (p: string): void => {
    if (live.has(p)) return;
    live.add(p);
    work.push(p);
  };
  for (const [p, s] of scans) if (s.seed) mark(p);
  for (;;) {
    while (work.length) {
      const p = work.pop()!;
      for (const n of scans.get(p)?.implemented ?? []) addName(n, names, parents, fresh);
      for (const n of scans.get(p)?.registered ?? []) if (!keys.has(n)) keys.add(n), freshKeys.push(n);
      for (const q of importers.get(p) ?? []) mark(q);
    }
    if (freshKeys.length) {
      // A service a reaching file registers under a key class is what the key hands out (`yield* Key`): the
      // files declaring the class reach, and so whoever takes the key from them.
      const re = new RegExp(`(?<![\\w$])class\\s+(?:${freshKeys.map(escapeRe).join('|')})(?![\\w$])`);
      freshKeys = [];
      for (const [p, s] of scans) {
        if (!s.classes || live.has(p)) continue;
        const text = host.text(p);
        if (text !== undefined && re.test(text)) mark(p);
      }
      continue;
    }
    if (!fresh.length) break;
    // A call through an interface a reaching class implements runs that class: the files declaring the interface
    // reach, and so whoever takes the interface from them (the receiver's declared type comes through an import).
    const re = new RegExp(`(?<![\\w$])interface\\s+(?:${fresh.map(escapeRe).join('|')})(?![\\w$])`, 'g');
    fresh = [];
    for (const [p, s] of scans) {
      if (!s.interfaces || live.has(p)) continue;
      const text = host.text(p);
      if (text !== undefined && declaresMethods(text, re)) mark(p);
    }
  }
  return withCallees(live, scans);
}

/**
 * The reaching files and every file they import, transitively (from production files: a test's stand-in is not
 * what production hands in): a function there may be handed a client through an untyped or hand-typed parameter
 * by a reaching caller (provenance's clientFromCallers) and run it, although its own imports reach no library.
 * Only downwards: a file importing such a callee gets no client from it.
 */
function withCallees(live: Set<string>, scans: ReadonlyMap<string, Scan>): Set<string> {
  const out = new Set(live);
  const work = [...live].filter((p) => !isTestFilePath(p));
  while (work.length) {
    for (const f of scans.get(work.pop()!)?.imports ?? []) {
      if (out.has(f) || isTestFilePath(f)) continue;
      out.add(f);
      work.push(f);
    }
  }
  return out;
}

/**
 * Whether `text` declares an interface matched by `g` (global, `interface N`) with a method signature:
 * a call resolves to an implementing class only through one (`m(…)` in the body, not `m: () => …`).
 */
function declaresMethods(text: string, g: RegExp): boolean {
  g.lastIndex = 0;
  for (let m = g.exec(text); m; m = g.exec(text)) {
    const open = text.indexOf('{', m.index);
    if (open < 0) return true;
    let depth = 0;
    let end = text.length;
    for (let i = open; i < text.length; i++) {
      const ch = text[i];
      if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) {
        end = i;
        break;
      }
    }
    if (METHOD_SIGNATURE.test(text.slice(open + 1, end))) return true;
  }
  return false;
}

/** A method signature (`name(`, `name?(`, `name<T>(`) at the start of a member. */
const METHOD_SIGNATURE = /(?:^|[;,{\n])\s*(?:readonly\s+)?(?:\[[^\]]*\]|[\w$]+|'[^']*'|"[^"]*")\??\s*(?:<[^()]*?>)?\s*\(/;

function addName(n: string, names: Set<string>, parents: ReadonlyMap<string, string[]>, fresh: string[]): void {
  if (names.has(n)) return;
  names.add(n);
  fresh.push(n);
  for (const p of parents.get(n) ?? []) addName(p, names, parents, fresh);
}

function scan(path: string, host: ReachHost, parents: Map<string, string[]>): Scan {
  const none: Scan = { seed: false, imports: [], implemented: [], interfaces: false, registered: [], classes: false };
  const text = host.text(path);
  if (text === undefined) return none;
  const interfaces = text.includes('interface');
  const classes = text.includes('class');
  // Past MAX_FILE_BYTES a file is not scanned: it reaches (the analysis reports it skipped, or reads it whole).
  if (path.endsWith('.sql') || text.length > MAX_FILE_BYTES) return { ...none, seed: true, interfaces, classes };
  if (!isTsLike(path) && !path.endsWith('.d.ts')) return { ...none, seed: host.schemaSource(path, text), interfaces, classes };
  let seed = host.schemaSource(path, text) || (CLIENT_METHODS?.test(text) ?? false);
  const imports: string[] = [];
  for (const spec of specifiers(text)) {
    if (libraryOfModule(spec) || mayBeGeneratedImport(spec)) {
      seed = true;
      continue;
    }
    const f = host.resolve(path, spec);
    if (f && f !== path) imports.push(f);
  }
  const implemented: string[] = [];
  // An object declared with an interface as its type implements it too (`const store: InsightStore = {`).
  const obj = new RegExp(TYPED_OBJECT);
  for (let m = obj.exec(text); m; m = obj.exec(text)) implemented.push(m[2].replace(/^.*\./, ''));
  if ((interfaces || text.includes('implements')) && /\b(implements|interface)\b/.test(text)) {
    const cls = new RegExp(IMPLEMENTS);
    for (let m = cls.exec(text); m; m = cls.exec(text)) implemented.push(...heritageNames(m[2]));
    const itf = new RegExp(EXTENDS);
    for (let m = itf.exec(text); m; m = itf.exec(text)) {
      const list = parents.get(m[1]) ?? [];
      list.push(...heritageNames(m[2]));
      parents.set(m[1], list);
    }
  }
  const registered = registeredKeys(text);
  return { seed, imports, implemented, interfaces, registered, classes };
}

/** Comments and white space between a keyword and its specifier (a bundler's chunk-name comment in `import(…)`). */
const GAP = String.raw`(?:\s|\/\*[\s\S]*?\*\/|\/\/[^\n]*\n)*`;
/**
 * `from 'x'` (imports, `import type`, re-exports), `import 'x'`, `import('x')`, `require('x')` (also
 * `import x = require('x')`), `/// <reference path="x" />`.
 */
const SPECIFIER = new RegExp(String.raw`(?<![\w$.])(?:from|import|require)${GAP}(?:\(${GAP})?(['"\x60])([^'"\x60\n\\]+)\1|<reference\s+path\s*=\s*(['"])([^'"\n]+)\3`, 'g');

/** Every module specifier the text may import. */
function specifiers(text: string): Set<string> {
  const out = new Set<string>();
  SPECIFIER.lastIndex = 0;
  for (let m = SPECIFIER.exec(text); m; m = SPECIFIER.exec(text)) {
    if (m[2] !== undefined) out.add(m[2]);
    else out.add(/^\.\.?\//.test(m[4]) ? m[4] : `./${m[4]}`);
  }
  return out;
}


function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
