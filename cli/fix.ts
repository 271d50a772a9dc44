/**
 * `--fix`: choosing which safe fixes to apply in one pass and applying text
 * edits. Pure: the caller reads and writes files.
 *
 * One pass never applies two edits that touch the same text (or insert at the
 * same point: their order would be a guess). A fix is applied whole or not at
 * all, so a fix whose edits span two files either lands in both or in neither.
 * Findings whose fixes were held back are fixed in the next pass, after the
 * re-lint has recomputed their ranges against the new text.
 */
import type { Finding, Fix, Range, TextEdit } from '../engine';

export function editsConflict(a: Range, b: Range): boolean {
  if (a.start === b.start) return true;
  return a.start < b.end && b.start < a.end;
}

/** Applies non-conflicting edits to one text. Throws on a conflict or an out-of-range edit (a caller bug). */
export function applyFixes(text: string, edits: readonly Pick<TextEdit, 'range' | 'newText'>[]): string {
  const sorted = [...edits].sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end);
  for (let i = 0; i < sorted.length; i++) {
    const { start, end } = sorted[i].range;
    if (!(start >= 0 && start <= end && end <= text.length)) throw new RangeError(`edit [${start}, ${end}) outside the text (length ${text.length})`);
    if (i > 0 && editsConflict(sorted[i - 1].range, sorted[i].range)) throw new RangeError(`edits [${sorted[i - 1].range.start}, ${sorted[i - 1].range.end}) and [${start}, ${end}) overlap`);
  }
  let out = '';
  let at = 0;
  for (const e of sorted) {
    out += text.slice(at, e.range.start) + e.newText;
    at = e.range.end;
  }
  return out + text.slice(at);
}

export interface ChosenFix {
  finding: Finding;
  fix: Fix;
}

/**
 * Picks, in finding order, the first safe fix of each finding whose edits
 * conflict with none already chosen. `textLength(file)` gives the current
 * length of a file (undefined: the file does not exist and would be created,
 * so its length is 0; null: the file may not be written, e.g. outside the
 * project); a fix with an out-of-range edit is skipped as stale.
 */
export function chooseFixes(findings: readonly Finding[], textLength: (file: string) => number | undefined | null): ChosenFix[] {
  const taken = new Map<string, Range[]>();
  const chosen: ChosenFix[] = [];
  for (const finding of findings) {
    const fix = finding.fixes.find((f) => f.safety === 'safe' && f.edits.length > 0);
    if (!fix) continue;
    const fits = fix.edits.every((e, i) => {
      const known = textLength(e.file);
      if (known === null) return false;
      const len = known ?? 0;
      if (!(e.range.start >= 0 && e.range.start <= e.range.end && e.range.end <= len)) return false;
      if ((taken.get(e.file) ?? []).some((r) => editsConflict(r, e.range))) return false;
      // Edits of the same fix must not conflict with each other either.
      return fix.edits.every((o, j) => j === i || o.file !== e.file || !editsConflict(o.range, e.range));
    });
    if (!fits) continue;
    for (const e of fix.edits) {
      const list = taken.get(e.file) ?? [];
      list.push(e.range);
      taken.set(e.file, list);
    }
    chosen.push({ finding, fix });
  }
  return chosen;
}

/** Groups the edits of chosen fixes by file. */
export function editsByFile(chosen: readonly ChosenFix[]): Map<string, TextEdit[]> {
  const out = new Map<string, TextEdit[]>();
  for (const { fix } of chosen) {
    for (const e of fix.edits) {
      const list = out.get(e.file) ?? [];
      list.push(e);
      out.set(e.file, list);
    }
  }
  return out;
}
