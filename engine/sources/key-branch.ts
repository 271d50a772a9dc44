/**
 * A branch that one key of an object can take: in a loop over an object's keys (`Object.keys(o)`,
 * `Object.entries(o)` — the key is the pair's first element —, `for (const k in o)`; also the values of a Set:
 * `[...new Set(channels)]`, a `const` holding one), code under
 * `if (key === X)` or `case X:` of `switch (key)`, where X is the same for every element (a literal, or a name
 * declared outside the loop), runs for at most one element: an object's keys are distinct. A query there runs
 * once per loop, not once per element. Read from the syntax only. Pure.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import type { IterationScope } from './iteration';
import { skipOuter } from './ts-expr';

/** The name a loop over an object's keys binds each key to; undefined for any other loop. */
function keyName(scope: IterationScope): string | undefined {
  const loop = scope.node;
  if (ts.isForInStatement(loop)) return declaredName(loop.initializer);
  const ce = scope.collectionExpr ? skipOuter(scope.collectionExpr) : undefined;
  // The values of a Set are distinct as an object's keys are (`[...new Set(channels)]`): each is one key.
  const which = ce && (objectKeysCall(ce) ?? (distinctValues(ce, scope.node) ? 'keys' : undefined));
  if (!which) return undefined;
  let binding: ts.BindingName | undefined;
  if (ts.isForOfStatement(loop)) {
    const init = loop.initializer;
    binding = ts.isVariableDeclarationList(init) && init.declarations.length === 1 ? init.declarations[0].name : undefined;
  } else if (ts.isFunctionLike(loop) && scope.kind === 'callback' && scope.method !== 'reduce' && scope.method !== 'reduceRight') {
    binding = loop.parameters[0]?.name;
  }
  if (!binding) return undefined;
  if (which === 'keys') return ts.isIdentifier(binding) ? binding.text : undefined;
  if (!ts.isArrayBindingPattern(binding)) return undefined;
  const first = binding.elements[0];
  return first && ts.isBindingElement(first) && !first.dotDotDotToken && ts.isIdentifier(first.name) ? first.name.text : undefined;
}

function declaredName(init: ts.ForInitializer): string | undefined {
  if (!ts.isVariableDeclarationList(init) || init.declarations.length !== 1) return undefined;
  const n = init.declarations[0].name;
  return ts.isIdentifier(n) ? n.text : undefined;
}

/** `Object.keys(o)` → keys, `Object.entries(o)` → entries (also filtered, sorted or sliced: still distinct keys). */
function objectKeysCall(e: ts.Expression): 'keys' | 'entries' | undefined {
  let x = e;
  while (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) && /^(filter|slice|sort|toSorted|reverse|toReversed)$/.test(x.expression.name.text)) x = skipOuter(x.expression.expression);
  if (!ts.isCallExpression(x) || x.arguments.length !== 1 || !ts.isPropertyAccessExpression(x.expression)) return undefined;
  const callee = x.expression;
  if (!ts.isIdentifier(callee.expression) || callee.expression.text !== 'Object') return undefined;
  return callee.name.text === 'keys' ? 'keys' : callee.name.text === 'entries' ? 'entries' : undefined;
}

/**
 * A list of distinct values: `new Set(xs)`, `[...new Set(xs)]`, `Array.from(new Set(xs))` (also filtered, sorted or
 * sliced), or a `const` initialised with one that nothing grows or reassigns before `loop`.
 */
function distinctValues(e: ts.Expression, loop: ts.Node): boolean {
  let x = skipOuter(e);
  while (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) && /^(filter|slice|sort|toSorted|reverse|toReversed)$/.test(x.expression.name.text)) x = skipOuter(x.expression.expression);
  const isNewSet = (y: ts.Expression): boolean => {
    const z = skipOuter(y);
    return ts.isNewExpression(z) && ts.isIdentifier(z.expression) && z.expression.text === 'Set';
  };
  if (isNewSet(x)) return true;
  if (ts.isArrayLiteralExpression(x) && x.elements.length === 1 && ts.isSpreadElement(x.elements[0])) return isNewSet(x.elements[0].expression);
  if (ts.isCallExpression(x) && x.arguments.length === 1 && ts.isPropertyAccessExpression(x.expression) && ts.isIdentifier(x.expression.expression) && x.expression.expression.text === 'Array' && x.expression.name.text === 'from') return isNewSet(x.arguments[0]);
  if (!ts.isIdentifier(x)) return false;
  const name = x.text;
  for (let b: ts.Node | undefined = loop.parent; b; b = b.parent) {
    if (!ts.isBlock(b) && !ts.isSourceFile(b)) continue;
    for (const st of b.statements) {
      if (!ts.isVariableStatement(st) || !(st.declarationList.flags & ts.NodeFlags.Const)) continue;
      const d = st.declarationList.declarations.find((v) => ts.isIdentifier(v.name) && v.name.text === name);
      if (!d) continue;
      if (!d.initializer || d.initializer === e || !distinctValues(d.initializer, loop)) return false;
      return !grownIn(b, name);
    }
  }
  return false;
}

