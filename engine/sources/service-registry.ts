/**
 * Services a project registers under a key class and obtains by that key: dependency injection through a
 * context (`const repo = yield* OrderRepository` in a generator, with `Layer.effect(OrderRepository,
 * Effect.gen(function* () { … return { findById, … } }))` elsewhere). The value obtained is the implementation
 * registered under the key: the second argument of a call whose first argument is the key class. Found on
 * latitude-llm, whose domain reaches every repository this way (every GT N+1 there).
 *
 * Read from syntax (no library named): the files naming the key (callers.ts's per-name index), calls written
 * `f(Key, impl, …)` whose `Key` resolves to the key class. Registrations in test files do not count; of the
 * rest, when there are several (a fake in a `testing/` folder and the real one), the one in a file that imports
 * a data library's module; several of those, or none and several others: unknown.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { libraryOfModule } from '../adapters';
import type { ProjectServices } from '../context';
import { MAX_FILE_BYTES } from '../guard';
import { isTestFilePath } from '../one-off';
import { filesNaming } from './callers';
import { skipParens } from './ts-expr';

/**
 * `(Key, …` where Key is written as a class name; `registeredKeys` checks the callee's word before the parenthesis.
 * The pattern that starts at that word (`(?<![\w$])[\w$]+\s*\(…`) finds the same keys in the same order, but tries
 * every word of the text: about ten times the time on Unleash's 6,000 files (reach.ts scans every file with it).
 */
const KEY_ARGUMENT = /\(\s*([A-Z][\w$]*)\s*,/g;

/** The keys of the text's `f(Key, …` (a word, white space, the parenthesis): the cheap test a file's text passes before it is parsed (reach.ts uses it too). */
export function registeredKeys(text: string): string[] {
  const out: string[] = [];
  const re = new RegExp(KEY_ARGUMENT);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let i = m.index - 1;
    while (i >= 0 && SPACE.test(text[i])) i--;
    if (i >= 0 && isWordCode(text.charCodeAt(i))) out.push(m[1]);
  }
  return out;
}

/** One character of the regular expressions' `\s`. */
const SPACE = /^\s$/;

/** A character of the regular expressions' `[\w$]`. */
function isWordCode(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24;
}

/** A registration: the implementation expression handed with the key, in its file. */
export interface Registration {
  file: string;
  impl: ts.Expression;
}

/** What this module asks of provenance: the declaration an identifier of a file refers to. */
export type DefinitionOf = (file: string, id: ts.Identifier) => { file: string; node: ts.Node } | undefined;

const sameDecl = (a: { file: string; node: ts.Node }, b: { file: string; node: ts.Node }): boolean =>
  a.file === b.file && a.node.pos === b.node.pos && a.node.end === b.node.end;

/** The registration under key class `key` (declared in `keyFile`) the project's production code makes, or undefined. */
export function registrationOf(project: ProjectServices, key: { file: string; node: ts.ClassLikeDeclaration }, definitionOf: DefinitionOf): Registration | undefined {
  const name = key.node.name?.text;
  const files = project.projectFiles?.();
  if (!name || !files) return undefined;
  const found: Registration[] = [];
  for (const file of filesNaming(project, files, name)) {
    if (isTestFilePath(file)) continue;
    const text = project.fileText(file);
    if (text === undefined || text.length > MAX_FILE_BYTES || !writesKey(text, name)) continue;
    const sf = project.tsAst(file);
    if (!sf) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && n.arguments.length >= 2) {
        const k = n.arguments[0];
        if (ts.isIdentifier(k) && k.text === name) {
          const d = definitionOf(file, k);
          if (d && sameDecl(d, key)) found.push({ file, impl: n.arguments[1] });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  if (found.length <= 1) return found[0];
  const real = found.filter((r) => importsDataLibrary(project.tsAst(r.file)));
  return real.length === 1 ? real[0] : undefined;
}

function writesKey(text: string, name: string): boolean {
  return registeredKeys(text).includes(name);
}

function importsDataLibrary(sf: ts.SourceFile | undefined): boolean {
  return !!sf?.statements.some((st) => ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && !!libraryOfModule(st.moduleSpecifier.text));
}

/**
 * The expression of an implementation that is its value: itself, or — for a call the project does not define
 * (a library's effect or layer constructor) — the function it is handed (whose return value is the service) or
 * the object literal it is handed.
 */
export function handedImplementation(impl: ts.Expression): ts.Expression | undefined {
  const e = skipParens(impl);
  if (!ts.isCallExpression(e)) return undefined;
  const fns = e.arguments.filter((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a));
  if (fns.length === 1) return fns[0];
  const objs = e.arguments.filter(ts.isObjectLiteralExpression);
  return objs.length === 1 && fns.length === 0 ? objs[0] : undefined;
}
