/**
 * SQL in TypeScript: string and template literals that reach a SQL client.
 *
 * A literal is a site only when it reaches a known sink, found by provenance
 * (never by names): pg `query`, TypeORM `query`, Sequelize `query`,
 * `knex.raw`, Prisma `$queryRaw`/`$executeRaw`(`Unsafe`), postgres.js
 * `sql.unsafe`, Drizzle `db.execute`, slonik query methods; or when it is a
 * tagged template whose tag is a recognised sql tag (postgres.js, slonik,
 * Kysely, Drizzle, `Prisma.sql`) and reads as a statement (fragments such as
 * `sql\`lower(${col})\`` are not statements; fragments interpolated into a
 * statement are inlined into it).
 *
 * The SQL text is what the database receives: escapes cooked, constant
 * strings (`const cols = 'a, b'`) inlined, other interpolations replaced by
 * `$1`, `$2` ... Every piece keeps its file offset (`SqlSegment`), so any SQL
 * offset maps back to the exact TypeScript character, including through
 * escapes, CRLF line ends and constants declared elsewhere in the file.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ProjectServices } from '../context';
import type { Range } from '../types';
import { fileProvenance, skipOuter, type FileProvenance } from './provenance';
import type { Binding, Library } from './query-sites';
import type { SqlClient, SqlSegment, SqlSite } from './types';

/** A run of SQL text with its origin, or a parameter standing for an expression. */
type Piece =
  | { kind: 'text'; text: string; fileStart: number; fileLength?: number }
  | { kind: 'param'; fileStart: number; fileLength: number; expr: string };

interface Built {
  pieces: Piece[];
  range: Range;
}

const MAX_CONST_DEPTH = 12;

/** Methods that run SQL given as their first argument, by library and receiver role. */
function sinkKind(b: Binding, method: string): 'text' | 'tag-only' | undefined {
  switch (b.library) {
    case 'pg':
      return b.role === 'client' && method === 'query' ? 'text' : undefined;
    case 'typeorm':
      return (b.role === 'client' || b.role === 'repository') && method === 'query' ? 'text' : undefined;
    case 'sequelize':
      return b.role === 'client' && method === 'query' ? 'text' : undefined;
    case 'knex':
      return b.role === 'client' && method === 'raw' ? 'text' : undefined;
    case 'prisma':
      if (b.role !== 'client') return undefined;
      if (method === '$queryRawUnsafe' || method === '$executeRawUnsafe') return 'text';
      if (method === '$queryRaw' || method === '$executeRaw') return 'tag-only';
      return undefined;
    case 'postgres':
      return b.role === 'sql-tag' && method === 'unsafe' ? 'text' : undefined;
    case 'drizzle':
      // `run`/`all`/`get`/`values` belong to Drizzle's SQLite drivers; PostgreSQL drivers run raw SQL through `execute`.
      return b.role === 'client' && method === 'execute' ? 'text' : undefined;
    case 'slonik':
      return b.role === 'client' && SLONIK_METHODS.has(method) ? 'tag-only' : undefined;
    case 'kysely':
      return undefined;
  }
  return undefined;
}

/**
 * `$queryRaw`, `$executeRaw` and their `Unsafe` forms are Prisma's names alone (the `$` prefix is
 * Prisma's convention for client methods): a receiver provenance cannot resolve (a client typed
 * through a path alias, `this.#prisma`, a `tx` whose type lives in another package) is still a
 * Prisma client when it is called with one of them. Found on trigger.dev: 0 of 73 raw statements
 * were seen before this, 73 after.
 */
const PRISMA_RAW_METHODS = new Set(['$queryRaw', '$executeRaw', '$queryRawUnsafe', '$executeRawUnsafe']);

function prismaByMethodName(method: string): Binding | undefined {
  return PRISMA_RAW_METHODS.has(method) ? { library: 'prisma', role: 'client' } : undefined;
}

const SLONIK_METHODS = new Set([
  'query',
  'one',
  'maybeOne',
  'many',
  'any',
  'anyFirst',
  'oneFirst',
  'maybeOneFirst',
  'manyFirst',
  'exists',
  'stream',
  'copyFromBinary',
]);

const STATEMENT_RE =
  /^(select|with|insert|update|delete|merge|values|table|create|alter|drop|truncate|explain|copy|grant|revoke|begin|commit|rollback|set|show|refresh|vacuum|analyze|lock|call|do|listen|notify|unlisten|prepare|execute|declare|fetch|move|close|comment|reindex|cluster|savepoint|release|start|end|abort|reset|discard|deallocate|import)\b/i;

/** Whether SQL text starts like a statement (after comments and parentheses). */
export function looksLikeStatement(sql: string): boolean {
  let s = sql;
  for (let guard = 0; guard < 50; guard++) {
    const t = s.replace(/^[\s(]+/, '');
    if (t.startsWith('--')) {
      const nl = t.indexOf('\n');
      s = nl < 0 ? '' : t.slice(nl + 1);
    } else if (t.startsWith('/*')) {
      const e = t.indexOf('*/');
      s = e < 0 ? '' : t.slice(e + 2);
    } else {
      s = t;
      break;
    }
  }
  if (!STATEMENT_RE.test(s)) return false;
  // `(select count(*) from t) as n` is a select-list expression, not a statement.
  const lead = /^\s*\(/.exec(sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*/, ''));
  if (lead) {
    const t = sql.slice(sql.indexOf('('));
    let depth = 0;
    for (let i = 0; i < t.length; i++) {
      if (t[i] === '(') depth++;
      else if (t[i] === ')' && --depth === 0) return !/^\s*(as\s+)?"?[\w$]+"?\s*$/i.test(t.slice(i + 1));
    }
  }
  return true;
}

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
  } catch {
    // Extraction is best effort: an unexpected tree shape loses this file's raw SQL, never the run.
    return [];
  }
}

