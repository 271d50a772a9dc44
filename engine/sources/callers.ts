/**
 * Every call of a project function in the project, when every reference to it is a call that resolves to it:
 * what a caller passes is then all the function ever receives (engine/model/written-out.ts bounds a loop over a
 * parameter by the lists its callers write out). Any other reference — the function handed on as a value, an
 * unresolved call of its name, a renamed import or export, a default export — means callers this file cannot
 * see: undefined. An exported function nothing in the project calls is undefined too (its callers are elsewhere).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { MAX_FILE_BYTES } from '../guard';
import type { ProjectServices } from '../context';
import { isolatedReads, namesWord, namingRead, noteRead, wordPattern } from '../reads';
import type { Range } from '../types';
import { findNode, resolveCallee } from './call-graph';
import { fileProvenance } from './provenance';
import { identifiersNamed, isTsLike } from './ts-ast';
import { skipOuter } from './ts-expr';

/** Past this many files naming the function, its callers are not read (a name that common is not one function's). */
const MAX_NAMING_FILES = 40;

/** The name a function is called by: a function declaration's, or the `const` an arrow or function expression initialises. */
function functionName(fn: ts.SignatureDeclaration, methods: boolean): ts.Identifier | undefined {
  if (ts.isFunctionDeclaration(fn)) return fn.name;
  // A class method, called as `this.m(…)`/`this.svc.m(…)`: each call of that name must resolve to it (resolveCallee).
  if (methods && ts.isMethodDeclaration(fn) && ts.isIdentifier(fn.name) && ts.isClassLike(fn.parent)) return fn.name;
  if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isVariableDeclaration(fn.parent) && fn.parent.initializer === fn && ts.isIdentifier(fn.parent.name)) {
    return fn.parent.parent.flags & ts.NodeFlags.Const ? fn.parent.name : undefined;
  }
  return undefined;
}

const isOurs = (target: { file: string; node: ts.Node } | undefined, file: string, fn: ts.Node): boolean => !!target && target.file === file && target.node.pos === fn.pos && target.node.end === fn.end;

/** A name in a position that is not a reference (a property, member or label of the same spelling) or a type query. */
function notAReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isPropertySignature(p) || ts.isMethodDeclaration(p) || ts.isMethodSignature(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p) || ts.isEnumMember(p)) && p.name === id) return true;
  if (ts.isTypeQueryNode(p) || ts.isQualifiedName(p) || ts.isTypeReferenceNode(p)) return true;
  return ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p);
}

/**
 * Per list of project files (Project.projectFiles gives a new array whenever a file or the file set changed), the
 * TypeScript files' texts, and per name the files whose text has it as a word: a function's callers are read
 * once per name and file set, not once per function asked about, and the list of texts is not rebuilt each time.
 */
const namingIndex = new WeakMap<readonly string[], { texts: [string, string][]; sketches?: Int32Array[]; byName: Map<string, ReadonlySet<string>> }>();

/**
 * A text's three-character sequences, hashed into SKETCH_BITS bits: a name one of whose sequences is missing
 * cannot be in the text, so its search is spared (a set bit may stand for another sequence of the same hash: the
 * search decides then, and the answer is the search's). On Unleash (6,015 code files, 15 MB; 52 names asked) the
 * 52 searches of every text took 410 ms; building the sketches takes 45 ms and asking them 30 ms, leaving about
 * 650 texts to search. Memory: 1 KB a file. Built once a third name is asked (two plain searches cost less).
 */
const SKETCH_BITS = 8192;

const trigramBit = (a: number, b: number, c: number): number => Math.imul(a * 961 + b * 31 + c, 0x9e3779b1) >>> 19;

function sketchOf(text: string): Int32Array {
  const bits = new Int32Array(SKETCH_BITS >> 5);
  let a = text.charCodeAt(0);
  let b = text.charCodeAt(1);
  for (let i = 2; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const h = trigramBit(a, b, c);
    bits[h >>> 5] |= 1 << (h & 31);
    a = b;
    b = c;
  }
  return bits;
}

/** Whether the sketched text may contain `name` (false: it certainly does not). */
function mayContain(bits: Int32Array, name: string): boolean {
  for (let i = 2; i < name.length; i++) {
    const h = trigramBit(name.charCodeAt(i - 2), name.charCodeAt(i - 1), name.charCodeAt(i));
    if (!(bits[h >>> 5] & (1 << (h & 31)))) return false;
  }
  return true;
}

/**
 * The project files (TypeScript, not declarations, at most MAX_FILE_BYTES) whose text names `name` as a word
 * (the callers scan's, and dead-code.ts's `referenced`: one scan of the texts per name).
 */
export function filesNaming(project: ProjectServices, files: readonly string[], name: string): ReadonlySet<string> {
  // The answer depends on which files name it: one entry for that set (engine/reads.ts), not every path.
  noteRead(namingRead(name));
  let index = namingIndex.get(files);
  if (!index) {
    const texts: [string, string][] = [];
    isolatedReads(() => {
      for (const f of files) {
        if (!isTsLike(f)) continue;
        const t = project.fileText(f);
        if (t !== undefined && t.length <= MAX_FILE_BYTES) texts.push([f, t]);
      }
    });
    index = { texts, byName: new Map() };
    namingIndex.set(files, index);
  }
  let hit = index.byName.get(name);
  if (!hit) {
    const { texts } = index;
    const sketches = index.byName.size >= 2 ? (index.sketches ??= texts.map(([, t]) => sketchOf(t))) : undefined;
    const named = new Set<string>();
    const word = wordPattern(name);
    for (let i = 0; i < texts.length; i++) if ((!sketches || mayContain(sketches[i], name)) && namesWord(texts[i][1], name, word)) named.add(texts[i][0]);
    index.byName.set(name, (hit = named));
  }
  return hit;
}

