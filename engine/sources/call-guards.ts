/**
 * Whether a query inside a callee runs on a given call: what the call's arguments tell about the callee's
 * parameters (`Env`), paths those values rule out (`guardedOff`), and memoised loaders whose query runs once
 * (`memoGuarded`). engine/sources/call-graph.ts asks, per call it follows.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { localValue } from './local-values';

/**
 * What a call tells about the parameters of the function it enters, when it tells: an argument
 * left out (`undefined`, or the parameter's default), a literal `undefined`/`null`/`false`, an object
 * literal, or a conditional the caller's own knowledge decides. Enough to see that a helper's query
 * is guarded by an option the call does not pass (`toJSON(doc)` with `if (options?.signedUrls) …`).
 */
export type Env = Map<string, Known>;
export interface Known {
  /** The value's expression; undefined for the value `undefined`. */
  expr?: ts.Expression;
  /** What is known where `expr` is evaluated (a caller's parameters). */
  env?: Env;
  /** An object whose contents are not known (a name dereferenced before: local-values.ts): truthy, nothing more. */
  present?: boolean;
}

const unwrap = (e: ts.Expression): ts.Expression => {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  return e;
};

/** The known value of `e` in `env`, or undefined when not known. */
export function knownValue(e: ts.Expression, env: Env | undefined, depth = 0): Known | undefined {
  if (depth > 6) return undefined;
  const u = unwrap(e);
  if (ts.isIdentifier(u)) {
    if (u.text === 'undefined') return {};
    const known = env?.get(u.text);
    if (known) return known;
    // What the function's own code says: a name dereferenced on the way here, or an unchanged alias (`let robot = robotConfig`).
    const local = localValue(u);
    if (local?.kind === 'present') return { expr: u, present: true };
    return local ? knownValue(local.init, env, depth + 1) : undefined;
  }
  if (u.kind === ts.SyntaxKind.NullKeyword || ts.isVoidExpression(u)) return {};
  if (ts.isObjectLiteralExpression(u) || ts.isArrayLiteralExpression(u) || ts.isLiteralExpression(u) || u.kind === ts.SyntaxKind.TrueKeyword || u.kind === ts.SyntaxKind.FalseKeyword) return { expr: u, env };
  // `\`${type}-${id}\``: a string known by its literal pieces only.
  if (ts.isTemplateExpression(u)) return { expr: u, env };
  if (ts.isConditionalExpression(u)) {
    const t = truthiness(u.condition, env, depth + 1);
    if (t === undefined) return undefined;
    return knownValue(t ? u.whenTrue : u.whenFalse, env, depth + 1);
  }
  if (ts.isPropertyAccessExpression(u) && ts.isIdentifier(u.name)) {
    const base = knownValue(u.expression, env, depth + 1);
    return base && propertyOf(base, u.name.text, depth);
  }
  return undefined;
}

/** The known value of property `name` of a known object (an object literal without spreads; a missing property is `undefined`). */
function propertyOf(base: Known, name: string, depth = 0): Known | undefined {
  if (base.present) return undefined;
  if (!base.expr) return {}; // `undefined.x` / `undefined?.x`
  const obj = unwrap(base.expr);
  if (!ts.isObjectLiteralExpression(obj)) return undefined;
  if (obj.properties.some((p) => ts.isSpreadAssignment(p))) return undefined;
  const prop = obj.properties.find((p) => p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === name);
  if (!prop) return {};
  if (ts.isPropertyAssignment(prop)) return knownValue(prop.initializer, base.env, depth + 1) ?? { expr: prop.initializer, env: base.env };
  if (ts.isShorthandPropertyAssignment(prop)) return knownValue(prop.name, base.env, depth + 1) ?? { expr: prop.name, env: base.env };
  return undefined;
}

/**
 * Binds the names of an object pattern over a known value: `{ a, b: c = 1, ...rest }` (rest keeps the whole value:
 * a property read through it is the value's own; the names taken out are not read through rest).
 */
