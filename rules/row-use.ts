/**
 * How code uses the rows a query returns, and the one over-fetching verdict
 * both halves of the rule give: a query fetching every column is reported
 * when the code leaves large columns (json/jsonb/bytea/long text) unread, or
 * reads only the row's key (`id`: its primary key) and that saves at least `minSavingMs` a call; it is quiet when the table is narrow, when only small columns go
 * unread beside fields the code does use (the saving is a few bytes a row),
 * and when the rows escape (returned, spread, serialised, handed to a
 * function): whatever receives them may need every column.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { isLargeType, isLongText } from '../engine/model';
import { savingMs } from '../engine/model/impact';
import type { Estimate } from '../engine/types';
import { type ColumnInfo, findColumn, type TableInfo } from '../engine/schema/types';

/** A table of at most this many columns and no large one is narrow: fetching all of it costs next to nothing more. */
export const NARROW_COLUMNS = 6;

export interface FieldUse {
  /** Fields read; undefined when the rows escape (any use we cannot account for). */
  fields?: Set<string>;
}

/** The expression whose value is the query's result (`await q`, `q` itself), climbing through awaits and parens. */
export function resultHolder(node: ts.Node): ts.Node {
  let n = node;
  while (n.parent && (ts.isAwaitExpression(n.parent) || ts.isParenthesizedExpression(n.parent) || ts.isAsExpression(n.parent) || ts.isNonNullExpression(n.parent) || isNoRowBranch(n.parent, n))) n = n.parent;
  return n;
}

/** `c ? await q : null` (either way round): the conditional holds the query's result or no row at all. */
function isNoRowBranch(p: ts.Node, n: ts.Node): boolean {
  if (!ts.isConditionalExpression(p) || p.condition === n) return false;
  const other = p.whenTrue === n ? p.whenFalse : p.whenTrue;
  return other.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(other) && other.text === 'undefined');
}

/**
 * The parameter of project code a value is handed to as an argument (`f(…, row, …)` → f's parameter at that
 * position) and the body that uses it; undefined when the callee is not project code that can be read.
 */
export interface HandOff {
  (call: ts.CallExpression, argIndex: number): { param: ts.ParameterDeclaration; body: ts.Node; name: string; typed: boolean } | undefined;
  /**
   * Filled while tracing: the parameters declared with a type (`quoted?: Message`) that rows were handed to and
   * that read only fields of them. A narrower selection would not compile until each is narrowed too
   * (`Pick<Message, 'chatwootMessageId'>`): the ORM half reports the read with no selection fix, naming them.
   */
  typedParams?: string[];
  /**
   * Every call of the project function a row is returned from, when each reference to it is a call this can
   * list (engine/sources/callers.ts); undefined otherwise. Absent: a returned row escapes.
   */
  callers?(fn: ts.SignatureDeclaration): ts.CallExpression[] | undefined;
  /**
   * Whether a function that declares its return type may still hand back fewer columns: raw SQL, whose rows the
   * declared type only asserts (`as Message[]`); an ORM read's narrower selection would not compile.
   */
  declaredReturnsAsserted?: boolean;
}

/**
 * A row (`many`: rows) returned from a project function (`return row`): the fields its callers read of what they
 * get, when every caller is known and reads only fields (one more level of tracing each). False when a caller
 * is not known, lets the value escape, or the function declares a return type the narrower rows would not satisfy.
 */
