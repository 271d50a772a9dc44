/**
 * A warm-up parse before a thread's first real one. TypeScript's scanner (`scan`, one function with a branch per
 * kind of character) and its parser are compiled by V8's optimising compiler as soon as they are hot, with the
 * type feedback of the branches run so far; a branch that a later file runs for the first time (a bigint, a JSX
 * text, a `>>>=`) throws the compiled code away, and the function is compiled again. In a cold lint of Unleash
 * (5,231 files, one thread) `scan` was compiled 13 times; V8's background threads, which a CPU profile of the main
 * thread does not show, used 3.2 s of the run's 7.3–8 s of CPU, 2.7 s of it compiling (moved onto the main thread
 * by --no-concurrent-recompilation).
 * One parse of this sample, which uses most of the language, in each script kind, gives those branches feedback
 * first: `scan` is compiled once, and the whole lint takes ≈ 7 % less CPU (`node --trace-opt`; scripts/bench-child.cjs).
 * The sample's trees are dropped, and TypeScript's parser keeps no state from one file to the next
 * (test/unit/parser-warmup.test.ts): no analysis sees it.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');

/** Syntax of every kind the scanner and parser branch on: literals of each radix, escapes, templates, regular expressions, JSX, every operator. */
export const WARM_UP_SAMPLE = [
  "#!/usr/bin/env node",
  "/* block comment */ // line comment",
  "/** doc */",
  "'use strict';",
  "import def, { a as b, type C } from './m';",
  "import * as ns from \"pkg\";",
  "export * from './x';",
  "export { b };",
  "export default function f<T extends object = {}>(x?: T, ...rest: unknown[]): T | undefined { return x; }",
  "declare module 'express' { interface Request { user?: { id: number } } }",
  "declare global { var __g: number; }",
  "namespace N.M { export const k = 1; }",
  "enum E { A = 1, B = A << 2, C = ~B, D = 'd' }",
  "const enum CE { X }",
  "abstract class K<T> extends Base implements I, J {",
  "  #priv = 0; static s?: string; private readonly r!: number; protected p: T[] = [];",
  "  @Dec() @Dec2 accessor acc = 1;",
  "  constructor(private q: number, public w = 2) { super(); }",
  "  get g(): number { return this.#priv; } set g(v) { this.#priv = v; }",
  "  static { K.s = 's'; }",
  "  async *gen(): AsyncGenerator<number> { yield* other(); yield 1; for await (const v of src) { await v; } }",
  "  abstract m(): void;",
  "  [Symbol.iterator]() { return this; }",
  "}",
  "type U = A | B & C; type F = (a: number) => void; type Ctor = new () => K<any>; type Cond<T> = T extends string ? 'y' : T extends infer R ? R : never;",
  "type M = { readonly [P in keyof T]-?: T[P] }; type Tpl = `pre${string}post`; type Tup = [a: string, b?: number, ...c: boolean[]];",
  "interface I { (x: number): string; new (x: string): I; readonly [k: string]: unknown; m?<T>(): asserts this is T; }",
  "let n1 = 0x1F, n2 = 0o17, n3 = 0b1010, n4 = 1_000_000, n5 = 1.5e-10, n6 = .5, n7 = 10n, n8 = 0xFFn, n9 = 1e+3, n10 = 08, n11 = 0.0;",
  "let s1 = 'it\\'s \\n \\t \\\\ \\u00e9 \\u{1F600} \\x41 \\0', s2 = \"dq \\\"x\\\" \\r\", s3 = `t ${a + `n ${b}`} \\` ${c}`;",
  "let s4 = `plain`, s5 = tag`x${1}y`, s6 = String.raw`\\d`;",
  "let re1 = /ab+c/gi, re2 = /[/\\]]+/u, re3 = /(?<name>x)\\k<name>/v, re4 = a / b / c;",
  "let ops = a + b - c * d / e % f ** g << h >> i >>> j & k | l ^ m && n || o ?? p;",
  "x += 1; x -= 1; x *= 1; x /= 1; x %= 1; x **= 1; x <<= 1; x >>= 1; x >>>= 1; x &= 1; x |= 1; x ^= 1; x &&= y; x ||= y; x ??= y;",
  "x++; x--; ++x; --x; !x; ~x; -x; +x; typeof x; void x; delete o.p; a === b; a !== b; a == b; a != b; a <= b; a >= b; a < b; a > b;",
  "a?.b?.[c]?.(d); a!.b; a as unknown as B; a satisfies B; new.target; import.meta.url; await import('./dyn');",
  "const { p1, p2: [q1, , q3 = 1, ...qs], ...others } = obj; const [, second] = arr;",
  "label: for (let i = 0; i < 10; i++) { if (i) continue label; else break label; }",
  "for (const k in o) {} for (const v of arr) {} while (x) { do { x--; } while (x > 0); }",
  "switch (x) { case 1: case 2: break; default: throw new Error('e'); }",
  "try { f(); } catch { g(); } finally { h(); } try { f(); } catch (e: unknown) {}",
  "const arrow = async <T,>(a: T): Promise<T> => a, arrow2 = (a) => ({ a }), arrow3 = async x => await x;",
  "function* g2() { const r = yield; } debugger; with0: ;",
  "const objLit = { a, b: 1, [c]: 2, 'd': 3, 4: 5, get e() { return 1; }, set e(v) {}, m() {}, async am() {}, *gm() {}, ...spread, __proto__: null };",
  "const el = <div className=\"c\" {...props} data-x={1} onClick={() => go()}>text &amp; {value} <Comp<string> prop /> <>frag</> <a.b.c /> <ns:tag /></div>;",
  "if (a) b(); else if (c) d(); else { e(); }",
  "var \u00fc = 1, $_ = 2, _$ = 3, \u212ex = 4, \\u0061b = 5;",
  "export = K; export as namespace Lib;",
  "@decorator class Decorated {}",
  "using res = getResource(); // using",
  "let bigObj: Record<string, () => void> = {}; let unique: unique symbol; let opt = a ? b : c;",
  "<<<<<<< HEAD",
  "=======",
  ">>>>>>> branch",
].join('\n');

let warmed = false;

/** Parses the sample once per thread (module instance), in each script kind, with the options real parses use. */
export function warmUpParser(options: ts.CreateSourceFileOptions): void {
  if (warmed) return;
  warmed = true;
  for (const kind of [ts.ScriptKind.TS, ts.ScriptKind.TSX, ts.ScriptKind.JS]) ts.createSourceFile('warm-up.tsx', WARM_UP_SAMPLE, options, true, kind);
}
