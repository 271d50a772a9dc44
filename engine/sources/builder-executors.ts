/**
 * Builder executors: project functions that run a query builder handed to them
 * (`executeWithCursorPagination(qb, opts)`, `paginate(qb)`): somewhere in the
 * body, a chain rooted at one of the parameters ends in a call whose result
 * the function awaits or returns (`await qb.limit(n + 1).execute()`). The
 * parameter may be rebuilt on the way (`qb = applyCursor(qb, c)`,
 * `qb = qb.orderBy(…)`): it stays the same name. The summary names the
 * parameter and the last method of that chain; the call site then reads
 * `helper(db.selectFrom('x').where(…), …)` as the builder run by that method
 * (engine/sources/orm.ts), and the adapter decides whether the method runs it.
 *
 * The helper is recognised by what its body does with the parameter, never by
 * its name.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ProjectServices } from '../context';
import { decomposeChain } from './orm';
import { fileProvenance } from './provenance';
import { skipOuter } from './ts-expr';

export interface BuilderExecutor {
  /** Index of the parameter that carries the builder. */
  param: number;
  /** The method that ends the chain the body awaits or returns on that parameter (`execute`, `getMany`). */
  method: string;
}

/** The builder-executor summary of a project function, memoised per file text. */
export function builderExecutorOf(project: ProjectServices, file: string, node: ts.SignatureDeclaration): BuilderExecutor | undefined {
  const text = project.fileText(file);
  if (text === undefined) return undefined;
  try {
    return project.memo(`builder-executor:${file}:${node.pos}:${node.end}`, text, () => compute(project, file, node) ?? null) ?? undefined;
  } catch {
    return undefined;
  }
}

function compute(project: ProjectServices, file: string, fn: ts.SignatureDeclaration): BuilderExecutor | undefined {
  const body = (fn as ts.FunctionLikeDeclaration).body;
  if (!body || !ts.isBlock(body)) return undefined;
  const names = new Map<string, number>();
  fn.parameters.forEach((p, i) => {
    if (ts.isIdentifier(p.name) && !p.dotDotDotToken) names.set(p.name.text, i);
  });
  if (!names.size) return undefined;
  let found: BuilderExecutor | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    // Nested functions may run later, or never.
    if (ts.isFunctionLike(n)) return;
    if (ts.isCallExpression(n) && runsHere(n)) {
      const chain = decomposeChain(n);
      const last = chain.steps[chain.steps.length - 1];
      const root = skipOuter(chain.root);
      if (last?.call === n && chain.steps.length <= 8 && ts.isIdentifier(root) && names.has(root.text)) {
        // A parameter the helper's own file already reads as a client or builder (`repo: Repository<User>`):
        // that chain is a site in the helper, which its callers reach through the call graph; not again at each call.
        if (!fileProvenance(project, file).resolve(root)) found = { param: names.get(root.text)!, method: last.name };
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/** A call whose result the function waits for or hands back: `await c`, `return c`. */
function runsHere(call: ts.CallExpression): boolean {
  let p: ts.Node = call.parent;
  while (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isNonNullExpression(p)) p = p.parent;
  return ts.isAwaitExpression(p) || ts.isReturnStatement(p);
}
