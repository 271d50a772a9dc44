/**
 * `--concurrency`: worker threads give the same report as one thread, on the
 * bundled example and on every rule's fixture project, also when each thread
 * drops its syntax trees after every file (the memory bound at its tightest).
 * Runs in-process through `main(argv, io)`; the threads run the worker bundle
 * (dist/lint-worker.js, rebuilt when a source is newer), as the CLI does.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PassInfo } from '../cli/lint';
import { main } from '../cli/main';
import { ensureBundles } from './bundles';

const repo = path.join(__dirname, '..');

async function lint(cwd: string, args: string[], treeBudget?: number): Promise<{ code: number; out: string; passes: PassInfo[] }> {
  let out = '';
  const passes: PassInfo[] = [];
  const code = await main(['lint', '--format', 'json', ...args], {
    cwd,
    env: {},
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: () => true },
    onPass: (p) => passes.push(p),
    treeBudget,
    workerScript: path.join(repo, 'dist', 'lint-worker.js'),
  });
  return { code, out, passes };
}

const projects = [
  path.join(repo, 'examples', 'feature-store'),
  ...fs
    .readdirSync(path.join(repo, 'fixtures'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(repo, 'fixtures', d.name, 'flagged')))
    .map((d) => path.join(repo, 'fixtures', d.name)),
];

describe('--concurrency: threads report what one thread reports', function () {
  this.timeout(180_000);
  before(() => ensureBundles());
  for (const dir of projects) {
    const threads = 2;
    it(`${path.relative(repo, dir)}: ${threads} threads dropping their trees after every file = one thread`, async () => {
      // The fixture folders lint as one project each (their config sits at the folder's root).
      const one = await lint(dir, ['.', '--concurrency', '1']);
      assert.deepEqual(one.passes.map((p) => p.threads), [1]);
      assert.ok(JSON.parse(one.out).findings.length > 0, 'the project has findings to compare');
      // Trees dropped after every file (the tightest memory bound): rebuilt on demand, same report.
      const many = await lint(dir, ['.', '--concurrency', String(threads)], 0);
      assert.deepEqual(many.passes.map((p) => p.threads), [threads], `${threads} threads analysed`);
      assert.equal(many.code, one.code);
      assert.equal(many.out, one.out);
    });
  }

  it('one thread dropping its trees after every file = keeping them (the example)', async () => {
    const dir = projects[0];
    assert.equal((await lint(dir, ['.', '--concurrency', '1'], 0)).out, (await lint(dir, ['.', '--concurrency', '1'])).out);
  });

  it('--concurrency takes auto or a positive number', async () => {
    let err = '';
    const code = await main(['lint', '--concurrency', '0'], { cwd: repo, env: {}, stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) } });
    assert.equal(code, 2);
    assert.match(err, /--concurrency: expected auto or a number of threads from 1, got "0"/);
  });
});
