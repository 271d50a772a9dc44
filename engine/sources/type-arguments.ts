/**
 * A type parameter read as the type argument the code gives it: a callback parameter declared with the
 * type parameter of a generic interface (`interface SqlClientShape<X> { query<T>(fn: (tx: X) => Promise<T>): … }`)
 * has, for a receiver declared `SqlClientShape<Operator>`, the type `Operator`; with no argument written, the
 * parameter's default. Found on latitude-llm: 212 Drizzle chains took their client this way
 * (`(yield* SqlClient) as SqlClientShape<Operator>` then `sqlClient.query((db) => db.select()…)`).
 *
 * Only the parameters of the receiver's own declaration are read (an interface, class or type alias); a type
 * parameter of the method itself (`<T>`, inferred from the arguments at each call) stays unknown.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');

/** What this module asks of provenance: follow a type reference (alias, import) to its declaration. */
export interface TypeArgumentResolver<P, C> {
  resolveTypeNode(t: ts.Node, c: C): { prov: P; node: ts.Node } | undefined;
}

type Generic = ts.InterfaceDeclaration | ts.ClassLikeDeclaration | ts.TypeAliasDeclaration;

/** The declaration that declares type parameter `name` around `at`, and the parameter's position in it. */
function typeParameterOwner(at: ts.Node, name: string): { owner: ts.Node; index: number; param: ts.TypeParameterDeclaration } | undefined {
  for (let n: ts.Node | undefined = at.parent; n; n = n.parent) {
    const params = (n as { typeParameters?: ts.NodeArray<ts.TypeParameterDeclaration> }).typeParameters;
    const index = params ? params.findIndex((p) => p.name.text === name) : -1;
    if (params && index >= 0) return { owner: n, index, param: params[index] };
    if (ts.isSourceFile(n)) return undefined;
  }
  return undefined;
}

const isGeneric = (n: ts.Node): n is Generic => ts.isInterfaceDeclaration(n) || ts.isClassLike(n) || ts.isTypeAliasDeclaration(n);

const sameNode = (a: ts.Node, b: ts.Node): boolean => a === b || (a.pos === b.pos && a.end === b.end && a.kind === b.kind && a.getSourceFile().fileName === b.getSourceFile().fileName);

/**
 * `t` (declared in `tProv`'s file) when it is not a type parameter of a generic declaration; when it is one, the
 * type argument the receiver's declared type (`receiver`) gives it, or the parameter's default. Undefined when the
 * parameter is the method's own or the receiver does not name the declaration.
 */
export function instantiate<P extends TypeArgumentResolver<P, C>, C>(
  tProv: P,
  t: ts.TypeNode,
  receiver: { prov: P; type: ts.TypeNode } | undefined,
  c: C,
): { prov: P; type: ts.TypeNode } | undefined {
  if (!ts.isTypeReferenceNode(t) || !ts.isIdentifier(t.typeName) || t.typeArguments?.length) return { prov: tProv, type: t };
  const owned = typeParameterOwner(t, t.typeName.text);
  if (!owned) return { prov: tProv, type: t };
  if (!isGeneric(owned.owner)) return undefined;
  const r = receiver && ts.isTypeReferenceNode(receiver.type) ? receiver.prov.resolveTypeNode(receiver.type, c) : undefined;
  const target = ts.isTypeAliasDeclaration(owned.owner) ? owned.owner.type : owned.owner;
  if (receiver && r && sameNode(r.node, target)) {
    const arg = (receiver.type as ts.TypeReferenceNode).typeArguments?.[owned.index];
    if (arg) return { prov: receiver.prov, type: arg };
  }
  return owned.param.default ? { prov: tProv, type: owned.param.default } : undefined;
}
