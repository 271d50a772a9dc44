#!/usr/bin/env node
'use strict';
// The published entry: the esbuild bundle in dist/ (built by `npm run build`, which `npm ci` runs through `prepare`).
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
