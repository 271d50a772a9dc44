/**
 * The esbuild bundles that spawned tests run (bin/querylens.js → dist/cli.js →
 * dist/server.js …). `npm test` builds them before mocha starts, so the tests
 * rebuild only when a source is newer than a bundle (mocha run by hand after
 * an edit), instead of every suite rebuilding on its own.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.join(__dirname, '..');
const SOURCE_DIRS = ['cli', 'client', 'engine', 'rules', 'server'];

function newestSource(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  for (const d of SOURCE_DIRS) if (fs.existsSync(path.join(REPO, d))) walk(path.join(REPO, d));
  for (const f of ['scripts/build.mjs', 'scripts/esbuild-options.cjs', 'package.json']) newest = Math.max(newest, fs.statSync(path.join(REPO, f)).mtimeMs);
  return newest;
}

/** The bundles spawned tests need, and whether each is at least as new as every source. */
export function bundlesFresh(): boolean {
  const newest = newestSource();
  return ['dist/cli.js', 'dist/lint-worker.js', 'dist/server.js', 'dist/extension.js'].every((b) => {
    const st = fs.statSync(path.join(REPO, b), { throwIfNoEntry: false });
    return !!st && st.mtimeMs >= newest;
  });
}

export function ensureBundles(): void {
  if (!bundlesFresh()) execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'pipe' });
}
