/**
 * Baseline suppressions (`querylens-suppressions.json`): accept the findings an
 * existing code base has today and report only new ones, as ESLint's
 * `eslint-suppressions.json` and stylelint's `--suppress` do. Pure: callers
 * read and write the file.
 *
 * Entries are keyed by file, rule and the finding's fingerprint, with a count:
 *
 *   { "version": 1,
 *     "suppressions": { "src/routes/metadata.ts": { "n-plus-one": { "3k9d0q2m1x7f": 1 } } } }
 *
 * The fingerprint hashes the rule id and the text of the lines the finding
 * spans, whitespace collapsed: not its line number, so code that moves within
 * its file keeps matching, and not its message, whose estimate changes with
 * the model or the configuration. Identical lines share a fingerprint; the
 * count says how many of them are accepted, and any beyond it are new.
 *
 * The same fingerprint feeds SARIF `partialFingerprints` and GitLab's
 * `fingerprint`, so code scanning follows a finding across commits.
 */
import type { Finding } from './types';

export const SUPPRESSIONS_FILE = 'querylens-suppressions.json';
const FORMAT_VERSION = 1;

/** file → rule id → fingerprint → number of findings accepted. */
export type BaselineEntries = Record<string, Record<string, Record<string, number>>>;

export interface Baseline {
  version: 1;
  suppressions: BaselineEntries;
}

export function emptyBaseline(): Baseline {
  return { version: FORMAT_VERSION, suppressions: {} };
}

/** cyrb53 (a public-domain 53-bit string hash): stable across platforms and versions, no dependency. */
function hash53(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Lines longer than this are cut before hashing: a minified line says nothing more past it. */
const MAX_FINGERPRINT_TEXT = 4000;

/**
 * The finding's fingerprint: rule id + the whole lines its range touches,
 * whitespace collapsed (so re-indenting or moving the code keeps it).
 */
export function findingFingerprint(finding: Pick<Finding, 'ruleId' | 'range'>, text: string): string {
  const { start: from, end: to } = finding.range;
  const start = from <= 0 ? 0 : text.lastIndexOf('\n', from - 1) + 1;
  // The end is exclusive: a range ending just after a newline does not touch the next line.
  const endNl = text.indexOf('\n', Math.max(from, to - 1));
  const end = endNl < 0 ? text.length : endNl;
  const lines = text.slice(start, Math.min(end, start + MAX_FINGERPRINT_TEXT)).replace(/\s+/g, ' ').trim();
  return hash53(`${finding.ruleId}\u0000${lines}`).toString(36).padStart(11, '0');
}

/** Errors in a suppressions file's shape, each naming the JSON path. */
export function validateBaseline(raw: unknown): { baseline: Baseline; errors: string[] } {
  const errors: string[] = [];
  const out = emptyBaseline();
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(raw)) return { baseline: out, errors: ['must be a JSON object { "version": 1, "suppressions": { … } }'] };
  if (raw.version !== FORMAT_VERSION) errors.push(`version: expected ${FORMAT_VERSION}, got ${JSON.stringify(raw.version)}`);
  for (const k of Object.keys(raw)) if (k !== 'version' && k !== 'suppressions' && k !== '$comment') errors.push(`${k}: unknown key (expected version, suppressions)`);
  const files = raw.suppressions ?? {};
  if (!isObj(files)) {
    errors.push('suppressions: must be an object of file → rule id → fingerprint → count');
    return { baseline: out, errors };
  }
  for (const [file, rules] of Object.entries(files)) {
    if (!isObj(rules)) {
      errors.push(`suppressions["${file}"]: must be an object of rule id → fingerprint → count`);
      continue;
    }
    for (const [rule, prints] of Object.entries(rules)) {
      if (!isObj(prints)) {
        errors.push(`suppressions["${file}"]["${rule}"]: must be an object of fingerprint → count`);
        continue;
      }
      for (const [fp, n] of Object.entries(prints)) {
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
          errors.push(`suppressions["${file}"]["${rule}"]["${fp}"]: must be a positive integer count`);
          continue;
        }
        ((out.suppressions[file] ??= {})[rule] ??= {})[fp] = n;
      }
    }
  }
  return { baseline: out, errors };
}

/** The file's text: sorted keys (stable diffs), two-space indent, final newline. */
export function serializeBaseline(b: Baseline): string {
  const sorted: BaselineEntries = {};
  for (const file of Object.keys(b.suppressions).sort()) {
    const rules = b.suppressions[file];
    const r: Record<string, Record<string, number>> = {};
    for (const rule of Object.keys(rules).sort()) {
      const prints = rules[rule];
      const keys = Object.keys(prints).sort();
      if (!keys.length) continue;
      r[rule] = Object.fromEntries(keys.map((k) => [k, prints[k]]));
    }
    if (Object.keys(r).length) sorted[file] = r;
  }
  return JSON.stringify({ version: FORMAT_VERSION, suppressions: sorted }, null, 2) + '\n';
}

