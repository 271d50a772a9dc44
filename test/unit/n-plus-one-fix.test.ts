/**
 * The batched-form fixes of n-plus-one (rules/n-plus-one-fix.ts): offered only
 * where the rewrite is mechanical. Each case here IS an N+1 (the finding must
 * be there); the question is whether a non-disable fix comes with it. The
 * fixtures (fixtures/n-plus-one/flagged/*-batched-*.ts) cover the positive
 * shapes per library and test/unit/fixes.test.ts re-parses and re-lints them.
 */
import assert from 'node:assert/strict';
import { applyFixes } from '../../engine/fixes';
import { initParser } from '../../engine/sql/parser';
import type { Finding } from '../../engine/types';
import { type FixtureCase, loadCases } from '../harness';

const FILE = 'flagged/unit-case.ts';
const PRISMA = "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n";
const KNEX = "import knexFactory from 'knex';\nconst knex = knexFactory({ client: 'pg' });\n";

describe('n-plus-one batched fixes', () => {
  let base: FixtureCase;
  before(async () => {
    await initParser();
    const c = loadCases('n-plus-one').find((x) => x.verdict === 'flagged' && x.name === 'prisma-batched-lookups.ts');
    assert.ok(c, 'fixture case exists');
    base = c;
  });

  const findingsOf = (text: string): Finding[] => {
    base.project.setFile(FILE, text);
    try {
      const r = base.project.analyze(FILE, ['n-plus-one']);
      assert.deepEqual(r.problems, []);
      return r.findings;
    } finally {
      base.project.deleteFile(FILE);
    }
  };
  const realFixes = (f: Finding) => f.fixes.filter((x) => x.title !== 'Disable n-plus-one for this line');
  /** The one finding of the text, or the one starting at `needle`. */
  const only = (text: string, needle?: string): Finding => {
    const fs = findingsOf(text);
    if (needle) {
      const f = fs.find((x) => x.range.start === text.indexOf(needle));
      assert.ok(f, `a finding at ${needle}`);
      return f;
    }
    assert.equal(fs.length, 1, `one finding expected, got ${fs.length}`);
    return fs[0];
  };

  const noFix: [string, string, string?][] = [
    [
      'a single-row read on a non-unique key (which row is first is the query\'s business)',
      `${PRISMA}export async function f(users: { id: number }[]) {\n  for (const u of users) {\n    console.log(await prisma.order.findFirst({ where: { userId: u.id } }));\n  }\n}\n`,
    ],
    [
      'a raw SELECT whose rows would not carry the key',
      "import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function f(ids: number[]) {\n  for (const id of ids) {\n    const { rows } = await pool.query('SELECT email FROM users WHERE id = $1', [id]);\n    console.log(rows);\n  }\n}\n",
    ],
    [
      'a query that reads a value computed inside the loop',
      `${KNEX}export async function f(users: { id: number; vip: boolean }[]) {\n  for (const u of users) {\n    const s = u.vip ? 'gold' : 'plain';\n    console.log(await knex('orders').where('user_id', u.id).where('status', s));\n  }\n}\n`,
    ],
    [
      'a query that reads a variable the loop reassigns',
      `${KNEX}export async function f(users: { id: number }[]) {\n  let status = 'new';\n  for (const u of users) {\n    console.log(await knex('orders').where('user_id', u.id).where('status', status));\n    status = 'seen';\n  }\n}\n`,
    ],
    [
      'an insert whose chain uses the element outside the row',
      `${KNEX}export async function f(events: { id: number; action: string }[]) {\n  for (const e of events) {\n    await knex('audit_log').insert({ action: e.action }).onConflict(String(e.id)).ignore();\n  }\n}\n`,
    ],
    [
      'an enclosing function that is not async (the hoisted query needs await)',
      `${PRISMA}export function f(ids: number[]) {\n  return Promise.all(ids.map(async (id) => (await prisma.user.findFirst({ where: { id } }))?.name));\n}\n`,
    ],
    [
      'a collection that is a call (it would be evaluated twice)',
      `${PRISMA}declare function load(): Promise<{ userId: number }[]>;\nexport async function f() {\n  for (const o of await load()) {\n    console.log(await prisma.user.findUnique({ where: { id: o.userId } }));\n  }\n}\n`,
    ],
    [
      'a write to the same table in the loop before the read (hoisting would read stale rows)',
      `${PRISMA}export async function f(ids: number[]) {\n  for (const id of ids) {\n    await prisma.user.update({ where: { id }, data: { name: 'seen' } });\n    console.log(await prisma.user.findFirst({ where: { id } }));\n  }\n}\n`,
      'prisma.user.findFirst',
    ],
    [
      'a collection the loop grows',
      `${PRISMA}export async function f(ids: number[]) {\n  for (const id of ids) {\n    const u = await prisma.user.findFirst({ where: { id } });\n    if (!u) ids.push(id + 1);\n  }\n}\n`,
    ],
    [
      'a loop nested in another per-element loop (the hoisted query would be an N+1 itself)',
      `${PRISMA}export async function f(groups: number[][], ids: number[]) {\n  for (const g of groups) {\n    console.log(g);\n    for (const id of ids) {\n      console.log(await prisma.user.findFirst({ where: { id } }));\n    }\n  }\n}\n`,
    ],
    [
      'a read with a per-query limit',
      `${PRISMA}export async function f(users: { id: number }[]) {\n  for (const u of users) {\n    console.log(await prisma.order.findMany({ where: { userId: u.id }, take: 5 }));\n  }\n}\n`,
    ],
    [
      'a key used twice in the query',
      `${PRISMA}export async function f(ids: number[]) {\n  for (const id of ids) {\n    console.log(await prisma.user.findFirst({ where: { id, name: String(id) } }));\n  }\n}\n`,
    ],
    [
      'a write whose loop body runs another write (its rows may need this one first)',
      `${PRISMA}export async function f(ids: number[]) {\n  for (const id of ids) {\n    await prisma.auditLog.create({ data: { action: String(id) } });\n    await prisma.order.update({ where: { id }, data: { status: 'paid' } });\n  }\n}\n`,
      'prisma.order.update',
    ],
    [
      'an update whose per-element data is a date (Prisma maps it; raw SQL would not)',
      `${PRISMA}export async function f(orders: { id: number; at: Date }[]) {\n  for (const o of orders) {\n    await prisma.order.update({ where: { id: o.id }, data: { createdAt: o.at } });\n  }\n}\n`,
    ],
    [
      'creates under Promise.allSettled (one failed row would fail the batch and throw where each failure was settled)',
      `${PRISMA}export async function f(events: { userId: number; action: string }[]) {\n  await Promise.allSettled(events.map((e) => prisma.auditLog.create({ data: { userId: e.userId, action: e.action } })));\n}\n`,
    ],
    [
      'reads under Promise.allSettled (the batched read would throw outside the settled promises)',
      `${PRISMA}export async function f(users: { id: number }[]) {\n  return Promise.allSettled(users.map(async (u) => (await prisma.order.findMany({ where: { userId: u.id } })).length));\n}\n`,
    ],
    [
      'a read inside a try block of the loop (each element\'s failure is handled there)',
      `${PRISMA}export async function f(users: { id: number }[]) {\n  for (const u of users) {\n    try {\n      console.log(await prisma.order.findMany({ where: { userId: u.id } }));\n    } catch (e) {\n      console.error(u.id, e);\n    }\n  }\n}\n`,
    ],
    [
      'a read in a .catch() chain of the element (each element\'s failure is handled there)',
      `${PRISMA}export async function f(users: { id: number }[]) {\n  return Promise.all(users.map((u) => prisma.order.findMany({ where: { userId: u.id } }).catch(() => [])));\n}\n`,
    ],
  ];
  for (const [what, text, needle] of noFix) {
    it(`no batched fix for ${what}`, () => {
      const f = only(text, needle);
      assert.deepEqual(
        realFixes(f).map((x) => x.title),
        [],
      );
    });
  }

  it('a write sharing its loop body with other code, outside a transaction: collected, with the failure note', () => {
    const f = only(`${PRISMA}export async function f(ids: number[]) {\n  for (const id of ids) {\n    console.log(id);\n    await prisma.order.update({ where: { id }, data: { status: 'paid' } });\n  }\n}\n`);
    const titles = realFixes(f).map((x) => x.title);
    assert.equal(titles.length, 1);
    assert.match(titles[0], /not in a transaction: the loop kept the rows written before a failure, the one statement writes all or none/);
    assert.match(titles[0], /updateMany\(\{ where: \{ id: \{ in \} \} \}\)/);
  });

  it('a write to another table in the loop does not stop the prefetch (the read sees the same rows)', () => {
    const f = only(`${PRISMA}export async function f(ids: number[]) {\n  for (const id of ids) {\n    await prisma.auditLog.create({ data: { userId: id, action: 'read' } });\n    console.log(await prisma.user.findFirst({ where: { id } }));\n  }\n}\n`, 'prisma.user.findFirst');
    assert.deepEqual(realFixes(f).map((x) => x.title), ['Load `users` for all of `ids` at once (findMany({ where: { id: { in } } })) and look each row up in a Map']);
  });

  it('an update whose data depends on the element: one UPDATE … FROM unnest, as a suggestion with its notes', () => {
    const f = only(`${PRISMA}export async function f(orders: { id: number; status: string }[]) {\n  for (const o of orders) {\n    await prisma.order.update({ where: { id: o.id }, data: { status: o.status } });\n  }\n}\n`);
    const fixes = realFixes(f);
    assert.equal(fixes.length, 1);
    assert.equal(fixes[0].safety, 'suggestion');
    assert.match(fixes[0].title, /\$executeRaw UPDATE … FROM unnest/);
    assert.match(fixes[0].title, /undefined now writes NULL/);
    assert.match(fixes[0].title, /does not throw for a missing row/);
  });

  it('no Map prefetch for a key the file declares optional or nullable (one by one, Prisma drops an undefined filter)', () => {
    const loop = (decl: string) =>
      `${PRISMA}export async function f(events: { ${decl} }[]) {\n  const out = [];\n  for (const e of events) {\n    out.push(await prisma.user.findUnique({ where: { id: e.userId } }));\n  }\n  return out;\n}\n`;
    assert.equal(realFixes(only(loop('userId: number'))).length, 1);
    assert.deepEqual(realFixes(only(loop('userId?: number'))), []);
    assert.deepEqual(realFixes(only(loop('userId: number | null'))), []);
  });

  it('a unique-key read becomes one findMany with a Map of rows; a non-unique one a Map of arrays', () => {
    const unique = `${PRISMA}export async function f(users: { id: number }[]) {\n  for (const u of users) {\n    console.log(await prisma.user.findUnique({ where: { id: u.id } }));\n  }\n}\n`;
    const f1 = only(unique);
    const [x1] = realFixes(f1);
    assert.ok(x1);
    assert.equal(x1.safety, 'suggestion');
    const out1 = applyFixes(new Map([[FILE, unique]]), [x1]).files.get(FILE)!;
    assert.match(out1, /const userRows = await prisma\.user\.findMany\(\{ where: \{ id: \{ in: users\.map\(\(u\) => u\.id\) \} \} \}\);/);
    assert.match(out1, /const userById = new Map\(userRows\.map\(\(row\) => \[row\.id, row\] as const\)\);\n {2}for \(const u of users\)/);
    assert.match(out1, /console\.log\(userById\.get\(u\.id\) \?\? null\);/);
    assert.equal(findingsOf(out1).length, 0);

    const many = `${PRISMA}export async function f(users: { id: number }[]) {\n  for (const u of users) {\n    console.log(await prisma.order.findMany({ where: { userId: u.id } }));\n  }\n}\n`;
    const [x2] = realFixes(only(many));
    const out2 = applyFixes(new Map([[FILE, many]]), [x2]).files.get(FILE)!;
    assert.match(out2, /new Map<unknown, \(typeof orderRows\)\[number\]\[\]>\(\)/);
    assert.match(out2, /console\.log\(orderByUserId\.get\(u\.id\) \?\? \[\]\);/);
    assert.equal(findingsOf(out2).length, 0);
  });

  it('adds In to an existing typeorm import once, and reuses it when present', () => {
    const entity = "@Entity('users')\nexport class User {\n  @PrimaryGeneratedColumn() id!: number;\n}\nconst repo = new DataSource({ type: 'postgres' }).getRepository(User);\n";
    const body = 'export async function f(ids: number[]) {\n  for (const id of ids) {\n    console.log(await repo.findOneBy({ id }));\n  }\n}\n';
    const without = `import { DataSource, Entity, PrimaryGeneratedColumn } from 'typeorm';\n${entity}${body}`;
    const [x] = realFixes(only(without));
    const out = applyFixes(new Map([[FILE, without]]), [x]).files.get(FILE)!;
    assert.match(out, /^import \{ DataSource, Entity, PrimaryGeneratedColumn, In \} from 'typeorm';/);
    assert.match(out, /await repo\.findBy\(\{ id: In\(ids\) \}\)/);
    const withIn = `import { DataSource, Entity, In, PrimaryGeneratedColumn } from 'typeorm';\n${entity}${body}`;
    const [y] = realFixes(only(withIn));
    const out2 = applyFixes(new Map([[FILE, withIn]]), [y]).files.get(FILE)!;
    assert.equal(out2.match(/\bIn\b/g)?.length, 2);
  });

  it('a loop over the element of a chunk loop takes the chunk whole', () => {
    const text = `${PRISMA}declare function chunk<T>(xs: T[], n: number): T[][];\nexport async function f(ids: number[]) {\n  for (const part of chunk(ids, 100)) {\n    for (const id of part) {\n      console.log(await prisma.user.findFirst({ where: { id } }));\n    }\n  }\n}\n`;
    const [x] = realFixes(only(text));
    assert.ok(x);
    const out = applyFixes(new Map([[FILE, text]]), [x]).files.get(FILE)!;
    assert.match(out, /for \(const part of chunk\(ids, 100\)\) \{\n {4}const userRows = await prisma\.user\.findMany\(\{ where: \{ id: \{ in: part \} \} \}\);/);
    assert.equal(findingsOf(out).length, 0);
  });

  it('never shadows a name the function already uses', () => {
    const text = `${PRISMA}export async function f(ids: number[]) {\n  const userById = 1;\n  for (const id of ids) {\n    console.log(userById, await prisma.user.findFirst({ where: { id } }));\n  }\n}\n`;
    // The function's own `userById` stays what it was: the Map takes the next free name.
    const fixes = realFixes(only(text));
    assert.equal(fixes.length, 1);
    const added = fixes[0].edits.map((e) => e.newText).join('\n');
    assert.match(added, /const userById2 = new Map/);
    assert.doesNotMatch(added, /const userById\b/);
  });
});
