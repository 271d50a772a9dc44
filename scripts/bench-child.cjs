// One timed run of a tool over a list of files, in its own process.
// Prints one JSON line: { ms, maxRssMb, files, findings }. ms counts from
// process start (performance.now()), so module loading is included for both.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

async function main() {
  const [tool, corpus, listFile] = process.argv.slice(2);
  const files = fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
  let findings = 0;
  if (tool === 'querylens') {
    const { main: cli } = require(path.join(__dirname, '..', 'dist', 'cli.js'));
    const out = path.join(os.tmpdir(), `ql-bench-${process.pid}.json`);
    process.chdir(corpus);
    const code = await cli(['lint', '--format', 'json', '--output', out, ...files.map((f) => path.relative(corpus, f))]);
    if (code === 2) throw new Error('querylens exited 2');
    const json = JSON.parse(fs.readFileSync(out, 'utf8'));
    findings = (json.findings || []).length;
    fs.rmSync(out, { force: true });
  } else {
    const { ESLint } = require('eslint');
    const eslint = new ESLint({
      cwd: corpus,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts'],
          languageOptions: { parser: require('@typescript-eslint/parser') },
          rules: { 'no-await-in-loop': 'warn' },
        },
      ],
    });
    const results = await eslint.lintFiles(files);
    for (const r of results) findings += r.messages.filter((m) => m.ruleId === 'no-await-in-loop').length;
  }
  const ms = performance.now();
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ ms, maxRssMb, files: files.length, findings })}\n`);
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
