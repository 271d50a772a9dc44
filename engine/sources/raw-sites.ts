/**
 * Raw-SQL call sites → QuerySite: the SQL sites ts-sql.ts found, with their
 * library, statement kind, first table, LIMIT, and whether they take a whole
 * collection at once (`= ANY($1)`, `IN ($1)` expanded by the driver,
 * `unnest($1)`, a multi-row VALUES list) rather than one element of the loop
 * around them. Split out of orm.ts.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { adapters, UNKNOWN_SQL_CLIENT_LIBRARY } from '../adapters';
import type { ProjectServices } from '../context';
import { noteSwallowed } from '../guard';
import { findTable } from '../schema/types';
import { walk, unwrap, nameList } from '../sql/expr';
import type { Range } from '../types';
import { enclosingIterations } from './iteration';
import type { Library, QuerySite } from './query-sites';
import type { SqlClient, SqlSite } from './types';
/** The library of a raw-SQL site's client; `.sql` files run no library call. */
function sqlClientLibrary(client: SqlClient): Library | undefined {
  if (client === 'sql-file') return undefined;
  return client === 'unknown' ? UNKNOWN_SQL_CLIENT_LIBRARY : client;
}

/** Does the parsed SQL take a whole collection at once (`= ANY($1)`, `IN ($1)` on an array, `unnest($1)`)? */
export function sqlIsBatched(site: SqlSite): boolean {
  return sqlCollectionParams(site).batched;
}

/**
 * Which parameters of the SQL carry a whole collection (`= ANY($n)`, `IN ($n)`
 * expanded by the driver, `unnest($n)`), and which others appear at all.
 */
export function sqlCollectionParams(site: SqlSite): { batched: boolean; collection: Set<number>; all: Set<number> } {
  let batched = false;
  const collection = new Set<number>();
  const all = new Set<number>();
  const paramsIn = (n: unknown): number[] => {
    const out: number[] = [];
    walk(n, (t, b) => {
      if (t === 'ParamRef') out.push(Number(b.number ?? 0));
    });
    return out;
  };
  for (const st of site.parsed?.statements ?? []) {
    walk(st.node, (type, body) => {
      if (type === 'ParamRef') all.add(Number(body.number ?? 0));
      if (type === 'A_Expr') {
        const kind = String(body.kind ?? '');
        if (kind === 'AEXPR_OP_ANY' || kind === 'AEXPR_OP_ALL') {
          const ps = paramsIn(body.rexpr);
          if (ps.length) batched = true;
          for (const p of ps) collection.add(p);
        }
        // `IN ($1)` with a single parameter: the driver expands an array (postgres.js `${sql(ids)}`, slonik lists).
        if (kind === 'AEXPR_IN') {
          const items = unwrap(body.rexpr)?.type === 'List' ? body.rexpr.List.items : Array.isArray(body.rexpr) ? body.rexpr : [];
          if (items.length === 1 && unwrap(items[0])?.type === 'ParamRef') {
            batched = true;
            collection.add(Number(items[0].ParamRef.number ?? 0));
          }
        }
      }
      if (type === 'FuncCall') {
        const fn = nameList(body.funcname).pop();
        if (fn === 'unnest') {
          for (const a of body.args ?? []) {
            if (unwrap(a)?.type === 'ParamRef') {
              batched = true;
              collection.add(Number(a.ParamRef.number ?? 0));
            }
          }
        }
      }
      return undefined;
    });
  }
  // A multi-row VALUES list built from the collection (postgres.js `${sql(rows)}`) is one statement too.
  const lib = sqlClientLibrary(site.client);
  if (!batched && lib && adapters[lib].sql.expandsValuesList && /\bvalues\s*\$\d+\s*(?:returning|on\s+conflict|$)/i.test(site.sql)) batched = true;
  return { batched, collection, all };
}