/** Counts of the findings by file, rule and fingerprint. */
export function countFindings(findings: readonly Finding[], textOf: (file: string) => string | undefined): BaselineEntries {
  const out: BaselineEntries = {};
  for (const f of findings) {
    const fp = findingFingerprint(f, textOf(f.file) ?? '');
    const prints = ((out[f.file] ??= {})[f.ruleId] ??= {});
    prints[fp] = (prints[fp] ?? 0) + 1;
  }
  return out;
}

export interface BaselineUnused {
  file: string;
  ruleId: string;
  fingerprint: string;
  /** Accepted findings with this key that no longer occur. */
  count: number;
}

export interface BaselineMatch {
  /** Findings beyond the baseline: the ones to report. */
  reported: Finding[];
  /** Findings the baseline accepts. */
  suppressed: Finding[];
  /** Entries of the given files that match fewer findings than their count. */
  unused: BaselineUnused[];
}

/**
 * Splits findings into accepted and new. Per file, rule and fingerprint the
 * first `count` findings in file order are accepted, the rest reported.
 * `files` are the files whose findings are all present (the linted ones):
 * only their entries can be called unused.
 */
export function matchBaseline(findings: readonly Finding[], baseline: Baseline, textOf: (file: string) => string | undefined, files: Iterable<string>): BaselineMatch {
  const left = new Map<string, number>();
  const key = (file: string, rule: string, fp: string) => `${file}\u0000${rule}\u0000${fp}`;
  const reported: Finding[] = [];
  const suppressed: Finding[] = [];
  const ordered = [...findings].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.range.start - b.range.start));
  const accepted = new Set<Finding>();
  for (const f of ordered) {
    const fp = findingFingerprint(f, textOf(f.file) ?? '');
    const k = key(f.file, f.ruleId, fp);
    const n = left.has(k) ? left.get(k)! : (baseline.suppressions[f.file]?.[f.ruleId]?.[fp] ?? 0);
    if (n > 0) accepted.add(f);
    left.set(k, Math.max(0, n - 1));
  }
  for (const f of findings) (accepted.has(f) ? suppressed : reported).push(f);
  const unused: BaselineUnused[] = [];
  for (const file of files) {
    for (const [ruleId, prints] of Object.entries(baseline.suppressions[file] ?? {})) {
      for (const [fingerprint, count] of Object.entries(prints)) {
        const k = key(file, ruleId, fingerprint);
        const remaining = left.has(k) ? left.get(k)! : count;
        if (remaining > 0) unused.push({ file, ruleId, fingerprint, count: remaining });
      }
    }
  }
  return { reported, suppressed, unused };
}

/**
 * `--suppress-all` / `--suppress-rule`: the baseline with the given files'
 * entries for the given rules (all when `rules` is undefined) replaced by
 * today's findings. Other files and rules keep their entries.
 */
export function suppressFindings(baseline: Baseline, findings: readonly Finding[], textOf: (file: string) => string | undefined, files: Iterable<string>, rules?: readonly string[]): Baseline {
  const out: Baseline = structuredClone(baseline);
  const inScope = (rule: string) => !rules || rules.includes(rule);
  for (const file of files) {
    const entry = out.suppressions[file];
    if (!entry) continue;
    for (const rule of Object.keys(entry)) if (inScope(rule)) delete entry[rule];
  }
  const counts = countFindings(findings.filter((f) => inScope(f.ruleId)), textOf);
  for (const [file, rules2] of Object.entries(counts)) {
    for (const [rule, prints] of Object.entries(rules2)) (out.suppressions[file] ??= {})[rule] = prints;
  }
  return out;
}

/**
 * `--prune-suppressions`: entries of the given files lowered to what still
 * matches (dropped when nothing does), and entries of files that no longer
 * exist dropped.
 */
export function pruneBaseline(baseline: Baseline, unused: readonly BaselineUnused[], exists: (file: string) => boolean): Baseline {
  const out: Baseline = structuredClone(baseline);
  for (const u of unused) {
    const prints = out.suppressions[u.file]?.[u.ruleId];
    if (!prints?.[u.fingerprint]) continue;
    prints[u.fingerprint] -= u.count;
    if (prints[u.fingerprint] <= 0) delete prints[u.fingerprint];
  }
  for (const file of Object.keys(out.suppressions)) if (!exists(file)) delete out.suppressions[file];
  return out;
}

/** Total number of accepted findings. */
export function baselineSize(b: Baseline): number {
  let n = 0;
  for (const rules of Object.values(b.suppressions)) for (const prints of Object.values(rules)) for (const c of Object.values(prints)) n += c;
  return n;
}
