/**
 * SQL in TypeScript: string and template literals that reach a SQL client.
 *
 * A literal is a site only when it reaches a known sink, found by provenance
 * (never by names): a method an adapter declares to run SQL text
 * (`AdapterSql.sink`: `client.query`, `knex.raw`, `$queryRawUnsafe` …); or
 * when it is a tagged template whose tag an adapter recognises
 * (`AdapterSql.tag`) and reads as a statement (fragments such as
 * `sql\`lower(${col})\`` are not statements; fragments interpolated into a
 * statement are inlined into it).
 *
 * The SQL text is what the database receives: escapes cooked, constant
 * strings (`const cols = 'a, b'`) inlined, other interpolations replaced by
 * `$1`, `$2` ... Every piece keeps its file offset (`SqlSegment`), so any SQL
 * offset maps back to the exact TypeScript character, including through
 * escapes, CRLF line ends and constants declared elsewhere in the file. This module finds the
 * sites (sinks, tags, executors); ./sql-text.ts builds their text.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapters, clientByMethodName, SQL_SINK_METHODS, TEMPLATE_RUNNER_METHODS } from '../adapters';
import type { TagInfo } from '../adapters/types';
import type { ProjectServices } from '../context';
import { noteSwallowed } from '../guard';
import type { Range } from '../types';
import { executorOf } from './executors';
import type { Library } from './query-sites';
import { objProp, piecesText, type ParamPiece, type Piece } from './sql-pieces';
import { skipOuter } from './ts-expr';
import type { SqlClient, SqlHole, SqlSegment, SqlSite } from './types';
import { SqlTextBuilder, looksLikeStatement } from './sql-text';

export { cook } from './sql-pieces';
export { looksLikeStatement } from './sql-text';




/** A project of one file, for callers that give no project (provenance then stays within the file). */
function singleFileProject(path: string, text: string): ProjectServices {
  const memos = new Map<string, { text: string; value: unknown }>();
  return {
    fileText: (p: string) => (p === path ? text : undefined),
    memo<T>(key: string, t: string, compute: () => T): T {
      const hit = memos.get(key);
      if (hit && hit.text === t) return hit.value as T;
      const value = compute();
      memos.set(key, { text: t, value });
      return value;
    },
  } as unknown as ProjectServices;
}

export function tsSqlSites(path: string, text: string, sf: ts.SourceFile, project?: ProjectServices): SqlSite[] {
  try {
    return new Extractor(path, text, sf, project ?? singleFileProject(path, text)).run();
  } catch (e) {
    // Extraction is best effort: an unexpected tree shape loses this file's raw SQL, never the run (a too-deep file is reported).
    noteSwallowed(path, 'SQL extraction', e);
    return [];
  }
}

class Extractor extends SqlTextBuilder {
  protected builderFor(path: string, text: string, sf: ts.SourceFile): SqlTextBuilder {
    return new Extractor(path, text, sf, this.project);
  }


  run(): SqlSite[] {
    const calls: ts.CallExpression[] = [];
    const tagged: ts.TaggedTemplateExpression[] = [];
    // Pre-order, in source order, without recursion: each node's children go onto the stack and are then
    // reversed there (no array per node).
    const stack: ts.Node[] = [this.sf];
    const push = (c: ts.Node): void => {
      stack.push(c);
    };
    while (stack.length) {
      const n = stack.pop() as ts.Node;
      if (ts.isCallExpression(n)) calls.push(n);
      else if (ts.isTaggedTemplateExpression(n)) tagged.push(n);
      const from = stack.length;
      ts.forEachChild(n, push);
      for (let i = from, j = stack.length - 1; i < j; i++, j--) {
        const t = stack[i];
        stack[i] = stack[j];
        stack[j] = t;
      }
    }
    // Executing calls first: they consume the sql-tag templates they are given.
    // A surprise in one odd call loses that call's SQL, not the file's.
    for (const call of calls) {
      try {
        this.visitCall(call);
      } catch (e) {
        noteSwallowed(this.path, 'SQL extraction', e);
      }
    }
    for (const t of tagged) {
      try {
        this.visitTagged(t);
      } catch (e) {
        noteSwallowed(this.path, 'SQL extraction', e);
      }
    }
    // A fragment declared before the statement that inlines it was visited first: drop it now.
    const kept = this.sites.filter((s) => !s.node || !this.consumed.has(s.node));
    kept.sort((a, b) => a.site.range.start - b.site.range.start || a.order - b.order);
    return kept.map((s) => s.site);
  }

  // ---- Sinks

