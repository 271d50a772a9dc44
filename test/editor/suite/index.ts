/**
 * Runs inside VS Code (the extension-tests entry that @vscode/test-electron
 * loads): mocha with the BDD interface over extension.test.ts.
 */
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: true });
  mocha.suite.emit('pre-require', globalThis, 'extension.test.ts', mocha);
  // Loaded after pre-require so that describe/it are defined.
  require('./extension.test');
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
  });
}
