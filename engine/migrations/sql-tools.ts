/**
 * Migration tools that run plain SQL files, described once here (they belong to
 * no data library): Flyway, golang-migrate, goose, dbmate, sqlx and numbered SQL
 * files of any other runner, and Postgrator's `.do.`/`.undo.` pairs. What each runs in a transaction decides whether the
 * new index may be built CONCURRENTLY:
 *
 * - Flyway detects statements that cannot run in a transaction (CREATE INDEX
 *   CONCURRENTLY on PostgreSQL) and runs such a migration outside one.
 * - golang-migrate sends the whole file in one Exec without BEGIN: a file of
 *   one statement runs outside a transaction.
 * - goose: `-- +goose NO TRANSACTION`; dbmate: `-- migrate:up transaction:false`;
 *   sqlx: `-- no-transaction` on the first line.
 * - Numbered SQL files of a runner we cannot see may run in a transaction: plain
 *   CREATE INDEX, with a note about the lock.
 */
import { type DirFiles, filesByDir, joinPath, leadingNumber } from './files';
import { createIndexSql, dropIndexSql, freePath, lockNote, nextVersion, sqlComment } from './naming';
import type { IndexMigration, IndexPlan, MigrationHome, MigrationTool, MigrationView } from './types';

/** Folders that hold migrations by name: `migrations/`, `migration/`, `db/migrate/`, `sql/`, and anything below them. */
const MIGRATION_DIR = /(^|\/)(migrations?|migrate|sql|schema|db)(\/|$)/i;

interface SqlToolSpec {
  id: string;
  displayName: string;
  /** Whether a folder's files are this tool's; returns the migration file names (applied order) or undefined. */
  files(d: DirFiles, view: MigrationView): string[] | undefined;
  evidence: string;
  /** The new files (path → text) for an index; `next` is the next number in the folder's width. */
  write(dir: string, next: string, slug: string, plan: IndexPlan, home: MigrationHome, now?: Date): { files: [string, string][]; concurrently: boolean; how: string } | undefined;
}

const FLYWAY = /^V(\d+)(?:[._]\d+)*__.+\.sql$/;
/** Postgrator's `<version>.do.<name>.sql` (its `.undo.` pair reverts it). */
const POSTGRATOR = /^(\d+)\.do\.[^/]+\.sql$/;
const UP_DOWN = /^(\d+)_.+\.(up|down)\.sql$/;
const NUMBERED = /^(\d+)[_-].+\.sql$/;
/** A migration named by its number alone (`0087.sql`), as some runners that sort by the leading number want them. */
const BARE = /^(\d+)\.sql$/;

function readHead(view: MigrationView, dir: string, names: string[]): string {
  // The first and the last migration say how the folder is written; two reads per folder.
  const pick = names.length > 1 ? [names[0], names[names.length - 1]] : names;
  return pick.map((n) => view.text(joinPath(dir, n))?.slice(0, 2000) ?? '').join('\n');
}

/** Does a Cargo.toml of the project depend on sqlx? */
function usesSqlx(view: MigrationView): boolean {
  return view.paths.some((p) => /(^|\/)Cargo\.toml$/.test(p) && /\bsqlx\b/.test(view.text(p) ?? ''));
}

