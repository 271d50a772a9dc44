/**
 * Calls that look like queries but were not recognised, each with the reason
 * provenance gave up: `this.db.query('SELECT …')` where `this.db` comes from
 * an untyped constructor parameter, `repo.findOneBy(…)` where `repo` is an
 * untyped function parameter. Listed by `querylens queries`; never findings.
 *
 * A candidate is a call of a method that only the data libraries use
 * (AdapterOrm.candidates: `findMany`, `findOneBy`, `executeTakeFirst` …), or
 * a call whose first argument is SQL text that reads as a statement, or a method a library calls on its models
 * (AdapterOrm.modelCandidates: Prisma `update`, `create`, `delete`, `count`) on a member naming a model of the
 * schema (`db.file.update(…)`: `update` alone is too common to count).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { allAdapters, libraryOfModule } from '../adapters';
import type { ProjectServices } from '../context';
import type { Range } from '../types';
import { fileProvenance, resolveModulePath, type FileProvenance } from './provenance';
import type { Binding } from './query-sites';
import { declaredThisType } from './module-augmentations';
import { skipOuter } from './ts-expr';
import { looksLikeStatement } from './ts-sql';

export interface Unresolved {
  file: string;
  range: Range;
  method: string;
  reason: string;
}

const CANDIDATE_METHODS: ReadonlySet<string> = new Set(allAdapters.flatMap((a) => a.orm.candidates));
type AdapterOf = (typeof allAdapters)[number];

/** Each method name an adapter lists under `pick`, with the adapters that list it. */
function adaptersByMethod(pick: (a: AdapterOf) => readonly string[]): ReadonlyMap<string, readonly AdapterOf[]> {
  const m = new Map<string, AdapterOf[]>();
  for (const a of allAdapters) for (const r of pick(a)) m.set(r, [...(m.get(r) ?? []), a]);
  return m;
}

/** Methods a library calls on its models (`update` of a Prisma delegate), with the libraries that do. */
const MODEL_METHODS = adaptersByMethod((a) => a.orm.modelCandidates);
/** Run methods of each library's builders (`execute`): listed when the builder's statement could not be read. */
const RUN_METHODS = adaptersByMethod((a) => a.orm.runs);

