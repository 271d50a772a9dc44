// The published package as a user gets it: `npm pack`, install the tarball into
// an empty project in the temp directory, then run what the README promises:
// `npx querylens --version`, `npx querylens lint` on a small project, and
// `npx querylens lsp --stdio` through initialize → didOpen → diagnostics; the
// engine API is required from JavaScript and type-checked from TypeScript.
// Ends with "N passed, N failed"; exits 1 on any failure.
//
//   npm run test:pack     (needs the npm registry, or a warm npm cache, for the dependencies)
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const MAX_TARBALL_BYTES = 3 * 1024 * 1024;
const tmp = mkdtempSync(join(tmpdir(), 'querylens-pack-'));
const results = [];

async function check(name, fn) {
  try {
    const detail = await fn();
    results.push(true);
    console.log(`  ✔ ${name}${detail ? `: ${detail}` : ''}`);
  } catch (e) {
    results.push(false);
    console.log(`  ✘ ${name}\n      ${String(e?.message ?? e).split('\n').slice(0, 12).join('\n      ')}`);
  }
}

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/** Runs a command that may exit non-zero; returns its status and output. */
function run(cmd, args, cwd) {
  try {
    return { code: 0, stdout: sh(cmd, args, { cwd }), stderr: '' };
  } catch (e) {
    if (typeof e.status !== 'number') throw e;
    return { code: e.status, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? '') };
  }
}

console.log(`pack: querylens ${version}, working in ${tmp}`);
let tarball;
const app = join(tmp, 'app');
try {
  await check('npm pack builds dist/ (prepack) and makes a tarball', () => {
    const out = sh('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT });
    // prepack's own output may precede the JSON.
    const info = JSON.parse(out.slice(out.indexOf('[')))[0];
    tarball = join(tmp, info.filename);
    return `${info.filename}, ${info.entryCount} files`;
  });

  await check('the tarball holds the runtime files only, under 3 MB', () => {
    const size = statSync(tarball).size;
    const files = sh('tar', ['-tzf', tarball]).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    const problems = [];
    if (size >= MAX_TARBALL_BYTES) problems.push(`${size} bytes`);
    for (const need of ['LICENSE', 'README.md', 'package.json', 'bin/querylens.js', 'dist/cli.js', 'dist/server.js', 'dist/engine.js', 'dist/types/engine/index.d.ts', 'querylens.schema.json', 'docs/rules/n-plus-one.md']) {
      if (!files.includes(need)) problems.push(`missing ${need}`);
    }
    const unwanted = files.filter((f) => /^(fixtures|test|examples|scripts|engine|rules|cli|server|client)\//.test(f) || /\.map$/.test(f) || f === 'dist/extension.js' || f.startsWith('dist/vsix/'));
    if (unwanted.length) problems.push(`unwanted: ${unwanted.slice(0, 10).join(', ')}${unwanted.length > 10 ? ` … (${unwanted.length})` : ''}`);
    if (problems.length) throw new Error(problems.join('; '));
    return `${files.length} files, ${(size / 1024).toFixed(0)} KB`;
  });

  await check('installs into an empty project', () => {
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'querylens-pack-app', version: '1.0.0', private: true }, null, 2));
    sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app });
    return sh('npm', ['ls', 'querylens', '--depth=0'], { cwd: app }).split('\n').find((l) => l.includes('querylens@'))?.trim();
  });

  // A small project: a migration and a loop that queries per element.
  mkdirSync(join(app, 'migrations'), { recursive: true });
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(join(app, 'migrations', '001_init.sql'), 'CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL);\n');
  const source = [
    "import { Pool } from 'pg';",
    'const pool = new Pool();',
    'export async function names(ids: number[]) {',
    '  const out: string[] = [];',
    '  for (const id of ids) {',
    "    const r = await pool.query('SELECT name FROM users WHERE id = $1', [id]);",
    '    out.push(r.rows[0].name);',
    '  }',
    '  return out;',
    '}',
    '',
  ].join('\n');
  writeFileSync(join(app, 'src', 'users.ts'), source);

  await check('npx querylens --version', () => {
    const out = sh('npx', ['--no-install', 'querylens', '--version'], { cwd: app }).trim();
    if (out !== version) throw new Error(`printed "${out}", expected ${version}`);
    return out;
  });

  await check('npx querylens lint finds the N+1 (exit 1)', () => {
    const r = run('npx', ['--no-install', 'querylens', 'lint', '--format', 'json'], app);
    if (r.code !== 1) throw new Error(`exit ${r.code}\n${r.stderr}${r.stdout.slice(0, 2000)}`);
    const doc = JSON.parse(r.stdout);
    const hit = doc.findings.find((f) => f.ruleId === 'n-plus-one' && f.file === 'src/users.ts' && f.line === 6);
    if (!hit) throw new Error(`no n-plus-one at src/users.ts:6 in ${JSON.stringify(doc.findings.map((f) => `${f.file}:${f.line} ${f.ruleId}`))}`);
    return `${doc.summary.files} files, ${doc.findings.length} finding(s): ${hit.message.slice(0, 70)}…`;
  });

  await check('npx querylens lsp --stdio: initialize, didOpen → diagnostics, shutdown', () => lspRoundTrip(app, source));

  await check('the engine API loads with require("querylens")', () => {
    const out = sh(process.execPath, ['-e', "const q = require('querylens'); console.log(typeof q.Project, q.ruleIds().join(','))"], { cwd: app }).trim();
    if (!out.startsWith('function ') || !out.includes('n-plus-one')) throw new Error(out);
    return out;
  });

  await check('the engine API type-checks from TypeScript (package.json types/exports)', () => {
    writeFileSync(
      join(app, 'use.ts'),
      [
        "import { Project, defaultConfig, type Finding } from 'querylens';",
        'const p = new Project(defaultConfig(), { readFile: () => undefined });',
        "p.setFile('a.sql', 'SELECT * FROM t;');",
        "const findings: Finding[] = p.analyze('a.sql').findings;",
        'export const n: number = findings.length;',
        '',
      ].join('\n'),
    );
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['use.ts'] }));
    // typescript is a dependency of querylens, so the app has it.
    const r = run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
    return 'tsc --noEmit: no errors';
  });
} finally {
  if (!process.env.QUERYLENS_PACK_KEEP) rmSync(tmp, { recursive: true, force: true });
}

