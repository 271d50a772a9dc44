// Packages the VS Code extension: `npm run package` → querylens-<version>.vsix at the repo root.
//
// The root package.json is the CLI's package (with dev dependencies), so the
// extension manifest lives in client/package.json and the .vsix is built from
// a staging folder, dist/vsix/:
//   package.json, README.md, LICENSE, querylens.schema.json (when present)
//   dist/extension.js   client/extension.ts bundled with vscode-languageclient
//   dist/server.js      server/main.ts bundled; its two external runtime
//   dist/node_modules/  dependencies (libpg-query with its wasm/ folder and its
//                       own dependencies, typescript's lib/typescript.js only:
//                       the engine parses syntax, it builds no Program and so
//                       needs no lib.*.d.ts). dist/server.js finds them by
//                       ordinary Node resolution.
// vsce runs with --no-dependencies: nothing from the root node_modules goes in
// unless copied above (vsce also skips a top-level node_modules/ in that mode,
// hence dist/node_modules/).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const stage = join(root, 'dist', 'vsix');
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(join(root, 'client', 'package.json'), 'utf8'));

// Server externals that must ship beside dist/server.js, and per-package file filters.
const RUNTIME_DEPENDENCIES = ['libpg-query', 'typescript'];
const FILTERS = {
  typescript: (rel) => rel === '' || rel === 'package.json' || rel === 'LICENSE.txt' || rel === 'lib' || rel === 'lib/typescript.js',
};

// --no-build: the bundles are current (the .vsix test after `npm test` built them).
if (!process.argv.includes('--no-build')) execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });

rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'dist'), { recursive: true });

for (const file of ['extension.js', 'server.js', 'analysis-worker.js']) {
  const from = join(root, 'dist', file);
  if (!existsSync(from)) throw new Error(`package: ${relative(root, from)} is missing after the build`);
  cpSync(from, join(stage, 'dist', file));
}

const copied = new Set();
function copyPackage(name, fromDir) {
  if (copied.has(name)) return;
  copied.add(name);
  const src = resolvePackageDir(name, fromDir);
  const dest = join(stage, 'dist', 'node_modules', name);
  const filter = FILTERS[name];
  cpSync(src, dest, {
    recursive: true,
    filter: (p) => {
      const rel = relative(src, p).split('\\').join('/');
      if (rel.split('/').includes('node_modules')) return false;
      return filter ? filter(rel) : true;
    },
  });
  const pkg = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies ?? {})) copyPackage(dep, src);
}
function resolvePackageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`package: runtime dependency ${name} is not installed (run npm install at the root)`);
  }
}
for (const dep of RUNTIME_DEPENDENCIES) copyPackage(dep, root);

manifest.version = rootPkg.version;
for (const [file, target] of [
  ['client/README.md', 'README.md'],
  ['LICENSE', 'LICENSE'],
  ['client/LICENSE', 'LICENSE'],
  ['querylens.schema.json', 'querylens.schema.json'],
]) {
  if (existsSync(join(root, file)) && !existsSync(join(stage, target))) cpSync(join(root, file), join(stage, target));
}
if (!existsSync(join(stage, 'querylens.schema.json'))) {
  // The config schema is published by the config work; without it, VS Code would report a missing file.
  console.warn('package: querylens.schema.json not found; the .vsix will not validate querylens.config.json');
  delete manifest.contributes.jsonValidation;
}
writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

const out = join(root, `${manifest.name}-${manifest.version}.vsix`);
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--out', out], {
  cwd: stage,
  stdio: 'inherit',
});
console.log(`package: ${relative(root, out)} (${(statSync(out).size / 1024 / 1024).toFixed(2)} MiB)`);
