/**
 * Latency budgets: which functions have one, and what the queries a function
 * runs cost together. Used by the `latency-budget` rule (sum over a handler
 * vs its budget) and by the hover of any finding inside a budgeted function
 * (the share of the budget the query eats; Amdahl's law for the request).
 *
 * A function has a budget when
 *   - `budgets` in config names it (`"getFeatures": 10`, `"FeatureService.getFeatures": 10`),
 *   - `budgets` names a route it handles (`"GET /features/*": 10`): Express /
 *     Fastify / Koa-router registrations `app.get('/features/:id', handler)`,
 *     Fastify `route({ method, url, handler })`, Nest `@Get(':id')` methods of
 *     a `@Controller('features')` class;
 *   - or the line above it says `// querylens-budget 10ms`.
 *
 * A function's cost is the sum over the queries it runs, each estimated with
 * the cost model from the schema (table rows, indexes on the filtered columns,
 * selected column widths), times the iterations of the loops around it; calls
 * to project helpers add the helper's queries (through engine/sources/call-graph).
 * Queries are assumed to run one after another (the usual `await` sequence);
 * that is stated as an assumption in the estimate.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ProjectServices } from '../context';
import { fileSummary, findNode, owningFunction, resolveCallee } from '../sources/call-graph';
import { fileProvenance } from '../sources/provenance';
import type { QuerySite } from '../sources/query-sites';
import type { SqlSite } from '../sources/types';
import type { AssumptionSource, Range } from '../types';
import type { BudgetHoverContext } from './hover';
import type { CostModel, QueryCostInput } from './index';
import { loopCount, memoQuerySites } from './iterations';
import { type QueryShape, queryInput, siteShape, sqlShape } from './query-cost';

export interface BudgetedFunction {
  /** The file of `node` (another file than the one analysed for an imported route handler). */
  file: string;
  node: ts.SignatureDeclaration;
  /** How messages name it: `getFeatures`, `FeatureController.get`, `GET /features/:id`. */
  name: string;
  /** Where a finding about it goes: the function's name, or the route string of an inline handler. */
  nameRange: Range;
  budgetMs: number;
  /** 'config' for `budgets`, 'code' for a `querylens-budget` comment. */
  budgetSource: 'config' | 'code';
  /** The config key or comment that set it. */
  budgetKey: string;
  routes: string[];
}

export interface QueryCost {
  /** Where the query is: the query call (possibly in a helper's file). */
  file: string;
  range: Range;
  /** In the budgeted function's file: the query itself, or the helper call that reaches it. */
  localRange: Range;
  label: string;
  table?: string;
  access: QueryCostInput['access'];
  /** One execution, ms; and after its fix (index for a sequential scan). */
  onceMs: number;
  fixedOnceMs: number;
  /** Executions per call of the function (loop iterations multiplied). */
  count: number;
  countSource: AssumptionSource;
  totalMs: number;
  /** Total after fixing it: batched when looped, indexed when scanning. */
  fixedTotalMs: number;
  /** What the fix is, in words. */
  fix?: string;
}

export interface FunctionCost {
  queries: QueryCost[];
  totalMs: number;
}

const BUDGET_COMMENT_RE = /querylens-budget\s+(\d+(?:\.\d+)?)\s*ms\b/;
const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'all']);
const NEST_METHODS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'Head', 'Options', 'All']);

function joinRoute(prefix: string, path: string): string {
  const parts = [...prefix.split('/'), ...path.split('/')].filter(Boolean);
  return '/' + parts.join('/');
}

