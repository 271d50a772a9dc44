/**
 * Prisma's nested `create` of a list: `prisma.post.create({ data: { comments: { create: rows.map((r) => ({ … })) } } })`
 * inserts the related rows one statement each (the client links each to its parent), where a nested
 * `createMany: { data: … }` sends one. Read from the call's `data` (also an upsert's `create`/`update`); a list
 * written out in the code (an array literal without spreads) is a fixed number of rows, not data, and not returned.
 */
import ts = require('typescript');
import type { QuerySite } from '../../sources/query-sites';
import { objectProp, propName, unparen } from '../kit/chain';
import type { NestedRowWrite } from '../types';

const WRITES = new Set(['create', 'update', 'upsert']);
const LIST_METHODS = /^(map|flatMap|filter|slice|concat)$/;

/** The collection a list expression is made from: `xs` of `xs.map(…)` / `xs.filter(…).map(…)` / `[...xs.map(…)]`. */
function collectionOf(list: ts.Expression): ts.Expression {
  let e = unparen(list);
  // `[...xs.map(…), ...ys.map(…)]`: the first spread list names it.
  if (ts.isArrayLiteralExpression(e)) {
    const spread = e.elements.find(ts.isSpreadElement);
    if (spread) e = unparen(spread.expression);
  }
  while (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && LIST_METHODS.test(e.expression.name.text)) e = unparen(e.expression.expression);
  return e;
}

const isArrayType = (t: ts.TypeNode | undefined): boolean =>
  !!t && (ts.isArrayTypeNode(t) || (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && /^(ReadonlyArray|Array)$/.test(t.typeName.text)));

/** The declaration of a local name: a `const`/`let` of an enclosing block or a parameter of an enclosing function. */
function localDeclaration(id: ts.Identifier): ts.VariableDeclaration | ts.ParameterDeclaration | undefined {
  for (let n: ts.Node | undefined = id.parent; n; n = n.parent) {
    if (ts.isBlock(n) || ts.isSourceFile(n)) {
      for (const st of n.statements) {
        if (!ts.isVariableStatement(st)) continue;
        const d = st.declarationList.declarations.find((x) => ts.isIdentifier(x.name) && x.name.text === id.text);
        if (d) return d;
      }
    }
    if (ts.isFunctionLike(n)) {
      const p = n.parameters.find((x) => ts.isIdentifier(x.name) && x.name.text === id.text);
      if (p) return p;
    }
  }
  return undefined;
}

/**
 * Whether `e` is a list by the code, of a length the data decides: a `.map`/`.filter`/… call, an array literal with a
 * spread, or a local name declared with an array type or from one of those. An object (one row) or a written-out array
 * (a fixed number of rows) is not; nor is anything the code does not show to be a list.
 */
function dataList(e: ts.Expression, depth = 0): boolean {
  const x = unparen(e);
  if (ts.isArrayLiteralExpression(x)) return x.elements.some(ts.isSpreadElement);
  if (ts.isCallExpression(x)) return ts.isPropertyAccessExpression(x.expression) && LIST_METHODS.test(x.expression.name.text);
  if (!ts.isIdentifier(x) || depth > 2) return false;
  const d = localDeclaration(x);
  if (!d) return false;
  if (isArrayType(d.type)) return true;
  return ts.isVariableDeclaration(d) && !!d.initializer && dataList(d.initializer, depth + 1);
}

/**
 * Whether every row of the list is a flat object (no value an object literal: a nested write or a JSON value the
 * reader cannot tell apart): `xs.map((x) => ({ a: x.a, b: 1 }))`.
 */
function flatRows(list: ts.Expression): boolean {
  const e = unparen(list);
  if (!ts.isCallExpression(e) || !ts.isPropertyAccessExpression(e.expression) || e.expression.name.text !== 'map') return false;
  const cb = e.arguments[0];
  if (!cb || !ts.isArrowFunction(cb) || ts.isBlock(cb.body)) return false;
  const row = unparen(cb.body);
  return ts.isObjectLiteralExpression(row) && row.properties.every((q) => (ts.isPropertyAssignment(q) && !ts.isObjectLiteralExpression(unparen(q.initializer)) && !ts.isArrayLiteralExpression(unparen(q.initializer))) || ts.isShorthandPropertyAssignment(q));
}

function fromData(data: ts.Expression | undefined, out: NestedRowWrite[]): void {
  const d = data && unparen(data);
  if (!d || !ts.isObjectLiteralExpression(d)) return;
  for (const p of d.properties) {
    if (!ts.isPropertyAssignment(p)) continue;
    const relation = propName(p);
    const create = objectProp(p.initializer, 'create');
    if (relation === undefined || !create || !dataList(create)) continue;
    const createProp = ts.isObjectLiteralExpression(unparen(p.initializer)) ? (unparen(p.initializer) as ts.ObjectLiteralExpression).properties.find((q) => propName(q) === 'create') : undefined;
    out.push({
      list: create,
      collection: collectionOf(create),
      relation,
      advice: `the nested \`create\` list inserts its \`${relation}\` rows one statement each: use \`${relation}: { createMany: { data: … } }\` (one INSERT) when the rows need no nested writes of their own`,
      rewrite:
        createProp && flatRows(create)
          ? {
              start: createProp.getStart(),
              end: createProp.getEnd(),
              text: `createMany: { data: ${create.getText()} }`,
              title: `Insert the \`${relation}\` rows in one statement: a nested \`createMany\` (a one-to-many relation; its rows have no nested writes)`,
            }
          : undefined,
    });
  }
}

export function nestedRowWrites(site: QuerySite, call: ts.CallExpression): NestedRowWrite[] {
  if (site.kind !== 'write' || !WRITES.has(site.operation)) return [];
  const args = call.arguments[0];
  const out: NestedRowWrite[] = [];
  if (site.operation === 'upsert') {
    fromData(objectProp(args, 'create'), out);
    fromData(objectProp(args, 'update'), out);
  } else fromData(objectProp(args, 'data'), out);
  return out;
}
