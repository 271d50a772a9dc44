/**
 * Memoised loads: a call that runs only while a slot is still empty and whose result is stored there
 * (`let e = cache[id]; if (!e) { e = await load(id); cache[id] = e }`, `if (this.ids === undefined)
 * this.ids = await …`, `x ??= await …`, `if (flag === null) flag = await check()` with `flag` declared
 * before the loop): once per key, or once, not once per element or per call.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { skipOuter } from './ts-expr';
import { containsNode } from './iteration';

/** An expression's text without whitespace: the key slots and buffers are compared by. */
export const squash = (t: string): string => t.replace(/\s+/g, '');

/** Whether `node` runs only to fill an empty slot that outlives `stop` (a loop body, a helper's function). */
export function memoised(node: ts.Node, stop: ts.Node): boolean {
  const isStore = (e: ts.Expression): boolean => storeSlot(e, stop);
  for (let n: ts.Node = node; n.parent && n !== stop; n = n.parent) {
    const p = n.parent;
    if (ts.isBinaryExpression(p) && p.right === n && p.operatorToken.kind === ts.SyntaxKind.QuestionQuestionEqualsToken && isStore(p.left)) return true;
    if (ts.isIfStatement(p) && p.thenStatement === n) {
      const key = emptinessTest(p.expression, isStore);
      if (key && storesInto(p.thenStatement, key, isStore)) return true;
    }
  }
  return false;
}

/**
 * A field, element or map entry, or a variable declared outside `stop` (it keeps its value from one
 * element, or one call, to the next) — not a local that dies with the iteration.
 */
function storeSlot(e: ts.Expression, stop: ts.Node): boolean {
  e = skipOuter(e);
  // `cache[id]`, `this.ids`: a slot of an object that outlives `stop` (a map made inside the helper dies with each call).
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
    let root: ts.Expression = e;
    while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) root = skipOuter(root.expression);
    if (!ts.isIdentifier(root)) return true;
    const d = declarationAbove(root, true);
    return !d || outside(d, stop);
  }
  if (!ts.isIdentifier(e)) return false;
  const d = declarationAbove(e, false);
  return !!d && outside(d, stop);
}

export const outside = (d: ts.Node, stop: ts.Node): boolean => d.getEnd() <= stop.getStart() || d.getStart() >= stop.getEnd();

/** The variable declaration an identifier names (only `let` ones unless `anyKind`), found by walking the enclosing blocks. */
export function declarationAbove(id: ts.Identifier, anyKind: boolean): ts.VariableDeclaration | undefined {
  for (let s: ts.Node | undefined = id.parent; s; s = s.parent) {
    if (!ts.isBlock(s) && !ts.isSourceFile(s)) continue;
    for (const st of s.statements) {
      if (!ts.isVariableStatement(st) || !(anyKind || st.declarationList.flags & ts.NodeFlags.Let)) continue;
      const d = st.declarationList.declarations.find((x) => ts.isIdentifier(x.name) && x.name.text === id.text);
      if (d) return d;
    }
  }
  return undefined;
}

/** The texts naming the slot an `if` tests for emptiness: `!x`, `x === undefined`, `x == null`, `!m.has(k)`. */
function emptinessTest(cond: ts.Expression, isStore: (e: ts.Expression) => boolean): string[] | undefined {
  const c = skipOuter(cond);
  let tested: ts.Expression | undefined;
  if (ts.isPrefixUnaryExpression(c) && c.operator === ts.SyntaxKind.ExclamationToken) tested = skipOuter(c.operand);
  else if (ts.isBinaryExpression(c) && /^(===|==)$/.test(c.operatorToken.getText()) && /^(undefined|null)$/.test(c.right.getText())) tested = skipOuter(c.left);
  if (!tested) return undefined;
  // `!m.has(k)`: the slot is `m.set(k, …)`'s.
  if (ts.isCallExpression(tested) && ts.isPropertyAccessExpression(tested.expression) && tested.expression.name.text === 'has') return [`${tested.expression.expression.getText()}.set`];
  const keys = [squash(tested.getText())];
  // `let e = cache[id]; if (!e)`: the slot `cache[id]`.
  if (ts.isIdentifier(tested)) {
    let scopeNode: ts.Node | undefined = cond.parent;
    while (scopeNode && !ts.isBlock(scopeNode) && !ts.isSourceFile(scopeNode)) scopeNode = scopeNode.parent;
    const decl = scopeNode && ts.isBlock(scopeNode) ? scopeNode.statements.flatMap((st) => (ts.isVariableStatement(st) ? [...st.declarationList.declarations] : [])).find((d) => ts.isIdentifier(d.name) && d.name.text === tested.getText()) : undefined;
    const init = decl?.initializer && skipOuter(decl.initializer);
    if (init && isStore(init)) keys.push(squash(init.getText()));
    else if (init && ts.isCallExpression(init) && ts.isPropertyAccessExpression(init.expression) && init.expression.name.text === 'get') keys.push(`${squash(init.expression.expression.getText())}.set`);
    else return keys.length && isStore(tested) ? keys : undefined;
  } else if (!isStore(tested)) return undefined;
  return keys;
}

/**
 * Whether a statement stores into one of the slots (`slot = …`, `m.set(…)`), itself or through a function of its own
 * file it calls (`if (!this.initialized) await this.init()` where `init()` ends with `this.initialized = true`).
 */
