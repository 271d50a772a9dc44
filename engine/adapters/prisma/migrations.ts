/**
 * Prisma Migrate: an index belongs in schema.prisma as `@@index([field])`; Prisma Migrate turns it into
 * a plain B-tree index named `<table>_<columns>_idx`. A project that commits migrations
 * (`prisma/migrations/<timestamp>_<name>/migration.sql`, beside the schema or its folder) also gets the
 * migration `prisma migrate dev` would write, so the schema and the migrations agree (no drift, no
 * migration that drops the index again). Prisma Migrate may run a migration file in a transaction, so the
 * statement is a plain CREATE INDEX, with a note about the lock.
 */
import { filesByDir, joinPath } from '../../migrations/files';
import { foreignDialectFolder } from '../../schema/order';
import { createIndexSql, lockNote, nameTaken, nextVersion, sqlComment } from '../../migrations/naming';
import type { IndexMigration, IndexPlan, MigrationHome, MigrationTool, MigrationView } from '../../migrations/types';
import type { TableInfo } from '../../schema/types';
import type { TextEdit } from '../../types';
import { prismaDefaultName, prismaTables } from './schema';

const MIGRATION = /^(\d+)_[^/]+\/migration\.sql$/;

const dirOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

function detect(view: MigrationView, claimed: ReadonlySet<string>): MigrationHome[] {
  const homes: MigrationHome[] = [];
  const schemaDirs = new Set(view.paths.filter((p) => p.endsWith('.prisma')).map(dirOf));
  const byDir = filesByDir(view.paths);
  for (const sd of schemaDirs) {
    // `prisma/schema.prisma` → prisma/migrations; a multi-file schema `prisma/schema/*.prisma` → prisma/migrations;
    // one folder per database beside per-database schemas (evolution-api: prisma/postgresql-migrations with
    // postgresql-schema.prisma, prisma/mysql-migrations with mysql-schema.prisma): the PostgreSQL one.
    const candidates = [joinPath(sd, 'migrations'), joinPath(dirOf(sd), 'migrations'), ...variantFolders(view, sd)];
    const dir = candidates.find((c) => view.paths.some((p) => p.startsWith(`${c}/`) && MIGRATION.test(p.slice(c.length + 1))));
    const files = dir ? view.paths.filter((p) => p.startsWith(`${dir}/`) && MIGRATION.test(p.slice(dir.length + 1)) && !claimed.has(p)) : [];
    const lock = dir && byDir.get(dir)?.names.includes('migration_lock.toml');
    homes.push({
      tool: prismaMigrate,
      dir: dir ?? '',
      files,
      evidence: dir ? `${dir}/<timestamp>_<name>/migration.sql${lock ? ' and migration_lock.toml' : ''}` : `schema.prisma without committed migrations`,
      facts: { schemaDir: sd },
    });
  }
  return homes;
}

/** Folders `<dir>/<variant>-migrations` beside a `<dir>/<variant>-schema.prisma`, not named after another database. */
function variantFolders(view: MigrationView, sd: string): string[] {
  const out: string[] = [];
  for (const p of view.paths) {
    if (dirOf(p) !== sd) continue;
    const m = /^(.+)-schema\.prisma$/.exec(p.slice(sd ? sd.length + 1 : 0));
    if (!m) continue;
    const dir = joinPath(sd, `${m[1]}-migrations`);
    if (!foreignDialectFolder(`${dir}/x.sql`)) out.push(dir);
  }
  return out.sort();
}

/**
 * The schema file an index attribute goes to: the one paired with the migrations folder by name
 * (`postgresql-schema.prisma` for `postgresql-migrations`) when it declares the model, else the model's own file.
 */
function pairedModel(view: MigrationView, home: MigrationHome, t: TableInfo): { file: string; range: { start: number; end: number } } | undefined {
  const at = t.modelDefinedAt;
  const m = home.dir ? /^(.+)-migrations$/.exec(home.dir.slice(home.dir.lastIndexOf('/') + 1)) : null;
  if (!at || !m) return at;
  const file = joinPath(dirOf(home.dir), `${m[1]}-schema.prisma`);
  if (file === at.file) return at;
  const text = view.text(file);
  const model = text === undefined ? null : new RegExp(`^model\\s+${t.modelName ?? t.name}\\s*\\{`, 'm').exec(text);
  if (!text || !model) return at;
  const close = text.indexOf('\n}', model.index);
  return close < 0 ? at : { file, range: { start: model.index, end: close + 2 } };
}

/**
 * Whether the model's own attributes in the schema file the index would go to already give an index whose leading
 * columns are the plan's (`@@index`, `@@unique`, `@@id`, `@id`, `@unique`): the schema the rule judged may not have
 * read them (a sibling variant's model), and a second `@@index` of the same fields repeats a constraint name, which
 * fails `prisma validate` (P1012; evolution-api's psql_bouncer-schema.prisma got 4 such lines). A trigram or
 * expression index answers other predicates than the model's plain ones.
 */
function hasIndex(home: MigrationHome, plan: IndexPlan, view: MigrationView): boolean {
  const at = plan.kind === 'plain' ? pairedModel(view, home, plan.table) : undefined;
  const text = at && view.text(at.file);
  if (!at || text === undefined) return false;
  const parsed = prismaTables([{ path: at.file, text: text.slice(at.range.start, at.range.end) }]).tables[0];
  return !!parsed?.indexes.some((ix) => plan.columns.every((c, i) => ix.keys[i]?.column === c));
}