function returnedUses(ret: ts.Node, out: Set<string>, handOff: HandOff | undefined, many: boolean, depth: number): boolean {
  if (!handOff?.callers || depth >= MAX_ASSIGN_DEPTH) return false;
  let fn: ts.Node | undefined = ret.parent;
  while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
  if (!fn || !(ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return false;
  if (fn.type && !handOff.declaredReturnsAsserted && !isAnyResult(fn.type)) return false;
  const calls = handOff.callers(fn);
  if (!calls?.length) return false;
  for (const call of calls) {
    const got = resultHolder(call) as ts.Expression;
    if (!(many ? rowsUse(got, out, handOff, depth + 1) : rowValueUse(got, out, handOff, depth + 1))) return false;
  }
  return true;
}

/** `any`, `any[]`, `Promise<any>`: a declared type that asks for nothing. */
function isAnyResult(t: ts.TypeNode): boolean {
  if (t.kind === ts.SyntaxKind.AnyKeyword || (ts.isArrayTypeNode(t) && t.elementType.kind === ts.SyntaxKind.AnyKeyword)) return true;
  return ts.isTypeReferenceNode(t) && t.typeName.getText() === 'Promise' && !!t.typeArguments?.length && isAnyResult(t.typeArguments[0]);
}

/** The fields a project function reads of the value handed to it (one level deep: what it hands on escapes). */
function handedOff(call: ts.CallExpression, arg: ts.Expression, handOff: HandOff | undefined, many: boolean, out: Set<string>): boolean {
  const to = handOff?.(call, call.arguments.indexOf(arg));
  if (!to || to.param.dotDotDotToken) return false;
  const ok = !ts.isIdentifier(to.param.name)
    ? !many && bindingKeys(to.param.name, out)
    : many
      ? rowsFieldUses(to.param.name.text, to.body, to.param, out)
      : rowFieldUses(to.param.name.text, to.body, to.param, out);
  const noted = `${to.name}(${to.param.name.getText()}: ${to.param.type?.getText()})`;
  if (ok && to.typed && handOff?.typedParams && !handOff.typedParams.includes(noted)) handOff.typedParams.push(noted);
  return ok;
}

/** How a row value (identifier `row`) is used in `scope`: field reads only, or it escapes. */
function rowFieldUses(ident: string, scope: ts.Node, decl: ts.Node, out: Set<string>, handOff?: HandOff, depth = 0): boolean {
  let ok = true;
  const visit = (n: ts.Node): void => {
    if (!ok) return;
    if (ts.isIdentifier(n) && n.text === ident && n !== (decl as ts.NamedDeclaration).name && !isPropertyName(n) && !isWriteTarget(n)) {
      if (!rowValueUse(n, out, handOff, depth)) ok = false;
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return ok;
}

/** `x = …` with x the identifier: a write of the variable, not a use of the value it held. */
function isWriteTarget(n: ts.Identifier): boolean {
  const p = n.parent;
  return ts.isBinaryExpression(p) && p.left === n && p.operatorToken.kind === ts.SyntaxKind.EqualsToken;
}

/** `null`, `undefined`: no row. */
function isNoRow(e: ts.Expression): boolean {
  return e.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(e) && e.text === 'undefined');
}

/** Past this many variables a value is assigned on through, its use is not followed. */
const MAX_ASSIGN_DEPTH = 3;

/**
 * One use of an expression whose value is one row (or no row): a field read, a presence check, discarded,
 * held in a variable (declared, destructured, or assigned to a `let` declared earlier: `found = rows[0] || null`)
 * whose uses are such reads, or handed to project code that reads fields of it. False when it escapes.
 */
function rowValueUse(e: ts.Expression, out: Set<string>, handOff: HandOff | undefined, depth: number): boolean {
  let n: ts.Node = e;
  // Wrappers that keep the value this row or no row: parentheses, `!`, `as`, `row || null`, `c ? row : null`.
  for (;;) {
    const p: ts.Node = n.parent;
    if (ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p) || ts.isAsExpression(p) || ts.isAwaitExpression(p) || isNoRowBranch(p, n)) n = p;
    else if (ts.isBinaryExpression(p) && p.left === n && (p.operatorToken.kind === ts.SyntaxKind.BarBarToken || p.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken) && isNoRow(p.right)) n = p;
    else break;
  }
  const p = n.parent;
  const list = pushedOnto(p, n as ts.Expression);
  // `list.push(row)` onto a local array: the row is read where the list's elements are.
  if (list) return rowsFieldUses(list.name, list.scope, list.decl, out, handOff);
  if (ts.isTypeQueryNode(p) || ts.isExpressionStatement(p)) return true;
  // Handed to project code that reads fields of it.
  if (ts.isCallExpression(p) && p.arguments.includes(n as ts.Expression)) return handedOff(p, n as ts.Expression, handOff, false, out);
  if (ts.isPropertyAccessExpression(p) && p.expression === n) {
    out.add(p.name.text);
    return true;
  }
  if (ts.isElementAccessExpression(p) && p.expression === n) {
    if (!ts.isStringLiteral(p.argumentExpression)) return false;
    out.add(p.argumentExpression.text);
    return true;
  }
  // A presence test (`!row`, `if (row)`, `row === null`, `row && row.x`: the value is the right side or a falsy row).
  if (isPresenceTest(p, n)) return true;
  if (ts.isBinaryExpression(p)) {
    // `x = row`: the row held by a variable declared before.
    if (p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.right === n) return assignedUses(p, out, handOff, false, depth);
    return false;
  }
  if (ts.isReturnStatement(p) || (ts.isArrowFunction(p) && p.body === n)) return returnedUses(n, out, handOff, false, depth);
  if (ts.isVariableDeclaration(p) && p.initializer === n) {
    if (ts.isObjectBindingPattern(p.name)) return bindingKeys(p.name, out);
    if (!ts.isIdentifier(p.name) || depth >= MAX_ASSIGN_DEPTH) return false;
    const scope = blockScope(p) ?? functionBody(p);
    return !!scope && rowFieldUses(p.name.text, scope, p, out, handOff, depth + 1);
  }
  return false;
}

/** `rows || []`, `rows ?? []` with `rows` the left side: the rows, or an empty list. */
function isNoRowsFallback(p: ts.Node, n: ts.Node): boolean {
  if (!ts.isBinaryExpression(p) || p.left !== n) return false;
  const op = p.operatorToken.kind;
  if (op !== ts.SyntaxKind.BarBarToken && op !== ts.SyntaxKind.QuestionQuestionToken) return false;
  const r = p.right;
  return ts.isArrayLiteralExpression(r) && r.elements.length === 0;
}

/** `!x`, `x === y`, `x && …`, `if (x)`, `x ? a : b`, `if (x || y)`: a use of x that only tests it. */
function isPresenceTest(p: ts.Node, n: ts.Node): boolean {
  if (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken) return true;
  if ((ts.isIfStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p)) && p.expression === n) return true;
  if (ts.isConditionalExpression(p) && p.condition === n) return true;
  if (!ts.isBinaryExpression(p)) return false;
  const op = p.operatorToken.kind;
  if (op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken) return true;
  if (op === ts.SyntaxKind.AmpersandAmpersandToken && p.left === n) return true;
  return op === ts.SyntaxKind.BarBarToken && isCondition(p);
}

/** Whether an expression's value is only tested (an `if`/loop/conditional condition, negated, or a logical operand of one). */
function isCondition(e: ts.Expression): boolean {
  let n: ts.Node = e;
  while (ts.isParenthesizedExpression(n.parent) || (ts.isBinaryExpression(n.parent) && (n.parent.operatorToken.kind === ts.SyntaxKind.BarBarToken || n.parent.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken))) n = n.parent;
  const p = n.parent;
  if ((ts.isIfStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p)) && p.expression === n) return true;
  if (ts.isConditionalExpression(p) && p.condition === n) return true;
  return ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken;
}

