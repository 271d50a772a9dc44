/**
 * n-plus-one: a query executed once per element of a collection.
 *
 * Unlike ESLint's `no-await-in-loop`, this fires only on calls that reach the
 * database (QuerySites: ORM calls and raw SQL, recognised by provenance) and
 * sees the loops that rule misses: `xs.map(async …)` under `Promise.all`,
 * `forEach`, `$transaction(xs.map(…))`, and queries hidden in helpers (same
 * file or imported, through a call graph with per-function summaries).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import type { RuleContext } from '../engine/context';
import { iterationCount } from '../engine/model/iterations';
import { type QueryPrice, queryInput, siteShape } from '../engine/model/query-cost';
import { CallGraph, type CallStep, findNode, type FunctionRef, type ReachedQuery } from '../engine/sources/call-graph';
import { inPlaceResolver } from '../engine/sources/in-place';
import { iteratedArgument } from '../engine/sources/iterators';
import { fileProvenance } from '../engine/sources/provenance';
import { containsNode, enclosingIterations, exitsAfter, inCatchBlock, type IterationScope } from '../engine/sources/iteration';
import { bufferFlushed } from '../engine/sources/buffer-flush';
import { iteratesDatabases } from '../engine/sources/database-fanout';
import { elementsAreLists } from '../engine/sources/element-types';
import { memoised } from '../engine/sources/memo';
import { readThroughOnce } from '../engine/sources/read-through';
import { oneKeyBranch } from '../engine/sources/key-branch';
import { stopsAtFirstHit } from '../engine/sources/first-hit';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix, Range, RelatedLocation } from '../engine/types';
import { defineRule } from './define-rule';
import { collectWriteFix } from './n-plus-one-collect-fix';
import { returningHoistFix } from './n-plus-one-returning-hoist';
import { LISTENER_ADVICE, listenerDispatch } from './n-plus-one-listeners';
import { nestedWriteDispatch } from './n-plus-one-nested-writes';
import { isTestFilePath } from './one-off';
import { batchFix } from './n-plus-one-fix';
import { spliceChunkNames } from './n-plus-one-chunks';
import { helperBatchFix } from './n-plus-one-helper-fix';
import { listHelperFix } from './n-plus-one-list-helper-fix';
import { siblingBatchFix } from './n-plus-one-sibling-fix';
import { siblingWriteFix } from './n-plus-one-sibling-write-fix';
import { awaitsFirst, elementIsBatch, elementName, indexedChunkWhole, sameTick, takesElementWhole } from './n-plus-one-element';

/** Test files by the usual conventions (rules/one-off.ts); the rule skips them unless `includeTests` (or config `lintTests`) is set. */
export const isTestPath = isTestFilePath;

/**
 * One execution of the looped query, priced as every estimate prices it (engine/model/query-cost.ts):
 * a filter no index serves is a sequential scan in each iteration, and that scan is part of the cost.
 */
function perQuery(ctx: RuleContext, site: QuerySite): QueryPrice {
  return queryInput(siteShape(site, ctx.project), ctx.model);
}

/**
 * The per-element scope a query runs once per element of (innermost first). A batched query (an `in`
 * list, `= ANY($1)`, a multi-row write) batches a loop only when one of its lists carries that loop's
 * collection (`In(chunk)` in a chunk loop, `In(users.map(…))`); a constant list, `[user.id]` or another
 * element's list leaves it per element. Undefined when every loop around it is batched, or when a batched
 * query says nothing about its lists.
 */
function unbatchedScope(site: QuerySite, all: IterationScope[], mapOperand: (t: string) => string = (t) => t): IterationScope | undefined {
  const scopes = all.filter((s) => s.perElement);
  if (!site.batched) return scopes[0];
  const ops = site.batchOperands?.map(mapOperand);
  if (!ops?.length) return undefined;
  return scopes.find((s) => !ops.some((t) => carries(t, s)));
}

/**
 * Whether `node` sits in a module-level function nothing can call: not exported, and its name appears nowhere
 * else in the file (dead code; an exported one may be called from outside and counts).
 */
function inUncalledFunction(node: ts.Node, sf: ts.SourceFile, refs: () => Map<string, number>): boolean {
  for (let p: ts.Node | undefined = node.parent; p; p = p.parent) {
    let name: ts.Identifier | undefined;
    let decl: ts.Node | undefined;
    if (ts.isFunctionDeclaration(p) && p.parent === sf && p.name) [name, decl] = [p.name, p];
    else if ((ts.isArrowFunction(p) || ts.isFunctionExpression(p)) && ts.isVariableDeclaration(p.parent) && p.parent.initializer === p && ts.isIdentifier(p.parent.name)) {
      const stmt = p.parent.parent.parent;
      if (ts.isVariableStatement(stmt) && stmt.parent === sf) [name, decl] = [p.parent.name, stmt];
    }
    if (!name || !decl) continue;
    const exported = ts.canHaveModifiers(decl) && ts.getModifiers(decl)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword || m.kind === ts.SyntaxKind.DefaultKeyword);
    return !exported && (refs().get(name.text) ?? 0) <= 1;
  }
  return false;
}

/** How many times each identifier text occurs in a file (declarations included). */
function identifierCounts(sf: ts.SourceFile): Map<string, number> {
  const m = new Map<string, number>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) m.set(n.text, (m.get(n.text) ?? 0) + 1);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return m;
}

const squash = (t: string): string => t.replace(/\s+/g, '');

/**
 * Does a list expression (source text) carry the collection of `scope`? Either it names the collection, or
 * it is built from an element that is itself a batch (a chunk: `const ids = chunk.map((r) => r.id)`), read
 * through a local of the loop body. A destructured entry (`for (const [key, rows] of byKey)`) is not taken
 * as a batch: one statement per key is one per element of the keys, and how many keys there are is not in
 * the code (a few queues, or every account).
 */
