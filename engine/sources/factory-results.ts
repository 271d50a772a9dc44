/**
 * A generic function that hands back something which, when called, gives what a factory argument makes: a
 * lazy singleton (`getSingleton<T>(name, factory: () => T | Promise<T>): Singleton<T>` with `interface
 * Singleton<T> { (): T; … }`, or a declared result `() => T`). `db.prisma()` on `const db = { prisma:
 * getSingleton("prisma", createPrisma) }` is then what `createPrisma` returns. Read from the declared types of
 * the generic function alone — its result type's call signature returns the type parameter its factory
 * parameter's function type returns — never from names. Found on jitsu: 103 Prisma and 14 pg calls went
 * through such accessors.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');

/** What this module asks of provenance: follow a type reference (alias, import) to its declaration. */
export interface FactoryTypeResolver<P, C> {
  resolveTypeNode(t: ts.Node, c: C): { prov: P; node: ts.Node } | undefined;
}

const unparen = (t: ts.TypeNode): ts.TypeNode => (ts.isParenthesizedTypeNode(t) ? unparen(t.type) : t);

/** The name of the type parameter `t` is, when it is one of `params` written bare. */
function bareParam(t: ts.TypeNode | undefined, params: ReadonlySet<string>): string | undefined {
  if (!t) return undefined;
  t = unparen(t);
  return ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && !t.typeArguments && params.has(t.typeName.text) ? t.typeName.text : undefined;
}

/** `T`, `Promise<T>`, `PromiseLike<T>` or a union of those (`T | Promise<T>`): what a factory making a T may return. */
function madeParam(t: ts.TypeNode | undefined, params: ReadonlySet<string>): string | undefined {
  if (!t) return undefined;
  t = unparen(t);
  if (ts.isUnionTypeNode(t)) {
    const names = new Set(t.types.map((m) => madeParam(m, params)));
    return names.size === 1 ? [...names][0] : undefined;
  }
  if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && /^(Promise|PromiseLike)$/.test(t.typeName.text) && t.typeArguments?.length === 1)
    return bareParam(t.typeArguments[0], params);
  return bareParam(t, params);
}

/** The type a call signature of a generic declaration returns, mapped through the type arguments `ref` gives it. */
function callSignatureResult(owner: ts.Node, ref: ts.TypeReferenceNode): ts.TypeNode | undefined {
  const decl = ts.isInterfaceDeclaration(owner) || ts.isTypeAliasDeclaration(owner) ? owner : undefined;
  const tps = decl?.typeParameters;
  if (!decl || !tps?.length || !ref.typeArguments?.length) return undefined;
  const body: readonly ts.Node[] = ts.isInterfaceDeclaration(decl)
    ? decl.members
    : ts.isTypeLiteralNode(unparen(decl.type))
      ? (unparen(decl.type) as ts.TypeLiteralNode).members
      : [unparen(decl.type)];
  const own = new Set(tps.map((p) => p.name.text));
  for (const m of body) {
    const result = ts.isCallSignatureDeclaration(m) && m.parameters.length === 0 ? m.type : ts.isFunctionTypeNode(m) && m.parameters.length === 0 ? m.type : undefined;
    const name = bareParam(result, own);
    const i = name === undefined ? -1 : tps.findIndex((p) => p.name.text === name);
    if (i >= 0) return ref.typeArguments[i];
  }
  return undefined;
}

/**
 * The argument of `call` that is the factory whose result calling `fn`'s result gives: `fn` is generic in T, its
 * declared result, called with no arguments, returns T, and the argument stands at a parameter declared as a function
 * returning T (or a promise of T). `calleeProv` is the provenance of `fn`'s file.
 */
export function handedFactory<P extends FactoryTypeResolver<P, C>, C>(
  calleeProv: P,
  fn: ts.SignatureDeclaration,
  call: ts.CallExpression,
  c: C,
): ts.Expression | undefined {
  const tps = fn.typeParameters;
  if (!tps?.length || !fn.type) return undefined;
  const params = new Set(tps.map((t) => t.name.text));
  const rt = unparen(fn.type);
  let made: string | undefined;
  if (ts.isFunctionTypeNode(rt) && rt.parameters.length === 0) made = bareParam(rt.type, params);
  else if (ts.isTypeReferenceNode(rt) && rt.typeArguments?.length) {
    const r = calleeProv.resolveTypeNode(rt, c);
    const owner = r && (ts.isInterfaceDeclaration(r.node) ? r.node : r.node.parent && ts.isTypeAliasDeclaration(r.node.parent) ? r.node.parent : undefined);
    made = owner ? bareParam(callSignatureResult(owner, rt), params) : undefined;
  }
  if (made === undefined) return undefined;
  for (let i = 0; i < fn.parameters.length && i < call.arguments.length; i++) {
    const pt = fn.parameters[i].type && unparen(fn.parameters[i].type!);
    if (pt && ts.isFunctionTypeNode(pt) && pt.parameters.length === 0 && madeParam(pt.type, params) === made) return call.arguments[i];
  }
  return undefined;
}
