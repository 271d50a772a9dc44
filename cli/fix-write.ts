/**
 * `--fix` on disk: lint → plan a pass (cli/fix.ts) → write its files → lint again, up to a number of passes.
 * Writes stay inside the project, never overwrite a file a fix creates, and keep links and modes; a file that
 * cannot be written becomes a problem and ends the passes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type AnalysisResult, LineIndex, type Problem } from '../engine';
import { isInside, makeDirectories, resolveInside } from './files';
import { planFixPass } from './fix';
import type { FixedEntry } from './report';
import type { LintRun } from './run';

export interface FixContext {
  run: LintRun;
  root: string;
  /** The root with links resolved (written files must stay inside it). */
  realRoot: string;
  /** Files read with a byte-order mark (kept when rewritten). */
  bom: Map<string, boolean>;
  /** Where write failures are reported. */
  problems: Problem[];
  /** One analysis pass over the run's current texts. */
  analyse(): Promise<AnalysisResult>;
}

/** Analyses, then applies up to `maxPasses` passes of safe fixes, re-analysing after each; the last result and what was fixed. */
export async function applyFixPasses(maxPasses: number, ctx: FixContext): Promise<{ result: AnalysisResult; fixed: FixedEntry[] }> {
  const { run, root, realRoot } = ctx;
  const fixed: FixedEntry[] = [];
  let result = await ctx.analyse();
  const runClaims = new Set<string>();
  const textOf = (file: string): string | undefined | null => {
    const abs = path.join(root, file);
    if (!isInside(root, abs) || file.split('/').includes('node_modules')) return null;
    const text = run.textOf(file);
    if (text !== undefined) return 'outside' in resolveInside(realRoot, abs) ? null : text;
    // Exists but could not be read (or is a link, even a dangling one): never overwrite it.
    return fs.existsSync(abs) || fs.lstatSync(abs, { throwIfNoEntry: false }) ? null : undefined;
  };
  for (let pass = 0; pass < maxPasses; pass++) {
    const plan = planFixPass(result.findings, textOf, runClaims);
    if (plan.applied.length === 0) break;
    // Lines are taken before the edits move them.
    const lines = plan.applied.map(({ finding }) => new LineIndex(run.textOf(finding.file) ?? '').position(finding.range.start).line + 1);
    const failed = writePlannedFiles(plan.files, ctx);
    plan.applied.forEach(({ finding, fix }, i) => {
      if (!fix.edits.some((e) => failed.has(e.file))) fixed.push({ file: finding.file, ruleId: finding.ruleId, title: fix.title, line: lines[i] });
    });
    result = await ctx.analyse();
    if (failed.size) break;
  }
  return { result, fixed };
}

/** Writes a pass's files, updating the run's texts; the files that could not be written (each reported as a problem). */
function writePlannedFiles(files: Map<string, string>, ctx: FixContext): Set<string> {
  const failed = new Set<string>();
  for (const [file, after] of files) {
    try {
      writeFix(ctx.realRoot, path.join(ctx.root, file), (ctx.bom.get(file) ? '\uFEFF' : '') + after, ctx.run.textOf(file) === undefined);
      ctx.run.setText(file, after);
    } catch (e) {
      failed.add(file);
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'EEXIST' ? 'the file exists already (never overwritten)' : err.code === 'EOUTSIDE' ? err.message : (err.code ?? err.message);
      ctx.problems.push({ kind: 'unreadable-file', file, message: `could not write fixes: ${why}` });
    }
  }
  return failed;
}

/**
 * Writes a fix inside the project only. An existing file is rewritten where
 * it really is (through a symbolic link to the real file, the link kept),
 * through a temporary file beside it and a rename, so a crash never leaves
 * half a file; a file the fix creates must not exist (exclusive create: a
 * file that appeared meanwhile is never overwritten). Throws with the reason.
 */
function writeFix(realRoot: string, abs: string, text: string, creates: boolean): void {
  const where = resolveInside(realRoot, abs);
  if ('outside' in where) throw Object.assign(new Error(`${where.outside}; not written`), { code: 'EOUTSIDE' });
  const real = where.real;
  if (creates) {
    makeDirectories(path.dirname(real));
    // The folders just made must still be inside (a link created meanwhile is not followed out).
    if ('outside' in resolveInside(realRoot, path.dirname(real))) throw Object.assign(new Error('folder leads outside the project; not written'), { code: 'EOUTSIDE' });
    fs.writeFileSync(real, text, { flag: 'wx' });
    return;
  }
  const mode = fs.statSync(real).mode & 0o7777;
  const tmp = path.join(path.dirname(real), `.${path.basename(real)}.querylens-${process.pid}-${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, text, { mode, flag: 'wx' });
    fs.renameSync(tmp, real);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // Nothing was written.
    }
    throw e;
  }
}
