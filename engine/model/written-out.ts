/**
 * Lists written out in the code: how many elements an expression can hold when the code alone bounds it, whatever
 * the data. An array literal (inline, or a `const` never grown, also imported), `Object.entries|keys|values` of an
 * object literal, a list filtered, sliced or mapped from one, `a ?? b` of two such lists, and a parameter (or a
 * property of an options parameter, also destructured) of a function whose every call in the project passes such a
 * list (engine/sources/callers.ts: all references calls, callers known). A property of the element of a loop over
 * written-out objects (`mod.windows ?? DEFAULT_WINDOWS` for `mod` of `[referrersModule, geoModule]`) is read from
 * each object literal: absent there, it is `undefined`. What a project function returns (`fixtures(id).nodes` of a
 * function returning `{ nodes: [ … ] }`) is read from its `return`s; `Array.from({ length: N })` has N elements. Anything
 * else is unknown. Pure.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import type { ProjectServices } from '../context';
import { callersOf } from '../sources/callers';
import { fileProvenance } from '../sources/provenance';
import { skipOuter } from '../sources/ts-expr';

/** How deep names, parameters and callers are followed. */
const MAX_DEPTH = 8;

interface Located {
  file: string;
  expr: ts.Expression;
}

/** A written-out list: its most elements, the elements themselves when every one is known, the function whose callers bound it. */
export interface WrittenOut {
  size: number;
  elements?: Located[];
  via?: string;
}

/** `undefined`: a property none of the objects sets (it reads as `undefined`). */
type Listed = WrittenOut | 'absent';

/** Array methods whose result has at most as many elements as their receiver; the first group keeps the elements themselves. */
const KEEPS = /^(filter|slice|sort|toSorted|reverse|toReversed)$/;
const SHRINKING = /^(filter|map|slice|sort|toSorted|reverse|toReversed|entries|keys|values)$/;

/** Where `id` is declared; for an imported name, its declaration in the exporting file. */
function declarationOf(project: ProjectServices, file: string, id: ts.Identifier): { file: string; node: ts.Node } | undefined {
  try {
    const prov = fileProvenance(project, file);
    const decl = prov.declarationOf(id);
    if (decl && (ts.isImportSpecifier(decl) || ts.isImportClause(decl))) {
      const def = prov.definitionOf(id);
      return def ? { file: def.file, node: def.node } : undefined;
    }
    return decl ? { file, node: decl } : undefined;
  } catch {
    return undefined;
  }
}

/** The block, function or file a declaration's name is visible in. */
function declarationScope(decl: ts.Node): ts.Node | undefined {
  let scope: ts.Node | undefined = decl.parent;
  while (scope && !ts.isBlock(scope) && !ts.isSourceFile(scope) && !ts.isFunctionLike(scope)) scope = scope.parent;
  return scope;
}

/** Whether an array variable is filled or replaced after its declaration (`push`, `unshift`, `splice`, `x = …`, `x[i] = …`). */
export function isGrown(decl: ts.VariableDeclaration | ts.ParameterDeclaration | ts.BindingElement, name: string): boolean {
  const scope = declarationScope(decl);
  if (!scope) return false;
  let grown = false;
  const visit = (n: ts.Node): void => {
    if (grown) return;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ts.isIdentifier(n.expression.expression) && n.expression.expression.text === name && /^(push|unshift|splice)$/.test(n.expression.name.text)) grown = true;
    else if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      let left: ts.Expression = n.left;
      if (ts.isElementAccessExpression(left)) left = left.expression;
      if (ts.isIdentifier(left) && left.text === name) grown = true;
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return grown;
}

/** Whether an object variable gets members after its declaration: `o[k] = …`, `o.p = …`, `Object.assign(o, …)`. */
function isObjectGrown(decl: ts.VariableDeclaration, name: string): boolean {
  if (isGrown(decl, name)) return true;
  const scope = declarationScope(decl);
  let grown = false;
  const visit = (n: ts.Node): void => {
    if (grown) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      const left = skipOuter(n.left);
      if (ts.isPropertyAccessExpression(left) && ts.isIdentifier(left.expression) && left.expression.text === name) grown = true;
    } else if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ts.isIdentifier(n.expression.expression) && n.expression.expression.text === 'Object' && n.expression.name.text === 'assign') {
      const target = n.arguments[0] && skipOuter(n.arguments[0]);
      if (target && ts.isIdentifier(target) && target.text === name) grown = true;
    }
    ts.forEachChild(n, visit);
  };
  if (scope) visit(scope);
  return grown;
}

