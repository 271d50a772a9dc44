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
 * Plans one pass: the first safe fix of each finding, in finding order, except that the index serving
 * the most of a table's findings goes before its competitors (bestClaimFirst).
 * `runClaims` are the per-run claims of earlier passes (Fix.claims); the
 * pass adds its own.
 * `textOf(file)` gives a file's current text, undefined when it does not exist
 * (an insertion at offset 0 then creates it), or null when it must not be
 * written (outside the project, in node_modules, unreadable): fixes touching
 * such a file are left out.
 */
const safeFix = (f: Finding): Fix | undefined => f.fixes.find((x) => x.safety === 'safe' && x.edits.length > 0);

/** What a fix writes, whatever finding offers it: two findings the same index serves offer the same edits. */
const fixIdentity = (fix: Fix): string => JSON.stringify(fix.edits.map((e) => [e.file, e.range.start, e.range.end, e.newText]));

/** What applying the finding's fix saves per call, by its estimate (0 without one). */
const saving = (f: Finding): number => (f.estimate && !f.estimate.aggregate ? Math.max(0, f.estimate.currentMs - f.estimate.fixedMs) : 0);

/**
 * The findings reordered so that, among safe fixes competing for one per-run claim (one new index per
 * table per run), the fix that serves the most goes first: the same fix offered by several findings sums
 * their savings (then counts them), and its findings move to where the first competitor stood. Without
 * this, the first finding in file order took the table's one index, whatever the others needed.
 * Every other finding keeps its place.
 */
export function bestClaimFirst(findings: readonly Finding[]): readonly Finding[] {
  const groups = new Map<string, Map<string, { score: number; count: number; first: number; members: number[] }>>();
  findings.forEach((f, i) => {
    const fix = safeFix(f);
    for (const c of fix?.claims ?? []) {
      if (c.per !== 'run') continue;
      const byFix = groups.get(c.key) ?? new Map();
      groups.set(c.key, byFix);
      const id = fixIdentity(fix!);
      const g = byFix.get(id) ?? { score: 0, count: 0, first: i, members: [] };
      g.score += saving(f);
      g.count += 1;
      g.members.push(i);
      byFix.set(id, g);
    }
  });
  const moved = new Map<number, number[]>();
  const skip = new Set<number>();
  for (const byFix of groups.values()) {
    if (byFix.size < 2) continue;
    const all = [...byFix.values()];
    const best = all.reduce((a, b) => (b.score > a.score || (b.score === a.score && b.count > a.count) ? b : a));
    const at = Math.min(...all.map((g) => g.first));
    if (best.first === at) continue;
    moved.set(at, best.members);
    for (const m of best.members) skip.add(m);
  }
  if (!moved.size) return findings;
  const out: Finding[] = [];
  findings.forEach((f, i) => {
    for (const m of moved.get(i) ?? []) out.push(findings[m]);
    if (!skip.has(i)) out.push(f);
  });
  return out;
}

export function planFixPass(findings: readonly Finding[], textOf: (file: string) => string | undefined | null, runClaims: Set<string> = new Set()): FixPass {
  const files = new Map<string, string>();
  const candidates: AppliedFix[] = [];
  findings = bestClaimFirst(findings);
  // Folders that already receive a new file in this pass: a second new file there waits for the
  // next pass, after the re-lint, so that numbered names (migrations/004_…, 005_…) stay in sequence.
  const creatingIn = new Set<string>();
  for (const finding of findings) {
    const fix = safeFix(finding);
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
