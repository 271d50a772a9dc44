/**
 * The declared type of one position of an array destructuring: `([router, tenant]: [Router, Tenant])`,
 * `...[router, { queries }]: RouterInitArgs<T>` where `type RouterInitArgs<T> = Parameters<RouterInit<T>>`
 * and `type RouterInit<T> = (router: T, tenant: TenantContext) => void`.
 *
 * Read from the declarations only (no checker): a tuple type (plain or labelled elements), an array type
 * (every position has its element type), or TypeScript's `Parameters<F>` of a function type. A rest element
 * or rest parameter before the position makes the position unknown.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');

/** What this module asks of provenance: follow a type reference (alias, import) to its declaration. */
export interface TypeNodeResolver<P, C> {
  resolveTypeNode(t: ts.Node, c: C): { prov: P; node: ts.Node } | undefined;
}

/** TypeScript's built-in utility types this module reads (not declared in the project). */
export const TUPLE_UTILITIES: ReadonlySet<string> = new Set(['Parameters']);

/** The type of element `index` of a tuple-like declared type, with the provenance of the file that declares it. */
export function tupleElementType<P extends TypeNodeResolver<P, C>, C>(
  prov: P,
  t: ts.TypeNode,
  index: number,
  c: C,
): { prov: P; type: ts.TypeNode } | undefined {
  const r = prov.resolveTypeNode(t, c);
  if (!r) return undefined;
  const n = r.node;
  if (ts.isArrayTypeNode(n)) return { prov: r.prov, type: n.elementType };
  if (ts.isTupleTypeNode(n)) {
    for (let j = 0; j < index; j++) if (isRestElement(n.elements[j])) return undefined;
    const el = n.elements[index];
    if (!el || isRestElement(el)) return undefined;
    const type = ts.isNamedTupleMember(el) ? el.type : ts.isOptionalTypeNode(el) ? el.type : el;
    return { prov: r.prov, type };
  }
  if (ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName) && n.typeName.text === 'Parameters' && n.typeArguments?.length === 1) {
    const fn = r.prov.resolveTypeNode(n.typeArguments[0], c);
    if (!fn || !(ts.isFunctionTypeNode(fn.node) || ts.isMethodSignature(fn.node))) return undefined;
    const params = fn.node.parameters;
    for (let j = 0; j <= index && j < params.length; j++) if (params[j].dotDotDotToken) return undefined;
    const type = params[index]?.type;
    return type ? { prov: fn.prov, type } : undefined;
  }
  return undefined;
}

function isRestElement(el: ts.TypeNode | undefined): boolean {
  return !!el && (ts.isRestTypeNode(el) || (ts.isNamedTupleMember(el) && !!el.dotDotDotToken));
}
