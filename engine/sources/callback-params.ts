/**
 * A member destructured from an untyped callback parameter (`withAuth(async ({ prisma, user }) => …)`): what a
 * project's wrapper hands its callback. First the member of the parameter type the wrapper declares for its
 * callback (`fn: (params: AuthContext) => Promise<T>` with `AuthContext = { prisma: PrismaClient; … }`), then the
 * member of the value the wrapper calls it with (`fn({ user, org, prisma })`). Found on sourcebot: 170 Prisma
 * calls took their client this way.
 */
import type ts = require('typescript');
import type { Value } from './query-sites';

/** The provenance of one file, as this module needs it (provenance.ts implements it). */
export interface CallbackParamHost<C> {
  contextualParamType(p: ts.ParameterDeclaration, c: C): { prov: { typedMember(t: ts.TypeNode, name: string, c: C): Value | undefined }; type: ts.TypeNode } | undefined;
  handedToCallback(p: ts.ParameterDeclaration, c: C): Value | undefined;
  memberOf(obj: Value, name: string, c: C): Value | undefined;
}

export function destructuredCallbackMember<C>(host: CallbackParamHost<C>, p: ts.ParameterDeclaration, prop: string, c: C): Value | undefined {
  const t = host.contextualParamType(p, c);
  const typed = t ? t.prov.typedMember(t.type, prop, c) : undefined;
  if (typed) return typed;
  const whole = host.handedToCallback(p, c);
  return whole ? host.memberOf(whole, prop, c) : undefined;
}
