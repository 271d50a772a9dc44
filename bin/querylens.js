#!/usr/bin/env node
'use strict';
// The published entry: the esbuild bundle in dist/ (built by `npm run build`; `npm ci` runs it through
// `prepare`, `npm pack`/`npm publish` through `prepack`, so the tarball carries it).
const { main } = require('../dist/cli.js');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`querylens: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 2;
  },
);
