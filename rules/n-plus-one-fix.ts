/**
 * The mechanical batched forms of an N+1, one shared "hoist a batched lookup"
 * rewrite with a small per-library part: the fix templates of the site's
 * adapter (AdapterRules.batchedRead/batchedWrite/insertRowsCall).
 *
 * Reads: the loop `for (const el of coll) { … await Q(el.f) … }` (or
 * `coll.map(async (el) => …)` under `Promise.all`) becomes
 *
 *     const ordersByUserId = <one batched query over coll.map((el) => el.f)>, as a Map;
 *     for (const el of coll) { … ordersByUserId.get(el.f) … }
 *
 * A Map of rows when the key column is unique (primary key / unique index,
 * from the schema) and the query reads at most one row per key; a Map of row
 * arrays when the query reads many rows per key; no fix for a single-row read
 * on a non-unique key (which row would be "first" is the query's business).
 *
 * Writes: when the per-element body is the write alone and the batched form
 * exists (`createMany`, `updateMany` with `in`, `inArray`, `whereIn`,
 * `= ANY($1)`), the whole loop statement is replaced by one awaited write.
 *
 * Every fix is a 'suggestion': it moves code. It is offered only where the
 * rewrite is purely syntactic: the key comes from the element, appears once,
 * nothing else in the query depends on the loop, the collection is a plain
 * reference (evaluated twice), the enclosing function is async and no other
 * per-element loop encloses the new statement, and no failure is handled per
 * element (allSettled, try, .catch): a batch fails for all elements at once.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import { chainCalls, KEYS, keyExpression, methodOf, unparen, whole } from '../engine/adapters/kit/fix';
import type { Batched, FixPiece } from '../engine/adapters/types';
import type { RuleContext } from '../engine/context';
import type { TableInfo } from '../engine/schema/types';
import { BATCH_RUNNER_METHODS } from '../engine/adapters';
import { CallGraph, findNode } from '../engine/sources/call-graph';
import { collectionFirstCallback, enclosingIterations, type IterationScope } from '../engine/sources/iteration';
import { fileProvenance } from '../engine/sources/provenance';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix, TextEdit } from '../engine/types';
import { createdNote, prefetchFix, setsOwnKey } from './n-plus-one-prefetch-fix';

/** `users`, `this.users`, `order.items`: evaluating it twice is harmless. */
export function isPlainRef(e: ts.Expression): boolean {
  e = unparen(e);
  if (ts.isIdentifier(e) || e.kind === ts.SyntaxKind.ThisKeyword) return true;
  return ts.isPropertyAccessExpression(e) && !e.questionDotToken && ts.isIdentifier(e.name) && isPlainRef(e.expression);
}

/** Uses of the element variable inside `node` (property names excluded; shorthand `{ id }` included). */
export function elementUses(node: ts.Node, el: string): ts.Identifier[] {
  const out: ts.Identifier[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && n.text === el) {
      const p = n.parent;
      const isName =
        (ts.isPropertyAccessExpression(p) && p.name === n) ||
        (ts.isPropertyAssignment(p) && p.name === n) ||
        (ts.isMethodDeclaration(p) && p.name === n) ||
        (ts.isBindingElement(p) && p.propertyName === n);
      if (!isName) out.push(n);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

// ---------------------------------------------------------------------------
// Shared machinery

export function render(node: ts.Node, pieces: FixPiece[], keys: string): string {
  const base = node.getStart();
  let text = node.getText();
  for (const p of [...pieces].sort((a, b) => b.start - a.start)) {
    text = text.slice(0, p.start - base) + p.text.split(KEYS).join(keys) + text.slice(p.end - base);
  }
  return text;
}

/**
 * Is `column` unique among the rows the read's other filters keep: a primary key or unique index (no predicate) over it
 * and columns each of which the read compares for equality to one value (`where: { orgId, name }` against
 * `@@unique([name, orgId])`)? A filter to null does not count (NULLs are distinct in a unique index), nor a value read
 * as a property this file declares optional or nullable (an undefined filter is dropped by the library).
 */
function uniqueAmongFilters(table: TableInfo | undefined, column: string, filters: { field: string; value: string }[] | undefined, sf: ts.SourceFile): boolean {
  const col = columnOf(table, column);
  if (!table || !col || !filters?.length) return false;
  const fixed = new Set<string>([col.name]);
  for (const f of filters) {
    const c = columnOf(table, f.field);
    const last = /([\w$]+)$/.exec(f.value)?.[1] ?? '';
    if (!c || /^(null|undefined)$/.test(f.value) || declaredAbsent(sf, last)) continue;
    fixed.add(c.name);
  }
  return table.indexes.some((i) => (i.kind === 'primary' || i.kind === 'unique') && !i.predicate && i.keys.length > 1 && i.keys.every((k) => !!k.column && fixed.has(k.column)) && i.keys.some((k) => k.column === col.name));
}

/** Is `column` (as written) alone the key of a primary key or unique index without predicate? */
function isUniqueColumn(table: TableInfo | undefined, column: string): boolean {
  if (!table) return false;
  const snake = column.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const col = [...table.columns.values()].find((c) => c.name === column || c.fieldName === column || c.name === snake);
  if (!col) return false;
  return table.indexes.some((i) => (i.kind === 'primary' || i.kind === 'unique') && !i.predicate && i.keys.length === 1 && i.keys[0].column === col.name);
}

function columnOf(table: TableInfo | undefined, column: string) {
  if (!table) return undefined;
  const snake = column.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return [...table.columns.values()].find((c) => c.name === column || c.fieldName === column || c.name === snake);
}

/**
 * How keys compare in a Map: 'skip' for types read back as objects (dates,
 * times, Prisma Decimal/Json), 'string' where the driver returns a string
 * (a raw driver returns int8/numeric as text) or the type is unknown, else 'plain'.
 */
function keyKind(library: QuerySite['library'], table: TableInfo | undefined, column: string): 'plain' | 'string' | 'skip' {
  const type = columnOf(table, column)?.type.toLowerCase();
  if (type && /date|time|interval|json|bytea|point|\[\]/.test(type)) return 'skip';
  // Typed rows (numbers stay numbers, decimals come back as objects).
  if (adapterOf(library).rules.typedRowKeys) return type && /numeric|decimal|money/.test(type) ? 'skip' : 'plain';
  if (!type || /^(bigint|int8|bigserial|serial8|numeric|decimal|money)/.test(type)) return 'string';
  return 'plain';
}

/** The names of the tables a read loads or filters through relations (AdapterRules.loadedTables), when all are known. */
function loadedTablesOf(ctx: RuleContext, site: QuerySite): string[] | undefined {
  const sf = ctx.tsAst();
  const call = sf && findNode(sf, site.range);
  const table = site.table ? ctx.table(site.table) : undefined;
  if (!call || !ts.isCallExpression(call) || !table) return undefined;
  return adapterOf(site.library).rules.loadedTables(call, table, ctx.schema)?.map((t) => t.name);
}

/**
 * Does the loop write what the read reads, or change the collection, so that reading before it could see
 * other rows? A write to another table does not, unless the read also loads relations (`include`, `with`,
 * `relations`, a join) or either table is unknown.
 */
export function loopChangesData(ctx: RuleContext, site: QuerySite, scope: IterationScope, coll: string, known: QuerySite[] = []): boolean {
  const { start, end } = scope.range;
  const readText = ctx.file.text.slice(site.range.start, site.range.end);
  const related = /\b(include|with|relations|join|innerJoin|leftJoin|rightJoin|fullJoin|leftJoinAndSelect|innerJoinAndSelect)\b/.test(readText);
  // The tables the read loads or filters through relations, when its adapter knows all of them: a write of another table changes nothing it reads.
  const loaded = related ? loadedTablesOf(ctx, site) : undefined;
  const sameData = (s: QuerySite): boolean => (related && !loaded) || !s.table || !site.table || s.table === site.table || !!loaded?.includes(s.table);
  const writes = (s: QuerySite): boolean => (s.kind !== 'read' || adapterOf(s.library).rules.isWrite(s, undefined, ctx.file.text.slice(s.range.start, s.range.end))) && sameData(s);
  if (ctx.querySites().some((s) => s !== site && !known.includes(s) && s.range.start >= start && s.range.end <= end && s.range.start !== site.range.start && writes(s))) return true;
  const inKnown = (n: ts.Node): boolean => known.some((s) => n.getStart() >= s.range.start && n.getEnd() <= s.range.end);
  let changes = false;
  const graph = new CallGraph(ctx.project);
  const visit = (n: ts.Node): void => {
    if (changes) return;
    // A helper the loop calls that writes the same data (its sites, in any file).
    // Or one that polls the same data (reads it, waiting between reads: a change made elsewhere, a worker's, is
    // awaited; a read hoisted before the loop would see the rows before it).
    const called = ts.isCallExpression(n) && (n.getStart() < site.range.start || n.getStart() >= site.range.end) && !inKnown(n) ? graph.queriesOfCall(ctx.file.path, n) : undefined;
    if (called?.reached.some((r) => r.site.kind !== 'read' && sameData(r.site))) changes = true;
    if (called?.reached.some((r) => sameData(r.site)) && /\b(setTimeout|sleep|delay)\s*\(/.test(called.target.node.getText())) changes = true;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.expression.getText() === coll && !setsOwnKey(scope, n, coll) && /^(push|pop|shift|unshift|splice|sort|reverse|fill|copyWithin|set|add|delete|clear)$/.test(n.expression.name.text)) changes = true;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && n.left.getText() === coll) changes = true;
    ts.forEachChild(n, visit);
  };
  visit(scope.body);
  return changes;
}

/** Names declared inside a node (variables, parameters, functions, classes). */
export function declaredNames(node: ts.Node): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if ((ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n) || ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n)) && n.name && ts.isIdentifier(n.name)) out.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/**
 * The names a loop declares, by where each is visible: `shadowed(id)` is true when a declaration inside `loop`
 * (not inside `moved`, the code that moves out with the rewrite) binds the name `id` reads at its place — a
 * `const` of the loop body, the element, a parameter of a callback that encloses `id`. A callback parameter
 * elsewhere in the loop (`where: (table, { eq }) => …` of another query) does not bind an `eq` read outside it.
 */
