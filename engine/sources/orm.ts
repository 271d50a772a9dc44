/**
 * Library call sites → QuerySite (see query-sites.ts for the contract).
 *
 * Generic machinery: a call chain is split into links, the longest prefix
 * that provenance resolves to a database binding picks the library, and that
 * library's adapter (engine/adapters/<library>/) interprets the rest of the
 * chain (which method runs, which table, which columns, whether it batches).
 * Entity names become tables through the adapters' declaration readers. Raw
 * SQL calls come from `ProjectServices.sqlSites` (ts-sql.ts).
 *
 * Which client a receiver is comes from provenance.ts (imports, constructors,
 * declared types), never from variable names.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapters, BATCH_RUNNER_METHODS } from '../adapters';
import { rangeOf, THEN_METHODS, unparen } from '../adapters/kit/chain';
import type { ProjectServices } from '../context';
import { noteSwallowed } from '../guard';
import { findTable, type TableInfo } from '../schema/types';
import { builderExecutorOf } from './builder-executors';
import { heldBuilderRuns, inlineBuilderRoot, inlineReturnedBuilder, passedThrough, type Passes, rootGatesChain, type Target } from './held-builders';
import { findEntityDecl, tableForEntity } from './entity-decls';
import { fileProvenance } from './provenance';
import { rawSites } from './raw-sites';
import type { Binding, Chain, ChainStep, ColumnUse, QuerySite, Value } from './query-sites';

export type { Chain, ChainStep } from './query-sites';
export type { EntityDecl } from '../adapters/types';

/** Splits `a.b(x).c.d(y)` into root `a` and steps b(x), c, d(y). */
export function decomposeChain(expr: ts.Expression): Chain {
  const steps: ChainStep[] = [];
  let e = unparen(expr);
  for (let guard = 0; guard < 200; guard++) {
    if (ts.isCallExpression(e)) {
      const callee = unparen(e.expression);
      if (ts.isPropertyAccessExpression(callee)) {
        steps.unshift({ name: callee.name.text, call: e, node: e });
        e = unparen(callee.expression);
        continue;
      }
      if (ts.isIdentifier(callee) || callee.kind === ts.SyntaxKind.ThisKeyword) {
        steps.unshift({ name: '', call: e, node: e });
        e = callee;
        break;
      }
      steps.unshift({ name: '', call: e, node: e });
      e = callee;
      break;
    }
    if (ts.isPropertyAccessExpression(e)) {
      steps.unshift({ name: e.name.text, node: e });
      e = unparen(e.expression);
      continue;
    }
    if (ts.isElementAccessExpression(e) && ts.isStringLiteral(e.argumentExpression)) {
      steps.unshift({ name: e.argumentExpression.text, node: e });
      e = unparen(e.expression);
      continue;
    }
    break;
  }
  return { root: e, steps };
}

/** Expression of the chain up to (not including) step i. */
function prefix(chain: Chain, i: number): ts.Expression {
  return i === 0 ? chain.root : unparen(chain.steps[i - 1].node);
}

/** Links of a chain tried as the database binding (see siteFor). */
const MAX_BINDING_PREFIX = 4;

/**
 * Whether a builder returned by function `f` is run: `f` is async (returning a thenable from an async
 * function awaits it), or a call of `f` in its file is itself run (`await itemsOf(id)`). A helper that
 * composes a builder for its caller (`query = this.where(query, p)`) runs nothing.
 */
