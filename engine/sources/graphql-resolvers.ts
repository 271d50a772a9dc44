/**
 * GraphQL field resolvers as per-parent execution. A code-first GraphQL server (NestJS `@nestjs/graphql`,
 * `type-graphql`) resolves a field of an object type by calling the method decorated `@ResolveField()` /
 * `@FieldResolver()` in the `@Resolver(() => T)` class once for every `T` object the response holds: a query
 * in that method (or in a service method it calls) runs once per element of any list of `T` the schema
 * returns — pezzo's `@ResolveField() isDraft(@Parent() prompt)` counting versions for every prompt of
 * `@Query(() => [Prompt]) prompts`. No loop is written; the loop is the executor's.
 *
 * Judged only where both facts are written: the method's parent type (the `@Resolver` type function) and a list
 * of that type somewhere in the project's schema decorators (`@Query(() => [T])`, `@ResolveField(() => [T])`,
 * `@Field(() => [T])` on another object type). A type only ever returned singly resolves its fields once per
 * request: no scope. How many parents a list holds is not in the code: the count is the default.
 *
 * GraphQL is not a data library: this is framework knowledge the iteration model asks (engine/sources/in-place.ts),
 * never a source of clients. The executor starts a list's field resolvers in the same tick (`concurrent`), as
 * `Promise.all(xs.map(…))` does.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import type { ProjectServices } from '../context';
import { MAX_FILE_BYTES } from '../guard';
import { type FilesMemo, memoOverFiles } from '../reads';
import { filesNaming } from './callers';
import type { IterationScope } from './iteration';
import { fileProvenance, type FileProvenance } from './provenance';
import { skipParens } from './ts-expr';

/** The modules whose decorators declare a code-first GraphQL schema. */
const GRAPHQL_MODULES = new Set(['@nestjs/graphql', 'type-graphql']);
/** Method decorators of a field resolved per parent object. */
const FIELD_RESOLVERS = new Set(['ResolveField', 'FieldResolver', 'ResolveProperty']);
/** Parameter decorators that hand the method its parent object. */
const PARENT_PARAMS = new Set(['Parent', 'Root']);
/** Decorators whose type function states what an operation or field returns. */
const RETURNS = new Set(['Query', 'Mutation', 'Subscription', 'ResolveField', 'FieldResolver', 'ResolveProperty', 'Field']);
/** Past this many files naming the parent type, its lists are not looked for (a name that common is not one type's). */
const MAX_NAMING_FILES = 200;

export const DATALOADER_ADVICE = 'the GraphQL executor calls this field resolver once per parent object of a list: batch it by the parents\' keys with a DataLoader (one query with an `in` list per request tick), or load the field with the list query';

/** Per source file, local decorator name → the name its GraphQL module exports it as. */
const importedNames = new WeakMap<ts.SourceFile, Map<string, string>>();

function graphqlImports(sf: ts.SourceFile): Map<string, string> {
  let m = importedNames.get(sf);
  if (m) return m;
  m = new Map();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !GRAPHQL_MODULES.has(st.moduleSpecifier.text)) continue;
    const b = st.importClause?.namedBindings;
    if (b && ts.isNamedImports(b)) for (const s of b.elements) m.set(s.name.text, (s.propertyName ?? s.name).text);
  }
  importedNames.set(sf, m);
  return m;
}

/** The GraphQL decorator a decorator is (`@ResolveField(…)` → `ResolveField`), when imported from a GraphQL module. */
function decoratorName(d: ts.Decorator): string | undefined {
  const e = skipParens(d.expression);
  const callee = ts.isCallExpression(e) ? skipParens(e.expression) : e;
  return ts.isIdentifier(callee) ? graphqlImports(d.getSourceFile()).get(callee.text) : undefined;
}

function decorators(n: ts.Node): readonly ts.Decorator[] {
  return ts.canHaveDecorators(n) ? (ts.getDecorators(n) ?? []) : [];
}

function decoratorCall(n: ts.Node, names: ReadonlySet<string>): ts.Decorator | undefined {
  return decorators(n).find((d) => names.has(decoratorName(d) ?? ''));
}

/** What a type function or type argument names: `() => Prompt`, `(of) => Prompt`, `Prompt`. */
function typeNamed(arg: ts.Expression | undefined): ts.Identifier | undefined {
  if (!arg) return undefined;
  const e = skipParens(arg);
  if (ts.isIdentifier(e)) return e;
  if (ts.isArrowFunction(e) && !ts.isBlock(e.body)) {
    const b = skipParens(e.body);
    return ts.isIdentifier(b) ? b : undefined;
  }
  return undefined;
}

