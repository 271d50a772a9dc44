/**
 * `--fix`: one pass of safe fixes. The edit arithmetic and the conflict rule
 * (never two overlapping edits, or two insertions at one point, in a pass; a
 * fix lands whole or not at all) are the engine's `applyFixes`, shared with
 * the language server's "fix all". This module only decides which fix of each
 * finding is a candidate and which files may be touched. Pure: the caller
 * reads and writes files.
 */
import { type Finding, type Fix, applyFixes } from '../engine';

export interface AppliedFix {
  finding: Finding;
  fix: Fix;
}

export interface FixPass {
  /** New text of each file to write (files that do not exist yet are created). */
  files: Map<string, string>;
  applied: AppliedFix[];
}

/**
 * Plans one pass: the first safe fix of each finding, in finding order.
 * `runClaims` are the per-run claims of earlier passes (Fix.claims); the
 * pass adds its own.
 * `textOf(file)` gives a file's current text, undefined when it does not exist
 * (an insertion at offset 0 then creates it), or null when it must not be
 * written (outside the project, in node_modules, unreadable): fixes touching
 * such a file are left out.
 */
export function planFixPass(findings: readonly Finding[], textOf: (file: string) => string | undefined | null, runClaims: Set<string> = new Set()): FixPass {
  const files = new Map<string, string>();
  const candidates: AppliedFix[] = [];
  // Folders that already receive a new file in this pass: a second new file there waits for the
  // next pass, after the re-lint, so that numbered names (migrations/004_…, 005_…) stay in sequence.
  const creatingIn = new Set<string>();
  for (const finding of findings) {
    const fix = finding.fixes.find((f) => f.safety === 'safe' && f.edits.length > 0);
    // A fix whose per-run claim an earlier pass took (a second index on one table) waits for the next run.
    if (!fix || fix.claims?.some((c) => c.per === 'run' && runClaims.has(c.key))) continue;
    const texts = fix.edits.map((e) => [e.file, textOf(e.file)] as const);
    if (texts.some(([, t]) => t === null)) continue;
    const newFolders = texts.filter(([, t]) => t === undefined).map(([file]) => file.slice(0, file.lastIndexOf('/') + 1));
    if (newFolders.some((d) => creatingIn.has(d))) continue;
    for (const d of newFolders) creatingIn.add(d);
    for (const [file, t] of texts) if (t != null) files.set(file, t);
    candidates.push({ finding, fix });
  }
  const result = applyFixes(files, candidates.map((c) => c.fix), { safeOnly: true, claimed: runClaims });
  const applied = new Set(result.applied);
  // Per-run claims (one new index per table) hold for the rest of the run.
  for (const f of result.applied) for (const c of f.claims ?? []) if (c.per === 'run') runClaims.add(c.key);
  return { files: result.files, applied: candidates.filter((c) => applied.has(c.fix)) };
}