  protected visitCall(call: ts.CallExpression): void {
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee) || !SQL_SINK_METHODS.has(callee.name.text) || !this.visitSink(call, callee)) this.visitExecutorCall(call);
  }

  /**
   * A call of a project executor (executors.ts) with SQL text in the argument it forwards:
   * `this.query(db, { text: 'SELECT …' })`, `executeSql(db, FETCH_JOB)`.
   */
  protected visitExecutorCall(call: ts.CallExpression): void {
    const candidates = call.arguments.map((a, i) => (this.mayCarrySql(a) ? i : -1)).filter((i) => i >= 0);
    // An argument built by a call (`plans.fetchNextJob(schema)`) is looked at only once the callee is an executor.
    const built = call.arguments.some((a) => ts.isCallExpression(skipOuter(a)));
    if (!candidates.length && !built) return;
    const target = this.prov.callTarget(call);
    const ex = target ? executorOf(this.project, target.file, target.node) : undefined;
    if (!ex) return;
    const arg = call.arguments[ex.sqlParam];
    if (!arg || !(candidates.includes(ex.sqlParam) || (ts.isCallExpression(skipOuter(arg)) && this.helperReturn(skipOuter(arg) as ts.CallExpression)))) return;
    this.sinkSite(call, arg, ex.library, 'text');
  }

  /** Literal text, a template, a `{ text }` object or a constant: what a forwarded SQL argument looks like. */
  protected mayCarrySql(a: ts.Expression): boolean {
    const e = skipOuter(a);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isTemplateExpression(e)) return true;
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) return true;
    if (ts.isObjectLiteralExpression(e)) return !!(objProp(e, 'text') ?? objProp(e, 'sql'));
    if (ts.isIdentifier(e)) {
      const init = this.constInitializer(e);
      return !!init && this.mayCarrySql(init);
    }
    if (ts.isPropertyAccessExpression(e)) return !!this.constProperty(e);
    return false;
  }

  /** A call of a known sink method; false when its receiver is no library's sink. */
  protected visitSink(call: ts.CallExpression, callee: ts.PropertyAccessExpression): boolean {
    const method = callee.name.text;
    // A static sink on a package export (`CompiledQuery.raw('…')`).
    if (ts.isIdentifier(callee.expression)) {
      const v = this.prov.value(callee.expression);
      if (v?.kind === 'pkg' && adapters[v.library].sql.exportSink(v.name, method) === 'text') {
        this.sinkSite(call, call.arguments[0], v.library, 'text');
        return true;
      }
    }
    const recv = this.prov.resolve(callee.expression) ?? clientByMethodName(method);
    if (!recv) return false;
    const kind = adapters[recv.library].sql.sink(recv, method);
    if (!kind) return false;
    const arg = call.arguments[0];
    if (!arg) return true;
    this.sinkSite(call, arg, recv.library, kind, method);
    return true;
  }

  protected sinkSite(
    call: ts.CallExpression,
    arg: ts.Expression | undefined,
    library: Library,
    kind: 'text' | 'tag-only',
    method?: string,
  ): void {
    if (!arg) return;
    let a = skipOuter(arg);
    // pg: `query({ text: '…', values: [...] })`.
    let valuesExpr: ts.Expression | undefined = call.arguments[1];
    if (ts.isObjectLiteralExpression(a) && kind === 'text') {
      const textProp = objProp(a, 'text') ?? objProp(a, 'sql');
      if (!textProp) return;
      valuesExpr = objProp(a, 'values') ?? valuesExpr;
      a = skipOuter(textProp);
    }
    const built = this.build(a, kind === 'tag-only' ? 'tag-only' : 'any', 0);
    if (!built) return;
    let pieces = built.pieces;
    const paramTexts: string[] = [];
    const sql = adapters[library].sql;
    // A sink that also takes expression fragments (`knex.raw('count(*) as n')` handed to a builder): statements only.
    if (sql.textMayBeFragment && !looksLikeStatement(piecesText(pieces))) return;
    const bound = sql.bindParams(pieces, call, method, kind, paramTexts, this.bindKit);
    if (bound) pieces = bound;
    else if (valuesExpr) {
      const v = skipOuter(valuesExpr);
      if (ts.isArrayLiteralExpression(v)) v.elements.forEach((e, i) => (paramTexts[i] = e.getText(this.sf)));
    }
    this.emit(pieces, built.range, library, this.range(call), paramTexts);
  }

  // ---- Tagged templates

  protected visitTagged(t: ts.TaggedTemplateExpression): void {
    if (this.consumed.has(t)) return;
    const tag = this.tagBinding(t);
    if (!tag) return;
    const built = this.buildTagged(t, 0);
    if (!built) return;
    let callRange: Range | undefined;
    const parent = this.executingParent(t);
    if (parent) callRange = this.range(parent);
    else {
      // A sql-tag template that no executing call receives: a site only when it reads as a whole statement
      // (`$queryRaw` always runs one); anything else is a fragment built for a bigger statement.
      const sql = built.pieces.map((p) => (p.kind === 'text' ? p.text : '$1')).join('');
      if (!tag.runsStatement && !looksLikeStatement(sql)) return;
      // postgres.js templates and Prisma `$queryRaw` send the statement themselves.
      if (tag.executes) callRange = this.range(t);
    }
    this.emit(built.pieces, this.range(t.template), tag.library, callRange, [], t);
  }

  /** `sql\`…\`.execute(db)` (Kysely) or an executing call receiving the template as its argument. */
  protected executingParent(t: ts.TaggedTemplateExpression): ts.CallExpression | undefined {
    let n: ts.Node = t;
    while (n.parent && (ts.isParenthesizedExpression(n.parent) || ts.isAsExpression(n.parent) || ts.isNonNullExpression(n.parent)))
      n = n.parent;
    const p = n.parent;
    if (p && ts.isPropertyAccessExpression(p) && p.expression === n && p.name.text === 'execute' && ts.isCallExpression(p.parent) && p.parent.expression === p)
      return p.parent;
    // The statement handed to a query method whose receiver provenance could not follow (a migration's
    // `up: async (pool) => pool.query(sql\`…\`)` typed only by context): the tag already says it is SQL,
    // the method says this call runs it.
    if (p && ts.isCallExpression(p) && p.arguments[0] === n) {
      const callee = skipOuter(p.expression);
      const m = ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
      if (m && TEMPLATE_RUNNER_METHODS.has(m)) return p;
    }
    return undefined;
  }

  /**
   * The library of a recognised sql tag (AdapterSql.tag): a sql-tag binding, a tag made by a method call
   * (`sql.type(…)`), a tag member (`sql.unsafe`, `prisma.$queryRaw`). `executes`: the template itself sends
   * the statement.
   */
  protected tagBinding(t: ts.TaggedTemplateExpression): ({ library: Library } & TagInfo) | undefined {
    const tag = skipOuter(t.tag);
    if (ts.isCallExpression(tag)) {
      const c = skipOuter(tag.expression);
      if (!ts.isPropertyAccessExpression(c)) return undefined;
      const b = this.prov.resolve(c.expression);
      const r = b && adapters[b.library].sql.tag(b, c.name.text, true);
      return b && r ? { library: b.library, ...r } : undefined;
    }
    if (ts.isPropertyAccessExpression(tag)) {
      const name = tag.name.text;
      const b = this.prov.resolve(tag.expression) ?? clientByMethodName(name);
      const r = b && adapters[b.library].sql.tag(b, name, false);
      if (b && r) return { library: b.library, ...r };
    }
    const b = this.prov.resolve(tag);
    if (b?.role !== 'sql-tag') return undefined;
    const r = adapters[b.library].sql.tag(b, undefined, false);
    return r ? { library: b.library, ...r } : undefined;
  }

  protected emit(
    pieces: Piece[],
    range: Range,
    library: Library,
    callRange: Range | undefined,
    paramTexts: string[],
    node?: ts.Node,
  ): void {
    // Parameters number after any `$n` the literal text already uses (pg-style text with `${}` mixed in).
    let base = 0;
    for (const p of pieces) {
      if (p.kind !== 'text') continue;
      for (const m of p.text.matchAll(/\$(\d+)/g)) base = Math.max(base, Number(m[1]));
    }
    const hasParamPieces = pieces.some((p) => p.kind === 'param' && !(p as ParamPiece).fixed);
    if (!hasParamPieces) base = 0;
    let sql = '';
    const segments: SqlSegment[] = [];
    const holes: SqlHole[] = [];
    const params: string[] = [...paramTexts];
    let k = base;
    for (const p of pieces) {
      let t: string;
      let fileLength: number | undefined;
      if (p.kind === 'text') {
        t = p.text;
        fileLength = p.fileLength;
      } else {
        const fixed = (p as ParamPiece).fixed;
        const num = fixed ?? ++k;
        t = (p as ParamPiece).wrap ? `($${num})` : `$${num}`;
        fileLength = p.fileLength;
        if (fixed === undefined) params[num - 1] = p.expr;
      }
      if (p.hole) holes.push({ start: sql.length, end: sql.length + t.length, kind: p.hole, expr: p.expr ?? '' });
      if (t.length === 0 && (fileLength ?? 0) === 0) continue;
      const seg: SqlSegment = { sqlStart: sql.length, fileStart: p.fileStart, length: t.length };
      if (fileLength !== undefined && fileLength !== t.length) seg.fileLength = fileLength;
      // Merge with the previous segment when both map one-to-one and touch.
      const prev = segments[segments.length - 1];
      if (
        prev &&
        seg.fileLength === undefined &&
        prev.fileLength === undefined &&
        prev.sqlStart + prev.length === seg.sqlStart &&
        prev.fileStart + prev.length === seg.fileStart
      )
        prev.length += seg.length;
      else segments.push(seg);
      sql += t;
    }
    for (let i = 0; i < params.length; i++) if (params[i] === undefined) params[i] = '';
    const site: SqlSite = {
      file: this.path,
      sql,
      segments,
      range,
      client: library as SqlClient,
    };
    if (callRange) site.callRange = callRange;
    if (params.length) site.params = params;
    if (holes.length) site.holes = holes;
    this.sites.push({ site, order: this.order++, node });
  }
}

