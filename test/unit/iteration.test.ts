import assert from 'node:assert/strict';
import * as ts from 'typescript';
import { enclosingIterations, exitsAfter, isImmediateCallback } from '../../engine/sources/iteration';

/** The scopes around the first call to `q(` in the code. */
function scopesAt(code: string) {
  const sf = ts.createSourceFile('x.ts', code, ts.ScriptTarget.Latest, true);
  let target: ts.Node | undefined;
  const visit = (n: ts.Node): void => {
    if (!target && ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'q') target = n;
    ts.forEachChild(n, visit);
  };
  visit(sf);
  assert.ok(target, 'no q() call in the snippet');
  return { node: target!, scopes: enclosingIterations(target!) };
}

describe('iteration scopes', () => {
  it('for…of, for…in and for await iterate their collections', () => {
    for (const [code, kind, coll] of [
      ['async function f(users) { for (const u of users) await q(u); }', 'for-of', 'users'],
      ['async function f(o) { for (const k in o.changes) await q(k); }', 'for-in', 'o.changes'],
      ['async function f(s) { for await (const x of s) await q(x); }', 'for-await', 's'],
    ] as const) {
      const { scopes } = scopesAt(code);
      assert.equal(scopes[0].kind, kind);
      assert.equal(scopes[0].perElement, true);
      assert.equal(scopes[0].collection, coll);
    }
  });

  it('a counter loop is per element when bounded by .length or indexing an element; a small literal bound is a retry', () => {
    assert.equal(scopesAt('async function f(r) { for (let i = 0; i < r.length; i++) await q(r[i]); }').scopes[0].collection, 'r');
    assert.equal(scopesAt('async function f(r, n) { for (let i = 0; i < n; i++) await q(r[i]); }').scopes[0].collection, 'r');
    const retry = scopesAt('async function f() { for (let a = 0; a < 3; a++) { try { return await q(); } catch {} } }').scopes[0];
    assert.equal(retry.perElement, false);
    const big = scopesAt('async function f() { for (let a = 0; a < 500; a++) await q(a); }').scopes[0];
    assert.equal(big.perElement, true);
    assert.equal(big.literalCount, 500);
  });

  it('a counter striding over slices of a collection is one pass per batch; a stride without a slice still indexes elements', () => {
    const batches = scopesAt('async function f(r) { for (let i = 0; i < r.length; i += 500) { const b = r.slice(i, i + 500); await q(b); } }').scopes[0];
    assert.equal(batches.perElement, false);
    const inner = scopesAt('async function f(r, N) { for (let i = 0; i < r.length; i += N) { const b = r.slice(i, i + N); for (const x of b) await q(x); } }').scopes;
    assert.deepEqual(inner.map((s) => [s.kind, s.perElement]), [['for-of', true], ['for', false]]);
    const evens = scopesAt('async function f(r) { for (let i = 0; i < r.length; i += 2) await q(r[i]); }').scopes[0];
    assert.equal(evens.perElement, true);
  });

  it('polling and pagination loops iterate no collection; draining a worklist does', () => {
    assert.equal(scopesAt('async function f() { let done = false; while (!done) { done = await q(); } }').scopes[0].perElement, false);
    assert.equal(scopesAt('async function f() { let c; do { c = await q(c); } while (c); }').scopes[0].perElement, false);
    const drain = scopesAt('async function f(queue) { while (queue.length) { const x = queue.shift(); await q(x); } }').scopes[0];
    assert.equal(drain.perElement, true);
    assert.equal(drain.collection, 'queue');
    // `while (xs.length)` without taking elements out is not a worklist.
    assert.equal(scopesAt('async function f(xs) { while (xs.length) { await q(); } }').scopes[0].perElement, false);
  });

  it('array callbacks are per element; map/forEach start in one tick, an async reduce does not', () => {
    const m = scopesAt('function f(ids) { return Promise.all(ids.map((id) => q(id))); }').scopes[0];
    assert.deepEqual([m.kind, m.method, m.collection, m.element, m.concurrent], ['callback', 'map', 'ids', 'id', true]);
    const r = scopesAt('function f(ids) { return ids.reduce(async (acc, id) => { await acc; return q(id); }, Promise.resolve()); }').scopes[0];
    assert.deepEqual([r.method, r.element, r.concurrent], ['reduce', 'id', false]);
    assert.equal(scopesAt('function f(ids) { return Array.from(ids, (id) => q(id)); }').scopes[0].method, 'Array.from');
    assert.equal(scopesAt('function f(ids) { return pMap(ids, (id) => q(id), { concurrency: 4 }); }').scopes[0].method, 'pMap');
    assert.equal(scopesAt('function f() { return [1, 2, 3].map((id) => q(id)); }').scopes[0].literalCount, 3);
  });

  it('a callback stored for later ends the walk; one run in place (then, $transaction, IIFE) does not', () => {
    assert.equal(scopesAt('function f(us) { const hs = []; for (const u of us) hs.push(() => q(u)); }').scopes.length, 0);
    assert.equal(scopesAt('async function f(us) { for (const u of us) await db.$transaction(async (tx) => { await q(tx); }); }').scopes.length, 1);
    assert.equal(scopesAt('async function f(us) { for (const u of us) await (async () => q(u))(); }').scopes.length, 1);
    const sf = ts.createSourceFile('x.ts', 'p.then((r) => r)', ts.ScriptTarget.Latest, true);
    const arrow = (sf.statements[0] as ts.ExpressionStatement).expression as ts.CallExpression;
    assert.equal(isImmediateCallback(arrow.arguments[0]), true);
  });

  it('only the loop body repeats: the iterated expression runs once', () => {
    assert.equal(scopesAt('async function f() { for (const u of await q()) console.log(u); }').scopes.length, 0);
  });

  it('nested loops list innermost first', () => {
    const { scopes } = scopesAt('async function f(cs) { for (const c of cs) { for (const id of c) await q(id); } }');
    assert.deepEqual(scopes.map((s) => s.collection), ['c', 'cs']);
  });

  it('a break/return/throw right after the query means the loop runs it at most once', () => {
    const brk = scopesAt('async function f(us) { for (const u of us) { if (u.a) { await q(u); break; } } }');
    assert.equal(exitsAfter(brk.node, brk.scopes[0]), true);
    const ret = scopesAt('async function f(us) { for (const u of us) { return await q(u); } }');
    assert.equal(exitsAfter(ret.node, ret.scopes[0]), true);
    // A break of an inner switch does not leave the loop.
    const sw = scopesAt('async function f(us) { for (const u of us) { switch (u.k) { case 1: await q(u); break; } } }');
    assert.equal(exitsAfter(sw.node, sw.scopes[0]), false);
    const plain = scopesAt('async function f(us) { for (const u of us) { await q(u); log(u); } }');
    assert.equal(exitsAfter(plain.node, plain.scopes[0]), false);
  });
});