const tools: SqlToolSpec[] = [
  {
    id: 'flyway',
    displayName: 'Flyway',
    evidence: 'V<version>__<description>.sql files',
    files: (d) => {
      const names = d.names.filter((n) => FLYWAY.test(n));
      return names.length ? names : undefined;
    },
    write: (dir, _next, slug, plan, home, now) => {
      const majors = home.files.map((f) => FLYWAY.exec(f.slice(f.lastIndexOf('/') + 1))?.[1]).filter((x): x is string => !!x);
      const v = nextVersion(majors, { now });
      return {
        files: [[joinPath(dir, `V${v}__${slug}.sql`), createIndexSql(plan, { concurrently: true })]],
        concurrently: true,
        how: 'Flyway runs a migration of non-transactional statements outside a transaction',
      };
    },
  },
  {
    id: 'golang-migrate',
    displayName: 'golang-migrate',
    evidence: '<version>_<name>.up.sql / .down.sql pairs',
    files: (d, view) => {
      const names = d.names.filter((n) => UP_DOWN.test(n) && n.endsWith('.up.sql'));
      if (!names.length || (usesSqlx(view) && /(^|\/)migrations$/.test(d.dir))) return undefined;
      return names;
    },
    write: (dir, next, slug, plan) => ({
      files: [
        [joinPath(dir, `${next}_${slug}.up.sql`), createIndexSql(plan, { concurrently: true, ifNotExists: true })],
        [joinPath(dir, `${next}_${slug}.down.sql`), dropIndexSql(plan, { concurrently: true })],
      ],
      concurrently: true,
      how: 'golang-migrate sends a file of one statement outside a transaction',
    }),
  },
  {
    id: 'goose',
    displayName: 'goose',
    evidence: '-- +goose Up markers',
    files: (d, view) => {
      const names = d.names.filter((n) => NUMBERED.test(n));
      return names.length && /--\s*\+goose\s+Up/i.test(readHead(view, d.dir, names)) ? names : undefined;
    },
    write: (dir, next, slug, plan) => ({
      files: [
        [
          joinPath(dir, `${next}_${slug}.sql`),
          `-- +goose NO TRANSACTION\n-- +goose Up\n${createIndexSql(plan, { concurrently: true, ifNotExists: true })}\n-- +goose Down\n${dropIndexSql(plan, { concurrently: true })}`,
        ],
      ],
      concurrently: true,
      how: '-- +goose NO TRANSACTION',
    }),
  },
  {
    id: 'dbmate',
    displayName: 'dbmate',
    evidence: '-- migrate:up markers',
    files: (d, view) => {
      const names = d.names.filter((n) => NUMBERED.test(n));
      return names.length && /--\s*migrate:up/i.test(readHead(view, d.dir, names)) ? names : undefined;
    },
    write: (dir, next, slug, plan) => ({
      files: [
        [
          joinPath(dir, `${next}_${slug}.sql`),
          `-- migrate:up transaction:false\n${createIndexSql(plan, { concurrently: true, ifNotExists: true })}\n-- migrate:down transaction:false\n${dropIndexSql(plan, { concurrently: true })}`,
        ],
      ],
      concurrently: true,
      how: 'dbmate runs it with transaction:false',
    }),
  },
  {
    id: 'sqlx',
    displayName: 'sqlx',
    evidence: 'migrations/ beside a Cargo.toml that depends on sqlx',
    files: (d, view) => {
      if (!/(^|\/)migrations$/.test(d.dir) || !usesSqlx(view)) return undefined;
      const names = d.names.filter((n) => NUMBERED.test(n) && !n.endsWith('.down.sql'));
      return names.length ? names : undefined;
    },
    write: (dir, next, slug, plan, home) => {
      const reversible = home.files.some((f) => f.endsWith('.up.sql'));
      const up = `-- no-transaction\n${createIndexSql(plan, { concurrently: true, ifNotExists: true })}`;
      const files: [string, string][] = reversible
        ? [
            [joinPath(dir, `${next}_${slug}.up.sql`), up],
            [joinPath(dir, `${next}_${slug}.down.sql`), `-- no-transaction\n${dropIndexSql(plan, { concurrently: true })}`],
          ]
        : [[joinPath(dir, `${next}_${slug}.sql`), up]];
      return { files, concurrently: true, how: 'sqlx runs it with -- no-transaction' };
    },
  },
  {
    id: 'postgrator',
    displayName: 'Postgrator',
    evidence: '<version>.do.<name>.sql / <version>.undo.<name>.sql files',
    files: (d) => {
      const names = d.names.filter((n) => POSTGRATOR.test(n));
      return names.length ? names : undefined;
    },
    write: (dir, next, slug, plan) => ({
      files: [
        [joinPath(dir, `${next}.do.${slug}.sql`), sqlComment(lockNote(plan, 'a migration that opens a transaction (BEGIN … COMMIT, as many of these files do) cannot hold CONCURRENTLY')) + createIndexSql(plan, { concurrently: false, ifNotExists: true })],
        [joinPath(dir, `${next}.undo.${slug}.sql`), dropIndexSql(plan, { concurrently: false })],
      ],
      concurrently: false,
      how: 'plain CREATE INDEX, with its undo file',
    }),
  },
  {
    id: 'sql-files',
    displayName: 'numbered SQL migrations',
    evidence: 'numbered .sql files in a migrations folder',
    files: (d) => {
      if (!MIGRATION_DIR.test(`${d.dir}/`)) return undefined;
      const names = d.names.filter((n) => (NUMBERED.test(n) || BARE.test(n)) && !/\.down\.sql$/.test(n));
      return names.length ? names : undefined;
    },
    write: (dir, next, slug, plan, home) => ({
      files: [
        [
          joinPath(dir, numberedName(home.files, next, slug)),
          (bareMajority(home.files) ? `-- ${slug}\n` : '') +
            sqlComment(lockNote(plan, 'the runner of these files may wrap each in a transaction, where CONCURRENTLY fails')) +
            createIndexSql(plan, { concurrently: false, ifNotExists: true }),
        ],
      ],
      concurrently: false,
      how: 'plain CREATE INDEX: the runner may use a transaction',
    }),
  },
];

