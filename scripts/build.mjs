// Bundles the CLI, the language server, the engine API and the VS Code extension with esbuild
// (shared options: scripts/esbuild-options.cjs). libpg-query (WebAssembly beside its JS) and
// typescript stay external: they are runtime dependencies, loaded from node_modules (the .vsix
// ships them too).
//
// `--declarations` (prepack) also writes the engine API's type declarations to
// dist/types/ (tsconfig.types.json), which package.json "types"/"exports" name.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const common = { ...require('./esbuild-options.cjs'), absWorkingDir: root };

await Promise.all([
  build({ ...common, entryPoints: ['cli/main.ts'], outfile: 'dist/cli.js' }),
  // The CLI's worker threads (--concurrency), loaded from beside dist/cli.js.
  build({ ...common, entryPoints: ['cli/lint-worker.ts'], outfile: 'dist/lint-worker.js' }),
  build({ ...common, entryPoints: ['server/main.ts'], outfile: 'dist/server.js' }),
  // The server's analysis worker (worker_threads), loaded from beside dist/server.js.
  build({ ...common, entryPoints: ['server/analysis-worker.ts'], outfile: 'dist/analysis-worker.js' }),
  // The engine API (package.json "main"/"exports"): Project, rules, config parsing, plain data in and out.
  build({ ...common, entryPoints: ['engine/index.ts'], outfile: 'dist/engine.js' }),
  // The VS Code extension: `vscode` is provided by the editor; vscode-languageclient is bundled in.
  build({ ...common, entryPoints: ['client/extension.ts'], outfile: 'dist/extension.js' }),
]);

if (process.argv.includes('--declarations')) {
  rmSync(join(root, 'dist', 'types'), { recursive: true, force: true });
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.types.json')], { cwd: root, stdio: 'inherit' });
}
