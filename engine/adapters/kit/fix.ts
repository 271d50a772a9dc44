/**
 * Helpers of the batching fix templates (the adapters' `batchedRead`/`batchedWrite`
 * and the shared rewrite in rules/n-plus-one-fix.ts).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { FixPiece } from '../types';
import { skipParens as unparen } from '../../sources/ts-expr';

/** Stands for the key array in fix texts (Batched.pieces). */
export const KEYS = '\u0000KEYS\u0000';

/** Skips parentheses, type assertions, `!` and `satisfies` (the shared `skipParens`). */
export { unparen };

/** `el` or `el.a.b`: the maximal property chain starting at the use (not called). */
export function keyExpression(use: ts.Identifier): ts.Expression | undefined {
  if (ts.isShorthandPropertyAssignment(use.parent)) return use;
  let e: ts.Expression = use;
  while (ts.isPropertyAccessExpression(e.parent) && e.parent.expression === e && !e.parent.questionDotToken) e = e.parent;
  if (ts.isCallExpression(e.parent) && e.parent.expression === e) return undefined;
  if (ts.isElementAccessExpression(e.parent) && e.parent.expression === e) return undefined;
  return e;
}

export const propName = (p: ts.ObjectLiteralElementLike): string | undefined =>
  p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;

export function objectProp(obj: ts.Node | undefined, name: string): ts.ObjectLiteralElementLike | undefined {
  if (!obj || !ts.isObjectLiteralExpression(obj)) return undefined;
  return obj.properties.find((p) => propName(p) === name);
}

/** `{ f: K }` / `{ f }` with exactly one property, keyed by `key`: that property and the field name. */
export function singleKeyProp(obj: ts.Node | undefined, key: ts.Expression): { prop: ts.ObjectLiteralElementLike; field: string } | undefined {
  if (!obj || !ts.isObjectLiteralExpression(obj) || obj.properties.length !== 1) return undefined;
  const p = obj.properties[0];
  if (ts.isShorthandPropertyAssignment(p) && p.name === key) return { prop: p, field: p.name.text };
  if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && unparen(p.initializer) === key) return { prop: p, field: p.name.text };
  return undefined;
}

/**
 * The property of a filter object keyed by `key` (`{ f: K }`, `{ f }`) among others: the others stay as they
 * are in the batched query (the rule has checked that they do not change per element). None when a
 * property is computed or a method, or when the key's field is also given elsewhere.
 */
export function keyPropAmong(obj: ts.Node | undefined, key: ts.Expression): { prop: ts.ObjectLiteralElementLike; field: string } | undefined {
  if (!obj || !ts.isObjectLiteralExpression(obj)) return undefined;
  let found: { prop: ts.ObjectLiteralElementLike; field: string } | undefined;
  for (const p of obj.properties) {
    if (ts.isSpreadAssignment(p)) continue;
    if (!(ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) || ts.isComputedPropertyName(p.name)) return undefined;
    if (ts.isShorthandPropertyAssignment(p) ? p.name === key : unparen(p.initializer) === key) {
      if (!ts.isIdentifier(p.name)) return undefined;
      found = { prop: p, field: p.name.text };
    }
  }
  if (!found) return undefined;
  const { prop, field } = found;
  // `{ id: k, ...rest }` or `{ id: k, id: … }`: the later one may set the key's field again.
  const at = obj.properties.indexOf(prop);
  if (obj.properties.some((p, i) => p !== prop && (propName(p) === field || (ts.isSpreadAssignment(p) && i > at && spreadMaySet(p.expression, field))))) return undefined;
  return found;
}

/**
 * Can a spread set `field`? Not one of object literals written out that never name it, also chosen by a condition
 * (`...(toolsetId ? { toolsetId } : {})`, `...(flag && { status })`); anything else may.
 */
export function spreadMaySet(e: ts.Expression, field: string): boolean {
  e = unparen(e);
  if (ts.isConditionalExpression(e)) return spreadMaySet(e.whenTrue, field) || spreadMaySet(e.whenFalse, field);
  if (ts.isBinaryExpression(e) && /^(&&|\|\||\?\?)$/.test(e.operatorToken.getText())) return (e.operatorToken.kind !== ts.SyntaxKind.AmpersandAmpersandToken && spreadMaySet(e.left, field)) || spreadMaySet(e.right, field);
  if (!ts.isObjectLiteralExpression(e)) return true;
  return e.properties.some((p) => (ts.isSpreadAssignment(p) ? spreadMaySet(p.expression, field) : !p.name || ts.isComputedPropertyName(p.name) || propName(p) === field));
}

/** A removal of a chain's call with its dot: `q.limit(1)` → `q` (the call's `.limit(1)` part). */
export function dropCall(c: ts.CallExpression): FixPiece | undefined {
  if (!ts.isPropertyAccessExpression(c.expression)) return undefined;
  return { start: c.expression.expression.getEnd(), end: c.getEnd(), text: '' };
}

export const whole = (n: ts.Node, text: string): FixPiece => ({ start: n.getStart(), end: n.getEnd(), text });


/** The calls of a fluent chain, outermost first: `a.b(1).c(2)` → [c(2), b(1)]. */
export function chainCalls(call: ts.Expression): ts.CallExpression[] {
  const out: ts.CallExpression[] = [];
  let e: ts.Expression = call;
  for (;;) {
    if (ts.isCallExpression(e)) {
      out.push(e);
      e = e.expression;
    } else if (ts.isPropertyAccessExpression(e)) e = e.expression;
    else break;
  }
  return out;
}
export const methodOf = (c: ts.CallExpression): string => (ts.isPropertyAccessExpression(c.expression) ? c.expression.name.text : ts.isIdentifier(c.expression) ? c.expression.text : '');
export const strLit = (e: ts.Expression | undefined): string | undefined => (e && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e.text : undefined);

/** `col = $n` in a raw statement: the column, when `$n` appears once. */
export function eqParam(sqlText: string, n: number): { col: string; at: number; len: number } | undefined {
  const all = sqlText.match(new RegExp(`\\$${n}(?!\\d)`, 'g')) ?? [];
  if (all.length !== 1) return undefined;
  const m = new RegExp(`(?:^|[\\s(,])((?:\\w+\\.)?"?(\\w+)"?)\\s*=\\s*\\$${n}(?!\\d)`).exec(sqlText);
  if (!m) return undefined;
  const at = m.index + m[0].indexOf('$', m[0].length - `$${n}`.length - 1);
  return { col: m[2], at, len: `$${n}`.length };
}

/** Does a SELECT return column `col` (by `*` or by name)? Writes need no check. */
export function selectsColumn(sqlText: string, col: string): boolean {
  const m = /^\s*select\s+([\s\S]*?)\s+from\s/i.exec(sqlText);
  if (!m) return false;
  return m[1].split(',').some((c) => {
    const t = c.trim().replace(/"/g, '');
    return t === '*' || /\.\*$/.test(t) || t === col || t.endsWith(`.${col}`);
  });
}


/** `{ a: true, b: true }`: a column selection as an object. */
export const fieldsObject = (fields: string[]): string => `{ ${fields.map((f) => `${f}: true`).join(', ')} }`;
/** `['a', 'b']`: a column selection as an array. */
export const fieldsArray = (fields: string[]): string => `[${fields.map((f) => `'${f}'`).join(', ')}]`;
/** The title of a column-selection fix. */
export const selectTitle = (fields: string[]): string => `Select only ${fields.join(', ')}`;
