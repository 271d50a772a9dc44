/**
 * Every index fix proven (issue 13): for one project per migration tool (test/migration-projects.ts) the
 * fix is applied, the TypeScript it writes type-checks against the library's real types (tsc --strict),
 * the migrations run on a throw-away PostgreSQL 15 the way the tool runs them (the tool itself where it is
 * an npm package: Knex, Kysely, TypeORM, node-pg-migrate, Sequelize's queryInterface, Drizzle Kit +
 * drizzle-orm's migrator, prisma generate for the schema; the SQL-file tools' transaction behaviour
 * emulated: Flyway, golang-migrate, goose, dbmate and sqlx are not npm packages), the index exists, and
 * querylens no longer reports the predicate — from the project's own files where it reads the tool's
 * format, and from a pg_dump of the migrated database for every tool.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { applyFixes } from '../../engine/fixes';
import { initParser } from '../../engine/sql/parser';
import type { Fix } from '../../engine/types';
import { DRIZZLE_SCHEMA, DRIZZLE_SCHEMA_MULTILINE, TOOL_PROJECTS, type ToolProject, indexFixOf } from '../migration-projects';
import { memoryProject } from '../unit/memory-project';
import { type Cluster, findPgBin, startCluster } from './cluster';
import { drizzleGenerate, importProof, indexExists, prismaGenerate, proofInstalled, proofRequire, readProject, schemaDump, typeCheck, writeProject } from './fix-proof';

// The proof packages live in test/fix-proof (not the root's dependencies): the few calls made here, typed structurally.
type Ctor<T = unknown> = new (config: unknown) => T;
interface KyselyLib {
  Kysely: Ctor<{ destroy(): Promise<void> }>;
  PostgresDialect: Ctor;
  Migrator: Ctor<{ migrateToLatest(): Promise<{ error?: unknown; results?: { status: string }[] }> }>;
  FileMigrationProvider: Ctor;
}
interface PgLib {
  Pool: Ctor<{ end(): Promise<void> }>;
}
interface KnexLib {
  knex(config: unknown): { migrate: { latest(config: unknown): Promise<[number, string[]]> }; destroy(): Promise<void> };
}
interface TypeormLib {
  DataSource: Ctor<{ initialize(): Promise<unknown>; runMigrations(): Promise<unknown[]>; destroy(): Promise<void> }>;
}
interface SequelizeLib {
  Sequelize: (new (db: string, user: string, pass: string, opts: unknown) => { getQueryInterface(): unknown; close(): Promise<void> }) & object;
}
interface NodePgMigrateLib {
  runner(options: unknown): Promise<unknown[]>;
}
interface DrizzleLib {
  drizzle(pool: unknown): unknown;
}
interface DrizzleMigratorLib {
  migrate(db: unknown, config: { migrationsFolder: string }): Promise<void>;
}

interface RunCtx {
  dir: string;
  files: Record<string, string>;
  c: Client;
  conn: { host: string; port: number; user: string; database: string };
}

const sorted = (files: Record<string, string>, re: RegExp): [string, string][] =>
  Object.entries(files)
    .filter(([p]) => re.test(p))
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));

/** Runs a file in a transaction (a runner that wraps each migration in one: CONCURRENTLY would fail here). */
async function inTransaction(c: Client, sql: string): Promise<void> {
  await c.query('BEGIN');
  try {
    await c.query(sql);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK');
    throw e;
  }
}

const upSection = (text: string, marker: RegExp, down: RegExp): string => {
  const m = marker.exec(text);
  const rest = m ? text.slice(m.index + m[0].length) : text;
  const d = down.exec(rest);
  return d ? rest.slice(0, d.index) : rest;
};

