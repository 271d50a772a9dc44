/**
 * Loops over databases, not over data: `for (const db of [mainDb, ...regionClients])`, `allDbs.map((db) => …)`,
 * `for (const { regionKey, client } of await getAllRegisteredDbClients())`. Each element is a client (or an object
 * whose destructured or read member is one), so the loop runs its statements once per configured database — a set
 * the deployment bounds, as a list written out in the code is — not once per row of data. Read from declared types
 * and provenance (the collection's element type resolves to a client of a data library), never from names.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import type { ProjectServices } from '../context';
import type { IterationScope } from './iteration';
import { collectionElements, type TypeAt } from './element-types';
import { fileProvenance } from './provenance';

function isClientType(project: ProjectServices, at: TypeAt): boolean {
  return fileProvenance(project, at.file).resolveType(at.type)?.role === 'client';
}

/** The type of member `name` of an element type, when it is declared. */
function memberTypeOf(project: ProjectServices, at: TypeAt, name: string): TypeAt | undefined {
  const m = fileProvenance(project, at.file).typeMemberOf(at.file, at.type, name);
  if (!m) return undefined;
  if (ts.isTypeNode(m.node)) return { file: m.file, type: m.node };
  const declared = (m.node as ts.Node & { type?: ts.TypeNode }).type;
  return declared && ts.isTypeNode(declared) ? { file: m.file, type: declared } : undefined;
}

/** The loop's element declaration: a `for…of` variable, or the first parameter of the per-element callback. */
function elementName(scope: IterationScope): ts.BindingName | undefined {
  const n = scope.node;
  if (ts.isForOfStatement(n)) {
    const init = n.initializer;
    return ts.isVariableDeclarationList(init) && init.declarations.length === 1 ? init.declarations[0].name : undefined;
  }
  const fn = ts.isCallExpression(n) ? n.arguments.find((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a)) : n;
  if (!fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return undefined;
  return fn.parameters[scope.method === 'reduce' || scope.method === 'reduceRight' ? 1 : 0]?.name;
}

/** The members the body reads off an element named `el` (`region.client`). */
function membersRead(body: ts.Node, el: string): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === el) out.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(body);
  return out;
}

/** Is one element of this type a database: a client itself, or an object one of whose used members is a client? */
function carriesClient(project: ProjectServices, at: TypeAt, name: ts.BindingName, body: ts.Node): boolean {
  if (isClientType(project, at)) return true;
  let members: string[] = [];
  if (ts.isObjectBindingPattern(name)) {
    members = name.elements.map((b) => (b.propertyName && (ts.isIdentifier(b.propertyName) || ts.isStringLiteral(b.propertyName)) ? b.propertyName.text : ts.isIdentifier(b.name) ? b.name.text : '')).filter(Boolean);
  } else if (ts.isIdentifier(name)) members = [...membersRead(body, name.text)];
  return members.some((m) => {
    const mt = memberTypeOf(project, at, m);
    return !!mt && isClientType(project, mt);
  });
}

/**
 * Whether the loop iterates databases: every element of its collection is a client of a data library, or an object
 * the loop reads a client from (`{ regionKey, client }`). Such a loop runs once per configured database.
 */
export function iteratesDatabases(project: ProjectServices, file: string, scope: IterationScope): boolean {
  const coll = scope.collectionExpr;
  const name = elementName(scope);
  if (!coll || !name) return false;
  try {
    const els = collectionElements(project, file, coll);
    return !!els?.length && els.every((el) => el === 'client' || carriesClient(project, el, name, scope.body));
  } catch {
    return false;
  }
}
