/**
 * How many elements a collection holds, from the query that produced it:
 * its `take`/LIMIT when the code says — a literal, a constant, a parameter's
 * default, or, when the collection comes from a project helper
 * (`const users = await findUsers({ limit: BATCH })`), the argument the call
 * passes for the helper's limit parameter — else, with a statistics
 * snapshot, the rows the query keeps (the table's reltuples times its
 * filters' selectivity); one row when it is an equality on every column of
 * a unique key. Anything it cannot evaluate is unknown (undefined):
 * the caller keeps its default, labelled as such. Pure.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { skipOuter } from '../sources/ts-expr';
import type { ProjectServices } from '../context';
import { resolveCallee, type FunctionRef } from '../sources/call-graph';
import { fileQuerySites } from '../sources/orm';
import { fileProvenance } from '../sources/provenance';
import { findColumn, type TableInfo } from '../schema/types';
import type { QuerySite } from '../sources/query-sites';
import type { Range } from '../types';
import { formatCount, type Count } from './index';
import { siteShape } from './query-cost';
import { fanOut, matchingRows } from './selectivity';

/** How deep constants, defaults and arguments are followed. */
const MAX_EVAL_DEPTH = 6;

/** Query sites of a file, memoised under the key the rule context uses. */
export function memoQuerySites(project: ProjectServices, path: string): QuerySite[] {
  const text = project.fileText(path);
  if (text === undefined) return [];
  return project.memo(`querySites:${path}`, text, () => fileQuerySites(project, path));
}

/** A value for an identifier of the helper being evaluated: the argument the call passes for its parameter. */
type Binder = (id: ts.Identifier) => { file: string; expr: ts.Expression } | undefined;

/** The expression written at `r` in `file`, in the project's tree. */
function exprAt(project: ProjectServices, file: string, r: Range): ts.Expression | undefined {
  const sf = project.tsAst(file);
  if (!sf) return undefined;
  let n: ts.Node = sf;
  for (let guard = 0; guard < 10000; guard++) {
    if (n.getStart(sf) === r.start && n.end === r.end && ts.isExpression(n)) return n;
    let next: ts.Node | undefined;
    ts.forEachChild(n, (c) => {
      if (!next && c.getStart(sf) <= r.start && r.end <= c.end) next = c;
    });
    if (!next) return undefined;
    n = next;
  }
  return undefined;
}

/**
 * The number an expression evaluates to: a literal, `+ - *` of numbers, a `const` (in this file or
 * imported), a parameter's default, or what `bind` says the parameter receives. Undefined otherwise.
 */
export function evalNumber(project: ProjectServices, file: string, expr: ts.Expression, bind?: Binder, depth = 0): number | undefined {
  if (depth > MAX_EVAL_DEPTH) return undefined;
  const e = skipOuter(expr);
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isBinaryExpression(e)) {
    const k = e.operatorToken.kind;
    if (k !== ts.SyntaxKind.PlusToken && k !== ts.SyntaxKind.MinusToken && k !== ts.SyntaxKind.AsteriskToken) return undefined;
    const a = evalNumber(project, file, e.left, bind, depth + 1);
    const b = a === undefined ? undefined : evalNumber(project, file, e.right, bind, depth + 1);
    if (a === undefined || b === undefined) return undefined;
    return k === ts.SyntaxKind.PlusToken ? a + b : k === ts.SyntaxKind.MinusToken ? a - b : a * b;
  }
  if (!ts.isIdentifier(e)) return undefined;
  let decl: ts.Node | undefined;
  let declFile = file;
  try {
    const prov = fileProvenance(project, file);
    decl = prov.declarationOf(e);
    if (decl && (ts.isImportSpecifier(decl) || ts.isImportClause(decl))) {
      const def = prov.definitionOf(e);
      decl = def?.node;
      declFile = def?.file ?? file;
    }
  } catch {
    return undefined;
  }
  if (!decl) return undefined;
  // A parameter of the helper being evaluated: what the call passes for it.
  const bound = (ts.isParameter(decl) || ts.isBindingElement(decl)) && bind ? bind(e) : undefined;
  if (bound) return evalNumber(project, bound.file, bound.expr, undefined, depth + 1);
  // A `const` (never reassigned), or a parameter's / destructured parameter's default.
  if (ts.isVariableDeclaration(decl) && decl.initializer && ts.isVariableDeclarationList(decl.parent) && decl.parent.flags & ts.NodeFlags.Const) {
    return evalNumber(project, declFile, decl.initializer, undefined, depth + 1);
  }
  if ((ts.isParameter(decl) || ts.isBindingElement(decl)) && decl.initializer) return evalNumber(project, declFile, decl.initializer, undefined, depth + 1);
  return undefined;
}