/** Does a budget key (`GET /features/*`, `/features/:id`, `getFeatures`) name this route (`GET /features/:id`)? */
export function routeMatches(key: string, route: string): boolean {
  const km = /^([A-Za-z]+|\*)\s+(\/.*)$/.exec(key.trim());
  const kMethod = km ? km[1].toUpperCase() : undefined;
  const kPath = km ? km[2] : key.trim();
  if (!kPath.startsWith('/')) return false;
  const [rMethod, rPath] = route.split(' ');
  if (kMethod && kMethod !== '*' && kMethod !== 'ALL' && rMethod !== 'ALL' && kMethod !== rMethod) return false;
  const ks = kPath.split('/').filter(Boolean);
  const rs = rPath.split('/').filter(Boolean);
  // Dynamic programming over (key segment, route segment), key segments from the last: O(|ks|·|rs|)
  // with no recursion. (A backtracking match took 7 s for 8 `**` against a long route, > 120 s for 12.)
  // next[j]: does ks[i+1..] match rs[j..]?
  let next: boolean[] = new Array<boolean>(rs.length + 1).fill(false);
  next[rs.length] = true;
  for (let i = ks.length - 1; i >= 0; i--) {
    const cur: boolean[] = new Array<boolean>(rs.length + 1).fill(false);
    const k = ks[i];
    for (let j = rs.length; j >= 0; j--) {
      if (k === '**') cur[j] = next[j] || (j < rs.length && cur[j + 1]);
      else if (j < rs.length && (k === '*' || k.startsWith(':') || k === rs[j])) cur[j] = next[j + 1];
    }
    next = cur;
  }
  return next[0];
}

function nodeRange(sf: ts.SourceFile, n: ts.Node): Range {
  return { start: n.getStart(sf), end: n.getEnd() };
}

function stringValue(e: ts.Expression | undefined): string | undefined {
  if (!e) return undefined;
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  return undefined;
}

function isFunctionValue(e: ts.Node): e is ts.ArrowFunction | ts.FunctionExpression {
  return ts.isArrowFunction(e) || ts.isFunctionExpression(e);
}

/** The function a handler argument denotes: inline, or a same-file function declaration/const. */
function handlerFunction(sf: ts.SourceFile, arg: ts.Expression): ts.SignatureDeclaration | undefined {
  if (isFunctionValue(arg)) return arg;
  if (!ts.isIdentifier(arg)) return undefined;
  let found: ts.SignatureDeclaration | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isFunctionDeclaration(n) && n.name?.text === arg.text && n.body) found = n;
    else if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === arg.text && n.initializer && isFunctionValue(n.initializer)) found = n.initializer;
    else ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

function decoratorCall(d: ts.Decorator): { name: string; args: readonly ts.Expression[] } | undefined {
  const e = d.expression;
  if (ts.isCallExpression(e) && ts.isIdentifier(e.expression)) return { name: e.expression.text, args: e.arguments };
  if (ts.isIdentifier(e)) return { name: e.text, args: [] };
  return undefined;
}

/** The name a function is known by: declaration/method/variable/property name. */
function functionName(fn: ts.SignatureDeclaration): { name: string; node: ts.Node; qualified?: string } | undefined {
  const cls = (n: ts.Node) => (n.parent && ts.isClassLike(n.parent) && n.parent.name ? n.parent.name.text : undefined);
  if ((ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn) || ts.isFunctionExpression(fn)) && fn.name && ts.isIdentifier(fn.name)) {
    const c = cls(fn);
    return { name: fn.name.text, node: fn.name, qualified: c ? `${c}.${fn.name.text}` : undefined };
  }
  const p = fn.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return { name: p.name.text, node: p.name };
  if (p && (ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && ts.isIdentifier(p.name)) {
    const c = cls(p);
    return { name: p.name.text, node: p.name, qualified: c ? `${c}.${p.name.text}` : undefined };
  }
  return undefined;
}

/** The statement-level node whose leading comments describe `fn` (declaration, variable statement, class member). */
function commentAnchor(fn: ts.Node): ts.Node {
  let n: ts.Node = fn;
  const p = fn.parent;
  if (p && ts.isVariableDeclaration(p) && p.parent && ts.isVariableDeclarationList(p.parent) && p.parent.parent) n = p.parent.parent;
  else if (p && (ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p))) n = p;
  return n;
}