function returnedBuilderRuns(f: ts.SignatureDeclaration, depth: number): boolean {
  if (ts.canHaveModifiers(f) && ts.getModifiers(f)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) return true;
  if (depth > 2) return false;
  let name: string | undefined;
  let viaThis = false;
  if ((ts.isFunctionDeclaration(f) || ts.isMethodDeclaration(f)) && f.name && ts.isIdentifier(f.name)) {
    name = f.name.text;
    viaThis = ts.isMethodDeclaration(f);
  } else if ((ts.isArrowFunction(f) || ts.isFunctionExpression(f)) && ts.isVariableDeclaration(f.parent) && ts.isIdentifier(f.parent.name)) {
    name = f.parent.name.text;
  }
  if (!name) return false;
  const scope: ts.Node = viaThis && f.parent ? f.parent : f.getSourceFile();
  let run = false;
  const visit = (n: ts.Node): void => {
    if (run) return;
    if (ts.isCallExpression(n)) {
      const c = unparen(n.expression);
      const hit = viaThis
        ? ts.isPropertyAccessExpression(c) && c.name.text === name && c.expression.kind === ts.SyntaxKind.ThisKeyword
        : ts.isIdentifier(c) && c.text === name;
      if (hit && builderRuns(n, depth + 1)) {
        run = true;
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return run;
}

/** Whether the value of a builder expression is consumed in a way that runs it (awaited, `.then`, Promise.all, returned into one). */
function builderRuns(node: ts.Expression, depth = 0): boolean {
  let n: ts.Node = node;
  // Whether `n` is the call a callback returning the builder was handed to (its result is no builder).
  let wrapper = false;
  for (let guard = 0; guard < 20; guard++) {
    const p: ts.Node | undefined = n.parent;
    if (!p) return false;
    if (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isNonNullExpression(p)) {
      n = p;
      continue;
    }
    if (ts.isAwaitExpression(p) || ts.isYieldExpression(p)) return true;
    if (ts.isPropertyAccessExpression(p) && p.expression === n && THEN_METHODS.has(p.name.text)) return true;
    // `const q = db('t').where(…); …; return await q`: run where the variable is.
    if (ts.isVariableDeclaration(p) && p.initializer === n) return heldBuilderRuns(p, builderRuns, depth);
    // `wrapper.query((db) => db.select()…).pipe(map(…))`: a method of the wrapper's result (an effect) makes another of it.
    if (wrapper && ts.isPropertyAccessExpression(p) && p.expression === n && ts.isCallExpression(p.parent) && p.parent.expression === p) {
      n = p.parent;
      continue;
    }
    if (ts.isArrayLiteralExpression(p)) {
      n = p;
      continue;
    }
    if (ts.isCallExpression(p) && p.arguments.includes(n as ts.Expression)) {
      const c = unparen(p.expression);
      const name = ts.isPropertyAccessExpression(c) ? c.name.text : ts.isIdentifier(c) ? c.text : '';
      return BATCH_RUNNER_METHODS.has(name);
    }
    // `xs.map((x) => knex('t').where(…))` handed to Promise.all.
    if (ts.isArrowFunction(p) && p.body === n) {
      const call = p.parent;
      if (call && ts.isCallExpression(call) && call.arguments[0] === p) {
        n = call;
        wrapper = true;
        continue;
      }
      // A helper that returns the builder (`const byId = (id) => knex('t').where({ id })`): run if its callers run it.
      return !(call && ts.isCallExpression(call)) && returnedBuilderRuns(p, depth);
    }
    if (ts.isReturnStatement(p)) {
      // Returned from a per-element callback: it runs if the call it feeds runs it (Promise.all).
      let f: ts.Node | undefined = p.parent;
      while (f && !ts.isFunctionLike(f)) f = f.parent;
      if (f && (ts.isArrowFunction(f) || ts.isFunctionExpression(f)) && f.parent && ts.isCallExpression(f.parent)) {
        n = f.parent;
        continue;
      }
      // Returned from a named function or method: run if its callers run it.
      return !!f && returnedBuilderRuns(f as ts.SignatureDeclaration, depth);
    }
    return false;
  }
  return false;
}

/**
 * Interprets one outermost chain expression. `binding` is what the chain's
 * prefix at `at` resolved to.
 */
function interpret(chain: Chain, at: number, binding: Binding, outer: ts.Expression) {
  const steps = chain.steps.slice(at);
  // Drop trailing .then/.catch/.finally: they consume the query, they are not part of it.
  while (steps.length && THEN_METHODS.has(steps[steps.length - 1].name)) steps.pop();
  if (!steps.length) return undefined;
  const last = steps[steps.length - 1];
  const runs = builderRuns(outer) || (outer !== last.node && THEN_METHODS.has(chain.steps[chain.steps.length - 1]?.name ?? ''));

  return adapters[binding.library].orm.interpret({ chain, steps, last, binding, outer, runs });
}

/** Whether `n` continues into a longer chain (`n.x`, `n.x()`), so it is not the outermost link. */
function isChainInner(n: ts.Node): boolean {
  let c: ts.Node = n;
  while (c.parent && (ts.isParenthesizedExpression(c.parent) || ts.isNonNullExpression(c.parent))) c = c.parent;
  const p = c.parent;
  if (!p) return false;
  if (ts.isPropertyAccessExpression(p) && p.expression === c) return true;
  // The callee of a call: the call is the link.
  if (ts.isCallExpression(p) && p.expression === c) return true;
  if (ts.isElementAccessExpression(p) && p.expression === c) return false;
  return false;
}

/** The lists a batched draft takes: its `in` filters' lists and the adapter's own (multi-row writes); undefined when none is known. */
function batchOperandsOf(part: { filters: ColumnUse[]; batchOperands?: string[] }): string[] | undefined {
  const out = [...(part.batchOperands ?? []), ...part.filters.filter((f) => f.op === 'in' && f.value !== undefined).map((f) => f.value!)].filter((t) => t.trim() !== '');
  return out.length ? out : undefined;
}

/** Per-node lookup of the QuerySite a call expression produced (for the call graph and rules). */
export interface QuerySiteIndex {
  sites: QuerySite[];
}

/** Every query-running (or query-building) call in a TypeScript file, raw SQL calls included. */
export function fileQuerySites(project: ProjectServices, path: string): QuerySite[] {
  const sf = project.tsAst(path);
  if (!sf) return [];
  const out: QuerySite[] = rawSites(project, path);
  const rawStarts = new Set(out.map((s) => `${s.range.start}:${s.range.end}`));
  let prov: ReturnType<typeof fileProvenance> | undefined;
  try {
    prov = fileProvenance(project, path, sf.text, sf);
  } catch (e) {
    noteSwallowed(path, 'query sites', e);
    prov = undefined;
  }
  if (!prov) return out;
  const resolve = (e: ts.Expression): Binding | undefined => {
    try {
      return prov!.resolve(e);
    } catch (err) {
      noteSwallowed(path, 'query sites', err);
      return undefined;
    }
  };
  const value = (e: ts.Expression): Value | undefined => {
    try {
      return prov!.value(e);
    } catch (err) {
      noteSwallowed(path, 'query sites', err);
      return undefined;
    }
  };
  const declarationOf = (id: ts.Identifier): ts.Node | undefined => {
    try {
      return prov!.declarationOf(id);
    } catch {
      return undefined;
    }
  };
  const passes = (e: ts.Expression): ts.Expression | undefined => {
    try {
      return passedThrough(prov!, e);
    } catch {
      return undefined;
    }
  };
  const target: Target = (call) => {
    try {
      return prov!.callTarget(call);
    } catch {
      return undefined;
    }
  };
  const visit = (n: ts.Node): void => {
    if ((ts.isCallExpression(n) || ts.isPropertyAccessExpression(n)) && !isChainInner(n)) {
      const site = siteFor(project, path, n, resolve, value, declarationOf, passes, target) ?? (ts.isCallExpression(n) ? handedSite(project, path, n, resolve, value, declarationOf, passes, target) : undefined);
      if (site && !rawStarts.has(`${site.range.start}:${site.range.end}`)) out.push(site);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  out.sort((a, b) => a.range.start - b.range.start);
  return out;
}

function siteFor(
  project: ProjectServices,
  path: string,
  outer: ts.Expression,
  resolve: (e: ts.Expression) => Binding | undefined,
  value: (e: ts.Expression) => Value | undefined,
  declarationOf: (id: ts.Identifier) => ts.Node | undefined,
  passes: Passes,
  target: Target,
  given?: Chain,
): QuerySite | undefined {
  const chain = given ?? decomposeChain(outer);
  if (!chain.steps.some((s) => s.call)) return undefined;
  if (chain.steps.length > 60) return undefined;
  const site = chainSite(project, path, chain, outer, resolve, value, declarationOf);
  if (site) return site;
  // A builder held in a variable: `const qb = repo.createQueryBuilder('u').where(…)`, then `await qb.getMany()`.
  const inlined = inlineBuilderRoot(chain, declarationOf, value, passes);
  const viaVariable = inlined ? chainSite(project, path, inlined, outer, resolve, value) : undefined;
  if (viaVariable) return viaVariable;
  // A builder returned by a helper: `this.baseQuery().where(…).execute()`, or one imported from another file.
  const returned = inlineReturnedBuilder(inlined ?? chain, path, target, (id, file) => heldChain(project, path, id, file, declarationOf, value, passes));
  if (!returned) return undefined;
  if (returned.from === path) return chainSite(project, path, returned, outer, resolve, value);
  // The helper's nodes are another file's: its provenance resolves them, the caller's the rest.
  const sfOf = (n: ts.Node): ts.SourceFile | undefined => ts.findAncestor(n, ts.isSourceFile);
  const helperSf = sfOf(returned.steps[0].node);
  let other: ReturnType<typeof fileProvenance> | undefined;
  try {
    other = helperSf ? fileProvenance(project, returned.from, helperSf.text, helperSf) : undefined;
  } catch {
    other = undefined;
  }
  if (!other) return undefined;
  const theirs = (e: ts.Expression): boolean => sfOf(e) === helperSf;
  const prov = other;
  // A node of the helper's file asks its provenance (a failure there is no answer), any other the caller's.
  const either =
    <T>(mine: (e: ts.Expression) => T | undefined, ask: (e: ts.Expression) => T | undefined) =>
    (e: ts.Expression): T | undefined => {
      if (!theirs(e)) return mine(e);
      try {
        return ask(e);
      } catch {
        return undefined;
      }
    };
  const resolveBoth = either(resolve, (e) => prov.resolve(e));
  const valueBoth = either(value, (e) => prov.value(e));
  const crossSite = chainSite(project, path, returned, outer, resolveBoth, valueBoth);
  if (!crossSite) return undefined;
  // Ranges inside the helper are offsets of its file, not this one: the site keeps its columns, not their places.
  const here = (c: ColumnUse): ColumnUse => {
    const { range: _r, ...rest } = c;
    return rest;
  };
  const { limitAt: _l, ...rest } = crossSite;
  return { ...rest, filters: crossSite.filters.map(here), orderBy: crossSite.orderBy.map(here) };
}

/**
 * The chain a helper's variable holds where the helper returns it (`return query;` after
 * `let query = (manager || this._connection).createQueryBuilder()…` and its reassignments), read by the
 * provenance of the helper's file.
 */
function heldChain(
  project: ProjectServices,
  path: string,
  id: ts.Identifier,
  file: string,
  declarationOf: (id: ts.Identifier) => ts.Node | undefined,
  value: (e: ts.Expression) => Value | undefined,
  passes: Passes,
): Chain | undefined {
  if (file === path) return inlineBuilderRoot({ root: id, steps: [] }, declarationOf, value, passes);
  const sf = ts.findAncestor(id, ts.isSourceFile);
  if (!sf) return undefined;
  try {
    const other = fileProvenance(project, file, sf.text, sf);
    return inlineBuilderRoot(
      { root: id, steps: [] },
      (x) => other.declarationOf(x),
      (e) => other.value(e),
      (e) => passedThrough(other, e),
    );
  } catch {
    return undefined;
  }
}

/**
 * `helper(db.selectFrom('x').where(…), opts)` or `helper(query, opts)`: a project function that runs the
 * builder it is handed (engine/sources/builder-executors.ts) makes the call a site, the builder ended by
 * the method the helper runs it with (what the helper adds on the way, a limit or an order, is not read).
 */
function handedSite(
  project: ProjectServices,
  path: string,
  call: ts.CallExpression,
  resolve: (e: ts.Expression) => Binding | undefined,
  value: (e: ts.Expression) => Value | undefined,
  declarationOf: (id: ts.Identifier) => ts.Node | undefined,
  passes: Passes,
  target: Target,
): QuerySite | undefined {
  if (!call.arguments.length) return undefined;
  const t = target(call);
  const ex = t ? builderExecutorOf(project, t.file, t.node) : undefined;
  const arg = ex ? call.arguments[ex.param] : undefined;
  if (!ex || !arg || ts.isSpreadElement(arg)) return undefined;
  const handed = decomposeChain(unparen(arg));
  const run: ChainStep = { name: ex.method, call, node: call };
  const chain: Chain = { root: handed.root, steps: [...handed.steps, run] };
  const site = siteFor(project, path, call, resolve, value, declarationOf, passes, target, chain);
  return site?.executes ? site : undefined;
}

/** Is `root` a parameter written with a type (`(deps: { db: Knex })`)? */
function declaredParameter(root: ts.Expression, declarationOf?: (id: ts.Identifier) => ts.Node | undefined): boolean {
  if (!declarationOf || !ts.isIdentifier(root)) return false;
  const d = declarationOf(root);
  return !!d && ts.isParameter(d) && !!d.type && ts.isIdentifier(d.name);
}

function chainSite(
  project: ProjectServices,
  path: string,
  chain: Chain,
  outer: ts.Expression,
  resolve: (e: ts.Expression) => Binding | undefined,
  value: (e: ts.Expression) => Value | undefined,
  declarationOf?: (id: ts.Identifier) => ts.Node | undefined,
): QuerySite | undefined {
  const longest = Math.min(chain.steps.length - 1, MAX_BINDING_PREFIX);
  // Several prefixes to try, each a fresh resolution from the root up: an unknown root (`console`,
  // `arr`, a parameter of no known type) means no prefix binds, and a root that is known but not a
  // binding (a function, a plain object, a module namespace) needs no resolution of its own.
  let rootMayBind = true;
  if (longest >= 1 && rootGatesChain(chain.root)) {
    const rv = value(chain.root);
    // A parameter declared with an object type (`deps: { db: Knex }`, `deps: Deps`) is no value itself, but its
    // members are what the type declares: `deps.db('streams')` binds at `deps.db`.
    if (rv === undefined && !declaredParameter(chain.root, declarationOf)) return undefined;
    // `deps.db('streams')…`: a client member called as Knex's root is (`db('streams')`): the member is the root.
    const first = chain.steps[0];
    if (rv === undefined && first?.call && first.name && ts.isPropertyAccessExpression(first.call.expression) && resolve(first.call.expression)?.role === 'client') {
      return chainSite(project, path, { root: first.call.expression, steps: [{ ...first, name: '' }, ...chain.steps.slice(1)] }, outer, resolve, value);
    }
    rootMayBind = rv !== undefined && (rv.kind === 'instance' || rv.kind === 'pkg' || rv.kind === 'class' || rv.kind === 'class-instance');
  }
  // The longest prefix that resolves to a database binding.
  // Database chains bind within their first few links (`prisma.user`, `this.repo`,
  // `ds.getRepository(User)`, `db.query.users`); resolving only those keeps long
  // fluent chains of other libraries (ts-pattern `match().with()…`, 40 links) cheap.
  for (let i = longest; i >= 0; i--) {
    if (i === 0 && !rootMayBind) continue;
    const b = resolve(prefix(chain, i));
    if (!b) continue;
    const part = interpret(chain, i, b, outer);
    // A builder bound mid-chain may not say enough (`db.select()`): try the shorter prefix.
    if (!part) continue;
    return siteOfPart(project, path, part, b);
  }
  // Knex's `knex('users')` root: the root identifier is called directly.
  return undefined;
}

/** The query site an adapter's interpretation of a chain describes: its table resolved (entity → table) and its columns mapped to database names. */
function siteOfPart(project: ProjectServices, path: string, part: NonNullable<ReturnType<typeof interpret>>, b: Binding): QuerySite {
  let tableName = part.tableName;
  let table: TableInfo | undefined;
  if (part.entity && !tableName) {
    const t = tableForEntity(project, path, part.library, part.entity);
    table = t.table;
    tableName = t.name;
  } else if (tableName) {
    table = findTable(project.schema(path), tableName);
  }
  // Drizzle keys, TypeORM `@Column({ name })`, Sequelize `field:` → database column names.
  const colMap = part.entity && !part.tableName ? findEntityDecl(project, path, part.entity)?.columns : undefined;
  if (colMap?.size) {
    const mapCol = (c: ColumnUse): ColumnUse => ({ ...c, column: colMap.get(c.column) ?? c.column });
    part.filters = part.filters.map(mapCol);
    part.orderBy = part.orderBy.map(mapCol);
    if (Array.isArray(part.selects)) part.selects = part.selects.map((c) => colMap.get(c) ?? c);
  }
  return {
    file: path,
    range: rangeOf(part.node),
    library: part.library,
    operation: part.operation,
    executes: part.executes,
    kind: part.kind,
    table: table?.name ?? tableName,
    entity: part.entity && part.entity !== (table?.name ?? tableName) ? part.entity : undefined,
    selects: part.selects,
    filters: part.filters,
    ...(part.opaqueFilter ? { opaqueFilter: true } : {}),
    ...(part.conjunctive ? { conjunctive: true as const } : {}),
    orderBy: part.orderBy,
    limit: part.limit,
    ...(part.limit === undefined && part.limitAt ? { limitAt: part.limitAt } : {}),
    ...(part.filterHidden ? { filterHidden: true } : {}),
    ...(b.untyped ? { untypedReceiver: true as const } : {}),
    batched: part.batched,
    batchesSameTick: part.batchesSameTick,
    batchOperands: part.batched ? batchOperandsOf(part) : undefined,
  };
}