class Extractor {
  private readonly prov: FileProvenance;
  /** Tagged templates inlined into (or passed to) an outer statement: not sites of their own. */
  private readonly consumed = new Set<ts.Node>();
  private readonly sites: { site: SqlSite; order: number; node?: ts.Node }[] = [];

  constructor(
    private readonly path: string,
    private readonly text: string,
    private readonly sf: ts.SourceFile,
    project: ProjectServices,
  ) {
    this.prov = fileProvenance(project, path, text, sf);
  }

  run(): SqlSite[] {
    const calls: ts.CallExpression[] = [];
    const tagged: ts.TaggedTemplateExpression[] = [];
    const stack: ts.Node[] = [this.sf];
    while (stack.length) {
      const n = stack.pop() as ts.Node;
      if (ts.isCallExpression(n)) calls.push(n);
      else if (ts.isTaggedTemplateExpression(n)) tagged.push(n);
      const kids: ts.Node[] = [];
      ts.forEachChild(n, (c) => {
        kids.push(c);
      });
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
    }
    // Executing calls first: they consume the sql-tag templates they are given.
    // A surprise in one odd call loses that call's SQL, not the file's.
    for (const call of calls) {
      try {
        this.visitCall(call);
      } catch {
        /* best effort */
      }
    }
    for (const t of tagged) {
      try {
        this.visitTagged(t);
      } catch {
        /* best effort */
      }
    }
    // A fragment declared before the statement that inlines it was visited first: drop it now.
    const kept = this.sites.filter((s) => !s.node || !this.consumed.has(s.node));
    kept.sort((a, b) => a.site.range.start - b.site.range.start || a.order - b.order);
    return kept.map((s) => s.site);
  }

  private range(n: ts.Node): Range {
    return { start: n.getStart(this.sf), end: n.end };
  }

  // ---- Sinks

  private visitCall(call: ts.CallExpression): void {
    const callee = skipOuter(call.expression);
    if (!ts.isPropertyAccessExpression(callee)) {
      return;
    }
    const method = callee.name.text;
    if (!SINK_NAMES.has(method)) return;
    // Kysely `CompiledQuery.raw('…')`.
    if (method === 'raw' && ts.isIdentifier(callee.expression)) {
      const v = this.prov.value(callee.expression);
      if (v?.kind === 'pkg' && v.library === 'kysely' && v.name === 'CompiledQuery') {
        this.sinkSite(call, call.arguments[0], 'kysely', 'text');
        return;
      }
    }
    const recv = this.prov.resolve(callee.expression) ?? prismaByMethodName(method);
    if (!recv) return;
    const kind = sinkKind(recv, method);
    if (!kind) return;
    const arg = call.arguments[0];
    if (!arg) return;
    this.sinkSite(call, arg, recv.library, kind, recv, method);
  }

  private sinkSite(
    call: ts.CallExpression,
    arg: ts.Expression | undefined,
    library: Library,
    kind: 'text' | 'tag-only',
    recv?: Binding,
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
    // `knex.raw('count(*) as n')` handed to a builder is an expression fragment, not a statement.
    if (library === 'knex' && !looksLikeStatement(piecesText(pieces))) return;
    if (library === 'knex' && kind === 'text') {
      pieces = this.knexPlaceholders(pieces, call.arguments[1], paramTexts);
    } else if (library === 'sequelize') {
      pieces = this.sequelizePlaceholders(pieces, call.arguments[1], paramTexts);
    } else if (library === 'prisma' && method?.endsWith('Unsafe')) {
      call.arguments.slice(1).forEach((e, i) => (paramTexts[i] = e.getText(this.sf)));
    } else if (valuesExpr) {
      const v = skipOuter(valuesExpr);
      if (ts.isArrayLiteralExpression(v)) v.elements.forEach((e, i) => (paramTexts[i] = e.getText(this.sf)));
    }
    void recv;
    this.emit(pieces, built.range, library, this.range(call), paramTexts);
  }

  // ---- Tagged templates

  private visitTagged(t: ts.TaggedTemplateExpression): void {
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
  private executingParent(t: ts.TaggedTemplateExpression): ts.CallExpression | undefined {
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
      if (m && (SLONIK_METHODS.has(m) || m === 'execute' || m === '$queryRaw' || m === '$executeRaw')) return p;
    }
    return undefined;
  }

  /**
   * The library of a recognised sql tag: a sql-tag binding (postgres.js `sql`, slonik/Kysely/Drizzle `sql`,
   * `Prisma.sql`), slonik's `sql.type(…)`/`sql.typeAlias(…)`/`sql.unsafe`/`sql.fragment`, or Prisma `$queryRaw`/`$executeRaw`.
   * `executes`: the template itself sends the statement (postgres.js, `$queryRaw`).
   */
  private tagBinding(t: ts.TaggedTemplateExpression): { library: Library; executes: boolean; runsStatement?: boolean } | undefined {
    let tag = skipOuter(t.tag);
    if (ts.isCallExpression(tag)) {
      // slonik `sql.type(schema)\`…\``, `sql.typeAlias('x')\`…\``.
      const c = skipOuter(tag.expression);
      if (!ts.isPropertyAccessExpression(c)) return undefined;
      const b = this.prov.resolve(c.expression);
      if (b?.role === 'sql-tag' && b.library === 'slonik' && (c.name.text === 'type' || c.name.text === 'typeAlias'))
        return { library: 'slonik', executes: false };
      return undefined;
    }
    if (ts.isPropertyAccessExpression(tag)) {
      const name = tag.name.text;
      const b = this.prov.resolve(tag.expression) ?? prismaByMethodName(name);
      if (b?.library === 'prisma' && b.role === 'client' && (name === '$queryRaw' || name === '$executeRaw'))
        return { library: 'prisma', executes: true, runsStatement: true };
      if (b?.role === 'sql-tag' && b.library === 'slonik' && (name === 'unsafe' || name === 'fragment'))
        return { library: 'slonik', executes: false };
      // `Prisma.sql` resolves as a whole below.
    }
    const b = this.prov.resolve(tag);
    if (b?.role === 'sql-tag') return { library: b.library, executes: b.library === 'postgres' };
    void (tag = t.tag);
    return undefined;
  }

