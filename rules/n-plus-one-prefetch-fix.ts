/**
 * A read by key written in the loop, prefetched once before it (issue 13, "N+1 rewrites for the shapes real
 * code has"): the key may be any pure expression of the element, also through names the loop body declares
 * from it first, and the element may be destructured:
 *
 *     for (const { author } of posts) {             const userRows = await <one read over posts.map(({ author }) => author.trim())>;
 *       const id = author.trim();            →      const userById = new Map(…);
 *       const u = await <read by id>;               for (const { author } of posts) { const id = author.trim(); const u = userById.get(id) ?? null; … }
 *
 * What is pure here: property reads (no `?.`), `Number(…)`/`String(…)`, `.trim()`/`.toLowerCase()`/
 * `.toUpperCase()`/`.toString()`, template literals, and names declared outside the loop that it never
 * reassigns (a name bound only inside a callback elsewhere in the loop is not the loop's: loopBindings). A key that reads
 * below one property of the element is mapped over every element before the loop, so it is offered only where the loop
 * reads it unconditionally (keyMayThrowSkipped). The query and its Map live in n-plus-one-fix.ts (hoistRead); the
 * library's batched form is its adapter's (AdapterRules.batchedRead).
 *
 * The loop may be `for…of`, an indexed `for`, a `map`/`forEach`/`flatMap` callback, or the callback of a function
 * taking the collection first (`pMap(xs, cb, { concurrency })`, `Bluebird.map`): the prefetch goes before the
 * statement holding it. Not where pMap is told to keep going past a failing element (`stopOnError: false`).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { unparen } from '../engine/adapters/kit/fix';
import type { RuleContext } from '../engine/context';
import { collectionFirstCallback, type IterationScope } from '../engine/sources/iteration';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix } from '../engine/types';
import { adapterOf } from '../engine/adapters';
import type { Batched } from '../engine/adapters/types';
import type { TextEdit } from '../engine/types';
import { anchorStatement, assignedNames, isPlainRef, loopBindings, loopChangesData, perElementErrorHandling } from './n-plus-one-fix-kit';
import { hoistRead, outerGuard, type ReadHoist } from './n-plus-one-hoist';

/** Methods of a string or number that read nothing but their receiver. */
const PURE_METHODS = new Set(['trim', 'toLowerCase', 'toUpperCase', 'toString', 'toLocaleLowerCase', 'toLocaleUpperCase']);
const PURE_FUNCTIONS = new Set(['Number', 'String']);

/** The loop's element as written: its names, and the parameter text a `.map` over the collection takes. */
export interface ElementBinding {
  names: Set<string>;
  param: string;
  /** A plain identifier (`for (const u of users)`): the collection is its own key list when the key is the element. */
  plain: boolean;
}

/** `el`, or `{ id, owner: { name } }` without defaults or rest: the names it binds. */
function bindingNames(name: ts.BindingName, out: Set<string>): boolean {
  if (ts.isIdentifier(name)) {
    out.add(name.text);
    return true;
  }
  if (!ts.isObjectBindingPattern(name) && !ts.isArrayBindingPattern(name)) return false;
  for (const e of name.elements) {
    if (ts.isOmittedExpression(e)) continue;
    if (e.initializer || e.dotDotDotToken) return false;
    if (e.propertyName && !ts.isIdentifier(e.propertyName)) return false;
    if (!bindingNames(e.name, out)) return false;
  }
  return true;
}

/**
 * The counter of `for (let i = 0; i < xs.length; i++)` when it runs over every index of `xs` once: also with the
 * length held in a name of the header (`for (let i = 0, L = xs.length; i !== L; ++i)`), `!==` for `<`, and `i += 1`;
 * neither the counter nor that name assigned in the body.
 */