/** The body of the function (or the file) a node sits in. */
function functionBody(n: ts.Node): ts.Node | undefined {
  let fn: ts.Node | undefined = n.parent;
  while (fn && !ts.isFunctionLike(fn) && !ts.isSourceFile(fn)) fn = fn.parent;
  return fn && (ts.isSourceFile(fn) ? fn : (fn as ts.FunctionLikeDeclaration).body);
}

/**
 * The uses of a variable a query's rows (`many`) or row is assigned to (`found = await q`, `found = rows[0] || null`):
 * the `let`/`var` declared in an enclosing block of this function, read wherever it is in scope (every value
 * it holds counts: a read of another value adds a field, never hides an escape). False when the target is not
 * such a variable (a property, a parameter, an outer function's variable).
 */
function assignedUses(assign: ts.BinaryExpression, out: Set<string>, handOff: HandOff | undefined, many: boolean, depth: number): boolean {
  const target = assign.left;
  if (!ts.isIdentifier(target) || depth >= MAX_ASSIGN_DEPTH) return false;
  const decl = localDeclaration(target);
  if (!decl) return false;
  const scope = blockScope(decl) ?? functionBody(decl);
  if (!scope) return false;
  return many ? rowsFieldUses(target.text, scope, decl, out, handOff, depth + 1) : rowFieldUses(target.text, scope, decl, out, handOff, depth + 1);
}

/**
 * The declaration of a variable named by `id` in the blocks around it, up to its function: a `let`/`var` of a
 * statement list (not a parameter, not a binding pattern). Undefined when a parameter or an outer function declares it.
 */
