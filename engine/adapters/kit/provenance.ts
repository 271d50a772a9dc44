/**
 * Small helpers the adapters' provenance tables share: making bindings and
 * reading the arguments that name entities and tables.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { Binding, Library, Origin, Value } from '../../sources/query-sites';

/** An instance of `library` in `role`, established at `origin`. */
export function bind(library: Library, role: Binding['role'], origin?: Origin, entity?: string): Value {
  const b: Binding = { library, role };
  if (entity !== undefined) b.entity = entity;
  if (origin) b.origin = origin;
  return { kind: 'instance', binding: b };
}

/** A binding (not wrapped in a value) of a package export used directly. */
export function exportBound(library: Library, role: Binding['role'], origin?: Origin): Binding {
  return origin ? { library, role, origin } : { library, role };
}

/** Last segment of a dotted package member path: `Prisma.sql` → `sql`, `Sequelize.Op` → `Op`. */
export function lastName(name: string): string {
  const i = name.lastIndexOf('.');
  return i < 0 ? name : name.slice(i + 1);
}

export function stringArg(e: ts.Expression | undefined): string | undefined {
  if (!e) return undefined;
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  return undefined;
}

/** The entity named by a `getRepository(User)` / `getRepository('User')` argument. */
export function entityArg(e: ts.Expression | undefined): string | undefined {
  if (!e) return undefined;
  const s = stringArg(e);
  if (s !== undefined) return s;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** `selectFrom('users as u')` → `users`. */
export function tableArg(e: ts.Expression | undefined): string | undefined {
  const s = stringArg(e);
  if (s === undefined) return undefined;
  return s.trim().split(/\s+as\s+|\s+/i)[0];
}

/** The name of a type argument `Repository<User>` → `User`. */
export function typeArgName(typeArgs: readonly ts.TypeNode[] | undefined): string | undefined {
  const arg0 = typeArgs?.[0];
  return arg0 && ts.isTypeReferenceNode(arg0) ? (ts.isIdentifier(arg0.typeName) ? arg0.typeName.text : arg0.typeName.right.text) : undefined;
}

/** A hook this library has nothing for. */
export const none = (..._args: unknown[]): undefined => undefined;
/** A predicate this library never satisfies. */
export const never = (..._args: unknown[]): false => false;