export function loopBindings(loop: ts.Node, moved?: ts.Node): (id: ts.Identifier) => boolean {
  const scopes = new Map<string, ts.Node[]>();
  const inMoved = (n: ts.Node): boolean => !!moved && n.getStart() >= moved.getStart() && n.getEnd() <= moved.getEnd();
  const container = (d: ts.Node): ts.Node | undefined => {
    let n: ts.Node = d;
    while (ts.isBindingElement(n) || ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n)) n = n.parent;
    if (ts.isParameter(n)) return n.parent;
    if (ts.isFunctionDeclaration(d) || ts.isClassDeclaration(d)) return d.parent;
    if (ts.isVariableDeclaration(n)) {
      const list = n.parent;
      if (ts.isCatchClause(list)) return list;
      if (!ts.isVariableDeclarationList(list)) return undefined;
      const blockScoped = (list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) !== 0;
      for (let p: ts.Node = list.parent; p; p = p.parent) {
        if (ts.isFunctionLike(p) || ts.isSourceFile(p)) return p;
        if (blockScoped && (ts.isBlock(p) || ts.isForStatement(p) || ts.isForOfStatement(p) || ts.isForInStatement(p) || ts.isCaseBlock(p))) return p;
      }
    }
    return undefined;
  };
  const visit = (n: ts.Node): void => {
    if ((ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n) || ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n)) && n.name && ts.isIdentifier(n.name) && !inMoved(n)) {
      // Unknown scope: the whole loop.
      const c = container(n) ?? loop;
      const list = scopes.get(n.name.text) ?? [];
      list.push(c);
      scopes.set(n.name.text, list);
    }
    ts.forEachChild(n, visit);
  };
  visit(loop);
  return (id) => (scopes.get(id.text) ?? []).some((c) => id.getStart() >= c.getStart() && id.getEnd() <= c.getEnd());
}

/** Variables assigned inside a node (`x = …`, `x += …`, `x++`). */
export function assignedNames(node: ts.Node): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment && ts.isIdentifier(n.left)) out.add(n.left.text);
    if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken) && ts.isIdentifier(n.operand)) out.add(n.operand.text);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** The identifiers a node reads (not property names). */
