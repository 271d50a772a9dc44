/**
 * `--changed-since REF`: which project files changed since REF, by git.
 * The whole project is still analysed (an N+1 in a changed file may run a
 * query in an unchanged helper); only the report is narrowed.
 *
 * "Changed since REF" is the diff between the merge base of REF and HEAD and
 * the working tree (what a pull request shows, plus uncommitted edits), and
 * untracked files that are not ignored. On a shallow clone the merge base may
 * be missing: the error says which history to fetch.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError } from './errors';
import { isInside, toProjectPath } from './files';

function git(cwd: string, args: string[]): { ok: true; out: string } | { ok: false; err: string } {
  try {
    return { ok: true, out: execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 }) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') return { ok: false, err: 'git is not installed (or not on PATH)' };
    return { ok: false, err: String(err.stderr ?? err.message).trim() };
  }
}

const FETCH_HINT =
  'in GitHub Actions use actions/checkout with fetch-depth: 0; elsewhere git fetch --unshallow, or git fetch --deepen=N until the merge base is there';

/** Project paths (relative to `root`) of the files changed since `ref`. */
export function changedFiles(root: string, ref: string): Set<string> {
  const top = git(root, ['rev-parse', '--show-toplevel']);
  if (!top.ok) throw new CliError(`--changed-since ${ref}: needs a git repository (${top.err})`);
  const toplevel = top.out.trim();
  const shallow = git(root, ['rev-parse', '--is-shallow-repository']);
  const isShallow = shallow.ok && shallow.out.trim() === 'true';
  const commit = git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  if (!commit.ok) {
    throw new CliError(
      `--changed-since ${ref}: no such revision in this clone; fetch it first (e.g. git fetch origin ${ref.replace(/^origin\//, '')}${isShallow ? ', and enough history to reach the merge base: ' + FETCH_HINT : ''})`,
    );
  }
  const base = git(root, ['merge-base', commit.out.trim(), 'HEAD']);
  if (!base.ok) {
    throw new CliError(
      isShallow
        ? `--changed-since ${ref}: this is a shallow clone and the merge base of ${ref} and HEAD is not in it; querylens needs the history back to where the branch left ${ref} (${FETCH_HINT})`
        : `--changed-since ${ref}: ${ref} and HEAD have no common ancestor`,
    );
  }
  const diff = git(root, ['diff', '--name-only', '-z', '--no-renames', base.out.trim(), '--']);
  const untracked = git(root, ['ls-files', '--others', '--exclude-standard', '-z', '--full-name']);
  if (!diff.ok) throw new CliError(`--changed-since ${ref}: git diff failed (${diff.err})`);
  if (!untracked.ok) throw new CliError(`--changed-since ${ref}: git ls-files failed (${untracked.err})`);
  // git prints real paths; the root may have been reached through a symbolic link.
  const realRoot = fs.realpathSync(root);
  const out = new Set<string>();
  for (const name of [...diff.out.split('\0'), ...untracked.out.split('\0')]) {
    if (!name) continue;
    const abs = path.join(toplevel, ...name.split('/'));
    if (isInside(realRoot, abs)) out.add(toProjectPath(realRoot, abs));
  }
  return out;
}
