/**
 * Files whose queries run once (or on a developer's database), not per
 * request: migrations written as code, data migrations and backfills, seed
 * scripts. The per-execution rules (unindexed-predicate, over-fetching,
 * cartesian-join) estimate a cost paid on every call; for a statement that
 * runs once over the whole table (a backfill that must read every row anyway)
 * the advice "add an index" or "select fewer columns" costs more than it
 * saves. Found on real repositories: umami's data-migrations/*.sql, formbricks'
 * migration/<ts>/migration.ts and scripts/backfill-*.ts, documenso's and
 * umami's seed scripts.
 *
 * Which files are one-off code is the engine's answer (engine/one-off.ts: folders, names, package.json
 * scripts, the `oneOff` config); this module applies it for the per-execution rules. Test files are left
 * out too (as n-plus-one does), unless `lintTests`.
 */
import type { RuleContext } from '../engine/context';
import { isTestFilePath } from '../engine/one-off';

export { isTestFilePath };

/** A directory segment naming migrations, data migrations, seeds or backfills (n-plus-one's narrower convention). */
const ONE_OFF_DIR = /(^|\/)(migrations?|data[-_]?migrations?|(?:[a-z0-9]+[-_])+migrations|seeds?|seeders?|seeding|backfills?)\//i;
/**
 * A file named as a seed, backfill or migration script (`seed.ts`, `seed-users.ts`, `backfill-attribute-values.ts`,
 * `migrate-data.sql`), also behind a numeric or date prefix (outline's `scripts/20210716000000-backfill-revisions.ts`).
 */
const ONE_OFF_FILE = /(^|\/)(\d+[-_])?(seed|seeds|backfill|migrate)([-_.][^/]*)?\.([cm]?[jt]sx?|sql)$/i;


/**
 * Whether the file holds one-off statements by n-plus-one's convention (migration, backfill, seed):
 * a loop over a whole table in a hand-run script still repeats its query, so n-plus-one keeps the
 * narrower list; the per-execution rules use the engine's wider one (skipsFile).
 */
export function isOneOffScriptPath(path: string): boolean {
  return ONE_OFF_DIR.test(path) || ONE_OFF_FILE.test(path);
}

/**
 * Whether a per-execution rule should skip this file: one-off scripts unless
 * the rule option `includeOneOffScripts` is true; test files unless the rule
 * option `includeTests` (or config `lintTests`) is true.
 */
export function skipsFile(ctx: RuleContext): boolean {
  const path = ctx.file.path;
  const includeTests = typeof ctx.options.includeTests === 'boolean' ? ctx.options.includeTests : ctx.config.lintTests;
  if (!includeTests && isTestFilePath(path)) return true;
  if (ctx.options.includeOneOffScripts === true) return false;
  return ctx.project.oneOffReason ? ctx.project.oneOffReason(path) !== undefined : isOneOffScriptPath(path);
}
