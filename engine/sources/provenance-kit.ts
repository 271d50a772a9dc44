/**
 * Shared pieces of the provenance interpreter (engine/sources/provenance.ts): the resolution context, the caches of answers computed without a cut, scope tests and small syntax helpers.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapters } from '../adapters';
import type { ProjectServices } from '../context';
import type { Library, Origin, Value } from './query-sites';
import { skipOuter } from './ts-expr';
import { collectIncidents, type Incident, replayIncidents } from '../guard';
import { collectReads, replayReads } from '../reads';

export const MAX_DEPTH = 150;

/** TypeScript's utility types whose value is a value of their first argument's type (narrowed or not). */
export const TYPE_WRAPPERS: ReadonlySet<string> = new Set(['Pick', 'Omit', 'Partial', 'Required', 'NonNullable']);

/** The adapter of a package value's library. */
export const adapterOfValue = (v: { library: Library }) => adapters[v.library];
/** Array methods that call their callback with each element (`rows.map((row) => …)`). */
export const ELEMENT_CALLBACKS = new Set(['map', 'forEach', 'flatMap', 'filter', 'some', 'every', 'find']);

export interface Ctx {
  depth: number;
  seen: Set<string>;
  /** Values of expressions already evaluated in this resolution. */
  cache: Map<string, Value | undefined>;
  /** How many times a cycle or the depth bound cut an evaluation short in this resolution. */
  cuts: number;
  /** `cache` keys whose value was computed with a cut inside (reading one is a cut too). */
  cutKeys: Set<string>;
}

export type ExportEntry =
  | { kind: 'decl'; node: ts.Node }
  | { kind: 'expr'; node: ts.Expression }
  | { kind: 'local'; name: string; at: ts.Node }
  | { kind: 'reexport'; spec: string; name: string }
  | { kind: 'namespace'; spec: string };

/** Exports that may name what the text does not: re-exports, `export =`/`export default` and CommonJS objects (spreads). */
export const INDIRECT_EXPORT = /\bexport\s*(?:\*|=|default\b)|\bmodule\.exports\b|\bexports\s*\./;

/**
 * Whether a project file can export `name` at all: its text contains the name, or it exports
 * indirectly. A barrel's `export *` list is searched one module at a time; this test spares parsing
 * the modules that cannot hold the name (the answer is the same: such a module exports nothing of
 * that name).
 */
export function mayExport(project: ProjectServices, file: string, name: string): boolean {
  const text = project.fileText(file);
  return text === undefined || name === 'default' || text.includes(name) || exportsIndirectly(project, file, text);
}

/**
 * INDIRECT_EXPORT's answer, kept per project and file for the text it was asked of: it depends on the text only, and
 * mayExport asks it of the same modules for every name a barrel's `export *` is searched for (Unleash: 1.4 % of a
 * cold lint's samples went to this pattern, each a scan of a whole text).
 */
const indirectExports = new WeakMap<ProjectServices, Map<string, { text: string; indirect: boolean }>>();

function exportsIndirectly(project: ProjectServices, file: string, text: string): boolean {
  let known = indirectExports.get(project);
  if (!known) indirectExports.set(project, (known = new Map()));
  const hit = known.get(file);
  if (hit && hit.text === text) return hit.indirect;
  const indirect = INDIRECT_EXPORT.test(text);
  known.set(file, { text, indirect });
  return indirect;
}

export function nodeOrigin(file: string, n: ts.Node): Origin {
  return { file, range: { start: n.getStart(), end: n.end } };
}

/** `this` inside a static method of a named class: that class's name (`static create() { getRepository(this) }`). */
export function staticThisClass(x: ts.Expression): string | undefined {
  if (x.kind !== ts.SyntaxKind.ThisKeyword) return undefined;
  let f: ts.Node | undefined = x.parent;
  while (f && (!isFunctionLike(f) || ts.isArrowFunction(f))) f = f.parent;
  if (!f || !ts.isMethodDeclaration(f) || !ts.getModifiers(f)?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) return undefined;
  return ts.isClassDeclaration(f.parent) ? f.parent.name?.text : undefined;
}

