// `npm run example`: lints the bundled example project and explains the exit code.
// `querylens lint` exits 1 when it reports findings (that is what fails a CI job);
// this demo prints that and exits 0, so `npm ci && npm run example && npm test` runs on.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = ['lint', 'examples/feature-store', ...process.argv.slice(2)];
const r = spawnSync(process.execPath, [join(root, 'bin', 'querylens.js'), ...args], { cwd: root, stdio: 'inherit' });
const code = r.status ?? 2;
const why = {
  0: 'no findings at the failing severity',
  1: 'findings at or above the failing severity (config "failOn", default warning)',
  2: 'a usage, configuration or internal error (see above)',
};
console.log(`\nquerylens ${args.join(' ')} exited ${code}: ${why[code] ?? 'unexpected'}.`);
if (code === 1) {
  console.log('In CI that exit code fails the job (npx querylens lint). This is a demo of the findings, so npm run example exits 0.');
  process.exit(0);
}
process.exit(code);
