/**
 * Architecture invariants (ARCHITECTURE.md): the engine and rules are pure —
 * no file system, no process, no editor APIs — and only engine/sql/parser.ts
 * imports the SQL parser. Adapters import the engine through engine/index.ts.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const ent of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${ent.name}`;
    if (ent.isDirectory()) out.push(...tsFiles(rel));
    else if (rel.endsWith('.ts')) out.push(rel);
  }
  return out;
}

function imports(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const out: string[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

describe('architecture invariants', () => {
  const pure = [...tsFiles('engine'), ...tsFiles('rules')];

  it('engine/ and rules/ import no fs, process, child_process, net or vscode modules', () => {
    const bad: string[] = [];
    for (const f of pure) {
      for (const i of imports(f)) {
        if (/^(node:)?(fs|fs\/promises|child_process|net|http|https|worker_threads|process)$/.test(i) || /^vscode/.test(i)) bad.push(`${f} imports ${i}`);
      }
      const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
      if (/\bprocess\.(env|argv|exit|cwd)\b/.test(text)) bad.push(`${f} uses process`);
    }
    assert.deepEqual(bad, []);
  });

  it('only engine/sql/parser.ts imports libpg-query', () => {
    const all = ['engine', 'rules', 'cli', 'server', 'client', 'scripts'].filter((d) => fs.existsSync(path.join(ROOT, d))).flatMap(tsFiles);
    const importers = all.filter((f) => imports(f).includes('libpg-query'));
    assert.deepEqual(importers.filter((f) => !f.startsWith('scripts/')), ['engine/sql/parser.ts']);
  });

  it('adapters (cli/, server/) reach the engine only through engine/index.ts', () => {
    const bad: string[] = [];
    for (const dir of ['cli', 'server']) {
      if (!fs.existsSync(path.join(ROOT, dir))) continue;
      for (const f of tsFiles(dir)) {
        for (const i of imports(f)) if (/\.\.\/(\.\.\/)?(engine|rules)\/(?!index$)/.test(i)) bad.push(`${f} imports ${i}`);
      }
    }
    assert.deepEqual(bad, []);
  });
});