function storesInto(st: ts.Node, keys: string[], isStore: (e: ts.Expression) => boolean, depth = 0): boolean {
  return containsNode(st, (n) => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && isStore(n.left) && keys.includes(squash(skipOuter(n.left).getText()))) return true;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'set' && keys.includes(`${squash(n.expression.expression.getText())}.set`)) return true;
    if (ts.isCallExpression(n) && depth < 2) {
      const callee = localCallee(n);
      // The callee's own `this.x` is the caller's when both are methods of one class; a module variable is the same everywhere.
      if (callee?.body && storesInto(callee.body, keys, (e) => storeSlot(e, callee) && (ts.isIdentifier(skipOuter(e)) ? isStore(e) : true), depth + 1)) return true;
    }
    return false;
  });
}

/** The function a call enters when its own file declares it: `this.m()` (a method of the enclosing class) or `f()` (a module-level function). */
function localCallee(call: ts.CallExpression): ts.FunctionLikeDeclaration | undefined {
  const e = skipOuter(call.expression);
  if (ts.isPropertyAccessExpression(e) && e.expression.kind === ts.SyntaxKind.ThisKeyword) {
    let cls: ts.Node | undefined = call.parent;
    while (cls && !ts.isClassLike(cls)) cls = cls.parent;
    if (!cls || !ts.isClassLike(cls)) return undefined;
    const m = cls.members.find((x) => ts.isMethodDeclaration(x) && x.name && ts.isIdentifier(x.name) && x.name.text === e.name.text && x.body);
    return m as ts.MethodDeclaration | undefined;
  }
  if (ts.isIdentifier(e)) {
    const sf = call.getSourceFile();
    for (const st of sf.statements) {
      if (ts.isFunctionDeclaration(st) && st.name?.text === e.text && st.body) return st;
      if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) {
          const init = d.initializer && skipOuter(d.initializer);
          if (ts.isIdentifier(d.name) && d.name.text === e.text && init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) return init;
        }
      }
    }
  }
  return undefined;
}

/**
 * Whether `node` sits after a once-guard of its function `fn`: an earlier `if (this.ready) return;` (or `if (ready)
 * return …`, `this.x !== undefined`, `x != null`) on a slot that outlives the call and that `fn` itself fills
 * (`this.ready = true`). The statements after the guard run on the first call only: a lazy initialisation, not a
 * query per call.
 */
export function onceGuarded(node: ts.Node, fn: ts.Node): boolean {
  const body = (fn as ts.FunctionLikeDeclaration).body;
  if (!body || !ts.isBlock(body)) return false;
  const isStore = (e: ts.Expression): boolean => storeSlot(e, fn);
  let child: ts.Node = node;
  for (let p = node.parent; p && p !== fn; child = p, p = p.parent) {
    if (!ts.isBlock(p)) continue;
    for (const st of p.statements) {
      if (st === child) break;
      if (!ts.isIfStatement(st) || st.elseStatement || !exits(st.thenStatement)) continue;
      const slot = fullnessTest(st.expression);
      if (slot && isStore(slot) && storesInto(body, [squash(slot.getText())], isStore) && !resets(body, squash(slot.getText()))) return true;
    }
  }
  return false;
}

/**
 * Whether a function empties the slot again (`this.loading = false`, `= null`, `= undefined`, `= 0`, `= ''`, `delete`):
 * then the guard is a re-entrancy lock (`if (this.loading) return; this.loading = true; … finally { this.loading = false }`)
 * and the statements after it run on every call that finds the lock free, not once.
 */
function resets(body: ts.Node, key: string): boolean {
  return containsNode(body, (n) => {
    if (ts.isDeleteExpression(n)) return squash(skipOuter(n.expression).getText()) === key;
    if (!ts.isBinaryExpression(n) || n.operatorToken.kind !== ts.SyntaxKind.EqualsToken || squash(skipOuter(n.left).getText()) !== key) return false;
    const r = skipOuter(n.right);
    return (
      r.kind === ts.SyntaxKind.FalseKeyword ||
      r.kind === ts.SyntaxKind.NullKeyword ||
      (ts.isIdentifier(r) && r.text === 'undefined') ||
      ts.isVoidExpression(r) ||
      (ts.isNumericLiteral(r) && Number(r.text) === 0) ||
      (ts.isStringLiteralLike(r) && r.text === '')
    );
  });
}

/** The slot a condition tests for being filled: `x`, `this.x`, `!!x`, `x !== undefined`, `x != null`. */
function fullnessTest(cond: ts.Expression): ts.Expression | undefined {
  let c = skipOuter(cond);
  while (ts.isPrefixUnaryExpression(c) && c.operator === ts.SyntaxKind.ExclamationToken && ts.isPrefixUnaryExpression(skipOuter(c.operand))) {
    const inner = skipOuter(c.operand) as ts.PrefixUnaryExpression;
    if (inner.operator !== ts.SyntaxKind.ExclamationToken) break;
    c = skipOuter(inner.operand);
  }
  if (ts.isBinaryExpression(c) && /^(!==|!=)$/.test(c.operatorToken.getText()) && /^(undefined|null)$/.test(c.right.getText())) c = skipOuter(c.left);
  return ts.isIdentifier(c) || ts.isPropertyAccessExpression(c) ? c : undefined;
}

function exits(s: ts.Statement): boolean {
  if (ts.isReturnStatement(s)) return true;
  if (ts.isBlock(s)) {
    const last = s.statements[s.statements.length - 1];
    return !!last && ts.isReturnStatement(last);
  }
  return false;
}
