/**
 * What proves a fix: the libraries' own types and migration runners, installed in test/fix-proof
 * (`npm ci --ignore-scripts` there; .ci/run does it). Each project is written to
 * test/fix-proof/work/<name>/, so its imports resolve to test/fix-proof/node_modules.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from 'pg';

export const PROOF_ROOT = path.join(__dirname, '..', 'fix-proof');
export const proofRequire = createRequire(path.join(PROOF_ROOT, 'package.json'));

/** Whether the proof packages are installed; the suite fails with this message when not. */
export function proofInstalled(): string | undefined {
  for (const p of ['typescript', 'knex', 'kysely', 'typeorm', 'sequelize', 'node-pg-migrate', 'drizzle-kit', 'drizzle-orm', 'prisma', '@prisma/client', 'pg']) {
    if (!fs.existsSync(path.join(PROOF_ROOT, 'node_modules', p, 'package.json'))) return `${p} is not installed in test/fix-proof: run (cd test/fix-proof && npm ci --ignore-scripts)`;
  }
  return undefined;
}

/** An ESM-only package of the proof project (its `import` entry, read from package.json). */
export async function importProof<T>(pkg: string): Promise<T> {
  const dir = path.join(PROOF_ROOT, 'node_modules', pkg);
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { exports?: unknown; module?: string; main?: string };
  const pick = (e: unknown): string | undefined => (typeof e === 'string' ? e : e && typeof e === 'object' ? pick((e as Record<string, unknown>)['.'] ?? (e as Record<string, unknown>).import ?? (e as Record<string, unknown>).default) : undefined);
  const entry = pick(meta.exports) ?? meta.module ?? meta.main ?? 'index.js';
  return (await import(pathToFileURL(path.join(dir, entry)).href)) as T;
}

/** A fresh folder for one project, with its files. */
export function writeProject(name: string, files: Record<string, string>): string {
  const dir = path.join(PROOF_ROOT, 'work', name.replace(/[^a-z0-9-]+/gi, '-'));
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/** Every file of a folder (project-relative), text. */
export function readProject(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'generated') walk(p);
      } else out[path.relative(dir, p).split(path.sep).join('/')] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** `tsc --noEmit` (strict) over the given files with the libraries' real types; the diagnostics, or ''. */
export function typeCheck(dir: string, files: string[]): string {
  if (!files.length) return '';
  const tsc = proofRequire.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--esModuleInterop', '--experimentalDecorators', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', ...files], { cwd: dir, encoding: 'utf8' });
  return r.status === 0 ? '' : `${r.stdout}${r.stderr}`;
}

/** `prisma generate` without network: Prisma 7 only asks for the schema engine's path, which generate never runs. */
export function prismaGenerate(dir: string, schema?: string): string {
  const cli = proofRequire.resolve('prisma/build/index.js');
  const r = spawnSync(process.execPath, [cli, 'generate', ...(schema ? ['--schema', schema] : [])], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
  });
  return r.status === 0 ? '' : `${r.stdout}${r.stderr}`;
}