  private isSqlTagTemplate(e: ts.Expression): e is ts.TaggedTemplateExpression {
    return ts.isTaggedTemplateExpression(e) && this.tagBinding(e) !== undefined;
  }

  // ---- Building SQL text from expressions

  /**
   * SQL pieces for an expression handed to a sink. `mode`: 'tag-only' accepts only sql-tag templates
   * (Prisma `$queryRaw(Prisma.sql…)`, slonik `pool.query(sql…)`); 'any' accepts strings, templates,
   * concatenations and constants too.
   */
  private build(e: ts.Expression, mode: 'tag-only' | 'any', depth: number): Built | undefined {
    if (depth > MAX_CONST_DEPTH) return undefined;
    e = skipOuter(e);
    if (ts.isTaggedTemplateExpression(e)) {
      if (!this.isSqlTagTemplate(e)) return undefined;
      this.consumed.add(e);
      return this.buildTagged(e, depth);
    }
    if (ts.isIdentifier(e)) {
      const init = this.constInitializer(e);
      if (!init) return undefined;
      return this.build(init, mode, depth + 1);
    }
    if (ts.isPropertyAccessExpression(e)) {
      const init = this.constProperty(e);
      return init ? this.build(init, mode, depth + 1) : undefined;
    }
    if (mode === 'tag-only') {
      // Prisma.raw('…') / sql.raw('…') handed to $queryRaw or a slonik method is raw SQL too.
      if (ts.isCallExpression(e)) {
        const raw = this.rawHelper(e, depth);
        if (raw) return { pieces: raw, range: this.range(e) };
      }
      return undefined;
    }
    const pieces = this.constPieces(e, depth, 'inline');
    if (!pieces) return undefined;
    if (!pieces.some((p) => p.kind === 'text' && p.text.trim())) return undefined;
    return { pieces, range: this.range(e) };
  }

  /**
   * Pieces of a string-valued expression: literals, plain templates (interpolations of constants are inlined,
   * others become parameters), `+` concatenations and constants. Undefined when the expression holds no literal text.
   */
  private constPieces(e: ts.Expression, depth: number, interp: 'inline'): Piece[] | undefined {
    void interp;
    if (depth > MAX_CONST_DEPTH) return undefined;
    e = skipOuter(e);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return this.literalPieces(e);
    if (ts.isTemplateExpression(e)) {
      const out: Piece[] = [];
      out.push(...this.templatePartPieces(e.head));
      for (const span of e.templateSpans) {
        // Text built by string interpolation: nested templates and string constants inline (with their own holes).
        const inner = this.constPieces(span.expression, depth + 1, 'inline');
        const after = this.templatePartPieces(span.literal);
        if (inner) out.push(...inner);
        else out.push(this.stringHole(span.expression, out, after));
        out.push(...after);
      }
      return out;
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      // Flatten the left-deep chain iteratively: generated code concatenates thousands of strings.
      const operands: ts.Expression[] = [];
      let cur: ts.Expression = e;
      while (ts.isBinaryExpression(cur) && cur.operatorToken.kind === ts.SyntaxKind.PlusToken) {
        operands.push(cur.right);
        cur = skipOuter(cur.left);
      }
      operands.push(cur);
      operands.reverse();
      const out: Piece[] = [];
      let hasText = false;
      const consts = operands.map((op) => this.constPieces(op, depth + 1, 'inline'));
      operands.forEach((op, i) => {
        const inner = consts[i];
        if (inner) {
          hasText = true;
          out.push(...inner);
        } else out.push(this.stringHole(op, out, consts[i + 1] ?? []));
      });
      return hasText ? out : undefined;
    }
    if (ts.isConditionalExpression(e)) {
      // `${desc ? 'desc' : ''}`: both branches are text; the one that adds SQL makes the fuller statement.
      const a = this.constPieces(e.whenTrue, depth + 1, 'inline');
      const b = this.constPieces(e.whenFalse, depth + 1, 'inline');
      if (!a || !b) return undefined;
      return a.some((p) => p.kind === 'param' || p.text.trim()) ? a : b;
    }
    if (ts.isIdentifier(e)) {
      const init = this.constInitializer(e);
      return init ? this.constPieces(init, depth + 1, 'inline') : undefined;
    }
    if (ts.isPropertyAccessExpression(e)) {
      const init = this.constProperty(e);
      return init ? this.constPieces(init, depth + 1, 'inline') : undefined;
    }
    return undefined;
  }

