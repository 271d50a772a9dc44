/**
 * Migration tools whose migrations are script files (Knex, Kysely, TypeORM,
 * node-pg-migrate, Sequelize): found by file name and content in a folder, and
 * written as one more file of the same kind (extension, module style, name
 * prefix after the last one). Each adapter states its tool with `scriptTool`.
 */
import { filesByDir, joinPath, moduleStyle, SCRIPT_EXT } from '../../migrations/files';
import { freePath, nextPrefix, nextVersion, type VersionKind } from '../../migrations/naming';
import type { IndexMigration, IndexPlan, MigrationHome, MigrationTool, MigrationView } from '../../migrations/types';

export interface ScriptFile {
  /** Module style of the folder's migrations. */
  style: 'esm' | 'cjs';
  /** Whether they are TypeScript. */
  ts: boolean;
  /** The prefix (number or timestamp) of the new file, and its base name without extension. */
  prefix: string;
  base: string;
  /** Text of the folder's last migration (to copy conventions from). */
  sample: string;
}

export interface ScriptToolSpec {
  id: string;
  displayName: string;
  evidence: string;
  /** Base names of this tool's migrations. */
  name: RegExp;
  /** What a migration of this tool contains. */
  content: RegExp;
  /** The new file's base name (no extension) after `names`; `slug` is `add_<index name>`; `now` the host's clock. */
  fileName(names: readonly string[], slug: string, now?: Date): { prefix: string; base: string } | undefined;
  /** The migration text, whether it builds the index CONCURRENTLY, and why (or why not). */
  render(plan: IndexPlan, file: ScriptFile, view: MigrationView, home: MigrationHome): { text: string; concurrently: boolean; how: string } | undefined;
}

/**
 * The next version among the numbers leading the names (`20240101120000_x.ts`), in the majority's
 * width and kind (a clock-made folder gets the current UTC time: nextVersion); `force`: the tool's own kind.
 */
export function nextLeadingNumber(names: readonly string[], now?: Date, force?: Exclude<VersionKind, 'seq'>): string | undefined {
  const nums = names.map((n) => /^(\d+)/.exec(n)?.[1]).filter((x): x is string => !!x);
  return nums.length ? nextVersion(nums, { now, force }) : undefined;
}

export function scriptTool(spec: ScriptToolSpec): MigrationTool {
  const tool: MigrationTool = {
    id: spec.id,
    displayName: spec.displayName,
    detect(view, claimed) {
      const homes: MigrationHome[] = [];
      for (const d of filesByDir(view.paths).values()) {
        const names = d.names.filter((n) => SCRIPT_EXT.test(n) && !/\.d\.[cm]?ts$/.test(n) && spec.name.test(n) && !claimed.has(joinPath(d.dir, n)));
        if (!names.length) continue;
        // The last migrations show the folder's conventions; one of them must be this tool's.
        const sample = names.slice(-3).reverse().find((n) => spec.content.test(view.text(joinPath(d.dir, n)) ?? ''));
        if (!sample) continue;
        const ext = /\.([cm]?[jt]s)$/.exec(sample)![1];
        homes.push({ tool, dir: d.dir, files: names.map((n) => joinPath(d.dir, n)), evidence: spec.evidence, facts: { ext, sample: joinPath(d.dir, sample) } });
      }
      return homes;
    },
    writeIndex(home, plan, view): IndexMigration | undefined {
      const names = home.files.map((f) => f.slice(f.lastIndexOf('/') + 1));
      const fn = spec.fileName(names, `add_${plan.name}`, view.now);
      if (!fn) return undefined;
      const sample = view.text(home.facts.sample) ?? '';
      const ext = home.facts.ext;
      const file: ScriptFile = { style: /^c/.test(ext) ? 'cjs' : /^m/.test(ext) ? 'esm' : moduleStyle(sample), ts: ext.endsWith('ts'), prefix: fn.prefix, base: fn.base, sample };
      const r = spec.render(plan, file, view, home);
      if (!r) return undefined;
      const path = freePath(joinPath(home.dir, `${fn.base}.${ext}`), view.exists);
      return {
        edits: [{ file: path, range: { start: 0, end: 0 }, newText: r.text }],
        title: `Create ${spec.displayName} migration ${path} with CREATE INDEX ${r.concurrently ? 'CONCURRENTLY ' : ''}${plan.name} (${r.how})`,
        concurrently: r.concurrently,
      };
    },
  };
  return tool;
}

/** `name` after the last of `names` by plain string order, for tools that sort names as strings. */
export function sortedAfter(names: readonly string[], slug: string, now?: Date, sep = '_'): { prefix: string; base: string } | undefined {
  const prefix = nextPrefix(names, now);
  if (!prefix) return undefined;
  // The separator after the version the folder uses (`00032-cleanup…` → `-`).
  const seps = names.map((n) => /^\d+([_.-])[A-Za-z]/.exec(n)?.[1]).filter((x): x is string => !!x);
  const used = seps.length * 2 > names.length ? seps.sort((a, b) => seps.filter((x) => x === b).length - seps.filter((x) => x === a).length)[0] : undefined;
  const joiner = /[_.-]$/.test(prefix) ? '' : (used ?? sep);
  return { prefix, base: `${prefix}${joiner}${slug}` };
}
