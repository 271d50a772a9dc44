/**
 * `npm run test:editor`: the @vscode/test-electron harness, for contributors
 * with a desktop. It packages the extension (the same staging folder the .vsix
 * is made from), bundles the mocha suite in suite/, downloads VS Code and runs
 * the suite inside it against a temporary workspace.
 *
 * Where VS Code cannot be downloaded (machines that reach only the npm
 * registry), it says so plainly and exits with status 3: NOT RUN, which is not
 * a pass. The end-to-end suite that does run there is test/e2e (code-server).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';

export const NOT_RUN = 3;

async function main(): Promise<number> {
  const root = resolve(__dirname, '..', '..');
  execFileSync(process.execPath, [join(root, 'scripts', 'package-vsix.mjs')], { cwd: root, stdio: 'inherit' });
  const extensionDevelopmentPath = join(root, 'dist', 'vsix');
  const suiteOut = join(root, 'dist', 'editor-test', 'suite.js');
  await build({
    entryPoints: [join(__dirname, 'suite', 'index.ts')],
    outfile: suiteOut,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });

  let vscodeExecutablePath: string;
  try {
    vscodeExecutablePath = await downloadAndUnzipVSCode({ version: 'stable', timeout: 20_000, cachePath: join(root, '.vscode-test') });
  } catch (err) {
    console.error(
      `test:editor NOT RUN: VS Code could not be downloaded (${(err as Error).message}).\n` +
        'This harness needs a VS Code build from the VS Code download service; this machine cannot reach it.\n' +
        'Nothing was tested here; run `npm run test:e2e` (code-server from the npm registry) instead.',
    );
    return NOT_RUN;
  }

  const workspace = mkdtempSync(join(tmpdir(), 'querylens-editor-'));
  try {
    cpSync(join(__dirname, 'workspace'), workspace, { recursive: true });
    mkdirSync(join(workspace, '.vscode'), { recursive: true });
    await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath,
      extensionTestsPath: suiteOut,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    });
    return 0;
  } catch (err) {
    console.error(`test:editor failed: ${(err as Error).message}`);
    return 1;
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`test:editor crashed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
