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
 * `@Field(() => [T])` on another object type), or a list of something that holds one T as its only object field
 * and is never returned singly: a relay edge listed by its connection (`@Field(() => [TaskEdge]) edges`, `TaskEdge.node: Task`), or a schema factory handed T whose
 * classes list it (`class ContentConnection extends Paginated(Content)`, where `Paginated(TItemClass)` declares
 * `edges: [EdgeType]` and `EdgeType.node: TItemClass`). A type only ever returned singly resolves its fields once per
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
  /** How the list reaches the type when it lists another (an edge holding it, a factory's class). */
  via?: string;
}

/** Per project file list: type key → where a list of it is declared. */
const listsByFiles: FilesMemo<ListedAt | undefined> = new WeakMap();

/** Where the schema returns a list of the type (first found), or undefined when it never does (or too many files name it to look). */
function listOf(project: ProjectServices, type: TypeKey): ListedAt | undefined {
  const files = project.projectFiles?.();
  if (!files) return undefined;
  return memoOverFiles(listsByFiles, files, `${type.name}@${type.at ?? ''}`, () => findList(project, files, type));
}

function findList(project: ProjectServices, files: readonly string[], type: TypeKey, holders = true): ListedAt | undefined {
  const named = filesNaming(project, files, type.name);
  if (named.size > MAX_NAMING_FILES) return undefined;
  for (const f of named) {
    const text = project.fileText(f);
    if (!text || text.length > MAX_FILE_BYTES) continue;
    const sf = project.tsAst(f);
    // Schema classes are declared with a GraphQL module's decorators: a file importing none lists nothing.
    if (!sf || !graphqlImports(sf).size) continue;
    const prov = fileProvenance(project, f);
    const isType = (id: ts.Identifier | undefined): id is ts.Identifier => !!id && id.text === type.name && sameType(typeKey(prov, id), type);
    const at = (n: ts.Node, via?: string): ListedAt => ({ file: f, decorator: n.getText(sf).slice(0, 80), line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1, via });
    let found: ListedAt | undefined;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isDecorator(n) && RETURNS.has(decoratorName(n) ?? '')) {
        if (isType(listedType(n))) {
          found = at(n);
          return;
        }
        // A field holding one T on an object type that is itself listed (a relay edge's `node`): one T per element.
        // Only a holder that exists to carry T through lists (an edge type: T its only object field, never returned
        // singly): that a client reading a list of memberships goes on to `membership.user.someField` is not in the
        // code, while an edge is read for its node.
        const holder = holders && isType(fieldType(n)) && onlyObjectField(n) ? enclosingClassName(n) : undefined;
        const holderKey = holder && typeKey(prov, holder);
        const listed = holderKey && !returnedSingly(project, files, holderKey) && findList(project, files, holderKey, false);
        if (listed) {
          found = { ...listed, via: `each \`${holder.text}\` holds one in \`${memberName(n)}\`` };
          return;
        }
      }
      // A schema factory handed T (`class ContentConnection extends Paginated(Content)`) whose classes list it.
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.arguments.some((a) => ts.isIdentifier(a) && isType(a))) {
        const lists = listingFactory(prov, n, type.name);
        if (lists) {
          found = at(n, lists);
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

/** Whether a schema decorator returns the type singly somewhere (`@Query(() => T)`, `@Field(() => T)`). */
function returnedSingly(project: ProjectServices, files: readonly string[], type: TypeKey): boolean {
  for (const f of filesNaming(project, files, type.name)) {
    const sf = project.tsAst(f);
    if (!sf || !graphqlImports(sf).size) continue;
    const prov = fileProvenance(project, f);
    let found = false;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isDecorator(n) && RETURNS.has(decoratorName(n) ?? '')) {
        const t = fieldType(n);
        if (t && t.text === type.name && sameType(typeKey(prov, t), type)) found = true;
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    if (found) return true;
  }
  return false;
}

/** The single type a decorator's type function returns (`@Field(() => Content)`), not a list. */
function fieldType(d: ts.Decorator): ts.Identifier | undefined {
  const e = skipParens(d.expression);
  return ts.isCallExpression(e) && e.arguments[0] && ts.isArrowFunction(skipParens(e.arguments[0])) ? typeNamed(e.arguments[0]) : undefined;
}

/** Scalar types a field may hold beside an edge's node. */
const SCALARS = new Set(['String', 'Number', 'Boolean', 'Int', 'Float', 'ID', 'Date', 'GraphQLISODateTime', 'GraphQLTimestamp']);

/** Whether the field a decorator sits on is the only non-scalar field of its class (an edge's `node`). */
function onlyObjectField(d: ts.Decorator): boolean {
  const cls = d.parent.parent;
  if (!cls || !ts.isClassDeclaration(cls)) return false;
  return cls.members.every((m) =>
    decorators(m).every((o) => {
      if (o === d || !RETURNS.has(decoratorName(o) ?? '')) return true;
      if (listedType(o)) return false;
      const t = fieldType(o);
      return !t || SCALARS.has(t.text);
    }),
  );
}

/** The name of the class a member decorator sits in. */
function enclosingClassName(d: ts.Decorator): ts.Identifier | undefined {
  const cls = d.parent.parent;
  return cls && ts.isClassDeclaration(cls) ? cls.name : undefined;
}

function memberName(d: ts.Decorator): string {
  const m = d.parent;
  return ts.isPropertyDeclaration(m) || ts.isMethodDeclaration(m) || ts.isGetAccessorDeclaration(m) ? m.name.getText() : '?';
}

/**
 * Whether the function a call runs is a schema factory that lists the argument it is handed for `typeName`: a
 * decorator in its body returns `[P]` for that parameter P, or `[E]` for a class E declared there with a field of
 * type P (the generic relay connection `edges: [EdgeType]`, `EdgeType.node: TItemClass`). The list decorator's
 * text, or undefined.
 */
function listingFactory(prov: FileProvenance, call: ts.CallExpression, typeName: string): string | undefined {
  const target = prov.callTarget(call);
  const fn = target?.node;
  if (!fn || !(ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn) || ts.isArrowFunction(fn)) || !fn.body) return undefined;
  const index = call.arguments.findIndex((a) => ts.isIdentifier(a) && a.text === typeName);
  const param = fn.parameters[index];
  if (!param || !ts.isIdentifier(param.name)) return undefined;
  const p = param.name.text;
  const sf = fn.getSourceFile();
  if (!graphqlImports(sf).size) return undefined;
  const holders = new Set<string>();
  const lists: ts.Decorator[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isDecorator(n) && RETURNS.has(decoratorName(n) ?? '')) {
      if (fieldType(n)?.text === p) {
        const c = enclosingClassName(n);
        if (c) holders.add(c.text);
      }
      if (listedType(n)) lists.push(n);
    }
    ts.forEachChild(n, visit);
  };
  visit(fn.body);
  const hit = lists.find((d) => {
    const el = listedType(d)!.text;
    return el === p || holders.has(el);
  });
  return hit ? `listed by its \`${hit.getText(sf).slice(0, 60)}\` (${baseName(target.file)}:${sf.getLineAndCharacterOfPosition(hit.getStart(sf)).line + 1})` : undefined;
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
    advice: `${DATALOADER_ADVICE} (a list of \`${parentType.text}\`: \`${listed.decorator}\`, ${baseName(listed.file)}:${listed.line}${listed.via ? `, ${listed.via}` : ''})`,
  };
}
