// One timed run of a tool, in its own process.
//   node bench-child.cjs querylens <corpus> <listFile> [querylens lint options...]   (listFile: the paths to lint, as a user names them)
//   node bench-child.cjs eslint <corpus> <listFile>                                 (listFile: the files)
// Prints one JSON line: { ms, cpuMs, maxRssMb, files, findings, digest, fromCache, threads }; files: how many the
// tool linted (querylens: its summary; ESLint: the results it did not ignore). ms counts
// from process start (performance.now()), so module loading is included for both tools; cpuMs is
// the process's user + system time (every thread); maxRssMb its peak resident memory (every thread).
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

async function main() {
  const [tool, corpus, listFile, ...extra] = process.argv.slice(2);
  const files = fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
  let findings = 0;
  let digest = '';
  let fromCache = 0;
  let threads = 1;
  let linted = 0;
  if (tool === 'querylens') {
    const { main: cli } = require(path.join(__dirname, '..', 'dist', 'cli.js'));
    const out = path.join(os.tmpdir(), `ql-bench-${process.pid}.json`);
    const io = {
      cwd: corpus,
      env: process.env,
      stdout: process.stdout,
      stderr: process.stderr,
      onPass: (p) => {
        fromCache = p.fromCache;
        threads = p.threads;
      },
    };
    const code = await cli(['lint', '--format', 'json', '--output', out, ...extra, ...files], io);
    if (code === 2) throw new Error('querylens exited 2');
    const json = JSON.parse(fs.readFileSync(out, 'utf8'));
    findings = (json.findings || []).length;
    linted = json.summary.files;
    // What was found, whatever the run: cold and warm, one thread or several must agree.
    digest = crypto.createHash('sha1').update(JSON.stringify([json.findings, json.problems])).digest('hex').slice(0, 12);
    fs.rmSync(out, { force: true });
  } else {
    const { ESLint } = require('eslint');
    const eslint = new ESLint({
      cwd: corpus,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'],
          languageOptions: { parser: require('@typescript-eslint/parser') },
          rules: { 'no-await-in-loop': 'warn' },
        },
      ],
    });
    const results = await eslint.lintFiles(files);
    for (const r of results) findings += r.messages.filter((m) => m.ruleId === 'no-await-in-loop').length;
    // A file no configuration matches comes back with one warning and was not linted.
    linted = results.filter((r) => !r.messages.some((m) => m.ruleId == null && /^File ignored/.test(m.message))).length;
  }
  const ms = performance.now();
  const cpu = process.cpuUsage();
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMb, files: linted, findings, digest, fromCache, threads })}\n`);
}

main().then(
  // Worker threads end with the process.
  () => process.exit(0),
  (e) => {
    process.stderr.write(String(e && e.stack ? e.stack : e));
    process.exit(1);
  },
);