export function unresolvedCandidates(project: ProjectServices, path: string, sf: ts.SourceFile): Unresolved[] {
  let prov: FileProvenance;
  try {
    prov = fileProvenance(project, path, sf.text, sf);
  } catch {
    return [];
  }
  const out: Unresolved[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const callee = skipOuter(n.expression);
      if (ts.isPropertyAccessExpression(callee)) {
        const method = callee.name.text;
        const sqlArg = firstArgIsStatement(n);
        if (CANDIDATE_METHODS.has(method) || sqlArg || namesModel(project, path, method, skipOuter(callee.expression))) {
          const recv = skipOuter(callee.expression);
          // A method of a project object (a repository a context hands out): the call graph follows it.
          if (!prov.resolve(recv) && prov.value(callee)?.kind !== 'function' && !onOtherDatabase(prov, recv)) {
            const range = { start: n.getStart(sf), end: n.getEnd() };
            out.push({ file: path, range, method, reason: explain(project, path, prov, recv) });
          }
        } else if (RUN_METHODS.has(method)) {
          // `builder.execute()` on a builder of a known library: a site unless its statement could not be read.
          const recv = skipOuter(callee.expression);
          // A variable reassigned to what provenance cannot follow still started as a builder.
          const d = ts.isIdentifier(recv) ? prov.declarationOf(recv) : undefined;
          const b = builderIn(prov, recv) ?? (d && ts.isVariableDeclaration(d) && d.initializer ? builderIn(prov, d.initializer) : undefined);
          const lib = b?.role === 'query-builder' ? RUN_METHODS.get(method)!.find((a) => a.id === b.library) : undefined;
          if (lib) {
            const range = { start: n.getStart(sf), end: n.getEnd() };
            out.push({ file: path, range, method, reason: `\`${short(recv)}\` is a ${lib.displayName} query builder whose statement querylens could not read (a reassignment, a helper or a derived table it does not follow)` });
          }
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  try {
    visit(sf);
  } catch {
    // A surprise in an odd tree loses the diagnosis, never the run.
  }
  return out;
}

/**
 * Whether `member` (`db.file` in `db.file.update(…)`) names a model of the schema for a library that calls `method`
 * on its models (AdapterOrm.modelCandidates): such a call looks like a query even though `update` alone would not.
 */
function namesModel(project: ProjectServices, path: string, method: string, member: ts.Expression): boolean {
  const libs = MODEL_METHODS.get(method);
  if (!libs || !ts.isPropertyAccessExpression(member)) return false;
  let schema;
  try {
    schema = project.schema(path);
  } catch {
    return false;
  }
  // The member is the model's own name (Prisma's delegate `file` of model File), not a table name that happens to match.
  const name = member.name.text.toLowerCase();
  return libs.some((a) => a.orm.entityTable(schema, member.name.text)?.table?.modelName?.toLowerCase() === name);
}

/** Whether a chain starts from a class field only ever set to another database's client (`this.knex.raw(…)` on a ClickHouse knex). */
function onOtherDatabase(prov: FileProvenance, e: ts.Expression): boolean {
  for (let x = skipOuter(e), i = 0; i < 30; i++) {
    if (ts.isPropertyAccessExpression(x) && prov.otherDatabaseMember(x)) return true;
    if (ts.isCallExpression(x) || ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) x = skipOuter(x.expression);
    else return false;
  }
  return false;
}

/** The query-builder binding a chain starts from (`db.selectFrom('t')` in `db.selectFrom('t').where(…)`), if any. */
function builderIn(prov: FileProvenance, e: ts.Expression): Binding | undefined {
  for (let x = skipOuter(e), i = 0; i < 30; i++) {
    const b = prov.resolve(x);
    if (b?.role === 'query-builder') return b;
    if (ts.isCallExpression(x) || ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) x = skipOuter(x.expression);
    else return undefined;
  }
  return undefined;
}

function firstArgIsStatement(call: ts.CallExpression): boolean {
  const a = call.arguments[0] && skipOuter(call.arguments[0]);
  if (!a) return false;
  let text: string | undefined;
  if (ts.isStringLiteral(a) || ts.isNoSubstitutionTemplateLiteral(a)) text = a.text;
  else if (ts.isTemplateExpression(a)) text = a.head.text;
  else if (ts.isTaggedTemplateExpression(a)) text = ts.isNoSubstitutionTemplateLiteral(a.template) ? a.template.text : a.template.head.text;
  return text !== undefined && /^\s*(select|insert|update|delete|with)\b/i.test(text) && looksLikeStatement(text);
}

const short = (n: ts.Node): string => {
  const t = n.getText().replace(/\s+/g, ' ');
  return t.length > 40 ? `${t.slice(0, 37)}…` : t;
};

/** Why provenance found no database binding for a receiver. */
export function explain(project: ProjectServices, path: string, prov: FileProvenance, recv: ts.Expression): string {
  const e = skipOuter(recv);
  const what = `\`${short(e)}\``;
  // The longest known prefix: a value that is not a client says more than its root.
  if (ts.isPropertyAccessExpression(e) || ts.isCallExpression(e) || ts.isElementAccessExpression(e)) {
    const v = prov.value(e);
    if (v) return `${what} is ${valueKind(v.kind)}, not a database client querylens knows`;
  }
  if (ts.isIdentifier(e)) return identifierReason(project, path, prov, e);
  if (e.kind === ts.SyntaxKind.ThisKeyword) return `${what} is an object of a class that is not a known client`;
  if (ts.isPropertyAccessExpression(e)) {
    const obj = skipOuter(e.expression);
    if (obj.kind === ts.SyntaxKind.ThisKeyword) return thisMemberReason(e, (spec) => !libraryOfModule(spec) && !resolveModulePath(project, path, spec));
    const inner = explain(project, path, prov, obj);
    return prov.value(obj) ? `${what}: property \`${e.name.text}\` of a value querylens knows but not as a client` : inner;
  }
  if (ts.isCallExpression(e)) return `the result of \`${short(e.expression)}(…)\` could not be followed to a client`;
  return `${what} could not be followed to a client`;
}

function valueKind(kind: string): string {
  switch (kind) {
    case 'class':
      return 'a class';
    case 'class-instance':
      return 'an object of a project class';
    case 'function':
      return 'a function';
    case 'object':
      return 'a plain object';
    case 'module':
      return 'a module namespace';
    case 'pkg':
      return 'a package export';
    default:
      return 'a value';
  }
}

function identifierReason(project: ProjectServices, path: string, prov: FileProvenance, id: ts.Identifier): string {
  const name = `\`${id.text}\``;
  const d = prov.declarationOf(id);
  if (!d) return `${name} is not declared in this file (a global or an injected name)`;
  if (ts.isParameter(d)) {
    const fn = d.parent;
    const fnName = (ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn)) && fn.name ? ` of \`${fn.name.getText()}\`` : '';
    if (!d.type) {
      if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isCallExpression(fn.parent))
        return `${name} is a callback parameter of \`${short(fn.parent.expression)}(…)\`, which is not a known API that hands out a client`;
      return `${name} is an untyped parameter${fnName}`;
    }
    return `${name} is a parameter${fnName} declared as \`${short(d.type)}\`, which is not a known client type`;
  }
  if (ts.isImportSpecifier(d) || ts.isImportClause(d) || ts.isNamespaceImport(d)) {
    let decl: ts.Node = d;
    while (decl && !ts.isImportDeclaration(decl)) decl = decl.parent;
    const spec = decl && ts.isImportDeclaration(decl) && ts.isStringLiteral(decl.moduleSpecifier) ? decl.moduleSpecifier.text : '?';
    if (libraryOfModule(spec)) return `${name} is imported from \`${spec}\` but is not one of its clients`;
    const file = resolveModulePath(project, path, spec);
    if (!file) return `${name} is imported from \`${spec}\`, which is not among the project's files`;
    return `${name} is imported from ${file}, where its value could not be followed to a client`;
  }
  if (ts.isVariableDeclaration(d)) {
    if (d.type) return `${name} is declared as \`${short(d.type)}\`, which is not a known client type`;
    if (!d.initializer) return `${name} is declared without a value`;
    const init = skipOuter(d.initializer);
    if (ts.isCallExpression(init)) return `${name} comes from \`${short(init.expression)}(…)\`, whose result could not be followed to a client`;
    return `${name} comes from \`${short(init)}\`, which could not be followed to a client`;
  }
  if (ts.isBindingElement(d)) return `${name} is destructured from a value that could not be followed to a client`;
  return `${name} could not be followed to a client`;
}

/** `: a type of the package \`fastify\`, whose declarations are not among the project's files`, for a type imported from a package. */
function importedTypeNote(t: ts.TypeNode, isPackage: (spec: string) => boolean): string {
  const id = ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) ? t.typeName : undefined;
  let d: ts.Node | undefined;
  for (const st of id ? t.getSourceFile().statements : []) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !isPackage(st.moduleSpecifier.text)) continue;
    const b = st.importClause?.namedBindings;
    if (b && ts.isNamedImports(b) && b.elements.some((x) => x.name.text === id!.text)) d = st.moduleSpecifier;
  }
  return d && ts.isStringLiteral(d) ? `: a type of the package \`${d.text}\`, whose declarations are not among the project's files (only its module augmentations are read)` : '';
}

