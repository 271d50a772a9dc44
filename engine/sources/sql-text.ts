/**
 * The SQL text of a literal or template as the database receives it (the text-building half of the
 * extractor in ./ts-sql.ts): constant strings and nested templates inlined, fragments of sql tags
 * spliced, helpers returning SQL followed, other interpolations made `$n` parameters or placeholder
 * names (./holes.ts), every piece keeping its file offset (./sql-pieces.ts).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapters } from '../adapters';
import type { BindKit, Splice, TagInfo } from '../adapters/types';
import type { ProjectServices } from '../context';
import type { Range } from '../types';
import { fileProvenance, type FileProvenance } from './provenance';
import type { Library } from './query-sites';
import { holePosition } from './holes';
import { cook, identPieces, objProp, textHead, textTail, type ParamPiece, type Piece } from './sql-pieces';
import { skipOuter } from './ts-expr';
import type { HoleKind, SqlSite } from './types';
import { quoteIdent } from '../sql/ident';

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
      // After the group, a statement goes on only with a set operation or a trailing clause (or ends): anything
      // else (`as n`, `as ??`, `->> 0 ASC NULLS FIRST, …`) makes it an expression (teable's knex.raw sort keys).
      else if (t[i] === ')' && --depth === 0) return /^\s*(;\s*)?$|^\s*(union|intersect|except|order|limit|offset|fetch|for)\b/i.test(t.slice(i + 1));
    }
  }
  return true;
}

export interface Built {
  pieces: Piece[];
  range: Range;
}

export const MAX_CONST_DEPTH = 12;

export abstract class SqlTextBuilder {
  // Defined by the extractor (./ts-sql.ts).
  /** A builder of the same kind for another file (a helper's text is read there). */
  protected abstract builderFor(path: string, text: string, sf: ts.SourceFile): SqlTextBuilder;
  protected abstract tagBinding(t: ts.TaggedTemplateExpression): ({ library: Library } & TagInfo) | undefined;

  protected readonly prov: FileProvenance;
  /** Tagged templates inlined into (or passed to) an outer statement: not sites of their own. */
  protected readonly consumed = new Set<ts.Node>();
  /** Numbers given to `$${n}` placeholders built by interpolation (`$901`, `$902` …). */
  protected paramNumbers = 1;
  protected readonly sites: { site: SqlSite; order: number; node?: ts.Node }[] = [];

  constructor(
    protected readonly path: string,
    protected readonly text: string,
    protected readonly sf: ts.SourceFile,
    protected readonly project: ProjectServices,
  ) {
    this.prov = fileProvenance(project, path, text, sf);
  }

  protected range(n: ts.Node): Range {
    return { start: n.getStart(this.sf), end: n.end };
  }

  protected isSqlTagTemplate(e: ts.Expression): e is ts.TaggedTemplateExpression {
    return ts.isTaggedTemplateExpression(e) && this.tagBinding(e) !== undefined;
  }

  // ---- Building SQL text from expressions

  /**
   * SQL pieces for an expression handed to a sink. `mode`: 'tag-only' accepts only sql-tag templates
   * (Prisma `$queryRaw(Prisma.sql…)`, slonik `pool.query(sql…)`); 'any' accepts strings, templates,
   * concatenations and constants too.
   */
  protected build(e: ts.Expression, mode: 'tag-only' | 'any', depth: number): Built | undefined {
    if (depth > MAX_CONST_DEPTH) return undefined;
    e = skipOuter(e);
    if (ts.isTaggedTemplateExpression(e)) {
      if (!this.isSqlTagTemplate(e)) return undefined;
      this.consumed.add(e);
      return this.buildTagged(e, depth);
    }
    if (ts.isIdentifier(e)) {
      const init = this.constInitializer(e);
      if (!init || this.appendedLater(e, init)) return undefined;
      return this.build(init, mode, depth + 1);
    }
    if (ts.isPropertyAccessExpression(e)) {
      const init = this.constProperty(e);
      return init ? this.build(init, mode, depth + 1) : undefined;
    }
    if (ts.isCallExpression(e)) {
      const appended = this.appendChain(e, depth);
      if (appended) return appended;
    }
    if (mode === 'tag-only') {
      // Prisma.raw('…') / sql.raw('…') handed to $queryRaw or a slonik method is raw SQL too.
      if (ts.isCallExpression(e)) {
        const raw = this.rawHelper(e, depth);
        if (Array.isArray(raw)) return { pieces: raw, range: this.range(e) };
      }
      return undefined;
    }
    // SQL text returned by a project function (`plans.fetchNextJob(schema)` in another file).
    if (ts.isCallExpression(e)) {
      const text = this.helperSql(e, depth);
      if (text) return { pieces: [{ kind: 'text', text, fileStart: e.getStart(this.sf), fileLength: e.end - e.getStart(this.sf) }], range: this.range(e) };
    }
    const pieces = this.constPieces(e, depth, 'inline');
    if (!pieces) return undefined;
    if (!pieces.some((p) => p.kind === 'text' && p.text.trim())) return undefined;
    return { pieces, range: this.range(e) };
  }

  /**
   * A sql-tag template extended by its append methods (AdapterSql.tag `appendMethods`):
   * `SQL\`UPDATE \`.append(table).append(SQL\` SET hash = ${h} WHERE id = ${id}\`)`. Appended templates and
   * constant text are read; anything else is a hole where it sits (here a table name).
   */
  protected appendChain(e: ts.CallExpression, depth: number): Built | undefined {
    const args: ts.Expression[] = [];
    const methods: string[] = [];
    let n: ts.Expression = e;
    while (ts.isCallExpression(n) && n.arguments.length === 1) {
      const c = skipOuter(n.expression);
      if (!ts.isPropertyAccessExpression(c)) return undefined;
      methods.push(c.name.text);
      args.unshift(n.arguments[0]);
      n = skipOuter(c.expression);
    }
    if (!args.length || !ts.isTaggedTemplateExpression(n)) return undefined;
    const tag = this.tagBinding(n);
    if (!tag?.appendMethods || !methods.every((m) => tag.appendMethods!.includes(m))) return undefined;
    const out = this.taggedPieces(n, depth + 1);
    if (!out) return undefined;
    this.consumed.add(n);
    const parts = args.map((a) => {
      const text = this.constString(a, depth + 1);
      if (text) return text;
      const f = this.fragment(a, depth + 1);
      return Array.isArray(f) ? f : undefined;
    });
    parts.forEach((p, i) => {
      if (p) out.push(...p);
      else out.push(this.stringHole(args[i], out, parts[i + 1] ?? [], 'name'));
    });
    return { pieces: out, range: this.range(e) };
  }

  /** A constant template whose value is appended to after its declaration (`query.append(…)`): its text is not the initializer's. */
  protected appendedLater(id: ts.Identifier, init: ts.Expression): boolean {
    let root = skipOuter(init);
    while (ts.isCallExpression(root) && ts.isPropertyAccessExpression(skipOuter(root.expression))) root = skipOuter((skipOuter(root.expression) as ts.PropertyAccessExpression).expression);
    if (!ts.isTaggedTemplateExpression(root)) return false;
    const methods = this.tagBinding(root)?.appendMethods;
    if (!methods?.length) return false;
    const d = this.prov.declarationOf(id);
    let found = false;
    const visit = (n: ts.Node): void => {
      if (found) return;
      if (ts.isPropertyAccessExpression(n) && methods.includes(n.name.text) && ts.isIdentifier(n.expression) && n.expression.text === id.text && this.prov.declarationOf(n.expression) === d) {
        found = true;
        return;
      }
      ts.forEachChild(n, visit);
    };
    visit(this.sf);
    return found;
  }

  /** The expression a project function returns, when it has one (an expression body, or a single `return`). */
  protected helperReturn(call: ts.CallExpression): { file: string; expr: ts.Expression } | undefined {
    const target = this.prov.callTarget(call);
    const body = target && (target.node as ts.FunctionLikeDeclaration).body;
    if (!target || !body) return undefined;
    if (!ts.isBlock(body)) return { file: target.file, expr: body };
    const returns: ts.ReturnStatement[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isReturnStatement(n)) returns.push(n);
      else if (!ts.isFunctionLike(n)) ts.forEachChild(n, visit);
    };
    ts.forEachChild(body, visit);
    return returns.length === 1 && returns[0].expression ? { file: target.file, expr: returns[0].expression } : undefined;
  }

  /**
   * The SQL text a project function returns, read in its own file: its parameters and other values become
   * `$n` (after any `$n` the text already has). The whole text maps onto the call in this file.
   */
  protected helperSql(call: ts.CallExpression, depth: number): string | undefined {
    if (depth > 3) return undefined;
    const ret = this.helperReturn(call);
    if (!ret) return undefined;
    const e = skipOuter(ret.expr);
    if (!ts.isStringLiteral(e) && !ts.isNoSubstitutionTemplateLiteral(e) && !ts.isTemplateExpression(e) && !(ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken)) return undefined;
    const text = ret.file === this.path ? this.text : this.project.fileText(ret.file);
    const sf = ret.file === this.path ? this.sf : this.project.tsAst(ret.file);
    if (text === undefined || !sf || ret.expr.getSourceFile() !== sf) return undefined;
    const other = ret.file === this.path ? this : this.builderFor(ret.file, text, sf);
    const pieces = other.constPieces(ret.expr, depth + 1, 'inline');
    if (!pieces) return undefined;
    let base = 0;
    for (const p of pieces) if (p.kind === 'text') for (const m of p.text.matchAll(/\$(\d+)/g)) base = Math.max(base, Number(m[1]));
    let k = base;
    const sql = pieces.map((p) => (p.kind === 'text' ? p.text : `$${++k}`)).join('');
    return looksLikeStatement(sql) ? sql : undefined;
  }

  /**
   * Pieces of a string-valued expression: literals, plain templates (interpolations of constants are inlined,
   * others become parameters), `+` concatenations and constants. Undefined when the expression holds no literal text.
   */
  protected constPieces(e: ts.Expression, depth: number, interp: 'inline'): Piece[] | undefined {
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
      // `${desc ? 'desc' : ''}`: both branches are text; the one that adds SQL makes the fuller statement,
      // and a branch we can read whole (`"name" ASC`) beats one built from interpolations.
      const a = this.constPieces(e.whenTrue, depth + 1, 'inline');
      const b = this.constPieces(e.whenFalse, depth + 1, 'inline');
      if (!a || !b) return undefined;
      const adds = (x: Piece[]): boolean => x.some((p) => p.kind === 'param' || p.text.trim());
      const known = (x: Piece[]): boolean => adds(x) && !x.some((p) => p.hole);
      if (known(a) !== known(b)) return known(a) ? a : b;
      return adds(a) ? a : b;
    }
    if (ts.isIdentifier(e)) {
      const init = this.constInitializer(e);
      if (init) return this.constPieces(init, depth + 1, 'inline');
      const imported = this.importedString(e);
      // The text of a constant from another file, mapped onto the name that brings it here.
      return imported === undefined ? undefined : [{ kind: 'text', text: imported, fileStart: e.getStart(this.sf), fileLength: e.getWidth(this.sf) }];
    }
    if (ts.isPropertyAccessExpression(e)) {
      const init = this.constProperty(e);
      return init ? this.constPieces(init, depth + 1, 'inline') : undefined;
    }
    return undefined;
  }

  /** `import { TASKS_TABLE } from './models'` where that file has `export const TASKS_TABLE = 'tasks'`: its text. */
  protected importedString(id: ts.Identifier): string | undefined {
    const d = this.prov.declarationOf(id);
    if (!d || !(ts.isImportSpecifier(d) || ts.isImportClause(d))) return undefined;
    const def = this.prov.definitionOf(id);
    const v = def?.node;
    if (!v || !ts.isVariableDeclaration(v) || !v.initializer) return undefined;
    if (!ts.isVariableDeclarationList(v.parent) || (v.parent.flags & ts.NodeFlags.Const) === 0) return undefined;
    let init: ts.Expression = v.initializer;
    while (ts.isAsExpression(init) || ts.isSatisfiesExpression(init) || ts.isParenthesizedExpression(init)) init = init.expression;
    return ts.isStringLiteral(init) || ts.isNoSubstitutionTemplateLiteral(init) ? init.text : undefined;
  }

  /**
   * An interpolation not resolved to constant text (holes.ts says what it stands for by where it sits):
   * a value becomes `$n`; a name a placeholder identifier spelling the expression (so the statement parses
   * and names nothing the schema knows); an optional clause or a fragment glued to another one is left
   * out; an unknown becomes `$n`. Each is marked as a hole of the site (SqlSite.holes).
   */
  protected stringHole(e: ts.Expression, before: Piece[], after: Piece[], forced?: 'name' | 'fragment'): Piece {
    const p = this.param(e);
    if (p.kind !== 'param') return p;
    const prev = textTail(before, 200);
    const next = textHead(after, 40);
    const pos = holePosition(prev, next);
    const dropped = (kind: HoleKind): Piece => ({ kind: 'text', text: '', fileStart: p.fileStart, fileLength: p.fileLength, hole: kind, expr: p.expr });
    if (pos === 'adjacent' || pos === 'clause' || pos === 'modifier') return dropped('fragment');
    // `$${values.length}`: the hole is the number of a bound parameter; a number the text does not use keeps it one.
    if (pos === 'param-number') return { kind: 'text', text: String(900 + (this.paramNumbers++ % 99)), fileStart: p.fileStart, fileLength: p.fileLength, hole: 'value', expr: p.expr };
    // `SET ${assignments}`: a placeholder assignment so the statement parses; the list itself is unknown.
    if (pos === 'assignments') return { kind: 'text', text: `"${p.expr.replace(/\W+/g, '_').slice(0, 40) || 'x'}" = NULL`, fileStart: p.fileStart, fileLength: p.fileLength, hole: 'name', expr: p.expr };
    if (forced === 'fragment' && pos !== 'value' && pos !== 'list') return dropped('fragment');
    if (pos === 'list') return { ...p, wrap: true, hole: forced ? 'unknown' : 'value' } as ParamPiece;
    // `insert into t ${sql(row)}`: columns and values the helper writes; DEFAULT VALUES keeps the statement an insert into t.
    if (pos === 'rows') return { kind: 'text', text: 'DEFAULT VALUES', fileStart: p.fileStart, fileLength: p.fileLength, hole: 'fragment', expr: p.expr };
    const expr = p.expr.replace(/\s+/g, '');
    const name = pos === 'name' || pos === 'name-part' || pos === 'quoted-name' || forced === 'name';
    if (name && expr) {
      // Inside quotes or glued to name characters, the hole is part of one name: spell it as name characters.
      const text =
        pos === 'name-part' || pos === 'quoted-name' ? expr.replace(/\W+/g, '_').toLowerCase().slice(0, 60) || 'x' : `"${expr.slice(0, 60).replace(/"/g, '""')}"`;
      return { kind: 'text', text, fileStart: p.fileStart, fileLength: p.fileLength, hole: 'name', expr: p.expr };
    }
    return { ...p, hole: pos === 'value' && !forced ? 'value' : 'unknown' };
  }

  /** Pieces of an expression whose whole value is known text (no parameters), or undefined. */
  protected constString(e: ts.Expression, depth: number): Piece[] | undefined {
    const p = this.constPieces(e, depth, 'inline');
    if (!p || p.some((x) => x.kind === 'param')) return undefined;
    return p;
  }

  /** The initializer of a `const` (or a never-reassigned binding we can see), for constant folding. */
  protected constInitializer(id: ts.Identifier): ts.Expression | undefined {
    const d = this.prov.declarationOf(id);
    if (!d || !ts.isVariableDeclaration(d) || !d.initializer) return undefined;
    const list = d.parent;
    if (!ts.isVariableDeclarationList(list) || (list.flags & ts.NodeFlags.Const) === 0) return undefined;
    // A constant used before its declaration in the same scope is a TDZ error at runtime; do not fold it.
    return d.initializer;
  }

  /** `QUERIES.getUser` where `const QUERIES = { getUser: '…' }`. */
  protected constProperty(e: ts.PropertyAccessExpression): ts.Expression | undefined {
    const obj = skipOuter(e.expression);
    if (!ts.isIdentifier(obj)) return undefined;
    const init = this.constInitializer(obj);
    const o = init && skipOuter(init);
    if (!o || !ts.isObjectLiteralExpression(o)) return undefined;
    return objProp(o, e.name.text);
  }

  protected param(e: ts.Expression): Piece {
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
  protected buildTagged(t: ts.TaggedTemplateExpression, depth: number): Built | undefined {
    const pieces = this.taggedPieces(t, depth);
    return pieces ? { pieces, range: this.range(t.template) } : undefined;
  }

  protected taggedPieces(t: ts.TaggedTemplateExpression, depth: number): Piece[] | undefined {
    if (depth > MAX_CONST_DEPTH) return undefined;
    const tpl = t.template;
    if (ts.isNoSubstitutionTemplateLiteral(tpl)) return this.literalPieces(tpl);
    const out: Piece[] = [];
    out.push(...this.templatePartPieces(tpl.head));
    for (const span of tpl.templateSpans) {
      const inner = this.fragment(span.expression, depth + 1);
      const after = this.templatePartPieces(span.literal);
      if (Array.isArray(inner)) out.push(...inner);
      // A driver binds values only: a hole in an identifier position is a name built elsewhere
      // (slonik `sql.identifier`, postgres.js `sql(name)` held in a variable); a helper known to splice
      // names or text, given what we cannot read, is a name or a fragment whatever its position.
      else out.push(this.stringHole(span.expression, out, after, inner?.forced));
      out.push(...after);
    }
    return out;
  }

  /**
   * An interpolation inside a sql tag that contributes SQL text rather than a value: its pieces, or
   * `forced` when a helper is known to splice a name or text but its argument is not constant.
   */
  protected fragment(e: ts.Expression, depth: number): Piece[] | { forced: 'name' | 'fragment' } | undefined {
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
        // A variable holding a fragment we could not read (`const where = cond ? sql\`…\` : other`); a conditional
        // with a literal branch (`const days = ok ? parsed : 90`) is a value: a fragment's other side is never a number.
        if (ts.isTaggedTemplateExpression(i) || (ts.isConditionalExpression(i) && !hasLiteralBranch(i))) return { forced: 'fragment' };
      }
      return this.tableRef(e);
    }
    if (ts.isConditionalExpression(e)) {
      // `${cond ? sql\`and x = ${y}\` : sql\`\`}`: inline the fragment that adds SQL, so the statement reads whole.
      const a = this.fragment(e.whenTrue, depth + 1);
      const b = this.fragment(e.whenFalse, depth + 1);
      if (Array.isArray(a) && Array.isArray(b)) {
        const aText = a.some((p) => p.kind === 'param' || p.text.trim());
        return aText ? a : b;
      }
      if (a || b) return { forced: 'fragment' };
      return undefined;
    }
    if (ts.isCallExpression(e)) return this.rawHelper(e, depth);
    if (ts.isPropertyAccessExpression(e)) {
      // A package export that adds no SQL (`Prisma.empty`).
      const v = this.prov.value(e);
      if (v?.kind === 'pkg' && adapters[v.library].sql.emptyFragment(v.name)) return [];
      return this.columnRef(e);
    }
    return undefined;
  }

  /**
   * Helpers that splice SQL text or identifiers into a template, as the adapters declare them
   * (AdapterSql.splice): `sql.raw('…')`, `Prisma.raw('…')`, `sql('table')`, `sql.identifier([...])`,
   * `sql.ref('t.c')` … Only constant arguments are spliced.
   */
  protected rawHelper(call: ts.CallExpression, depth: number): Piece[] | { forced: 'name' | 'fragment' } | undefined {
    const callee = skipOuter(call.expression);
    const arg = call.arguments[0];
    if (!arg) return undefined;
    let splice: Splice | undefined;
    if (ts.isPropertyAccessExpression(callee)) {
      const v = this.prov.value(callee);
      if (v?.kind === 'pkg') splice = adapters[v.library].sql.splice({ kind: 'export', name: v.name });
      if (!splice) {
        const base = this.prov.resolve(callee.expression);
        if (base) splice = adapters[base.library].sql.splice({ kind: 'method', binding: base, method: callee.name.text });
      }
    } else {
      const b = this.prov.resolve(callee);
      if (b) splice = adapters[b.library].sql.splice({ kind: 'call', binding: b, argCount: call.arguments.length });
    }
    if (!splice) return undefined;
    if (splice.kind === 'text') return this.constString(arg, depth + 1) ?? { forced: 'fragment' };
    const a = skipOuter(arg);
    if (splice.list && ts.isArrayLiteralExpression(a)) {
      const parts = a.elements.map((x) => this.constString(x, depth + 1));
      if (parts.some((p) => !p)) return { forced: 'name' };
      const out: Piece[] = [];
      parts.forEach((p, i) => {
        if (i) out.push({ kind: 'text', text: '.', fileStart: a.elements[i].getStart(this.sf), fileLength: 0 });
        out.push(...identPieces(p as Piece[], false));
      });
      return out;
    }
    const s = this.constString(a, depth + 1);
    return s ? identPieces(s, splice.dotted) : { forced: 'name' };
  }

  /** A table object interpolated into a template renders as its quoted name (AdapterSql.tableOf). */
  protected tableRef(e: ts.Identifier): Piece[] | undefined {
    const b = this.prov.resolve(e);
    const table = b && adapters[b.library].sql.tableOf(b);
    if (!table) return undefined;
    return [{ kind: 'text', text: quoteIdent(table), fileStart: e.getStart(this.sf), fileLength: e.end - e.getStart(this.sf) }];
  }

  /** A column of a table object (`users.email`) renders as `"users"."email"`, by its database name. */
  protected columnRef(e: ts.PropertyAccessExpression): Piece[] | undefined {
    const obj = skipOuter(e.expression);
    if (!ts.isIdentifier(obj)) return undefined;
    const b = this.prov.resolve(obj);
    const table = b && adapters[b.library].sql.tableOf(b);
    if (!b || !table) return undefined;
    const def = this.prov.definitionOf(obj);
    const col = def && adapters[b.library].sql.columnOf(def, e.name.text);
    if (!col) return undefined;
    const start = e.getStart(this.sf);
    return [{ kind: 'text', text: `${quoteIdent(table)}.${quoteIdent(col)}`, fileStart: start, fileLength: e.end - start }];
  }

  // ---- Literal text with exact offsets

  protected literalPieces(lit: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral): Piece[] {
    const start = lit.getStart(this.sf);
    const q = this.text[start];
    const end = lit.end > start + 1 && this.text[lit.end - 1] === q ? lit.end - 1 : lit.end;
    return cook(this.text, start + 1, end, q === '`');
  }

  protected templatePartPieces(part: ts.TemplateHead | ts.TemplateMiddle | ts.TemplateTail): Piece[] {
    const start = part.getStart(this.sf);
    // Head starts with '`', middle and tail with '}'; head and middle end with '${', tail with '`'.
    let end = part.end;
    if (ts.isTemplateTail(part)) {
      if (this.text[end - 1] === '`') end -= 1;
    } else if (this.text.slice(end - 2, end) === '${') end -= 2;
    return cook(this.text, start + 1, end, true);
  }

  /** What an adapter's placeholder rewriting may use. */
  protected get bindKit(): BindKit {
    return { sf: this.sf, constString: (e) => this.constString(e, 1) };
  }

  // ---- Output

  protected order = 0;
}

/** Whether a conditional has a branch that is a literal value (a number, a string, true/false/null/undefined): what it yields into a sql tag is then a value. */
function hasLiteralBranch(e: ts.ConditionalExpression): boolean {
  return [e.whenTrue, e.whenFalse].some((b) => {
    const x = skipOuter(b);
    return (
      ts.isNumericLiteral(x) ||
      ts.isStringLiteral(x) ||
      ts.isNoSubstitutionTemplateLiteral(x) ||
      (ts.isPrefixUnaryExpression(x) && ts.isNumericLiteral(x.operand)) ||
      x.kind === ts.SyntaxKind.TrueKeyword ||
      x.kind === ts.SyntaxKind.FalseKeyword ||
      x.kind === ts.SyntaxKind.NullKeyword ||
      (ts.isIdentifier(x) && x.text === 'undefined')
    );
  });
}
