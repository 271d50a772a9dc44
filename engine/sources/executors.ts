/**
 * Project-written query executors: functions and methods that hand one of
 * their parameters, as SQL, to a library sink (`client.query(text)`), to
 * another executor, or to a method whose declared result is the library's
 * query result (`query(statement: string | Statement): Promise<QueryResult>`
 * on a project interface). A call of an executor with SQL text in that
 * argument is a raw-SQL site (ts-sql.ts): `this.query(db, { text: 'SELECT …' })`.
 *
 * The parameter is followed, not named: it reaches the sink directly, as
 * `{ text: p }`, through `p.text`, through a local initialised from it, or
 * through a call that takes it (`normalizeStatement(p)`).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapters, allAdapters, clientByMethodName } from '../adapters';
import { lastName } from '../adapters/kit/provenance';
import type { ProjectServices } from '../context';
import { fileProvenance, type FileProvenance } from './provenance';
import type { Library } from './query-sites';
import { skipOuter } from './ts-expr';

export interface Executor {
  library: Library;
  /** Index of the parameter that carries the SQL. */
  sqlParam: number;
}

/** Executor summaries under computation (a recursive helper is not an executor through itself). */
const inProgress = new Set<string>();

/** The executor summary of a project signature, memoised per file text. */
export function executorOf(project: ProjectServices, file: string, node: ts.SignatureDeclaration): Executor | undefined {
  const text = project.fileText(file);
  if (text === undefined) return undefined;
  const key = `executor:${file}:${node.pos}:${node.end}`;
  if (inProgress.has(key)) return undefined;
  inProgress.add(key);
  try {
    return project.memo(key, text, () => compute(project, file, node) ?? null) ?? undefined;
  } catch {
    return undefined;
  } finally {
    inProgress.delete(key);
  }
}

function compute(project: ProjectServices, file: string, node: ts.SignatureDeclaration): Executor | undefined {
  const prov = fileProvenance(project, file);
  const body = (node as ts.FunctionLikeDeclaration).body;
  if (!body) return declaredExecutor(prov, node);
  // What a call forwards must be one of the parameters (derivedParam): without any, or in a call none of whose
  // arguments is one, nothing is forwarded, and where the call goes (a resolution, an executor summary) is not asked.
  if (!node.parameters.length) return undefined;
  let found: Executor | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) && n.arguments.some((a) => derivedParam(prov, node, a, 0) !== undefined)) {
      const target = sinkOf(project, prov, n);
      const arg = target ? n.arguments[target.sqlParam] : undefined;
      const p = arg ? derivedParam(prov, node, arg, 0) : undefined;
      if (target && p !== undefined) {
        found = { library: target.library, sqlParam: p };
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

/** Where a call sends SQL: a library sink (argument 0) or another executor. */
function sinkOf(project: ProjectServices, prov: FileProvenance, call: ts.CallExpression): Executor | undefined {
  const callee = skipOuter(call.expression);
  if (ts.isPropertyAccessExpression(callee)) {
    const method = callee.name.text;
    const b = prov.resolve(callee.expression) ?? clientByMethodName(method);
    if (b && adapters[b.library].sql.sink(b, method)) return { library: b.library, sqlParam: 0 };
  }
  const t = prov.callTarget(call);
  return t ? executorOf(project, t.file, t.node) : undefined;
}

/** A method declared (without a body) to return a library's query result runs its first argument. */
function declaredExecutor(prov: FileProvenance, node: ts.SignatureDeclaration): Executor | undefined {
  let t = node.type;
  if (!t || node.parameters.length === 0) return undefined;
  if (ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) && /^(Promise|PromiseLike)$/.test(t.typeName.text) && t.typeArguments?.[0]) t = t.typeArguments[0];
  if (!ts.isTypeReferenceNode(t)) return undefined;
  const id = ts.isIdentifier(t.typeName) ? t.typeName : t.typeName.left;
  if (!ts.isIdentifier(id)) return undefined;
  const v = prov.value(id);
  if (v?.kind !== 'pkg') return undefined;
  const name = ts.isIdentifier(t.typeName) ? v.name : `${v.name}.${t.typeName.right.text}`;
  const lib = allAdapters.find((a) => a.id === v.library);
  return lib && lib.sql.resultTypes.includes(lastName(name)) ? { library: v.library, sqlParam: 0 } : undefined;
}

/** The index of the parameter of `fn` that an expression is (or carries as its SQL text), if any. */
function derivedParam(prov: FileProvenance, fn: ts.SignatureDeclaration, expr: ts.Expression, depth: number): number | undefined {
  if (depth > 6) return undefined;
  const e = skipOuter(expr);
  if (ts.isIdentifier(e)) {
    const d = prov.declarationOf(e);
    if (d && ts.isParameter(d)) return d.parent === fn ? fn.parameters.indexOf(d) : undefined;
    if (d && ts.isVariableDeclaration(d) && d.initializer && d.pos > fn.pos && d.end <= fn.end) return derivedParam(prov, fn, d.initializer, depth + 1);
    return undefined;
  }
  // `statement.text`, `query.text`.
  if (ts.isPropertyAccessExpression(e)) return derivedParam(prov, fn, e.expression, depth + 1);
  if (ts.isObjectLiteralExpression(e)) {
    for (const p of e.properties) {
      if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && /^(text|sql|query)$/.test(p.name.text)) return derivedParam(prov, fn, p.initializer, depth + 1);
      if (ts.isShorthandPropertyAssignment(p) && /^(text|sql|query)$/.test(p.name.text)) return derivedParam(prov, fn, p.name, depth + 1);
    }
    return undefined;
  }
  // `normalizeStatement(statement, values)`: a call that takes the statement passes it on; so does a method of
  // the text itself (`sql.replaceAll(/\{\{(\w+)\}\}/g, …)`: a wrapper turning its own placeholders into `$n`).
  if (ts.isCallExpression(e)) {
    const callee = skipOuter(e.expression);
    if (ts.isPropertyAccessExpression(callee)) {
      const p = derivedParam(prov, fn, callee.expression, depth + 1);
      if (p !== undefined) return p;
    }
    for (const a of e.arguments) {
      const p = derivedParam(prov, fn, a, depth + 1);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (ts.isConditionalExpression(e)) return derivedParam(prov, fn, e.whenTrue, depth + 1) ?? derivedParam(prov, fn, e.whenFalse, depth + 1);
  return undefined;
}
