/**
 * Prisma's errors, as the fixes that replace a Prisma call must keep them.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import type { Batched } from '../types';

/**
 * The error `findUniqueOrThrow`/`findFirstOrThrow` throws for a missing row, for the Map lookup that replaces it: a
 * `Prisma.PrismaClientKnownRequestError` with code P2025, as Prisma throws it, so a caller that tests `e.code ===
 * 'P2025'` (or `instanceof`) sees the same error. `Prisma` comes from the module the file imports the client from
 * (`@prisma/client`, or a generated client's path), else from `@prisma/client`.
 */
export function notFoundError(call: ts.CallExpression): NonNullable<Batched['notFound']> {
  const model = ts.isPropertyAccessExpression(call.expression) && ts.isPropertyAccessExpression(call.expression.expression) ? call.expression.expression.name.text : 'record';
  const name = model.charAt(0).toUpperCase() + model.slice(1);
  const sf = call.getSourceFile();
  let module = '@prisma/client';
  for (const st of sf.statements) {
    const nb = ts.isImportDeclaration(st) && !st.importClause?.isTypeOnly ? st.importClause?.namedBindings : undefined;
    if (nb && ts.isNamedImports(nb) && ts.isStringLiteral((st as ts.ImportDeclaration).moduleSpecifier) && nb.elements.some((e) => /^(PrismaClient|Prisma)$/.test(e.name.text) && !e.isTypeOnly)) module = ((st as ts.ImportDeclaration).moduleSpecifier as ts.StringLiteral).text;
  }
  return {
    text: () => `new Prisma.PrismaClientKnownRequestError('No ${name} found', { code: 'P2025', clientVersion: Prisma.prismaVersion.client })`,
    imports: [{ module, name: 'Prisma' }],
  };
}
