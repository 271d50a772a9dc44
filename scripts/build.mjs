// Bundles the CLI, the language server and the VS Code extension with esbuild.
// libpg-query (WebAssembly beside its JS) and typescript stay external: they are
// runtime dependencies, loaded from node_modules (the .vsix ships them too).
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['libpg-query', 'typescript', 'vscode'],
  logLevel: 'warning',
};

await Promise.all([
  build({ ...common, entryPoints: ['cli/main.ts'], outfile: 'dist/cli.js' }),
  build({ ...common, entryPoints: ['server/main.ts'], outfile: 'dist/server.js' }),
  // The VS Code extension: `vscode` is provided by the editor; vscode-languageclient is bundled in.
  build({ ...common, entryPoints: ['client/extension.ts'], outfile: 'dist/extension.js' }),
]);
