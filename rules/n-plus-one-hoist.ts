/**
 * Hoisting a per-element read: the read moves before the loop as one batched query over the collection's keys
 * and the loop looks its row up in a Map (`ReadHoist` says what to hoist; `hoistRead` writes the edits).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { adapterOf } from '../engine/adapters';
import { unparen } from '../engine/adapters/kit/fix';
import type { Batched, FixPiece } from '../engine/adapters/types';
import type { RuleContext } from '../engine/context';
import { type IterationScope } from '../engine/sources/iteration';
import { fileProvenance } from '../engine/sources/provenance';
import type { QuerySite } from '../engine/sources/query-sites';
import type { Fix, TextEdit } from '../engine/types';
import { createdNote } from './n-plus-one-prefetch-fix';
import { assignedNames, camel, cap, columnOf, declaredAbsent, declaredNames, importsEdits, isUniqueColumn, keyKind, loopChangesData, render, tableSource, uniqueAmongFilters, wrapped } from './n-plus-one-fix-kit';

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
  // Names the function does not use yet, and that no other prefetch of the same table in the function can take: the
  // k-th of the function's m queries on it tries suffixes k, k+m, … (`''` for 0, else the index + 1), so that
  // applying the fixes of two of them together (a count and a read of one table) declares no name twice.
  const { ord, total } = ordinalInFunction(ctx, site, anchor.fn, entity);
  const n = [0, 1, 2, 3].map((i) => ord + i * total).map((x) => (x === 0 ? '' : String(x + 1))).find((x) => free(`${base}By${cap(camel(b.rowField))}${x}`) && free(`${base}Rows${x}`) && free(`${base}Keys${x}`));
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
  // Where the loop reads the row only under a test of a name from outside the loop (`bizUser ? q(bizUser.id) : null`),
  // the prefetch runs under the same test; a test it cannot carry leaves no fix.
  const guard = outerGuard(h);
  if (guard === null || (guard && b.shape === 'result')) return undefined;
  if (sibling) rowsExpr = `await ${sibling.call}`;
  else if (b.guardEmpty) {
    // A list already named (`ids`, `this.ids`) is its own key list.
    const keys = /^[\w$.]+$/.test(keysExpr) ? keysExpr : keysName;
    if (keys === keysName) lines.push(`const ${keysName} = ${keysExpr};`);
    rowsExpr = `${keys}.length ? await ${render(node, b.pieces, keys)} : []`;
  } else rowsExpr = `await ${render(node, b.pieces, keysExpr)}`;
  if (guard) rowsExpr = rowsExpr.startsWith('await ') ? `${guard} ? ${rowsExpr} : []` : `${guard} && ${rowsExpr}`;
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

/**
 * Which of the function's queries on the table (of the same name base) this one is, and how many there are (k of m);
 * 0 of 1 for a query reached through a helper in another file.
 */
function ordinalInFunction(ctx: RuleContext, site: QuerySite, fn: ts.Node, entity: string): { ord: number; total: number } {
  if (site.file !== ctx.file.path) return { ord: 0, total: 1 };
  const same = ctx
    .querySites()
    .filter((s) => s.file === ctx.file.path && s.range.start >= fn.getStart() && s.range.end <= fn.getEnd() && camel(s.entity ?? s.table ?? 'rows') === entity)
    .map((s) => s.range.start)
    .sort((a, b) => a - b);
  const ord = same.indexOf(site.range.start);
  return ord < 0 ? { ord: 0, total: 1 } : { ord, total: same.length };
}

/**
 * The test a prefetch must run under: the loop reads the row (`h.target`) only where a test of a name declared
 * outside the loop holds, a name the read itself uses (`bizUser ? findFirst({ where: { bizUserId: bizUser.id } }) :
 * null`, `if (company) { … company.id … }`, `company && q(company.id)`) — before the loop, unguarded, it would read
 * `null.id` where the loop never did. undefined: no such test; the test's text (its conjuncts that read only
 * outside names, for a branch taken when the test holds); null: such a test that cannot be carried (it reads what the
 * loop declares, guards an else branch, or leaves the iteration: `if (!company) continue;`).
 */
export function outerGuard(h: Pick<ReadHoist, 'target' | 'scope' | 'lookup'>): string | undefined | null {
  const loopNames = declaredNames(h.scope.node);
  for (const n of assignedNames(h.scope.body)) loopNames.add(n);
  // The key's own names (`byUser[i].userId`: the collection) are the prefetch's business (keyMayThrowSkipped).
  const keyNames = new Set(h.lookup.match(/[\w$]+/g) ?? []);
  const outer = new Set(namesIn(h.target).filter((n) => !loopNames.has(n) && !keyNames.has(n)));
  if (!outer.size) return undefined;
  const reads = (e: ts.Node): string[] => namesIn(e);
  const touches = (e: ts.Node): boolean => reads(e).some((n) => outer.has(n));
  const invariant = (e: ts.Expression): boolean => !reads(e).some((n) => loopNames.has(n)) && !hasCallOrAwait(e);
  const guards: string[] = [];
  const take = (cond: ts.Expression): boolean => {
    // The conjuncts that test an outside name must read nothing else the loop changes.
    const parts: ts.Expression[] = [];
    const split = (e: ts.Expression): void => {
      e = unparen(e);
      if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
        split(e.left);
        split(e.right);
      } else parts.push(e);
    };
    split(cond);
    for (const p of parts.filter(touches)) {
      if (!invariant(p)) return false;
      guards.push(p.getText());
    }
    return true;
  };
  let child: ts.Node = h.target;
  for (let n: ts.Node = h.target.parent; n && n !== h.scope.node; child = n, n = n.parent) {
    if (ts.isConditionalExpression(n) && child !== n.condition && touches(n.condition)) {
      if (child !== n.whenTrue || !take(n.condition)) return null;
    } else if (ts.isIfStatement(n) && child !== n.expression && touches(n.expression)) {
      if (child !== n.thenStatement || !take(n.expression)) return null;
    } else if (ts.isBinaryExpression(n) && child === n.right && /^(&&|\|\||\?\?)$/.test(n.operatorToken.getText()) && touches(n.left)) {
      if (n.operatorToken.kind !== ts.SyntaxKind.AmpersandAmpersandToken || !take(n.left)) return null;
    } else if (ts.isBlock(n) || ts.isSourceFile(n)) {
      // A statement before the read that leaves the iteration on a test of an outside name narrows it too.
      for (const st of (n as ts.Block).statements) {
        if (st.getStart() >= child.getStart()) break;
        if (ts.isIfStatement(st) && touches(st.expression) && leaves(st.thenStatement)) return null;
      }
    }
  }
  return guards.length ? [...new Set(guards)].map((g) => (/^!?[\w$.]+$/.test(g) ? g : `(${g})`)).join(' && ') : undefined;
}

/** Names read in a node (not property names). */
function namesIn(node: ts.Node): string[] {
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) {
      const p = n.parent;
      const prop = (ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n);
      if (!prop) out.push(n.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

function hasCallOrAwait(e: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) || ts.isAwaitExpression(n) || ts.isNewExpression(n) || ts.isTaggedTemplateExpression(n) || ts.isFunctionLike(n)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(e);
  return found;
}

/** Does the statement end by leaving the iteration or the function (`continue`, `break`, `return`, `throw`)? */
function leaves(st: ts.Statement): boolean {
  if (ts.isBlock(st)) return st.statements.length > 0 && leaves(st.statements[st.statements.length - 1]);
  return ts.isContinueStatement(st) || ts.isBreakStatement(st) || ts.isReturnStatement(st) || ts.isThrowStatement(st);
}