const baseName = (f: string): string => f.slice(f.lastIndexOf('/') + 1);

/** Whether most of a folder's migrations are named by their number alone (lunary's `0002.sql` … `0121.sql`). */
function bareMajority(files: readonly string[]): boolean {
  return files.filter((f) => BARE.test(baseName(f))).length * 2 > files.length;
}

/**
 * The new numbered file's name as the folder writes them: the number alone where most are (the index is
 * named in the file's first line), else the number, the separator of the last named migration (`007-init.sql`
 * → `008-…`) and the slug.
 */
function numberedName(files: readonly string[], next: string, slug: string): string {
  if (bareMajority(files)) return `${next}.sql`;
  const named = files.filter((f) => NUMBERED.test(baseName(f)));
  const last = named[named.length - 1];
  const sep = (last && /^\d+([_-])/.exec(baseName(last))?.[1]) ?? '_';
  return `${next}${sep}${slug}.sql`;
}

/** Folder-per-migration layouts no library claims (`0003_x/up.sql`, `20240101_x/migration.sql`). */
const folderTool: SqlToolSpec = {
  id: 'sql-folders',
  displayName: 'SQL migration folders',
  evidence: 'numbered folders of SQL files',
  files: () => undefined,
  write: (dir, next, slug, plan, home) => {
    const file = home.facts.file ?? 'migration.sql';
    return {
      files: [[joinPath(dir, `${next}_${slug}/${file}`), sqlComment(lockNote(plan, 'the runner may wrap the file in a transaction, where CONCURRENTLY fails')) + createIndexSql(plan, { concurrently: false, ifNotExists: true })]],
      concurrently: false,
      how: 'plain CREATE INDEX: the runner may use a transaction',
    };
  },
};

function toolOf(spec: SqlToolSpec): MigrationTool {
  const tool: MigrationTool = {
    id: spec.id,
    displayName: spec.displayName,
    detect(view, claimed) {
      const homes: MigrationHome[] = [];
      if (spec === folderTool) {
        // `<dir>/<n>_<name>/<file>.sql`: group by <dir>.
        const byDir = new Map<string, { files: string[]; file: string }>();
        for (const p of view.paths) {
          const m = /^(?:(.*)\/)?(\d+)_[^/]+\/([^/]+\.sql)$/.exec(p);
          if (!m || claimed.has(p) || p.includes('node_modules/') || /\.down\.sql$|(^|\/)down\.sql$/.test(p)) continue;
          const dir = m[1] ?? '';
          if (!MIGRATION_DIR.test(`${dir}/`)) continue;
          const e = byDir.get(dir) ?? { files: [], file: m[3] };
          e.files.push(p);
          byDir.set(dir, e);
        }
        for (const [dir, e] of byDir) homes.push({ tool, dir, files: e.files, evidence: spec.evidence, facts: { file: e.file } });
        return homes;
      }
      for (const d of filesByDir(view.paths).values()) {
        const names = spec.files(d, view)?.filter((n) => !claimed.has(joinPath(d.dir, n)));
        if (names?.length) homes.push({ tool, dir: d.dir, files: names.map((n) => joinPath(d.dir, n)), evidence: spec.evidence, facts: {} });
      }
      return homes;
    },
    writeIndex(home, plan, view) {
      const base = (f: string) => f.slice(f.lastIndexOf('/') + 1);
      const nums = home.files.map((f) => leadingNumber(spec === folderTool ? f.slice(home.dir.length + 1) : base(f))).filter((x): x is string => !!x);
      const next = nextVersion(nums.length ? nums : ['0'], { now: view.now });
      const w = spec.write(home.dir, next, `add_${plan.name}`, plan, home, view.now);
      if (!w) return undefined;
      const taken = new Set<string>();
      const exists = (p: string) => view.exists(p) || taken.has(p);
      const files = w.files.map(([p, text]) => {
        const path = freePath(p, exists);
        taken.add(path);
        return { file: path, range: { start: 0, end: 0 }, newText: text };
      });
      const m: IndexMigration = {
        edits: files,
        title: `Create migration ${files[0].file} with CREATE INDEX ${w.concurrently ? 'CONCURRENTLY ' : ''}${plan.name} (${w.how})`,
        concurrently: w.concurrently,
      };
      return m;
    },
  };
  return tool;
}

/** The SQL-file tools, most specific first (numbered SQL of an unknown runner last). */
export const SQL_TOOLS: readonly MigrationTool[] = [...tools.map(toolOf), toolOf(folderTool)];
