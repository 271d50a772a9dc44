/**
 * What a function's own locals tell about a name at one point of its body, from syntax alone, for the call graph's
 * known values (call-graph.ts `knownValue`):
 *  - present: the name was dereferenced earlier on every path to the point (`plainRobot.google_sheet_email` in an
 *    earlier statement or in the always-evaluated part of an earlier condition), and is not reassigned in the
 *    function, so it holds an object there (a null would have thrown);
 *  - alias: `let robot = robotConfig` with no assignment to `robot` between its declaration and the point (and no
 *    loop around both that assigns it): the name still holds its initializer's value.
 * Found on maxun: `writeDataToSheet(…, robotConfig)` runs `Robot.findOne` only `if (!robot)` after `let robot =
 * robotConfig`, and every caller passes a robot it has already read from (three false positives at round 7).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { skipParens as skip } from './ts-expr';

export type LocalValue = { kind: 'present' } | { kind: 'alias'; init: ts.Expression };

export function localValue(id: ts.Identifier): LocalValue | undefined {
  const fn = enclosingFunction(id);
  if (!fn) return undefined;
  const body = (fn as ts.FunctionLikeDeclaration).body ?? (ts.isSourceFile(fn) ? fn : undefined);
  if (!body) return undefined;
  const decl = declarationIn(fn, body, id.text, id.getStart());
  if (!decl) return undefined;
  const at = id.getStart();
  if (ts.isVariableDeclaration(decl) && decl.initializer && ts.isIdentifier(skip(decl.initializer)) && !assignedBetween(body, id.text, decl.end, at) && !inLoopAssigning(id, decl, body)) {
    return { kind: 'alias', init: skip(decl.initializer) };
  }
  // `const key = \`${category}-${id}\``: a string of that shape wherever the name is read.
  if (ts.isVariableDeclaration(decl) && decl.initializer && ts.isTemplateExpression(skip(decl.initializer)) && decl.parent.flags & ts.NodeFlags.Const)
    return { kind: 'alias', init: skip(decl.initializer) };
  const constant = ts.isVariableDeclaration(decl) ? !!(decl.parent.flags & ts.NodeFlags.Const) : !assignedBetween(body, id.text, body.pos, body.end);
  if (constant && dereferencedBefore(id, body)) return { kind: 'present' };
  return undefined;
}

function enclosingFunction(n: ts.Node): ts.SignatureDeclaration | ts.SourceFile | undefined {
  for (let p = n.parent; p; p = p.parent) if (ts.isFunctionLike(p) || ts.isSourceFile(p)) return p as ts.SignatureDeclaration | ts.SourceFile;
  return undefined;
}

/** The parameter or variable of `name` declared in `fn` (not in a nested function) before `before`. */
function declarationIn(fn: ts.Node, body: ts.Node, name: string, before: number): ts.ParameterDeclaration | ts.VariableDeclaration | undefined {
  if (!ts.isSourceFile(fn)) {
    const p = (fn as ts.SignatureDeclaration).parameters.find((x) => ts.isIdentifier(x.name) && x.name.text === name);
    if (p) return p;
  }
  return variableDeclaredBefore(body, name, before);
}

/** The first `const`/`let`/`var` of `name` declared in `scope` (outside nested functions) and ended before `before`. */
export function variableDeclaredBefore(scope: ts.Node, name: string, before: number): ts.VariableDeclaration | undefined {
  let found: ts.VariableDeclaration | undefined;
  const visit = (n: ts.Node): void => {
    if (found || n.pos >= before) return;
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === name && n.end <= before) found = n;
    if (!ts.isFunctionLike(n)) ts.forEachChild(n, visit);
  };
  ts.forEachChild(scope, visit);
  return found;
}

function isAssignmentTo(n: ts.Node, name: string): boolean {
  if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
    const l = skip(n.left);
    return ts.isIdentifier(l) && l.text === name;
  }
  if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) {
    const o = skip(n.operand);
    return ts.isIdentifier(o) && o.text === name;
  }
  return false;
}

/** Whether `name` is assigned in `body` (nested functions included: they may run in between) between two positions. */
function assignedBetween(body: ts.Node, name: string, from: number, to: number): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || n.end <= from || n.pos >= to) return;
    if (isAssignmentTo(n, name) && n.getStart() >= from && n.getStart() < to) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

/** Whether a loop holds both the point and an assignment of the name (a later pass sees an earlier pass's assignment). */
function inLoopAssigning(id: ts.Identifier, decl: ts.Node, body: ts.Node): boolean {
  for (let p: ts.Node | undefined = id.parent; p && p !== body; p = p.parent) {
    if (p.pos <= decl.pos) return false;
    if (ts.isIterationStatement(p, false) && assignedBetween(p, id.text, p.pos, p.end)) return true;
  }
  return false;
}

/**
 * Whether `id`'s name is dereferenced (`x.y`, `x[k]`, not `x?.y`) on every path to `id` within `body`: in an
 * earlier statement of a block around it, in the part of that statement that always runs.
 */
function dereferencedBefore(id: ts.Identifier, body: ts.Node): boolean {
  let child: ts.Node = id;
  for (let p: ts.Node | undefined = id.parent; p && p !== body.parent; p = p.parent) {
    if (ts.isBlock(p) || ts.isSourceFile(p)) {
      for (const st of p.statements) {
        if (st === child) break;
        if (alwaysDerefs(st, id.text)) return true;
      }
    }
    if (ts.isFunctionLike(p)) return false;
    child = p;
  }
  return false;
}

/** Whether running statement `st` always dereferences `name` (the parts of it that run whatever the values). */
function alwaysDerefs(st: ts.Statement, name: string): boolean {
  if (ts.isVariableStatement(st)) return st.declarationList.declarations.some((d) => !!d.initializer && evalDerefs(d.initializer, name));
  if (ts.isExpressionStatement(st)) return evalDerefs(st.expression, name);
  if (ts.isIfStatement(st) || ts.isSwitchStatement(st)) return evalDerefs(st.expression, name);
  return false;
}

/** Whether evaluating `e` always dereferences `name`: short-circuits and conditionals count their first operand only. */
function evalDerefs(e: ts.Expression, name: string): boolean {
  const u = ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isAwaitExpression(e) ? e.expression : e;
  if ((ts.isPropertyAccessExpression(u) || ts.isElementAccessExpression(u)) && !u.questionDotToken) {
    const base = skip(u.expression);
    if (ts.isIdentifier(base) && base.text === name) return true;
    return evalDerefs(u.expression, name);
  }
  if (ts.isPrefixUnaryExpression(u)) return evalDerefs(u.operand, name);
  if (ts.isTypeOfExpression(u)) return evalDerefs(u.expression, name);
  if (ts.isBinaryExpression(u)) {
    const op = u.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.QuestionQuestionToken) return evalDerefs(u.left, name);
    if (op === ts.SyntaxKind.EqualsToken) return evalDerefs(u.right, name);
    return evalDerefs(u.left, name) || evalDerefs(u.right, name);
  }
  if (ts.isConditionalExpression(u)) return evalDerefs(u.condition, name);
  if (ts.isCallExpression(u) && !u.questionDotToken) return evalDerefs(u.expression, name) || u.arguments.some((a) => evalDerefs(a, name));
  return false;
}
