/**
 * The packaged extension: `npm run package` builds querylens-<version>.vsix
 * from a staging folder. This checks what a user would install: the manifest,
 * both bundles, the server's runtime dependencies (and that they load from
 * where dist/server.js looks), and no development dependency.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundlesFresh } from '../bundles';

const root = resolve(__dirname, '..', '..');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
const vsix = join(root, `querylens-${version}.vsix`);

const DEV_DEPENDENCIES = [
  'mocha',
  'eslint',
  'esbuild',
  '@vscode/vsce',
  '@vscode/test-electron',
  'tsx',
  'ajv',
  'pg',
  'pgsql-ast-parser',
  '@types/node',
  '@typescript-eslint/parser',
  // Bundled into dist/extension.js and dist/server.js; must not also ship as folders.
  'vscode-languageclient',
  'vscode-languageserver',
  'vscode-jsonrpc',
];

describe('the .vsix package', function () {
  this.timeout(180_000);
  let entries: { path: string; size: number }[] = [];
  let extracted = '';

  before(() => {
    // The bundles npm test built are packaged as they are; a stale one (mocha run by hand after an edit) is rebuilt.
    execFileSync(process.execPath, [join(root, 'scripts', 'package-vsix.mjs'), ...(bundlesFresh() ? ['--no-build'] : [])], { cwd: root, stdio: 'pipe' });
    const listing = execFileSync('unzip', ['-l', vsix], { encoding: 'utf8' });
    entries = listing
      .split('\n')
      .map((line) => /^\s*(\d+)\s+\S+\s+\S+\s+(\S.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && m[2] !== 'Name')
      .map((m) => ({ path: m[2], size: Number(m[1]) }));
    extracted = mkdtempSync(join(tmpdir(), 'querylens-vsix-'));
    execFileSync('unzip', ['-q', vsix, '-d', extracted]);
    const mib = statSync(vsix).size / 1024 / 1024;
    console.log(`      ${vsix.slice(root.length + 1)}: ${mib.toFixed(2)} MiB, ${entries.length} files`);
  });
  after(() => extracted && rmSync(extracted, { recursive: true, force: true }));

  const has = (p: string) => entries.some((e) => e.path === p);

  it('contains the manifest, the extension bundle and the server bundle', () => {
    for (const p of ['extension.vsixmanifest', 'extension/package.json', 'extension/dist/extension.js', 'extension/dist/server.js', 'extension/dist/analysis-worker.js']) {
      assert.ok(has(p), `${p} missing; entries: ${entries.map((e) => e.path).join(', ')}`);
    }
    const manifest = JSON.parse(readFileSync(join(extracted, 'extension', 'package.json'), 'utf8'));
    assert.equal(manifest.main, './dist/extension.js');
    assert.equal(manifest.version, version);
    assert.ok(manifest.publisher);
    assert.ok(manifest.engines.vscode);
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    for (const lang of ['typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'sql']) {
      assert.ok(manifest.activationEvents.includes(`onLanguage:${lang}`), lang);
    }
    assert.ok(manifest.activationEvents.includes('workspaceContains:**/querylens.config.json'));
    const commands = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(commands, ['querylens.lintWorkspace', 'querylens.restartServer', 'querylens.showOutput']);
    const props = manifest.contributes.configuration.properties;
    for (const key of ['querylens.rules', 'querylens.tables', 'querylens.model', 'querylens.budgets', 'querylens.trace.server']) {
      assert.ok(props[key]?.description || props[key]?.markdownDescription, `${key} has no description`);
    }
  });

  it('contains no development dependency and no root node_modules', () => {
    const bad = entries.filter((e) => {
      if (e.path.startsWith('extension/node_modules/')) return true;
      return DEV_DEPENDENCIES.some((dep) => e.path.includes(`node_modules/${dep}/`));
    });
    assert.deepEqual(bad.map((e) => e.path), []);
    assert.ok(!entries.some((e) => e.path.endsWith('.ts') && !e.path.endsWith('.d.ts')), 'TypeScript sources shipped');
  });

  it("ships the server's runtime dependencies where dist/server.js resolves them, and they load", () => {
    const dist = join(extracted, 'extension', 'dist');
    // A child process with the extracted dist/ as its only module path: the root node_modules must not help.
    const script = `
      const ts = require('typescript');
      const sf = ts.createSourceFile('a.ts', 'const x: number = 1;', ts.ScriptTarget.Latest, true);
      const pg = require('libpg-query');
      pg.loadModule().then(() => {
        const r = pg.parseSync('SELECT id FROM users WHERE id = 1');
        process.stdout.write(JSON.stringify({
          ts: require.resolve('typescript'), pg: require.resolve('libpg-query'),
          statements: sf.statements.length, stmts: r.stmts.length,
        }));
      }).catch((e) => { console.error(e); process.exit(1); });`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: dist, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    const r = JSON.parse(out);
    assert.ok(r.ts.startsWith(join(dist, 'node_modules')), r.ts);
    assert.ok(r.pg.startsWith(join(dist, 'node_modules')), r.pg);
    assert.equal(r.statements, 1);
    assert.equal(r.stmts, 1);
  });
});
