/**
 * Code the project provably never runs, for the rules that judge a query by what each execution costs
 * (`unindexed-predicate`, `over-fetching`, `n-plus-one`): a statement after an unconditional `return`/`throw` of its block,
 * or the body of a function nothing in the project references.
 *
 * "Nothing references it" is decided by name, conservatively: a class method (no decorators — a decorator is a
 * framework entry point —, no `this[expr]` dispatch in its file, and either private — `private`/`#name`: only its own
 * class calls it — or its class extending and implementing nothing — a framework may call an override or an interface
 * method by name — and, when the class is exported, its package marked `"private": true`, so no other package calls
 * it), or a function or `const` arrow that is not
 * exported, whose name occurs in no project file except as its own declaration, a reference from inside its own
 * body, another class's member of the same name, `this.<name>` inside another class with no base class, or
 * `<name>.name` (the method's name for a log line). Any other occurrence — a call, the function handed on as a
 * value, a string literal equal to the name, any mention in a file that is not TypeScript or JavaScript —
 * counts as a caller. Nothing is judged past a function declaration nested in a body (it is hoisted).
 *
 * A test helper is not judged either: a class method named as one (`testGetId`, `resetForTests`), with no decorator,
 * that no file outside the tests names, and that its doc comment says is for tests (grist-core's
 * `HomeDBManager.testGetId`, "for the purposes of unit tests only", public in an exported class of a published package,
 * so otherwise an entry point) or that a test file in the project calls (the CLI leaves test files out of the project,
 * the editor may not). Its queries run in the test suite, never in production.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { MAX_FILE_BYTES } from '../guard';
import type { ProjectServices } from '../context';
import type { Range } from '../types';
import { isTestFilePath } from '../one-off';
import { filesNaming } from './callers';
import { innermostNode, isTsLike } from './ts-ast';


const hasModifier = (n: ts.Node, kind: ts.SyntaxKind): boolean => !!ts.canHaveModifiers(n) && !!ts.getModifiers(n)?.some((m) => m.kind === kind);
const hasDecorators = (n: ts.Node): boolean => ts.canHaveDecorators(n) && !!ts.getDecorators(n)?.length;

/** An unconditional `return`/`throw` earlier in a block around `node` (callbacks written there are never created either). */
function afterExit(sf: ts.SourceFile, node: ts.Node): string | undefined {
  for (let child = node, p = node.parent; p; child = p, p = p.parent) {
    // A nested function declaration is hoisted: it may run although it is written after the exit.
    if (ts.isFunctionDeclaration(child)) return undefined;
    if (!ts.isBlock(p)) continue;
    for (const s of p.statements) {
      if (s === child) break;
      if (ts.isReturnStatement(s) || ts.isThrowStatement(s)) {
        const line = sf.getLineAndCharacterOfPosition(s.getStart(sf)).line + 1;
        return `it follows the unconditional \`${ts.isReturnStatement(s) ? 'return' : 'throw'}\` on line ${line}, so it never runs`;
      }
    }
  }
  return undefined;
}

interface Container {
  node: ts.FunctionLikeDeclaration;
  name: string;
  nameNode: ts.Node;
  label: string;
  cls?: ts.ClassDeclaration;
}

/** The innermost named function around `node` (anonymous callbacks inside it belong to it). */
function containerOf(node: ts.Node): Container | undefined {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isMethodDeclaration(n)) {
      const cls = n.parent;
      if (!ts.isClassDeclaration(cls) || !(ts.isIdentifier(n.name) || ts.isPrivateIdentifier(n.name))) return undefined;
      return { node: n, name: n.name.text, nameNode: n.name, label: `${cls.name?.text ?? 'class'}.${n.name.text}`, cls };
    }
    if (ts.isFunctionDeclaration(n)) return n.name && n.body ? { node: n, name: n.name.text, nameNode: n.name, label: n.name.text } : undefined;
    if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && ts.isVariableDeclaration(n.parent) && n.parent.initializer === n) {
      const d = n.parent;
      if (!ts.isIdentifier(d.name) || !ts.isVariableDeclarationList(d.parent) || !(d.parent.flags & ts.NodeFlags.Const)) return undefined;
      const stmt = d.parent.parent;
      if (ts.isVariableStatement(stmt) && hasModifier(stmt, ts.SyntaxKind.ExportKeyword)) return undefined;
      return { node: n, name: d.name.text, nameNode: d.name, label: d.name.text };
    }
    if (ts.isFunctionLike(n) && !ts.isArrowFunction(n) && !ts.isFunctionExpression(n)) return undefined;
    if (ts.isClassLike(n)) return undefined;
  }
  return undefined;
}

/** Whether the nearest package.json above `file` says `"private": true` (no other package may import it). */
function privatePackage(project: ProjectServices, file: string): boolean {
  for (let dir = file.slice(0, file.lastIndexOf('/')); dir; dir = dir.slice(0, dir.lastIndexOf('/'))) {
    const text = project.fileText(`${dir}/package.json`);
    if (text === undefined) continue;
    try {
      return (JSON.parse(text) as { private?: unknown }).private === true;
    } catch {
      return false;
    }
  }
  return false;
}

