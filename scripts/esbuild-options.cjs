// The esbuild options every querylens bundle shares: scripts/build.mjs and the
// protocol tests' quick rebuild (test/protocol/client.ts) both use them.
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

/**
 * A hash of the analysis sources (engine/, rules/, cli/), inlined as QUERYLENS_BUILD_ID: a lint
 * cache written by another build is not trusted (cli/cache.ts), and the CLI and the server built
 * together agree on it.
 */
function buildId() {
  const root = path.join(__dirname, '..');
  const hash = createHash('sha1');
  const walk = (dir) => {
    for (const ent of fs.readdirSync(path.join(root, dir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = `${dir}/${ent.name}`;
      if (ent.isDirectory()) walk(rel);
      else if (rel.endsWith('.ts')) hash.update(rel).update('\0').update(fs.readFileSync(path.join(root, rel))).update('\0');
    }
  };
  for (const d of ['engine', 'rules', 'cli']) walk(d);
  return hash.digest('hex').slice(0, 16);
}

module.exports = {
  define: { QUERYLENS_BUILD_ID: JSON.stringify(buildId()) },
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