const isConst = (d: ts.VariableDeclaration): boolean => ts.isVariableDeclarationList(d.parent) && !!(d.parent.flags & ts.NodeFlags.Const);

/** The larger of two lists (either may be absent); unknown when either is. */
function either(a: Listed | undefined, b: Listed | undefined): Listed | undefined {
  if (!a || !b) return undefined;
  if (a === 'absent') return b;
  if (b === 'absent') return a;
  return { size: Math.max(a.size, b.size), elements: a.elements && b.elements ? [...a.elements, ...b.elements] : undefined, via: a.via ?? b.via };
}

/** The property count of `Object.entries|keys|values(o)` when `o` is an object literal or a `const` holding one (no spreads). */
export function objectLiteralSize(project: ProjectServices, file: string, ce: ts.Expression): number | undefined {
  if (!ts.isCallExpression(ce) || ce.arguments.length !== 1 || !ts.isPropertyAccessExpression(ce.expression)) return undefined;
  const callee = ce.expression;
  if (!ts.isIdentifier(callee.expression) || callee.expression.text !== 'Object' || !/^(entries|keys|values)$/.test(callee.name.text)) return undefined;
  const o = objectLiteral(project, file, ce.arguments[0]);
  return o && !o.node.properties.some((p) => ts.isSpreadAssignment(p)) ? o.node.properties.length : undefined;
}

/** The object literal `e` is, or a `const` (also imported) holds. */
function objectLiteral(project: ProjectServices, file: string, e: ts.Expression): { file: string; node: ts.ObjectLiteralExpression } | undefined {
  let x = skipOuter(e);
  if (ts.isIdentifier(x)) {
    const d = declarationOf(project, file, x);
    if (!d || !ts.isVariableDeclaration(d.node) || !d.node.initializer || !isConst(d.node)) return undefined;
    // `const seen: Record<string, true> = {}` filled by `seen[jid] = true` in a loop holds what the loop put there.
    if (isObjectGrown(d.node, x.text)) return undefined;
    file = d.file;
    x = skipOuter(d.node.initializer);
    while (ts.isAsExpression(x) || ts.isSatisfiesExpression(x)) x = skipOuter(x.expression);
  }
  return ts.isObjectLiteralExpression(x) ? { file, node: x } : undefined;
}

/** Property `name` of a written-out object: its value as a list, `absent` when no member sets it, unknown otherwise. */
function propertyList(project: ProjectServices, file: string, obj: ts.Expression, name: string, depth: number): Listed | undefined {
  let x = skipOuter(obj);
  while (ts.isAsExpression(x) || ts.isSatisfiesExpression(x) || ts.isNonNullExpression(x)) x = skipOuter(x.expression);
  if (ts.isElementAccessExpression(x)) return lookupPropertyList(project, file, x, name, depth);
  const o = objectLiteral(project, file, obj);
  if (!o) return undefined;
  let found: Listed | undefined = 'absent';
  for (const p of o.node.properties) {
    if (ts.isSpreadAssignment(p)) return undefined;
    const key = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
    if (key === undefined) return undefined;
    if (key !== name) continue;
    if (ts.isPropertyAssignment(p)) found = list(project, o.file, p.initializer, depth + 1);
    else if (ts.isShorthandPropertyAssignment(p)) found = list(project, o.file, p.name, depth + 1);
    else return undefined;
  }
  return found;
}

/**
 * `table[key].name` of a `const table = { a: objA, b: objB }` (no spreads, never written through): whichever entry
 * the key picks, the larger of the entries' lists (OpenPipe `nodePropertiesByType[node.type].outputs`). Unknown when
 * any entry's is, or when an entry is a `const` object whose property is changed where it is declared.
 */
