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
 * spread, serialised) the caller may need every column: no finding. A read that
 * loads relations beside its row is judged only where the adapter names them
 * (AdapterRules.loadedRelations: Prisma `include`).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import type { RuleContext } from '../engine/context';
import { isLargeType, isLongText, typeWidth } from '../engine/model';
import { findColumn, type ColumnInfo, type TableInfo } from '../engine/schema/types';
import { findNode, resolveCallee } from '../engine/sources/call-graph';
import { callersOf, privateMethodCallers } from '../engine/sources/callers';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix, RelatedLocation } from '../engine/types';
import { type FieldUse, type HandOff, fieldsRead, keyColumns, keyOnlyWorthIt, overFetchVerdict, resultHolder } from './row-use';


/** Fields of the result the code reads, or undefined when the result escapes or is not held in a variable. */
function usedFields(ctx: RuleContext, site: QuerySite, node: ts.Node, handOff: HandOff): FieldUse {
  return fieldsRead(resultHolder(node), !adapterOf(site.library).orm.readsOneRow(site, node), handOff);
}

/** A function declaration with `export`, or the `const` an exported variable statement declares it by. */
function isExported(fn: ts.SignatureDeclaration): boolean {
  const exported = (n: ts.Node): boolean => !!ts.canHaveModifiers(n) && !!ts.getModifiers(n)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  if (ts.isFunctionDeclaration(fn) && exported(fn)) return true;
  const decl = fn.parent;
  if (ts.isVariableDeclaration(decl) && ts.isVariableDeclarationList(decl.parent) && ts.isVariableStatement(decl.parent.parent) && exported(decl.parent.parent)) return true;
  // `export { f }`, `export default f` elsewhere in the file.
  const name = ts.isFunctionDeclaration(fn) ? fn.name?.text : ts.isVariableDeclaration(decl) && ts.isIdentifier(decl.name) ? decl.name.text : undefined;
  if (!name) return true;
  return fn.getSourceFile().statements.some(
    (st) =>
      (ts.isExportDeclaration(st) && !!st.exportClause && ts.isNamedExports(st.exportClause) && st.exportClause.elements.some((el) => (el.propertyName ?? el.name).text === name)) ||
      (ts.isExportAssignment(st) && ts.isIdentifier(st.expression) && st.expression.text === name),
  );
}

/** `any` or `any[]`. */
function isAnyType(t: ts.TypeNode): boolean {
  return t.kind === ts.SyntaxKind.AnyKeyword || (ts.isArrayTypeNode(t) && t.elementType.kind === ts.SyntaxKind.AnyKeyword);
}

/**
 * Project functions a row is handed to, resolved through the call graph, with the body that reads their parameter;
 * and the callers of a function a row is returned from (a private method: its calls in its class; a function that
 * is not exported and whose every reference in the project is a call in this file). `declaredReturnsAsserted`: raw SQL, whose rows a
 * declared return type only asserts.
 */
export function handOffIn(ctx: RuleContext, declaredReturnsAsserted = false): HandOff {
  const handOff: HandOff = (call, i) => {
    if (i < 0) return undefined;
    const ref = resolveCallee(ctx.project, ctx.file.path, call);
    const param = ref?.node.parameters[i];
    const body = ref && (ref.node as ts.FunctionLikeDeclaration).body;
    // A parameter declared with a type (`ticket: Ticket`) is followed too, and noted (typedParams): a narrower
    // selection compiles only once that type is narrowed as well.
    if (!param || !body) return undefined;
    const fn = ref.node;
    const name = fn.name && (ts.isIdentifier(fn.name) || ts.isPrivateIdentifier(fn.name)) ? fn.name.text : ts.isVariableDeclaration(fn.parent) ? fn.parent.name.getText() : 'a function';
    return { param, body, name, typed: !!param.type && !isAnyType(param.type) };
  };
  handOff.typedParams = [];
  handOff.declaredReturnsAsserted = declaredReturnsAsserted;
  handOff.callers = (fn) => {
    if (ts.isMethodDeclaration(fn)) return privateMethodCallers(fn);
    // An exported function may be called from anywhere (another package, a test, a framework): not followed.
    if (isExported(fn)) return undefined;
    const calls = callersOf(ctx.project, ctx.file.path, fn);
    // Callers in other files would make this file's finding depend on theirs: only this file's are read.
    return calls?.every((c) => c.file === ctx.file.path) ? calls.map((c) => c.call) : undefined;
  };
  return handOff;
}

/**
 * Column sizes as over-fetching counts them, for the columns of `tables`: by type, except a text column the
 * project's code parses as JSON (RuleContext.isJsonText), which is a large column like jsonb.
 */
export interface ColumnSizes {
  width(c: ColumnInfo): number;
  large(c: ColumnInfo): boolean;
  /** How a large column's type reads in a message. */
  typeText(c: ColumnInfo): string;
}

