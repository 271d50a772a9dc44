/**
 * `--concurrency`: worker threads give the same report as one thread, on the
 * bundled example and every rule's fixture project (one tree, one pool start),
 * also when each thread drops its syntax trees after every file (the memory
 * bound at its tightest).
 * Runs in-process through `main(argv, io)`; the threads run the worker bundle
 * (dist/lint-worker.js, rebuilt when a source is newer), as the CLI does.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PassInfo } from '../cli/lint';
import { main } from '../cli/main';
import { autoThreads } from '../cli/run';
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

const example = path.join(repo, 'examples', 'feature-store');
const fixtureDirs = fs
  .readdirSync(path.join(repo, 'fixtures'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(repo, 'fixtures', d.name, 'flagged')))
  .map((d) => d.name);

describe('--concurrency: threads report what one thread reports', function () {
  this.timeout(300_000);
  let tree: string;
  before(() => {
    ensureBundles();
    // Every rule's fixture project and the example in one tree, linted as one project under the
    // example's config (table sizes, budgets): one pool start for all of them, and the threads must
    // agree across the projects' files as well as within each.
    tree = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-threads-'));
    for (const d of fixtureDirs) fs.cpSync(path.join(repo, 'fixtures', d), path.join(tree, 'fixtures', d), { recursive: true });
    fs.cpSync(example, path.join(tree, 'examples', 'feature-store'), { recursive: true });
    const config = JSON.parse(fs.readFileSync(path.join(example, 'querylens.config.json'), 'utf8')) as Record<string, unknown>;
    delete config.$schema;
    fs.writeFileSync(path.join(tree, 'querylens.config.json'), JSON.stringify(config));
  });
  after(() => {
    if (tree) fs.rmSync(tree, { recursive: true, force: true });
  });

  it(`the example and the fixtures of every rule (${fixtureDirs.join(', ')}): 2 threads dropping their trees after every file = one thread`, async () => {
    const one = await lint(tree, ['.', '--concurrency', '1']);
    assert.deepEqual(one.passes.map((p) => p.threads), [1]);
    // Each rule and the example have findings to compare.
    const findings = JSON.parse(one.out).findings as { ruleId: string; file: string }[];
    for (const d of fixtureDirs) assert.ok(findings.some((f) => f.ruleId === d), `${d} has findings`);
    assert.ok(findings.some((f) => f.file.startsWith('examples/feature-store/')), 'the example has findings');
    // Trees dropped after every file (the tightest memory bound): rebuilt on demand, same report.
    const many = await lint(tree, ['.', '--concurrency', '2'], 0);
    assert.deepEqual(many.passes.map((p) => p.threads), [2], '2 threads analysed');
    assert.equal(many.code, one.code);
    assert.equal(many.out, one.out);
  });

  it('one thread dropping its trees after every file = keeping them (the example)', async () => {
    assert.equal((await lint(example, ['.', '--concurrency', '1'], 0)).out, (await lint(example, ['.', '--concurrency', '1'])).out);
  });

  it('auto: two threads for a mid-sized project on two or more cores, one thread for a large or small one or one core', () => {
    assert.equal(autoThreads(2, 1_000, 4_000_000), 2);
    assert.equal(autoThreads(16, 1_000, 4_000_000), 2, 'a third thread would pass the memory bound');
    assert.equal(autoThreads(1, 1_000, 4_000_000), 1);
    assert.equal(autoThreads(16, 5_600, 15_000_000), 1, 'past the characters a pool was measured to pay for');
    assert.equal(autoThreads(16, 200, 400_000), 1, 'fewer than 150 files a thread');
  });

  it('--concurrency takes auto or a positive number', async () => {
    let err = '';
    const code = await main(['lint', '--concurrency', '0'], { cwd: repo, env: {}, stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) } });
    assert.equal(code, 2);
    assert.match(err, /--concurrency: expected auto or a number of threads from 1, got "0"/);
  });
});