/** Whether a list named `name` is pushed to, spliced or written to an element of inside `root`. */
function grownIn(root: ts.Node, name: string): boolean {
  let grown = false;
  const visit = (n: ts.Node): void => {
    if (grown) return;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && ts.isIdentifier(n.expression.expression) && n.expression.expression.text === name && /^(push|unshift|splice|add)$/.test(n.expression.name.text)) grown = true;
    else if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && ts.isElementAccessExpression(n.left) && ts.isIdentifier(n.left.expression) && n.left.expression.text === name) grown = true;
    else ts.forEachChild(n, visit);
  };
  visit(root);
  return grown;
}

/** Names declared (or assigned) anywhere inside `root`: an expression naming none of them is the same in every iteration. */
function localNames(root: ts.Node): Set<string> {
  const names = new Set<string>();
  const addBinding = (b: ts.BindingName): void => {
    if (ts.isIdentifier(b)) names.add(b.text);
    else for (const el of b.elements) if (ts.isBindingElement(el)) addBinding(el.name);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n)) addBinding(n.name);
    else if ((ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n)) && n.name) names.add(n.name.text);
    else if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && ts.isIdentifier(n.left)) names.add(n.left.text);
    else if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && ts.isIdentifier(n.operand)) names.add(n.operand.text);
    ts.forEachChild(n, visit);
  };
  visit(root);
  return names;
}

/** A literal, or a name / property path rooted in a name not in `locals`. */
function invariant(e: ts.Expression, locals: Set<string>): boolean {
  const x = skipOuter(e);
  if (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x) || ts.isNumericLiteral(x)) return true;
  if (ts.isIdentifier(x)) return x.text !== 'undefined' && !locals.has(x.text);
  if (ts.isPropertyAccessExpression(x)) return invariant(x.expression, locals);
  return false;
}

/** `key === X` / `X === key` (also `==`), or a conjunction with one such term. */
function testsKey(cond: ts.Expression, key: string, locals: Set<string>): boolean {
  const c = skipOuter(cond);
  if (!ts.isBinaryExpression(c)) return false;
  const op = c.operatorToken.kind;
  if (op === ts.SyntaxKind.AmpersandAmpersandToken) return testsKey(c.left, key, locals) || testsKey(c.right, key, locals);
  if (op !== ts.SyntaxKind.EqualsEqualsEqualsToken && op !== ts.SyntaxKind.EqualsEqualsToken) return false;
  const isKey = (e: ts.Expression): boolean => {
    const x = skipOuter(e);
    return ts.isIdentifier(x) && x.text === key;
  };
  return (isKey(c.left) && invariant(c.right, locals)) || (isKey(c.right) && invariant(c.left, locals));
}

/** Whether `node`, in the body of a loop over an object's keys, runs only for the one key a fixed value names. */
export function oneKeyBranch(node: ts.Node, scope: IterationScope): boolean {
  const key = keyName(scope);
  if (!key) return false;
  const locals = localNames(scope.node);
  // The key itself must keep the value the loop gave it.
  const body = scope.body;
  let reassigned = false;
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && ts.isIdentifier(n.left) && n.left.text === key) reassigned = true;
    if (!reassigned) ts.forEachChild(n, visit);
  };
  visit(body);
  if (reassigned) return false;
  let child: ts.Node = node;
  for (let p = node.parent; p && p !== scope.node; child = p, p = p.parent) {
    // Inside a nested function the branch may run on other keys' behalf later; stop at its boundary.
    if (ts.isFunctionLike(p)) return false;
    if (ts.isIfStatement(p) && child === p.thenStatement && testsKey(p.expression, key, locals)) return true;
    if (ts.isConditionalExpression(p) && child === p.whenTrue && testsKey(p.condition, key, locals)) return true;
    if (ts.isCaseClause(p) && ts.isCaseBlock(p.parent) && ts.isSwitchStatement(p.parent.parent)) {
      const disc = skipOuter(p.parent.parent.expression);
      if (ts.isIdentifier(disc) && disc.text === key && invariant(p.expression, locals) && !fallsInto(p)) return true;
    }
  }
  return false;
}

/** Whether an earlier case falls through into `clause` (its statements do not end in break/return/throw/continue). */
function fallsInto(clause: ts.CaseClause): boolean {
  const clauses = (clause.parent as ts.CaseBlock).clauses;
  const i = clauses.indexOf(clause);
  if (i <= 0) return false;
  const prev = clauses[i - 1];
  const last = prev.statements[prev.statements.length - 1];
  if (!last) return true;
  const ends = (s: ts.Statement): boolean =>
    ts.isBreakStatement(s) || ts.isReturnStatement(s) || ts.isThrowStatement(s) || ts.isContinueStatement(s) || (ts.isBlock(s) && s.statements.length > 0 && ends(s.statements[s.statements.length - 1]));
  return !ends(last);
}
