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
import { chainCalls, keyExpression, methodOf, unparen, whole } from '../engine/adapters/kit/fix';
import type { Batched } from '../engine/adapters/types';
import type { RuleContext } from '../engine/context';
import { type IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix, TextEdit } from '../engine/types';
import { prefetchFix } from './n-plus-one-prefetch-fix';
import { anchorStatement, assignedNames, camel, elementUses, identifiersRead, importEdits, isPlainRef, loopBindings, perElementErrorHandling, readNames, render, soleQueryStatement, writeTarget } from './n-plus-one-fix-kit';

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
