/**
 * The callers scan's answers (engine/sources/callers.ts) are kept while the files naming the function keep their
 * text, and only then: an edit elsewhere keeps them (the language server's keystroke in another file), a file that
 * starts or stops naming it drops them (engine/reads.ts ChangedFile).
 */
import assert from 'node:assert/strict';
import * as ts from 'typescript';
import { memoryProject } from './memory-project';
import { callersOf, filesNaming } from '../../engine/sources/callers';
import { ChangedFile, namesWord, namingRead } from '../../engine/reads';
import type { Project } from '../../engine/project';

const HELPER = 'export function total(xs: number[]) {\n  return xs.length;\n}\n';

function fnOf(project: Project): ts.FunctionDeclaration {
  const sf = project.tsAst('a.ts')!;
  return sf.statements.find(ts.isFunctionDeclaration)!;
}

/** callersOf's answer as file names, and how many times the scan ran (a memo miss) so far. */
function probe(project: Project): () => { callers: string[] | undefined; scans: number } {
  let scans = 0;
  const memo = project.memo.bind(project);
  project.memo = <T>(key: string, text: string, compute: () => T): T =>
    memo(key, text, key.startsWith('callers:') ? () => (scans++, compute()) : compute);
  return () => ({ callers: callersOf(project, 'a.ts', fnOf(project))?.map((c) => c.file), scans });
}

const caller = (list: string) => `import { total } from './a';\nexport const n = total([${list}]);\n`;

describe('sources/callers: what keeps an answer', () => {
  it('an edit to a file that does not name the function keeps the scan; one that names it, or stops naming it, does not', () => {
    const project = memoryProject({ 'a.ts': HELPER, 'b.ts': caller('1, 2'), 'c.ts': 'export const other = 1;\n' });
    const ask = probe(project);
    assert.deepEqual(ask(), { callers: ['b.ts'], scans: 1 });
    project.setFile('c.ts', 'export const other = 2;\n');
    assert.deepEqual(ask(), { callers: ['b.ts'], scans: 1 }, 'c.ts never names total: the answer stays');
    project.setFile('c.ts', caller('3'));
    assert.deepEqual(ask(), { callers: ['b.ts', 'c.ts'], scans: 2 }, 'c.ts now calls total');
    project.setFile('b.ts', 'export const n = 0;\n');
    assert.deepEqual(ask(), { callers: ['c.ts'], scans: 3 }, 'b.ts no longer does');
  });

  it('past the limit of files naming it, a file that stops naming it brings the answer back', () => {
    const files: Record<string, string> = { 'a.ts': HELPER };
    for (let i = 0; i < 40; i++) files[`b${i}.ts`] = caller(String(i));
    const project = memoryProject(files);
    const ask = probe(project);
    assert.equal(ask().callers, undefined, '41 files name total: too common a name to read its callers');
    project.setFile('b0.ts', 'export const n = 0;\n');
    assert.equal(ask().callers?.length, 39);
  });

  it('ChangedFile: the path itself, and the naming reads of words the new text has', () => {
    const change = new ChangedFile('x.ts', 'total(1); const totals = 2;\n');
    assert.equal(change.hits(['x.ts']), true);
    assert.equal(change.hits([namingRead('total')]), true);
    assert.equal(change.hits(new Set([namingRead('tot'), 'y.ts'])), false, 'a word, not a substring');
    assert.equal(new ChangedFile('x.ts', undefined).hits([namingRead('total')]), false, 'a file gone counts by its path only');
    assert.equal(new ChangedFile('x.ts', '$total').hits([namingRead('$total')]), true);
  });

  it('filesNaming: the files whose text has the name as a word, whatever the number of names asked (the sketches spare searches only)', () => {
    const texts: Record<string, string> = {
      'a.ts': 'export function total() {}\n',
      'b.ts': 'x',
      'c.ts': 'ab',
      'd.ts': 'const t = $total + totals + _total_ + café(1);\nid(x); a$b;\n',
      'e.ts': 'total',
      'f.ts': 'x.total$ = subtotal; total2;\n',
    };
    const project = memoryProject(texts);
    const files = Object.keys(texts);
    const names = ['zz', 'id', 'x', 'ab', 'total', '$total', 'totals', '_total_', 'café', 'a$b', 'total$', 'subtotal', 'total2', 'missing', 'tota'];
    for (const name of names) {
      const expected = files.filter((f) => namesWord(texts[f], name));
      assert.deepEqual([...filesNaming(project, files, name)].sort(), expected, name);
    }
  });
});