function localDeclaration(id: ts.Identifier): ts.VariableDeclaration | undefined {
  for (let n: ts.Node | undefined = id.parent; n; n = n.parent) {
    if (ts.isFunctionLike(n)) {
      if (n.parameters.some((pm) => ts.isIdentifier(pm.name) && pm.name.text === id.text)) return undefined;
      return undefined;
    }
    const statements = ts.isBlock(n) || ts.isSourceFile(n) || ts.isCaseClause(n) || ts.isDefaultClause(n) ? n.statements : undefined;
    if (!statements) continue;
    for (const st of statements) {
      if (!ts.isVariableStatement(st)) continue;
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === id.text) return d;
    }
  }
  return undefined;
}

function isPropertyName(n: ts.Identifier): boolean {
  const p = n.parent;
  return (ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n) || (ts.isBindingElement(p) && p.propertyName === n) || ts.isPropertySignature(p) || ts.isMethodDeclaration(p);
}

const ARRAY_ELEMENT_METHODS = /^(map|forEach|filter|find|some|every|flatMap|findIndex|sort)$/;

/** How a collection of rows (identifier `rows`) is used: element field reads through for…of and array callbacks, `.length`. */
export function rowsFieldUses(ident: string, scope: ts.Node, decl: ts.Node, out: Set<string>, handOff?: HandOff, depth = 0): boolean {
  let ok = true;
  const visit = (n: ts.Node): void => {
    if (!ok) return;
    if (ts.isIdentifier(n) && n.text === ident && n !== (decl as ts.NamedDeclaration).name && !isPropertyName(n) && !isWriteTarget(n)) ok = rowsUse(n, out, handOff, depth);
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return ok;
}

/** One use of a collection of rows (`n`: the variable, or the awaited query itself): the fields it reads, or false when it escapes. */
function rowsUse(e: ts.Expression, out: Set<string>, handOff?: HandOff, depth = 0): boolean {
  // `(rows as Row[])`, `rows!`, `rows || []`, `rows ?? []`: the rows themselves (or none).
  let n = e;
  while (ts.isParenthesizedExpression(n.parent) || ts.isAsExpression(n.parent) || ts.isNonNullExpression(n.parent) || ts.isAwaitExpression(n.parent) || isNoRowsFallback(n.parent, n)) n = n.parent as ts.Expression;
  const p = n.parent;
  // Handed to project code that reads fields of the rows.
  if (ts.isCallExpression(p) && p.arguments.includes(n)) return handedOff(p, n, handOff, true, out);
  // `typeof rows` (`const kept: typeof rows = []`): a type, no read.
  if (ts.isTypeQueryNode(p)) return true;
  // `if (!rows || …)`, `rows === null`: whether rows came back reads no column.
  if (isPresenceTest(p, n)) return true;
  if (ts.isPropertyAccessExpression(p) && p.expression === n) {
    const m = p.name.text;
    const call = p.parent;
    // `.length` counts rows, reads no column.
    if (m === 'length') return true;
    // `list.push(x)` adds to the rows (pushedOnto follows what is pushed); it reads none of them.
    if (m === 'push' && ts.isCallExpression(call) && call.expression === p) return true;
    // `rows.slice(n)`: some of the rows, used like them.
    if (m === 'slice' && ts.isCallExpression(call) && call.expression === p) return rowsUse(call, out, handOff, depth);
    if (!ARRAY_ELEMENT_METHODS.test(m) || !ts.isCallExpression(call) || call.expression !== p) return false;
    const cb = call.arguments[0];
    if (!cb || !(ts.isArrowFunction(cb) || ts.isFunctionExpression(cb))) return false;
    const params = m === 'sort' ? cb.parameters.slice(0, 2) : cb.parameters.slice(0, 1);
    for (const param of params) {
      if (ts.isIdentifier(param.name)) {
        if (!rowFieldUses(param.name.text, cb.body, param, out, handOff, depth)) return false;
      } else if (!bindingKeys(param.name, out)) return false;
    }
    if (!params.length) return false;
    // filter/sort return rows, find one row: their result is followed like the query's own.
    if (m === 'filter' || m === 'sort') return rowsUse(call, out, handOff, depth);
    if (m === 'find') return rowValueUse(call, out, handOff, depth);
    return true;
  }

  if (ts.isForOfStatement(p) && p.expression === n) {
    const init = p.initializer;
    if (!ts.isVariableDeclarationList(init) || !init.declarations[0]) return false;
    const d = init.declarations[0];
    return ts.isIdentifier(d.name) ? rowFieldUses(d.name.text, p.statement, d, out, handOff, depth) : bindingKeys(d.name, out);
  }
  // `rows[0]`, `rows[i]`: one of the rows.
  if (ts.isElementAccessExpression(p) && p.expression === n && !ts.isStringLiteralLike(p.argumentExpression)) return rowValueUse(p, out, handOff, depth);
  // `const kept = rows`: the same rows under another name.
  if (ts.isVariableDeclaration(p) && p.initializer === n && ts.isIdentifier(p.name)) {
    const scope = blockScope(p) ?? functionBody(p);
    return !!scope && depth < MAX_ASSIGN_DEPTH && rowsFieldUses(p.name.text, scope, p, out, handOff, depth + 1);
  }
  // `const [first] = rows`: each element a row.
  if (ts.isVariableDeclaration(p) && p.initializer === n && ts.isArrayBindingPattern(p.name)) return arrayBindingUses(p, p.name, out, handOff, depth);
  // `found = rows`: rows held by a variable declared before.
  if (ts.isBinaryExpression(p) && p.right === n && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) return assignedUses(p, out, handOff, true, depth);
  if (ts.isReturnStatement(p) || (ts.isArrowFunction(p) && p.body === n)) return returnedUses(n, out, handOff, true, depth);
  return false;
}

/**
 * `const [first, second] = rows`: each element bound to a name is one row, read where that name is; a rest
 * element is rows again; an object pattern reads its keys.
 */
function arrayBindingUses(decl: ts.VariableDeclaration, pattern: ts.ArrayBindingPattern, out: Set<string>, handOff: HandOff | undefined, depth: number): boolean {
  const scope = blockScope(decl) ?? functionBody(decl);
  if (!scope || depth >= MAX_ASSIGN_DEPTH) return false;
  for (const el of pattern.elements) {
    if (ts.isOmittedExpression(el)) continue;
    if (!ts.isIdentifier(el.name)) {
      if (el.dotDotDotToken || !bindingKeys(el.name, out)) return false;
      continue;
    }
    const ok = el.dotDotDotToken ? rowsFieldUses(el.name.text, scope, el, out, handOff, depth + 1) : rowFieldUses(el.name.text, scope, el, out, handOff, depth + 1);
    if (!ok) return false;
  }
  return true;
}

/** Keys of `{ a, b: c }` (no rest element); false for anything else. */
function bindingKeys(name: ts.BindingName, out: Set<string>): boolean {
  if (!ts.isObjectBindingPattern(name)) return false;
  for (const el of name.elements) {
    if (el.dotDotDotToken) return false;
    const key = el.propertyName ? el.propertyName.getText() : ts.isIdentifier(el.name) ? el.name.text : undefined;
    if (!key) return false;
    out.add(key);
  }
  return true;
}

/**
 * The local array a row is pushed onto (`kept.push(row)`, `kept` declared `= []` in the same function), with the
 * function body it lives in.
 */
function pushedOnto(p: ts.Node, arg: ts.Expression): { decl: ts.VariableDeclaration; name: string; scope: ts.Node } | undefined {
  if (!ts.isCallExpression(p) || !p.arguments.includes(arg) || !ts.isPropertyAccessExpression(p.expression) || p.expression.name.text !== 'push') return undefined;
  const target = p.expression.expression;
  if (!ts.isIdentifier(target)) return undefined;
  let fn: ts.Node | undefined = p.parent;
  while (fn && !ts.isFunctionLike(fn) && !ts.isSourceFile(fn)) fn = fn.parent;
  const scope = fn && (ts.isSourceFile(fn) ? fn : (fn as ts.FunctionLikeDeclaration).body);
  if (!scope) return undefined;
  let found: ts.VariableDeclaration | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === target.text && n.initializer && ts.isArrayLiteralExpression(n.initializer) && n.initializer.elements.length === 0) found = n;
    else ts.forEachChild(n, visit);
  };
  visit(scope);
  return found ? { decl: found, name: target.text, scope } : undefined;
}