function indexCounter(loop: ts.ForStatement, coll: string): string | undefined {
  const init = loop.initializer;
  if (!init || !ts.isVariableDeclarationList(init) || !init.declarations.length || init.declarations.length > 2) return undefined;
  const [d, len] = init.declarations;
  if (!ts.isIdentifier(d.name) || d.initializer?.getText() !== '0') return undefined;
  const i = d.name.text;
  const lenName = len && ts.isIdentifier(len.name) && len.initializer?.getText() === `${coll}.length` ? len.name.text : undefined;
  if (len && !lenName) return undefined;
  const cond = loop.condition;
  const bound = (e: ts.Expression): boolean => e.getText() === `${coll}.length` || (!!lenName && e.getText() === lenName);
  if (!cond || !ts.isBinaryExpression(cond) || !/^(<|!==|!=)$/.test(cond.operatorToken.getText()) || cond.left.getText() !== i || !bound(cond.right)) return undefined;
  const inc = loop.incrementor?.getText().replace(/\s+/g, '');
  if (inc !== `${i}++` && inc !== `++${i}` && inc !== `${i}+=1`) return undefined;
  const assigned = assignedNames(loop.statement);
  if (assigned.has(i) || (lenName && assigned.has(lenName))) return undefined;
  return i;
}

/**
 * `for (let i = 0; i < xs.length; i++) { const x = xs[i]; … }`: the element `x` (the loop's first statement),
 * when the counter runs over every index once.
 */
function indexedElement(loop: ts.ForStatement, coll: string): ts.BindingName | undefined {
  const i = indexCounter(loop, coll);
  if (!i) return undefined;
  const first = ts.isBlock(loop.statement) ? loop.statement.statements[0] : undefined;
  if (!first || !ts.isVariableStatement(first) || !(first.declarationList.flags & ts.NodeFlags.Const) || first.declarationList.declarations.length !== 1) return undefined;
  const x = first.declarationList.declarations[0];
  const v = x.initializer && unparen(x.initializer);
  if (!v || !ts.isElementAccessExpression(v) || v.expression.getText() !== coll || v.argumentExpression.getText() !== i) return undefined;
  return x.name;
}

/**
 * The element of an indexed `for` that the body reads as `xs[i]` where the query reads it (zipline's
 * `findFirst({ where: { id: byUser[i].userId } })`): the one `xs[i]` the query reads, every read of the counter
 * there being that one; the key widens from it as from a name, and is mapped over `xs` with a parameter of its own.
 */
function indexedKeyUse(scope: IterationScope, node: ts.Node, coll: string): ts.ElementAccessExpression | undefined {
  if (scope.kind !== 'for' || !ts.isForStatement(scope.node)) return undefined;
  const i = indexCounter(scope.node, coll);
  if (!i) return undefined;
  const reads = namesRead(node).filter((n) => n.text === i);
  const uses = reads.map((n) => n.parent).filter((p): p is ts.ElementAccessExpression => ts.isElementAccessExpression(p) && p.argumentExpression.getText() === i && p.expression.getText() === coll);
  return reads.length === 1 && uses.length === 1 ? uses[0] : undefined;
}

/**
 * The collection as an array to map the keys from, and the reference it reads (what the loop must not change):
 * `users`, `this.users`; `byId.entries()`/`.keys()`/`.values()` of one (`Array.from(…)`, an iterator is read
 * once); `Object.entries(x)`/`keys`/`values`.
 */
export function collectionSource(e: ts.Expression | undefined): { list: string; base: string } | undefined {
  if (!e) return undefined;
  const c = unparen(e);
  if (isPlainRef(c)) return { list: c.getText(), base: c.getText() };
  if (!ts.isCallExpression(c) || !ts.isPropertyAccessExpression(c.expression) || !/^(entries|keys|values)$/.test(c.expression.name.text)) return undefined;
  const recv = c.expression.expression;
  if (!c.arguments.length && isPlainRef(recv)) return { list: `Array.from(${c.getText()})`, base: recv.getText() };
  if (c.arguments.length === 1 && recv.getText() === 'Object' && isPlainRef(c.arguments[0])) return { list: c.getText(), base: c.arguments[0].getText() };
  return undefined;
}

