import assert from 'node:assert/strict';
import { defaultConfig } from '../../engine/config';
import { Project } from '../../engine/project';
import type { IndexInfo, SchemaModel, TableInfo } from '../../engine/schema/types';
import { initParser, parseSql } from '../../engine/sql/parser';
import {
  type FromItem,
  type QueryModel,
  buildQueryModel,
  columnRefsOf,
  fromItemColumns,
  isSingleRow,
  levelOutputColumns,
  tablesReadWhole,
} from '../../engine/sql/query-model';

function table(name: string, cols: string[], schema = 'public', indexes: IndexInfo[] = []): TableInfo {
  return {
    name,
    schema,
    columns: new Map(cols.map((c) => [c, { name: c, type: c === 'id' ? 'int8' : 'text', notNull: false }])),
    indexes,
    origin: 'sql',
  };
}

const schema: SchemaModel = {
  sources: [],
  problems: [],
  tables: new Map([
    ['public.users', table('users', ['id', 'email', 'org_id'])],
    ['public.orders', table('orders', ['id', 'user_id', 'total'])],
    ['billing.invoices', table('invoices', ['id', 'account_id'], 'billing')],
  ]),
};

function model(sql: string, s: SchemaModel | undefined = schema): QueryModel {
  const out = parseSql(sql);
  assert.equal(out.errors.length, 0, out.errors[0]?.message);
  return buildQueryModel(out.statements[0], sql, s);
}

const text = (m: QueryModel, r: { start: number; end: number }): string => m.sql.slice(r.start, r.end);