export function isFunctionLike(n: ts.Node): boolean {
  return (
    ts.isFunctionDeclaration(n) ||
    ts.isFunctionExpression(n) ||
    ts.isArrowFunction(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isConstructorDeclaration(n) ||
    ts.isGetAccessorDeclaration(n) ||
    ts.isSetAccessorDeclaration(n)
  );
}

export function isBlockScope(n: ts.Node): boolean {
  return (
    ts.isSourceFile(n) ||
    ts.isBlock(n) ||
    ts.isModuleBlock(n) ||
    ts.isCaseBlock(n) ||
    ts.isForStatement(n) ||
    ts.isForInStatement(n) ||
    ts.isForOfStatement(n) ||
    ts.isCatchClause(n) ||
    isFunctionLike(n) ||
    ts.isClassStaticBlockDeclaration(n)
  );
}

/** A value computed without a cut, with what computing it read. */
export interface Lasting<T> {
  v: T;
  reads: string[];
}

/**
 * `compute`'s value from `table`, or computed and kept there when no cut happened while computing it
 * (then any resolution would compute the same: see FileProv.exportValues). A hit replays the reads.
 */
export function lasting<K, T>(kept: Set<string>, table: Map<K, Lasting<T>>, key: K, c: Ctx, compute: () => T): T {
  const known = table.get(key);
  if (known) {
    replayReads(known.reads);
    return known.v;
  }
  const cuts = c.cuts;
  const { value: v, reads } = collectReads(compute);
  if (c.cuts === cuts) {
    table.set(key, { v, reads });
    for (const r of reads) kept.add(r);
  }
  return v;
}

/** A top-level answer, with what computing it read and the limits it met (see FileProv.values). */
export interface Answer<T> extends Lasting<T> {
  incidents: Incident[];
}

/** `compute`'s answer from `table`, or computed and kept; a hit replays the reads and the incidents. A throw is not kept. */
export function answered<K, T>(kept: Set<string>, table: Map<K, Answer<T>>, key: K, compute: () => T): T {
  const known = table.get(key);
  if (known) {
    replayReads(known.reads);
    replayIncidents(known.incidents);
    return known.v;
  }
  const {
    value: { value: v, incidents },
    reads,
  } = collectReads(() => collectIncidents(compute));
  table.set(key, { v, reads, incidents });
  for (const r of reads) kept.add(r);
  return v;
}

/** A short key per project path for the resolution keys below (one per path for the process: the same path, the same key). */
export const pathKeys = new Map<string, string>();
export function pathKeyOf(path: string): string {
  let k = pathKeys.get(path);
  if (k === undefined) pathKeys.set(path, (k = `#${pathKeys.size}`));
  return k;
}

/** Whether a type argument names a type parameter declared around `at` (a function's, a class's, an interface's). */
export function typeParameterInScope(arg: ts.TypeNode, at: ts.Node): boolean {
  if (!ts.isTypeReferenceNode(arg) || !ts.isIdentifier(arg.typeName) || arg.typeArguments) return false;
  const name = arg.typeName.text;
  for (let n: ts.Node | undefined = at; n; n = n.parent) {
    const tps = (n as { typeParameters?: ts.NodeArray<ts.TypeParameterDeclaration> }).typeParameters;
    if (tps?.some((tp) => tp.name.text === name)) return true;
  }
  return false;
}

/** The expression of the first `return` of a function body (not of functions nested in it). */
export function firstReturn(body: ts.Block): ts.Expression | undefined {
  let found: ts.Expression | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isReturnStatement(n) && n.expression) {
      found = n.expression;
      return;
    }
    if (isFunctionLike(n) || ts.isClassLike(n)) return;
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/** `this.<name> = …`. */
export function assignsThis(n: ts.Node, name: string): n is ts.BinaryExpression {
  if (!ts.isBinaryExpression(n) || n.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return false;
  const l = n.left;
  return ts.isPropertyAccessExpression(l) && l.expression.kind === ts.SyntaxKind.ThisKeyword && l.name.text === name;
}

/** `Omit<T, K>`, `Pick<T, K>`, `Partial<T>`, `Required<T>`, `Readonly<T>`, `NonNullable<T>`: the wrapped type and the keys. */
export function utilityWrapper(t: ts.Node): { id: ts.Identifier; inner: ts.TypeNode; keys?: ts.TypeNode } | undefined {
  // A type reference, or the same in an `extends` clause (`interface A extends Omit<B, 'x'>`).
  const id = ts.isTypeReferenceNode(t) ? t.typeName : ts.isExpressionWithTypeArguments(t) ? t.expression : undefined;
  const args = ts.isTypeReferenceNode(t) || ts.isExpressionWithTypeArguments(t) ? t.typeArguments : undefined;
  if (!id || !ts.isIdentifier(id) || !args?.length) return undefined;
  if (!/^(Omit|Pick|Partial|Required|Readonly|NonNullable)$/.test(id.text)) return undefined;
  return { id, inner: args[0], keys: args[1] };
}

/** The string literal keys of `'a' | 'b'`. */
export function literalKeys(t: ts.TypeNode): string[] {
  if (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)) return [t.literal.text];
  if (ts.isUnionTypeNode(t)) return t.types.flatMap(literalKeys);
  return [];
}

/** `Promise<T>` → `T`. */
export function unwrapPromise(t: ts.TypeNode): ts.TypeNode {
  if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && (t.typeName.text === 'Promise' || t.typeName.text === 'PromiseLike') && t.typeArguments?.[0]) return t.typeArguments[0];
  return t;
}