const RUNNERS: Record<string, (x: RunCtx) => Promise<void>> = {
  // An unknown runner: assume the worst, each file in a transaction.
  'sql-files': async ({ files, c }) => {
    for (const [, sql] of sorted(files, /^migrations\/\d+_.*\.sql$/)) await inTransaction(c, sql);
  },
  // A runner that orders files by parseInt of the name before the first dot and runs each in a transaction (lunary's migrate.ts).
  'sql-files (numbers alone)': async ({ files, c }) => {
    const num = (p: string) => parseInt(p.slice(p.lastIndexOf('/') + 1).split('.')[0], 10);
    const list = Object.entries(files).filter(([p]) => /^packages\/db\/\d+[^/]*\.sql$/.test(p));
    for (const [, sql] of list.sort(([a], [b]) => num(a) - num(b))) await inTransaction(c, sql);
  },
  // Postgrator runs the .do. files in version order, each as one query; assume each in a transaction (a file may open one).
  postgrator: async ({ files, c }) => {
    for (const [, sql] of sorted(files, /^migrations\/\d+\.do\..*\.sql$/)) await inTransaction(c, sql);
  },
  // Flyway runs a migration of non-transactional statements (CREATE INDEX CONCURRENTLY) outside a transaction.
  flyway: async ({ files, c }) => {
    for (const [, sql] of sorted(files, /^db\/migration\/V\d+__.*\.sql$/)) await (/CONCURRENTLY/.test(sql) ? c.query(sql) : inTransaction(c, sql));
  },
  // golang-migrate's postgres driver sends the file in one Exec (simple protocol), without BEGIN.
  'golang-migrate': async ({ files, c }) => {
    for (const [, sql] of sorted(files, /^migrations\/\d+_.*\.up\.sql$/)) await c.query(sql);
  },
  goose: async ({ files, c }) => {
    for (const [, text] of sorted(files, /^db\/migrations\/\d+_.*\.sql$/)) {
      const up = upSection(text, /--\s*\+goose\s+Up\s*\n/, /--\s*\+goose\s+Down/);
      if (/--\s*\+goose\s+NO TRANSACTION/.test(text)) for (const st of up.split(/;\s*\n/).filter((s) => s.trim())) await c.query(st);
      else await inTransaction(c, up);
    }
  },
  dbmate: async ({ files, c }) => {
    for (const [, text] of sorted(files, /^db\/migrations\/\d+_.*\.sql$/)) {
      const up = upSection(text, /--\s*migrate:up[^\n]*\n/, /--\s*migrate:down/);
      await (/--\s*migrate:up\s+transaction:false/.test(text) ? c.query(up) : inTransaction(c, up));
    }
  },
  sqlx: async ({ files, c }) => {
    for (const [, text] of sorted(files, /^migrations\/\d+_.*\.sql$/)) await (/^-- no-transaction/.test(text) ? c.query(text) : inTransaction(c, text));
  },
  'prisma-migrate': async ({ dir, files, c }) => {
    assert.equal(prismaGenerate(dir), '', 'prisma generate accepts the schema with the @@index');
    for (const [, sql] of sorted(files, /^prisma\/migrations\/\d+_[^/]+\/migration\.sql$/)) await inTransaction(c, sql);
  },
  'prisma-migrate (variants)': async ({ dir, files, c }) => {
    assert.equal(prismaGenerate(dir, 'prisma/postgresql-schema.prisma'), '', 'prisma generate accepts the variant with the @@index');
    for (const [, sql] of sorted(files, /^prisma\/postgresql-migrations\/\d+_[^/]+\/migration\.sql$/)) await inTransaction(c, sql);
  },
  knex: async ({ dir, conn }) => knexLatest(dir, 'migrations', conn),
  'knex (CommonJS)': async ({ dir, conn }) => knexLatest(dir, 'db/migrations', conn),
  kysely: async ({ dir, conn }) => {
    const k = proofRequire('kysely') as KyselyLib;
    const pg = proofRequire('pg') as PgLib;
    const db = new k.Kysely({ dialect: new k.PostgresDialect({ pool: new pg.Pool(conn) }) });
    try {
      const migrator = new k.Migrator({ db, provider: new k.FileMigrationProvider({ fs: fs.promises, path, migrationFolder: path.join(dir, 'src/migrations') }) });
      const { error, results } = await migrator.migrateToLatest();
      assert.ifError(error);
      assert.deepEqual(results?.map((r) => r.status), ['Success', 'Success']);
    } finally {
      await db.destroy();
    }
  },
  typeorm: async ({ dir, conn }) => typeormRun(dir, conn, 'all'),
  'typeorm (each)': async ({ dir, conn }) => typeormRun(dir, conn, 'each'),
  'node-pg-migrate': async ({ dir, conn }) => {
    const { runner } = await importProof<NodePgMigrateLib>('node-pg-migrate');
    const done = await runner({ databaseUrl: conn, dir: path.join(dir, 'migrations'), direction: 'up', migrationsTable: 'pgmigrations', log: () => {}, count: Infinity });
    assert.equal(done.length, 2);
  },
  // sequelize-cli calls up(queryInterface, Sequelize) of each pending file, without a transaction.
  sequelize: async ({ dir, files, conn }) => {
    const { Sequelize } = proofRequire('sequelize') as SequelizeLib;
    const seq = new Sequelize(conn.database, conn.user, '', { host: conn.host, port: conn.port, dialect: 'postgres', logging: false });
    try {
      for (const [rel] of sorted(files, /^migrations\/\d+-.*\.js$/)) {
        const m = proofRequire(path.join(dir, rel)) as { up(q: unknown, s: unknown): Promise<void> };
        await m.up(seq.getQueryInterface(), Sequelize);
      }
    } finally {
      await seq.close();
    }
  },
};