function owns(home: MigrationHome, table: TableInfo): boolean {
  const f = table.modelDefinedAt?.file;
  return !!f && f.endsWith('.prisma') && dirOf(f) === home.facts.schemaDir;
}

/** `  @@index([a, b], map: "…")` inserted on its own line before the model's closing brace. */
function indexAttributeEdit(view: MigrationView, at: TableInfo['modelDefinedAt'], fields: string[], map: string | undefined, tail = ''): TextEdit | undefined {
  if (!at) return undefined;
  const text = view.text(at.file);
  if (text === undefined) return undefined;
  const close = text.lastIndexOf('}', at.range.end - 1);
  if (close <= at.range.start) return undefined;
  const lineStart = text.lastIndexOf('\n', close - 1) + 1;
  // The closing brace alone on its line: insert a line before it; else (`model X { … }` on one line) nothing mechanical.
  if (text.slice(lineStart, close).trim() !== '') return undefined;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return { file: at.file, range: { start: lineStart, end: lineStart }, newText: `  @@index([${fields.join(', ')}]${map ? `, map: "${map}"` : ''}${tail})${eol}` };
}

/** The next migration folder's file: Prisma names folders by the UTC time (YYYYMMDDHHmmss). */
function migrationPath(home: MigrationHome, view: MigrationView, name: string): string {
  const nums = home.files.map((f) => MIGRATION.exec(f.slice(home.dir.length + 1))?.[1]).filter((x): x is string => !!x);
  // A folder of that timestamp may exist for another reason (a skipped or unreadable one): never reuse it.
  const taken = view.paths.map((p) => (p.startsWith(`${home.dir}/`) ? /^(\d+)_/.exec(p.slice(home.dir.length + 1))?.[1] : undefined)).filter((x): x is string => !!x);
  const stamp = nextVersion([...nums, ...taken], { now: view.now, force: 'ymdhms' });
  return `${home.dir}/${stamp}_add_${name.toLowerCase()}/migration.sql`;
}

/** An expression index (a JSON path): a migration of its own, and no schema line (Prisma has none for it). */
function expressionMigration(home: MigrationHome, plan: IndexPlan, view: MigrationView): IndexMigration | undefined {
  if (!home.dir || !plan.expression) return undefined;
  const path = migrationPath(home, view, plan.name);
  const note = 'schema.prisma cannot declare an index on an expression: keep this migration when a later prisma migrate dev proposes to drop the index';
  const sql = `-- CreateIndex\n${sqlComment(note)}${sqlComment(lockNote(plan, 'Prisma Migrate may run a migration file in a transaction, where CONCURRENTLY fails'))}${createIndexSql(plan, { concurrently: false })}`;
  return { edits: [{ file: path, range: { start: 0, end: 0 }, newText: sql }], title: `Create migration ${path} with CREATE INDEX ${plan.name} on (${plan.expression}) (${note})`, concurrently: false };
}

function writeIndex(home: MigrationHome, plan: IndexPlan, view: MigrationView): IndexMigration | undefined {
  // Prisma schema indexes are column lists: an expression index cannot be declared there, only written as a
  // migration of its own (what `prisma migrate dev --create-only` leaves to edit). A trigram index is
  // one column with `ops: raw("gin_trgm_ops")` and `type: Gin` (Prisma 4+), its migration creating pg_trgm first.
  if (plan.kind === 'expression') return expressionMigration(home, plan, view);
  const trgm = plan.kind === 'trgm';
  const t = plan.table;
  const fields = plan.columns.map((c) => t.columns.get(c)?.fieldName ?? c).map((f) => (trgm ? `${f}(ops: raw("gin_trgm_ops"))` : f));
  const prismaName = prismaDefaultName(t.name, plan.columns, 'idx');
  // Prisma's default name, unless an index or table already has it: then the unique name, as `map`.
  const name = nameTaken(view.schema, t, prismaName) ? plan.name : prismaName;
  const tail = trgm ? ', type: Gin' : '';
  const attr = indexAttributeEdit(view, pairedModel(view, home, t), fields, name === prismaName ? undefined : name, tail);
  if (!attr) return undefined;
  const model = t.modelName ?? t.name;
  const attrText = `@@index([${fields.join(', ')}]${name === prismaName ? '' : `, map: "${name}"`}${tail})`;
  if (!home.dir) {
    return { edits: [attr], title: `Add ${attrText} to model ${model} in ${attr.file} (prisma db push or migrate dev creates it)`, concurrently: false };
  }
  const path = migrationPath(home, view, name);
  const sql = `-- CreateIndex\n${sqlComment(lockNote(plan, 'Prisma Migrate may run a migration file in a transaction, where CONCURRENTLY fails'))}${createIndexSql(plan, { concurrently: false, name })}`;
  return {
    edits: [attr, { file: path, range: { start: 0, end: 0 }, newText: sql }],
    title: `Add ${attrText} to model ${model} in ${attr.file} and create migration ${path} with CREATE INDEX ${name}`,
    concurrently: false,
  };
}

export const prismaMigrate: MigrationTool = { id: 'prisma', displayName: 'Prisma Migrate', detect, owns, hasIndex, writeIndex };