function lookupPropertyList(project: ProjectServices, file: string, x: ts.ElementAccessExpression, name: string, depth: number): Listed | undefined {
  const table = skipOuter(x.expression);
  if (!ts.isIdentifier(table)) return undefined;
  const d = declarationOf(project, file, table);
  if (!d || !ts.isVariableDeclaration(d.node) || !ts.isIdentifier(d.node.name) || writtenThrough(d.node, d.node.name.text)) return undefined;
  const o = objectLiteral(project, file, table);
  if (!o || o.node.properties.length === 0) return undefined;
  let out: Listed | undefined = 'absent';
  for (const p of o.node.properties) {
    const value = ts.isPropertyAssignment(p) ? p.initializer : ts.isShorthandPropertyAssignment(p) ? p.name : undefined;
    if (!value) return undefined;
    const v = skipOuter(value);
    if (ts.isIdentifier(v)) {
      const vd = declarationOf(project, o.file, v);
      if (!vd || !ts.isVariableDeclaration(vd.node) || !ts.isIdentifier(vd.node.name) || isMemberChanged(vd.node, vd.node.name.text, name, tableEntry)) return undefined;
    }
    out = either(out, propertyList(project, o.file, value, name, depth + 1));
    if (!out) return undefined;
  }
  return out;
}

/** A name that is the value of an object literal's entry (`{ Monitor: monitorProperties }`, `{ monitorProperties }`). */
const tableEntry = (id: ts.Identifier): boolean => (ts.isPropertyAssignment(id.parent) && id.parent.initializer === id) || ts.isShorthandPropertyAssignment(id.parent);

/** Whether an entry or property of the object `name` declares is assigned (`table[k] = …`, `table.k = …`) where it is visible. */
function writtenThrough(decl: ts.VariableDeclaration, name: string): boolean {
  const scope = declarationScope(decl);
  if (!scope) return true;
  let written = false;
  const visit = (n: ts.Node): void => {
    if (written) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      const left = skipOuter(n.left);
      const root = ts.isElementAccessExpression(left) || ts.isPropertyAccessExpression(left) ? skipOuter(left.expression) : left;
      if (ts.isIdentifier(root) && root.text === name) written = true;
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return written;
}

/** The lists a parameter receives (`prop`: a property of it) from every call of its function, or its default. */
function parameterList(project: ProjectServices, file: string, param: ts.ParameterDeclaration, prop: string | undefined, depth: number): Listed | undefined {
  if (param.dotDotDotToken || !ts.isFunctionLike(param.parent)) return undefined;
  const fn = param.parent as ts.SignatureDeclaration;
  const index = fn.parameters.indexOf(param);
  const calls = callersOf(project, file, fn, true);
  if (!calls) return undefined;
  let out: Listed | undefined = undefined;
  for (const { file: f, call } of calls) {
    if (call.arguments.slice(0, index + 1).some(ts.isSpreadElement)) return undefined;
    const arg = call.arguments[index];
    // An argument left out is the default, or `undefined` (`types ?? [A, B]` then reads the written-out right side).
    const got: Listed | undefined = !arg
      ? param.initializer && !prop
        ? list(project, file, param.initializer, depth + 1)
        : !param.initializer && !prop
          ? 'absent'
          : undefined
      : prop
        ? propertyList(project, f, arg, prop, depth)
        : list(project, f, arg, depth + 1);
    if (!got) return undefined;
    out = out === undefined ? got : either(out, got);
    if (!out) return undefined;
  }
  const name = ts.isFunctionDeclaration(fn) ? fn.name?.text : ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name) ? fn.parent.name.text : undefined;
  return out && out !== 'absent' ? { ...out, via: out.via ?? name } : out;
}

/** An identifier's list: a `const` never grown, a parameter, or a name destructured from a parameter. */
function identifierList(project: ProjectServices, file: string, id: ts.Identifier, depth: number): Listed | undefined {
  if (id.text === 'undefined') return 'absent';
  const d = declarationOf(project, file, id);
  if (!d) return undefined;
  const n = d.node;
  // A default import of `export default [ … ]` (speckle's `import authScopes from './scopes'`): that literal.
  if (d.file !== file && (ts.isExportAssignment(n) || ts.isArrayLiteralExpression(n))) {
    const e = ts.isExportAssignment(n) ? skipOuter(n.expression) : n;
    return ts.isArrayLiteralExpression(e) ? list(project, d.file, e, depth + 1) : undefined;
  }
  if (ts.isVariableDeclaration(n)) {
    if (!n.initializer || !isConst(n) || !ts.isIdentifier(n.name)) return undefined;
    if (isGrown(n, n.name.text)) return pushedList(project, d.file, n, n.name.text, depth);
    return list(project, d.file, n.initializer, depth + 1);
  }
  if (ts.isParameter(n)) return ts.isIdentifier(n.name) && !isGrown(n, n.name.text) ? parameterList(project, d.file, n, undefined, depth) : undefined;
  if (ts.isBindingElement(n) && !n.dotDotDotToken && ts.isObjectBindingPattern(n.parent) && ts.isIdentifier(n.name) && !isGrown(n, n.name.text)) {
    const prop = n.propertyName ? (ts.isIdentifier(n.propertyName) ? n.propertyName.text : undefined) : ts.isIdentifier(n.name) ? n.name.text : undefined;
    if (!prop || n.initializer) return undefined;
    const holder = n.parent.parent;
    // `function f({ modules })` or `const { modules } = args` with `args` a parameter.
    if (ts.isParameter(holder)) return parameterList(project, d.file, holder, prop, depth);
    if (ts.isVariableDeclaration(holder) && isConst(holder) && holder.initializer && ts.isIdentifier(skipOuter(holder.initializer))) {
      const src = declarationOf(project, d.file, skipOuter(holder.initializer) as ts.Identifier);
      if (src && ts.isParameter(src.node) && ts.isIdentifier(src.node.name)) return parameterList(project, src.file, src.node, prop, depth);
    }
  }
  return undefined;
}

