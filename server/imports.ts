/**
 * Which project files an open document imports, so a change to a helper
 * re-analyses exactly the open documents that depend on it. A scan of
 * relative specifiers is enough here: the engine resolves imports itself for
 * analysis; the server only needs "might this document read that file".
 */
import * as path from 'node:path';

const SPECIFIER_RE = /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s+['"]([^'"]+)['"]/g;

const EXTS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

/** Project paths a relative specifier may name (TypeScript's `.js` → `.ts` mapping and `index` files included). */
function candidates(fromRel: string, spec: string): string[] {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(fromRel), spec));
  if (base.startsWith('..')) return [];
  const out = [base];
  const stem = base.replace(/\.([cm]?[jt]sx?)$/, '');
  for (const e of EXTS) out.push(stem + e, `${base}/index${e}`);
  return out;
}

export function importedPaths(fromRel: string, text: string): Set<string> {
  const out = new Set<string>();
  SPECIFIER_RE.lastIndex = 0;
  for (let m = SPECIFIER_RE.exec(text); m; m = SPECIFIER_RE.exec(text)) {
    const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
    if (!spec || !spec.startsWith('.')) continue;
    for (const c of candidates(fromRel, spec)) out.add(c);
  }
  return out;
}
