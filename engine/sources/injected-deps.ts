/**
 * Functions handed in as dependencies: a service built by a factory that receives its repository functions
 * (`deleteUserFactory = (deps: { deleteProject: DeleteProject }) => async (id) => { … await deps.deleteProject(x) }`,
 * also destructured: `({ getUser }: { getUser: GetUser }) => …`, `const { getUser } = deps`) calls whatever the
 * composition root binds there (`deleteUserFactory({ deleteProject: deleteProjectFactory({ db }) })`). Read from
 * every production call of the factory (callers.ts): the property of the object literal it passes, resolved by
 * provenance to a project function (a function reference, an inline arrow, or the function a factory call returns).
 * When some production call passes something unresolved (a spread, a value of unknown origin, callers this project
 * does not show), the dependency is unknown and nothing is said about it. Never by names.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import type { ProjectServices } from '../context';
import { isTestFilePath } from '../one-off';
import { callersOf } from './callers';
import { fileProvenance } from './provenance';
import { skipOuter } from './ts-expr';

export interface InjectedTarget {
  file: string;
  node: ts.SignatureDeclaration;
}

/** How many production bindings of one dependency are followed (a factory bound in more places is a library's). */
const MAX_BINDINGS = 12;

const nameText = (n: ts.PropertyName | ts.BindingName | undefined): string | undefined =>
  n && (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isPrivateIdentifier(n)) ? n.text : undefined;

/**
 * The parameter a dependency comes from and the member it is: `deps.getUser` → (deps, 'getUser'); `getUser` bound
 * by `({ getUser }: Deps)` or by `const { getUser } = deps` in the factory → (that parameter, 'getUser').
 */
function dependencyOf(project: ProjectServices, path: string, callee: ts.Expression): { param: ts.ParameterDeclaration; member: string } | undefined {
  const prov = fileProvenance(project, path);
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
    const d = prov.declarationOf(callee.expression);
    return d && ts.isParameter(d) && ts.isIdentifier(d.name) ? { param: d, member: callee.name.text } : undefined;
  }
  if (!ts.isIdentifier(callee)) return undefined;
  const d = prov.declarationOf(callee);
  if (!d || !ts.isBindingElement(d) || d.dotDotDotToken || !ts.isObjectBindingPattern(d.parent)) return undefined;
  const member = nameText(d.propertyName) ?? nameText(d.name);
  const holder = d.parent.parent;
  if (member === undefined) return undefined;
  if (ts.isParameter(holder)) return { param: holder, member };
  // `const { getUser } = deps` where `deps` is a parameter.
  if (ts.isVariableDeclaration(holder) && holder.initializer && ts.isIdentifier(skipOuter(holder.initializer))) {
    const p = prov.declarationOf(skipOuter(holder.initializer) as ts.Identifier);
    if (p && ts.isParameter(p) && ts.isIdentifier(p.name) && !reassignedIn(holder, p.name.text)) return { param: p, member };
  }
  return undefined;
}

/** Is `name` assigned anywhere in the function around `at` (`deps = { …deps, … }`)? Then the binding is not the caller's. */
function reassignedIn(at: ts.Node, name: string): boolean {
  let fn: ts.Node | undefined = at.parent;
  while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
  if (!fn) return true;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left) && n.left.text === name) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(fn);
  return found;
}

/** The expression a call passes for `member` of its object argument; undefined when it cannot be read (spread, computed key). */
function boundExpression(arg: ts.Expression | undefined, member: string): ts.Expression | ts.MethodDeclaration | undefined {
  const o = arg && skipOuter(arg);
  if (!o || !ts.isObjectLiteralExpression(o)) return undefined;
  let out: ts.Expression | ts.MethodDeclaration | undefined;
  for (const p of o.properties) {
    if (ts.isSpreadAssignment(p)) {
      // A spread before the property is overridden by it; one after may replace it.
      out = undefined;
      continue;
    }
    const key = p.name ? nameText(p.name) : undefined;
    if (key === undefined) return undefined;
    if (key !== member) continue;
    if (ts.isPropertyAssignment(p)) out = p.initializer;
    else if (ts.isShorthandPropertyAssignment(p)) out = p.name;
    else if (ts.isMethodDeclaration(p)) out = p;
    else return undefined;
  }
  if (!out && o.properties.some(ts.isSpreadAssignment)) return undefined;
  return out;
}

/**
 * The project functions a call through an injected dependency runs (each production binding's), or undefined when
 * the callee is no dependency or some binding is unknown. Functions the bindings resolve to are all returned; a
 * binding to a value that is no function (a constant, a library object) makes the whole answer unknown.
 */
export function injectedTargets(project: ProjectServices, path: string, call: ts.CallExpression): InjectedTarget[] | undefined {
  const dep = dependencyOf(project, path, call.expression);
  return dep ? bindingsOf(project, path, dep.param, dep.member, 0) : undefined;
}

/** How many factories handing the same dependencies on (`addOrUpdateFactory(deps)`) are followed. */
const MAX_HANDED_ON = 3;

/** What every production call of the function declaring `param` binds to its `member`. */
function bindingsOf(project: ProjectServices, path: string, param: ts.ParameterDeclaration, member: string, depth: number): InjectedTarget[] | undefined {
  const fn = param.parent;
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn) && !ts.isFunctionDeclaration(fn)) return undefined;
  const index = fn.parameters.indexOf(param);
  if (index < 0 || param.dotDotDotToken) return undefined;
  const calls = callersOf(project, path, fn);
  if (!calls) return undefined;
  const out: InjectedTarget[] = [];
  let bindings = 0;
  for (const { file, call: c } of calls) {
    // A test's stand-in (a stub, a fake repository) is not what production binds.
    if (isTestFilePath(file) && file !== path) continue;
    if (++bindings > MAX_BINDINGS) return undefined;
    if (c.arguments.slice(0, index + 1).some(ts.isSpreadElement)) return undefined;
    const arg = c.arguments[index] ? skipOuter(c.arguments[index]) : undefined;
    // The caller hands its own dependencies on (`setStreamCollaboratorFactory = (deps) => … addOrUpdateFactory(deps)`):
    // what that caller's callers bind.
    if (arg && ts.isIdentifier(arg)) {
      const d = fileProvenance(project, file).declarationOf(arg);
      if (!d || !ts.isParameter(d) || !ts.isIdentifier(d.name) || depth >= MAX_HANDED_ON) return undefined;
      const handed = bindingsOf(project, file, d, member, depth + 1);
      if (!handed) return undefined;
      out.push(...handed);
      continue;
    }
    const e = boundExpression(arg, member);
    if (!e) return undefined;
    if (ts.isMethodDeclaration(e)) {
      out.push({ file, node: e });
      continue;
    }
    const x = skipOuter(e);
    if (ts.isArrowFunction(x) || ts.isFunctionExpression(x)) {
      out.push({ file, node: x });
      continue;
    }
    const v = fileProvenance(project, file).value(x);
    if (v?.kind !== 'function') return undefined;
    out.push({ file: v.file, node: v.node });
  }
  return out.length ? out : undefined;
}
