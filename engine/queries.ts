/**
 * What `querylens queries` lists: every query site the engine recognised in a
 * file (raw SQL and library calls) as plain data, and every call that looks
 * like a query but whose receiver or SQL provenance could not resolve, with
 * the reason. This is how a user answers "why didn't it flag my query?" and
 * how reach is measured.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ProjectServices } from './context';
import { findNode } from './sources/call-graph';
import { inPlaceResolver } from './sources/in-place';
import { enclosingIterations, type FunctionRole, type IterationScope } from './sources/iteration';
import { fileProvenance, type FileProvenance } from './sources/provenance';
import type { QuerySite } from './sources/query-sites';
import { unresolvedCandidates } from './sources/unresolved';
import type { Range } from './types';

/** A recognised query site, as plain data. */
export interface ListedQuery {
  file: string;
  range: Range;
  /** `sql`: SQL text sent through a driver or a raw-SQL method; `orm`: a library call that builds the statement. */
  kind: 'sql' | 'orm';
  library: string;
  /** The method or tag as written (`findMany`, `query`, `getMany` …). */
  method: string;
  /** The table, as PostgreSQL knows it, when known. */
  table?: string;
  operation: 'read' | 'write' | 'unknown';
  /** Whether the call sends a statement (false: it only builds one that runs elsewhere). */
  executes: boolean;
  /** Sends its statement once per element: it executes inside a loop or per-element callback over a collection. */
  perElement: boolean;
  /** That loop or iterating call. */
  loop?: Range;
  /** Takes a whole collection at once (`IN`, `= ANY($1)`, `createMany` …). */
  batched: boolean;
}

/** A call that looks like a query but was not recognised, and why. */
export interface UnresolvedQuery {
  file: string;
  range: Range;
  /** The method as written. */
  method: string;
  reason: string;
}

export interface QueryList {
  queries: ListedQuery[];
  unresolved: UnresolvedQuery[];
}

export function listQueries(project: ProjectServices, path: string, sites: QuerySite[]): QueryList {
  const sf = project.tsAst(path);
  if (!sf) return { queries: [], unresolved: [] };
  const inPlace = inPlaceResolver(project, path);
  const prov = fileProvenance(project, path, sf.text, sf);
  const queries = sites.map((s) => listed(sf, s, inPlace, prov));
  const known = new Set(sites.map((s) => s.range.start));
  const unresolved = unresolvedCandidates(project, path, sf).filter((u) => !known.has(u.range.start));
  return { queries, unresolved };
}

function listed(sf: ts.SourceFile, s: QuerySite, inPlace: FunctionRole, prov: FileProvenance): ListedQuery {
  const node = findNode(sf, s.range);
  const inner = node ? enclosingIterations(node, inPlace).find((x) => x.perElement) : undefined;
  const scope = inner && !(node && !s.executes && extendsOuterBuilder(prov, node, inner)) ? inner : undefined;
  const out: ListedQuery = {
    file: s.file,
    range: s.range,
    kind: s.sql ? 'sql' : 'orm',
    library: s.library,
    method: s.operation,
    operation: s.kind,
    executes: s.executes,
    perElement: !!scope,
    batched: s.batched,
  };
  if (s.table) out.table = s.table;
  if (scope) out.loop = scope.range;
  return out;
}

/**
 * A call that only builds, on a builder held in a variable declared outside the loop (`query = query.where(…)` or
 * `query.orderBy(k)` in a loop over filters or sort keys): it extends the one statement, which runs once where it is
 * awaited, not once per element. A builder made inside the loop (a page's `select … whereIn(ids)` run in that pass)
 * still is per element.
 */
function extendsOuterBuilder(prov: FileProvenance, node: ts.Node, scope: IterationScope): boolean {
  let e: ts.Node = node;
  while (e.parent && (ts.isParenthesizedExpression(e.parent) || ts.isAsExpression(e.parent))) e = e.parent;
  const p = e.parent;
  const assigned = p && ts.isBinaryExpression(p) && p.operatorToken.kind === ts.SyntaxKind.EqualsToken && p.right === e && ts.isIdentifier(p.left) ? p.left : undefined;
  if (!assigned && !(p && ts.isExpressionStatement(p))) return false;
  let root: ts.Node = node;
  while (ts.isCallExpression(root) || ts.isPropertyAccessExpression(root) || ts.isParenthesizedExpression(root)) root = root.expression;
  if (!ts.isIdentifier(root) || (assigned && assigned.text !== root.text)) return false;
  const d = prov.declarationOf(root);
  return !!d && ts.isVariableDeclaration(d) && (d.getStart() < scope.node.getStart() || d.getStart() >= scope.node.getEnd());
}