export function elementBinding(scope: IterationScope): ElementBinding | undefined {
  let name: ts.BindingName | undefined;
  if (scope.kind === 'for' && ts.isForStatement(scope.node) && scope.collectionExpr) name = indexedElement(scope.node, unparen(scope.collectionExpr).getText());
  else if (scope.kind === 'for-of' && ts.isForOfStatement(scope.node)) {
    const init = scope.node.initializer;
    if (ts.isVariableDeclarationList(init) && init.declarations.length === 1) name = init.declarations[0].name;
  } else if (scope.kind === 'callback' && ts.isFunctionLike(scope.node)) {
    const p = scope.node.parameters[0];
    if (p && !p.dotDotDotToken && !p.initializer) name = p.name;
  }
  const names = new Set<string>();
  if (!name || !bindingNames(name, names)) return undefined;
  return { names, param: name.getText(), plain: ts.isIdentifier(name) };
}

/** Is `n` a name read (not a property name, not a declaration's own name)? */
function isNameRead(n: ts.Identifier): boolean {
  const p = n.parent;
  if ((ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n)) return false;
  if ((ts.isBindingElement(p) && (p.propertyName === n || p.name === n)) || (ts.isVariableDeclaration(p) && p.name === n)) return false;
  if (ts.isParameter(p) || ts.isFunctionLike(p)) return false;
  return true;
}

/** Identifiers read in a node. */
export function namesRead(node: ts.Node): ts.Identifier[] {
  const out: ts.Identifier[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && isNameRead(n)) out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** Is the expression a pure function of the names it reads (see the module comment)? */
export function pureExpression(e: ts.Expression): boolean {
  let pure = true;
  const visit = (n: ts.Node): void => {
    if (!pure) return;
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      const method = ts.isPropertyAccessExpression(callee) && !callee.questionDotToken && PURE_METHODS.has(callee.name.text) && n.arguments.length === 0;
      const fn = ts.isIdentifier(callee) && PURE_FUNCTIONS.has(callee.text) && n.arguments.length === 1;
      if (!method && !fn) pure = false;
      else ts.forEachChild(method ? callee : n.arguments[0], visit);
      return;
    }
    if ((ts.isPropertyAccessExpression(n) && n.questionDotToken) || ts.isElementAccessExpression(n) || ts.isAwaitExpression(n) || ts.isFunctionLike(n)) pure = false;
    else if (!(ts.isIdentifier(n) || ts.isPropertyAccessExpression(n) || ts.isParenthesizedExpression(n) || ts.isAsExpression(n) || ts.isNonNullExpression(n) || ts.isTemplateExpression(n) || ts.isTemplateSpan(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n) || ts.isTypeNode(n))) pure = false;
    else ts.forEachChild(n, visit);
  };
  visit(e);
  return pure;
}

/** The key: the use widened over property reads and pure calls (`el.email.toLowerCase()`, `Number(el.id)`). */
export function keyOf(use: ts.Identifier | ts.ElementAccessExpression): ts.Expression | undefined {
  if (ts.isShorthandPropertyAssignment(use.parent)) return use;
  let e: ts.Expression = use;
  for (;;) {
    const p: ts.Node = e.parent;
    if (ts.isPropertyAccessExpression(p) && p.expression === e && !p.questionDotToken) {
      const c = p.parent;
      if (ts.isCallExpression(c) && c.expression === p) {
        if (!PURE_METHODS.has(p.name.text) || c.arguments.length) return undefined;
        e = c;
      } else e = p;
    } else if (ts.isCallExpression(p) && ts.isIdentifier(p.expression) && PURE_FUNCTIONS.has(p.expression.text) && p.arguments.length === 1 && p.arguments[0] === e) e = p;
    else break;
  }
  if ((ts.isCallExpression(e.parent) && e.parent.expression === e) || (ts.isElementAccessExpression(e.parent) && e.parent.expression === e)) return undefined;
  return e;
}

/**
 * Names the loop body declares from the element before the query's statement, at its top level, each a
 * `const` whose value is a pure expression of the element (and of earlier such names): their values.
 */