/**
 * A `const xs = []` filled only by `xs.push(x)` (one element) once per pass of `for … of` loops over written-out
 * lists: at most as many elements as those passes (latitude-llm's phase1Slugs/phase2Slugs, split from the
 * constant strategy list). Any other growth (unshift, splice, an assignment to it or an element of it),
 * a push in another kind of loop or nested in a second loop: unknown.
 */
function pushedList(project: ProjectServices, file: string, decl: ts.VariableDeclaration, name: string, depth: number): Listed | undefined {
  const init = decl.initializer && skipOuter(decl.initializer);
  const scope = declarationScope(decl);
  if (!init || !ts.isArrayLiteralExpression(init) || init.elements.length || !scope) return undefined;
  let size = 0;
  let unknown = false;
  const visit = (n: ts.Node): void => {
    if (unknown) return;
    if (ts.isIdentifier(n) && n.text === name && n !== decl.name) {
      const p = n.parent;
      const method = ts.isPropertyAccessExpression(p) && p.expression === n ? p.name.text : undefined;
      if (method === 'push') {
        const call = p.parent;
        const loop = ts.isCallExpression(call) && call.expression === p && call.arguments.length === 1 && !ts.isSpreadElement(call.arguments[0]) ? passLoop(call) : undefined;
        const l = loop ? list(project, file, loop.expression, depth + 1) : undefined;
        if (!l || l === 'absent') unknown = true;
        else size += l.size;
      } else if ((method && /^(unshift|splice|fill|copyWithin)$/.test(method)) || (ts.isBinaryExpression(p) && p.left === n) || (ts.isElementAccessExpression(p) && p.expression === n && ts.isBinaryExpression(p.parent) && p.parent.left === p)) {
        unknown = true;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return unknown ? undefined : { size };
}

/** The `for … of` (not `for await`) whose pass runs `n` once: the nearest loop around it in its function. */
function passLoop(n: ts.Node): ts.ForOfStatement | undefined {
  for (let p = n.parent; p && !ts.isFunctionLike(p) && !ts.isSourceFile(p); p = p.parent) {
    if (ts.isIterationStatement(p, false)) return ts.isForOfStatement(p) && !p.awaitModifier ? p : undefined;
  }
  return undefined;
}

/**
 * What a call of a project function returns, when every `return` (or an arrow's expression body) is one of the
 * function's own expressions: `fixtures(id)` of `export default (id) => ({ nodes: [ … ] })`. Undefined when the
 * callee is not a project function or a `return` gives nothing.
 */
function returnedExpressions(project: ProjectServices, file: string, call: ts.CallExpression): Located[] | undefined {
  let fn;
  try {
    fn = fileProvenance(project, file).value(call.expression);
  } catch {
    return undefined;
  }
  if (fn?.kind !== 'function') return undefined;
  const body = (fn.node as ts.FunctionLikeDeclaration).body;
  if (!body) return undefined;
  if (!ts.isBlock(body)) return [{ file: fn.file, expr: body }];
  const out: Located[] = [];
  let bare = false;
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    if (ts.isReturnStatement(n)) {
      if (n.expression) out.push({ file: fn.file, expr: n.expression });
      else bare = true;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return bare || out.length === 0 ? undefined : out;
}

/** The larger of the lists `call`'s function returns (`pick`: a property of the returned objects). */
function returnedList(project: ProjectServices, file: string, call: ts.CallExpression, pick: string | undefined, depth: number): Listed | undefined {
  const returned = returnedExpressions(project, file, call);
  if (!returned) return undefined;
  let out: Listed | undefined;
  for (const r of returned) {
    const got = pick === undefined ? list(project, r.file, r.expr, depth + 1) : propertyList(project, r.file, r.expr, pick, depth + 1);
    out = out === undefined ? got : either(out, got);
    if (!out) return undefined;
  }
  return out;
}

/** `o.name`: of a parameter (an options object), of the element of a loop over written-out objects, of a function's returned objects. */
function memberList(project: ProjectServices, file: string, e: ts.PropertyAccessExpression, depth: number): Listed | undefined {
  const o = skipOuter(e.expression);
  if (ts.isCallExpression(o)) return returnedList(project, file, o, e.name.text, depth);
  if (!ts.isIdentifier(e.expression)) return undefined;
  const d = declarationOf(project, file, e.expression);
  if (!d) return undefined;
  const name = e.name.text;
  if (ts.isParameter(d.node) && ts.isIdentifier(d.node.name)) return parameterList(project, d.file, d.node, name, depth);
  const v = d.node;
  if (ts.isVariableDeclaration(v) && ts.isVariableDeclarationList(v.parent) && ts.isForOfStatement(v.parent.parent) && isConst(v) && ts.isIdentifier(v.name)) {
    const of = list(project, d.file, v.parent.parent.expression, depth + 1);
    if (!of || of === 'absent' || !of.elements) return undefined;
    let out: Listed | undefined = 'absent';
    for (const el of of.elements) {
      out = either(out, propertyList(project, el.file, el.expr, name, depth));
      if (!out) return undefined;
    }
    return out;
  }
  if (ts.isVariableDeclaration(v) && v.initializer && isConst(v) && ts.isIdentifier(v.name) && !isMemberChanged(v, v.name.text, name)) {
    return propertyList(project, d.file, v.initializer, name, depth);
  }
  return undefined;
}

/**
 * Whether `holder.prop` of a `const holder = { prop: [...] }` may hold something else by the time it is read: the list
 * is filled (`holder.prop.push(…)`) or replaced (`holder.prop = …`, `holder.prop[i] = …`), handed to a call that may
 * fill it, or the object itself goes anywhere but a property read (shelf.nu `const ref = { value: [] }`, pushed to later).
 */
function isMemberChanged(decl: ts.VariableDeclaration, holder: string, prop: string, allowed: (id: ts.Identifier) => boolean = () => false): boolean {
  const scope = declarationScope(decl);
  if (!scope) return true;
  let changed = false;
  const visit = (n: ts.Node): void => {
    if (changed) return;
    if (ts.isIdentifier(n) && n.text === holder && n !== decl.name && !isNameOnly(n) && !allowed(n)) changed = !readsOnly(n, prop);
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return changed;
}

/** An identifier that names a property or a declaration rather than referring to a variable. */
function isNameOnly(id: ts.Identifier): boolean {
  const p = id.parent;
  return (ts.isPropertyAccessExpression(p) && p.name === id) || (ts.isPropertyAssignment(p) && p.name === id) || (ts.isPropertySignature(p) && p.name === id);
}

/** A reference to the holder that only reads: `holder.other`, or `holder.prop` neither written, grown nor handed on. */
function readsOnly(id: ts.Identifier, prop: string): boolean {
  const pa = id.parent;
  if (!ts.isPropertyAccessExpression(pa) || pa.expression !== id) return false;
  const write = (e: ts.Node): boolean => ts.isBinaryExpression(e.parent) && e.parent.left === e && e.parent.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && e.parent.operatorToken.kind <= ts.SyntaxKind.LastAssignment;
  if (pa.name.text !== prop) return true;
  const up = pa.parent;
  if (write(pa)) return false;
  if (ts.isElementAccessExpression(up) && up.expression === pa && write(up)) return false;
  if (ts.isPropertyAccessExpression(up) && up.expression === pa && /^(push|unshift|splice|fill|copyWithin)$/.test(up.name.text)) return false;
  if ((ts.isCallExpression(up) || ts.isNewExpression(up)) && up.arguments?.includes(pa)) return false;
  return true;
}

function list(project: ProjectServices, file: string, e: ts.Expression, depth: number): Listed | undefined {
  if (depth > MAX_DEPTH) return undefined;
  let x = skipOuter(e);
  while (ts.isAsExpression(x) || ts.isSatisfiesExpression(x) || ts.isNonNullExpression(x)) x = skipOuter(x.expression);
  let keeps = true;
  while (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) && SHRINKING.test(x.expression.name.text) && !(ts.isIdentifier(x.expression.expression) && x.expression.expression.text === 'Object')) {
    keeps &&= KEEPS.test(x.expression.name.text);
    x = skipOuter(x.expression.expression);
  }
  const drop = (l: Listed | undefined): Listed | undefined => (l && l !== 'absent' && !keeps ? { size: l.size, via: l.via } : l);
  const props = objectLiteralSize(project, file, x);
  if (props !== undefined) return { size: props };
  if (ts.isArrayLiteralExpression(x)) return x.elements.some(ts.isSpreadElement) ? undefined : drop({ size: x.elements.length, elements: x.elements.map((expr) => ({ file, expr })) });
  if (ts.isBinaryExpression(x) && (x.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || x.operatorToken.kind === ts.SyntaxKind.BarBarToken)) {
    return drop(either(list(project, file, x.left, depth + 1), list(project, file, x.right, depth + 1)));
  }
  const matched = nonGlobalMatchSize(x);
  if (matched !== undefined) return { size: matched };
  if (ts.isIdentifier(x)) return drop(identifierList(project, file, x, depth));
  if (ts.isPropertyAccessExpression(x)) return drop(memberList(project, file, x, depth));
  const length = arrayOfLength(project, file, x);
  if (length !== undefined) return { size: length };
  if (ts.isCallExpression(x)) return drop(returnedList(project, file, x, undefined, depth));
  return undefined;
}

/** `Array.from({ length: N })` with N a number literal or a `const` holding one (also imported): N elements. */
function arrayOfLength(project: ProjectServices, file: string, x: ts.Expression): number | undefined {
  if (!ts.isCallExpression(x) || x.arguments.length !== 1 || !ts.isPropertyAccessExpression(x.expression)) return undefined;
  const callee = x.expression;
  if (!ts.isIdentifier(callee.expression) || callee.expression.text !== 'Array' || callee.name.text !== 'from') return undefined;
  const arg = skipOuter(x.arguments[0]);
  if (!ts.isObjectLiteralExpression(arg) || arg.properties.length !== 1) return undefined;
  const p = arg.properties[0];
  if (!p.name || !ts.isIdentifier(p.name) || p.name.text !== 'length') return undefined;
  let n: ts.Expression | undefined = ts.isPropertyAssignment(p) ? skipOuter(p.initializer) : ts.isShorthandPropertyAssignment(p) ? p.name : undefined;
  if (n && ts.isIdentifier(n)) {
    const d = declarationOf(project, file, n);
    n = d && ts.isVariableDeclaration(d.node) && isConst(d.node) && d.node.initializer ? skipOuter(d.node.initializer) : undefined;
  }
  return n && ts.isNumericLiteral(n) ? Number(n.text) : undefined;
}

/**
 * `s.match(/re/)` without the g flag: the match and its groups, at most one element more than the pattern has
 * opening parentheses (escaped or non-capturing ones only raise the bound). A global regex matches per occurrence: unknown.
 */
function nonGlobalMatchSize(x: ts.Expression): number | undefined {
  if (!ts.isCallExpression(x) || !ts.isPropertyAccessExpression(x.expression) || x.expression.name.text !== 'match' || x.arguments.length !== 1) return undefined;
  const re = skipOuter(x.arguments[0]);
  if (!ts.isRegularExpressionLiteral(re)) return undefined;
  const text = re.text;
  const slash = text.lastIndexOf('/');
  if (slash <= 0 || text.slice(slash + 1).includes('g')) return undefined;
  return 1 + (text.slice(1, slash).match(/\(/g)?.length ?? 0);
}

/** The list written out in the code that `e` is, is filtered or mapped from, or receives from every caller; undefined otherwise. */
export function writtenOut(project: ProjectServices, file: string, e: ts.Expression): WrittenOut | undefined {
  try {
    const l = list(project, file, e, 0);
    return l && l !== 'absent' ? l : undefined;
  } catch {
    return undefined;
  }
}
