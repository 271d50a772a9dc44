/** Expression helpers shared by the source layers and the adapters (no dependencies beyond the compiler). */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');

// The kinds skipParens looks through, read once: every `ts.isX` is a getter call on the compiler's module object,
// and skipParens runs on most expressions provenance and the rules look at.
const PAREN = ts.SyntaxKind.ParenthesizedExpression;
const AS = ts.SyntaxKind.AsExpression;
const NON_NULL = ts.SyntaxKind.NonNullExpression;
const TYPE_ASSERTION = ts.SyntaxKind.TypeAssertionExpression;
const SATISFIES = ts.SyntaxKind.SatisfiesExpression;

type Wrapper = ts.ParenthesizedExpression | ts.AsExpression | ts.NonNullExpression | ts.TypeAssertion | ts.SatisfiesExpression;

/** Skips parentheses, type assertions, `!` and `satisfies` (not `await`: the value stays a promise). */
export function skipParens(e: ts.Expression): ts.Expression {
  for (let k = e.kind; k === PAREN || k === AS || k === NON_NULL || k === TYPE_ASSERTION || k === SATISFIES; k = e.kind) e = (e as Wrapper).expression;
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