export function elementAliases(scope: IterationScope, node: ts.Node, el: ElementBinding, outerOk: (id: ts.Identifier) => boolean): Map<string, string> {
  const aliases = new Map<string, string>();
  const body = scope.body;
  if (!ts.isBlock(body)) return aliases;
  const ok = (e: ts.Expression): boolean => pureExpression(e) && namesRead(e).every((n) => el.names.has(n.text) || aliases.has(n.text) || outerOk(n));
  for (const st of body.statements) {
    if (st.getEnd() >= node.getStart()) break;
    if (!ts.isVariableStatement(st) || !(st.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const d of st.declarationList.declarations) {
      if (!d.initializer || !ok(d.initializer)) continue;
      const init = unparen(d.initializer);
      const simple = ts.isIdentifier(init) || ts.isPropertyAccessExpression(init) || ts.isCallExpression(init) || ts.isTemplateExpression(init);
      const value = simple ? substitute(init, aliases) : `(${substitute(d.initializer, aliases)})`;
      if (ts.isIdentifier(d.name)) aliases.set(d.name.text, value);
      else if (ts.isObjectBindingPattern(d.name)) {
        // const { id, owner: { name } } = el
        const walk = (pat: ts.ObjectBindingPattern, base: string): void => {
          for (const e of pat.elements) {
            const prop = (e.propertyName ?? e.name) as ts.Node;
            if (e.initializer || e.dotDotDotToken || !ts.isIdentifier(prop)) continue;
            if (ts.isIdentifier(e.name)) aliases.set(e.name.text, `${base}.${prop.text}`);
            else if (ts.isObjectBindingPattern(e.name)) walk(e.name, `${base}.${prop.text}`);
          }
        };
        walk(d.name, value);
      }
    }
  }
  return aliases;
}

/** The expression's text with each alias it reads replaced by its value. */
export function substitute(e: ts.Node, aliases: Map<string, string>): string {
  const base = e.getStart();
  let text = e.getText();
  const uses = namesRead(e).filter((n) => aliases.has(n.text));
  for (const u of uses.sort((a, b) => b.getStart() - a.getStart())) {
    const v = aliases.get(u.text)!;
    const s = u.getStart() - base;
    // `{ id }` in the key: the shorthand keeps its property name.
    const rep = u !== e && ts.isShorthandPropertyAssignment(u.parent) ? `${u.text}: ${v}` : v;
    text = text.slice(0, s) + rep + text.slice(s + u.getWidth());
  }
  return text;
}

/**
 * Could mapping the key over every element throw where the loop did not? A key that reads below one property of
 * the element (`el.project.id`, `el.email.toLowerCase()`) can, for an element the loop skips before the query
 * (`if (!el.project) continue;`) or reads only under a condition (`if (el.project) q(el.project.id)`): the
 * prefetch maps it over every element first. The element, one property of it, and `Number(…)`/`String(…)` of
 * those read nothing that can be missing.
 */
export function keyMayThrowSkipped(scope: IterationScope, node: ts.Node, keyText: string): boolean {
  if (/^((Number|String)\()?[\w$]+(\.[\w$]+)?\)?$/.test(keyText.replace(/\s+/g, '')) && !/^\(/.test(keyText)) return false;
  const body = scope.body;
  for (let n: ts.Node = node.parent; n && n !== body && n !== scope.node; n = n.parent) {
    if (ts.isIfStatement(n) || ts.isConditionalExpression(n) || ts.isCaseClause(n)) return true;
    if (ts.isBinaryExpression(n) && /^(&&|\|\||\?\?)$/.test(n.operatorToken.getText())) return true;
  }
  let leaves = false;
  const visit = (x: ts.Node): void => {
    if (leaves || x.getStart() >= node.getStart() || (ts.isFunctionLike(x) && x !== scope.node)) return;
    if (ts.isContinueStatement(x) || ts.isBreakStatement(x) || ts.isReturnStatement(x) || ts.isThrowStatement(x)) leaves = true;
    else ts.forEachChild(x, visit);
  };
  visit(body);
  return leaves;
}

/**
 * Does the loop body leave the iteration, before the query, for an element whose key is absent: a statement of its
 * top level `if (!key) continue;` (or `key == null`, `=== null`, `=== undefined`; `continue` or `return`)? Then the
 * query never runs with a missing key, whatever its declared type.
 */
export function absentKeySkipped(scope: IterationScope, node: ts.Node, keyText: string): boolean {
  const body = scope.body;
  if (!ts.isBlock(body)) return false;
  const same = (e: ts.Expression): boolean => unparen(e).getText().replace(/\s+/g, '') === keyText.replace(/\s+/g, '');
  const absentTest = (c: ts.Expression): boolean => {
    c = unparen(c);
    if (ts.isPrefixUnaryExpression(c) && c.operator === ts.SyntaxKind.ExclamationToken) return same(c.operand);
    if (!ts.isBinaryExpression(c) || !/^(==|===)$/.test(c.operatorToken.getText())) return false;
    const absent = (e: ts.Expression): boolean => e.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(e) && e.text === 'undefined');
    return (same(c.left) && absent(unparen(c.right))) || (same(c.right) && absent(unparen(c.left)));
  };
  const leaves = (st: ts.Statement): boolean =>
    ts.isContinueStatement(st) || ts.isReturnStatement(st) || (ts.isBlock(st) && st.statements.length > 0 && leaves(st.statements[st.statements.length - 1]));
  return body.statements.some((st) => st.getEnd() <= node.getStart() && ts.isIfStatement(st) && !st.elseStatement && absentTest(st.expression) && leaves(st.thenStatement));
}

/**
 * Is `name` a `const` of the loop body's top level declared before anything that can leave the iteration
 * (`continue`, `break`, `return`, `throw`)? Then every element computes it, and mapping it over every element
 * throws only where the loop would have thrown too.
 */
function aliasedBeforeLeaving(scope: IterationScope, name: string): boolean {
  const body = scope.body;
  if (!ts.isBlock(body)) return false;
  let leaves = false;
  const visit = (x: ts.Node): void => {
    if (leaves || ts.isFunctionLike(x)) return;
    if (ts.isContinueStatement(x) || ts.isBreakStatement(x) || ts.isReturnStatement(x) || ts.isThrowStatement(x)) leaves = true;
    else ts.forEachChild(x, visit);
  };
  for (const st of body.statements) {
    if (ts.isVariableStatement(st) && st.declarationList.flags & ts.NodeFlags.Const && st.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === name)) return !leaves;
    visit(st);
  }
  return false;
}