/** The list element a decorator's type function returns (`() => [Prompt]`), among its arguments. */
function listedType(d: ts.Decorator): ts.Identifier | undefined {
  const e = skipParens(d.expression);
  if (!ts.isCallExpression(e)) return undefined;
  for (const a of e.arguments) {
    const f = skipParens(a);
    if (!ts.isArrowFunction(f) || ts.isBlock(f.body)) continue;
    const b = skipParens(f.body);
    if (ts.isArrayLiteralExpression(b) && b.elements.length === 1 && ts.isIdentifier(b.elements[0])) return b.elements[0];
  }
  return undefined;
}

/** Where a declaration is: the same type when both resolve to one node; by name when one cannot be followed. */
type TypeKey = { name: string; at?: string };

function typeKey(prov: FileProvenance, id: ts.Identifier): TypeKey {
  const d = prov.definitionOf(id);
  return { name: id.text, at: d ? `${d.file}:${d.node.pos}` : undefined };
}

const sameType = (a: TypeKey, b: TypeKey): boolean => a.name === b.name && (!a.at || !b.at || a.at === b.at);

/** A list of the type in the schema: the decorator returning it, with its file. */
export interface ListedAt {
  file: string;
  decorator: string;
  line: number;
}

/** Per project file list: type key → where a list of it is declared. */
const listsByFiles: FilesMemo<ListedAt | undefined> = new WeakMap();

/** Where the schema returns a list of the type (first found), or undefined when it never does (or too many files name it to look). */
function listOf(project: ProjectServices, type: TypeKey): ListedAt | undefined {
  const files = project.projectFiles?.();
  if (!files) return undefined;
  return memoOverFiles(listsByFiles, files, `${type.name}@${type.at ?? ''}`, () => findList(project, files, type));
}

function findList(project: ProjectServices, files: readonly string[], type: TypeKey): ListedAt | undefined {
  const named = filesNaming(project, files, type.name);
  if (named.size > MAX_NAMING_FILES) return undefined;
  const bracketed = new RegExp(`\\[\\s*${type.name.replace(/\$/g, '\\$')}\\s*\\]`);
  for (const f of named) {
    const text = project.fileText(f);
    if (!text || text.length > MAX_FILE_BYTES || !bracketed.test(text)) continue;
    const sf = project.tsAst(f);
    if (!sf || !graphqlImports(sf).size) continue;
    let found: ListedAt | undefined;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isDecorator(n) && RETURNS.has(decoratorName(n) ?? '')) {
        const el = listedType(n);
        if (el && el.text === type.name && sameType(typeKey(fileProvenance(project, f), el), type)) {
          found = { file: f, decorator: n.getText(sf).slice(0, 80), line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1 };
          return;
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    if (found) return found;
  }
  return undefined;
}

const baseName = (file: string): string => file.slice(file.lastIndexOf('/') + 1);

/** The `@Parent()`/`@Root()` parameter of a field resolver. */
function parentParameter(fn: ts.MethodDeclaration): ts.ParameterDeclaration | undefined {
  return fn.parameters.find((p) => decoratorCall(p, PARENT_PARAMS));
}

/**
 * The per-parent scope a field resolver method runs in: once per element of every list of its parent type the
 * schema returns. Undefined for any other function, for a resolver whose parent type is never returned as a list,
 * and for one that takes no parent object.
 */
export function fieldResolverScope(project: ProjectServices, prov: FileProvenance, fn: ts.Node): IterationScope | undefined {
  if (!ts.isMethodDeclaration(fn) || !fn.body || !decoratorCall(fn, FIELD_RESOLVERS)) return undefined;
  const cls = fn.parent;
  if (!ts.isClassDeclaration(cls)) return undefined;
  const resolver = decorators(cls).find((d) => decoratorName(d) === 'Resolver');
  const re = resolver && skipParens(resolver.expression);
  const parentType = re && ts.isCallExpression(re) ? typeNamed(re.arguments[0]) : undefined;
  const parent = parentParameter(fn);
  if (!parentType || !parent) return undefined;
  const listed = listOf(project, typeKey(prov, parentType));
  if (!listed) return undefined;
  const name = fn.name.getText();
  return {
    kind: 'callback',
    range: { start: fn.name.getStart(), end: fn.name.getEnd() },
    node: fn,
    body: fn.body,
    collection: `[${parentType.text}]`,
    method: name,
    label: `field resolver \`${name}\` (runs once per \`${parentType.text}\` of a list)`,
    element: ts.isIdentifier(parent.name) ? parent.name.text : undefined,
    // graphql-js completes a list's items, and calls their field resolvers, in one pass.
    concurrent: true,
    perElement: true,
    advice: `${DATALOADER_ADVICE} (a list of \`${parentType.text}\`: \`${listed.decorator}\`, ${baseName(listed.file)}:${listed.line})`,
  };
}