function budgetComment(sf: ts.SourceFile, fn: ts.Node): number | undefined {
  const anchor = commentAnchor(fn);
  for (const c of ts.getLeadingCommentRanges(sf.text, anchor.pos) ?? []) {
    const m = BUDGET_COMMENT_RE.exec(sf.text.slice(c.pos, c.end));
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** Routes registered in a file: route → handler function, with the route string's range. */
interface RouteReg {
  route: string;
  /** The handler, when it is in this file. */
  fn?: ts.SignatureDeclaration;
  /** The handler expression, for resolving an imported one. */
  handler?: ts.Expression;
  at: Range;
  inline: boolean;
}

/** Routes by syntax tree: findingScope asks once per finding (89 on bench-lsp's file), the tree's walk is done once. */
const routesByTree = new WeakMap<ts.SourceFile, RouteReg[]>();

function fileRoutes(sf: ts.SourceFile): RouteReg[] {
  let routes = routesByTree.get(sf);
  if (!routes) routesByTree.set(sf, (routes = walkRoutes(sf)));
  return routes;
}

function walkRoutes(sf: ts.SourceFile): RouteReg[] {
  const out: RouteReg[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
      const method = n.expression.name.text;
      // app.get('/x', mw, handler) / router.post(...) / fastify.get('/x', opts, handler)
      if (HTTP_METHODS.has(method) && n.arguments.length >= 2) {
        const path = stringValue(n.arguments[0]);
        const last = n.arguments[n.arguments.length - 1];
        if (path?.startsWith('/')) {
          const fn = handlerFunction(sf, last);
          const m = method === 'del' ? 'DELETE' : method.toUpperCase();
          if (fn || ts.isIdentifier(last) || ts.isPropertyAccessExpression(last)) {
            out.push({ route: `${m} ${path}`, fn, handler: last, at: nodeRange(sf, n.arguments[0]), inline: isFunctionValue(last) });
          }
        }
      }
      // fastify.route({ method: 'GET', url: '/x', handler })
      if (method === 'route' && n.arguments.length === 1 && ts.isObjectLiteralExpression(n.arguments[0])) {
        let m: string | undefined;
        let url: ts.Expression | undefined;
        let handler: ts.Expression | undefined;
        for (const p of n.arguments[0].properties) {
          if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name)) continue;
          if (p.name.text === 'method') m = stringValue(p.initializer);
          if (p.name.text === 'url' || p.name.text === 'path') url = p.initializer;
          if (p.name.text === 'handler') handler = p.initializer;
        }
        const path = stringValue(url);
        const fn = handler ? handlerFunction(sf, handler) : undefined;
        if (m && path && handler && url) out.push({ route: `${m.toUpperCase()} ${path}`, fn, handler, at: nodeRange(sf, url), inline: isFunctionValue(handler) });
      }
    }
    // Nest: @Controller('features') class { @Get(':id') get() {} }
    if (ts.isClassDeclaration(n)) {
      const ctrl = (ts.getDecorators(n) ?? []).map(decoratorCall).find((d) => d?.name === 'Controller');
      if (ctrl) {
        const arg0 = ctrl.args[0];
        let prefix = stringValue(arg0) ?? '';
        if (arg0 && ts.isObjectLiteralExpression(arg0)) {
          for (const p of arg0.properties) if (ts.isPropertyAssignment(p) && p.name && ts.isIdentifier(p.name) && p.name.text === 'path') prefix = stringValue(p.initializer) ?? '';
        }
        for (const m of n.members) {
          if (!ts.isMethodDeclaration(m) || !m.body) continue;
          for (const d of ts.getDecorators(m) ?? []) {
            const dc = decoratorCall(d);
            if (!dc || !NEST_METHODS.has(dc.name)) continue;
            const sub = stringValue(dc.args[0]) ?? '';
            out.push({ route: `${dc.name.toUpperCase()} ${joinRoute(prefix, sub)}`, fn: m, at: nodeRange(sf, m.name), inline: false });
          }
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Functions of a file that carry a latency budget (config key, route or comment). Memoised per file version. */
export function budgetedFunctions(project: ProjectServices, path: string): BudgetedFunction[] {
  const text = project.fileText(path);
  const sf = project.tsAst(path);
  if (text === undefined || !sf) return [];
  const budgets = project.config.budgets ?? {};
  const keys = Object.keys(budgets);
  // Asked for every finding (its scope and hover): the text is searched once per version, not each time.
  if (keys.length === 0 && !project.memo(`budget-comments:${path}`, text, () => text.includes('querylens-budget'))) return [];
  return project.memo(`budgets:${path}:${JSON.stringify(budgets)}`, text, () => {
    const out = new Map<ts.Node, BudgetedFunction>();
    const routes = fileRoutes(sf);
    const routesOf = (fn: ts.Node) => routes.filter((r) => r.fn === fn);
    const consider = (fn: ts.SignatureDeclaration): void => {
      if (out.has(fn) || !(fn as { body?: ts.Node }).body) return;
      const named = functionName(fn);
      const rs = routesOf(fn);
      const label = named ? (named.qualified ?? named.name) : rs[0]?.route;
      const at = named && !rs.some((r) => r.inline) ? nodeRange(sf, named.node) : rs[0]?.at;
      if (!label || !at) return;
      const comment = budgetComment(sf, fn);
      let hit: { ms: number; key: string; source: 'config' | 'code' } | undefined;
      if (comment !== undefined) hit = { ms: comment, key: `querylens-budget ${comment}ms`, source: 'code' };
      for (const k of keys) {
        if (hit) break;
        if (named && (k === named.name || k === named.qualified)) hit = { ms: budgets[k], key: k, source: 'config' };
        else if (rs.some((r) => routeMatches(k, r.route))) hit = { ms: budgets[k], key: k, source: 'config' };
      }
      if (!hit) return;
      const name = rs.length && (!named || rs.some((r) => r.inline)) ? rs[0].route : label;
      out.set(fn, { file: path, node: fn, name, nameRange: at, budgetMs: hit.ms, budgetSource: hit.source, budgetKey: hit.key, routes: rs.map((r) => r.route) });
    };
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionLike(n)) consider(n);
      ts.forEachChild(n, visit);
    };
    visit(sf);
    // Routes whose handler is imported (`app.get('/features/:id', features.get)`): the
    // finding goes on the route string here; the cost is the handler's, in its own file.
    for (const r of routes) {
      if (r.fn || !r.handler) continue;
      const key = keys.find((k) => routeMatches(k, r.route));
      if (!key) continue;
      let v;
      try {
        v = fileProvenance(project, path).value(r.handler);
      } catch {
        v = undefined;
      }
      if (v?.kind !== 'function' || out.has(v.node)) continue;
      out.set(v.node, { file: v.file, node: v.node, name: r.route, nameRange: r.at, budgetMs: budgets[key], budgetSource: 'config', budgetKey: key, routes: [r.route] });
    }
    return [...out.values()];
  });
}

function siteLabel(site: QuerySite, shape: QueryShape): string {
  const t = shape.table?.name ?? shape.tableName;
  return `${site.operation}${t ? ` on ${t}` : ''}`;
}

function rangeOf(n: ts.Node): Range {
  return { start: n.getStart(), end: n.getEnd() };
}

/** Raw-SQL calls of a file that no QuerySite covers (the ORM layer may not list every client). */
function extraSqlSites(project: ProjectServices, path: string, sites: QuerySite[]): { site: SqlSite; node: ts.Node }[] {
  const sf = project.tsAst(path);
  if (!sf) return [];
  const out: { site: SqlSite; node: ts.Node }[] = [];
  const covered = (s: SqlSite) =>
    sites.some((q) => (q.sql && q.sql.range.start === s.range.start) || (s.callRange && q.range.start <= s.callRange.start && s.callRange.end <= q.range.end));
  for (const s of project.sqlSites(path)) {
    if (covered(s)) continue;
    const r = s.callRange ?? s.range;
    let node = findNode(sf, r);
    if (!node) {
      // The literal itself: find the innermost node spanning it.
      const find = (n: ts.Node): ts.Node | undefined => {
        if (n.getStart(sf) <= r.start && r.end <= n.getEnd()) {
          for (const c of n.getChildren(sf)) {
            const f = find(c);
            if (f) return f;
          }
          return n;
        }
        return undefined;
      };
      node = find(sf);
    }
    if (node) out.push({ site: s, node });
  }
  return out;
}

const MAX_HELPER_DEPTH = 4;

/**
 * What calling `fn` costs in queries: its own queries and those of the
 * project helpers it calls (depth-bounded, cycles cut), each times its loops.
 */
export function functionCost(project: ProjectServices, file: string, fn: ts.SignatureDeclaration, model: CostModel): FunctionCost {
  const w: CostWalk = { project, model, queries: [], visiting: new Set() };
  walkCost(w, { file, factor: 1, factorSource: 'code', local: undefined, depth: 0 }, fn);
  return { queries: w.queries, totalMs: w.queries.reduce((s, q) => s + q.totalMs, 0) };
}

interface CostWalk {
  project: ProjectServices;
  model: CostModel;
  queries: QueryCost[];
  /** Functions on the current call path (a cycle is cut). */
  visiting: Set<ts.Node>;
}

/** Where the walk is: the file, how many times the caller runs this function (and whence), the caller's call in the budgeted function, the helper depth. */
interface CostFrame {
  file: string;
  factor: number;
  factorSource: AssumptionSource;
  local: Range | undefined;
  depth: number;
}

/** Adds `node`'s own queries (its query sites and raw SQL the query-site layer did not list), then its helpers' through each call. */
function walkCost(w: CostWalk, at: CostFrame, node: ts.SignatureDeclaration): void {
  const { project } = w;
  const f = at.file;
  if (w.visiting.has(node) || at.depth > MAX_HELPER_DEPTH) return;
  w.visiting.add(node);
  try {
    const sf = project.tsAst(f);
    if (!sf) return;
    const summary = quietly(() => fileSummary(project, f)?.byFunction.get(node));
    const all: QuerySite[] = quietly(() => memoQuerySites(project, f)) ?? [];
    for (const s of summary?.sites ?? []) {
      if (!s.executes) continue;
      const n = findNode(sf, s.range);
      if (!n) continue;
      const shape = siteShape(s, project);
      addQueryCost(w, at, shape, siteLabel(s, shape), n, s.range, s.batched);
    }
    // Raw SQL the query-site layer did not list, owned by this function.
    for (const { site, node: n } of extraSqlSites(project, f, all)) {
      if (owningFunction(n) !== node && !(ts.isFunctionLike(n) && n === node)) continue;
      const shape = sqlShape(site, project);
      if (!shape) continue;
      addQueryCost(w, at, shape, `query${shape.tableName ? ` on ${shape.tableName}` : ''}`, n, site.callRange ?? site.range, shape.batched);
    }
    // Helpers: each call into project code adds the callee's queries.
    for (const call of summary?.calls ?? []) {
      const target = quietly(() => resolveCallee(project, f, call));
      if (!target || target.node === node) continue;
      const loops = loopCount(project, f, call, w.model);
      const inner: CostFrame = {
        file: target.file,
        factor: at.factor * loops.count,
        factorSource: at.factorSource !== 'code' ? at.factorSource : loops.source,
        local: at.local ?? rangeOf(call),
        depth: at.depth + 1,
      };
      walkCost(w, inner, target.node);
    }
  } finally {
    w.visiting.delete(node);
  }
}

/** A lookup that may throw on odd code: its answer, or undefined. */
function quietly<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** One query's cost: once, times its loops (batched: once) and the caller's factor; and what the fix (index, then batching) leaves. */
function addQueryCost(w: CostWalk, at: CostFrame, shape: QueryShape, label: string, node: ts.Node, r: Range, batched: boolean): void {
  const { model } = w;
  const loops = loopCount(w.project, at.file, node, model);
  const count = at.factor * (batched ? 1 : loops.count);
  const countSource: AssumptionSource = at.factorSource !== 'code' ? at.factorSource : loops.source;
  const input = queryInput(shape, model);
  const onceMs = model.queryMs(input.now);
  const fixedOnceMs = model.queryMs(input.fixed);
  const totalMs = count * onceMs;
  let fixedTotalMs = count * fixedOnceMs;
  let fix = input.fix;
  if (count > 1) {
    const est = model.nPlusOne({ value: count, source: countSource }, input.fixed);
    fixedTotalMs = Math.min(fixedTotalMs, est.fixedMs);
    fix = fix ? `${fix}, then batch` : 'batch into one query';
  }
  w.queries.push({
    file: at.file,
    range: r,
    localRange: at.local ?? r,
    label,
    table: shape.table?.name ?? shape.tableName,
    access: input.now.access,
    onceMs,
    fixedOnceMs,
    count,
    countSource,
    totalMs,
    fixedTotalMs,
    fix,
  });
}

/** Budgeted function containing `range` in `path`, innermost first. */
export function budgetAt(project: ProjectServices, path: string, range: Range): BudgetedFunction | undefined {
  let best: BudgetedFunction | undefined;
  for (const b of budgetedFunctions(project, path)) {
    if (b.file !== path) continue;
    if (b.node.getStart() <= range.start && range.end <= b.node.getEnd()) {
      if (!best || b.node.getStart() >= best.node.getStart()) best = b;
    }
  }
  return best;
}

/**
 * The handler a finding belongs to, for reports that group by it: the
 * budgeted function around it (its name or route), else the outermost
 * function around it that the file registers as a route (`GET /x`) or that has
 * a name (`FeatureService.get`), else, in a .sql file, the name of its query
 * (sqlc `-- name: GetFeature`). Undefined at a file's top level. Never throws.
 */
export function findingScope(project: ProjectServices, path: string, range: Range): string | undefined {
  try {
    const budgeted = budgetAt(project, path, range);
    if (budgeted) return budgeted.name;
    if (path.endsWith('.sql')) {
      return project.sqlSites(path).find((s) => s.range.start <= range.start && range.end <= s.range.end)?.name;
    }
    const sf = project.tsAst(path);
    if (!sf) return undefined;
    const routes = fileRoutes(sf);
    let found: string | undefined;
    const visit = (n: ts.Node): void => {
      // `pos` and `end` first: a node wholly before or after the range is passed without skipping its trivia.
      if (found || n.end < range.end || n.pos > range.start || n.getStart(sf) > range.start) return;
      if (ts.isFunctionLike(n)) {
        const route = routes.find((r) => r.fn === n)?.route;
        const named = functionName(n);
        found = route ?? named?.qualified ?? named?.name;
        if (found) return;
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    return found;
  } catch {
    return undefined;
  }
}

/** The budget context of a finding: its function's budget and summed cost. */
export function budgetContext(project: ProjectServices, path: string, range: Range, model: CostModel): { fn: BudgetedFunction; cost: FunctionCost } | undefined {
  const fn = budgetAt(project, path, range);
  if (!fn) return undefined;
  // Not memoised: the cost depends on helper files too, whose summaries are memoised themselves.
  return { fn, cost: functionCost(project, path, fn.node, model) };
}

/**
 * The budget section of a finding's hover, when the finding sits in a
 * budgeted function (not for `latency-budget` findings themselves, whose
 * hover lists the contributors). Never throws: a failure means no section.
 */
export function hoverBudget(
  project: ProjectServices,
  path: string,
  finding: { ruleId: string; range: Range; estimate?: { currentMs: number } },
  model: CostModel,
): BudgetHoverContext | undefined {
  if (finding.ruleId === 'latency-budget' || !finding.estimate || path.endsWith('.sql')) return undefined;
  try {
    const ctx = budgetContext(project, path, finding.range, model);
    if (!ctx) return undefined;
    const origin = ctx.fn.budgetSource === 'code' ? `\`// ${ctx.fn.budgetKey}\`` : `config \`budgets["${ctx.fn.budgetKey}"]\``;
    // The finding's own estimate stands in for this function's estimate of the same query,
    // so "share of the request" compares like with like.
    const r = finding.range;
    const same = ctx.cost.queries.filter((q) => q.localRange.start < r.end && r.start < q.localRange.end);
    const others = ctx.cost.totalMs - same.reduce((s, q) => s + q.totalMs, 0);
    return { name: ctx.fn.name, budgetMs: ctx.fn.budgetMs, budgetOrigin: origin, requestMs: others + finding.estimate.currentMs };
  } catch {
    return undefined;
  }
}