/** The innermost call expression spanning exactly `r`. */
function callAt(sf: ts.SourceFile, r: Range): ts.CallExpression | undefined {
  let found: ts.CallExpression | undefined;
  const visit = (n: ts.Node): void => {
    if (found || n.end < r.start || n.pos > r.end) return;
    if (ts.isCallExpression(n) && n.getStart(sf) === r.start && n.end === r.end) found = n;
    else ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/**
 * The texts bound to each parameter of a raw-SQL call: a template's
 * interpolations (`SqlSite.params`), or the values array of
 * `query(text, [a, b])`.
 */
function paramTexts(site: SqlSite, call: ts.CallExpression | undefined): string[] | undefined {
  if (site.params?.length) return site.params;
  const values = call?.arguments[1];
  if (values && ts.isArrayLiteralExpression(values)) return values.elements.map((e) => e.getText());
  return undefined;
}

/**
 * A collection parameter makes a query batched only if the element of the
 * loop around it is not also bound to a scalar parameter: in
 * `ids.map((id) => query('… WHERE a = $1 AND b = ANY($2)', [id, bs]))` the
 * `= ANY($2)` batches `bs`, but the query still runs once per `id`.
 */
function elementBoundToScalar(site: SqlSite, sf: ts.SourceFile | undefined, info: { collection: Set<number>; all: Set<number> }): boolean {
  if (!sf || !site.callRange) return false;
  const call = callAt(sf, site.callRange);
  if (!call) return false;
  const texts = paramTexts(site, call);
  if (!texts) return false;
  const elements = enclosingIterations(call)
    .map((s) => s.element)
    .filter((e): e is string => !!e);
  if (!elements.length) return false;
  for (const n of info.all) {
    if (info.collection.has(n)) continue;
    const t = texts[n - 1];
    if (t && elements.some((e) => new RegExp(`(^|[^\\w$.])${e.replace(/[$]/g, '\\$')}\\b`).test(t))) return true;
  }
  return false;
}

function sqlTable(site: SqlSite): { table?: string; kind: QuerySite['kind']; limit?: number } {
  const st = site.parsed?.statements[0];
  if (!st) return { kind: 'unknown' };
  const kind: QuerySite['kind'] = st.type === 'SelectStmt' ? 'read' : /^(Insert|Update|Delete|Merge)Stmt$/.test(st.type) ? 'write' : 'unknown';
  let table: string | undefined;
  const body = st.node[st.type];
  // INSERT/UPDATE/DELETE carry their target as a bare RangeVar body (no `{ RangeVar: … }` wrapper).
  if (body?.relation) table = body.relation.RangeVar?.relname ?? body.relation.relname;
  if (!table) {
    walk(body?.fromClause ?? [], (type, b) => {
      if (table) return false;
      if (type === 'RangeVar') table = b.relname;
      return undefined;
    });
  }
  let limit: number | undefined;
  const lc = body?.limitCount?.A_Const;
  if (lc?.ival) limit = lc.ival.ival;
  return { table, kind, limit };
}

/** The raw-SQL call sites of one file as query sites. */
export function rawSites(project: ProjectServices, path: string): QuerySite[] {
  let sites: SqlSite[] = [];
  try {
    sites = project.sqlSites(path);
  } catch (e) {
    noteSwallowed(path, 'query sites', e);
    return [];
  }
  const out: QuerySite[] = [];
  for (const s of sites) {
    if (!s.callRange) continue;
    const lib = sqlClientLibrary(s.client);
    if (!lib) continue;
    const t = sqlTable(s);
    const tinfo = t.table ? findTable(project.schema(path), t.table) : undefined;
    out.push({
      file: path,
      range: s.callRange,
      library: lib,
      operation: 'query',
      executes: true,
      kind: t.kind,
      table: tinfo?.name ?? t.table,
      filters: [],
      orderBy: [],
      limit: t.limit,
      ...rawBatching(s, project.tsAst(path)),
      sql: s,
    });
  }
  return out;
}

/** Whether raw SQL takes a collection, and the texts of the arrays bound to its collection parameters. */
function rawBatching(s: SqlSite, sf: ts.SourceFile | undefined): { batched: boolean; batchOperands?: string[] } {
  const info = sqlCollectionParams(s);
  const batched = info.batched && !elementBoundToScalar(s, sf, info);
  if (!batched) return { batched };
  const call = sf && s.callRange ? callAt(sf, s.callRange) : undefined;
  const texts = paramTexts(s, call);
  const operands = texts ? [...info.collection].map((n) => texts[n - 1]).filter((t): t is string => !!t) : [];
  return operands.length ? { batched, batchOperands: operands } : { batched };
}