/** The limit a site's `take`/LIMIT evaluates to, with the text that says it. */
function siteLimit(project: ProjectServices, site: QuerySite, bind?: Binder): { value: number; text: string } | undefined {
  if (site.limit !== undefined) return { value: site.limit, text: String(site.limit) };
  if (!site.limitAt) return undefined;
  const e = exprAt(project, site.file, site.limitAt);
  const v = e ? evalNumber(project, site.file, e, bind) : undefined;
  return v !== undefined && v > 0 ? { value: v, text: e!.getText() } : undefined;
}

function everyRow(t: TableInfo, rows: number): Count {
  return { value: Math.max(1, rows), source: 'stats', note: `every row of ${t.name}: ${formatCount(rows)} (reltuples in the stats snapshot)` };
}

/** Rows an unbounded read keeps, from the stats snapshot: the fan-out of an equality on a key, its filters' selectivity, or the whole table. */
function statsRows(project: ProjectServices, site: QuerySite): Count | undefined {
  const shape = siteShape(site, project);
  const t = shape.table;
  if (shape.batched || !t || t.rows === undefined || t.rowsSource !== 'stats') return undefined;
  // Raw SQL keeps its WHERE in the statement: the shape read it (ops only as "all equalities" or not).
  if (site.sql) {
    if (!shape.filters.length) return shape.equalityOnly ? everyRow(t, t.rows) : undefined;
    return shape.equalityOnly ? fanOut(t, shape.filters) : undefined;
  }
  if (!site.filters.length) return everyRow(t, t.rows);
  // The children of one parent (`where: { orderId }`): rows of the child per distinct key.
  if (site.filters.every((f) => !f.op || f.op === 'eq')) {
    const fan = fanOut(t, shape.filters);
    if (fan) return fan;
  }
  const kept = matchingRows(
    t,
    site.filters.map((f, i) => ({ column: shape.filters[i] ?? f.column, op: f.op ?? 'eq' })),
  );
  return kept ? { ...kept, note: `rows of ${t.name} the query keeps: ${kept.note}` } : undefined;
}

/**
 * At most one row: the read keeps only rows equal on every column of a primary key or unique constraint/index
 * (one without a WHERE), its filters all required together (QuerySite.conjunctive: an adapter that read no OR
 * and nothing opaque). `where: and(eq(label.taskId, t), eq(label.name, n))` under `unique(task_id, name)`.
 */
function uniqueKeyRow(project: ProjectServices, site: QuerySite): Count | undefined {
  if (site.kind !== 'read' || site.batched || site.sql || !site.conjunctive || site.opaqueFilter || site.filterHidden) return undefined;
  const t = siteShape(site, project).table;
  if (!t) return undefined;
  const eq = new Set<string>();
  for (const f of site.filters) if (!f.op || f.op === 'eq') eq.add(findColumn(t, f.column)?.name ?? f.column);
  const key = t.indexes.find((i) => (i.kind === 'primary' || i.kind === 'unique') && !i.predicate && i.keys.length > 0 && i.keys.every((k) => k.column !== undefined && !k.expression && eq.has(k.column)));
  if (!key) return undefined;
  const cols = key.keys.map((k) => k.column).join(', ');
  return { value: 1, source: 'code', note: `at most one row: an equality on every column of ${key.kind === 'primary' ? 'the primary key' : `the unique key ${key.name}`} (${cols}) of ${t.name}` };
}