function identifiersRead(node: ts.Node): ts.Identifier[] {
  const out: ts.Identifier[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) {
      const p = n.parent;
      if (!((ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n))) out.push(n);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** Identifiers the call reads (not property names). */
export function readNames(node: ts.Node): Set<string> {
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) {
      const p = n.parent;
      if (!((ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n))) out.add(n.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** Does `node` await at the module's top level (not inside a function): the file is a module that may await there? */
function awaitsAtTopLevel(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n)) return;
    if (ts.isAwaitExpression(n) || (ts.isForOfStatement(n) && !!n.awaitModifier)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/**
 * The statement holding the loop, sitting directly in a block of an async function — or at a module's top level
 * (also in a block there) where the statement itself awaits, so the new statement may await too (`fn` is then
 * the source file).
 */
export function anchorStatement(scope: IterationScope): { stmt: ts.Statement; fn: ts.FunctionLikeDeclaration | ts.SourceFile } | undefined {
  let n: ts.Node = scope.node;
  if (scope.kind === 'callback') {
    // The callback: climb to the statement holding the iterating call.
    while (n.parent && !ts.isBlock(n.parent) && !ts.isSourceFile(n.parent)) {
      if (ts.isFunctionLike(n.parent)) return undefined;
      n = n.parent;
    }
  }
  if (!n.parent || !(ts.isBlock(n.parent) || ts.isSourceFile(n.parent)) || !ts.isStatement(n)) return undefined;
  let fn: ts.Node | undefined = n.parent;
  while (fn && !ts.isFunctionLike(fn) && !ts.isSourceFile(fn)) fn = fn.parent;
  if (!fn) return undefined;
  if (ts.isSourceFile(fn) ? !awaitsAtTopLevel(n) : !(fn as ts.FunctionLikeDeclaration).modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) return undefined;
  // Another per-element loop around the new statement would make it an N+1 itself, unless
  // the collection is that loop's element (a chunk: the batched query takes it whole).
  const coll = scope.collectionExpr ? unparen(scope.collectionExpr).getText() : undefined;
  if (enclosingIterations(n).some((s) => s.perElement && (!s.element || s.element !== coll))) return undefined;
  return { stmt: n, fn: fn as ts.FunctionLikeDeclaration | ts.SourceFile };
}

/** Edits that make `name` (or each of several names) importable from `module` (nothing when it is already). */
export function importEdits(ctx: RuleContext, sf: ts.SourceFile, module: string, name: string | string[], file = ctx.file.path): TextEdit[] | undefined {
  const names = [...new Set(typeof name === 'string' ? [name] : name)];
  let lastImport: ts.ImportDeclaration | undefined;
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st)) continue;
    lastImport = st;
    if (!ts.isStringLiteral(st.moduleSpecifier) || st.moduleSpecifier.text !== module) continue;
    const nb = st.importClause?.namedBindings;
    if (st.importClause?.isTypeOnly) continue;
    if (nb && ts.isNamedImports(nb)) {
      const missing = names.filter((n) => !nb.elements.some((e) => e.name.text === n));
      if (!missing.length) return [];
      if (nb.elements.some((e) => e.isTypeOnly)) continue;
      const last = nb.elements[nb.elements.length - 1];
      const at = last ? last.getEnd() : nb.getStart() + 1;
      return [{ file, range: { start: at, end: at }, newText: last ? `, ${missing.join(', ')}` : ` ${missing.join(', ')} ` }];
    }
  }
  // The names must not already mean something else in the file.
  if (names.some((n) => new RegExp(`\\b${n}\\b`).test(sf.text))) return undefined;
  const at = lastImport ? lastImport.getEnd() : 0;
  const list = names.join(', ');
  const text = lastImport ? `\nimport { ${list} } from '${module}';` : `import { ${list} } from '${module}';\n`;
  return [{ file, range: { start: at, end: at }, newText: text }];
}

/** The import edits for a list of imports, one edit per module. */
export function importsEdits(ctx: RuleContext, sf: ts.SourceFile, imports: { module: string; name: string }[]): TextEdit[] | undefined {
  const byModule = new Map<string, string[]>();
  for (const i of imports) byModule.set(i.module, [...(byModule.get(i.module) ?? []), i.name]);
  const out: TextEdit[] = [];
  for (const [module, names] of byModule) {
    const e = importEdits(ctx, sf, module, names);
    if (!e) return undefined;
    out.push(...e);
  }
  return out;
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const camel = (s: string): string => s.replace(/[_-](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^\w$]/g, '');

/** The per-element body when it is the query statement alone. */
export function soleQueryStatement(scope: IterationScope, node: ts.Node): boolean {
  const isQueryExpr = (e: ts.Expression): boolean => {
    e = unparen(e);
    if (ts.isAwaitExpression(e)) e = unparen(e.expression);
    return e === node;
  };
  const body = scope.body;
  const stmts = ts.isBlock(body) ? body.statements : ts.isStatement(body) ? ts.factory.createNodeArray([body]) : undefined;
  if (!stmts) return ts.isExpression(body) && isQueryExpr(body);
  if (stmts.length !== 1) return false;
  const s = stmts[0];
  if (ts.isExpressionStatement(s)) return isQueryExpr(s.expression);
  if (ts.isReturnStatement(s) && s.expression) return isQueryExpr(s.expression);
  return false;
}

/** For a callback scope: the iterating call's place must be a statement whose value is unused. */
export function writeTarget(scope: IterationScope, anchor: ts.Statement): boolean {
  if (scope.kind === 'for-of' || scope.kind === 'for-in') return anchor === scope.node;
  if (scope.kind !== 'callback' || !ts.isExpressionStatement(anchor)) return false;
  const iter = ts.isCallExpression(scope.node) ? scope.node : scope.node.parent;
  let e = unparen(anchor.expression);
  if (ts.isAwaitExpression(e)) e = unparen(e.expression);
  if (e === iter) return scope.method === 'forEach' || scope.method === 'map';
  // `Promise.all(xs.map(cb))`, `prisma.$transaction(xs.map(cb))`: a call that runs the queries it is given.
  if (ts.isCallExpression(e) && e.arguments.length === 1 && unparen(e.arguments[0]) === iter && scope.method === 'map') {
    const m = methodOf(e);
    return m !== 'race' && m !== 'any' && BATCH_RUNNER_METHODS.has(m);
  }
  return false;
}

/**
 * One multi-row INSERT for an insert of one row per element, where the
 * library's insert call takes an array of rows (AdapterRules.insertRowsCall).
 * The element may appear only inside that row. Guarded for an empty
 * collection (some libraries reject an empty `values([])`, others send
 * nothing useful).
 */
function multiRowInsert(site: QuerySite, call: ts.CallExpression, el: string, coll: string, uses: ts.Identifier[]): { text: string; title: string; guardEmpty: boolean } | undefined {
  const calls = chainCalls(call);
  const methods = calls.map(methodOf);
  const target = adapterOf(site.library).rules.insertRowsCall(calls, methods);
  if (!target || target.arguments.length !== 1 || !ts.isPropertyAccessExpression(target.expression)) return undefined;
  const row = target.arguments[0];
  const isEl = ts.isIdentifier(row) && row.text === el;
  if (!isEl && !ts.isObjectLiteralExpression(checkedRow(row))) return undefined;
  // Every use of the element sits in the row; the rest of the chain is the same for all.
  if (uses.some((u) => u.getStart() < row.getStart() || u.getEnd() > row.getEnd())) return undefined;
  const rows = isEl ? coll : `${coll}.map((${el}) => (${row.getText()}))`;
  const text = render(call, [whole(row, rows)], '');
  return { text, title: `${target.expression.name.text}(${isEl ? coll : `${coll}.map(…)`}) in one multi-row INSERT`, guardEmpty: true };
}

/**
 * The row an insert call writes (Prisma `create({ data })`, the argument of `insert`/`values`), or null
 * when the call is not an insert; undefined when it is one but the row is not an object literal.
 */
export function insertRowOf(call: ts.CallExpression): ts.ObjectLiteralExpression | undefined | null {
  for (const c of chainCalls(call)) {
    const m = methodOf(c);
    if (m === 'create' && c.arguments.length === 1 && ts.isObjectLiteralExpression(c.arguments[0])) {
      const data = c.arguments[0].properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'data');
      return data && ts.isPropertyAssignment(data) && ts.isObjectLiteralExpression(data.initializer) ? data.initializer : undefined;
    }
    if (m === 'insert' || m === 'values' || m === 'insertInto') {
      if (m === 'insertInto') continue;
      const a = c.arguments[0] && checkedRow(c.arguments[0]);
      return a && ts.isObjectLiteralExpression(a) ? a : undefined;
    }
  }
  return null;
}

/**
 * The row under a type check or assertion written on it (`{ … } satisfies NewPost`, `as NewPost`, parenthesised or
 * not): the check only types the literal, so a batched form keeps it on each row (the argument's whole text moves).
 */
export function checkedRow(e: ts.Expression): ts.Expression {
  return unparen(e);
}

/**
 * Could one row of the batched insert violate a unique key (so that the loop's rows before it were
 * written and the batch writes none)? Yes when the table is unknown, when the row is not an object
 * literal or spreads one, and when every column of a primary key or unique index is among the row's
 * columns — unless the statement already tolerates conflicts (`onConflict(…).ignore()`,
 * `onConflictDoNothing`, …), which the batched form keeps.
 */
export function insertMayCollide(ctx: RuleContext, site: QuerySite, call: ts.CallExpression): boolean {
  if (chainCalls(call).some((c) => /^(onConflict|onConflictDoNothing|onConflictDoUpdate|ignore|merge|orIgnore|onDuplicateKeyUpdate)$/.test(methodOf(c)))) return false;
  const table = site.table ? ctx.table(site.table) : undefined;
  const row = insertRowOf(call);
  if (!table || !row || row.properties.some((p) => !ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p))) return true;
  const written = new Set<string>();
  for (const p of row.properties) {
    const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
    if (!name) return true;
    const col = [...table.columns.values()].find((c) => c.name === name || c.fieldName === name);
    written.add(col?.name ?? name);
  }
  return table.indexes.some((i) => (i.kind === 'primary' || i.kind === 'unique') && i.keys.length > 0 && i.keys.every((k) => k.column !== undefined && written.has(k.column)));
}

