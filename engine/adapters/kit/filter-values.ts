/**
 * What an ORM filter compares its column to, read from the call's syntax:
 * `NULL`, a few literals, both bounds of a range, or something else (a
 * variable, a parameter). The query-site model records which columns are
 * filtered and how; this reads the value side for selectivity and
 * partial-index implication. Shared by the adapters (`rules.filterValue`):
 * object `where`s (`{ col: value }`, `{ col: { equals | in | gte, lt } }`,
 * `IsNull()`, `In([…])`, `Between()`) and filter calls (`.where('col', v)`,
 * `.where('col', '=', v)`, `.whereIn`, `.whereBetween`, `eq(t.col, v)`,
 * `inArray`, `isNull(t.col)`).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ColumnUse } from '../../sources/query-sites';
import { innermostNode } from '../../sources/ts-ast';

const unwrapExpr = (e: ts.Expression): ts.Expression => {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isAwaitExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  return e;
};

export const isNullLiteral = (e: ts.Expression | undefined): boolean => !!e && unwrapExpr(e).kind === ts.SyntaxKind.NullKeyword;

function calleeName(call: ts.CallExpression): string {
  const e = call.expression;
  return ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : '';
}

/** `MEILI_INDEX_VERSION`: an upper-case name is a constant by convention, not a per-request value. */
const CONSTANT_NAME = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^[A-Z]{2,}[0-9]*$/;
/** `Status.Active`, `WorkspaceStatus.ACTIVE`: a member of an enum or an enum-like constant object. */
const ENUM_OWNER = /^[A-Z][A-Za-z0-9_]*$/;

/**
 * A string, number or boolean literal's canonical text (as the SQL half spells constants); a named
 * constant (`MAX_VERSION`, `Status.Active`) by its name: fixed in the code, so a value of a few, like a
 * word literal (its text is the name, which never matches a partial index's literal: no implication).
 */
function literalOf(e: ts.Expression | undefined): string | undefined {
  if (!e) return undefined;
  const v = unwrapExpr(e);
  if (ts.isStringLiteral(v) || ts.isNoSubstitutionTemplateLiteral(v) || ts.isNumericLiteral(v)) return v.text;
  if (v.kind === ts.SyntaxKind.TrueKeyword) return 'true';
  if (v.kind === ts.SyntaxKind.FalseKeyword) return 'false';
  if (ts.isIdentifier(v) && CONSTANT_NAME.test(v.text)) return v.text;
  if (ts.isPropertyAccessExpression(v) && ts.isIdentifier(v.expression) && ENUM_OWNER.test(v.expression.text) && ts.isIdentifier(v.name)) return v.getText();
  return undefined;
}

function literalsOf(e: ts.Expression | undefined): string[] | undefined {
  if (!e) return undefined;
  const v = unwrapExpr(e);
  if (ts.isArrayLiteralExpression(v)) {
    const out = v.elements.map((x) => literalOf(x));
    return out.length && out.every((x) => x !== undefined) ? (out as string[]) : undefined;
  }
  const one = literalOf(v);
  return one === undefined ? undefined : [one];
}

export interface FilterValue {
  isNull: boolean;
  /** The constants compared with, when the value is written as literals. */
  literals?: string[];
  /** A range written with both bounds in one filter (`{ gte, lt }`, `whereBetween`, `Between()`). */
  bounded?: boolean;
  /** A range with an upper bound only (`{ lte: cutoff }`, `{ lt: … }`): the rows below a value, such as those older than a date. */
  upperOnly?: true;
}