function thisMemberReason(e: ts.PropertyAccessExpression, isPackage: (spec: string) => boolean): string {
  const name = e.name.text;
  let cls: ts.Node | undefined = e.parent;
  while (cls && !ts.isClassLike(cls)) cls = cls.parent;
  const what = `\`this.${name}\``;
  // `function f(this: FastifyReply)`: the member of a declared `this` type that declares no client there.
  const declared = declaredThisType(e.expression);
  if (declared) return `${what} is a member of \`${short(declared)}\` (the function's declared \`this\`) that could not be followed to a client${importedTypeNote(declared, isPackage)}`;
  if (!cls || !ts.isClassLike(cls)) return `${what} is used outside a class`;
  for (const m of cls.members) {
    if (ts.isConstructorDeclaration(m)) {
      const p = m.parameters.find((x) => ts.isIdentifier(x.name) && x.name.text === name);
      if (p) return p.type ? `${what} is a constructor parameter declared as \`${short(p.type)}\`, which is not a known client type` : `${what} comes from an untyped constructor parameter`;
      const assign = m.body?.statements.find(
        (st) => ts.isExpressionStatement(st) && ts.isBinaryExpression(st.expression) && ts.isPropertyAccessExpression(st.expression.left) && st.expression.left.name.text === name,
      );
      if (assign) return `${what} is assigned \`${short((assign as ts.ExpressionStatement & { expression: ts.BinaryExpression }).expression.right)}\` in the constructor, which could not be followed to a client`;
    }
    if ((ts.isPropertyDeclaration(m) || ts.isGetAccessorDeclaration(m)) && m.name && ts.isIdentifier(m.name) && m.name.text === name) {
      if (m.type) return `${what} is declared as \`${short(m.type)}\`, which is not a known client type`;
      return `${what} has no type and no value querylens could follow`;
    }
  }
  const base = cls.heritageClauses?.length ? ' (perhaps inherited from a base class querylens cannot read)' : '';
  return `${what} is not declared in the class${base}`;
}