/**
 * The same question for an INSERT written as SQL (a tagged template): could a row collide with a unique key? No when
 * the statement says what happens on a conflict (ON CONFLICT), or the table is known and the statement's text names
 * none of a unique key's columns, as written or in camelCase; yes otherwise (the rows' keys may be spliced in).
 */
function tagInsertMayCollide(ctx: RuleContext, site: QuerySite, node: ts.TaggedTemplateExpression): boolean {
  const text = node.template.getText();
  if (!/^\W*insert\b/i.test(text)) return false;
  if (/\bon\s+conflict\b/i.test(text)) return false;
  const table = site.table ? ctx.table(site.table) : undefined;
  if (!table) return true;
  // A row spliced from a name (`${sql(row)}`) hides its keys: assume the worst.
  if (ts.isTemplateExpression(node.template) && node.template.templateSpans.some((sp) => { const e = unparen(sp.expression); return ts.isCallExpression(e) && e.arguments.some((a) => !ts.isObjectLiteralExpression(unparen(a))); })) return true;
  const camel = (c: string): string => c.replace(/_([a-z0-9])/g, (_, x: string) => x.toUpperCase());
  const named = (c: string): boolean => new RegExp(`\\b(?:${c}|${camel(c)})\\b`).test(text);
  return table.indexes.some((i) => (i.kind === 'primary' || i.kind === 'unique') && i.keys.length > 0 && i.keys.every((k) => k.column !== undefined && named(k.column)));
}

/**
 * Is a failure handled per element on the way from the query to the loop: inside a `try` block of the
 * loop body, by `.catch()`/`.then(ok, failed)` on the query, or by `Promise.allSettled` over the
 * callbacks? One batched statement fails for every element at once, outside that handling: the
 * rewrite would change what the code does, so none is offered.
 */
export function perElementErrorHandling(node: ts.Node, scope: IterationScope): boolean {
  for (let n: ts.Node = node; n.parent && n !== scope.node; n = n.parent) {
    const p = n.parent;
    if (ts.isTryStatement(p) && p.tryBlock === n) return true;
    if (ts.isPropertyAccessExpression(p) && p.expression === n && ts.isCallExpression(p.parent) && (p.name.text === 'catch' || (p.name.text === 'then' && p.parent.arguments.length > 1))) return true;
  }
  if (scope.kind !== 'callback') return false;
  // pMap(xs, cb, { stopOnError: false }): every element runs and the failures are thrown together at the end.
  const first = collectionFirstCallback(scope);
  const opts = first?.arguments[2] && unparen(first.arguments[2]);
  if (opts && (!ts.isObjectLiteralExpression(opts) || opts.properties.some((p) => ts.isSpreadAssignment(p) || (p.name?.getText() === 'stopOnError' && !(ts.isPropertyAssignment(p) && p.initializer.kind === ts.SyntaxKind.TrueKeyword))))) return true;
  const iter = ts.isCallExpression(scope.node) ? scope.node : scope.node.parent;
  let e: ts.Node = iter;
  while (ts.isParenthesizedExpression(e.parent)) e = e.parent;
  return ts.isCallExpression(e.parent) && e.parent.arguments.includes(e as ts.Expression) && methodOf(e.parent) === 'allSettled';
}

/**
 * The batched form of a query run once per element, as a suggestion fix;
 * undefined when the rewrite would not be mechanical.
 */
export function batchFix(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope): Fix | undefined {
  try {
    return build(ctx, site, node, scope);
  } catch {
    return undefined;
  }
}