/**
 * Fields the code reads from a query result held by `holder` (the awaited call, or `.rows` of it):
 * a variable of rows (`many`) or of one row, or a destructuring of one row. Undefined fields when the
 * result is not held in a variable or escapes.
 */
export function fieldsRead(holder: ts.Node, many: boolean, handOff?: HandOff, depth = 0): FieldUse {
  const p = holder.parent;
  // Used in place, not held: `(await q).map((r) => r.id)`, `(await q)?.id`.
  if (p && ts.isPropertyAccessExpression(p) && p.expression === holder && ts.isExpression(holder) && !ts.isCallExpression(holder)) {
    const out = new Set<string>();
    if (!many) return p.name.text === 'then' ? {} : { fields: out.add(p.name.text) };
    return rowsUse(holder, out, handOff, depth) ? { fields: out } : {};
  }
  if (!p || !ts.isExpression(holder)) return {};
  // `return await q` from a project function: read where its callers use what it returns.
  if (ts.isReturnStatement(p) || (ts.isArrowFunction(p) && p.body === holder)) {
    const out = new Set<string>();
    return returnedUses(holder, out, handOff, many, depth) ? { fields: out } : {};
  }
  // `(await q)[0]`: one of the rows, used in place.
  if (many && ts.isElementAccessExpression(p) && p.expression === holder) {
    const out = new Set<string>();
    return rowsUse(holder, out, handOff, depth) ? { fields: out } : {};
  }
  // `found = await q`: held by a variable declared before (`let found = null; if (c) found = await q`).
  if (ts.isBinaryExpression(p) && p.right === holder && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const out = new Set<string>();
    return assignedUses(p, out, handOff, many, depth) ? { fields: out } : {};
  }
  if (!ts.isVariableDeclaration(p) || p.initializer !== holder) {
    // Used in place: `if (!(await q))`, `render(await q)` (a project function reading fields of it). A result
    // discarded (`await q;`) says nothing.
    if (ts.isExpressionStatement(p)) return {};
    const out = new Set<string>();
    return (many ? rowsUse(holder, out, handOff, depth) : rowValueUse(holder, out, handOff, depth)) ? { fields: out } : {};
  }
  let fn: ts.Node | undefined = p.parent;
  while (fn && !ts.isFunctionLike(fn) && !ts.isSourceFile(fn)) fn = fn.parent;
  if (!fn) return {};
  const body = ts.isSourceFile(fn) ? fn : (fn as ts.FunctionLikeDeclaration).body;
  if (!body) return {};
  const out = new Set<string>();
  // `const [row] = await sql\`…\``: the first row, read where `row` is.
  if (ts.isArrayBindingPattern(p.name)) return many && arrayBindingUses(p, p.name, out, handOff, depth) ? { fields: out } : {};
  if (ts.isObjectBindingPattern(p.name)) {
    if (many) return {};
    for (const el of p.name.elements) {
      if (el.dotDotDotToken) return {};
      const key = el.propertyName ? el.propertyName.getText() : ts.isIdentifier(el.name) ? el.name.text : undefined;
      if (!key) return {};
      out.add(key);
    }
    return { fields: out };
  }
  if (!ts.isIdentifier(p.name)) return {};
  // A `const`/`let` is visible only in its block: a same-named variable elsewhere in the function (an outer
  // `recording` beside one declared in a `catch` block) is another row (maxun task-runner.ts).
  const scope = blockScope(p) ?? body;
  const ok = many ? rowsFieldUses(p.name.text, scope, p, out, handOff, depth) : rowFieldUses(p.name.text, scope, p, out, handOff, depth);
  return ok ? { fields: out } : {};
}


