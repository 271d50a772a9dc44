/**
 * The CLI side of baseline suppressions: reads and writes
 * `querylens-suppressions.json` (engine/baseline.ts decides what matches),
 * and turns stale entries into `unused-suppression` problems.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type Baseline,
  type Finding,
  type Problem,
  SUPPRESSIONS_FILE,
  emptyBaseline,
  formatConfigIssues,
  matchBaseline,
  pruneBaseline,
  readConfigDocument,
  serializeBaseline,
  suppressFindings,
  validateBaseline,
} from '../engine';
import type { LintOptions } from './args';
import { CliError, unknownRule, writeAtomically } from './errors';

export interface BaselineRun {
  /** Findings beyond the baseline: what the run reports and counts. */
  findings: Finding[];
  /** Findings the baseline accepted. */
  suppressed: number;
  problems: Problem[];
  /** What was written, for a line on stderr: `wrote querylens-suppressions.json (12 findings)`. */
  wrote?: { file: string; accepted: number };
}

export interface BaselineInput {
  opts: LintOptions;
  cwd: string;
  root: string;
  findings: Finding[];
  /** Files analysed this run (project paths): only their entries are rewritten or called unused. */
  analysed: readonly string[];
  textOf(file: string): string | undefined;
  reportUnused: boolean;
  known: readonly string[];
}

function readBaseline(abs: string, shown: string): Baseline | undefined {
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return undefined;
    throw new CliError(`${shown}: cannot be read (${err.code ?? err.message})`);
  }
  const doc = readConfigDocument(text);
  if (doc.raw === undefined) {
    throw new CliError(`${formatConfigIssues(shown, doc.issues).join('; ')} (fix it, or delete it and run querylens lint --suppress-all again)`);
  }
  const { baseline, errors } = validateBaseline(doc.raw);
  if (errors.length) throw new CliError(`${shown}: ${errors.join('; ')}`);
  return baseline;
}

export function applyBaseline(input: BaselineInput): BaselineRun {
  const { opts, cwd, root, analysed, textOf } = input;
  const abs = opts.suppressionsFile ? path.resolve(cwd, opts.suppressionsFile) : path.join(root, SUPPRESSIONS_FILE);
  const shown = path.relative(cwd, abs).split(path.sep).join('/') || abs;
  for (const id of opts.suppressRules) {
    if (!input.known.includes(id)) throw unknownRule('--suppress-rule', id, input.known);
  }
  const writing = opts.suppressAll || opts.suppressRules.length > 0;
  const existing = readBaseline(abs, shown);
  if (!existing && !writing) return { findings: input.findings, suppressed: 0, problems: [] };

  let baseline = existing ?? emptyBaseline();
  let wrote: BaselineRun['wrote'];
  if (writing) {
    baseline = suppressFindings(baseline, input.findings, textOf, analysed, opts.suppressAll ? undefined : opts.suppressRules);
  }
  const match = matchBaseline(input.findings, baseline, textOf, analysed);
  const exists = (file: string) => fs.existsSync(path.join(root, file));
  if (opts.pruneSuppressions) baseline = pruneBaseline(baseline, match.unused, exists);
  if (writing || opts.pruneSuppressions) {
    const text = serializeBaseline(baseline);
    try {
      writeAtomically(abs, text);
    } catch (e) {
      throw new CliError(`${shown}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    wrote = { file: shown, accepted: match.suppressed.length };
  }

  const problems: Problem[] = [];
  if (input.reportUnused && !opts.pruneSuppressions) {
    for (const u of match.unused) {
      problems.push({
        kind: 'unused-suppression',
        file: u.file,
        message: `${shown}: ${u.count} accepted ${u.ruleId} finding${u.count === 1 ? '' : 's'} (fingerprint ${u.fingerprint}) no longer occur${u.count === 1 ? 's' : ''} here; querylens lint --prune-suppressions drops ${u.count === 1 ? 'it' : 'them'}`,
      });
    }
    for (const file of Object.keys(baseline.suppressions)) {
      if (!exists(file)) {
        problems.push({ kind: 'unused-suppression', file, message: `${shown}: entries for ${file}, which no longer exists; querylens lint --prune-suppressions drops them` });
      }
    }
  }
  return { findings: match.reported, suppressed: match.suppressed.length, problems, wrote };
}