describe('sql/query-model', () => {
  before(() => initParser());

  it('lists FROM items with schema, alias, quoting and the exact extent of each table reference', () => {
    const m = model('SELECT 1 FROM billing.invoices AS i JOIN "Users" u ON u.id = i.account_id, public.orders');
    const [inv, users, orders] = m.levels[0].from;
    assert.deepEqual(
      [inv.kind, inv.name, inv.schemaName, inv.alias, inv.refName, text(m, inv.range)],
      ['table', 'invoices', 'billing', 'i', 'i', 'billing.invoices'],
    );
    assert.ok(inv.table, 'schema-qualified table resolved in the schema');
    assert.equal(users.name, 'Users');
    assert.equal(users.quoted, true);
    assert.equal(text(m, users.range), '"Users"');
    assert.equal(users.table, undefined, 'quoted "Users" is not users');
    assert.equal(text(m, orders.range), 'public.orders');
    assert.equal(orders.via.kind, 'list');
    assert.equal(users.via.kind, 'join');
    assert.deepEqual(users.via.leftItems, [inv]);
  });

  it('resolves a CTE reference to the CTE, not to a table of the same name', () => {
    const m = model('WITH users AS (SELECT 1 AS id) SELECT * FROM users, orders');
    const top = m.levels.find((l) => l.role === 'top')!;
    const [u, o] = top.from;
    assert.equal(u.kind, 'cte');
    assert.equal(u.cte?.name, 'users');
    assert.equal(u.table, undefined);
    assert.equal(o.kind, 'table');
    assert.equal(m.levels.find((l) => l.role === 'cte')?.targets[0].name, 'id');
    assert.deepEqual(fromItemColumns(u), ['id']);
  });

  it('classifies functions, VALUES, subqueries and LATERAL items', () => {
    const m = model(
      'SELECT 1 FROM orders o CROSS JOIN LATERAL (SELECT 1 FROM users u WHERE u.id = o.user_id) x, generate_series(1, 3) g, unnest($1::int[]) AS t(v), (VALUES (1), (2)) AS vals(n)',
    );
    const kinds = m.levels[0].from.map((f) => [f.kind, f.lateral, f.refName]);
    assert.deepEqual(kinds, [
      ['table', false, 'o'],
      ['subquery', true, 'x'],
      ['function', true, 'g'],
      ['function', true, 't'],
      ['values', false, 'vals'],
    ]);
    const [, x, g, t, vals] = m.levels[0].from;
    assert.equal(x.via.cross, true);
    assert.equal(text(m, x.range), 'x', 'a subquery is located by its alias');
    assert.equal(text(m, g.range), 'generate_series(1, 3)');
    assert.deepEqual(fromItemColumns(t), ['v']);
    assert.equal(vals.valuesRows, 2);
  });

  it('records join kinds, ON conjuncts with the joined item, and WHERE conjuncts', () => {
    const m = model(
      'SELECT 1 FROM orders o JOIN users u ON u.id = o.user_id AND u.org_id = 1 LEFT JOIN billing.invoices i USING (id) NATURAL JOIN orders o2 CROSS JOIN users u2 WHERE o.total > 1 AND (o.id = 1 OR o.id = 2)',
    );
    const l = m.levels[0];
    const byRef = (r: string): FromItem => l.from.find((f) => f.refName === r)!;
    assert.equal(l.joinQuals.length, 2);
    assert.ok(l.joinQuals.every((j) => j.item === byRef('u')));
    assert.deepEqual(byRef('i').via.using, ['id']);
    assert.equal(byRef('i').via.joinType, 'left');
    assert.equal(byRef('o2').via.natural, true);
    assert.equal(byRef('u2').via.cross, true);
    assert.equal(byRef('u').via.cross, false);
    assert.equal(l.where.length, 2, 'top-level AND split; the OR stays one conjunct');
  });

  it('expands * and t.* to FROM items, with the extent of the star', () => {
    const m = model('SELECT *, u.*, o.id FROM users u JOIN orders o ON o.user_id = u.id');
    const [all, us, col] = m.levels[0].targets;
    assert.equal(text(m, all.star!.range), '*');
    assert.deepEqual(all.star!.items.map((i) => i.refName), ['u', 'o']);
    assert.equal(text(m, us.star!.range), 'u.*');
    assert.deepEqual(us.star!.items.map((i) => i.refName), ['u']);
    assert.equal(col.star, undefined);
    assert.equal(col.name, 'id');
  });

  it('follows stars through CTEs and subqueries to the tables read whole', () => {
    const m = model('WITH a AS (SELECT * FROM users) SELECT * FROM a, (SELECT id FROM orders) s');
    const top = m.levels.find((l) => l.role === 'top')!;
    const [a, s] = top.from;
    assert.deepEqual(tablesReadWhole(a).map((t) => t.name), ['users']);
    assert.deepEqual(tablesReadWhole(s), [], 'the subquery chose its columns');
    assert.deepEqual(levelOutputColumns(top), ['id', 'email', 'org_id', 'id']);
  });

  it('keeps ORDER BY and LIMIT (constant or parameter)', () => {
    assert.equal(model('SELECT id FROM users ORDER BY email DESC LIMIT 20').levels[0].limit, 20);
    assert.equal(model('SELECT id FROM users ORDER BY email LIMIT $1').levels[0].limit, 'param');
    const l = model('SELECT id FROM users ORDER BY email, id').levels[0];
    assert.equal(l.limit, undefined);
    assert.equal(l.orderBy.length, 2);
  });

  it('gives each UNION arm its own level, all returning rows', () => {
    const m = model('SELECT id FROM users UNION ALL SELECT id FROM orders LIMIT 5');
    assert.equal(m.levels.length, 2);
    assert.ok(m.levels.every((l) => l.role === 'top' && l.returnsRows && l.setArms.length === 2 && l.limit === 5));
  });

  it('builds sublink levels flagged by type, outside the result list', () => {
    const m = model('SELECT id FROM users u WHERE EXISTS (SELECT * FROM orders o WHERE o.user_id = u.id) AND u.org_id IN (SELECT org_id FROM users)');
    const subs = m.levels.filter((l) => l.role === 'sublink');
    assert.deepEqual(subs.map((s) => s.sublinkType), ['EXISTS_SUBLINK', 'ANY_SUBLINK']);
    assert.ok(subs.every((s) => !s.returnsRows && s.parent === m.levels[0]));
    assert.equal(subs[0].origin, m.levels[0].where[0]);
  });

  it('resolves column references through aliases, the only table, the schema, and to outer levels', () => {
    const m = model('SELECT email FROM users u JOIN orders o ON user_id = u.id WHERE EXISTS (SELECT 1 FROM billing.invoices i WHERE i.account_id = o.id AND org_id = 1)');
    const top = m.levels[0];
    const refs = columnRefsOf(top.joinQuals[0].conjunct).map((r) => m.resolve(top, r));
    assert.deepEqual(refs.map((r) => [r.column, r.item?.refName]), [
      ['user_id', 'o'],
      ['id', 'u'],
    ]);
    const email = m.resolve(top, top.targets[0].node);
    assert.equal(email.item?.refName, 'u', 'schema lookup: only users has email');
    const sub = m.levels.find((l) => l.role === 'sublink')!;
    const subRefs = columnRefsOf(sub.where[0]).map((r) => m.resolve(sub, r));
    assert.equal(subRefs[1].item?.level, top, 'o.id is a correlated reference');
    const orgId = m.resolve(sub, columnRefsOf(sub.where[1])[0]);
    assert.equal(orgId.item?.refName, 'u', 'not in invoices: found in the outer level');
  });

  it('leaves an unqualified column unresolved when several unknown tables could own it', () => {
    const m = model('SELECT 1 FROM a, b WHERE x = 1', undefined);
    const r = m.resolve(m.levels[0], columnRefsOf(m.levels[0].where[0])[0]);
    assert.equal(r.item, undefined);
    assert.deepEqual(r.candidates.map((c) => c.name), ['a', 'b']);
    const one = model('SELECT 1 FROM a WHERE x = 1', undefined);
    assert.equal(one.resolve(one.levels[0], columnRefsOf(one.levels[0].where[0])[0]).item?.name, 'a');
  });

  it('models INSERT … SELECT, UPDATE … FROM and DELETE … USING', () => {
    const ins = model('INSERT INTO orders (id) SELECT id FROM users');
    assert.equal(ins.levels[0].role, 'insert-source');
    assert.equal(ins.levels[0].returnsRows, false);
    const upd = model('UPDATE orders o SET total = 0 FROM users u WHERE u.id = o.user_id');
    assert.equal(upd.levels[0].statement, 'update');
    assert.equal(upd.levels[0].dmlTarget?.refName, 'o');
    assert.deepEqual(upd.levels[0].from.map((f) => f.refName), ['o', 'u']);
    const del = model('DELETE FROM orders USING users WHERE users.id = orders.user_id');
    assert.deepEqual(del.levels[0].from.map((f) => f.name), ['orders', 'users']);
    assert.equal(del.levels[0].where.length, 1);
    assert.equal(model('CREATE INDEX i ON users (email)').levels.length, 0);
  });

  it('recognises single-row levels', () => {
    const lvl = (sql: string) => model(`SELECT 1 FROM users CROSS JOIN (${sql}) s`).levels[1];
    assert.equal(isSingleRow(lvl('SELECT count(*) FROM orders')), true);
    assert.equal(isSingleRow(lvl('SELECT max(id) FROM orders')), true);
    assert.equal(isSingleRow(lvl('SELECT id FROM orders LIMIT 1')), true);
    assert.equal(isSingleRow(lvl('SELECT $1::int AS a')), true);
    assert.equal(isSingleRow(lvl('SELECT count(*) FROM orders GROUP BY user_id')), false);
    assert.equal(isSingleRow(lvl('SELECT unnest($1::int[])')), false);
    assert.equal(isSingleRow(lvl('SELECT id FROM orders')), false);
    assert.equal(isSingleRow(lvl('SELECT sum(total) OVER () FROM orders')), false);
  });

  it('measures calls and casts, and keeps UTF-16 offsets after non-ASCII text', () => {
    const m = model("SELECT '😀 é' AS x FROM users WHERE lower(users.email) = $1 AND id::text = $2 AND CAST(org_id AS text) = $3");
    const [a, b, c] = m.levels[0].where;
    assert.equal(text(m, m.rangeOf(a.A_Expr.lexpr)), 'lower(users.email)');
    assert.equal(text(m, m.rangeOf(b.A_Expr.lexpr)), 'id::text');
    assert.equal(text(m, m.rangeOf(c.A_Expr.lexpr)), 'CAST(org_id AS text)');
    assert.equal(text(m, m.levels[0].from[0].range), 'users');
  });

  it('measures extents past strings, comments and dollar quotes holding parentheses', () => {
    const m = model(
      "SELECT 1 FROM users WHERE concat(email, ')', e'\\')', $q$)$q$ /* ) */) = $1 AND users /* c */ . email = 'x' AND coalesce(\"users\".\"email\", '') = ''",
    );
    const [a, b] = m.levels[0].where;
    assert.equal(text(m, m.rangeOf(a.A_Expr.lexpr)), "concat(email, ')', e'\\')', $q$)$q$ /* ) */)");
    assert.equal(text(m, m.rangeOf(b.A_Expr.lexpr)), 'users /* c */ . email');
  });

  it('a schema qualifier that is an interpolation hole falls back to the table by name, only for schemas the model does not know', () => {
    const sql = 'SELECT 1 FROM "dbSchema".orders o, billing.orders b, "dbSchema".invoices i, "other".users u';
    const out = parseSql(sql);
    const holeAt = (s: string, from = 0): { start: number; end: number } => {
      const at = sql.indexOf(s, from);
      return { start: at, end: at + s.length };
    };
    const holes = [holeAt('"dbSchema"'), holeAt('"dbSchema"', sql.indexOf('invoices') - 12)];
    const [o, b, i, u] = buildQueryModel(out.statements[0], sql, schema, holes).levels[0].from;
    assert.equal(o.table?.name, 'orders', 'hole schema, written table: public.orders');
    assert.equal(o.schemaName, 'dbSchema');
    assert.equal(b.table, undefined, 'billing is a known schema without orders: no fallback');
    assert.equal(i.table?.schema, 'billing', 'found by name in whichever schema has it');
    assert.equal(u.table, undefined, 'a written (not interpolated) unknown schema: no fallback');
    const [o2] = buildQueryModel(out.statements[0], sql, schema).levels[0].from;
    assert.equal(o2.table, undefined, 'without hole information the qualifier is taken as written');
  });
});