function carries(list: string, scope: IterationScope): boolean {
  if (scope.kind === 'while' && spliceChunkNames(scope).has(list.trim())) return true;
  if (scope.collection && squash(list).includes(squash(scope.collection))) return true;
  const texts = [list];
  const local = list.trim();
  if (/^[\w$]+$/.test(local)) {
    containsNode(scope.body, (n) => {
      if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === local && n.initializer) texts.push(n.initializer.getText());
      return false;
    });
  }
  const el = scope.element;
  if (!el) return false;
  const re = new RegExp(`(^|[^\\w$.])${el.replace(/\$/g, '\\$')}(?![\\w$])`);
  return texts.some((t) => re.test(t)) && elementIsBatch(scope, el);
}

/** The node of a range in a project file. */
function nodeIn(ctx: RuleContext, file: string, range: Range): ts.Node | undefined {
  const sf = ctx.project.tsAst(file);
  return sf && findNode(sf, range);
}

/** How the related location names the scope: its own label, or the loop written in the code. */
const loopLabel = (scope: IterationScope): string =>
  scope.label ?? `${scope.kind === 'callback' ? `\`${scope.method}\` over \`${scope.collection}\`` : `loop over \`${scope.collection ?? 'the collection'}\``} (runs once per element)`;

/**
 * One file's n-plus-one check: the queries written in loops, writes whose listeners or nested lists repeat, and
 * helper calls in loops. One finding per call and loop: a helper running three queries per element is one finding
 * on the call that names and locates all three (a stack of findings on one line, several under conditions this
 * caller never meets, read as noise); a query written in the loop and reached again through a recursive call in it
 * is one finding, on the query; two calls in one loop reaching the same query are two findings (two call lines).
 */
class FileCheck {
  private readonly sites: QuerySite[];
  private readonly siteKeys: Set<string>;
  private readonly graph: CallGraph;
  /** Closures handed to wrappers that call them (retry, rate limit, a limiter's task list) run in the loop around them. */
  private readonly inPlace: ReturnType<typeof inPlaceResolver>;
  private readonly reported = new Set<string>();
  private readonly reportedCalls = new Set<string>();
  private refs: Map<string, number> | undefined;

  constructor(
    private readonly ctx: RuleContext,
    private readonly sf: ts.SourceFile,
  ) {
    this.sites = ctx.querySites();
    this.siteKeys = new Set(this.sites.map((s) => `${s.range.start}:${s.range.end}`));
    this.graph = new CallGraph(ctx.project);
    this.inPlace = inPlaceResolver(ctx.project, ctx.file.path);
  }

  run(): void {
    this.loopQueries();
    this.listenerWrites();
    this.nestedWrites();
    // 2. Helper calls inside loops, and helpers passed as per-element callbacks (`ids.map(loadUser)`).
    this.visit(this.sf);
  }

  private identifierRefs(): Map<string, number> {
    return (this.refs ??= identifierCounts(this.sf));
  }

  /** 1. Query calls written inside the loop. */
  private loopQueries(): void {
    const { sf, sites, inPlace } = this;
    // 1. Query calls written inside the loop.
    for (const site of sites) {
      if (!site.executes) continue;
      const node = findNode(sf, site.range);
      if (!node) continue;
      const all = enclosingIterations(node, inPlace);
      const scope = unbatchedScope(site, all);
      if (!scope || this.skip(node, scope, site)) continue;
      this.report(node, scope, all, [{ site, path: [], loopedInHelper: false }], undefined);
    }
  }

  /** 1b. Writes handed a list whose entity listeners query: the library runs them once per entity (rules/n-plus-one-listeners.ts). */
  private listenerWrites(): void {
    const { ctx, sf, sites, inPlace, graph } = this;
    // 1b. Writes handed a list whose entity listeners query: the library runs them once per entity (rules/n-plus-one-listeners.ts).
    for (const site of sites) {
      if (!site.executes || site.kind !== 'write') continue;
      const node = findNode(sf, site.range);
      const l = node ? listenerDispatch(ctx, graph, sf, site, node) : undefined;
      if (node && l) this.report(node, l.scope, [l.scope, ...enclosingIterations(node, inPlace)], l.reached, l.via, undefined, LISTENER_ADVICE);
    }
  }

  /** 1c. A list a write hands the library, which inserts it one row per statement (rules/n-plus-one-nested-writes.ts); inside a loop the write is already a finding of that loop. */
  private nestedWrites(): void {
    const { ctx, sf, sites, inPlace } = this;
    // 1c. A list a write hands the library, which inserts it one row per statement (rules/n-plus-one-nested-writes.ts);
    // inside a loop the write is already a finding of that loop.
    for (const site of sites) {
      if (!site.executes || site.kind !== 'write') continue;
      const node = findNode(sf, site.range);
      if (!node || !ts.isCallExpression(node)) continue;
      const outer = enclosingIterations(node, inPlace);
      if (outer.some((s) => s.perElement)) continue;
      for (const w of nestedWriteDispatch(ctx.file.path, site, node)) this.report(node, w.scope, [w.scope, ...outer], w.reached, w.via, undefined, w.advice, undefined, w.fix);
    }
  }

  // `listHelper`: a helper that takes a list, called with one element's list (rules/n-plus-one-list-helper-fix.ts).
  private report(node: ts.Node, scope: IterationScope, all: IterationScope[], reachedAll: ReachedQuery[], viaHelper: string | undefined, helper?: FunctionRef, advice?: string, listHelper?: FunctionRef, given?: Fix): void {
    const { ctx, sf, reported, reportedCalls } = this;
    // A loop in a module-level function nothing calls (not exported, named nowhere else in the file) never runs.
    if (inUncalledFunction(node, sf, () => this.identifierRefs())) return;
    // Nor does a loop in a method nothing in the project calls, or after an unconditional return (engine/sources/dead-code.ts).
    if (ctx.deadCode({ start: node.getStart(), end: node.getEnd() })) return;
    const counted = this.dataLoop(scope, all);
    if (!counted) return;
    const { n } = counted;
    scope = counted.scope;
    const key = (r: ReachedQuery): string => `${r.site.file}:${r.site.range.start}:${r.site.range.end}@${scope.range.start}`;
    const callKey = `${node.getStart()}:${node.getEnd()}@${scope.range.start}`;
    // Queries written in the loop are reported there; a call reaching them again (recursion) does not repeat them.
    const fresh = reachedAll.filter((r) => !reported.has(key(r)));
    if (!fresh.length || reportedCalls.has(callKey)) return;
    if (viaHelper) reportedCalls.add(callKey);
    else for (const r of fresh) reported.add(key(r));
    // The costliest query on a table leads (a statement naming none — a wrapper's `SELECT set_claims($1)` — is not
    // what the loop is about); the others are named and located.
    const named = (q: QuerySite): number => (q.table ?? q.entity ? 1 : 0);
    const priced = fresh
      .map((r) => {
        const one = perQuery(ctx, r.site);
        return { r, estimate: ctx.model.nPlusOne(n, one.now, one.rows, one.tableRows) };
      })
      .sort((a, b) => named(b.r.site) - named(a.r.site) || b.estimate.currentMs - a.estimate.currentMs);
    const reached = priced[0].r;
    const site = reached.site;
    const tableOf = (q: QuerySite): string => q.table ?? q.entity ?? 'the database';
    const table = tableOf(site);
    // Priced on the costliest query alone: the others may sit under conditions this caller never meets.
    const estimate = priced[0].estimate;
    const related: RelatedLocation[] = [{ file: ctx.file.path, range: scope.range, message: `the ${loopLabel(scope)}` }];
    for (const step of reached.path) related.push({ file: step.file, range: step.range, message: `calls \`${step.callee}\`` });
    if (viaHelper) for (const p of priced) related.push({ file: p.r.site.file, range: p.r.site.range, message: `the query on \`${tableOf(p.r.site)}\`` });
    const via = viaHelper ? ` through \`${viaHelper}\`` : '';
    const others = [...new Set(priced.slice(1).map((p) => `\`${tableOf(p.r.site)}\``))];
    const more = priced.length > 1 ? ` The call reaches ${priced.length - 1} more ${priced.length === 2 ? 'query' : 'queries'} per element (on ${others.join(', ')}), not priced here.` : '';
    const message = `Query on \`${table}\` runs once per element of \`${scope.collection ?? 'the collection'}\`${via} (N+1): ${estimate.summary}; ${advice ?? scope.advice ?? adapterOf(site.library).rules.batchAdvice(site)}.${more}`;
    const fix = given ?? (priced.length > 1 ? undefined : this.fixFor(node, scope, reached, viaHelper, helper, listHelper));
    const range: Range = { start: node.getStart(), end: node.getEnd() };
    ctx.report({
      message,
      range,
      related,
      estimate,
      fixes: fix ? [fix] : [],
      // The iteration count and its source are a row of the estimate's table; here only what the table lacks.
      hoverDetail: `Query: ${site.library} \`${site.operation}\`${site.kind === 'write' ? ' (write)' : ''}${priced.length > 1 ? `, and ${priced.length - 1} more per element` : ''}.`,
      querySite: site,
    });
  }

  /**
   * The loop the finding is about and how many times it runs (over one): `scope`, unless it repeats a fixed
   * number of times whatever the data — a list written out in the code (`for (const role of ['admin', 'member'])`,
   * an imported constant array, the entries of an object literal), or a loop over databases (`for (const db of
   * [mainDb, ...regionDbs])`, engine/sources/database-fanout.ts: once per configured database) — then the loop over
   * data around it, each of its elements running the list's statements (× the list's length; not for databases).
   */
  private dataLoop(scope: IterationScope, all: IterationScope[]): { scope: IterationScope; n: ReturnType<typeof iterationCount> } | undefined {
    const { ctx } = this;
    let n = iterationCount(ctx.project, ctx.file.path, scope, all, ctx.model);
    const fanout = (s: IterationScope): boolean => iteratesDatabases(ctx.project, ctx.file.path, s);
    const overDatabases = !n.fixed && fanout(scope);
    if (n.fixed || overDatabases) {
      const inner = n;
      const outer = all.slice(all.indexOf(scope) + 1).find((s) => s.perElement && !iterationCount(ctx.project, ctx.file.path, s, all, ctx.model).fixed && !fanout(s));
      if (!outer) return undefined;
      scope = outer;
      n = iterationCount(ctx.project, ctx.file.path, outer, all, ctx.model);
      if (!overDatabases) n = { ...n, value: n.value * inner.value, note: [n.note, `× ${inner.value} per element (${inner.note ?? 'a fixed list'})`].filter(Boolean).join('; ') };
    }
    return n.value <= 1 ? undefined : { scope, n };
  }

  /**
   * The rewrite of one query per element, if a mechanical one fits: written in the loop, a batch or a collected
   * write; through a helper, only when the query is the helper's own body (not further down). A receiver typed
   * `any` returns `any` rows: a rewrite keyed on their type would not type-check.
   */
  private fixFor(node: ts.Node, scope: IterationScope, reached: ReachedQuery, viaHelper: string | undefined, helper: FunctionRef | undefined, listHelper: FunctionRef | undefined): Fix | undefined {
    const { ctx } = this;
    const site = reached.site;
    if (site.untypedReceiver) return undefined;
    if (!viaHelper) return batchFix(ctx, site, node, scope) ?? collectWriteFix(ctx, site, node, scope) ?? returningHoistFix(ctx, site, node, scope);
    if (listHelper) return listHelperFix(ctx, site, node, scope, listHelper);
    if (!helper || reached.path.length || reached.loopedInHelper) return undefined;
    return (
      helperBatchFix(ctx, site, node, scope, helper, false) ??
      siblingBatchFix(ctx, site, node, scope, helper) ??
      helperBatchFix(ctx, site, node, scope, helper, true) ??
      siblingWriteFix(ctx, site, node, scope, helper) ??
      listHelperFix(ctx, site, node, scope, helper)
    );
  }

  private skip(node: ts.Node, scope: IterationScope, site: QuerySite, path: CallStep[] = []): boolean {
    const { ctx, inPlace } = this;
    if (!site.executes) return true;
    if (site.batchesSameTick && sameTick(scope) && !awaitsFirst(ctx, node, scope, site, path)) return true;
    if (exitsAfter(node, scope)) return true;
    // `row = await q; if (row) break;`: a search that stops at the first row found.
    if (stopsAtFirstHit(node, scope)) return true;
    // In a `catch` inside the loop body: it runs for the elements whose work failed.
    if (inCatchBlock(node, scope.body)) return true;
    // `if (key === X)` over an object's keys: one element at most (unless an outer loop repeats the whole loop).
    if (oneKeyBranch(node, scope) && !enclosingIterations(node, inPlace).some((s) => s.perElement && s.node !== scope.node)) return true;
    if (memoised(node, scope.body)) return true;
    // `cache.memoize(key, () => query)` with a key that does not change with the element: once per key.
    if (readThroughOnce(ctx.project, (file, range) => nodeIn(ctx, file, range), node, scope.node, site, path)) return true;
    if (bufferFlushed(node, scope.body)) return true;
    // A chunk loop (by the chunking call, or by the collection's declared type: `const batches: Row[][]`) whose query takes the chunk whole.
    const el = elementName(scope);
    if (elementIsBatch(scope, el) ? takesElementWhole(node, el, scope.body, true) : takesElementWhole(node, el, scope.body) && elementsAreLists(ctx.project, ctx.file.path, scope)) return true;
    if (indexedChunkWhole(node, scope)) return true;
    if ([...spliceChunkNames(scope)].some((c) => takesElementWhole(node, c, scope.body, true))) return true;
    return false;
  }

  private visit(n: ts.Node): void {
    const { ctx, inPlace, graph } = this;
    if (ts.isCallExpression(n) && !this.siteKeys.has(`${n.getStart()}:${n.getEnd()}`)) {
      const all = enclosingIterations(n, inPlace);
      const scope = all.find((s) => s.perElement);
      if (scope) {
        const via = `${n.expression.getText().slice(0, 60)}()`;
        const hit = graph.queriesOfCall(ctx.file.path, n);
        if (hit) {
          // Only a helper whose one query is its body gets the batching rewrite.
          // Not through an injected dependency: the rewrite would go into whichever function one composition root binds.
          const target = hit.reached.length === 1 && !hit.injected ? hit.target : undefined;
          this.report(n, scope, all, hit.reached.filter((r) => !this.skip(n, scope, r.site, r.path)), via, target);
        } else {
          // A helper whose query batches the list it is given: per element when called with one element's list.
          const b = graph.batchedQueryOfCall(ctx.file.path, n);
          const bscope = b ? unbatchedScope(b.site, all, b.mapOperand) : undefined;
          if (b && bscope && !this.skip(n, bscope, b.site)) this.report(n, bscope, all, [{ site: b.site, path: [], loopedInHelper: false }], via, undefined, undefined, b.target);
        }
      }
      const m = ts.isPropertyAccessExpression(n.expression) ? n.expression.name.text : '';
      // `xs.map(this.load.bind(this))`: the bound method is the callback.
      const a0 = n.arguments[0];
      const ref = a0 && ts.isCallExpression(a0) && ts.isPropertyAccessExpression(a0.expression) && a0.expression.name.text === 'bind' ? a0.expression.expression : a0;
      // `this.loop(this.processItem.bind(this))`: a function reference a project iterator calls once per element.
      n.arguments.forEach((arg, i) => {
        const r = ts.isCallExpression(arg) && ts.isPropertyAccessExpression(arg.expression) && arg.expression.name.text === 'bind' ? arg.expression.expression : arg;
        if (!(ts.isIdentifier(r) || (ts.isPropertyAccessExpression(r) && r.expression.kind === ts.SyntaxKind.ThisKeyword))) return;
        const it = iteratedArgument(ctx.project, fileProvenance(ctx.project, ctx.file.path), n, i);
        const hit = it ? graph.queriesOfReference(ctx.file.path, r) : undefined;
        const reached = hit?.reached.filter((q) => !q.site.batched) ?? [];
        if (it && reached.length) this.report(r, it, [it, ...enclosingIterations(n)], reached, r.getText().slice(0, 60));
      });
      if (ref && /^(map|forEach|flatMap|filter|some|every|find)$/.test(m) && (ts.isIdentifier(ref) || ts.isPropertyAccessExpression(ref))) {
        const hit = graph.queriesOfReference(ctx.file.path, ref);
        const reached = hit?.reached.filter((r) => !r.site.batched && !(r.site.batchesSameTick && m !== 'reduce')) ?? [];
        if (reached.length) {
          const recv = (n.expression as ts.PropertyAccessExpression).expression;
          const scope2: IterationScope = {
            kind: 'callback',
            range: { start: n.getStart(), end: n.getEnd() },
            node: n,
            body: n,
            collection: recv.getText(),
            collectionExpr: recv,
            method: m,
            concurrent: true,
            perElement: true,
          };
          this.report(ref, scope2, [scope2, ...enclosingIterations(n)], reached, ref.getText().slice(0, 60));
        }
      }
    }
    ts.forEachChild(n, (c) => this.visit(c));
  }
}