async function knexLatest(dir: string, folder: string, conn: RunCtx['conn']): Promise<void> {
  const knex = (proofRequire('knex') as KnexLib).knex({ client: 'pg', connection: conn });
  try {
    const [, log] = await knex.migrate.latest({ directory: path.join(dir, folder), loadExtensions: ['.ts', '.js'] });
    assert.equal(log.length, 2);
  } finally {
    await knex.destroy();
  }
}

async function typeormRun(dir: string, conn: RunCtx['conn'], mode: 'all' | 'each'): Promise<void> {
  const { DataSource } = proofRequire('typeorm') as TypeormLib;
  const ds = new DataSource({ type: 'postgres', host: conn.host, port: conn.port, username: conn.user, database: conn.database, migrations: [path.join(dir, 'src/migrations/*.ts')], migrationsTransactionMode: mode, logging: false });
  await ds.initialize();
  try {
    const ran = await ds.runMigrations();
    assert.equal(ran.length, 2);
  } finally {
    await ds.destroy();
  }
}

const lintFindings = (files: Record<string, string>): number => {
  const project = memoryProject(files);
  return project.analyze('src/q.sql', ['unindexed-predicate']).findings.length;
};

describe('fix proof: index migrations type-check and run on PostgreSQL, and the finding is gone', function () {
  this.timeout(600_000);
  let cluster: Cluster | undefined;
  let admin: Client;
  const bin = findPgBin()!;

  before(async function () {
    const missing = proofInstalled();
    if (missing) throw new Error(missing);
    await initParser();
    cluster = await startCluster();
    admin = new Client({ host: cluster.host, port: cluster.port, user: cluster.user, database: cluster.database });
    await admin.connect();
  });

  after(async () => {
    await admin?.end();
    cluster?.stop();
  });

  const database = async (name: string): Promise<{ c: Client; conn: RunCtx['conn'] }> => {
    const db = `fp_${name.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}`;
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`CREATE DATABASE ${db}`);
    const conn = { host: cluster!.host, port: cluster!.port, user: cluster!.user, database: db };
    const c = new Client(conn);
    await c.connect();
    return { c, conn };
  };

  const applyFix = (files: Record<string, string>, fix: Fix): Record<string, string> => {
    const res = applyFixes(new Map(Object.entries(files)), [fix]);
    assert.equal(res.applied.length, 1, 'the fix applies');
    return { ...files, ...Object.fromEntries(res.files) };
  };

  for (const tp of TOOL_PROJECTS.filter((t) => !t.tool.startsWith('drizzle-kit') && t.tool !== 'prisma-db-push')) {
    it(`${tp.tool}: the new migration runs, its TypeScript type-checks, and the finding is gone`, async () => {
      const fix = indexFixOf(memoryProject(tp.files));
      assert.ok(fix, 'an index fix');
      const after = applyFix(tp.files, fix);
      const dir = writeProject(tp.tool, after);
      const changedTs = fix.edits.map((e) => e.file).filter((f) => /\.ts$/.test(f));
      assert.equal(typeCheck(dir, [...new Set(changedTs)]), '', 'tsc --noEmit --strict');
      const { c, conn } = await database(tp.tool);
      try {
        if (after['db/schema.sql']) await c.query(after['db/schema.sql']);
        await RUNNERS[tp.tool]({ dir, files: readProject(dir), c, conn });
        const name = tp.tool.startsWith('prisma') ? 'Link_url_idx' : 'idx_link_url';
        assert.ok(await indexExists(c, name), `index ${name} exists`);
        // The finding is gone: with the migrated database's schema, and (tools querylens reads) with the project's own files.
        const dump = schemaDump(bin, conn);
        assert.equal(lintFindings({ 'db/schema.sql': dump, 'src/q.sql': after['src/q.sql'], 'src/w.sql': after['src/w.sql'] }), 0, 'no finding with the pg_dump schema');
        if (!after['db/schema.sql']) assert.equal(lintFindings(after), 0, 'no finding with the project files');
      } finally {
        await c.end();
      }
    });
  }

  it('prisma-db-push: the schema with the @@index is valid (prisma generate), and the finding is gone', () => {
    const tp = TOOL_PROJECTS.find((t) => t.tool === 'prisma-db-push') as ToolProject;
    const project = memoryProject(tp.files);
    const fix = project.analyze('src/q.ts', ['unindexed-predicate']).findings[0]?.fixes[0];
    assert.ok(fix && /@@index/.test(fix.title));
    const after = applyFix(tp.files, fix);
    const dir = writeProject(tp.tool, after);
    assert.equal(prismaGenerate(dir), '');
    assert.equal(memoryProject(after).analyze('src/q.ts', ['unindexed-predicate']).findings.length, 0);
  });

  // The table's extra config on one line (the fix adds the callback) and one element per line (hollo's shape: the index
  // goes on its own line, in the file's quotes).
  for (const [shape, schema] of [['one line', DRIZZLE_SCHEMA], ['one element per line', DRIZZLE_SCHEMA_MULTILINE]] as const) {
    it(`drizzle-kit (${shape}): index() in the table type-checks, drizzle-kit generate writes the migration, it runs, and the finding is gone`, async () => {
      const dir = writeProject(`drizzle-kit-${shape}`, {
        'package.json': '{"dependencies":{"drizzle-orm":"^0.44.0"}}\n',
        'drizzle.config.ts': "import { defineConfig } from 'drizzle-kit';\nexport default defineConfig({ dialect: 'postgresql', schema: './src/db/schema.ts', out: './drizzle' });\n",
        'src/db/schema.ts': schema,
        'src/q.sql': 'SELECT id, title FROM link WHERE url = $1;\n',
        'src/w.sql': 'INSERT INTO link (url) VALUES ($1);\n',
      });
      drizzleGenerate(dir, 'init');
      const before = readProject(dir);
      assert.equal(lintFindings(before), 1, 'the generated migration has no index on url');
      const fix = indexFixOf(memoryProject(before));
      assert.ok(fix && fix.followUp === 'drizzle-kit generate', fix?.title);
      const after = applyFix(before, fix);
      for (const e of fix.edits) fs.writeFileSync(path.join(dir, e.file), after[e.file]);
      assert.equal(typeCheck(dir, ['src/db/schema.ts']), '', 'tsc --noEmit --strict');
      drizzleGenerate(dir, 'idx');
      const generated = readProject(dir);
      const added = Object.keys(generated).filter((p) => /^drizzle\/0001_.*\.sql$/.test(p));
      assert.equal(added.length, 1);
      assert.match(generated[added[0]], /CREATE INDEX "idx_link_url" ON "link"/);
      const { c, conn } = await database(`drizzle-kit-${shape}`);
      try {
        const { drizzle } = proofRequire('drizzle-orm/node-postgres') as DrizzleLib;
        const { migrate } = proofRequire('drizzle-orm/node-postgres/migrator') as DrizzleMigratorLib;
        const pg = proofRequire('pg') as PgLib;
        const pool = new pg.Pool(conn);
        try {
          await migrate(drizzle(pool), { migrationsFolder: path.join(dir, 'drizzle') });
        } finally {
          await pool.end();
        }
        assert.ok(await indexExists(c, 'idx_link_url'));
        assert.equal(lintFindings(generated), 0, 'no finding with the generated migrations');
      } finally {
        await c.end();
      }
    });
  }
});
