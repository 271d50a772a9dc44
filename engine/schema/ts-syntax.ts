/**
 * Syntax helpers the schema readers share: call chains (`a.b(x).c()` as root and steps), decorators,
 * object-literal properties, node ranges, a migration's `up` bodies and a literal as SQL text.
 * Static values themselves come from ts-values.ts.
 */
// A plain require, as in engine/sources/ts-ast.ts.
import ts = require('typescript');
import { propertyName, unwrap, type Values } from './ts-values';

/**
 * A call chain `a.b(x).c(y).d()` as its root expression and steps, first call first. Property
 * accesses without a call are steps with `args` undefined.
 */
export interface ChainStep {
  name: string;
  args?: ts.NodeArray<ts.Expression>;
  node: ts.Expression;
}

export function callChain(e: ts.Expression): { root: ts.Expression; steps: ChainStep[] } {
  const steps: ChainStep[] = [];
  let x = unwrap(e);
  for (;;) {
    if (ts.isAwaitExpression(x)) x = unwrap(x.expression);
    if (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression)) {
      steps.unshift({ name: x.expression.name.text, args: x.arguments, node: x });
      x = unwrap(x.expression.expression);
    } else if (ts.isPropertyAccessExpression(x)) {
      steps.unshift({ name: x.name.text, node: x });
      x = unwrap(x.expression);
    } else return { root: x, steps };
  }
}

/** The name a decorator calls (`@Entity(…)` → Entity) and its arguments. */
export function decoratorCall(d: ts.Decorator): { name: string; args: readonly ts.Expression[] } | undefined {
  const e = d.expression;
  if (ts.isCallExpression(e)) {
    const callee = e.expression;
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
    return name ? { name, args: e.arguments } : undefined;
  }
  if (ts.isIdentifier(e)) return { name: e.text, args: [] };
  if (ts.isPropertyAccessExpression(e)) return { name: e.name.text, args: [] };
  return undefined;
}

/** Decorators of a class or member. */
export function decoratorsOf(n: ts.Node): { name: string; args: readonly ts.Expression[]; node: ts.Decorator }[] {
  const ds = ts.canHaveDecorators(n) ? (ts.getDecorators(n) ?? []) : [];
  const out: { name: string; args: readonly ts.Expression[]; node: ts.Decorator }[] = [];
  for (const d of ds) {
    const c = decoratorCall(d);
    if (c) out.push({ ...c, node: d });
  }
  return out;
}

/** A property of an object literal by name. */
export function prop(obj: ts.ObjectLiteralExpression | undefined, key: string, scope?: Values): ts.Expression | undefined {
  if (!obj) return undefined;
  for (const p of obj.properties) {
    if (ts.isPropertyAssignment(p) && propertyName(p.name, scope) === key) return p.initializer;
    if (ts.isShorthandPropertyAssignment(p) && p.name.text === key) return p.name;
    if (ts.isMethodDeclaration(p) && propertyName(p.name, scope) === key) return undefined;
  }
  return undefined;
}

/** The range of a node in its file (start after leading trivia). */
export function rangeOf(n: ts.Node): { start: number; end: number } {
  return { start: n.getStart(), end: n.getEnd() };
}

/** The bodies of a migration's `up`: `exports.up = fn`, `export function up`, `const up = fn`, `{ up: fn }`, `up(knex) {}`. */
export function migrationUpBodies(sf: ts.SourceFile, values: Values): ts.Node[] {
  const out: ts.Node[] = [];
  const fnBody = (e: ts.Node | undefined): void => {
    if (!e) return;
    const x = ts.isExpression(e as ts.Expression) ? unwrap(e as ts.Expression) : e;
    if (ts.isArrowFunction(x) || ts.isFunctionExpression(x) || ts.isFunctionDeclaration(x) || ts.isMethodDeclaration(x)) {
      if (x.body) out.push(x.body);
    } else if (ts.isIdentifier(x)) {
      const d = values.lookup(x);
      if (d && d.file === values.root) {
        if (ts.isFunctionDeclaration(d.node)) fnBody(d.node);
        else if (ts.isVariableDeclaration(d.node)) fnBody(d.node.initializer);
      }
    }
  };
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) && n.name?.text === 'up') fnBody(n);
    else if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === 'up') fnBody(n.initializer);
    else if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(n.left) && n.left.name.text === 'up') fnBody(n.right);
    else if ((ts.isPropertyAssignment(n) || ts.isMethodDeclaration(n)) && n.name && propertyName(n.name) === 'up') fnBody(ts.isPropertyAssignment(n) ? n.initializer : n);
    else if (ts.isShorthandPropertyAssignment(n) && n.name.text === 'up') fnBody(n.name);
    else {
      ts.forEachChild(n, visit);
      return;
    }
  };
  visit(sf);
  return [...new Set(out)];
}

/**
 * A literal written in the code, as SQL text: `NULL`, `true`/`false`, a number, a string quoted (`'it''s'`) — strings
 * read through `values` (a constant's value too, where the caller's `values` resolves them). Anything else: undefined.
 */
export function sqlLiteral(e: ts.Expression, values: Pick<Values, 'string'>): string | undefined {
  const v = unwrap(e);
  if (v.kind === ts.SyntaxKind.NullKeyword) return 'NULL';
  if (v.kind === ts.SyntaxKind.TrueKeyword) return 'true';
  if (v.kind === ts.SyntaxKind.FalseKeyword) return 'false';
  if (ts.isNumericLiteral(v)) return v.text;
  const s = values.string(v);
  return s === undefined ? undefined : `'${s.replace(/'/g, "''")}'`;
}
