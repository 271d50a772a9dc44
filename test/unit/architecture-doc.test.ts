/** Every path named in ARCHITECTURE.md's code map exists (postgres-language-server does the same). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

describe('ARCHITECTURE.md', () => {
  it('names only paths that exist', () => {
    const text = fs.readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');
    const paths = new Set<string>();
    for (const m of text.matchAll(/`((?:engine|rules|cli|server|client|fixtures|test|docs|scripts|examples|bin)\/[A-Za-z0-9_./-]*)`/g)) {
      const p = m[1].replace(/\/$/, '');
      if (p.includes('<')) continue;
      paths.add(p);
    }
    assert.ok(paths.size > 20, `only ${paths.size} paths found`);
    const missing = [...paths].filter((p) => !fs.existsSync(path.join(ROOT, p)));
    assert.deepEqual(missing, []);
  });
});