describe('SQL rules without and with a schema', () => {
  before(() => initParser());

  function run(files: Record<string, string>, file: string, rule: string) {
    const p = new Project(defaultConfig());
    for (const [k, v] of Object.entries(files)) p.setFile(k, v);
    return p.analyze(file, [rule]);
  }

  it('unindexed-predicate reports nothing without a schema (unknown is not unindexed)', () => {
    const r = run({ 'q.sql': 'SELECT id FROM orders WHERE customer_email = $1;' }, 'q.sql', 'unindexed-predicate');
    assert.deepEqual(r.findings, []);
  });

  it('names the next migration after the project convention: Prisma folders, Flyway V-prefix, timestamps', () => {
    const q = 'SELECT id FROM orders WHERE note = $1;';
    const ddl = 'CREATE TABLE orders (id bigint PRIMARY KEY, note text);';
    const cases: [Record<string, string>, string][] = [
      [{ 'prisma/migrations/20240101000000_init/migration.sql': ddl }, 'prisma/migrations/20240101000001_add_idx_orders_note/migration.sql'],
      [{ 'db/migrations/V1__init.sql': ddl, 'db/migrations/V2__more.sql': 'SELECT 1;' }, 'db/migrations/V3__add_idx_orders_note.sql'],
      [{ 'migrations/20240501120000_init.sql': ddl }, 'migrations/20240501120001_add_idx_orders_note.sql'],
      [{ 'migrations/007-init.sql': ddl }, 'migrations/008-add_idx_orders_note.sql'],
      // Two services: the migration goes where the table was created.
      [{ 'billing/migrations/0001_init.sql': ddl, 'users/migrations/0005_users.sql': 'CREATE TABLE accounts (id int);' }, 'billing/migrations/0002_add_idx_orders_note.sql'],
    ];
    for (const [files, expected] of cases) {
      const r = run({ ...files, 'q.sql': q }, 'q.sql', 'unindexed-predicate');
      assert.equal(r.findings.length, 1, JSON.stringify(files));
      const edit = r.findings[0].fixes[0].edits[0];
      assert.equal(edit.file, expected);
      // CONCURRENTLY where the tool runs the file outside a transaction (Flyway); else plain, with the lock note.
      assert.match(edit.newText, expected.includes('V3__') ? /^CREATE INDEX CONCURRENTLY idx_orders_note ON orders \(note\);\n$/ : /^-- CREATE INDEX blocks writes to orders[\s\S]*\nCREATE INDEX IF NOT EXISTS idx_orders_note ON orders \(note\);\n$/);
    }
  });

  it('every SQL finding carries an estimate with currentMs > fixedMs and assumptions', () => {
    const ddl = 'CREATE TABLE users (id bigint PRIMARY KEY, email text, doc jsonb);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, note text);';
    const files = { 'schema.sql': ddl, 'q.sql': 'SELECT * FROM users, orders WHERE orders.note = $1;' };
    for (const rule of ['cartesian-join', 'over-fetching', 'unindexed-predicate']) {
      const r = run(files, 'q.sql', rule);
      assert.equal(r.findings.length, 1, rule);
      const e = r.findings[0].estimate!;
      assert.ok(e.currentMs > e.fixedMs && e.assumptions.length > 0, rule);
    }
  });

  it('reports unparseable SQL as a problem, not a crash', () => {
    const r = run({ 'q.sql': 'SELECT * FROM users WHERE;\nSELECT * FROM orders o, users u;' }, 'q.sql', 'cartesian-join');
    assert.equal(r.problems.filter((p) => p.kind === 'rule-crash').length, 0);
    assert.equal(r.problems.filter((p) => p.kind === 'unparseable-sql').length, 1);
    assert.equal(r.findings.length, 1);
  });
});
