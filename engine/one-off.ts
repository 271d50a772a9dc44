/**
 * One-off code: files whose statements run once, by hand or on a developer's
 * database, not per request. The per-execution rules (unindexed-predicate,
 * over-fetching, cartesian-join) price a statement paid on every call; for
 * a script run once over the whole table "add an index" or "select fewer
 * columns" costs more than it saves. Found on real repositories: upgrade
 * scripts (47 of 59 over-fetching findings on one project), a dev script
 * run from package.json, data migrations, backfills and seeds.
 *
 * Detected by folder and file name, and by how `package.json` runs a file:
 * an entry file that only non-application scripts run (`"db:seed": "tsx
 * src/dev/seed.ts"`, `"migration:run": "tsx src/scripts/migrate.ts"`) is
 * one-off; one that `start`/`dev`/`serve`… also run is application code.
 * A module that exports nothing, defines no function and awaits at its top level is a hand-run
 * script too (isTopLevelScript), unless an application script runs it.
 * Configurable with `oneOff.include` / `oneOff.exclude` globs (exclude wins).
 */
import picomatch from 'picomatch';
import type { QuerylensConfig } from './config';

/**
 * A directory segment naming one-off code: migrations, data migrations, seeds, backfills, hand-run and temporary scripts, upgrades;
 * also as a hidden folder (logto's `.scripts/`).
 */
const ONE_OFF_DIR =
  /(^|\/)\.?(migrations?|(?:data|manual)[-_]?migrations?|(?:[a-z0-9]+[-_])+migrations|seeds?|seeders?|seeding|backfills?|scripts?|dev[-_]?scripts?|one[-_]?offs?|temp|tmp|upgrades?|upgrade[-_]scripts?|alterations?)\//i;
/**
 * A file named as a seed, backfill, migration, upgrade or alteration script (`seed.ts`, `seed-users.ts`,
 * `backfill-attribute-values.ts`, `migrate-data.sql`, `upgrade-v2.ts`, `alter-tables.sql`), also behind a
 * numeric or date prefix (outline's `scripts/20210716000000-backfill-revisions.ts`) or as a suffix (`v3-upgrade.ts`).
 */
const ONE_OFF_FILE = /(^|\/)((\d+[-_])?(seed|seeds|backfill|migrate|upgrade|alter|alteration)([-_.][^/]*)?|[^/]*[-_.](upgrade|backfill|seed))\.([cm]?[jt]sx?|sql)$/i;

/** The same names in camelCase (OpenPipe's `prisma/seedUsageLog.ts`, `seedDashboard.ts`): case-sensitive, so `seeder.ts` or `seedling.ts` is not one. */
const ONE_OFF_CAMEL_FILE = /(^|\/)(seed|backfill)[A-Z][A-Za-z0-9]*\.[cm]?[jt]sx?$/;

/** Whether the path names one-off code by its folders or file name. */
export function isOneOffPath(path: string): boolean {
  return ONE_OFF_DIR.test(path) || ONE_OFF_FILE.test(path) || ONE_OFF_CAMEL_FILE.test(path);
}

/**
 * Whether a module's text is a script run for its effect: it exports nothing (no importer can call into
 * it), awaits at its top level (a statement at column 0 of an ES module, where `await` is only legal at
 * module scope), and defines no function or callback (so no query in it can be a request handler that
 * its top-level code registers). OpenPipe's `prisma/deleteOneFineTune.ts`: `const row = await
 * prisma.fineTune.findFirst(...)` then a delete, nothing exported, nothing else.
 */