function bindPattern(pattern: ts.ObjectBindingPattern, k: Known, env: Env, fn: ts.SignatureDeclaration): void {
  for (const el of pattern.elements) {
    if (!ts.isIdentifier(el.name) || reassigned(fn, el.name.text)) continue;
    if (el.dotDotDotToken) {
      env.set(el.name.text, k);
      continue;
    }
    const prop = el.propertyName ? (ts.isIdentifier(el.propertyName) || ts.isStringLiteral(el.propertyName) ? el.propertyName.text : undefined) : el.name.text;
    if (prop === undefined) continue;
    let v = propertyOf(k, prop);
    if (v && !v.expr && el.initializer) v = knownValue(el.initializer, undefined);
    if (v) env.set(el.name.text, v);
  }
}

/** The comparable form of a known literal: a string, number or boolean, `nullish` for undefined/null; undefined otherwise. */
function literalKey(k: Known): string | undefined {
  if (k.present) return undefined;
  if (!k.expr) return 'nullish';
  const x = unwrap(k.expr);
  if (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) return `s:${x.text}`;
  if (ts.isNumericLiteral(x)) return `n:${Number(x.text)}`;
  if (x.kind === ts.SyntaxKind.TrueKeyword || x.kind === ts.SyntaxKind.FalseKeyword) return `b:${x.kind === ts.SyntaxKind.TrueKeyword}`;
  return undefined;
}

/** Whether known value `t` is a template no value of which can equal the string literal `c` (its pieces do not fit, in order). */
function templateExcludes(t: Known, c: Known): boolean {
  const x = t.expr && unwrap(t.expr);
  const y = c.expr && unwrap(c.expr);
  if (!x || !y || !ts.isTemplateExpression(x) || !(ts.isStringLiteral(y) || ts.isNoSubstitutionTemplateLiteral(y))) return false;
  const s = y.text;
  const pieces = [x.head.text, ...x.templateSpans.map((sp) => sp.literal.text)];
  if (!s.startsWith(pieces[0]) || !s.endsWith(pieces[pieces.length - 1]) || s.length < pieces[0].length + pieces[pieces.length - 1].length) return true;
  let at = pieces[0].length;
  const end = s.length - pieces[pieces.length - 1].length;
  for (const mid of pieces.slice(1, -1)) {
    const i = s.indexOf(mid, at);
    if (i < 0 || i + mid.length > end) return true;
    at = i + mid.length;
  }
  return false;
}

/** `a === b` / `!==` / `==` / `!=` between two known literals: true, false, or undefined when not known. */
function equality(u: ts.BinaryExpression, env: Env | undefined, depth: number): boolean | undefined {
  const op = u.operatorToken.kind;
  const negated = op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken;
  const l = knownValue(u.left, env, depth + 1);
  const r = l && knownValue(u.right, env, depth + 1);
  const a = l && literalKey(l);
  const b = r && literalKey(r);
  // A template whose literal pieces the constant cannot hold (`\`${type}-${id}\`` against `'creds'`): never equal.
  const shaped = l && r && (templateExcludes(l, r) || templateExcludes(r, l));
  if (shaped) return negated;
  if (a === undefined || b === undefined) return undefined;
  // undefined and null are both 'nullish' here: equal only to each other, and only loosely known to be.
  if (a === 'nullish' && b === 'nullish') {
    if (op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsEqualsToken) return undefined;
    return !negated;
  }
  return (a === b) !== negated;
}

