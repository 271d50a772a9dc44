/**
 * What the elements of a loop's collection are, read from declared types: `T[]`, `Array<T>`, tuples (every position),
 * `Set<T>`, type aliases the project writes, `Object.values` of a `Record<K, V>`, array literals and spreads of them
 * (engine/sources/database-fanout.ts: a loop over clients; rules/n-plus-one.ts: a loop over lists is a chunk loop).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import type { ProjectServices } from '../context';
import type { IterationScope } from './iteration';
import { fileProvenance } from './provenance';
import { skipOuter } from './ts-expr';

export interface TypeAt {
  file: string;
  type: ts.TypeNode;
}

const MAX_DEPTH = 6;

/** A type alias written in the project, followed to what it names (`type RegionClients = Record<string, Knex>`). */
function followAlias(project: ProjectServices, t: TypeAt, depth: number): TypeAt {
  let cur = t;
  for (let i = depth; i < MAX_DEPTH; i++) {
    const ty = cur.type;
    if (ts.isParenthesizedTypeNode(ty)) {
      cur = { file: cur.file, type: ty.type };
      continue;
    }
    if (!ts.isTypeReferenceNode(ty) || !ts.isIdentifier(ty.typeName) || ty.typeArguments?.length) return cur;
    const def = fileProvenance(project, cur.file).definitionOf(ty.typeName);
    if (!def || !ts.isTypeAliasDeclaration(def.node) || def.node.typeParameters?.length) return cur;
    cur = { file: def.file, type: def.node.type };
  }
  return cur;
}

const refName = (t: ts.TypeReferenceNode): string => (ts.isIdentifier(t.typeName) ? t.typeName.text : t.typeName.right.text);

/** The element types of an array, tuple, `Set` or iterable type (every position of a tuple), when the type says. */
function elementTypes(project: ProjectServices, at: TypeAt, depth = 0): TypeAt[] | undefined {
  const t = followAlias(project, at, depth);
  const ty = t.type;
  if (ts.isArrayTypeNode(ty)) return [{ file: t.file, type: ty.elementType }];
  if (ts.isTypeOperatorNode(ty) && ty.operator === ts.SyntaxKind.ReadonlyKeyword) return elementTypes(project, { file: t.file, type: ty.type }, depth + 1);
  if (ts.isTupleTypeNode(ty)) {
    if (!ty.elements.length) return undefined;
    const out: TypeAt[] = [];
    for (const el of ty.elements) {
      const inner = ts.isNamedTupleMember(el) ? el.type : el;
      if (ts.isRestTypeNode(inner)) {
        const rest = elementTypes(project, { file: t.file, type: inner.type }, depth + 1);
        if (!rest) return undefined;
        out.push(...rest);
      } else if (ts.isOptionalTypeNode(inner)) out.push({ file: t.file, type: inner.type });
      else out.push({ file: t.file, type: inner });
    }
    return out;
  }
  if (ts.isTypeReferenceNode(ty) && ty.typeArguments?.length === 1 && /^(Array|ReadonlyArray|Set|ReadonlySet|Iterable|AsyncIterable)$/.test(refName(ty))) return [{ file: t.file, type: ty.typeArguments[0] }];
  return undefined;
}

/** The value type of a record type (`Record<string, Knex>`, `{ [region: string]: Knex }`): what `Object.values` lists. */
function recordValueType(project: ProjectServices, at: TypeAt): TypeAt | undefined {
  const t = followAlias(project, at, 0);
  const ty = t.type;
  if (ts.isTypeReferenceNode(ty) && refName(ty) === 'Record' && ty.typeArguments?.length === 2) return { file: t.file, type: ty.typeArguments[1] };
  if (ts.isTypeLiteralNode(ty) && ty.members.length === 1 && ts.isIndexSignatureDeclaration(ty.members[0]) && ty.members[0].type) return { file: t.file, type: ty.members[0].type };
  return undefined;
}

/**
 * What each element of the collection is: its types, or `client` when the collection is written out of clients
 * (`[mainDb, ...regionDbs]`). Undefined when any part is unknown.
 */
export function collectionElements(project: ProjectServices, file: string, e: ts.Expression, depth = 0): (TypeAt | 'client')[] | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const x = skipOuter(e);
  const prov = fileProvenance(project, file);
  if (ts.isArrayLiteralExpression(x)) {
    if (!x.elements.length) return undefined;
    const out: (TypeAt | 'client')[] = [];
    for (const el of x.elements) {
      if (ts.isSpreadElement(el)) {
        const inner = collectionElements(project, file, el.expression, depth + 1);
        if (!inner) return undefined;
        out.push(...inner);
      } else if (prov.resolve(el)?.role === 'client') out.push('client');
      else {
        const dt = prov.declaredType(el);
        if (!dt) return undefined;
        out.push(dt);
      }
    }
    return out;
  }
  if (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression)) {
    const method = x.expression.name.text;
    const recv = x.expression.expression;
    // `Object.values(regionClients)`: the record's values.
    if (method === 'values' && ts.isIdentifier(recv) && recv.text === 'Object' && x.arguments.length === 1) {
      const dt = prov.declaredType(x.arguments[0]);
      const v = dt ? recordValueType(project, dt) : undefined;
      // `Object.values(list)` of an array: its elements.
      return v ? [v] : dt ? elementTypes(project, dt) : undefined;
    }
    // `dbs.filter(…)`, `dbs.slice(1)`: the same elements.
    if (/^(filter|slice|toReversed|toSorted)$/.test(method)) return collectionElements(project, file, recv, depth + 1);
  }
  const dt = prov.declaredType(x);
  return dt ? elementTypes(project, dt) : undefined;
}


/** Whether every element of the loop's collection is itself a list by its declared type (`const batches: Row[][]`): a chunk loop. */
export function elementsAreLists(project: ProjectServices, file: string, scope: IterationScope): boolean {
  if (!scope.collectionExpr) return false;
  try {
    const els = collectionElements(project, file, scope.collectionExpr);
    return !!els?.length && els.every((el) => el !== 'client' && !!elementTypes(project, el));
  } catch {
    return false;
  }
}
