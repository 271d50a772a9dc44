/** Expression helpers shared by the source layers and the adapters (no dependencies beyond the compiler). */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');

/** Skips parentheses, type assertions, `!` and `satisfies` (not `await`: the value stays a promise). */
export function skipParens(e: ts.Expression): ts.Expression {
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isNonNullExpression(e) ||
    ts.isTypeAssertionExpression(e) ||
    ts.isSatisfiesExpression(e)
  )
    e = e.expression;
  return e;
}

/** Skips parentheses, type assertions, `!`, `satisfies` and `await`. */
export function skipOuter(e: ts.Expression): ts.Expression {
  for (;;) {
    e = skipParens(e);
    if (ts.isAwaitExpression(e)) e = e.expression;
    else return e;
  }
}