function scan(project: ProjectServices, file: string, fn: ts.SignatureDeclaration, name: ts.Identifier): { file: string; range: Range }[] | undefined {
  const files = project.projectFiles?.() ?? [file];
  const named = filesNaming(project, files, name.text);
  const naming = files.filter((f) => f === file || named.has(f));
  if (!naming.includes(file)) naming.unshift(file);
  if (naming.length > MAX_NAMING_FILES) {
    // The verdict rests on how many files name it: one that stops naming it may change it (a read of it says so).
    for (const f of naming) noteRead(f);
    return undefined;
  }
  const calls: { file: string; range: Range }[] = [];
  for (const f of naming) {
    const sf = project.tsAst(f);
    if (!sf) return undefined;
    const prov = fileProvenance(project, f);
    let unknown = false;
    for (const n of identifiersNamed(sf, name.text)) {
      if (unknown) break;
      if (!(f === file && n.pos === name.pos && n.end === name.end) && !notAReference(n)) {
        const p = n.parent;
        // `import { f }`, `export { f }` keep the name; `import { f as g }`, `export { f as g }`, `export default f` rename it.
        if (ts.isImportSpecifier(p) || ts.isExportSpecifier(p)) {
          // A rename of this function hides its callers; a renamed import of another module's function of the same
          // name (`import { deleteWorkspaceFactory as repoDeleteWorkspaceFactory } from './repositories'`) is not it.
          if (p.propertyName && p.propertyName.getText(sf) !== p.name.getText(sf)) {
            const def = ts.isImportSpecifier(p) ? prov.definitionOf(p.name) : undefined;
            if (!def || def.file === file) unknown = true;
          }
        } else if (ts.isImportClause(p) || ts.isNamespaceImport(p)) {
          // A default import of the name: the module's default export, not this function (that is read where it is exported).
        } else if (ts.isExportAssignment(p)) {
          unknown = true;
        } else if (ts.isPropertyAccessExpression(p) && p.name === n) {
          // `ns.f(…)` through a namespace import, or an unrelated member of the same name.
          const call = ts.isCallExpression(p.parent) && p.parent.expression === p ? p.parent : undefined;
          const target = call ? resolveCallee(project, f, call) : undefined;
          if (call && isOurs(target, file, fn)) calls.push({ file: f, range: { start: call.getStart(sf), end: call.end } });
          else if (!target) unknown = true;
        } else {
          const def = prov.definitionOf(n);
          const call = ts.isCallExpression(p) && p.expression === n ? p : undefined;
          // The definition's function (a `const f = () => …` is its initializer) against ours.
          const defined = def && (ts.isVariableDeclaration(def.node) && def.node.initializer ? skipOuter(def.node.initializer) : def.node);
          if (def && defined && !isOurs({ file: def.file, node: defined }, file, fn)) {
            // Another declaration of the same name.
          } else if (call && isOurs(resolveCallee(project, f, call), file, fn)) {
            calls.push({ file: f, range: { start: call.getStart(sf), end: call.end } });
          } else {
            unknown = true;
          }
        }
      }
    }
    if (unknown) return undefined;
  }
  return calls.length ? calls : undefined;
}

/**
 * The calls of a private method (`private m()`, `#m()`) inside its class: `x.m(…)` is the only reference that
 * counts; any other mention of the name in the class (`this.m` handed on, `this['m']`) means callers we cannot
 * list. TypeScript keeps a private member out of reach of code outside its class.
 */
export function privateMethodCallers(fn: ts.MethodDeclaration): ts.CallExpression[] | undefined {
  const cls = fn.parent;
  const isPrivate = ts.isPrivateIdentifier(fn.name) || !!ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword);
  if (!isPrivate || !ts.isClassLike(cls) || !(ts.isIdentifier(fn.name) || ts.isPrivateIdentifier(fn.name))) return undefined;
  const name = fn.name.text;
  const calls: ts.CallExpression[] = [];
  let unknown = false;
  const visit = (n: ts.Node): void => {
    if (unknown) return;
    if ((ts.isIdentifier(n) || ts.isPrivateIdentifier(n) || ts.isStringLiteralLike(n)) && n.text === name && n !== fn.name) {
      const p = n.parent;
      if (ts.isPropertyAccessExpression(p) && p.name === n && ts.isCallExpression(p.parent) && p.parent.expression === p) calls.push(p.parent);
      else if (ts.isPropertyAccessExpression(p) && p.name === n) unknown = true;
      else if (ts.isElementAccessExpression(p) || ((ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p)) && p.name === n)) unknown = true;
    }
    ts.forEachChild(n, visit);
  };
  visit(cls);
  return unknown || !calls.length ? undefined : calls;
}

/** Every call of `fn` (a named function of `file`) in the project, or undefined when some reference is not a call of it. */
export function callersOf(project: ProjectServices, file: string, fn: ts.SignatureDeclaration, methods = false): { file: string; call: ts.CallExpression }[] | undefined {
  const name = functionName(fn, methods);
  if (!name) return undefined;
  const files = project.projectFiles?.();
  const own = project.fileText(file) ?? '';
  const found = project.memo(`callers:${file}:${fn.pos}:${name.text}`, `${files?.length ?? 0}:${own}`, () => {
    try {
      return scan(project, file, fn, name);
    } catch {
      return undefined;
    }
  });
  if (!found) return undefined;
  const out: { file: string; call: ts.CallExpression }[] = [];
  for (const c of found) {
    const sf = project.tsAst(c.file);
    const node = sf ? findNode(sf, c.range) : undefined;
    if (!node || !ts.isCallExpression(node)) return undefined;
    out.push({ file: c.file, call: node });
  }
  return out;
}