/** Whether `e` is truthy (true), falsy (false) or unknown (undefined) in `env`. */
export function truthiness(e: ts.Expression, env: Env | undefined, depth = 0): boolean | undefined {
  if (depth > 6) return undefined;
  const u = unwrap(e);
  if (ts.isPrefixUnaryExpression(u) && u.operator === ts.SyntaxKind.ExclamationToken) {
    const t = truthiness(u.operand, env, depth + 1);
    return t === undefined ? undefined : !t;
  }
  if (ts.isBinaryExpression(u)) {
    const op = u.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
      const l = truthiness(u.left, env, depth + 1);
      const r = truthiness(u.right, env, depth + 1);
      if (op === ts.SyntaxKind.AmpersandAmpersandToken) return l === false || r === false ? false : l === true && r === true ? true : undefined;
      return l === true || r === true ? true : l === false && r === false ? false : undefined;
    }
    if (op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken) return equality(u, env, depth);
    return undefined;
  }
  const v = knownValue(u, env, depth + 1);
  if (!v) return undefined;
  if (v.present) return true;
  if (!v.expr) return false;
  const x = unwrap(v.expr);
  if (ts.isObjectLiteralExpression(x) || ts.isArrayLiteralExpression(x) || x.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (x.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (ts.isNumericLiteral(x)) return Number(x.text) !== 0;
  if (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) return x.text !== '';
  if (x !== u) return truthiness(x, v.env, depth + 1);
  return undefined;
}

/** Is the parameter (or a property of it) assigned anywhere in the function (`options = { …defaults, ...options }`, `options.signed = 1`)? */
function reassigned(fn: ts.SignatureDeclaration, name: string): boolean {
  let found = false;
  const base = (e: ts.Expression): ts.Expression => {
    while (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) || ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
    return e;
  };
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      const b = base(n.left);
      if (ts.isIdentifier(b) && b.text === name) found = true;
    }
    if (!found) ts.forEachChild(n, visit);
  };
  if ((fn as ts.FunctionLikeDeclaration).body) visit((fn as ts.FunctionLikeDeclaration).body!);
  return found;
}

/** What `call` (evaluated where `callerEnv` holds) tells about the parameters of `fn`; undefined when nothing. */
export function bindArguments(fn: ts.SignatureDeclaration, call: ts.CallExpression, callerEnv: Env | undefined): Env | undefined {
  let env: Env | undefined;
  for (let i = 0; i < fn.parameters.length; i++) {
    const p = fn.parameters[i];
    if (p.dotDotDotToken || call.arguments.slice(0, i + 1).some(ts.isSpreadElement)) break;
    if (!ts.isIdentifier(p.name) && !ts.isObjectBindingPattern(p.name)) continue;
    const arg = call.arguments[i];
    let k: Known | undefined;
    if (arg) k = knownValue(arg, callerEnv);
    else k = p.initializer ? knownValue(p.initializer, undefined) : {};
    if (arg && k && !k.expr && p.initializer) k = knownValue(p.initializer, undefined); // `undefined` takes the default too
    if (!k) continue;
    if (ts.isObjectBindingPattern(p.name)) bindPattern(p.name, k, (env ??= new Map()), fn);
    else if (!reassigned(fn, p.name.text)) (env ??= new Map()).set(p.name.text, k);
  }
  // `const { id, teamId, ...data } = params;` at the top of the body: the names read the known parameter's properties.
  const body = (fn as ts.FunctionLikeDeclaration).body;
  if (env && body && ts.isBlock(body)) {
    for (const st of body.statements) {
      if (!ts.isVariableStatement(st) || !(st.declarationList.flags & ts.NodeFlags.Const)) continue;
      for (const d of st.declarationList.declarations) {
        const init = d.initializer && unwrap(d.initializer);
        const k = init && ts.isIdentifier(init) ? env.get(init.text) : undefined;
        if (k && ts.isObjectBindingPattern(d.name)) bindPattern(d.name, k, env, fn);
      }
    }
  }
  return env;
}

