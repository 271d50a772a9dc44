/** What ends a CLI run with exit code 2, and the one way the CLI writes files. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { didYouMean } from '../engine';

/** An error that ends the run with exit code 2; the message names the cause. */
export class CliError extends Error {}

/** "unknown rule id" for a rule named on the command line, with the nearest known id. */
export function unknownRule(flag: string, id: string, known: readonly string[]): CliError {
  const near = didYouMean(id, known);
  return new CliError(`${flag} ${id}: unknown rule id (${near ? `did you mean "${near}"?` : `known: ${known.join(', ') || 'none registered'}`})`);
}

/** Writes through a temporary file in the same directory and a rename, so a crash never leaves half a file. */
export function writeAtomically(abs: string, text: string): void {
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  let mode: number | undefined;
  try {
    mode = fs.statSync(abs).mode & 0o7777;
  } catch {
    mode = undefined;
  }
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.querylens-${process.pid}-${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, text, mode === undefined ? undefined : { mode });
    fs.renameSync(tmp, abs);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // Nothing was written.
    }
    throw e;
  }
}