/** The prefetch of a read by key written in the loop, as a suggestion; undefined when it is not mechanical. */
export function prefetchFix(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope): Fix | undefined {
  const source = collectionSource(scope.collectionExpr);
  if (site.kind !== 'read' || !source) return undefined;
  if (scope.kind !== 'for-of' && scope.kind !== 'for' && !(scope.kind === 'callback' && (/^(map|forEach|flatMap)$/.test(scope.method ?? '') || collectionFirstCallback(scope)))) return undefined;
  const indexed = indexedKeyUse(scope, node, unparen(scope.collectionExpr!).getText());
  const el = elementBinding(scope);
  if ((!el && !indexed) || perElementErrorHandling(node, scope)) return undefined;
  const sf = ctx.tsAst();
  const anchor = anchorStatement(scope);
  if (!sf || !anchor) return undefined;
  const coll = source.base;
  if (!el) return indexed && indexedPrefetch(ctx, site, node, scope, indexed, { sf, anchor, coll, list: source.list });
  // Names the loop declares or reassigns change per element; the element's own names are the key's.
  const shadowed = loopBindings(scope.node, node);
  const reassigned = assignedNames(scope.body);
  const outerOk = (n: ts.Identifier): boolean => !shadowed(n) && !reassigned.has(n.text);
  const aliases = elementAliases(scope, node, el, outerOk);
  const perElement = namesRead(node).filter((n) => el.names.has(n.text) || aliases.has(n.text));
  if (perElement.length === 0) return hoistInvariant(ctx, site, node, scope, anchor, outerOk);
  if (perElement.length !== 1) return undefined;
  const key = keyOf(perElement[0]);
  if (!key) return undefined;
  // Everything else the query reads is the same for every element.
  const rest = namesRead(node).filter((n) => n.getStart() < key.getStart() || n.getEnd() > key.getEnd());
  if (!rest.every((n) => outerOk(n))) return undefined;
  const keyText = substitute(key, aliases);
  if (!(ts.isIdentifier(key) && aliasedBeforeLeaving(scope, key.text)) && keyMayThrowSkipped(scope, node, keyText)) return undefined;
  // `for (const [k, v] of m)`: the collection may be a Map, which has no `.map`.
  const list = /^\[/.test(el.param) && source.list === source.base ? `Array.from(${source.list})` : source.list;
  const keysExpr = el.plain && ts.isIdentifier(key) && el.names.has(key.text) ? list : `${list}.map((${el.param}) => ${keyText})`;
  const lookup = key.getText();
  const created = createdRows(ctx, site, scope);
  if (created === null) return undefined;
  const mapped = keysExpr === list ? undefined : { list, param: el.param, key: keyText, guarded: absentKeySkipped(scope, node, key.getText()) };
  return hoistRead(ctx, { site, query: node, key, keysExpr, mapped, lookup, target: node, scope, anchor, coll, sf, created });
}

/**
 * The prefetch for an indexed `for` whose body reads the element as `xs[i]` (indexedKeyUse): the key's text with
 * `xs[i]` replaced by a parameter is mapped over `xs`; everything else the query reads is the same for every element.
 */
function indexedPrefetch(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope, use: ts.ElementAccessExpression, at: { sf: ts.SourceFile; anchor: NonNullable<ReturnType<typeof anchorStatement>>; coll: string; list: string }): Fix | undefined {
  const key = keyOf(use);
  if (!key) return undefined;
  const shadowed = loopBindings(scope.node, node);
  const reassigned = assignedNames(scope.body);
  const rest = namesRead(node).filter((n) => n.getStart() < key.getStart() || n.getEnd() > key.getEnd());
  if (!rest.every((n) => !shadowed(n) && !reassigned.has(n.text))) return undefined;
  const fnText = at.anchor.fn.getText();
  const param = ['el', 'item', 'entry', 'x'].find((p) => !new RegExp(`\\b${p}\\b`).test(fnText));
  if (!param) return undefined;
  const keyText = key.getText().slice(0, use.getStart() - key.getStart()) + param + key.getText().slice(use.getEnd() - key.getStart());
  if (keyMayThrowSkipped(scope, node, keyText)) return undefined;
  const created = createdRows(ctx, site, scope);
  if (created === null) return undefined;
  const mapped = { list: at.list, param, key: keyText, guarded: absentKeySkipped(scope, node, key.getText()) };
  // `byUser[i].userId!`: TypeScript does not narrow `xs[i]` by the loop's `if (!xs[i].userId) continue;`, so the lookup keeps the assertion.
  const lookup = ts.isNonNullExpression(key.parent) ? key.parent.getText() : key.getText();
  return hoistRead(ctx, { site, query: node, key, keysExpr: key === use ? at.list : `${at.list}.map((${param}) => ${keyText})`, mapped, lookup, target: node, scope, anchor: at.anchor, coll: at.coll, sf: at.sf, created });
}

/**
 * Find-or-create: the loop's writes of the read's table, when each is a create the loop runs in order (for…of,
 * for) whose new row, returned whole, is a `const` of the loop body: each gets a line after it that adds the row
 * to the prefetch's Map (ReadHoist.created). undefined: the loop writes no such table; null: it writes it otherwise.
 */
function createdRows(ctx: RuleContext, site: QuerySite, scope: IterationScope): ReadHoist['created'] | null | undefined {
  const { start, end } = scope.range;
  const adapter = adapterOf(site.library);
  const sites = ctx.querySites().filter((s) => s !== site && s.range.start >= start && s.range.end <= end && s.range.start !== site.range.start && !!site.table && s.table === site.table && (s.kind !== 'read' || adapter.rules.isWrite(s, undefined, ctx.file.text.slice(s.range.start, s.range.end))));
  if (!sites.length) return undefined;
  if (scope.kind !== 'for-of' && scope.kind !== 'for') return null;
  const stmts: { stmt: ts.VariableStatement; name: string }[] = [];
  for (const s of sites) {
    let call: ts.CallExpression | undefined;
    const find = (n: ts.Node): void => {
      if (call || n.getEnd() < s.range.start || n.getStart() > s.range.end) return;
      if (ts.isCallExpression(n) && n.getStart() === s.range.start && n.getEnd() === s.range.end) call = n;
      else ts.forEachChild(n, find);
    };
    find(scope.body);
    if (!call || s.library !== site.library || !adapter.rules.createReturnsRow(call) || !ts.isAwaitExpression(call.parent)) return null;
    const decl = call.parent.parent;
    if (!ts.isVariableDeclaration(decl) || decl.initializer !== call.parent || !ts.isIdentifier(decl.name) || !ts.isVariableDeclarationList(decl.parent) || decl.parent.declarations.length !== 1 || !(decl.parent.flags & ts.NodeFlags.Const)) return null;
    const stmt = decl.parent.parent;
    if (!ts.isVariableStatement(stmt) || !ts.isBlock(stmt.parent)) return null;
    // In the loop's own body, not in a callback inside it.
    for (let n: ts.Node = stmt.parent; n !== scope.body; n = n.parent) if (!n || ts.isFunctionLike(n)) return null;
    stmts.push({ stmt, name: decl.name.text });
  }
  const text = ctx.file.text;
  return {
    sites,
    edits: (_b, add) =>
      stmts.map(({ stmt, name }): TextEdit => {
        const indent = /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', stmt.getStart() - 1) + 1))![0];
        // After the statement's line, a comment that ends it included.
        const eol = text.indexOf('\n', stmt.getEnd());
        const at = eol >= 0 && /^\s*(\/\/.*)?$/.test(text.slice(stmt.getEnd(), eol)) ? eol : stmt.getEnd();
        return { file: ctx.file.path, range: { start: at, end: at }, newText: `\n${indent}${add(name)}` };
      }),
  };
}

/**
 * A read that does not depend on the element at all (`const team = await findTeam(teamId)` in a loop over
 * invites): its declaration moves before the loop, unchanged, and every iteration reads the one result.
 * Only a `const` declared once in the function, a read that cannot throw for a missing row (no
 * `…OrThrow`/`…OrFail`: before the loop it would run even for an empty collection), and a loop that does
 * not write what it reads.
 */
function hoistInvariant(ctx: RuleContext, site: QuerySite, node: ts.Node, scope: IterationScope, anchor: { stmt: ts.Statement; fn: ts.FunctionLikeDeclaration | ts.SourceFile }, outerOk: (n: ts.Identifier) => boolean): Fix | undefined {
  if (/OrThrow|OrFail/.test(site.operation) || !namesRead(node).every((n) => outerOk(n))) return undefined;
  // Read only where a test of what it reads holds (`if (team) { const t = await q(team.id) }`): before the loop it would run untested.
  if (outerGuard({ target: node, scope, lookup: '' }) !== undefined) return undefined;
  const awaited = node.parent;
  if (!ts.isAwaitExpression(awaited)) return undefined;
  const decl = awaited.parent;
  if (!ts.isVariableDeclaration(decl) || decl.initializer !== awaited || !ts.isVariableDeclarationList(decl.parent) || decl.parent.declarations.length !== 1) return undefined;
  const stmt = decl.parent.parent;
  if (!ts.isVariableStatement(stmt) || !(decl.parent.flags & ts.NodeFlags.Const) || !ts.isBlock(stmt.parent)) return undefined;
  // Every name it declares is declared once in the function and read only inside the loop (else moving it out would clash or shadow).
  const names = new Set<string>();
  if (!bindingNames(decl.name, names)) return undefined;
  const counts = new Map<string, number>();
  const visit = (n: ts.Node): void => {
    if ((ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n) || ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n)) && n.name && ts.isIdentifier(n.name)) counts.set(n.name.text, (counts.get(n.name.text) ?? 0) + 1);
    if (ts.isIdentifier(n) && names.has(n.text) && isNameRead(n) && (n.getStart() < scope.node.getStart() || n.getEnd() > scope.node.getEnd())) counts.set(n.text, 99);
    ts.forEachChild(n, visit);
  };
  visit(anchor.fn);
  if ([...names].some((n) => counts.get(n) !== 1)) return undefined;
  if (loopChangesData(ctx, site, scope, unparen(scope.collectionExpr!).getText())) return undefined;
  const indentAt = (pos: number): string => /^[ \t]*/.exec(ctx.file.text.slice(ctx.file.text.lastIndexOf('\n', pos - 1) + 1))![0];
  const indent = indentAt(anchor.stmt.getStart());
  const own = indentAt(stmt.getStart());
  // The statement's lines keep their shape at the loop's indentation; its place in the loop (with its comments) goes.
  const stmtText = stmt.getText().split('\n').map((l, i) => (i > 0 && l.startsWith(own) ? indent + l.slice(own.length) : l)).join('\n');
  // Its whole line goes (a comment after it included) when nothing else is on it.
  const text = ctx.file.text;
  const lineStart = text.lastIndexOf('\n', stmt.getStart() - 1) + 1;
  const eol = text.indexOf('\n', stmt.getEnd());
  const tail = text.slice(stmt.getEnd(), eol < 0 ? text.length : eol);
  const alone = /^\s*$/.test(text.slice(lineStart, stmt.getStart())) && /^\s*(\/\/.*)?$/.test(tail);
  const from = alone ? lineStart : stmt.getStart();
  const to = alone && eol >= 0 ? eol + 1 : stmt.getEnd();
  return {
    title: `Read \`${site.table ?? site.entity ?? 'it'}\` once before the loop: the query does not depend on the element`,
    safety: 'suggestion',
    edits: [
      { file: ctx.file.path, range: { start: anchor.stmt.getStart(), end: anchor.stmt.getStart() }, newText: `${stmtText}\n${indent}` },
      { file: ctx.file.path, range: { start: from, end: to }, newText: '' },
    ],
  };
}

