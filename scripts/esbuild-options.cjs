// The esbuild options every querylens bundle shares: scripts/build.mjs and the
// protocol tests' quick rebuild (test/protocol/client.ts) both use them.
'use strict';
module.exports = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  // Runtime dependencies loaded from node_modules (libpg-query's WebAssembly sits beside its JS).
  external: ['libpg-query', 'typescript', 'vscode'],
  // jsonc-parser's "main" is a UMD build whose internal requires esbuild cannot follow; its ESM build bundles.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  logLevel: 'warning',
};
