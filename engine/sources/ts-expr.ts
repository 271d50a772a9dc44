/** Expression helpers shared by the source layers and the adapters (no dependencies beyond the compiler). */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');

/** Skips parentheses, type assertions, `!`, `satisfies` and `await`. */
export function skipOuter(e: ts.Expression): ts.Expression {
  for (;;) {
    if (
      ts.isParenthesizedExpression(e) ||
      ts.isAsExpression(e) ||
      ts.isNonNullExpression(e) ||
      ts.isTypeAssertionExpression(e) ||
      ts.isSatisfiesExpression(e) ||
      ts.isAwaitExpression(e)
    )
      e = e.expression;
    else return e;
  }
}