function build(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope): Fix | undefined {
  // Reads: prefetched before the loop (n-plus-one-prefetch-fix.ts), the key read from the element as written.
  if (!adapterOf(site.library).rules.isWrite(site, node, node.getText())) return site.kind === 'read' ? prefetchFix(ctx, site, node, scope) : undefined;
  const el = scope.element;
  if (!el || !scope.collectionExpr) return undefined;
  // A collection that is not a plain reference (`rules.filter(…)`) is evaluated once by the loop: the one statement
  // must evaluate it once too (checked below).
  const plainColl = isPlainRef(scope.collectionExpr);
  if (scope.kind !== 'for-of' && scope.kind !== 'callback') return undefined;
  if (scope.kind === 'callback' && !/^(map|forEach|flatMap)$/.test(scope.method ?? '')) return undefined;
  if (perElementErrorHandling(node, scope)) return undefined;
  const sf = ctx.tsAst();
  if (!sf) return undefined;
  const anchor = anchorStatement(scope);
  if (!anchor) return undefined;
  const collExpr = unparen(scope.collectionExpr);
  // `for (const x of payload.projects as string[])`: the collection keeps its cast (its type is what the loop iterates).
  let written: ts.Expression = ts.isForOfStatement(scope.node) ? scope.node.expression : collExpr;
  while (ts.isParenthesizedExpression(written)) written = written.expression;
  const cast = ts.isAsExpression(written) || ts.isTypeAssertionExpression(written) || ts.isSatisfiesExpression(written);
  const coll = cast ? `(${written.getText()})` : plainColl || ts.isCallExpression(collExpr) || ts.isPropertyAccessExpression(collExpr) || ts.isElementAccessExpression(collExpr) ? collExpr.getText() : `(${collExpr.getText()})`;
  // Nothing the query reads may be declared inside the loop, except the element.
  const shadowed = loopBindings(scope.node, node);
  for (const id of identifiersRead(node)) if (id.text !== el && shadowed(id)) return undefined;
  // Nor any variable the loop reassigns (the hoisted query would see its value before the loop).
  const reassigned = assignedNames(scope.body);
  for (const n of readNames(node)) if (n !== el && reassigned.has(n)) return undefined;
  const uses = elementUses(node, el);
  if (uses.length === 0) return undefined;
  const keysOf = (k: ts.Expression): string => (ts.isIdentifier(k) && k.text === el ? coll : `${coll}.map((${el}) => ${k.getText()})`);
  // A builder held in a variable may read as 'read' although its chain writes: the adapter looks at the chain.
  const adapter = adapterOf(site.library);
  const write = adapter.rules.isWrite(site, node, node.getText());
  if (write) {
    if (!soleQueryStatement(scope, node) || !writeTarget(scope, anchor.stmt)) return undefined;
    if (computesPerRun(site, node, uses.length === 1 ? keyExpression(uses[0]) : undefined)) return undefined;
    let batched: { text: string; title: string; imports?: Batched['imports']; guardEmpty?: boolean; skipsConflicts?: boolean } | undefined;
    const mayCollide = ts.isCallExpression(node) ? insertRowOf(node) !== null && insertMayCollide(ctx, site, node) : ts.isTaggedTemplateExpression(node) && tagInsertMayCollide(ctx, site, node);
    if (ts.isCallExpression(node) || ts.isTaggedTemplateExpression(node)) batched = adapter.rules.batchedWrite({ site, call: node, el, coll, keys: (k) => keysOf(k), uses, mayCollide });
    if (!batched && ts.isCallExpression(node)) batched = multiRowInsert(site, node, el, coll, uses);
    // One INSERT of many rows fails whole where the loop failed part-way: only where no unique key can collide,
    // or where the batched form skips the colliding rows and says so (Prisma `skipDuplicates`).
    if (batched && mayCollide && !batched.skipsConflicts) return undefined;
    // A collection evaluated once by the loop (`invites.filter(…)`) whose batched form is guarded for an empty list:
    // its keys are named once, then tested and written.
    if (!batched && uses.length === 1) {
      const key = keyExpression(uses[0]);
      const b = key ? adapter.rules.batchedRead({ site, node, key, write: true, table: site.table ? ctx.table(site.table) : undefined }) : undefined;
      if (b && key && b.guardEmpty && !plainColl) {
        const fnText = anchor.fn.getText();
        const base = camel(site.entity ?? site.table ?? 'row');
        const name = ['', '2', '3'].map((x) => `${base.charAt(0).toLowerCase()}${base.slice(1)}Keys${x}`).find((n) => !new RegExp(`\\b${n}\\b`).test(fnText));
        if (!name) return undefined;
        const named = { text: render(node, b.pieces, name), title: b.title, imports: b.imports, guardEmpty: true };
        return writeFix(ctx, sf, anchor.stmt, named, name, `const ${name} = ${keysOf(key)};`, coll);
      }
      if (b && key) batched = { text: render(node, b.pieces, keysOf(key)), title: b.title, imports: b.imports, guardEmpty: b.guardEmpty };
    }
    if (!batched) return undefined;
    if (!plainColl && (batched.guardEmpty || batched.text.split(coll).length !== 2)) return undefined;
    return writeFix(ctx, sf, anchor.stmt, batched, coll, undefined, coll);
  }

  return undefined;
}

/** The one statement of a batched write in place of the loop (`keysDecl` names the keys first, `keys` is tested). */
function writeFix(ctx: RuleContext, sf: ts.SourceFile, stmt: ts.Statement, batched: { text: string; title: string; imports?: Batched['imports']; guardEmpty?: boolean }, keys: string, keysDecl: string | undefined, coll: string): Fix | undefined {
  const edits: TextEdit[] = [];
  for (const imp of batched.imports ?? []) {
    const e = importEdits(ctx, sf, imp.module, imp.name);
    if (!e) return undefined;
    edits.push(...e);
  }
  // Some batched forms throw on an empty list (an empty `IN ()`).
  let text = batched.guardEmpty ? `if (${keys}.length) await ${batched.text};` : `await ${batched.text};`;
  if (keysDecl) {
    const lineStart = ctx.file.text.lastIndexOf('\n', stmt.getStart() - 1) + 1;
    text = `${keysDecl}\n${/^[ \t]*/.exec(ctx.file.text.slice(lineStart))![0]}${text}`;
  }
  edits.push({ file: ctx.file.path, range: { start: stmt.getStart(), end: stmt.getEnd() }, newText: text });
  return { title: `Write all of \`${coll}\` in one statement: ${batched.title}`.replace(/\s*\n\s*/g, ''), safety: 'suggestion', edits };
}

/** The text that defines the table (Prisma model block, Drizzle table call, entity class): auto-updated columns. */
export function tableSource(ctx: RuleContext, table: TableInfo): string {
  const at = table.modelDefinedAt ?? table.definedAt;
  if (!at) return '';
  const text = ctx.project.fileText(at.file)?.slice(at.range.start, at.range.end) ?? '';
  // An entity class is recorded by its name (TypeORM `class Order`, `new EntitySchema(…)`'s variable): its whole
  // declaration holds the column decorators and relation options.
  if (!/^[\w$]+$/.test(text)) return text;
  const sf = ctx.project.tsAst(at.file);
  let n: ts.Node | undefined = sf && nodeAt(sf, at.range.start, at.range.end);
  while (n && !ts.isClassDeclaration(n) && !ts.isVariableStatement(n) && !ts.isSourceFile(n)) n = n.parent;
  return n && !ts.isSourceFile(n) ? n.getText() : text;
}

