import assert from 'node:assert/strict';
import { holePosition } from '../../engine/sources/holes';
import { tsSourceFile } from '../../engine/sources/ts-ast';
import { tsSqlSites } from '../../engine/sources/ts-sql';
import { sqlRangeToFile } from '../../engine/sources/types';
import { initParser, parseSql } from '../../engine/sql/parser';
import { memoryProject } from './memory-project';

function site(src: string) {
  const s = tsSqlSites('src/main.ts', src, tsSourceFile('src/main.ts', src), memoryProject({ 'src/main.ts': src }));
  assert.equal(s.length, 1, JSON.stringify(s.map((x) => x.sql)));
  return s[0];
}

const PG = `import { Pool } from 'pg';\nconst pool = new Pool();\n`;
const SLONIK = `import { createPool, sql } from 'slonik';\nconst pool = createPool('');\n`;

describe('interpolation holes', () => {
  before(() => initParser());

  it('reads what an interpolation stands for from where it sits', () => {
    const cases: [string, string, string][] = [
      ['SELECT * FROM t WHERE a = ', '', 'value'],
      ['SELECT * FROM t WHERE a IN (', ')', 'value'],
      ['SELECT * FROM t LIMIT ', '', 'value'],
      ['SELECT * FROM t WHERE lower(email) = lower(', ')', 'value'],
      ['SELECT * FROM t WHERE a = 1 AND b ', '::int', 'value'],
      ['INSERT INTO t (a) VALUES ', '', 'list'],
      ['SELECT * FROM ', ' t', 'name'],
      ['SELECT * FROM ', '.jobs', 'name'],
      ['SELECT "', '" FROM t', 'quoted-name'],
      ['SELECT * FROM t_', '', 'name-part'],
      ['SELECT * FROM t ORDER BY ', '', 'name'],
      ['SELECT * FROM t ORDER BY created_at ', '', 'modifier'],
      ['SELECT * FROM a JOIN b ON ', ' = $0', 'unknown'],
      ['SELECT * FROM a JOIN b ON $0 = ', '', 'unknown'],
      ['SELECT * FROM t WHERE ', '', 'unknown'],
      ['SELECT ', ' FROM t', 'unknown'],
      ['SELECT * FROM t WHERE $0', '', 'adjacent'],
      ['SELECT * FROM t\n  ', '\n  ORDER BY id', 'clause'],
      ['SELECT * FROM t WHERE a = $', '', 'param-number'],
      ['UPDATE t SET ', ' WHERE id = $1', 'assignments'],
      ['UPDATE t SET ', ' = $1 WHERE id = $2', 'name'],
      ['INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) DO UPDATE SET ', '', 'assignments'],
      ['CREATE INDEX CONCURRENTLY IF NOT EXISTS "i" ON ', ' USING btree (a)', 'name'],
      ['CREATE TRIGGER trg AFTER INSERT ON ', ' FOR EACH ROW EXECUTE FUNCTION f()', 'name'],
      ['SELECT pg_advisory_xact_lock($1) AS ', '', 'name'],
      ['SELECT * FROM a JOIN b ON ', ' AND b.x = 1', 'unknown'],
      ['CREATE INDEX "quoteIdentifier(`${table}_hnsw`)" ON ', ' USING hnsw (embedding)', 'name'],
      ["SET statement_timeout = '1s'; ", '', 'clause'],
      ['NOTIFY ', '', 'name'],
      ['LISTEN ', '', 'name'],
      ['UNLISTEN ', '', 'name'],
      // A column after a placeholder name holding parentheses (`${ref('t')}` spelled `"ref('t')"`).
      [`CREATE INDEX i ON "ref('t')" ("ref('a')" DESC NULLS LAST, `, ' DESC', 'name'],
    ];
    for (const [prev, next, want] of cases) assert.equal(holePosition(prev, next), want, `${prev}⟨…⟩${next}`);
  });

  it('keeps statements with interpolated names parseable, and marks every hole', () => {
    const quoted = site(`${PG}export const f = (col: string, id: number) => pool.query(\`SELECT "\${col}" FROM users WHERE id = \${id}\`);`);
    assert.deepEqual(parseSql(quoted.sql).errors, []);
    assert.deepEqual(
      quoted.holes?.map((h) => [h.kind, h.expr]),
      [
        ['name', 'col'],
        ['value', 'id'],
      ],
    );
    const adjacent = site(`${PG}export const f = (a: string, b: string) => pool.query(\`SELECT id FROM users WHERE \${a}\${b}\`);`);
    assert.deepEqual(parseSql(adjacent.sql).errors, []);
    assert.deepEqual(adjacent.holes?.map((h) => h.kind), ['unknown', 'fragment']);
    const ident = site(`${SLONIK}export const f = (t: string) => pool.any(sql\`SELECT * FROM \${sql.identifier([t])} WHERE id = 1\`);`);
    assert.deepEqual(parseSql(ident.sql).errors, []);
    assert.deepEqual(ident.holes?.map((h) => h.kind), ['name']);
  });

  it('quotes a constant or table-object name that is a reserved word, so the statement still parses', () => {
    const ident = site(`${SLONIK}const T = 'user';\nexport const f = () => pool.any(sql\`SELECT id FROM \${sql.identifier([T])} WHERE id = 1\`);`);
    assert.deepEqual(parseSql(ident.sql).errors, []);
    assert.match(ident.sql, /FROM "user" WHERE/);
    const DRIZZLE = `import { pgTable, text } from 'drizzle-orm/pg-core';\nimport { sql } from 'drizzle-orm';\nimport { drizzle } from 'drizzle-orm/node-postgres';\nconst db = drizzle('');\nexport const user = pgTable('user', { id: text('id').primaryKey(), name: text('name') });\n`;
    const table = site(`${DRIZZLE}export const f = () => db.execute(sql\`SELECT \${user.name} FROM \${user} WHERE \${user.id} = 'x'\`);`);
    assert.deepEqual(parseSql(table.sql).errors, []);
    assert.match(table.sql, /SELECT "user"\.name FROM "user" WHERE "user"\.id = /);
  });

  it('maps a hole back to the whole interpolation', () => {
    const src = `${SLONIK}export const f = (a: { x: unknown }, b: { y: unknown }) => pool.any(sql\`SELECT 1 FROM o JOIN u ON \${a.x} = \${b.y}\`);`;
    const s = site(src);
    const [h1, h2] = s.holes!;
    assert.equal(src.slice(sqlRangeToFile(s, h1).start, sqlRangeToFile(s, h1).end), '${a.x}');
    assert.equal(src.slice(sqlRangeToFile(s, h2).start, sqlRangeToFile(s, h2).end), '${b.y}');
  });
});
