/** Throw-away projects for the CLI and hostile-input tests: relative path → content, written under a fresh temp folder. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Writes each file of `files` under `dir`, creating folders. */
export function writeTree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  }
}

/** A new folder `<parent>/<prefix>XXXXXX` holding `files`, recorded in `temps` for the suite's cleanup. */
export function makeProject(files: Record<string, string | Buffer>, temps: string[], prefix: string, parent = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(parent, prefix));
  temps.push(dir);
  writeTree(dir, files);
  return dir;
}
