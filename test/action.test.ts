/**
 * The composite GitHub Action (action.yml): its shape, its lint script run
 * for real with bash on a copy of the example project (the project's own
 * querylens in node_modules/.bin, as the action prefers), its exit step, and
 * the README's copy-paste workflow checked against the action's inputs.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import yaml from 'js-yaml';
import { ensureBundles } from './bundles';

const repo = path.join(__dirname, '..');

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

/** `shell: bash` in a GitHub Actions step is `bash --noprofile --norc -eo pipefail {0}`. */
const GITHUB_BASH = ['--noprofile', '--norc', '-eo', 'pipefail', '-c'];

const action = yaml.load(fs.readFileSync(path.join(repo, 'action.yml'), 'utf8')) as Action;

describe('action.yml (GitHub Action)', function () {
  this.timeout(120000);
  const temps: string[] = [];
  before(() => ensureBundles());
  after(() => {
    for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
  });

  it('is a composite action whose inputs are all described and all used, and whose steps name only declared inputs', () => {
    assert.equal(action.runs.using, 'composite');
    assert.ok(action.description.length > 20);
    const text = fs.readFileSync(path.join(repo, 'action.yml'), 'utf8');
    const referenced = new Set([...text.matchAll(/inputs\.([a-z-]+)/g)].map((m) => m[1]));
    for (const [name, input] of Object.entries(action.inputs)) {
      assert.ok(input.description.length > 10, `${name} has no description`);
      assert.ok(referenced.has(name), `input ${name} is never used`);
    }
    for (const r of referenced) assert.ok(r in action.inputs, `steps use undeclared input ${r}`);
    // Inputs reach scripts through env, never spliced into the script text.
    for (const s of action.runs.steps) if (s.run) assert.doesNotMatch(s.run, /\$\{\{/, `${s.name} splices an expression into its script`);
    const upload = action.runs.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
    assert.ok(upload, 'uploads SARIF');
  });

  function workspace(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-action-'));
    temps.push(dir);
    fs.cpSync(path.join(repo, 'examples', 'feature-store'), dir, { recursive: true });
    // The project's own querylens, as after `npm install --save-dev querylens`.
    fs.mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
    const bin = path.join(dir, 'node_modules', '.bin', 'querylens');
    fs.writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${path.join(repo, 'bin', 'querylens.js')}" "$@"\n`);
    fs.chmodSync(bin, 0o755);
    return dir;
  }

  function runStep(step: Step, cwd: string, inputs: Record<string, string>): { status: number | null; stdout: string; stderr: string; outputs: Record<string, string> } {
    const outFile = path.join(cwd, '.github-output');
    fs.writeFileSync(outFile, '');
    const env: Record<string, string> = { ...(process.env as Record<string, string>), GITHUB_OUTPUT: outFile, GITHUB_ACTION_PATH: repo };
    delete env.NO_COLOR;
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(action.inputs)) values[k] = inputs[k] ?? v.default ?? '';
    for (const [k, v] of Object.entries(step.env ?? {})) {
      const m = /^\$\{\{ inputs\.([a-z-]+) \}\}$/.exec(v);
      env[k] = m ? values[m[1]] : (inputs[k] ?? v);
    }
    // As GitHub runs `shell: bash` steps.
    const r = spawnSync('bash', [...GITHUB_BASH, step.run!], { cwd, env, encoding: 'utf8', timeout: 90000 });
    const outputs = Object.fromEntries(
      fs
        .readFileSync(outFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, outputs };
  }

  it('the lint step, run with bash on the example: annotations on stdout, SARIF written, exit code 1 as an output', () => {
    const dir = workspace();
    const lint = action.runs.steps.find((s) => s.id === 'lint')!;
    const r = runStep(lint, dir, {});
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.outputs['exit-code'], '1');
    assert.match(r.stdout, /^::warning file=src\/jobs\/refresh-features\.ts,line=7,col=11,.*title=querylens\(n-plus-one\)::/m);
    const sarifFile = r.outputs['sarif-file'];
    assert.equal(sarifFile, path.join(fs.realpathSync(dir), 'querylens.sarif'));
    const log = JSON.parse(fs.readFileSync(sarifFile, 'utf8'));
    assert.equal(log.version, '2.1.0');
    assert.equal(log.runs[0].results.length, r.stdout.split('\n').filter((l) => /^::(error|warning|notice) file=.*title=querylens\(/.test(l)).length);
  });

  it('passes paths, extra args and changed-since; a configuration error is exit 2 with an annotation', () => {
    const dir = workspace();
    const lint = action.runs.steps.find((s) => s.id === 'lint')!;
    const some = runStep(lint, dir, { paths: 'queries', args: '--rule cartesian-join=off', annotations: 'false', sarif: 'false' });
    assert.equal(some.outputs['exit-code'], '1');
    assert.match(some.stdout, /queries\/reports\.sql/);
    assert.doesNotMatch(some.stdout.split('\n').slice(1).join('\n'), /cartesian-join|src\/routes/);
    assert.equal(some.outputs['sarif-file'], undefined);
    const notGit = runStep(lint, dir, { 'changed-since': 'origin/main', sarif: 'false' });
    assert.equal(notGit.outputs['exit-code'], '2');
    assert.match(notGit.stderr + notGit.stdout, /--changed-since origin\/main: needs a git repository/);
    assert.match(notGit.stdout, /^::error title=querylens::querylens lint exited 2/m);
  });

  it('the last step fails the job on findings (unless fail-on-findings is false) and always on exit 2', () => {
    const exit = action.runs.steps.at(-1)!;
    const code = (QL_CODE: string, QL_FAIL: string) => spawnSync('bash', [...GITHUB_BASH, exit.run!], { env: { ...process.env, QL_CODE, QL_FAIL } }).status;
    assert.equal(code('0', 'true'), 0);
    assert.equal(code('1', 'true'), 1);
    assert.equal(code('1', 'false'), 0);
    assert.equal(code('2', 'false'), 2);
  });

  it("the README's workflow uses this action with declared inputs, the permission SARIF upload needs, and full history for changed-since", () => {
    const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
    const block = /\*\*GitHub Actions\.\*\*[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme);
    assert.ok(block, 'README has the GitHub Actions workflow');
    const wf = yaml.load(block[1]) as { permissions: Record<string, string>; jobs: Record<string, { steps: Step[] }> };
    assert.equal(wf.permissions['security-events'], 'write');
    const steps = Object.values(wf.jobs)[0].steps;
    const ours = steps.find((s) => s.uses?.startsWith('querylens/querylens@'));
    assert.ok(ours);
    const version = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).version;
    assert.equal(ours.uses, `querylens/querylens@v${version}`);
    for (const k of Object.keys(ours.with ?? {})) assert.ok(k in action.inputs, `README passes unknown input ${k}`);
    const checkout = steps.find((s) => s.uses?.startsWith('actions/checkout@'));
    assert.equal(checkout?.with?.['fetch-depth'], 0);
    // The README lists every input.
    for (const name of Object.keys(action.inputs)) assert.ok(readme.includes(`\`${name}\``), `README does not mention input ${name}`);
    // The GitLab snippet names the format and the artifact it writes.
    assert.match(readme, /--format gitlab --output gl-code-quality\.json[\s\S]*codequality: gl-code-quality\.json/);
    execFileSync('bash', ['-n', '-c', action.runs.steps.find((s) => s.id === 'lint')!.run!]);
  });
});