/** The block a `const`/`let` declaration is scoped to (undefined for `var`, or when the block is the function body). */
function blockScope(decl: ts.VariableDeclaration): ts.Node | undefined {
  const list = decl.parent;
  if (!ts.isVariableDeclarationList(list) || !(list.flags & (ts.NodeFlags.Const | ts.NodeFlags.Let))) return undefined;
  let n: ts.Node | undefined = list.parent;
  while (n && !ts.isBlock(n) && !ts.isSourceFile(n) && !ts.isCaseClause(n) && !ts.isDefaultClause(n) && !ts.isFunctionLike(n)) n = n.parent;
  if (!n || ts.isFunctionLike(n) || (n.parent && ts.isFunctionLike(n.parent))) return undefined;
  return n;
}

export type OverFetchVerdict =
  | { report: false }
  | {
      report: true;
      usedCols: ColumnInfo[];
      unused: ColumnInfo[];
      largeUnused: ColumnInfo[];
      /**
       * Reported only because the code reads nothing but the row's key and every column left unread is
       * small: the caller keeps the finding only when its estimated saving reaches `minSavingMs`
       * (`keyOnlyWorthIt`), so a one-row lookup of a narrow table by id stays quiet.
       */
      keyOnly?: true;
      /** The code reads no field of the rows (a presence check, a count of them): `usedCols` is the primary key, what a column list would keep. */
      noField?: true;
    };

