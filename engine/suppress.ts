/**
 * Suppression comments:
 *   // querylens-disable-next-line n-plus-one, over-fetching -- reason
 *   // querylens-disable-line unindexed-predicate
 *   -- querylens-disable-next-line cartesian-join        (SQL, also inside template literals)
 *   // querylens-disable-file over-fetching              (whole file)
 * No rule list means every rule. Text after `--` (TS) or a second `--` (SQL) is the reason.
 */
import { LineIndex } from './text';

export interface Suppression {
  kind: 'line' | 'next-line' | 'file';
  /** 0-based line the comment is on. */
  line: number;
  /** 0-based line it applies to (-1 for the whole file). */
  target: number;
  /** Rule ids; empty = all rules. */
  rules: string[];
  reason?: string;
  start: number;
  end: number;
  used: boolean;
}

const RE = /(?:\/\/|--|\/\*)\s*querylens-disable(-next-line|-line|-file)\b([^\n*]*)/g;

export function findSuppressions(text: string): Suppression[] {
  if (!text.includes('querylens-disable')) return [];
  const lines = new LineIndex(text);
  const out: Suppression[] = [];
  RE.lastIndex = 0;
  for (let m = RE.exec(text); m; m = RE.exec(text)) {
    const line = lines.position(m.index).line;
    let rest = m[2];
    let reason: string | undefined;
    const dd = rest.indexOf('--');
    if (dd >= 0) {
      reason = rest.slice(dd + 2).trim() || undefined;
      rest = rest.slice(0, dd);
    }
    const rules = rest
      .split(/[,\s]+/)
      .map((s) => s.trim())
      .filter((s) => /^[a-z][a-z0-9-]*$/.test(s));
    const kind = m[1] === '-next-line' ? 'next-line' : m[1] === '-line' ? 'line' : 'file';
    let target = kind === 'next-line' ? line + 1 : kind === 'line' ? line : -1;
    // Skip blank lines and caret/comment-only lines below a next-line directive? No: ESLint semantics, the very next line.
    if (target >= lines.lineCount) target = lines.lineCount - 1;
    out.push({ kind, line, target, rules, reason, start: m.index, end: m.index + m[0].length, used: false });
  }
  return out;
}

/** True (and marks the suppression used) when a finding of `ruleId` starting on `line` is suppressed. */
export function isSuppressed(sups: Suppression[], ruleId: string, line: number): boolean {
  let hit = false;
  for (const s of sups) {
    if ((s.target === line || s.target === -1) && (s.rules.length === 0 || s.rules.includes(ruleId))) {
      s.used = true;
      hit = true;
    }
  }
  return hit;
}