const passed = results.filter(Boolean).length;
console.log(`\npack: ${passed} passed, ${results.length - passed} failed`);
process.exit(passed === results.length ? 0 : 1);

/** Speaks LSP over the installed bin's stdio: Content-Length framed JSON-RPC. */
function lspRoundTrip(cwd, text) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npx', ['--no-install', 'querylens', 'lsp', '--stdio'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const uri = pathToFileURL(join(cwd, 'src', 'users.ts')).href;
    let buf = Buffer.alloc(0);
    let stderr = '';
    let initialized;
    const timer = setTimeout(() => finish(new Error(`no diagnostics within 60 s; stderr: ${stderr.slice(0, 800)}`)), 60_000);
    const send = (msg) => {
      const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...msg }));
      child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
      child.stdin.write(body);
    };
    function finish(err, detail) {
      clearTimeout(timer);
      if (err) {
        child.kill();
        reject(err);
        return;
      }
      send({ id: 2, method: 'shutdown' });
      setTimeout(() => send({ method: 'exit' }), 100);
      child.once('exit', () => resolvePromise(detail));
      setTimeout(() => child.kill(), 5_000).unref();
    }
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => finish(e));
    child.stdout.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const head = buf.indexOf('\r\n\r\n');
        if (head < 0) return;
        const len = Number(/Content-Length: (\d+)/i.exec(buf.subarray(0, head).toString())?.[1]);
        if (buf.length < head + 4 + len) return;
        const msg = JSON.parse(buf.subarray(head + 4, head + 4 + len).toString());
        buf = buf.subarray(head + 4 + len);
        if (msg.id === 1) {
          if (msg.result?.serverInfo?.name !== 'querylens') return finish(new Error(`initialize answered ${JSON.stringify(msg)}`));
          initialized = msg.result;
          send({ method: 'initialized', params: {} });
          send({ method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'typescript', version: 1, text } } });
        } else if (msg.method === 'textDocument/publishDiagnostics' && msg.params.uri === uri) {
          const d = msg.params.diagnostics.find((x) => x.code === 'n-plus-one');
          if (!d) return finish(new Error(`diagnostics without the N+1: ${JSON.stringify(msg.params.diagnostics)}`));
          finish(undefined, `serverInfo ${initialized.serverInfo.name} ${initialized.serverInfo.version}; n-plus-one at line ${d.range.start.line + 1}`);
        }
      }
    });
    send({ id: 1, method: 'initialize', params: { processId: process.pid, rootUri: pathToFileURL(cwd).href, capabilities: {}, workspaceFolders: [{ uri: pathToFileURL(cwd).href, name: 'app' }] } });
  });
}