export default defineRule({
  id: 'n-plus-one',
  meta: {
    summary: 'A query executed once per element of a collection (loops, map/forEach callbacks, helpers called in loops).',
    defaultSeverity: 'warning',
    fix: 'sometimes',
    languages: ['ts'],
    docs: {
      what:
        'Flags a database query (ORM call or raw SQL) that runs once per element of a collection: inside `for`/`for…of`/`for…in`/`for await`/worklist `while` loops (`while (queue.length)`, or `while (true)` taking `queue.shift()` until none is left), inside `forEach`/`map`/`flatMap`/`reduce`/`filter`/`some`/`every`/`find` callbacks (also under `Promise.all`, `$transaction` and a library\'s transaction callback such as `sql.begin(async (trx) => …)`), and through helper functions, in the same file or imported, that run a query (a helper running several queries per element gives one finding on the call, naming and locating each query, priced on the costliest (the others may sit under conditions that caller never meets); a query reached both in the loop and through a recursive call in it is one finding). Reads and writes alike. A write handed a list of entities that the library runs entity listeners for once per entity (TypeORM `remove(rows)`/`save(rows)`/`softRemove(rows)` and `@AfterRemove`/`@AfterInsert`… methods) is reported on the write when a listener runs a query, where the argument is a list by the code (an array literal, a declared array type, a many-row read, an array-typed relation of a read row); subscribers are not followed. A write handing the library a list it inserts one statement per row is reported on the write, with no loop written (Prisma\'s nested `create: rows.map(…)`, where a nested `createMany` is one INSERT; a list written out in the code is a fixed number of rows). A GraphQL field resolver (a `@ResolveField()` method of `@nestjs/graphql`, a `@FieldResolver()` of `type-graphql`, in a `@Resolver(() => T)` class, taking its `@Parent()`/`@Root()` object) runs its queries, written there or in a service it calls, once per `T` of every list of `T` the response holds: a finding where the project\'s schema decorators return a list of `T` somewhere (`@Query(() => [T])`, `@ResolveField(() => [T])`, `@Field(() => [T])`), or a list of an object type whose only object field is one `T` and that is never returned singly (a relay connection\'s `edges: [TEdge]` with `TEdge.node: T`), or a schema factory handed `T` whose classes list it (`class TConnection extends Paginated(T)`, where `Paginated(TItemClass)` declares `edges: [EdgeType]` and `EdgeType.node: TItemClass`); a type holding one `T` beside other objects (a membership\'s `user` and `project`) or also returned singly is not enough, since whether a client goes on to `T`\'s fields from the list is not in the code), the count unknown (the default), the advice a DataLoader; none where `T` is only ever returned singly. The executor starts a list\'s resolvers in the same tick, so a Prisma `findUnique` there is batched by Prisma\'s own dataloader. A function or bound method handed to a project iterator (a function that calls it once per element of a list, also by handing it on: `this.loop(this.processItem.bind(this))`) runs its queries once per element. A list written out in the code (`for (const role of [\'admin\', \'member\'])`, an imported constant array or the `export default [ … ]` of another module, `Object.entries` of an object literal no code adds keys to — `seen[id] = true` in a loop makes it data —, `Array.from({ length: N })` with N a constant, a parameter of a function or class method every call of which passes such a list or leaves it out: `const kinds = types ?? [A, B, C]` with callers `toggle()` and `toggle([A])`) repeats its query a fixed number of times whatever the data, so it is not a finding; a loop over data around it still is (priced × the list\'s length). So is a list a project function returns when each of its `return`s writes it out (`fixtures(id).nodes` of a function returning `{ nodes: [ … ] }`). A call through a dependency the function was handed (`deps.getUser(id)`, a destructured `getUser(id)` from a parameter of a factory) runs what every production call of that factory binds there (`getUserFactory({ db })`, a function reference, an inline function); when one binding cannot be followed, the call is not judged, and no rewrite is offered through it. A chunk loop is also recognised by the declared type of the collection (`const batches: Row[][]`) where the call takes the element whole, in `for (const [i, batch] of batches.entries())` and in a callback over a chunked list (`chunks.map((c) => has({ ids: c }))`); in a chunk or page loop (`for await (const page of executeBatchedSelect(q))`) a statement also takes the page whole through locals the body builds from it (`const ids = page.map((r) => r.id)`, `const { ids } = page.reduce(…)`, a builder `whereIn(col, ids)` handed on). A builder held in a variable runs where the variable is awaited (`const q = db(t).where(…); if (x) q.select(…); await q`). Nor is a loop over databases: every element of the collection a client of a data library by its declared type (`allDbs.map((db) => …)` on `Knex[]`, `[mainDb, ...regionClients]`, `Object.values` of a `Record<string, Knex>`), or an object whose destructured or read member is one (`for (const { regionKey, client } of regions)`), runs its statements once per configured database, not per row; a loop over data around it still is. A query that runs for one element of the loop at most is not a finding either: under `if (key === X)` or `case X:` in a loop over an object\'s keys (`Object.keys`/`Object.entries`/`for…in`) or over the values of a Set (`[...new Set(channels)]`, `Array.from(new Set(xs))`, a `const` holding one that nothing grows) (the keys or values are distinct; X a literal or a name from outside the loop), or the search of a loop that stores its result and leaves at the first row found (`row = await q; if (row) break;`), or a statement its block follows with `return`, `throw`, `break` or an `exit(…)` of Node\'s `process` (the loop, or the process, ends there). A helper\'s query behind a condition on its arguments that the call cannot meet is not reached from that call (an option left out; `if (key != \'creds\') { …; return }` called with `` `${type}-${id}` ``, which can never be `\'creds\'`). Code the project never runs is not judged: a loop after an unconditional `return`/`throw`, or in a function or method nothing in the project calls (by name; decorated methods, classes with a base class and exports of a non-private package count as called). Nor is a test helper: a class method named as one (`testGetId`, `resetForTests`) that no file outside the tests names and whose doc comment says it is for tests, or that a test file calls. A query only in a `catch` block (in the loop body or in a helper it calls) runs for the elements whose work failed: not a finding; a loop inside a `catch` still is. A query under `if (buf.length >= BATCH) { …; buf.length = 0 }` (or `buf = []`, `.splice(0)`, `.clear()`, also in a same-file function the branch calls) on a buffer that outlives each element runs once per BATCH elements: that is the batching, not a finding. A query in a closure handed to a read-through cache (a project wrapper that returns early when a store has an entry for one of its arguments and stores the closure\'s result under it: `cache.memoize(key, () => …)` over a request-scoped Map, `cache.get(key, ttl, () => …)` over Redis `getJson(key)`/`setJsonEx(key, …)`) runs once per key: not a finding when the key does not change with the element (read back through the helpers between the loop and the cache to the loop, where it changes when it names the element or a local of the loop body); a key built from the element (`memoKeys.segment(condition.segmentId)`) or from anything not followed (a callback\'s parameter in a helper) keeps the finding. Test files are skipped unless `lintTests` (or the rule option `includeTests`); one-off code — seeds, backfills, migrations written as code (folders `seed(s)/`, `backfill(s)/`, `migration(s)/`, also `code-migrations/`, `data_migrations/`; files `seed*`, `backfill*`, `migrate*`), scripts run by hand (`scripts/` or `.scripts/`, `tmp/`, `upgrades/` …), files only non-application package.json scripts run, scripts that export nothing, define no function and await their queries at top level, `oneOff.include` globs — is reported as `info` with the reason and ranked after every request-path finding (the rule option `includeOneOffScripts: true` keeps its severity): it runs once, not per request, but is never dropped; code run in the background (a `cron/` folder, a route a `vercel.json` `crons` entry calls, a workspace package named as a worker — `@acme/worker`, `jobs` — that is not a Cloudflare Worker) keeps its severity and ranks after request paths, before one-off code.',
      why:
        'Each statement pays a client↔server round trip plus parse/plan/executor start-up, whatever it returns. N statements for N elements cost N round trips; one statement with `IN`/`= ANY($1)` costs one, and PostgreSQL serves the N keys from the same index descent path. Running them concurrently does not help much: each still holds a pool connection and a backend. The message\'s advice follows the statement: a read is told to load all rows at once by the key (`in`, `In()`, `inArray`, `whereIn`); a write never is — an insert to collect its rows and insert them in one statement (`createMany`, `values(rows)`, `insert(rows)`, `save(entities)`), a delete to take every key in one `in` list, an update the same when its values are the same for all, else one `UPDATE … FROM (VALUES …)` through the library\'s raw SQL.',
      example: {
        language: 'ts',
        code: [
          "import { PrismaClient } from '@prisma/client';",
          'const prisma = new PrismaClient();',
          'export async function authors(postIds: number[]) {',
          '  const out = [];',
          '  for (const id of postIds) {',
          '    out.push(await prisma.post.findFirst({ where: { id } }));',
          '  }',
          '  return out;',
          '}',
        ].join('\n'),
      },
      useInstead: {
        language: 'ts',
        code: [
          "import { PrismaClient } from '@prisma/client';",
          'const prisma = new PrismaClient();',
          'export async function authors(postIds: number[]) {',
          '  return prisma.post.findMany({ where: { id: { in: postIds } } });',
          '}',
        ].join('\n'),
      },
      fixSafety:
        'A suggestion (never applied by `--fix`; it moves code), offered only where the rewrite is mechanical (rules/n-plus-one-fix.ts). Reads keyed by one field of the element of a `for…of` or an async `map`/`forEach` callback: one batched query before the loop (Prisma `findMany` with `in`, TypeORM `findBy`/`find` with `In()`, Sequelize `findAll` with `Op.in`, Knex `whereIn`, Drizzle `inArray`, Kysely `where(…, \'in\', …)`, pg `= ANY($n)`, postgres.js `= ANY(${keys})`) and a Map lookup in place of the query: a Map of rows when the key column is unique in the schema (alone, or with columns the query\'s other filters set to one value each — `@@unique([name, orgId])` read with `orgId`, not to null nor from a property the file declares optional) and the query reads one row (`findUnique`/`findFirst`/`findOne`/`findByPk`/`.first()`/`executeTakeFirst`; `…OrThrow`/`…OrFail` still throw for a missing key), a Map of row arrays when it reads many; a single-row read on a non-unique key that states its order (`findFirst`/`findOne` with `orderBy`/`order`, Drizzle `.orderBy(…).limit(1)`) reads the first row of its key\'s group (TypeORM reads one row per key with `createQueryBuilder(\'row\').distinctOn([\'row.key\']).where({ key: In(keys), … }).orderBy(\'row.key\').addOrderBy(…).getMany()`, PostgreSQL DISTINCT ON, instead of every row of every group; none there with `relations`, `select` or an order other than plain ASC/DESC); no fix for a single-row read on a non-unique key without an order, for aggregates (except a Prisma `count({ where })` by the key: one `groupBy({ by: [key], …, _count: { _all: true } })` and a Map of each key\'s count, `map.get(k) ?? 0`), limits above one or joins, or when the row would not carry the key (a column selection without it; Drizzle `select({ … })` gains the key field instead where the code reads nothing but named fields of the rows — `.length`, `.map((r) => r.field …)` — so the extra field is never seen). The key may be any pure expression of the element (property reads, `Number`/`String`, `.trim()`/`.toLowerCase()`), also through a `const` the loop body declares from it first or a destructured element, in `for…of`, an indexed `for` whose first statement takes `xs[i]`, and `map`/`forEach` callbacks; other filters of the query stay when they do not change per element (Prisma and TypeORM `where` properties, Drizzle `and(…)` terms, relational `db.query.t.findFirst/findMany` — with the relational API v2\'s object filters, `where: { id: { eq: key }, … }` or `{ id: key }` becomes `{ id: { in: keys } }` on a column of the table, a key list mapped from the rows dropping null keys (`flatMap((r) => r.key ?? [])`), which find no row one by one either); a loop that writes the table it reads (or any table, when the read loads relations), itself or through a helper, gets none, nor one that calls a helper polling that table (reading it with a `setTimeout`/`sleep`/`delay` between reads: the rows change elsewhere, a worker\'s, while the loop waits). A key the loop skips when absent (`if (!el.key) continue;` before the query) may be declared optional: the key list leaves the nulls out (`flatMap((el) => el.key ?? [])`). Prisma filters spread into the where after the key (`...(status ? { status } : {})`) stay where every spread object is written out and never names the key\'s field. Except find-or-create: a `for…of`/`for` whose only writes of the read\'s table are creates returning the whole new row into a `const` of the loop body (Prisma `create({ data })`) keeps them, and a line after each adds the new row to the Map, so a later element finds it as its own read did; there a `findFirst` without `orderBy` on a non-unique key is accepted (any matching row, as before) and a case-insensitive `equals` (`mode: \'insensitive\'`) becomes `in` with the same mode, keys lower-cased in the Map; the title says both. A read that does not depend on the element at all moves before the loop (a `const` declared once, not a `…OrThrow`). A read whose result is unused gets none. Through a helper whose body is one read by one of its parameters (`return q`, `const x = await q; return x;`), in the caller\'s file or imported by name from another (then exported), with its other arguments the same for every element: a batched sibling (`…ByIds` for `…ById`, else `…Many`, same parameters with the key as an array, same select) goes next to the helper, the caller imports it and prefetches through it (rules/n-plus-one-sibling-fix.ts). A write through such a helper (one update or delete keyed by one parameter, the same values for every element), called as the loop body\'s only statement with its result unused: a batched sibling next to the helper and one call to it in place of the loop; the title says the one statement writes all or none and skips a missing key where the single-row form may throw (rules/n-plus-one-sibling-write-fix.ts). A rewrite may also sit at a module\'s top level where the loop statement itself awaits (a script with top-level await). Writes whose loop body is the write alone — and that compute nothing anew per run outside the key (an `await`, or a call not known to give the same value each time: `faker.internet.email()`, `await hash(…)`, `Snowflake.generate()`; known are the query\'s chain, what the library\'s modules export, the query\'s own client, a capitalised operator, `Date.now()`/`new Date()` and plain conversions), where one statement would write one value to every row — become one statement (the collection may be an expression, `xs.filter(…)`, where the one statement evaluates it once, as the loop did) (`createMany`, `updateMany`/`deleteMany` with `in`, `inArray`, `whereIn`, `= ANY($n)`; a postgres.js INSERT whose one VALUES tuple is all splices, `values (${a}, ${el.b})`, becomes `values ${sql(xs.map((el) => [a, el.b]))}`, the helper writing an array of arrays as rows); `updateMany` does not throw for a missing row as `update` does. Sequelize `create` gets none: `bulkCreate` runs the per-instance hooks only with `individualHooks`, which sends one INSERT per row again. The required import (`In`, `Op`, `inArray`) is added. No fix where a failure is handled per element (`Promise.allSettled`, a `try` block in the loop body, `.catch()` on the query): one batched statement would fail for every element at once, outside that handling. Inserts get no batched form where a row could collide with a unique key (a primary key or unique index whose columns the row sets, a row that is not an object literal, an unknown table) unless the insert already tolerates conflicts (`onConflict(…).ignore()`) or the batched form skips colliding rows and says so (Prisma `skipDuplicates`): the loop fails part-way, one multi-row INSERT writes nothing. Through a helper in the same file whose body is one read by its only parameter (`async function getUser(id) { return prisma.user.findUnique({ where: { id } }) }`, Knex `.where(\'id\', id).first()`, Kysely `.where(\'id\', \'=\', id).executeTakeFirst()`): the helper\'s query over every key before the loop and a Map lookup in place of the call, on a known table only; none when the helper does anything else. A write that shares its `for…of` body with other code (also in a `for…of` that is the whole body of an outer `for…of`: the rows of both loops are collected around the outer one): the loop collects the rows (each still computed in its iteration) or the keys of a keyed update/delete, and one multi-row INSERT (Prisma `createMany`, Drizzle/Kysely `values(rows)`, Knex/TypeORM `insert(rows)`) or one `in`-list write follows the loop — offered only when the loop runs no other write and no read of the written table (written there or through a helper), never returns from inside, and uses no write result — except rows a RETURNING write hands to the next statement alone, `const rows = await insert(…).returning(); out.push(...rows);` with `out` declared outside the loop: the one statement after the loop pushes what it returns onto `out`. On the client a transaction callback hands out (`transaction(async (tx) => …)`, `$transaction`, Kysely `transaction().execute`), in that callback\'s own body, N statements commit or fail together as the one statement does; outside one the title says that the loop kept the rows written before a failure and the one statement writes all or none, and, where a row could collide with a unique key, that Prisma `skipDuplicates` now skips it (other libraries: one collision fails them all). In such a transaction callback an insert may also move among other inserts of the loop: where every other write the loop runs (there or through a helper) inserts into a known other table whose foreign keys the schema records and none of which references the moved table, the rows are collected around the outermost per-element `for`/`for…of` loop of the function, a row list the iteration built (`values(cardLabels)`, a `const` array) pushed whole (`rows.push(...cardLabels)`) (rules/n-plus-one-collect-fix.ts). An insert whose new row the loop reads — `const [row] = await insert(…).values({ … }).returning(…)` as the first statement of a `for…of` body (not inside another per-element loop) in such a transaction callback, its row reading the element and names from outside the loop, every other query of the loop a read of another known table or a write of a known table the moved table\'s recorded foreign keys do not reference — becomes one multi-row INSERT … RETURNING before the loop (none for an empty list) and each iteration reads its row by position; the title says the rows come back in the order of the list (rules/n-plus-one-returning-hoist.ts). A helper that already takes a list — its one parameter a rest parameter (`addAuditLog(...inputs)`) or an array, its body the one multi-row insert of that list (Drizzle/Kysely `values(list)` or `values(list.map(…))`, Knex/TypeORM `insert`) — called once per element with one element\'s argument (`addAuditLog({ … })`, `addEvents([{ … }])`) in a `for…of` under the same conditions: the loop pushes each argument onto an array typed `Parameters<typeof helper>` and the helper is called once after the loop when the array is not empty; the title says that outside one transaction the one call writes all or none (rules/n-plus-one-list-helper-fix.ts). A keyed update whose values the loop computes per row (after the same checks, or alone in `Promise.all(xs.map(…))`/`$transaction(xs.map(…))`) becomes one raw `UPDATE … FROM (SELECT DISTINCT ON (key) … FROM unnest(…) WITH ORDINALITY) AS v` (the last value of a repeated key wins, as in the loop) where the library runs raw SQL — Prisma `$executeRaw` (`@updatedAt` columns set to now()), Drizzle `execute(sql\`…\`)` with `sql.param` arrays (none for a table with `$onUpdate`), TypeORM `query()` (none for an entity with `@UpdateDateColumn`/`@VersionColumn`) — only for text, number, boolean and uuid columns (dates, json, enums and custom types pass through the library\'s own mapping) and scalar values (no `{ increment }`, no SQL values); the title says an undefined value now writes NULL where the ORM left the column alone, and that Prisma no longer throws for a missing row (kit/rows-update.ts). TypeORM keyed `update`/`delete` by the same data become `{ id: In(keys) }` (or the id array for a bare key), the where\'s other filters kept where they are the same for every element (`delete({ application_id, guild_id: IsNull(), id: c.id })`; none where one is read from the element or reassigned by the loop); over a computed collection (`invites.filter(…)`) the keys are named once first (`const inviteKeys = …; if (inviteKeys.length) await Invite.delete({ code: In(inviteKeys) });`). A TypeORM `findOneOrFail` replaced by a Map lookup throws TypeORM\'s own `EntityNotFoundError` for a missing key (error handlers test it by class or name: a 404, not a 500); where the query came from a helper (its entity name may not be in scope at the caller), none. Prisma `createMany` of a per-element `create` whose row could collide with a unique key takes `skipDuplicates: true`, and the title says a colliding row is now skipped where the loop threw on it.',
      estimate:
        'N × (roundTripMs + statementOverheadMs + index descent + rows × row width ÷ bandwidth) now — or, when no index serves the filter, a sequential scan of the table in every iteration (the same per-execution price the latency budget charges) — versus one statement returning N × rows after the fix. N comes from the code when it can (array literal length, loop bound, `take`/`LIMIT` of the query that produced the collection, `chunk(…, n)`), else `defaultLoopIterations` (**default** 100). Rows per query: the query\'s `take`/`limit`, 1 for unique lookups and writes, else `defaultMatchingRows` (**default**), or the whole table for a read with no filter. No estimate goes beyond what its inputs justify: when both N and the rows each query returns are defaults (an unknown collection, a table of unknown size read whole), the rows all iterations return together are capped at one default table\'s rows (`defaultTableRows`), and the summary says so (`each returns ≤ 1,000 rows: capped, the table\'s rows are unknown`); a count from code, config or statistics is never capped.',
      whenNotToUse:
        'When the collection is known to hold one or two elements, or the per-element statements must run in separate transactions. Suppress the line with `// querylens-disable-next-line n-plus-one -- reason`.',
    },
  },
  check(ctx) {
    // The schema these queries run against is another database's (SchemaModel.otherDatabase: an app's local SQLite
    // store): a query per element is an in-process call there, not a round trip the model prices.
    if (ctx.language !== 'ts' || ctx.schema.otherDatabase) return;
    const includeTests = typeof ctx.options.includeTests === 'boolean' ? ctx.options.includeTests : ctx.config.lintTests;
    if (!includeTests && isTestPath(ctx.file.path)) return;
    // One-off code (seeds, backfills, migrations as code, hand-run scripts) still repeats its query per element:
    // it is reported, and the project makes it info with the reason and ranks it last (engine/project.ts), never dropped.
    const sf = ctx.tsAst();
    if (!sf) return;
    new FileCheck(ctx, sf).run();
  },
});
