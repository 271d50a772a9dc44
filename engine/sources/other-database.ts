/**
 * Clients of another database than PostgreSQL held in class fields: a field declared with a library's client type
 * (`public knex: Knex`) that its class only ever sets — initializer, constructor, methods — to a call the library's
 * adapter says makes another database's client (`this.knex = knex({ client: clickhouseDialect })`, pezzo's
 * ClickHouse service; the adapter's `provenance.otherDatabase`) holds no PostgreSQL client: provenance gives it no
 * value and `querylens queries` lists no candidate on it.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { adapters } from '../adapters';
import { assignsThis, propName } from './provenance-kit';
import type { Value } from './query-sites';
import { skipOuter } from './ts-expr';

/** What this module asks of a file's provenance. */
export interface OtherDatabaseHost<C> {
  typeValue(t: ts.TypeNode, c: C): Value | undefined;
  valueOf(e: ts.Expression, c: C): Value | undefined;
}

/** Whether a field declared with a client type is only ever set to another database's client of that library. */
export function otherDatabaseField<C>(m: ts.PropertyDeclaration, host: OtherDatabaseHost<C>, c: C): boolean {
  const v = m.type ? host.typeValue(m.type, c) : undefined;
  const name = m.name && propName(m.name);
  if (v?.kind !== 'instance' || !name || !ts.isClassLike(m.parent)) return false;
  const library = v.binding.library;
  const values: ts.Expression[] = m.initializer ? [m.initializer] : [];
  const visit = (n: ts.Node): void => {
    if (assignsThis(n, name)) values.push(n.right);
    ts.forEachChild(n, visit);
  };
  for (const x of m.parent.members) if ((ts.isMethodDeclaration(x) || ts.isConstructorDeclaration(x)) && x.body) visit(x.body);
  return (
    values.length > 0 &&
    values.every((e) => {
      const call = skipOuter(e);
      const fn = ts.isCallExpression(call) ? host.valueOf(skipOuter(call.expression), c) : undefined;
      return fn?.kind === 'pkg' && fn.library === library && ts.isCallExpression(call) && adapters[library].provenance.otherDatabase(fn.name, call);
    })
  );
}

/** The field `x.name` reads (`this.knex` in its class; `svc.knex` through the declared type of `svc`), when a class declares it. */
export function classField(e: ts.PropertyAccessExpression, cls: ts.Node | undefined): ts.PropertyDeclaration | undefined {
  if (!cls || !ts.isClassLike(cls)) return undefined;
  return cls.members.find((m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m) && !!m.name && propName(m.name) === e.name.text);
}