/** Whether the container may be run from outside what a name search sees. */
function entryPoint(project: ProjectServices, file: string, sf: ts.SourceFile, c: Container): boolean {
  if (hasModifier(c.node, ts.SyntaxKind.ExportKeyword) || hasModifier(c.node, ts.SyntaxKind.DefaultKeyword)) return true;
  if (!c.cls) return false;
  if (hasDecorators(c.node) || hasModifier(c.node, ts.SyntaxKind.AbstractKeyword)) return true;
  // `this[name]()`: a method picked at run time.
  if (/\bthis\s*\[(?!\s*['"`\d])/.test(sf.text)) return true;
  // A private method (`private` or `#name`) is called only by its own class's code: an interface or base class does not
  // name it (a framework calls `onModuleInit`, not the helper it forgot to call), nor does another package.
  if (hasModifier(c.node, ts.SyntaxKind.PrivateKeyword) || ts.isPrivateIdentifier(c.nameNode)) return false;
  if (c.cls.heritageClauses?.length) return true;
  const exported = hasModifier(c.cls, ts.SyntaxKind.ExportKeyword);
  return exported && !privatePackage(project, file);
}

/** An occurrence of the name that is not a use of this function (see the module comment). */
function notAUse(n: ts.Node, c: Container, own: { file: string; sf: ts.SourceFile }, f: string): boolean {
  const p = n.parent;
  if (f === own.file && n.pos >= c.node.pos && n.end <= c.node.end) return true;
  if ((ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isMethodSignature(p) || ts.isPropertySignature(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p)) && p.name === n) return true;
  if (ts.isPropertyAccessExpression(p) && p.name === n) {
    if (ts.isPropertyAccessExpression(p.parent) && p.parent.expression === p && p.parent.name.text === 'name') return true;
    if (c.cls && p.expression.kind === ts.SyntaxKind.ThisKeyword) {
      const cls = ts.findAncestor(p, ts.isClassLike);
      if (cls && !(f === own.file && cls.pos === c.cls.pos) && !cls.heritageClauses?.length && !ts.isClassExpression(cls)) return true;
    }
  }
  return false;
}

/**
 * Whether some project file may call the container (any occurrence of its name that is not shown harmless); `skip`
 * leaves files out of the search.
 */
function referenced(project: ProjectServices, file: string, sf: ts.SourceFile, c: Container, skip?: (f: string) => boolean): boolean {
  const files = project.projectFiles?.();
  if (!files) return true;
  const word = new RegExp(`(^|[^\\w$])${c.name.replace(/\$/g, '\\$')}(?![\\w$])`);
  // The TypeScript files that name it as a word, from the callers scan's per-name index: the others up to
  // MAX_FILE_BYTES are passed over without searching their texts again for every finding (each is still read).
  const named = filesNaming(project, files, c.name);
  for (const f of files) {
    if (skip?.(f)) continue;
    if (f !== file && isTsLike(f) && !named.has(f)) {
      const t = project.fileText(f);
      if (t === undefined || t.length <= MAX_FILE_BYTES) continue;
    }
    const text = f === file ? sf.text : project.fileText(f);
    if (text === undefined || !text.includes(c.name)) continue;
    if (text.length > MAX_FILE_BYTES) return true;
    if (!word.test(text)) continue;
    if (!isTsLike(f)) return true;
    const tree = f === file ? sf : project.tsAst(f);
    if (!tree) return true;
    let used = false;
    const visit = (n: ts.Node): void => {
      if (used) return;
      if ((ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) && n.text === c.name) {
        if (!(f === file && n === c.nameNode) && !notAUse(n, c, { file, sf }, f)) used = true;
      } else if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && n.text === c.name) used = true;
      ts.forEachChild(n, visit);
    };
    visit(tree);
    if (used) return true;
  }
  return false;
}

/** A test helper's name: `test` then a capital (`testGetId`, not `tested`), or ending in `ForTest(s)`/`ForTesting`. */
const TEST_HELPER_NAME = /^_?test[A-Z_]|[a-z0-9](ForTests?|ForTesting)$/;

/** A comment saying the code is there for tests: "for tests only", "for the purposes of unit tests only", "testing only". */
const FOR_TESTS = /\b(for|in|by) (the )?(unit )?tests?\b|\b(unit )?tests? only\b|\btesting only\b|\bonly (for|in|by) (unit )?tests?\b/i;

/** Whether the container is a test helper (see the module comment). */
function testHelper(project: ProjectServices, file: string, sf: ts.SourceFile, c: Container): boolean {
  if (!c.cls || !TEST_HELPER_NAME.test(c.name) || hasDecorators(c.node) || isTestFilePath(file)) return false;
  if (referenced(project, file, sf, c, (f) => isTestFilePath(f))) return false;
  const doc = (ts.getLeadingCommentRanges(sf.text, c.node.getFullStart()) ?? []).map((r) => sf.text.slice(r.pos, r.end)).join('\n');
  return FOR_TESTS.test(doc) || referenced(project, file, sf, c, (f) => !isTestFilePath(f));
}

/**
 * Why the code at `range` never runs, or undefined when it may (or when that cannot be shown).
 */
export function deadCodeReason(project: ProjectServices, file: string, sf: ts.SourceFile, range: Range): string | undefined {
  const node = innermostNode(sf, range.start, range.end) ?? sf;
  const after = afterExit(sf, node);
  if (after) return after;
  const c = containerOf(node);
  if (!c) return undefined;
  if (entryPoint(project, file, sf, c)) return testHelper(project, file, sf, c) ? `it is in \`${c.label}\`, a test helper only tests call` : undefined;
  return referenced(project, file, sf, c) ? undefined : `it is in \`${c.label}\`, which nothing in the project calls`;
}