/** `drizzle-kit generate` in the project (its drizzle.config.ts). */
export function drizzleGenerate(dir: string, name: string): void {
  const cli = path.join(PROOF_ROOT, 'node_modules', 'drizzle-kit', 'bin.cjs');
  execFileSync(process.execPath, [cli, 'generate', '--name', name], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
}

/** The schema of a database as `pg_dump --schema-only` writes it. */
export function schemaDump(bin: string, conn: { host: string; port: number; user: string; database: string }): string {
  return execFileSync(path.join(bin, 'pg_dump'), ['--schema-only', '--no-owner', '-h', conn.host, '-p', String(conn.port), '-U', conn.user, conn.database], { encoding: 'utf8' });
}

export async function indexExists(c: Client, name: string): Promise<boolean> {
  const r = await c.query('SELECT 1 FROM pg_indexes WHERE indexname = $1', [name]);
  return r.rowCount === 1;
}

type Tsc = typeof import('typescript');

/**
 * An in-process `tsc --noEmit --strict` with the proof project's TypeScript: the libraries' declaration files
 * are parsed once and shared by every check (a fixture has a dozen fixes; a tsc process each would parse
 * Prisma's and TypeORM's types a dozen times). Returns the diagnostics of the given files, formatted; `extra`
 * options (a fixture's own `baseUrl`/`paths`) are laid over the fixed ones.
 */
export function inProcessTypeChecker(): (dir: string, files: Record<string, string>, extra?: import('typescript').CompilerOptions) => string[] {
  const tsc = proofRequire('typescript') as Tsc;
  const options: import('typescript').CompilerOptions = {
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    esModuleInterop: true,
    experimentalDecorators: true,
    module: tsc.ModuleKind.NodeNext,
    moduleResolution: tsc.ModuleResolutionKind.NodeNext,
    target: tsc.ScriptTarget.ES2022,
    types: ['node'],
  };
  const shared = new Map<string, import('typescript').SourceFile>();
  return (dir, files, extra) => {
    const opts = extra ? { ...options, ...extra } : options;
    const host = tsc.createCompilerHost(opts);
    const own = new Map(Object.entries(files).map(([rel, text]) => [path.join(dir, rel), text]));
    const baseGet = host.getSourceFile.bind(host);
    host.getCurrentDirectory = () => dir;
    host.fileExists = (f) => own.has(f) || fs.existsSync(f);
    host.readFile = (f) => own.get(f) ?? (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined);
    host.getSourceFile = (f, lang, onError) => {
      const text = own.get(f);
      if (text !== undefined) return tsc.createSourceFile(f, text, lang);
      // Generated Prisma client types change with the schema: never shared.
      const cacheable = !f.includes(`${path.sep}.prisma${path.sep}`) && !f.startsWith(path.join(PROOF_ROOT, 'work'));
      const hit = cacheable ? shared.get(f) : undefined;
      if (hit) return hit;
      const sf = baseGet(f, lang, onError);
      if (sf && cacheable) shared.set(f, sf);
      return sf;
    };
    const roots = [...own.keys()].filter((f) => /\.tsx?$/.test(f));
    const program = tsc.createProgram(roots, opts, host);
    const diags = tsc.getPreEmitDiagnostics(program).filter((d) => !d.file || own.has(d.file.fileName));
    return diags.map((d) => {
      const where = d.file && d.start !== undefined ? `${path.relative(dir, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
      return `${where}TS${d.code} ${tsc.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
  };
}

/**
 * The `baseUrl` and `paths` a fixture's tsconfig.json gives (through `extends` too), moved from the fixture folder
 * `caseDir` to where its files are written, `workDir`: imports such as `app/db/home` then resolve as in the project.
 */
export function fixtureModulePaths(caseDir: string, workDir: string): import('typescript').CompilerOptions | undefined {
  const tsc = proofRequire('typescript') as Tsc;
  const all = walkFiles(caseDir);
  // Workspace packages of the fixture (a package.json with a name and an entry below the fixture's root), linked as a
  // package manager links them: the name resolves to that entry.
  const links: Record<string, string[]> = {};
  for (const rel of all.filter((f) => path.basename(f) === 'package.json' && path.dirname(f) !== '.')) {
    try {
      const pj = JSON.parse(fs.readFileSync(path.join(caseDir, rel), 'utf8')) as { name?: unknown; main?: unknown };
      if (typeof pj.name === 'string' && typeof pj.main === 'string') links[pj.name] = [path.join(workDir, path.dirname(rel), pj.main)];
    } catch {
      // Not JSON: not a package.
    }
  }
  const linked = Object.keys(links).length ? { paths: links, pathsBasePath: workDir } : undefined;
  const configs = all.filter((f) => path.basename(f) === 'tsconfig.json');
  for (const rel of configs) {
    const file = path.join(caseDir, rel);
    const read = tsc.readConfigFile(file, (f) => fs.readFileSync(f, 'utf8'));
    if (read.error) continue;
    const parsed = tsc.parseJsonConfigFileContent(read.config, tsc.sys, path.dirname(file));
    const { baseUrl, paths } = parsed.options;
    if (!baseUrl && !paths) continue;
    const moved = (abs: string): string => path.join(workDir, path.relative(caseDir, abs));
    return { ...(baseUrl ? { baseUrl: moved(baseUrl) } : {}), ...(paths ? { paths, ...(baseUrl ? {} : { pathsBasePath: moved(path.dirname(file)) }) } : {}) };
  }
  return linked;
}

function walkFiles(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walkFiles(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]));
}
