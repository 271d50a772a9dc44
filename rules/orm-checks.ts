/**
 * The ORM half of `over-fetching`: the rule module calls it for TypeScript
 * files so the rule stays one module with one id. It reads QuerySites
 * (engine/sources/orm.ts), never imports.
 *
 * A read with no column selection (Prisma without `select`,
 * TypeORM without `select`, Sequelize without `attributes`, Knex/Drizzle
 * `select()` of everything, Kysely `selectAll()`) whose result the code then
 * reads only some fields of, or whose table has large columns (json/jsonb/
 * bytea …) the code never reads. When the rows escape (returned, passed on,
 * spread, serialised) the caller may need every column: no finding.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import type { RuleContext } from '../engine/context';
import { isLargeType, typeWidth } from '../engine/model';
import { findColumn, type ColumnInfo } from '../engine/schema/types';
import { findNode } from '../engine/sources/call-graph';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix, RelatedLocation } from '../engine/types';

/** At most this share of the columns read (and no large column skipped) is fine; more unused is over-fetching. */
const USED_FRACTION = 0.5;

const unwrapExpr = (e: ts.Expression): ts.Expression => {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isAwaitExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  return e;
};

/** The expression whose value is the query's result (`await q`, `q` itself), climbing through awaits and parens. */
function resultHolder(node: ts.Node): ts.Node {
  let n = node;
  while (n.parent && (ts.isAwaitExpression(n.parent) || ts.isParenthesizedExpression(n.parent) || ts.isAsExpression(n.parent) || ts.isNonNullExpression(n.parent))) n = n.parent;
  return n;
}

interface FieldUse {
  /** Fields read; undefined when the rows escape (any use we cannot account for). */
  fields?: Set<string>;
}

