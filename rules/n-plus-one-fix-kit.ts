/**
 * Syntax helpers the N+1 fixes share: names a loop binds, reads and assigns, the statement a hoisted
 * lookup goes before, imports a fix adds, whether a failure is handled per element.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import { KEYS, methodOf, unparen } from '../engine/adapters/kit/fix';
import type { FixPiece } from '../engine/adapters/types';
import type { RuleContext } from '../engine/context';
import type { TableInfo } from '../engine/schema/types';
import { BATCH_RUNNER_METHODS } from '../engine/adapters';
import { CallGraph, findNode } from '../engine/sources/call-graph';
import { collectionFirstCallback, enclosingIterations, type IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import type { TextEdit } from '../engine/types';
import { setsOwnKey } from './n-plus-one-prefetch-fix';

/** The names of the tables a read loads or filters through relations (AdapterRules.loadedTables), when all are known. */
function loadedTablesOf(ctx: RuleContext, site: QuerySite): string[] | undefined {
  const sf = ctx.tsAst();
  const call = sf && findNode(sf, site.range);
  const table = site.table ? ctx.table(site.table) : undefined;
  if (!call || !ts.isCallExpression(call) || !table) return undefined;
  return adapterOf(site.library).rules.loadedTables(call, table, ctx.schema)?.map((t) => t.name);
}

const isAbsentType = (u: ts.TypeNode): boolean => u.kind === ts.SyntaxKind.UndefinedKeyword || (ts.isLiteralTypeNode(u) && u.literal.kind === ts.SyntaxKind.NullKeyword);

/** Does this file declare a property `name` optional or nullable anywhere? */
export function declaredAbsent(sf: ts.SourceFile, name: string): boolean {
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
 * Is `column` unique among the rows the read's other filters keep: a primary key or unique index (no predicate) over it
 * and columns each of which the read compares for equality to one value (`where: { orgId, name }` against
 * `@@unique([name, orgId])`)? A filter to null does not count (NULLs are distinct in a unique index), nor a value read
 * as a property this file declares optional or nullable (an undefined filter is dropped by the library).
 */
export function uniqueAmongFilters(table: TableInfo | undefined, column: string, filters: { field: string; value: string }[] | undefined, sf: ts.SourceFile): boolean {
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
export function isUniqueColumn(table: TableInfo | undefined, column: string): boolean {
  if (!table) return false;
  const snake = column.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const col = [...table.columns.values()].find((c) => c.name === column || c.fieldName === column || c.name === snake);
  if (!col) return false;
  return table.indexes.some((i) => (i.kind === 'primary' || i.kind === 'unique') && !i.predicate && i.keys.length === 1 && i.keys[0].column === col.name);
}

export function columnOf(table: TableInfo | undefined, column: string) {
  if (!table) return undefined;
  const snake = column.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return [...table.columns.values()].find((c) => c.name === column || c.fieldName === column || c.name === snake);
}

/**
 * How keys compare in a Map: 'skip' for types read back as objects (dates,
 * times, Prisma Decimal/Json), 'string' where the driver returns a string
 * (a raw driver returns int8/numeric as text) or the type is unknown, else 'plain'.
 */
export function keyKind(library: QuerySite['library'], table: TableInfo | undefined, column: string): 'plain' | 'string' | 'skip' {
  const type = columnOf(table, column)?.type.toLowerCase();
  if (type && /date|time|interval|json|bytea|point|\[\]/.test(type)) return 'skip';
  // Typed rows (numbers stay numbers, decimals come back as objects).
  if (adapterOf(library).rules.typedRowKeys) return type && /numeric|decimal|money/.test(type) ? 'skip' : 'plain';
  if (!type || /^(bigint|int8|bigserial|serial8|numeric|decimal|money)/.test(type)) return 'string';
  return 'plain';
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
export function identifiersRead(node: ts.Node): ts.Identifier[] {
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

export const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export const camel = (s: string): string => s.replace(/[_-](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^\w$]/g, '');

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

/** Is the text one parenthesised expression (`(a ?? b)`, not `(a ?? b).slice(0, 1)`)? */
export function wrapped(text: string): boolean {
  if (!text.startsWith('(') || !text.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0 && i < text.length - 1) return false;
  }
  return true;
}