export function newCtx(): Ctx {
  return { depth: 0, seen: new Set(), cache: new Map(), cuts: 0, cutKeys: new Set() };
}

export function propName(n: ts.PropertyName | ts.BindingName): string | undefined {
  if (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n) || ts.isPrivateIdentifier(n)) return n.text;
  return undefined;
}

export function moduleSpecOf(d: ts.ImportSpecifier | ts.ImportClause | ts.NamespaceImport): string | undefined {
  let n: ts.Node = d;
  while (n && !ts.isImportDeclaration(n)) n = n.parent;
  if (!n) return undefined;
  const s = (n as ts.ImportDeclaration).moduleSpecifier;
  return ts.isStringLiteral(s) ? s.text : undefined;
}

export function leftmost(n: ts.EntityName): ts.Identifier {
  while (ts.isQualifiedName(n)) n = n.left;
  return n;
}

export function rightParts(n: ts.EntityName): string[] {
  const out: string[] = [];
  while (ts.isQualifiedName(n)) {
    out.unshift(n.right.text);
    n = n.left;
  }
  return out;
}

/** A type that says nothing of its value: `any`, `unknown`. */
export function isUntyped(t: ts.TypeNode): boolean {
  return t.kind === ts.SyntaxKind.AnyKeyword || t.kind === ts.SyntaxKind.UnknownKeyword;
}

/** Member `prop` of a parameter's type says nothing: the type is `any`/`unknown`, or a literal declaring it so or without a type. */
export function untypedMember(t: ts.TypeNode, prop: string): boolean {
  if (isUntyped(t)) return true;
  if (!ts.isTypeLiteralNode(t)) return false;
  const m = t.members.find((x) => ts.isPropertySignature(x) && x.name && propName(x.name) === prop);
  return !!m && ts.isPropertySignature(m) && (!m.type || isUntyped(m.type));
}

/** The expression an object literal argument gives property `prop` (`{ tx }`, `{ tx: trx }`); none for anything else. */
export function propertyOfLiteral(arg: ts.Expression, prop: string): ts.Expression | undefined {
  const o = skipOuter(arg);
  if (!ts.isObjectLiteralExpression(o)) return undefined;
  let out: ts.Expression | undefined;
  for (const p of o.properties) {
    if (ts.isSpreadAssignment(p)) return undefined;
    const key = p.name ? propName(p.name) : undefined;
    if (key === undefined) return undefined;
    if (key !== prop) continue;
    if (ts.isPropertyAssignment(p)) out = p.initializer;
    else if (ts.isShorthandPropertyAssignment(p)) out = p.name;
    else return undefined;
  }
  return out;
}