  /**
   * A value spliced into SQL text by string building (a plain template or `+`), not bound by the driver.
   * In an identifier position (`from ${schema}.jobs`, `drop database ${name}`, `t_${suffix}`) it stands
   * for a name, so it becomes a quoted identifier spelling the expression; elsewhere it is a value: `$n`.
   */
  private stringHole(e: ts.Expression, before: Piece[], after: Piece[]): Piece {
    const p = this.param(e);
    if (p.kind !== 'param') return p;
    const prev = textTail(before, 200);
    const next = textHead(after, 8);
    // `values ${rows}`, `in ${sql(ids)}`: a list the driver or helper expands; `($n)` keeps the statement whole.
    if (/\b(values|in)\s*$/i.test(prev) && !/^\s*\(/.test(next)) return { ...p, wrap: true } as ParamPiece;
    // A hole on a line of its own after a clause (`${conditionalSql(…)}`, `${whereClause}`) is an optional
    // fragment built elsewhere, not a value: the statement without it is the one we can read.
    if (/\n[ \t]*$/.test(prev) && /^[ \t]*(\r?\n|$)/.test(next) && /\S/.test(prev) && !/(=|\(|,|\bvalues|\bin|\bset|\bselect|\bfrom|\bwhere|\band|\bor)\s*$/i.test(prev))
      return { kind: 'text', text: '', fileStart: p.fileStart, fileLength: p.fileLength };
    const glued = /[\w$]$/.test(prev) || /^\w/.test(next);
    const identifierish =
      glued ||
      /^[."]/.test(next) ||
      /[."]$/.test(prev) ||
      IDENT_BEFORE.test(prev) ||
      // `set ${col} = …`, `, ${col} = …` in an UPDATE.
      (/^\s*=[^=]/.test(next) && /(\bset|,)\s*$/i.test(prev)) ||
      // Column lists: `insert into t (${a}, ${b})`, `on conflict (${a})`, `primary key (${a})`.
      /\b(into\s+\S+|on\s+conflict|key|unique|index\s+\S+\s+on\s+\S+)\s*\([^()]*$/i.test(prev);
    if (!identifierish) return p;
    const expr = p.expr.replace(/\s+/g, '');
    if (!expr) return p;
    // Glued to other name characters (`db_${suffix}`), the hole is part of one name: spell it as name characters.
    const text = glued ? expr.replace(/\W+/g, '_').toLowerCase().slice(0, 60) : `"${expr.slice(0, 60).replace(/"/g, '""')}"`;
    return { kind: 'text', text, fileStart: p.fileStart, fileLength: p.fileLength };
  }

  /** Pieces of an expression whose whole value is known text (no parameters), or undefined. */
  private constString(e: ts.Expression, depth: number): Piece[] | undefined {
    const p = this.constPieces(e, depth, 'inline');
    if (!p || p.some((x) => x.kind === 'param')) return undefined;
    return p;
  }

  /** The initializer of a `const` (or a never-reassigned binding we can see), for constant folding. */
  private constInitializer(id: ts.Identifier): ts.Expression | undefined {
    const d = this.prov.declarationOf(id);
    if (!d || !ts.isVariableDeclaration(d) || !d.initializer) return undefined;
    const list = d.parent;
    if (!ts.isVariableDeclarationList(list) || (list.flags & ts.NodeFlags.Const) === 0) return undefined;
    // A constant used before its declaration in the same scope is a TDZ error at runtime; do not fold it.
    return d.initializer;
  }

  /** `QUERIES.getUser` where `const QUERIES = { getUser: '…' }`. */
  private constProperty(e: ts.PropertyAccessExpression): ts.Expression | undefined {
    const obj = skipOuter(e.expression);
    if (!ts.isIdentifier(obj)) return undefined;
    const init = this.constInitializer(obj);
    const o = init && skipOuter(init);
    if (!o || !ts.isObjectLiteralExpression(o)) return undefined;
    return objProp(o, e.name.text);
  }

  private param(e: ts.Expression): Piece {
    const start = e.getStart(this.sf);
    // The parameter stands for the whole `${…}` in a template, the operand alone in a concatenation.
    const p = e.parent;
    if (ts.isTemplateSpan(p) && p.expression === e) {
      const open = this.text.lastIndexOf('${', start);
      const prev = p.parent.templateSpans.indexOf(p);
      const partBefore = prev === 0 ? p.parent.head : p.parent.templateSpans[prev - 1].literal;
      if (open >= partBefore.getStart(this.sf)) {
        const close = p.literal.getStart(this.sf) + 1;
        return { kind: 'param', fileStart: open, fileLength: close - open, expr: e.getText(this.sf) };
      }
    }
    return { kind: 'param', fileStart: start, fileLength: e.end - start, expr: e.getText(this.sf) };
  }

  /** Pieces of a sql-tag template: interpolations are parameters, except nested sql fragments and identifier/raw helpers. */
  private buildTagged(t: ts.TaggedTemplateExpression, depth: number): Built | undefined {
    const pieces = this.taggedPieces(t, depth);
    return pieces ? { pieces, range: this.range(t.template) } : undefined;
  }

  private taggedPieces(t: ts.TaggedTemplateExpression, depth: number): Piece[] | undefined {
    if (depth > MAX_CONST_DEPTH) return undefined;
    const tpl = t.template;
    if (ts.isNoSubstitutionTemplateLiteral(tpl)) return this.literalPieces(tpl);
    const out: Piece[] = [];
    out.push(...this.templatePartPieces(tpl.head));
    for (const span of tpl.templateSpans) {
      const inner = this.fragment(span.expression, depth + 1);
      const after = this.templatePartPieces(span.literal);
      if (inner) out.push(...inner);
      // A driver binds values only: a hole in an identifier position is a name built elsewhere
      // (slonik `sql.identifier`, postgres.js `sql(name)` held in a variable).
      else out.push(this.stringHole(span.expression, out, after));
      out.push(...after);
    }
    return out;
  }

  /** An interpolation inside a sql tag that contributes SQL text rather than a value. */
  private fragment(e: ts.Expression, depth: number): Piece[] | undefined {
    if (depth > MAX_CONST_DEPTH) return undefined;
    e = skipOuter(e);
    if (ts.isTaggedTemplateExpression(e)) {
      if (!this.isSqlTagTemplate(e)) return undefined;
      this.consumed.add(e);
      return this.taggedPieces(e, depth + 1);
    }
    if (ts.isIdentifier(e)) {
      const init = this.constInitializer(e);
      if (init) {
        const i = skipOuter(init);
        if (ts.isTaggedTemplateExpression(i) && this.isSqlTagTemplate(i)) {
          this.consumed.add(i);
          return this.taggedPieces(i, depth + 1);
        }
        if (ts.isCallExpression(i) || ts.isConditionalExpression(i)) {
          const f = this.fragment(i, depth + 1);
          if (f) return f;
        }
      }
      return this.tableRef(e);
    }
    if (ts.isConditionalExpression(e)) {
      // `${cond ? sql\`and x = ${y}\` : sql\`\`}`: inline the fragment that adds SQL, so the statement reads whole.
      const a = this.fragment(e.whenTrue, depth + 1);
      const b = this.fragment(e.whenFalse, depth + 1);
      if (a && b) {
        const aText = a.some((p) => p.kind === 'param' || p.text.trim());
        return aText ? a : b;
      }
      return undefined;
    }
    if (ts.isCallExpression(e)) return this.rawHelper(e, depth);
    if (ts.isPropertyAccessExpression(e)) {
      // `Prisma.empty`.
      const v = this.prov.value(e);
      if (v?.kind === 'pkg' && v.library === 'prisma' && v.name === 'Prisma.empty') return [];
      return this.columnRef(e);
    }
    return undefined;
  }

  /**
   * Helpers that splice SQL text or identifiers into a template: `sql.raw('…')` (Drizzle, Kysely),
   * `Prisma.raw('…')`, postgres.js `sql.unsafe('…')`/`sql('table')`, `sql.identifier([...])` (slonik, Drizzle),
   * `sql.ref`/`sql.table`/`sql.id`/`sql.lit` (Kysely). Only constant arguments are spliced.
   */
  private rawHelper(call: ts.CallExpression, depth: number): Piece[] | undefined {
    const callee = skipOuter(call.expression);
    const arg = call.arguments[0];
    if (!arg) return undefined;
    let base: Binding | undefined;
    let name: string | undefined;
    if (ts.isPropertyAccessExpression(callee)) {
      name = callee.name.text;
      const v = this.prov.value(callee);
      if (v?.kind === 'pkg' && v.library === 'prisma' && v.name === 'Prisma.raw') return this.constString(arg, depth + 1);
      base = this.prov.resolve(callee.expression);
    } else {
      // postgres.js `sql('users')`: an identifier.
      const b = this.prov.resolve(callee);
      if (b?.library === 'postgres' && b.role === 'sql-tag' && call.arguments.length === 1) {
        const s = this.constString(arg, depth + 1);
        return s ? identPieces(s, true) : undefined;
      }
      return undefined;
    }
    if (base?.role !== 'sql-tag') return undefined;
    switch (name) {
      case 'raw':
      case 'unsafe':
      case 'lit':
        return this.constString(arg, depth + 1);
      case 'identifier':
      case 'ref':
      case 'table':
      case 'id': {
        const a = skipOuter(arg);
        if (ts.isArrayLiteralExpression(a)) {
          const parts = a.elements.map((x) => this.constString(x, depth + 1));
          if (parts.some((p) => !p)) return undefined;
          const out: Piece[] = [];
          parts.forEach((p, i) => {
            if (i) out.push({ kind: 'text', text: '.', fileStart: a.elements[i].getStart(this.sf), fileLength: 0 });
            out.push(...identPieces(p as Piece[], false));
          });
          return out;
        }
        const s = this.constString(a, depth + 1);
        if (!s) return undefined;
        return identPieces(s, name === 'ref' || name === 'table');
      }
    }
    return undefined;
  }

  /** A Drizzle table interpolated into its sql tag renders as its quoted name. */
  private tableRef(e: ts.Identifier): Piece[] | undefined {
    const b = this.prov.resolve(e);
    if (b?.library !== 'drizzle' || b.role !== 'table' || !b.entity) return undefined;
    return [{ kind: 'text', text: quoteIdent(b.entity), fileStart: e.getStart(this.sf), fileLength: e.end - e.getStart(this.sf) }];
  }

  /** A Drizzle column (`users.email`) renders as `"users"."email"` (its database name, from the pgTable definition). */
  private columnRef(e: ts.PropertyAccessExpression): Piece[] | undefined {
    const obj = skipOuter(e.expression);
    if (!ts.isIdentifier(obj)) return undefined;
    const b = this.prov.resolve(obj);
    if (b?.library !== 'drizzle' || b.role !== 'table' || !b.entity) return undefined;
    const col = this.drizzleColumnName(obj, e.name.text);
    if (!col) return undefined;
    const start = e.getStart(this.sf);
    return [{ kind: 'text', text: `${quoteIdent(b.entity)}.${quoteIdent(col)}`, fileStart: start, fileLength: e.end - start }];
  }

  private drizzleColumnName(table: ts.Identifier, prop: string): string | undefined {
    const def = this.prov.definitionOf(table);
    if (!def || !ts.isVariableDeclaration(def.node) || !def.node.initializer) return undefined;
    const init = skipOuter(def.node.initializer);
    if (!ts.isCallExpression(init)) return undefined;
    const cols = init.arguments[1] && skipOuter(init.arguments[1]);
    if (!cols || !ts.isObjectLiteralExpression(cols)) return undefined;
    const p = objProp(cols, prop);
    if (!p) return undefined;
    // `email: text('email_address').notNull()`: the innermost call's first string argument; none means the key.
    let c: ts.Expression = skipOuter(p);
    while (ts.isCallExpression(c) && ts.isPropertyAccessExpression(c.expression)) c = skipOuter(c.expression.expression);
    if (!ts.isCallExpression(c)) return undefined;
    const a = c.arguments[0];
    if (a && (ts.isStringLiteral(a) || ts.isNoSubstitutionTemplateLiteral(a))) return a.text;
    return prop;
  }

  // ---- Literal text with exact offsets

  private literalPieces(lit: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral): Piece[] {
    const start = lit.getStart(this.sf);
    const q = this.text[start];
    const end = lit.end > start + 1 && this.text[lit.end - 1] === q ? lit.end - 1 : lit.end;
    return cook(this.text, start + 1, end, q === '`');
  }

  private templatePartPieces(part: ts.TemplateHead | ts.TemplateMiddle | ts.TemplateTail): Piece[] {
    const start = part.getStart(this.sf);
    // Head starts with '`', middle and tail with '}'; head and middle end with '${', tail with '`'.
    let end = part.end;
    if (ts.isTemplateTail(part)) {
      if (this.text[end - 1] === '`') end -= 1;
    } else if (this.text.slice(end - 2, end) === '${') end -= 2;
    return cook(this.text, start + 1, end, true);
  }

  // ---- Placeholders of Knex and Sequelize

  /** Knex `?` (value) and `??` (identifier) bindings → `$n`; `\?` is a literal question mark. Named `:x`/`:x:` with an object. */
  private knexPlaceholders(pieces: Piece[], bindings: ts.Expression | undefined, paramTexts: string[]): Piece[] {
    const b = bindings && skipOuter(bindings);
    const arr = b && ts.isArrayLiteralExpression(b) ? b.elements : undefined;
    const obj = b && ts.isObjectLiteralExpression(b) ? b : undefined;
    let n = 0;
    return rewritePlaceholders(pieces, (src, i, prev) => {
      // Knex reads `\\?` in the cooked string as a literal `?`; the backslash came from a `\\\\` escape piece.
      if (src[i] === '?' && prev === '\\') return { len: 1, text: '?', eatPrev: true };
      if (!obj && src[i] === '?') {
        const ident = src[i + 1] === '?';
        const len = ident ? 2 : 1;
        const el = arr?.[n];
        n++;
        if (ident && el) {
          const s = this.constString(el, 1);
          if (s) return { len, pieces: identPieces(s, true) };
        }
        paramTexts.push(el ? el.getText(this.sf) : '');
        return { len, param: paramTexts.length, expr: el?.getText(this.sf) ?? '' };
      }
      if (obj && src[i] === ':' && src[i - 1] !== ':' && /[A-Za-z_]/.test(src[i + 1] ?? '')) {
        const m = /^:([A-Za-z_]\w*)(:?)/.exec(src.slice(i));
        if (!m || src[i + m[0].length] === ':') return undefined;
        const el = objProp(obj, m[1]);
        if (m[2]) {
          const s = el && this.constString(el, 1);
          if (s) return { len: m[0].length, pieces: identPieces(s, true) };
        }
        paramTexts.push(el ? el.getText(this.sf) : '');
        return { len: m[0].length, param: paramTexts.length, expr: el?.getText(this.sf) ?? '' };
      }
      return undefined;
    });
  }

  /** Sequelize replacements: `?` with an array, `:name` with an object (`$1`/`$name` bind parameters stay as written). */
  private sequelizePlaceholders(pieces: Piece[], options: ts.Expression | undefined, paramTexts: string[]): Piece[] {
    const o = options && skipOuter(options);
    const rep = o && ts.isObjectLiteralExpression(o) ? objProp(o, 'replacements') : undefined;
    const r = rep && skipOuter(rep);
    if (!r) return pieces;
    const arr = ts.isArrayLiteralExpression(r) ? r.elements : undefined;
    const obj = ts.isObjectLiteralExpression(r) ? r : undefined;
    let n = 0;
    return rewritePlaceholders(pieces, (src, i) => {
      if (!obj && src[i] === '?' && src[i + 1] !== '|' && src[i + 1] !== '&') {
        const el = arr?.[n++];
        paramTexts.push(el ? el.getText(this.sf) : '');
        return { len: 1, param: paramTexts.length, expr: el?.getText(this.sf) ?? '' };
      }
      if (src[i] === ':' && src[i - 1] !== ':' && /[A-Za-z_]/.test(src[i + 1] ?? '')) {
        const m = /^:([A-Za-z_]\w*)/.exec(src.slice(i));
        if (!m || src[i + m[0].length] === ':') return undefined;
        const el = obj ? objProp(obj, m[1]) : undefined;
        if (!obj) return undefined;
        paramTexts.push(el ? el.getText(this.sf) : '');
        return { len: m[0].length, param: paramTexts.length, expr: el?.getText(this.sf) ?? '' };
      }
      return undefined;
    });
  }

  // ---- Output

  private order = 0;

  private emit(
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
    this.sites.push({ site, order: this.order++, node });
  }
}

type ParamPiece = Extract<Piece, { kind: 'param' }> & {
  /** A number the placeholder already has (Knex `?` → its binding index). */
  fixed?: number;
  /** Rendered `($n)`: a list expanded at run time (`values ${rows}`, `in ${sql(ids)}`). */
  wrap?: boolean;
};

const SINK_NAMES = new Set([
  'query',
  'raw',
  'unsafe',
  'execute',
  '$queryRaw',
  '$executeRaw',
  '$queryRawUnsafe',
  '$executeRawUnsafe',
  ...SLONIK_METHODS,
]);

/** Keywords after which a value spliced into SQL text is a name. */
const IDENT_BEFORE =
  /\b(from|join|into|update|table|exists|database|schema|references|truncate|only|index|sequence|view|function|trigger|type|extension|role|user|constraint|column|policy|owner\s+to|on\s+table|grant\s+\w+\s+on|rename\s+to|alter\s+column)\s+$/i;

function piecesText(pieces: Piece[]): string {
  return pieces.map((p) => (p.kind === 'text' ? p.text : '$0')).join('');
}

function textTail(pieces: Piece[], n: number): string {
  let t = '';
  for (let i = pieces.length - 1; i >= 0 && t.length < n; i--) {
    const p = pieces[i];
    t = (p.kind === 'text' ? p.text : '$0') + t;
  }
  return t;
}

function textHead(pieces: Piece[], n: number): string {
  let t = '';
  for (const p of pieces) {
    if (t.length >= n) break;
    t += p.kind === 'text' ? p.text : '$0';
  }
  return t;
}

function objProp(o: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of o.properties) {
    if (ts.isPropertyAssignment(p)) {
      const n = p.name;
      if ((ts.isIdentifier(n) || ts.isStringLiteral(n)) && n.text === name) return p.initializer;
    } else if (ts.isShorthandPropertyAssignment(p) && p.name.text === name) return p.name;
  }
  return undefined;
}

function quoteIdent(s: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`;
}

/** A constant identifier spliced in as a quoted identifier; the whole maps onto the constant's text. */
function quoteIdentPiece(pieces: Piece[]): Piece {
  const raw = pieces.map((p) => (p.kind === 'text' ? p.text : '')).join('');
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  const fileStart = first ? first.fileStart : 0;
  const fileEnd = last ? last.fileStart + (last.kind === 'text' ? (last.fileLength ?? last.text.length) : last.fileLength) : fileStart;
  const text = quoteIdent(raw);
  if (text === raw && pieces.length === 1 && first.kind === 'text') return first;
  return { kind: 'text', text, fileStart, fileLength: fileEnd - fileStart };
}

/**
 * A constant spliced in as a (possibly dotted, possibly aliased) identifier: `t.title` → `t.title`,
 * `Orders.Total` → `"Orders"."Total"`, `users as u` → `users as u`. Each part maps onto its characters in
 * the constant when the constant is one plain run of text; otherwise the whole snaps to the constant.
 */
function identPieces(pieces: Piece[], dotted: boolean): Piece[] {
  const p0 = pieces[0];
  if (pieces.length !== 1 || p0.kind !== 'text' || p0.fileLength !== undefined) return [quoteIdentPiece(pieces)];
  const raw = p0.text;
  const out: Piece[] = [];
  const re = dotted ? /(\s+as\s+|\.)/gi : /$^/g;
  let last = 0;
  const part = (from: number, to: number): void => {
    const t = raw.slice(from, to);
    const q = quoteIdent(t);
    out.push(q === t ? { kind: 'text', text: t, fileStart: p0.fileStart + from } : { kind: 'text', text: q, fileStart: p0.fileStart + from, fileLength: t.length });
  };
  for (const m of raw.matchAll(re)) {
    const i = m.index ?? 0;
    part(last, i);
    out.push({ kind: 'text', text: m[0], fileStart: p0.fileStart + i });
    last = i + m[0].length;
  }
  part(last, raw.length);
  return out;
}

/**
 * Cooks the raw text of a string or template literal between `start` and `end`: escapes decoded, template
 * CRLF normalised to LF (as JavaScript does). Plain runs map one-to-one; each escape is its own piece.
 */
export function cook(text: string, start: number, end: number, template: boolean): Piece[] {
  const out: Piece[] = [];
  let runStart = start;
  const flush = (to: number): void => {
    if (to > runStart) out.push({ kind: 'text', text: text.slice(runStart, to), fileStart: runStart });
  };
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */ && i + 1 < end) {
      flush(i);
      const { value, len } = decodeEscape(text, i, end);
      if (value.length || len) out.push({ kind: 'text', text: value, fileStart: i, fileLength: len });
      i += len;
      runStart = i;
    } else if (template && c === 13 /* \r */) {
      flush(i);
      const len = text.charCodeAt(i + 1) === 10 && i + 1 < end ? 2 : 1;
      out.push({ kind: 'text', text: '\n', fileStart: i, fileLength: len });
      i += len;
      runStart = i;
    } else i++;
  }
  flush(end);
  return out;
}

function decodeEscape(text: string, i: number, end: number): { value: string; len: number } {
  const n = text[i + 1];
  switch (n) {
    case 'n':
      return { value: '\n', len: 2 };
    case 't':
      return { value: '\t', len: 2 };
    case 'r':
      return { value: '\r', len: 2 };
    case 'b':
      return { value: '\b', len: 2 };
    case 'f':
      return { value: '\f', len: 2 };
    case 'v':
      return { value: '\v', len: 2 };
    case '0':
      if (!/[0-9]/.test(text[i + 2] ?? '')) return { value: '\0', len: 2 };
      break;
    case '\r':
      return { value: '', len: text[i + 2] === '\n' ? 3 : 2 };
    case '\n':
    case '\u2028':
    case '\u2029':
      return { value: '', len: 2 };
    case 'x': {
      const h = text.slice(i + 2, i + 4);
      if (/^[0-9a-fA-F]{2}$/.test(h)) return { value: String.fromCharCode(parseInt(h, 16)), len: 4 };
      break;
    }
    case 'u': {
      if (text[i + 2] === '{') {
        const close = text.indexOf('}', i + 3);
        if (close > 0 && close < end) {
          const h = text.slice(i + 3, close);
          if (/^[0-9a-fA-F]{1,6}$/.test(h)) {
            const cp = parseInt(h, 16);
            if (cp <= 0x10ffff) return { value: String.fromCodePoint(cp), len: close + 1 - i };
          }
        }
        break;
      }
      const h = text.slice(i + 2, i + 6);
      if (/^[0-9a-fA-F]{4}$/.test(h)) return { value: String.fromCharCode(parseInt(h, 16)), len: 6 };
      break;
    }
  }
  // `\'`, `\"`, `` \` ``, `\\`, `\$` and any other character: the character itself (a surrogate pair whole).
  const cp = text.codePointAt(i + 1) ?? 0;
  const ch = String.fromCodePoint(cp);
  return { value: ch, len: 1 + ch.length };
}

type Replacement =
  | { len: number; text: string; eatPrev?: boolean }
  | { len: number; param: number; expr: string }
  /** Pieces taking the placeholder's place (a Knex `??` identifier mapped onto its binding's text). */
  | { len: number; pieces: Piece[] };

/**
 * Rewrites placeholders in the text pieces, outside SQL strings, quoted identifiers, comments and
 * dollar quotes. `at(src, i)` sees the text of the current piece.
 */
function rewritePlaceholders(pieces: Piece[], at: (src: string, i: number, prev: string) => Replacement | undefined): Piece[] {
  const out: Piece[] = [];
  let state: 'code' | 'squote' | 'dquote' | 'line' | 'block' | 'dollar' = 'code';
  let dollarTag = '';
  // The last character of SQL text seen, across pieces (an escape piece's cooked text counts).
  let prev = '';
  for (const p of pieces) {
    if (p.kind !== 'text' || p.fileLength !== undefined) {
      // Escapes and parameters are atomic; an escaped character still moves the lexer state.
      if (p.kind === 'text') {
        state = advance(state, p.text);
        prev = p.text.slice(-1);
      } else prev = '$';
      out.push(p);
      continue;
    }
    const src = p.text;
    let runStart = 0;
    let i = 0;
    const prevAt = (k: number): string => (k > 0 ? src[k - 1] : prev);
    while (i < src.length) {
      const c = src[i];
      if (state === 'code') {
        if (c === "'") state = 'squote';
        else if (c === '"') state = 'dquote';
        else if (c === '-' && src[i + 1] === '-') state = 'line';
        else if (c === '/' && src[i + 1] === '*') state = 'block';
        else if (c === '$') {
          const m = /^\$([A-Za-z_]\w*)?\$/.exec(src.slice(i));
          if (m) {
            state = 'dollar';
            dollarTag = m[0];
            i += m[0].length;
            continue;
          }
        }
        if (state === 'code') {
          const r = at(src, i, prevAt(i));
          if (r) {
            if (i > runStart) out.push({ kind: 'text', text: src.slice(runStart, i), fileStart: p.fileStart + runStart });
            if ('pieces' in r) {
              out.push(...r.pieces);
            } else if ('param' in r) {
              const pp: ParamPiece = { kind: 'param', fileStart: p.fileStart + i, fileLength: r.len, expr: r.expr, fixed: r.param };
              out.push(pp);
            } else {
              let fileStart = p.fileStart + i;
              let fileLength = r.len;
              // The replacement swallows the escape piece before it (Knex `\\?`).
              const last = out[out.length - 1];
              if (r.eatPrev && i === 0 && last && last.kind === 'text' && last.text === '\\') {
                out.pop();
                fileLength += fileStart - last.fileStart;
                fileStart = last.fileStart;
              }
              out.push({ kind: 'text', text: r.text, fileStart, fileLength });
            }
            i += r.len;
            runStart = i;
            continue;
          }
        }
      } else if (state === 'squote' && c === "'") state = 'code';
      else if (state === 'dquote' && c === '"') state = 'code';
      else if (state === 'line' && c === '\n') state = 'code';
      else if (state === 'block' && c === '*' && src[i + 1] === '/') {
        state = 'code';
        i += 2;
        continue;
      } else if (state === 'dollar' && src.startsWith(dollarTag, i)) {
        state = 'code';
        i += dollarTag.length;
        continue;
      }
      i++;
    }
    if (runStart < src.length) out.push({ kind: 'text', text: src.slice(runStart), fileStart: p.fileStart + runStart });
    prev = src.slice(-1);
  }
  return out;
}

function advance(state: 'code' | 'squote' | 'dquote' | 'line' | 'block' | 'dollar', t: string): typeof state {
  for (const c of t) {
    if (state === 'code' && c === "'") state = 'squote';
    else if (state === 'squote' && c === "'") state = 'code';
    else if (state === 'code' && c === '"') state = 'dquote';
    else if (state === 'dquote' && c === '"') state = 'code';
    else if (state === 'line' && c === '\n') state = 'code';
  }
  return state;
}