/** The innermost node spanning exactly [start, end), or the innermost that covers it. */
function nodeAt(sf: ts.SourceFile, start: number, end: number): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (n: ts.Node): void => {
    if (n.getStart(sf) > start || n.getEnd() < end) return;
    found = n;
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/**
 * Does the write compute a value anew each time it runs, outside its key: an `await`, or a call that is not known to
 * give the same value each time — `email: faker.internet.email()`, `password: await hash(…)`, `id: Snowflake.generate()`?
 * Per element each row got its own value; one statement for every key would write one value to all (one email for
 * every row, the same hash). Known: the query's own chain, what the library's modules export (`eq`, `In`, `sql`),
 * the query's own client or tag (`sql(…)` of postgres.js), a capitalised operator (`IsNull()`), `Date.now()`/`new
 * Date()` and plain conversions (`String`, `Number`, `.trim()`, `.toLowerCase()`, `JSON.stringify`, `Math.*`).
 */
export function computesPerRun(site: QuerySite, call: ts.Node, key: ts.Node | undefined): boolean {
  const sf = call.getSourceFile();
  const owns = adapterOf(site.library).modules.owns;
  const imported = new Set<string>();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !owns(st.moduleSpecifier.text)) continue;
    const c = st.importClause;
    if (c?.name) imported.add(c.name.text);
    const nb = c?.namedBindings;
    if (nb && ts.isNamespaceImport(nb)) imported.add(nb.name.text);
    if (nb && ts.isNamedImports(nb)) for (const e of nb.elements) imported.add(e.name.text);
  }
  const rootOf = (e: ts.Expression): string => {
    let r: ts.Expression = e;
    for (;;) {
      if (ts.isPropertyAccessExpression(r) || ts.isElementAccessExpression(r) || ts.isCallExpression(r) || ts.isNonNullExpression(r)) r = r.expression;
      else if (ts.isParenthesizedExpression(r)) r = r.expression;
      else break;
    }
    return r.getText();
  };
  const queryRoot = ts.isTaggedTemplateExpression(call) ? rootOf(call.tag) : ts.isCallExpression(call) ? rootOf(call.expression) : '';
  const chain = new Set<ts.Node>(ts.isCallExpression(call) ? chainCalls(call) : []);
  const PURE = /^(String|Number|Boolean|BigInt|Date\.now|Date|JSON\.stringify|Math\.\w+|Array\.from|Object\.(keys|values|entries))$|\.(trim|trimStart|trimEnd|toLowerCase|toUpperCase|toString|toISOString|toFixed|slice|substring|split|join|concat|replace|replaceAll|padStart|padEnd|map|filter|flat|flatMap|includes|at)$/;
  const known = (callee: ts.Expression): boolean => {
    const text = callee.getText();
    const root = rootOf(callee);
    return imported.has(root) || (!!queryRoot && root === queryRoot) || (ts.isIdentifier(callee) && /^[A-Z]/.test(text) && text !== 'Math') || PURE.test(text);
  };
  let found = false;
  const inKey = (n: ts.Node): boolean => !!key && n.getStart() >= key.getStart() && n.getEnd() <= key.getEnd();
  const visit = (n: ts.Node): void => {
    if (found || inKey(n)) return;
    if (ts.isAwaitExpression(n) || ts.isYieldExpression(n)) found = true;
    else if ((ts.isCallExpression(n) || ts.isNewExpression(n)) && !chain.has(n) && !known(n.expression)) found = true;
    else if (ts.isTaggedTemplateExpression(n) && n !== call && !known(n.tag)) found = true;
    if (!found) ts.forEachChild(n, visit);
  };
  visit(call);
  return found;
}

/** Is the text one parenthesised expression (`(a ?? b)`, not `(a ?? b).slice(0, 1)`)? */
function wrapped(text: string): boolean {
  if (!text.startsWith('(') || !text.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0 && i < text.length - 1) return false;
  }
  return true;
}

/** A read hoisted before the loop: the query, its key, and what the loop reads in its place. */
export interface ReadHoist {
  site: QuerySite;
  /** The single-key query (in this file: rendered with the keys in place of `key`). */
  query: ts.Node;
  /** The key expression inside `query`. */
  key: ts.Expression;
  /** The keys of the whole collection, and one element's key, as source text at the loop. */
  keysExpr: string;
  /**
   * The keys mapped from the collection (`keysExpr` is `list.map((param) => key)`): where the batched form takes no
   * null key (Batched.nonNullKeys), or the loop skips an element whose key is absent (`guarded`: `if (!el.key)
   * continue;`, where the list would hold the skipped nulls a typed `in` refuses), `list.flatMap((param) => key ?? [])`
   * — a null key finds no row one by one either.
   */
  mapped?: { list: string; param: string; key: string; guarded?: boolean };
  lookup: string;
  /** The expression in the loop that the Map lookup replaces (the query itself, or a helper's call). */
  target: ts.Node;
  scope: IterationScope;
  anchor: { stmt: ts.Statement; fn: ts.FunctionLikeDeclaration | ts.SourceFile };
  coll: string;
  sf: ts.SourceFile;
  /**
   * The batched query lives elsewhere (a batched sibling of the helper, in the helper's file): the call that
   * runs it over the keys, and the edits that create it (imports included). It guards an empty list itself.
   */
  sibling?: (b: Batched, keysExpr: string) => { call: string; edits: TextEdit[] } | undefined;
  /**
   * Find-or-create (rules/n-plus-one-prefetch-fix.ts): the loop's creates of the read's table, which the Map must
   * see as the table would; given the Map's name and a row's key text, the edits that add each created row.
   */
  created?: { sites: QuerySite[]; edits: (b: Batched, add: (row: string) => string) => TextEdit[] | undefined };
  /** Text replacing parts of `query` other than its key (a helper's parameters by the caller's arguments). */
  substitutions?: FixPiece[];
}

const isAbsentType = (u: ts.TypeNode): boolean => u.kind === ts.SyntaxKind.UndefinedKeyword || (ts.isLiteralTypeNode(u) && u.literal.kind === ts.SyntaxKind.NullKeyword);

/**
 * A key read as `el.field` where this file declares a `field` optional or nullable (`field?: T`, `field: T | null`):
 * one by one, an absent key may read differently (an ORM drops an `undefined` filter and returns any row) than a
 * Map lookup does, and the batched key list no longer type-checks. Any declaration of the name in the file counts.
 */
function mayBeAbsentKey(sf: ts.SourceFile, key: ts.Expression): boolean {
  const k = unparen(key);
  if (!ts.isPropertyAccessExpression(k)) return false;
  return declaredAbsent(sf, k.name.text);
}