/**
 * `m.set(k, v)` in `for (const [k, …] of m)`: a Map's value set for the key being visited changes no key the
 * loop visits or the prefetch reads.
 */
export function setsOwnKey(scope: IterationScope, call: ts.CallExpression, coll: string): boolean {
  const loop = scope.node;
  if (!ts.isForOfStatement(loop) || unparen(loop.expression).getText() !== coll || !ts.isVariableDeclarationList(loop.initializer)) return false;
  const pat = loop.initializer.declarations[0]?.name;
  const first = pat && ts.isArrayBindingPattern(pat) ? pat.elements[0] : undefined;
  const arg = call.arguments[0];
  if (!first || !ts.isBindingElement(first) || !ts.isIdentifier(first.name) || first.dotDotDotToken || !arg || !ts.isIdentifier(arg)) return false;
  return (call.expression as ts.PropertyAccessExpression).name.text === 'set' && arg.text === first.name.text && !assignedNames(scope.body).has(arg.text);
}

/** What the find-or-create prefetch changes, said in its title. */
export function createdNote(b: Batched): string {
  const notes = ['; each row the loop creates is added to the Map, so a later element finds it as before'];
  if (b.anyOfGroup) notes.push('where several rows match a key, the one used may differ from the one the unordered single read returned');
  if (b.caseInsensitive) notes.push("names are matched with toLowerCase(), where the single read's ILIKE also took `%` and `_` in a name as wildcards");
  return notes.join('; ');
}
