import assert from 'node:assert/strict';
import * as ts from 'typescript';
import { skipOuter, skipParens } from '../../engine/sources/ts-expr';

/** The initializer of `const x = …` in `code`. */
function init(code: string): ts.Expression {
  const sf = ts.createSourceFile('x.ts', `async function f() { const x = ${code}; }`, ts.ScriptTarget.Latest, true);
  let found: ts.Expression | undefined;
  const visit = (n: ts.Node): void => {
    if (!found && ts.isVariableDeclaration(n) && n.initializer) found = n.initializer;
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found!;
}

describe('expression wrappers (engine/sources/ts-expr.ts)', () => {
  // Every local variant this replaced skipped a different subset; each wrapper is checked here once.
  it('skipParens skips parentheses, as, <T>, ! and satisfies, in any nesting, but keeps await', () => {
    for (const code of ['(users)', 'users as User[]', '<User[]>users', 'users!', 'users satisfies User[]', '((users as any)! satisfies User[])']) {
      const e = skipParens(init(code));
      assert.ok(ts.isIdentifier(e) && e.text === 'users', code);
    }
    assert.ok(ts.isAwaitExpression(skipParens(init('(await users)'))));
  });
  it('skipOuter also skips await, also under the type wrappers', () => {
    for (const code of ['await users', '(await users) as User[]', 'await (users satisfies Promise<User[]>)', '(await users)!']) {
      const e = skipOuter(init(code));
      assert.ok(ts.isIdentifier(e) && e.text === 'users', code);
    }
  });
  it('leaves other expressions alone', () => {
    assert.ok(ts.isCallExpression(skipOuter(init('load(users)'))));
    assert.ok(ts.isPropertyAccessExpression(skipParens(init('(users).length'))));
  });
});
