/**
 * The context an RPC procedure hands its resolvers and middlewares: tRPC's
 * `protectedProcedure.query(({ ctx }) => ctx.db.user.findMany())`. The type of `ctx` is inferred through the
 * framework's generics, so it is not written anywhere; what is written is the context creator the procedures
 * are built from, `initTRPC.context<typeof createTRPCContext>().create()` (or `.context<Ctx>()`). This module reads
 * the builder chain back to that call (across files: `protectedProcedure` imported from the tRPC setup) and
 * answers the context: the creator's returned object, or the declared context type.
 *
 * tRPC is not a data library: this is framework knowledge the provenance asks, never a source of clients itself.
 * A middleware that replaces a member of the context with an object literal (`next({ ctx: { db: other } })`) is
 * reported as an override, so the caller does not attribute the creator's member to it.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { skipOuter } from './ts-expr';

/** The framework module whose `initTRPC` starts a procedure builder. */
const FRAMEWORK_MODULES = new Set(['@trpc/server']);
/** Methods that take a resolver or middleware whose first parameter holds the context as `ctx`. */
const RESOLVERS = new Set(['query', 'mutation', 'subscription', 'use']);
/** Builder steps that keep the context (`.use` may add members; it cannot remove them). */
const STEPS = new Set(['use', 'input', 'output', 'meta', 'concat', 'unstable_concat']);

/** The context of a procedure: the creator's result (an expression-level answer) or a declared type. */
export type ProcedureContext =
  | { kind: 'creator'; file: string; type: ts.TypeNode; overrides: ReadonlySet<string> }
  | { kind: 'type'; file: string; type: ts.TypeNode; overrides: ReadonlySet<string> };

/** What the module asks of provenance. */
export interface ProcedureHost {
  /** The declaration an identifier of `file` refers to, imports followed to the declaring file. */
  definition(file: string, id: ts.Identifier): { file: string; node: ts.Node } | undefined;
  /** The module an identifier of `file` is imported from, when it is imported. */
  importedFrom(file: string, id: ts.Identifier): string | undefined;
}

/**
 * The context a callback's first parameter receives as `ctx`, when the callback is a resolver or middleware
 * of a procedure built from `initTRPC.context<…>()`.
 */
export function procedureContext(file: string, fn: ts.SignatureDeclaration, host: ProcedureHost): ProcedureContext | undefined {
  let arg: ts.Node = fn;
  while (ts.isParenthesizedExpression(arg.parent)) arg = arg.parent;
  const call = arg.parent;
  if (!call || !ts.isCallExpression(call) || call.arguments[0] !== arg) return undefined;
  const callee = skipOuter(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !RESOLVERS.has(callee.name.text)) return undefined;
  const overrides = new Set<string>();
  return builderContext(file, callee.expression, host, overrides);
}

function builderContext(file: string, start: ts.Expression, host: ProcedureHost, overrides: Set<string>): ProcedureContext | undefined {
  let e = start;
  for (let i = 0; i < 40; i++) {
    e = skipOuter(e);
    if (ts.isCallExpression(e)) {
      const callee = skipOuter(e.expression);
      if (!ts.isPropertyAccessExpression(callee) || !STEPS.has(callee.name.text)) return undefined;
      if (callee.name.text === 'use' && e.arguments[0]) addOverrides(e.arguments[0], overrides);
      e = callee.expression;
      continue;
    }
    if (ts.isPropertyAccessExpression(e) && e.name.text === 'procedure') return instanceContext(file, e.expression, host, overrides);
    if (ts.isIdentifier(e)) {
      const d = host.definition(file, e);
      if (!d || !ts.isVariableDeclaration(d.node) || !d.node.initializer) return undefined;
      file = d.file;
      e = d.node.initializer;
      continue;
    }
    return undefined;
  }
  return undefined;
}

/** `t` of `t.procedure`: `const t = initTRPC.context<Ctx>().create(…)`. */
function instanceContext(file: string, e: ts.Expression, host: ProcedureHost, overrides: Set<string>): ProcedureContext | undefined {
  e = skipOuter(e);
  if (ts.isIdentifier(e)) {
    const d = host.definition(file, e);
    if (!d || !ts.isVariableDeclaration(d.node) || !d.node.initializer) return undefined;
    file = d.file;
    e = skipOuter(d.node.initializer);
  }
  if (!ts.isCallExpression(e)) return undefined;
  const create = skipOuter(e.expression);
  if (!ts.isPropertyAccessExpression(create) || create.name.text !== 'create') return undefined;
  const ctxCall = skipOuter(create.expression);
  if (!ts.isCallExpression(ctxCall) || !ctxCall.typeArguments?.[0]) return undefined;
  const ctxCallee = skipOuter(ctxCall.expression);
  if (!ts.isPropertyAccessExpression(ctxCallee) || ctxCallee.name.text !== 'context') return undefined;
  const root = skipOuter(ctxCallee.expression);
  if (!ts.isIdentifier(root)) return undefined;
  const spec = host.importedFrom(file, root);
  if (spec === undefined || !FRAMEWORK_MODULES.has(spec)) return undefined;
  const type = ctxCall.typeArguments[0];
  return ts.isTypeQueryNode(type) ? { kind: 'creator', file, type, overrides } : { kind: 'type', file, type, overrides };
}

/** The members a middleware written here replaces with an object literal: `next({ ctx: { session, db: x } })`. */
function addOverrides(mw: ts.Expression, overrides: Set<string>): void {
  const fn = skipOuter(mw);
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn)) return;
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      for (const a of n.arguments) {
        if (!ts.isObjectLiteralExpression(a)) continue;
        for (const p of a.properties) {
          if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name) || p.name.text !== 'ctx') continue;
          const v = skipOuter(p.initializer);
          if (!ts.isObjectLiteralExpression(v)) continue;
          for (const q of v.properties) {
            if ((ts.isPropertyAssignment(q) || ts.isShorthandPropertyAssignment(q)) && ts.isIdentifier(q.name)) overrides.add(q.name.text);
          }
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(fn.body);
}