/** Does this file declare a property `name` optional or nullable anywhere? */
function declaredAbsent(sf: ts.SourceFile, name: string): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if ((ts.isPropertySignature(n) || ts.isPropertyDeclaration(n)) && ts.isIdentifier(n.name) && n.name.text === name) {
      found = !!n.questionToken || (!!n.type && ts.isUnionTypeNode(n.type) && n.type.types.some(isAbsentType));
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/**
 * Is `rows` (an expression) held in a `const` whose every use reads only named fields of its rows: `.length`, or
 * `.map(cb)`/`.forEach(cb)` whose callback reads its row only as `row.field`? Then a field the rows gain is never seen
 * (not returned, spread, serialised or compared whole).
 */
function readsNamedFieldsOnly(rows: ts.Node, via?: string): boolean {
  const decl = rows.parent;
  if (!ts.isVariableDeclaration(decl) || decl.initializer !== rows || !ts.isVariableDeclarationList(decl.parent) || !(decl.parent.flags & ts.NodeFlags.Const)) return false;
  // `const [row] = await q`: the first row, read by named fields only (`row.orgId`, `row ? row.email : …`).
  const first = !via && ts.isArrayBindingPattern(decl.name) && decl.name.elements.length === 1 ? decl.name.elements[0] : undefined;
  if (first && ts.isBindingElement(first) && !first.dotDotDotToken && !first.initializer && ts.isIdentifier(first.name)) return namedUsesOnly(first.name, decl.parent.parent.parent);
  if (!ts.isIdentifier(decl.name)) return false;
  const name = decl.name.text;
  // `const res = await pool.query(…)` read as `res.rows` only: the rows are `res.rows`.
  const rowsOf = (n: ts.Node): ts.Node => (via && ts.isPropertyAccessExpression(n.parent) && n.parent.expression === n && n.parent.name.text === via ? n.parent : n);
  const scope = decl.parent.parent.parent;
  if (!scope) return false;
  const fieldsOnly = (param: ts.Identifier, body: ts.Node): boolean => {
    let ok = true;
    const visit = (n: ts.Node): void => {
      if (!ok) return;
      if (ts.isIdentifier(n) && n.text === param.text && n !== param) {
        const p = n.parent;
        const named = (ts.isPropertyAccessExpression(p) && p.expression === n && !(ts.isBinaryExpression(p.parent) && p.parent.left === p && p.parent.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && p.parent.operatorToken.kind <= ts.SyntaxKind.LastAssignment)) || (ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n);
        if (!named) ok = false;
      }
      ts.forEachChild(n, visit);
    };
    visit(body);
    return ok;
  };
  let ok = true;
  const visit = (n: ts.Node): void => {
    if (!ok) return;
    if (ts.isIdentifier(n) && n.text === name && n !== decl.name) {
      if (ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) return;
      if (ts.isPropertyAssignment(n.parent) && n.parent.name === n) return;
      const r = rowsOf(n);
      if (via && r === n) {
        ok = false;
        return;
      }
      const p = r.parent;
      if (ts.isPropertyAccessExpression(p) && p.expression === r && p.name.text === 'length') return;
      const call = p.parent;
      const cb = ts.isPropertyAccessExpression(p) && p.expression === r && /^(map|forEach)$/.test(p.name.text) && ts.isCallExpression(call) && call.expression === p && call.arguments.length === 1 ? unparen(call.arguments[0]) : undefined;
      if (cb && (ts.isArrowFunction(cb) || ts.isFunctionExpression(cb)) && cb.parameters.length >= 1 && ts.isIdentifier(cb.parameters[0].name) && fieldsOnly(cb.parameters[0].name, cb.body)) return;
      ok = false;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return ok;
}

/** Is `name` read, in `scope`, only as `name.field`, or tested as a whole (`name ?`, `!name`, `if (name)`)? */
function namedUsesOnly(name: ts.Identifier, scope: ts.Node | undefined): boolean {
  if (!scope) return false;
  let ok = true;
  const visit = (n: ts.Node): void => {
    if (!ok) return;
    if (ts.isIdentifier(n) && n.text === name.text && n !== name) {
      const p = n.parent;
      const field = ts.isPropertyAccessExpression(p) && p.expression === n && !(ts.isBinaryExpression(p.parent) && p.parent.left === p && p.parent.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && p.parent.operatorToken.kind <= ts.SyntaxKind.LastAssignment);
      const test = (ts.isConditionalExpression(p) && p.condition === n) || (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken) || (ts.isIfStatement(p) && p.expression === n);
      const key = (ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n);
      if (!field && !test && !key) ok = false;
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return ok;
}

/**
 * The syntax that made the tag a tagged-template query runs on (its factory call, in its own file), by provenance;
 * undefined for other queries or where provenance does not know it.
 */
export function clientSyntax(ctx: RuleContext, node: ts.Node): ts.Node | undefined {
  if (!ts.isTaggedTemplateExpression(node)) return undefined;
  const v = fileProvenance(ctx.project, node.getSourceFile().fileName).value(node.tag);
  const origin = v?.kind === 'instance' ? v.binding.origin : undefined;
  const sf = origin && ctx.project.tsAst?.(origin.file);
  if (!origin || !sf) return undefined;
  let found: ts.Node | undefined;
  const visit = (n: ts.Node): void => {
    if (found || n.end < origin.range.start || n.getStart(sf) > origin.range.end) return;
    if (n.getStart(sf) === origin.range.start && n.end === origin.range.end) found = n;
    else ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

export function hoistRead(ctx: RuleContext, h: ReadHoist): Fix | undefined {
  const { site, query: node, key, scope, anchor, coll, sf } = h;
  // A key the loop tests for absence before the query (`if (!el.key) continue;`) is never absent there.
  if (mayBeAbsentKey(sf, key) && !h.mapped?.guarded) return undefined;
  const adapter = adapterOf(site.library);
  const text = ctx.file.text;
  const lineStart = text.lastIndexOf('\n', anchor.stmt.getStart() - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  const entity = camel(site.entity ?? site.table ?? 'rows');
  const base = entity.charAt(0).toLowerCase() + entity.slice(1);
  const fnText = anchor.fn.getText();
  const free = (name: string): boolean => !new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`).test(fnText);
  const readTable = site.table ? ctx.table(site.table) : undefined;
  const b = adapter.rules.batchedRead({ site, node, key, write: false, table: readTable, tableText: readTable ? tableSource(ctx, readTable) : undefined, client: clientSyntax(ctx, node) });
  if (!b) return undefined;
  if (h.substitutions?.length) {
    if (h.sibling || h.substitutions.some((x) => b.pieces.some((y) => x.start < y.end && y.start < x.end))) return undefined;
    b.pieces = [...b.pieces, ...h.substitutions];
  }
  if (loopChangesData(ctx, site, scope, coll, h.created?.sites)) return undefined;
  const table = site.table ? ctx.table(site.table) : undefined;
  if (b.caseInsensitive && (!h.created || columnOf(table, b.column)?.notNull !== true)) return undefined;
  // A count grouped by the key has one row per key.
  const unique = b.shape === 'count' || isUniqueColumn(table, b.column) || uniqueAmongFilters(table, b.column, b.rowFilters, sf);
  const kk = keyKind(site.library, table, b.column);
  if (kk === 'skip') return undefined;
  if (kk === 'string') b.stringKeys = true;
  const single = b.shape === 'one' || b.shape === 'one-throw' || b.shape === 'count';
  // A single-row read on a key that is not unique: the first row of the key's group, where the library's
  // call reads "the first match" (findFirst, findOne); a lookup the library says is unique cannot be.
  if ((single || b.shape === 'first-many') && !unique && !b.firstOfGroup && !(b.anyOfGroup && h.created)) return undefined;
  const firstOf = single && !unique;
  const grouped = !single || firstOf;
  // Names the function does not use yet (a second prefetch of the same table in the function takes `…2`).
  const n = ['', '2', '3', '4'].find((x) => free(`${base}By${cap(camel(b.rowField))}${x}`) && free(`${base}Rows${x}`) && free(`${base}Keys${x}`));
  const mapName = `${base}By${cap(camel(b.rowField))}${n}`;
  const rowsName = `${base}Rows${n}`;
  const keysName = `${base}Keys${n}`;
  const row = ['row', 'record', 'item', 'r'].find(free);
  const group = ['group', 'bucket', 'list', 'g'].find(free);
  if (n === undefined || !row || !group) return undefined;
  const rowField = b.getter ? `${row}.get('${b.rowField}')` : `${row}.${b.rowField}`;
  const keyText = (v: string): string => (b.caseInsensitive ? `${v}.toLowerCase()` : b.stringKeys ? `String(${v})` : v);
  const rowKey = keyText(rowField);
  const k = h.lookup;
  const lookupKey = keyText(k);
  const keysExpr = (b.nonNullKeys || h.mapped?.guarded) && h.mapped ? `${h.mapped.list}.flatMap((${h.mapped.param}) => ${h.mapped.key} ?? [])` : h.keysExpr;
  const lines: string[] = [];
  let rowsExpr: string;
  const sibling = h.sibling?.(b, keysExpr);
  if (h.sibling && !sibling) return undefined;
  if (sibling) rowsExpr = `await ${sibling.call}`;
  else if (b.guardEmpty) {
    // A list already named (`ids`, `this.ids`) is its own key list.
    const keys = /^[\w$.]+$/.test(keysExpr) ? keysExpr : keysName;
    if (keys === keysName) lines.push(`const ${keysName} = ${keysExpr};`);
    rowsExpr = `${keys}.length ? await ${render(node, b.pieces, keys)} : []`;
  } else rowsExpr = `await ${render(node, b.pieces, keysExpr)}`;
  if (b.shape === 'result') rowsExpr = `(${rowsExpr}).rows`;
  // A query written over several lines keeps its shape at the loop's indentation.
  const own = /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', node.getStart() - 1) + 1))![0];
  if (!sibling && own !== indent) rowsExpr = rowsExpr.split('\n').map((l, i) => (i > 0 && l.startsWith(own) ? indent + l.slice(own.length) : l)).join('\n');
  lines.push(`const ${rowsName} = ${rowsExpr};`);
  if (grouped) {
    lines.push(`const ${mapName} = new Map<unknown, (typeof ${rowsName})[number][]>();`);
    lines.push(`for (const ${row} of ${rowsName}) {`);
    lines.push(`  const ${group} = ${mapName}.get(${rowKey});`);
    lines.push(`  if (${group}) ${group}.push(${row});`);
    lines.push(`  else ${mapName}.set(${rowKey}, [${row}]);`);
    lines.push(`}`);
  } else if (b.shape === 'count') {
    // Each key's count (a key with no row counts 0 at the lookup).
    lines.push(`const ${mapName} = new Map<unknown, number>();`);
    lines.push(`for (const ${row} of ${rowsName}) ${mapName}.set(${rowKey}, ${row}._count._all);`);
  } else {
    lines.push(`const ${mapName} = new Map(${rowsName}.map((${row}) => [${rowKey}, ${row}] as const));`);
  }
  let replacement: string;
  const got = firstOf ? `${mapName}.get(${lookupKey})?.[0]` : `${mapName}.get(${lookupKey})`;
  if (b.shape === 'count') replacement = `(${mapName}.get(${lookupKey}) ?? 0)`;
  else if (b.shape === 'result') replacement = `({ rows: ${mapName}.get(${lookupKey}) ?? [] })`;
  else if (b.shape === 'first-many') replacement = `(${mapName}.get(${lookupKey}) ?? []).slice(0, 1)`;
  else if (!single) replacement = `(${mapName}.get(${lookupKey}) ?? [])`;
  // The library's own error names the entity as the query did; from a helper's query moved here, that name may
  // not be in scope: no fix rather than a different error.
  else if (b.shape === 'one-throw' && b.notFound && h.target !== node) return undefined;
  else if (b.shape === 'one-throw') replacement = `(${got} ?? (() => { throw ${b.notFound ? b.notFound.text(k) : `new Error(\`No ${site.entity ?? site.table} with ${b.rowField} \${${lookupKey}}\`)`}; })())`;
  else replacement = b.missing === 'undefined' ? got : `(${got} ?? null)`;
  const needsParens = (n: ts.Node): boolean => {
    const p = n.parent;
    return !(ts.isCallExpression(p) && p.expression !== n) && !ts.isVariableDeclaration(p) && !ts.isReturnStatement(p) && !ts.isArrowFunction(p) && !ts.isArrayLiteralExpression(p) && !ts.isPropertyAssignment(p) && !ts.isExpressionStatement(p) && !ts.isSpreadElement(p);
  };
  // A pg result must only be read for `.rows`.
  let target: ts.Node = ts.isAwaitExpression(h.target.parent) ? h.target.parent : h.target;
  while (ts.isParenthesizedExpression(target.parent)) target = target.parent;
  // A read whose result goes nowhere: a Map lookup in its place would be a statement doing nothing.
  if (ts.isExpressionStatement(target.parent)) return undefined;
  // A query held unawaited in a variable is a builder or a promise, not rows: it may be extended
  // (`q.select(…)` on a Knex builder) or chained (`.then`) before it runs; rows in its place would not be.
  if (target === h.target && ts.isVariableDeclaration(target.parent)) return undefined;
  // A selection that gains the key field: only where nothing but named fields of the rows is read.
  if (b.addsField && !readsNamedFieldsOnly(target, b.shape === 'result' ? 'rows' : undefined)) return undefined;
  if (b.shape === 'result') {
    const p = target.parent;
    // `const res = await pool.query(…)` read only as `res.rows` (readsNamedFieldsOnly checked every use).
    const rowsOnly = b.addsField && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name);
    if (ts.isPropertyAccessExpression(p) && p.name.text === 'rows') {
      // `(await pool.query(…)).rows` → the group itself.
      target = p;
      replacement = `(${mapName}.get(${lookupKey}) ?? [])`;
    } else if (rowsOnly || (ts.isVariableDeclaration(p) && ts.isObjectBindingPattern(p.name) && p.name.elements.every((e) => (e.propertyName ?? e.name).getText() === 'rows'))) {
      replacement = `{ rows: ${mapName}.get(${lookupKey}) ?? [] }`;
    } else return undefined;
  }
  const edits: TextEdit[] = [...(sibling?.edits ?? [])];
  if (h.created) {
    // Each created row joins its key's group, as it joins the table: a later element's lookup finds it.
    const set = (v: string): string => (grouped ? `${mapName}.set(${keyText(`${v}.${b.rowField}`)}, [...(${mapName}.get(${keyText(`${v}.${b.rowField}`)}) ?? []), ${v}]);` : `${mapName}.set(${keyText(`${v}.${b.rowField}`)}, ${v});`);
    // Only a row the single read would have found: one that passes its other filters.
    const tests = (v: string): string => (b.rowFilters ?? []).map((f) => `${v}.${f.field} === ${f.value}`).join(' && ');
    const add = (v: string): string => (tests(v) ? `if (${tests(v)}) ${set(v)}` : set(v));
    const more = b.wholeRows && b.rowFilters && !b.getter ? h.created.edits(b, add) : undefined;
    if (!more) return undefined;
    edits.push(...more);
  }
  const imports = importsEdits(ctx, sf, [...(sibling ? [] : (b.imports ?? [])), ...(b.shape === 'one-throw' ? (b.notFound?.imports ?? []) : [])]);
  if (!imports) return undefined;
  edits.push(...imports);
  edits.push({ file: ctx.file.path, range: { start: anchor.stmt.getStart(), end: anchor.stmt.getStart() }, newText: lines.join(`\n${indent}`) + `\n${indent}` });
  if (!needsParens(target) && wrapped(replacement)) replacement = replacement.slice(1, -1);
  edits.push({ file: ctx.file.path, range: { start: target.getStart(), end: target.getEnd() }, newText: replacement });
  const what = site.table ?? site.entity ?? 'rows';
  return {
    title: `Load \`${what}\` for all of \`${coll}\` at once (${b.title}) and look each ${b.shape === 'count' ? "key's count up in a Map (a key with no row counts 0)" : `${firstOf ? "key's first row" : grouped ? 'group' : 'row'} up in a Map`}${h.created ? createdNote(b) : ''}`,
    safety: 'suggestion',
    edits,
  };
}