/** How a row value (identifier `row`) is used in `scope`: field reads only, or it escapes. */
function rowFieldUses(ident: string, scope: ts.Node, decl: ts.Node, out: Set<string>): boolean {
  let ok = true;
  const visit = (n: ts.Node): void => {
    if (!ok) return;
    if (ts.isIdentifier(n) && n.text === ident && n !== (decl as ts.NamedDeclaration).name && !isPropertyName(n)) {
      const p = n.parent;
      if ((ts.isPropertyAccessExpression(p) && p.expression === n) ) {
        out.add(p.name.text);
      } else if (ts.isElementAccessExpression(p) && p.expression === n && ts.isStringLiteral(p.argumentExpression)) {
        out.add(p.argumentExpression.text);
      } else if (ts.isBinaryExpression(p) && (p.operatorToken.kind === ts.SyntaxKind.EqualsEqualsEqualsToken || p.operatorToken.kind === ts.SyntaxKind.ExclamationEqualsEqualsToken || p.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || p.operatorToken.kind === ts.SyntaxKind.BarBarToken) && p.left === n) {
        // `if (!row)`, `row === null`: a presence check reads no column.
      } else if (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken) {
        /* presence check */
      } else if (ts.isIfStatement(p) || ts.isConditionalExpression(p)) {
        /* presence check */
      } else if (ts.isVariableDeclaration(p) && p.initializer === n && ts.isObjectBindingPattern(p.name)) {
        for (const el of p.name.elements) {
          if (el.dotDotDotToken) ok = false;
          const key = el.propertyName ? el.propertyName.getText() : ts.isIdentifier(el.name) ? el.name.text : undefined;
          if (key) out.add(key);
          else ok = false;
        }
      } else {
        ok = false;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return ok;
}

function isPropertyName(n: ts.Identifier): boolean {
  const p = n.parent;
  return (ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n) || (ts.isBindingElement(p) && p.propertyName === n) || ts.isPropertySignature(p) || ts.isMethodDeclaration(p);
}

const ARRAY_ELEMENT_METHODS = /^(map|forEach|filter|find|some|every|flatMap|findIndex|sort)$/;

/** How a collection of rows (identifier `rows`) is used: element field reads through for…of and array callbacks, `.length`. */
function rowsFieldUses(ident: string, scope: ts.Node, decl: ts.Node, out: Set<string>): boolean {
  let ok = true;
  const visit = (n: ts.Node): void => {
    if (!ok) return;
    if (ts.isIdentifier(n) && n.text === ident && n !== (decl as ts.NamedDeclaration).name && !isPropertyName(n)) {
      const p = n.parent;
      if (ts.isPropertyAccessExpression(p) && p.expression === n) {
        const m = p.name.text;
        const call = p.parent;
        if (m === 'length') {
          /* counts rows, reads no column */
        } else if (ARRAY_ELEMENT_METHODS.test(m) && ts.isCallExpression(call) && call.expression === p) {
          const cb = call.arguments[0];
          if (cb && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb))) {
            const param = cb.parameters[m === 'sort' ? 0 : 0];
            if (param && ts.isIdentifier(param.name)) {
              if (!rowFieldUses(param.name.text, cb.body, param, out)) ok = false;
              if (m === 'sort') {
                const p2 = cb.parameters[1];
                if (p2 && ts.isIdentifier(p2.name) && !rowFieldUses(p2.name.text, cb.body, p2, out)) ok = false;
              }
            } else if (param && ts.isObjectBindingPattern(param.name)) {
              for (const el of param.name.elements) {
                if (el.dotDotDotToken) ok = false;
                const key = el.propertyName ? el.propertyName.getText() : ts.isIdentifier(el.name) ? el.name.text : undefined;
                if (key) out.add(key);
              }
            } else ok = false;
            // The callback's result escapes unless it is a projection of fields (map) or a boolean.
            if (m === 'filter' || m === 'find' || m === 'sort') {
              // Returns rows: used further; follow only when assigned to nothing we track → conservative.
              if (!isDiscardedOrFieldRead(call)) ok = false;
            }
          } else ok = false;
        } else {
          ok = false;
        }
      } else if (ts.isForOfStatement(p) && p.expression === n) {
        const init = p.initializer;
        if (ts.isVariableDeclarationList(init) && init.declarations[0]) {
          const d = init.declarations[0];
          if (ts.isIdentifier(d.name)) {
            if (!rowFieldUses(d.name.text, p.statement, d, out)) ok = false;
          } else if (ts.isObjectBindingPattern(d.name)) {
            for (const el of d.name.elements) {
              if (el.dotDotDotToken) ok = false;
              const key = el.propertyName ? el.propertyName.getText() : ts.isIdentifier(el.name) ? el.name.text : undefined;
              if (key) out.add(key);
            }
          } else ok = false;
        } else ok = false;
      } else if (ts.isElementAccessExpression(p) && p.expression === n && ts.isPropertyAccessExpression(p.parent) && p.parent.expression === p) {
        out.add(p.parent.name.text);
      } else {
        ok = false;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return ok;
}

function isDiscardedOrFieldRead(call: ts.CallExpression): boolean {
  const p = call.parent;
  return ts.isExpressionStatement(p) || (ts.isPropertyAccessExpression(p) && p.name.text === 'length');
}

/** Fields of the result the code reads, or undefined when the result escapes or is not held in a variable. */
function usedFields(site: QuerySite, node: ts.Node): FieldUse {
  const holder = resultHolder(node);
  const p = holder.parent;
  if (!p || !ts.isVariableDeclaration(p) || p.initializer !== holder) return {};
  let fn: ts.Node | undefined = p.parent;
  while (fn && !ts.isFunctionLike(fn) && !ts.isSourceFile(fn)) fn = fn.parent;
  if (!fn) return {};
  const body = ts.isSourceFile(fn) ? fn : (fn as ts.FunctionLikeDeclaration).body;
  if (!body) return {};
  const out = new Set<string>();
  const many = !adapterOf(site.library).orm.readsOneRow(site, node);
  if (ts.isObjectBindingPattern(p.name)) {
    if (many) return {};
    for (const el of p.name.elements) {
      if (el.dotDotDotToken) return {};
      const key = el.propertyName ? el.propertyName.getText() : ts.isIdentifier(el.name) ? el.name.text : undefined;
      if (!key) return {};
      out.add(key);
    }
    return { fields: out };
  }
  if (!ts.isIdentifier(p.name)) return {};
  const ok = many ? rowsFieldUses(p.name.text, body, p, out) : rowFieldUses(p.name.text, body, p, out);
  return ok ? { fields: out } : {};
}

function rowWidth(ctx: RuleContext, cols: ColumnInfo[]): number {
  let w = 0;
  for (const c of cols) w += typeWidth(c.type, ctx.model.params);
  return w;
}

/** The object-literal argument of the query call that holds its options, if any. */
function optionsArg(node: ts.Node, site: QuerySite): ts.ObjectLiteralExpression | undefined {
  if (!ts.isCallExpression(node)) return undefined;
  const args = node.arguments;
  const a = args[adapterOf(site.library).rules.optionsArgIndex(node)];
  return a && ts.isObjectLiteralExpression(a) ? a : undefined;
}

function hasProp(o: ts.ObjectLiteralExpression | undefined, names: string[]): boolean {
  return !!o?.properties.some((p) => p.name && ts.isIdentifier(p.name) && names.includes(p.name.text));
}

/** An explicit column selection, in the library's syntax, built from the fields read. */
function selectionFix(ctx: RuleContext, site: QuerySite, node: ts.Node, fields: string[]): Fix | undefined {
  if (!ts.isCallExpression(node) || !fields.length) return undefined;
  const file = ctx.file.path;
  const opts = optionsArg(node, site);
  const insertOption = (key: string, value: string): Fix | undefined => {
    if (opts) {
      const at = opts.getStart() + 1;
      const sep = opts.properties.length ? ',' : '';
      return { title: `Select only ${fields.join(', ')}`, safety: 'suggestion', edits: [{ file, range: { start: at, end: at }, newText: ` ${key}: ${value}${sep}` }] };
    }
    if (node.arguments.length === 0) {
      const at = node.getEnd() - 1;
      return { title: `Select only ${fields.join(', ')}`, safety: 'suggestion', edits: [{ file, range: { start: at, end: at }, newText: `{ ${key}: ${value} }` }] };
    }
    return undefined;
  };
  return adapterOf(site.library).rules.selectColumns({ site, node, fields, file, insertOption });
}

export function checkOrmOverFetching(ctx: RuleContext): void {
  const sf = ctx.tsAst();
  if (!sf) return;
  for (const site of ctx.querySites()) {
    if (site.kind !== 'read' || !site.executes || site.selects !== '*' || site.sql) continue;
    const table = site.table ? ctx.table(site.table) : undefined;
    if (!table || table.columns.size < 2) continue;
    const node = findNode(sf, site.range);
    if (!node) continue;
    // Relations loaded alongside (include/with/relations) make the row shape more than the table's columns.
    const opts = optionsArg(node, site);
    if (hasProp(opts, ['include', 'with', 'relations', 'omit', 'attributes', 'select', 'columns', 'raw'])) continue;
    const use = usedFields(site, node);
    if (!use.fields || use.fields.size === 0) continue;
    const usedCols: ColumnInfo[] = [];
    let unknown = false;
    for (const f of use.fields) {
      const c = findColumn(table, f) ?? findColumn(table, snake(f));
      if (c) usedCols.push(c);
      else unknown = true;
    }
    // A field the table does not have (a relation, a computed getter): we do not know the row shape.
    if (unknown) continue;
    const all = [...table.columns.values()];
    const unused = all.filter((c) => !usedCols.includes(c));
    const largeUnused = unused.filter((c) => isLargeType(c.type));
    if (!largeUnused.length && usedCols.length > all.length * USED_FRACTION) continue;
    if (!unused.length) continue;
    const bytesAll = rowWidth(ctx, all);
    const bytesUsed = rowWidth(ctx, usedCols);
    const rows = site.limit !== undefined ? { value: site.limit, source: 'code' as const, note: 'take/limit of the query' } : { value: ctx.model.params.defaultMatchingRows, source: 'default' as const, note: 'rows returned unknown; set model.defaultMatchingRows or add take/limit' };
    const estimate = ctx.model.overFetch(rows, bytesAll, bytesUsed, { columnsFetched: all.length, columnsUsed: usedCols.length, tableRows: ctx.tableRows(table).value });
    if (!(estimate.currentMs > estimate.fixedMs)) continue;
    const fieldNames = [...use.fields];
    const largeText = largeUnused.length ? `, including large ${largeUnused.map((c) => `\`${c.name}\` (${c.type})`).join(', ')}` : '';
    const related: RelatedLocation[] = [];
    if (table.definedAt) related.push({ file: table.definedAt.file, range: table.definedAt.range, message: `${table.name} defined here` });
    const fix = selectionFix(ctx, site, node, fieldNames);
    ctx.report({
      message: `\`${site.operation}\` on \`${table.name}\` fetches all ${all.length} columns but the code reads only ${fieldNames.map((f) => `\`${f}\``).join(', ')}; ${unused.length} unused${largeText}. Select the fields you use.`,
      range: site.range,
      related,
      estimate,
      fixes: fix ? [fix] : [],
    });
  }
}

export function snake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}