/**
 * The verdict over the columns fetched (`all`) and the fields the code reads (undefined: the rows escape
 * or their use is unknown, so nothing to report). A field that is not a column (a relation, a computed
 * getter, an alias) means we do not know the row shape: nothing to report either.
 */
export function overFetchVerdict(
  all: ColumnInfo[],
  fields: Set<string> | undefined,
  column: (field: string) => ColumnInfo | undefined,
  keyCols: ColumnInfo[],
  isLarge: (c: ColumnInfo) => boolean = (c) => isLargeType(c.type),
): OverFetchVerdict {
  if (!fields) return { report: false };
  // No field read at all (a presence check, `rows.length`): the row's key is all a column list needs.
  const none = fields.size === 0;
  if (none && !keyCols.length) return { report: false };
  const usedCols: ColumnInfo[] = none ? [...keyCols] : [];
  for (const f of fields) {
    const c = column(f);
    if (!c) return { report: false };
    if (!usedCols.includes(c)) usedCols.push(c);
  }
  const unused = all.filter((c) => !usedCols.includes(c));
  if (!unused.length) return { report: false };
  // A presence check never reads a column, so nothing says how big a text column the code elsewhere parses as
  // JSON is here: only a large type (jsonb, bytea …) or long text (a document-named text column, whose name is the
  // evidence, not the code: engine/model isLongText) makes a row fetched for its existence costly. The same
  // for a read of nothing but the row's key (an id lookup): shelf.nu Barcode.value, a barcode string that another
  // file's `JSON.parse(filter.value)` made look like JSON, is no reason to report `existing.id` reads.
  const keyOnly = usedCols.every((c) => keyCols.includes(c));
  const largeUnused = unused.filter(keyOnly ? (c) => isLarge(c) && (isLargeType(c.type) || isLongText(c)) : isLarge);
  const noField = none ? ({ noField: true } as const) : {};
  if (largeUnused.length) return { report: true, usedCols, unused, largeUnused, ...noField };
  if (all.length <= NARROW_COLUMNS && !all.some(isLarge)) return { report: false };
  // Only small columns unread: worth a finding only when the code wanted nothing but the row's key
  // (a lookup for its id, or no field at all); reading other fields too, the rest costs a few bytes a row.
  if (!keyOnly) return { report: false };
  return { report: true, usedCols, unused, largeUnused, keyOnly: true, ...noField };
}

/**
 * Whether a key-only verdict is worth a finding: only small columns go unread, so what the rewrite saves is
 * transfer alone, and it must reach `minSavingMs` per call (many rows, a wide row) — a one-row lookup of a
 * table read only by its id saves microseconds (papermark: `User`, `Folder`, `Domain` read by id, 3 FPs).
 */
export function keyOnlyWorthIt(v: OverFetchVerdict, estimate: Estimate, minSavingMs: number): boolean {
  return !(v.report && v.keyOnly) || savingMs(estimate) >= minSavingMs;
}

/**
 * Columns of the row's identity: the primary key. (A unique column such as `email` is data the code wants:
 * reading only it is reading a field, not looking up an id.)
 */
export function keyColumns(table: TableInfo): ColumnInfo[] {
  const out: ColumnInfo[] = [];
  for (const ix of table.indexes) {
    if (ix.kind !== 'primary') continue;
    for (const k of ix.keys) {
      const c = k.column ? findColumn(table, k.column) : undefined;
      if (c && !out.includes(c)) out.push(c);
    }
  }
  return out;
}