/** The read whose rows a function returns (`return prisma.user.findMany(…)`, or the variable it returns). */
function returnedRead(project: ProjectServices, fn: FunctionRef): QuerySite | undefined {
  const body = (fn.node as ts.FunctionLikeDeclaration).body;
  if (!body) return undefined;
  const ranges: Range[] = [];
  const addExpr = (e: ts.Expression): void => {
    const u = skipOuter(e);
    ranges.push({ start: u.getStart(), end: u.getEnd() });
  };
  if (!ts.isBlock(body)) addExpr(body as ts.Expression);
  else {
    const visit = (n: ts.Node): void => {
      if (ts.isFunctionLike(n)) return;
      if (ts.isReturnStatement(n) && n.expression) addExpr(n.expression);
      ts.forEachChild(n, visit);
    };
    ts.forEachChild(body, visit);
  }
  const sites = memoQuerySites(project, fn.file).filter((s) => s.kind === 'read' && s.executes && !s.batched);
  const found = sites.filter((s) => ranges.some((r) => s.range.start >= r.start && s.range.end <= r.end));
  // One read returned; several (branches) would need the branch taken.
  return found.length === 1 ? found[0] : undefined;
}

/** Binds a helper's parameters to a call's arguments: `f(a, b)`, `f({ limit: X })` for `f({ limit }: …)`. */
function binderFor(callerFile: string, call: ts.CallExpression, fn: FunctionRef): Binder {
  return (id) => {
    for (let i = 0; i < fn.node.parameters.length; i++) {
      const p = fn.node.parameters[i];
      const arg = call.arguments[i];
      if (ts.isIdentifier(p.name)) {
        if (p.name.text === id.text && arg) return { file: callerFile, expr: arg };
        continue;
      }
      if (!ts.isObjectBindingPattern(p.name)) continue;
      for (const el of p.name.elements) {
        if (!ts.isIdentifier(el.name) || el.name.text !== id.text || el.dotDotDotToken) continue;
        const key = el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : el.name.text;
        const obj = arg ? skipOuter(arg) : undefined;
        if (!obj || !ts.isObjectLiteralExpression(obj)) return undefined;
        for (const prop of obj.properties) {
          if (ts.isPropertyAssignment(prop) && (ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name)) && prop.name.text === key) return { file: callerFile, expr: prop.initializer };
          if (ts.isShorthandPropertyAssignment(prop) && prop.name.text === key) return { file: callerFile, expr: prop.name };
        }
        // Not passed: the parameter's default, evaluated where it is written.
        return undefined;
      }
    }
    return undefined;
  };
}

/**
 * Elements of `name`, the collection `init` produced: the limit of the query in `init`, or of the query
 * a project helper called in `init` returns (its limit parameter bound to this call's argument), else
 * the rows the query keeps by the stats snapshot. Undefined when none of these can be read.
 */
export function producedCount(project: ProjectServices, file: string, init: ts.Expression, name: string): Count | undefined {
  const start = init.getStart();
  const end = init.getEnd();
  const reads = memoQuerySites(project, init.getSourceFile().fileName).filter((s) => s.range.start >= start && s.range.end <= end && s.kind === 'read');
  for (const s of reads) {
    const l = siteLimit(project, s);
    if (l) return { value: l.value, source: 'code', note: `limit ${l.text === String(l.value) ? l.value : `${l.text} = ${l.value}`} of the query that produced ${name}` };
  }
  const reader = reads.find((s) => s.executes);
  if (reader) {
    const one = uniqueKeyRow(project, reader);
    if (one) return { ...one, note: `${name}: ${one.note}` };
    const rows = statsRows(project, reader);
    return rows ? { ...rows, note: `${name}: ${rows.note}` } : undefined;
  }
  const call = skipOuter(init);
  if (!ts.isCallExpression(call)) return undefined;
  let fn: FunctionRef | undefined;
  try {
    fn = resolveCallee(project, file, call);
  } catch {
    fn = undefined;
  }
  const site = fn ? returnedRead(project, fn) : undefined;
  if (!fn || !site) return undefined;
  const callee = call.expression.getText().slice(0, 60);
  const l = siteLimit(project, site, binderFor(file, call, fn));
  if (l) return { value: l.value, source: 'code', note: `limit ${l.value} of the query \`${callee}()\` returns (${l.text === String(l.value) ? 'a literal' : `\`${l.text}\` as this call passes it`})` };
  const one = uniqueKeyRow(project, site);
  if (one) return { ...one, note: `${name} from \`${callee}()\`: ${one.note}` };
  const rows = statsRows(project, site);
  return rows ? { ...rows, note: `${name} from \`${callee}()\`: ${rows.note}` } : undefined;
}
