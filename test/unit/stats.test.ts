/**
 * The statistics snapshot without a database (test/db/stats.test.ts runs the
 * real one): parsing and rendering, the catalog output turned into a
 * snapshot (no data values, querylens' own statements left out), the
 * planner's formulas on pg_stats figures, the ORM workload match by the
 * shape of the SQL a library generates, and the `stats` command line.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, UsageError } from '../../cli/args';
import { main } from '../../cli/main';
import { spawnSync } from 'node:child_process';
import { ensureBundles } from '../bundles';
import { fanOut, indexWorthIt, matchingRows, statsSelectivity } from '../../engine/model/selectivity';
import { DEFAULT_PARAMS } from '../../engine/model/params';
import type { TableInfo } from '../../engine/schema/types';
import { initParser } from '../../engine/sql/parser';
import { parseSnapshot, renderSnapshot, type TableStats } from '../../engine/stats/snapshot';
import { parseSections, snapshotFromSections, statsScript, STATS_MARKER } from '../../engine/stats/sql';
import { memoryProject } from './memory-project';

function table(name: string, rows: number, stats: TableStats): TableInfo {
  return { name, schema: 'public', columns: new Map(), indexes: [], rows, rowsSource: 'stats', stats, origin: 'sql' };
}

describe('stats snapshot', () => {
  before(() => initParser());

  it('reads the hand-written form and the full one; reports what it cannot use and keeps the rest', () => {
    const old = parseSnapshot('{ "tables": { "orders": { "rows": 51234567 } } }');
    assert.deepEqual(old.problems, []);
    assert.equal(old.snapshot?.tables.orders.rows, 51234567);
    const bad = parseSnapshot('{ "tables": { "a": { "rows": -1 }, "b": { "rows": 3, "columns": { "x": { "nullFrac": 0 } } } } }');
    assert.deepEqual(
      bad.problems.map((p) => p.message),
      ['stats snapshot: tables.a.rows must be a non-negative number', 'stats snapshot: tables.b.columns.x needs nullFrac, nDistinct and avgWidth numbers; ignored'],
    );
    assert.equal(bad.snapshot?.tables.b.rows, 3);
    assert.match(parseSnapshot('{').problems[0].message, /not valid JSON/);
  });

  it('renders sorted keys and rounded figures, and reads back what it wrote', () => {
    const text = renderSnapshot({
      tables: { 'public.b': { rows: 10.4, columns: { z: { nullFrac: 0.123456789, nDistinct: -0.987654321, avgWidth: 4 } } }, 'public.a': { rows: 3 } },
      statements: [
        { query: 'SELECT 2', calls: 1, totalMs: 1.23456, meanMs: 1.23456, rows: 1 },
        { query: 'SELECT 1', calls: 2, totalMs: 2, meanMs: 1, rows: 2 },
      ],
    });
    assert.ok(text.indexOf('"public.a"') < text.indexOf('"public.b"'));
    assert.ok(text.indexOf('"SELECT 1"') < text.indexOf('"SELECT 2"'));
    assert.match(text, /"nullFrac": 0\.1235/);
    assert.match(text, /"rows": 10\n/);
    assert.match(text, /"totalMs": 1\.235/);
    const back = parseSnapshot(text);
    assert.deepEqual(back.problems, []);
    assert.equal(renderSnapshot(back.snapshot!), text);
  });
});

describe('stats sections → snapshot', () => {
  before(() => initParser());

  const sections = (statements: unknown[]) => ({
    meta: { section: 'meta', server_version: '15.8', pulled_at: '2026-12-02T04:00:00Z', extensions: ['pg_stat_statements'] },
    tables: { section: 'tables', rows: [{ schema: 'public', name: 'users', reltuples: -1, relpages: 0, seq_scan: 3, seq_tup_read: 30, idx_scan: 1, n_live_tup: 12 }] },
    columns: { section: 'columns', rows: [{ schema: 'public', table: 'users', column: 'email', null_frac: 0, n_distinct: -1, avg_width: 22, correlation: 0.5, mcf: null, mcv: '{a@b.c}' }] },
    indexes: { section: 'indexes', rows: [{ schema: 'public', table: 'users', name: 'users_pkey', definition: 'CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)', unique: true, primary: true, valid: true, pages: 2, scans: 0 }] },
    statements: { section: 'statements', rows: statements },
  });

  it('keeps the application statements, normalised again, merged, and none of its own or the catalogs', () => {
    const snap = snapshotFromSections(
      sections([
        { query: "SELECT id FROM users WHERE email = 'a@b.c'", calls: 2, total_ms: 4, mean_ms: 2, rows: 2 },
        { query: 'SELECT id FROM users WHERE email = $1', calls: 3, total_ms: 3, mean_ms: 1, rows: 3 },
        { query: `/* ${STATS_MARKER}: tables */ SELECT 1 FROM users`, calls: 1, total_ms: 1, mean_ms: 1, rows: 1 },
        { query: 'SELECT relname FROM pg_catalog.pg_class', calls: 9, total_ms: 9, mean_ms: 1, rows: 9 },
        { query: 'BEGIN', calls: 9, total_ms: 1, mean_ms: 0.1, rows: 0 },
        { query: '<insufficient privilege>', calls: 5, total_ms: 5, mean_ms: 1, rows: 5 },
      ]),
    );
    // reltuples −1 (never analysed): the live-row counter.
    assert.equal(snap.tables['public.users'].rows, 12);
    assert.equal(snap.tables['public.users'].columns?.email.nDistinct, -1);
    assert.equal(snap.tables['public.users'].columns?.email.mostCommonValues, undefined, 'values only with --include-values');
    assert.deepEqual(snap.statements, [{ query: 'SELECT id FROM users WHERE email = $1', calls: 5, totalMs: 7, meanMs: 1.4, rows: 5 }]);
    assert.equal(snap.source?.hiddenStatements, 1, 'one statement hidden from this role');
    assert.ok(!JSON.stringify(snap).includes('a@b.c'), 'no data value survives');
    assert.equal(snapshotFromSections(sections([]), { includeValues: true }).tables['public.users'].columns?.email.mostCommonValues?.[0], 'a@b.c');
  });

  it('reads the script output line by line and names what is missing', () => {
    const s = sections([]);
    const text = ['', JSON.stringify(s.meta), 'garbage', JSON.stringify(s.tables), JSON.stringify(s.columns), JSON.stringify(s.indexes)].join('\n');
    const ok = parseSections(text);
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.sections.tables?.section, 'tables');
    const cut = parseSections(JSON.stringify(s.meta));
    assert.match(cut.problems.join('; '), /the tables section is missing/);
  });

  it('the script is read-only and reads values only when asked', () => {
    const plain = statsScript();
    assert.match(plain, /READ ONLY/);
    assert.match(plain, /SET LOCAL statement_timeout = 30000/);
    assert.match(plain, /SET LOCAL lock_timeout/);
    assert.doesNotMatch(plain, /most_common_vals|histogram_bounds|\bANALYZE\b|\bINSERT\b|\bUPDATE\b|\bDELETE\b/i);
    assert.match(statsScript({ includeValues: true }), /most_common_vals/);
  });
});

describe('selectivity from pg_stats', () => {
  const p = DEFAULT_PARAMS;

  it('computes equality, IN, IS NULL, ranges and patterns as the planner does for a parameter', () => {
    const t = table('orders', 100000, {
      rows: 100000,
      columns: {
        status: { nullFrac: 0, nDistinct: 4, avgWidth: 5, mostCommonFreqs: [0.25, 0.25, 0.25, 0.25] },
        email: { nullFrac: 0, nDistinct: -1, avgWidth: 20 },
        kind: { nullFrac: 0.5, nDistinct: 10, avgWidth: 4, mostCommonFreqs: [0.02] },
      },
    });
    assert.equal(statsSelectivity(t, 'status', 'eq')!.value, 0.25);
    assert.equal(statsSelectivity(t, 'email', 'eq')!.value, 1 / 100000);
    // (1 − 0.5) / 10 = 0.05, capped by the most common value's 0.02.
    assert.equal(statsSelectivity(t, 'kind', 'eq')!.value, 0.02);
    assert.equal(statsSelectivity(t, 'status', 'in', { inCount: 3 })!.value, 0.75);
    assert.equal(statsSelectivity(t, 'kind', 'null')!.value, 0.5);
    assert.equal(statsSelectivity(t, 'email', 'range')!.value, 1 / 3);
    assert.equal(statsSelectivity(t, 'email', 'like-contains')!.value, 0.005);
    assert.equal(statsSelectivity(t, 'missing', 'eq'), undefined, 'no statistics: no figure');
    assert.equal(matchingRows(t, [{ column: 'status' }, { column: 'kind' }])!.value, 100000 * 0.25 * 0.02);
  });

  it('an index pays for a unique column of a large table, not for a quarter of it nor for a 20-row table', () => {
    assert.equal(indexWorthIt(1 / 100000, 100000, p), true);
    assert.equal(indexWorthIt(0.25, 100000, p), false);
    assert.equal(indexWorthIt(1 / 20, 20, p), false);
  });

  it('fan-out of a relation: child rows per distinct parent key', () => {
    const items = table('order_items', 100000, { rows: 100000, columns: { order_id: { nullFrac: 0, nDistinct: 50000, avgWidth: 4 } } });
    assert.equal(fanOut(items, ['order_id'])!.value, 2);
    assert.equal(fanOut(items, ['sku']), undefined);
  });
});

describe('measured workload on ORM findings (shape of the generated SQL)', () => {
  before(() => initParser());

  it('attaches pg_stat_statements figures to the Prisma call whose SQL they are', () => {
    const snapshot = {
      tables: { 'public.User': { rows: 100000, columns: { email: { nullFrac: 0, nDistinct: -1, avgWidth: 24 } } } },
      statements: [
        {
          query: 'SELECT "public"."User"."id", "public"."User"."email", "public"."User"."name" FROM "public"."User" WHERE ("public"."User"."email" = $1 AND 1=1) LIMIT $2 OFFSET $3',
          calls: 1200,
          totalMs: 6000,
          meanMs: 5,
          rows: 1200,
        },
      ],
    };
    const project = memoryProject({
      'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\nmodel User {\n  id    Int    @id\n  email String\n  name  String\n}\n',
      'querylens.stats.json': JSON.stringify(snapshot),
      'src/users.ts': "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\nexport async function byEmail(email: string) {\n  return prisma.user.findFirst({ where: { email } });\n}\n",
    });
    const findings = project.analyze('src/users.ts').findings.filter((f) => f.ruleId === 'unindexed-predicate');
    assert.equal(findings.length, 1, JSON.stringify(project.analyze('src/users.ts').findings.map((f) => f.message)));
    assert.deepEqual(findings[0].measured, { calls: 1200, meanMs: 5, totalMs: 6000, rows: 1200, matchedBy: 'shape' });
    assert.match(findings[0].hover ?? '', /\*\*Measured:\*\* 1200 calls, mean 5\.0 ms, 6000 ms in total .*matched by the SQL shape/);
    const tableRows = findings[0].estimate?.assumptions.find((a) => a.name === 'tableRows');
    assert.equal(tableRows?.source, 'stats');
  });

  it('a statement of another shape (another filter column) is not attached', () => {
    const project = memoryProject({
      'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\nmodel User {\n  id    Int    @id\n  email String\n  name  String\n}\n',
      'querylens.stats.json': JSON.stringify({
        tables: { 'public.User': { rows: 100000, columns: { email: { nullFrac: 0, nDistinct: -1, avgWidth: 24 } } } },
        statements: [{ query: 'SELECT "public"."User"."id", "public"."User"."email", "public"."User"."name" FROM "public"."User" WHERE "public"."User"."name" = $1', calls: 9, totalMs: 9, meanMs: 1, rows: 9 }],
      }),
      'src/users.ts': "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\nexport async function byEmail(email: string) {\n  return prisma.user.findFirst({ where: { email } });\n}\n",
    });
    const f = project.analyze('src/users.ts').findings.find((x) => x.ruleId === 'unindexed-predicate');
    assert.ok(f);
    assert.equal(f.measured, undefined);
  });
});

describe('querylens stats command line', () => {
  before(() => initParser());

  it('parses pull, sql and import, and rejects what does not belong', () => {
    assert.deepEqual(parseArgs(['stats', 'pull', '--database-url', 'postgres://x@h/db', '--explain', 'src']), {
      command: 'stats',
      action: 'pull',
      includeValues: false,
      explain: true,
      paths: ['src'],
      databaseUrl: 'postgres://x@h/db',
    });
    assert.equal((parseArgs(['stats', 'import', 'out.txt']) as { file?: string }).file, 'out.txt');
    assert.throws(() => parseArgs(['stats', 'push']), UsageError);
    assert.throws(() => parseArgs(['stats', 'sql', '--explain']), /--explain is for stats pull/);
    assert.throws(() => parseArgs(['stats', 'sql', '--database-url', 'postgres://x']), /--database-url is for stats pull/);
    assert.throws(() => parseArgs(['stats', 'import']), /name the file/);
    assert.throws(() => parseArgs(['stats', 'pull', '--statement-timeout', 'soon']), /expected milliseconds/);
  });

  it('stats import writes the snapshot from the script output; a file that is not one is refused and nothing is written', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-stats-unit-'));
    try {
      fs.writeFileSync(path.join(dir, 'querylens.config.json'), '{}\n');
      const lines = [
        { section: 'meta', server_version: '15.8', pulled_at: '2026-12-02T04:00:00Z', extensions: [] },
        { section: 'tables', rows: [{ schema: 'public', name: 'users', reltuples: 500, relpages: 5 }] },
        { section: 'columns', rows: [] },
        { section: 'indexes', rows: [] },
      ].map((x) => JSON.stringify(x));
      fs.writeFileSync(path.join(dir, 'out.txt'), lines.join('\n') + '\n');
      fs.writeFileSync(path.join(dir, 'cut.txt'), lines[0] + '\n');
      let out = '';
      const io = { cwd: dir, env: { NO_COLOR: '1' }, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) } };
      assert.equal(await main(['stats', 'import', 'cut.txt'], io), 2);
      assert.match(out, /not the output of querylens stats sql: the tables section is missing/);
      assert.ok(!fs.existsSync(path.join(dir, 'querylens.stats.json')));
      assert.equal(await main(['stats', 'import', 'out.txt'], io), 0, out);
      const snap = JSON.parse(fs.readFileSync(path.join(dir, 'querylens.stats.json'), 'utf8'));
      assert.equal(snap.tables['public.users'].rows, 500);
      assert.equal(snap.format, 1);
      assert.match(out, /wrote querylens\.stats\.json: 1 tables, 0 columns, 0 indexes, no pg_stat_statements/);
      // The real command, in its own process: nothing there has initialised the SQL parser before.
      ensureBundles();
      fs.rmSync(path.join(dir, 'querylens.stats.json'));
      const statements = { section: 'statements', rows: [{ query: "SELECT id FROM users WHERE email = 'x@y.z'", calls: 3, total_ms: 3, mean_ms: 1, rows: 3 }] };
      fs.writeFileSync(path.join(dir, 'out2.txt'), [...lines, JSON.stringify(statements)].join('\n') + '\n');
      const spawned = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'querylens.js'), 'stats', 'import', 'out2.txt'], { cwd: dir, encoding: 'utf8', timeout: 60000 });
      assert.equal(spawned.status, 0, spawned.stderr);
      const imported = JSON.parse(fs.readFileSync(path.join(dir, 'querylens.stats.json'), 'utf8'));
      assert.equal(imported.tables['public.users'].rows, 500);
      assert.deepEqual(imported.statements, [{ calls: 3, meanMs: 1, query: 'SELECT id FROM users WHERE email = $1', rows: 3, totalMs: 3 }]);
      out = '';
      assert.equal(await main(['stats', 'sql'], io), 0);
      assert.match(out, /^-- querylens stats/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
