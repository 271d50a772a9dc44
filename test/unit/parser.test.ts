import assert from 'node:assert/strict';
import { initParser, parseSql, scanSql, splitStatements, byteToUtf16Mapper } from '../../engine/sql/parser';

describe('sql/parser (libpg-query, UTF-16 offsets)', () => {
  before(() => initParser());

  it('converts byte locations to UTF-16 offsets with non-ASCII text before them', () => {
    const sql = "select 'héllo 😀', t.name from \"tâble\" t where t.id = 1";
    const out = parseSql(sql);
    assert.equal(out.errors.length, 0);
    const sel = out.statements[0].node.SelectStmt;
    const col = sel.targetList[1].ResTarget.val.ColumnRef;
    assert.equal(sql.slice(col.location, col.location + 6), 't.name');
    const rv = sel.fromClause[0].RangeVar;
    assert.equal(sql.slice(rv.location, rv.location + 7), '"tâble"');
  });

  it('keeps good statements and reports the bad one with its offset', () => {
    const sql = 'select 1;\nselect from from;\nselect 2;';
    const out = parseSql(sql);
    assert.equal(out.statements.length, 2);
    assert.equal(out.errors.length, 1);
    assert.match(out.errors[0].message, /syntax error/);
    assert.equal(sql.slice(out.errors[0].offset, out.errors[0].offset + 4), 'from');
  });

  it('reports non-PostgreSQL SQL instead of throwing', () => {
    const out = parseSql('CREATE TABLE t (id UInt64) ENGINE = MergeTree ORDER BY id');
    assert.equal(out.statements.length, 0);
    assert.equal(out.errors.length, 1);
  });

  it('splits on top-level semicolons only', () => {
    const sql = "select ';' ; create function f() returns int as $$ begin return 1; end $$ language plpgsql; select 3";
    assert.equal(splitStatements(sql).length, 3);
    assert.ok(scanSql(sql).length > 5);
  });

  it('maps surrogate pairs', () => {
    const m = byteToUtf16Mapper('a😀b');
    assert.equal(m(1), 1);
    assert.equal(m(5), 3);
  });
});