/** Is `node`, in `fn`'s body, on a path the known parameters rule out (`if (options?.signedUrls) …`, an early return)? */
export function guardedOff(node: ts.Node, fn: ts.Node, env: Env): boolean {
  let child: ts.Node = node;
  let p = node.parent;
  while (p && p !== fn) {
    if (ts.isIfStatement(p)) {
      if (child === p.thenStatement && truthiness(p.expression, env) === false) return true;
      if (child === p.elseStatement && truthiness(p.expression, env) === true) return true;
    } else if (ts.isConditionalExpression(p)) {
      if (child === p.whenTrue && truthiness(p.condition, env) === false) return true;
      if (child === p.whenFalse && truthiness(p.condition, env) === true) return true;
    } else if (ts.isBinaryExpression(p) && child === p.right) {
      const op = p.operatorToken.kind;
      if (op === ts.SyntaxKind.AmpersandAmpersandToken && truthiness(p.left, env) === false) return true;
      if (op === ts.SyntaxKind.BarBarToken && truthiness(p.left, env) === true) return true;
    } else if (ts.isBlock(p) || ts.isCaseClause(p) || ts.isDefaultClause(p)) {
      // An earlier `if (cond) return …;` that the known parameters take (also in a `case` of a switch).
      for (const st of p.statements) {
        if (st === child) break;
        if (ts.isIfStatement(st) && !st.elseStatement && endsInExit(st.thenStatement) && truthiness(st.expression, env) === true) return true;
      }
    }
    child = p;
    p = p.parent;
  }
  return false;
}

function endsInExit(s: ts.Statement, depth = 0): boolean {
  if (ts.isReturnStatement(s) || ts.isThrowStatement(s)) return true;
  if (ts.isBlock(s)) {
    const last = s.statements[s.statements.length - 1];
    return !!last && endsInExit(last, depth + 1);
  }
  // `if (redis) { return … } else { …; return; }`: both branches leave.
  if (ts.isIfStatement(s) && s.elseStatement && depth < 8) return endsInExit(s.thenStatement, depth + 1) && endsInExit(s.elseStatement, depth + 1);
  return false;
}

/**
 * Is `node` behind a memo check of its function: an earlier `if (m.has(k)) return …` / `const c = m.get(k);
 * if (c) return c;` on a Map the function fills with `m.set(…)`? The query then runs once per distinct key,
 * not once per call (formbricks' storage-workspace lookup in delete-response-files).
 */
const memoShapes = new WeakMap<ts.Node, { sets: Set<string>; gets: Map<string, string> }>();

export function memoGuarded(node: ts.Node, fn: ts.Node): boolean {
  const body = (fn as ts.FunctionLikeDeclaration).body;
  if (!body) return false;
  let shape = memoShapes.get(fn);
  if (!shape) {
    const sets = new Set<string>();
    const gets = new Map<string, string>(); // local → map it was read from
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'set') sets.add(n.expression.expression.getText());
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer) {
        const i = unwrap(n.initializer);
        if (ts.isCallExpression(i) && ts.isPropertyAccessExpression(i.expression) && i.expression.name.text === 'get') gets.set(n.name.text, i.expression.expression.getText());
      }
      ts.forEachChild(n, visit);
    };
    visit(body);
    memoShapes.set(fn, (shape = { sets, gets }));
  }
  const { sets, gets } = shape;
  if (!sets.size) return false;
  const readsMemo = (cond: ts.Expression): boolean => {
    let hit = false;
    const v = (n: ts.Node): void => {
      if (hit) return;
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && /^(has|get)$/.test(n.expression.name.text) && sets.has(n.expression.expression.getText())) hit = true;
      else if (ts.isIdentifier(n) && gets.has(n.text) && sets.has(gets.get(n.text)!)) hit = true;
      else ts.forEachChild(n, v);
    };
    v(cond);
    return hit;
  };
  let child: ts.Node = node;
  for (let p = node.parent; p && p !== fn; child = p, p = p.parent) {
    if (!ts.isBlock(p)) continue;
    for (const st of p.statements) {
      if (st === child) break;
      if (ts.isIfStatement(st) && !st.elseStatement && endsInExit(st.thenStatement) && readsMemo(st.expression)) return true;
    }
  }
  return false;
}

/** A cache key for an environment (node positions are unique within a run's trees). */
export function envKey(env: Env, depth = 0): string {
  if (depth > 3) return '…';
  const parts: string[] = [];
  for (const [k, v] of env) parts.push(`${k}=${v.expr ? `${v.expr.getSourceFile().fileName}:${v.expr.pos}:${v.expr.end}${v.env ? `{${envKey(v.env, depth + 1)}}` : ''}` : 'u'}`);
  return parts.join(',');
}