export function columnSizes(ctx: RuleContext, tables: readonly TableInfo[]): ColumnSizes {
  const params = ctx.model.params;
  const json = new Set<ColumnInfo>();
  const long = new Set<ColumnInfo>();
  const encoded = new Set<ColumnInfo>();
  for (const t of tables) {
    for (const c of t.columns.values()) {
      if (isLargeType(c.type)) continue;
      if (ctx.isJsonText(t, c)) json.add(c);
      else if (ctx.isEncodedText(c)) encoded.add(c);
      // A document-named text column (engine/model isLongText), unless the stats snapshot measured it short.
      else if (isLongText(c) && !((t.stats?.columns?.[c.name]?.avgWidth ?? Infinity) < params.largeColumnBytes / 4)) long.add(c);
    }
  }
  return {
    width: (c) => (json.has(c) || encoded.has(c) ? params.largeColumnBytes : long.has(c) ? params.largeColumnBytes / 2 : typeWidth(c.type, params)),
    large: (c) => isLargeType(c.type) || json.has(c) || long.has(c) || encoded.has(c),
    typeText: (c) => (json.has(c) ? `${c.type} holding JSON: the code JSON.parse's it` : encoded.has(c) ? `${c.type} holding base64: the code writes encoded data into it` : long.has(c) ? `long ${c.type}` : c.type),
  };
}

function rowWidth(sizes: ColumnSizes, cols: ColumnInfo[]): number {
  let w = 0;
  for (const c of cols) w += sizes.width(c);
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
function selectionFix(ctx: RuleContext, site: QuerySite, node: ts.Node, fields: string[], relations: string[] = []): Fix | undefined {
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
  return adapterOf(site.library).rules.selectColumns({ site, node, fields, file, insertOption, relations });
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
    // Relations loaded alongside (include/with/relations) make the row shape more than the table's columns: judged
    // only where the library says which relations they are and that the row itself still comes whole (Prisma
    // `include`, Drizzle `with` without `columns`, TypeORM `relations` without `select`); reads of those relations
    // are then not reads of the row's columns.
    const opts = optionsArg(node, site);
    if (hasProp(opts, ['omit', 'attributes', 'select', 'columns'])) continue;
    // Prisma `include`, Drizzle `with`, TypeORM `relations`: the adapter names the relations, or undefined (not judged).
    const relations = hasProp(opts, ['include', 'with', 'relations']) && ts.isCallExpression(node) ? adapterOf(site.library).rules.loadedRelations(node) : [];
    if (!relations) continue;
    const handOff = handOffIn(ctx);
    const use = usedFields(ctx, site, node, handOff);
    const all = [...table.columns.values()];
    const sizes = columnSizes(ctx, [table]);
    const read = use.fields && new Set([...use.fields].filter((f) => !relations.includes(f)));
    const relRead = use.fields ? [...use.fields].filter((f) => relations.includes(f)) : [];
    // Only included relations read: none of the row's own columns is, like a presence check (its key is kept, and
    // only large types and long text count); the relations come as before.
    const v = overFetchVerdict(all, read, (f) => findColumn(table, f) ?? findColumn(table, snake(f)), keyColumns(table), sizes.large);
    if (!v.report) continue;
    const { usedCols, unused, largeUnused } = v;
    const bytesAll = rowWidth(sizes, all);
    const bytesUsed = rowWidth(sizes, usedCols);
    const rows = site.limit !== undefined ? { value: site.limit, source: 'code' as const, note: 'take/limit of the query' } : { value: ctx.model.params.defaultMatchingRows, source: 'default' as const, note: 'rows returned unknown; set model.defaultMatchingRows or add take/limit' };
    const estimate = ctx.model.overFetch(rows, bytesAll, bytesUsed, { columnsFetched: all.length, columnsUsed: usedCols.length, tableRows: ctx.tableRows(table).value });
    if (!(estimate.currentMs > estimate.fixedMs) || !keyOnlyWorthIt(v, estimate, ctx.config.minSavingMs)) continue;
    // Code the project never runs costs nothing (engine/sources/dead-code.ts).
    if (ctx.deadCode(site.range)) continue;
    const fieldNames = v.noField ? usedCols.map((c) => c.fieldName ?? c.name) : [...read!];
    const alsoRel = relRead.length ? ` (besides the included ${relRead.map((f) => `\`${f}\``).join(', ')})` : '';
    const reads = v.noField && relRead.length
      ? `reads none of its own columns, only the included ${relRead.map((f) => `\`${f}\``).join(', ')}`
      : (v.noField ? 'reads no field of it (only whether rows came back, or how many)' : `reads only ${fieldNames.map((f) => `\`${f}\``).join(', ')}`) + alsoRel;
    const largeText = largeUnused.length ? `, including large ${largeUnused.map((c) => `\`${c.name}\` (${sizes.typeText(c)})`).join(', ')}` : '';
    const related: RelatedLocation[] = [];
    if (table.definedAt) related.push({ file: table.definedAt.file, range: table.definedAt.range, message: `${table.name} defined here` });
    // Rows handed to a parameter declared with a type: a selection compiles only once that type is narrowed too.
    const typed = handOff.typedParams ?? [];
    const fix = typed.length ? undefined : selectionFix(ctx, site, node, fieldNames, relations);
    const narrow = typed.length ? ` and narrow the parameter type${typed.length > 1 ? 's' : ''} of ${typed.map((t) => `\`${t}\``).join(', ')} to those fields (\`Pick<…>\`)` : '';
    ctx.report({
      message: `\`${site.operation}\` on \`${table.name}\` fetches all ${all.length} columns but the code ${reads}; ${unused.length} unused${largeText}. Select the fields you use${narrow}.`,
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