export function isTopLevelScript(text: string): boolean {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/[^\n]*/g, '$1');
  if (/(^|\n)\s*export\b|\bmodule\.exports\b|(^|\n)\s*exports\./.test(code)) return false;
  if (!/(^|\n)(?:(?:const|let|var)\s+[^=\n]+=\s*)?await\s/.test(code)) return false;
  return !/=>|\bfunction\b|\b(?:async\s+)?[A-Za-z_$][\w$]*\s*\([^)]*\)\s*\{/.test(code.replace(/\b(?:if|for|while|switch|catch|with)\s*\(/g, ''));
}

/** package.json scripts that run the application (an entry they run is application code). */
const APP_SCRIPT = /^(start|serve|server|dev|develop|prod|production|preview|watch|worker|workers|web|api|app|main|run)(:(web|api|app|server|worker|workers|prod|production|dev|local|backend|frontend|watch|debug|code))*$/i;
/** Commands that run a source file (rather than build or test it). */
const RUNNERS = new Set(['node', 'tsx', 'ts-node', 'ts-node-esm', 'ts-node-dev', 'vite-node', 'bun', 'deno', 'esno', 'esrun', 'babel-node', 'nodemon', 'jiti', 'sucrase-node', 'swc-node']);
const ENTRY = /\.(?:[cm]?[jt]sx?)$/;

/** Project-relative entry files each package.json script runs, with whether the script runs the application. */
function scriptEntries(pkgDir: string, pkgText: string): { file: string; app: boolean }[] {
  let scripts: Record<string, unknown> = {};
  try {
    scripts = (JSON.parse(pkgText) as { scripts?: Record<string, unknown> }).scripts ?? {};
  } catch {
    return [];
  }
  const out: { file: string; app: boolean }[] = [];
  for (const [name, cmd] of Object.entries(scripts)) {
    if (typeof cmd !== 'string') continue;
    const app = APP_SCRIPT.test(name);
    // Each `&&`/`;`/`|` part of the command: a runner, its options, then the file it runs.
    for (const part of cmd.split(/&&|\|\||;|\|/)) {
      const words = part.trim().split(/\s+/).filter((w) => !/^[A-Z_][A-Z0-9_]*=/.test(w));
      const at = words.findIndex((w) => RUNNERS.has(w.replace(/^.*\//, '')));
      if (at < 0) continue;
      const file = words.slice(at + 1).find((w) => ENTRY.test(w) && !w.startsWith('-'));
      if (!file) continue;
      for (const f of sourceCandidates(joinPath(pkgDir, file))) out.push({ file: f, app });
    }
  }
  return out;
}

/** `./dist/server.js` also stands for `src/server.ts` (what was compiled into it). */
function sourceCandidates(p: string): string[] {
  const out = [p];
  const m = /^(.*?)(?:^|\/)(dist|build|lib|out)\/(.*)\.[cm]?js$/.exec(p);
  if (m) {
    const base = m[1] ? `${m[1]}/` : '';
    for (const ext of ['ts', 'tsx', 'mts', 'js']) out.push(`${base}src/${m[3]}.${ext}`, `${base}${m[3]}.${ext}`);
  } else if (/\.[cm]?js$/.test(p)) out.push(p.replace(/\.([cm]?)js$/, '.$1ts'));
  return out;
}

function joinPath(dir: string, rel: string): string {
  const parts = (dir ? `${dir}/${rel}` : rel).split('/');
  const out: string[] = [];
  for (const s of parts) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return out.join('/');
}

export interface OneOffFiles {
  /** The package.json files read (project-relative), for memo keys. */
  readonly packages: readonly string[];
  /** Entry files run only by scripts that do not run the application. */
  readonly scriptOnly: ReadonlySet<string>;
  /** Entry files a script that runs the application runs. */
  readonly appEntries: ReadonlySet<string>;
}

/**
 * Entry files that package.json scripts run and that no application script runs, from every
 * package.json above or beside the given paths (`text` reads a project file).
 */
export function packageScriptEntries(
  packageFiles: readonly string[],
  text: (path: string) => string | undefined,
  /** One package.json's entries (the project memoises them per file: every folder below shares its root's). */
  entriesOf: (pkg: string, text: string) => readonly { file: string; app: boolean }[] = (pkg, t) => packageEntries(pkg, t),
): OneOffFiles {
  const app = new Set<string>();
  const other = new Set<string>();
  for (const pkg of packageFiles) {
    const t = text(pkg);
    if (t === undefined) continue;
    for (const e of entriesOf(pkg, t)) (e.app ? app : other).add(e.file);
  }
  return { packages: packageFiles, scriptOnly: new Set([...other].filter((f) => !app.has(f))), appEntries: app };
}

/** The files one package.json's scripts run, each with whether a script that runs the application does. */
export function packageEntries(pkg: string, text: string): { file: string; app: boolean }[] {
  return scriptEntries(pkg.includes('/') ? pkg.slice(0, pkg.lastIndexOf('/')) : '', text);
}

/** The package.json files that may run `path`: one in each folder from the file's up to the project root. */
export function packageFilesFor(path: string): string[] {
  const out = ['package.json'];
  const parts = path.split('/').slice(0, -1);
  for (let i = 1; i <= parts.length; i++) out.push(`${parts.slice(0, i).join('/')}/package.json`);
  return out;
}

const matchers = new WeakMap<readonly string[], (p: string) => boolean>();
function matcher(globs: readonly string[]): (p: string) => boolean {
  let m = matchers.get(globs);
  if (!m) matchers.set(globs, (m = globs.length ? picomatch(globs as string[], { dot: true }) : () => false));
  return m;
}

/**
 * Why a file is one-off code, or undefined when it is application code: `oneOff.exclude` globs say
 * never, `oneOff.include` globs say always; otherwise its folders and name, or package.json scripts
 * that run it only outside the application.
 */
export function oneOffReason(path: string, config: QuerylensConfig, scriptOnly: ReadonlySet<string>, text?: string, appEntries?: ReadonlySet<string>): string | undefined {
  if (matcher(config.oneOff.exclude)(path)) return undefined;
  if (matcher(config.oneOff.include)(path)) return 'oneOff.include';
  if (ONE_OFF_DIR.test(path)) return `a ${ONE_OFF_DIR.exec(path)![2]}/ folder`;
  if (ONE_OFF_FILE.test(path) || ONE_OFF_CAMEL_FILE.test(path)) return 'a one-off script by its name';
  if (scriptOnly.has(path)) return 'run only by package.json scripts that do not run the application';
  if (text !== undefined && !appEntries?.has(path) && isTopLevelScript(text)) return 'a script: it exports nothing and runs its queries at its top level';
  return undefined;
}

/**
 * Test files by the usual conventions (n-plus-one's `isTestPath` is this function; the engine leaves them out of reach and usage scans).
 */
export function isTestFilePath(path: string): boolean {
  // Also end-to-end suites and test packages (`e2e/fixtures/api-seeds.ts`, `packages/app-tests/`, `integration_tests/`).
  return /(^|\/)(__tests__|__mocks__|tests?|spec|e2e|[\w.]+[-_](?:tests?|e2e))\//.test(path) || /\.(test|spec|e2e-spec)\.[cm]?[jt]sx?$/.test(path);
}
