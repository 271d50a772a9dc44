/**
 * Shared by the hostile-input regression tests: throw-away projects and an
 * in-process `querylens lint` (no process spawn, so each case stays well
 * under a second).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type LintOptions, parseArgs } from '../../cli/args';
import { runLint } from '../../cli/lint';
import type { Rule } from '../../cli/report';
import { writeTree } from '../temp-project';

const temps: string[] = [];

/** A project in the temp directory from relative path → content (realpath'd: /tmp may be a link). */
export function tempProject(files: Record<string, string | Buffer>, prefix = 'querylens-hostile-'): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  temps.push(dir);
  writeTree(dir, files);
  return dir;
}

export function cleanTemps(): void {
  for (const d of temps.splice(0)) {
    try {
      fs.chmodSync(d, 0o755);
    } catch {
      // Gone already.
    }
    fs.rmSync(d, { recursive: true, force: true });
  }
}

export interface LintRun {
  code: number;
  out: string;
  err: string;
}

/** `querylens lint ARGS` in `cwd`, in process. A usage/config error (exit 2 from main) is returned as code 2 with its message. */
export async function lint(cwd: string, args: string[], rules?: Rule[]): Promise<LintRun> {
  let out = '';
  let err = '';
  try {
    const code = await runLint(parseArgs(['lint', ...args]) as LintOptions, {
      cwd,
      env: {},
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      ...(rules ? { rules } : {}),
    });
    return { code, out, err };
  } catch (e) {
    return { code: 2, out, err: err + (e as Error).message };
  }
}

/** Control characters that must never reach a terminal or a CI log raw (a line break is layout, allowed). */
// eslint-disable-next-line no-control-regex
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