/** The text after the one mention of `column` in SQL text (qualified or quoted or not); '' when it is not mentioned exactly once. */
function sqlTextAfter(text: string, column: string): string {
  const esc = column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(^|[^\\w$"])("?\\w+"?\\.)?"?${esc}"?(?![\\w$"])`, 'g');
  const hits = [...text.matchAll(re)];
  return hits.length === 1 ? text.slice(hits[0].index! + hits[0][0].length) : '';
}

/** The value after a column written in SQL text: `= 'word'`, `IN ('a', 'b')`, `IS NULL`; else nothing known. */
function sqlTextValue(after: string): FilterValue {
  const rest = after;
  if (/^\s*IS\s+NULL\b/i.test(rest)) return { isNull: true };
  const eq = /^\s*=\s*'((?:[^'\\]|'')*)'(?!\s*\|\|)/.exec(rest);
  if (eq) return { isNull: false, literals: [eq[1].replace(/''/g, "'")] };
  const list = /^\s*IN\s*\(\s*('(?:[^'\\]|'')*'(?:\s*,\s*'(?:[^'\\]|'')*')*)\s*\)/i.exec(rest);
  if (list) return { isNull: false, literals: list[1].split(/\s*,\s*/).map((l) => l.slice(1, -1).replace(/''/g, "'")) };
  return { isNull: false };
}

/**
 * What a filter compares its column to, as the ORMs write it: `{ col: value }`,
 * `{ col: { equals | in: … } }`, `{ col: null }`, `IsNull()`, `isNull(t.col)`,
 * `.where('col', value)`, `.where('col', '=', value)`, `.whereIn('col', […])`,
 * `eq(t.col, value)`.
 */
export function filterValue(sf: ts.SourceFile, use: ColumnUse): FilterValue {
  const none: FilterValue = { isNull: false };
  if (!use.range) return none;
  let n = innermostNode(sf, use.range.start, use.range.end);
  if (n && (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isComputedPropertyName(n)) && n.parent && ts.isPropertyAssignment(n.parent) && n.parent.name === n) n = n.parent;
  if (!n) return none;
  // A column inside SQL text handed to the builder (`.where("t.status = 'sent' AND …")`): the quoted words it is compared to.
  // (A literal that is only a column name, `.where('col', v)`, is read below as the filter call's first argument.)
  if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateLiteralToken(n) || ts.isTemplateExpression(n)) && /[\s=<>()]/.test(n.getText(sf).slice(1, -1))) return sqlTextValue(sqlTextAfter(sf.text.slice(n.getStart(sf), n.getEnd()), use.column));
  if (ts.isPropertyAssignment(n)) {
    const v = unwrapExpr(n.initializer);
    if (isNullLiteral(v)) return { isNull: true };
    if (ts.isCallExpression(v)) {
      const fn = calleeName(v);
      if (fn === 'IsNull') return { isNull: true };
      if (fn === 'In') return { isNull: false, literals: literalsOf(v.arguments[0]) };
      return fn === 'Between' ? { isNull: false, bounded: true } : none;
    }
    if (ts.isObjectLiteralExpression(v)) {
      const keys = v.properties.map((q) => (q.name ? (ts.isComputedPropertyName(q.name) ? q.name.expression.getText(sf) : q.name.getText(sf)) : ''));
      const lower = keys.some((k) => /(^|\.)(gt|gte)$/.test(k));
      const upper = keys.some((k) => /(^|\.)(lt|lte)$/.test(k));
      if (lower && upper) return { isNull: false, bounded: true };
      if (upper && keys.every((k) => /(^|\.)(lt|lte)$/.test(k))) return { isNull: false, upperOnly: true };
      for (const q of v.properties) {
        if (!ts.isPropertyAssignment(q)) continue;
        const k = ts.isComputedPropertyName(q.name) ? q.name.expression.getText(sf) : q.name.getText(sf);
        if (/(^|\.)(equals|is|eq)$/.test(k) && isNullLiteral(q.initializer)) return { isNull: true };
        if (/(^|\.)(equals|eq|in)$/.test(k)) return { isNull: false, literals: literalsOf(q.initializer) };
      }
      return none;
    }
    return { isNull: false, literals: literalsOf(v) };
  }
  const call = n.parent && ts.isCallExpression(n.parent) && n.parent.arguments.includes(n as ts.Expression) ? n.parent : undefined;
  if (!call) return none;
  const fn = calleeName(call);
  const args = call.arguments;
  if (fn === 'isNull') return { isNull: true };
  if (/^(and|or)?whereBetween$/i.test(fn) || fn === 'between') return { isNull: false, bounded: true };
  if (/^(eq|inArray)$/.test(fn) && args[0] === n) return { isNull: false, literals: literalsOf(args[1]) };
  if (/^(and|or)?where(In)?$/i.test(fn) && args[0] === n) {
    if (args.length === 2) return isNullLiteral(args[1]) ? { isNull: true } : { isNull: false, literals: literalsOf(args[1]) };
    if (args.length === 3) {
      const op = literalOf(args[1])?.toLowerCase();
      if (op === 'is' || op === '=') return isNullLiteral(args[2]) ? { isNull: true } : { isNull: false, literals: literalsOf(args[2]) };
      if (op === 'in') return { isNull: false, literals: literalsOf(args[2]) };
    }
  }
  return none;
}

