/**
 * `querylens lint --changed-since REF` in real git repositories: the whole
 * project is analysed (an N+1 in a changed file through a helper in an
 * unchanged one is still found), findings are reported only in files changed
 * since the merge base (committed, uncommitted or untracked), and a shallow
 * clone without the merge base gets an error that says what to fetch.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type LintOptions, parseArgs } from '../cli/args';
import { runLint } from '../cli/lint';

const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1', HOME: os.tmpdir() };
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const HELPER = "import { Pool } from 'pg';\nexport const pool = new Pool();\nexport async function userName(id: number) {\n  const { rows } = await pool.query('SELECT name FROM users WHERE id = $1', [id]);\n  return rows[0].name;\n}\n";
const STAR = 'SELECT * FROM users;\n';

describe('querylens lint --changed-since', function () {
  this.timeout(60000);
  let repo: string;
  const temps: string[] = [];
  const write = (root: string, rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };

  before(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-changed-'));
    temps.push(repo);
    git(repo, 'init', '-q');
    write(repo, 'migrations/001.sql', 'CREATE TABLE users (id int PRIMARY KEY, name text, bio text, avatar bytea);\n');
    write(repo, 'src/db.ts', HELPER);
    write(repo, 'queries/old.sql', STAR);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'base');
    git(repo, 'checkout', '-qb', 'feature');
    // Committed on the branch: a loop over the unchanged helper (N+1 across files).
    write(repo, 'src/names.ts', "import { userName } from './db';\nexport async function names(ids: number[]) {\n  const out: string[] = [];\n  for (const id of ids) out.push(await userName(id));\n  return out;\n}\n");
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'names');
    // Untracked, not committed: counts as changed.
    write(repo, 'queries/draft.sql', STAR);
  });
  after(() => {
    for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
  });

  async function lint(cwd: string, ...args: string[]) {
    let out = '';
    const code = await runLint(parseArgs(['lint', '--format', 'json', ...args]) as LintOptions, { cwd, env: {}, stdout: { write: (s: string) => (out += s) } });
    return { code, doc: JSON.parse(out) as { findings: { file: string; ruleId: string }[] } };
  }

  it('without it: findings in every file', async () => {
    const { doc } = await lint(repo);
    const files = new Set(doc.findings.map((f) => f.file));
    assert.ok(files.has('queries/old.sql') && files.has('src/names.ts') && files.has('queries/draft.sql'), [...files].join(', '));
  });

  it('reports only changed files (committed on the branch, untracked), including an N+1 through an unchanged helper', async () => {
    const { code, doc } = await lint(repo, '--changed-since', 'main');
    assert.equal(code, 1);
    assert.deepEqual([...new Set(doc.findings.map((f) => `${f.file} ${f.ruleId}`))].sort(), ['queries/draft.sql over-fetching', 'src/names.ts n-plus-one']);
  });

  it('stylish says which files were reported', async () => {
    let out = '';
    await runLint(parseArgs(['lint', '--changed-since', 'main']) as LintOptions, { cwd: repo, env: {}, stdout: { write: (s: string) => (out += s) } });
    assert.match(out, /Findings reported only in files changed since main \(2 of \d+ analysed\)\./);
  });

  it('an unknown revision is a usage error that says to fetch it', async () => {
    await assert.rejects(lint(repo, '--changed-since', 'origin/nope'), /--changed-since origin\/nope: no such revision in this clone; fetch it first \(e\.g\. git fetch origin nope\)/);
  });

  it('a shallow clone without the merge base says what history it needs', async () => {
    const shallow = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-shallow-'));
    temps.push(shallow);
    git(os.tmpdir(), 'clone', '-q', '--depth', '1', '--branch', 'feature', `file://${repo}`, shallow);
    git(shallow, 'fetch', '-q', '--depth', '1', 'origin', 'main:refs/remotes/origin/main');
    await assert.rejects(
      lint(shallow, '--changed-since', 'origin/main'),
      /--changed-since origin\/main: this is a shallow clone and the merge base of origin\/main and HEAD is not in it; .*fetch-depth: 0.*git fetch --unshallow/,
    );
    // With the history fetched, it works.
    git(shallow, 'fetch', '-q', '--unshallow', 'origin');
    const { doc } = await lint(shallow, '--changed-since', 'origin/main');
    assert.deepEqual([...new Set(doc.findings.map((f) => f.file))].sort(), ['src/names.ts']);
  });

  it('outside a git repository: an error naming the need', async () => {
    const plain = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-nogit-'));
    temps.push(plain);
    write(plain, 'q.sql', 'SELECT 1;\n');
    await assert.rejects(lint(plain, '--changed-since', 'main'), /--changed-since main: needs a git repository/);
  });
});
