/**
 * server/convert.ts: engine offsets → LSP positions and edits. The protocol
 * tests cover the wire; these pin the maths the wire depends on.
 */
import * as assert from 'node:assert/strict';
import { type Finding, type Fix, LineIndex } from '../../engine';
import { type FileResolver, findingToDiagnostic, fixToCodeAction, nonOverlappingSafeFixes, problemToDiagnostic, toLspRange, toWorkspaceEdit } from '../../server/convert';
import { importedPaths } from '../../server/imports';
import { stripUntrusted } from '../../server/workspace';

function finding(start: number, end: number, fixes: Fix[] = []): Finding {
  return { ruleId: 'over-fetching', severity: 'warning', message: 'm', file: 'a.ts', range: { start, end }, related: [], fixes };
}

const resolver = (texts: Record<string, string>): FileResolver => ({
  uri: (p) => `file:///w/${p}`,
  text: (p) => texts[p],
});

describe('server/convert', () => {
  it('counts UTF-16 code units, so astral characters before a finding shift the column by 2', () => {
    const text = "const a = '😀'; db.query('SELECT * FROM t');\r\nnext";
    const lines = new LineIndex(text);
    const start = text.indexOf('SELECT');
    const r = toLspRange(lines, { start, end: start + 6 });
    assert.deepEqual(r.start, { line: 0, character: start });
    assert.equal(start, "const a = '".length + 2 + "'; db.query('".length);
    const n = text.indexOf('next');
    assert.deepEqual(toLspRange(lines, { start: n, end: n + 4 }).start, { line: 1, character: 0 });
  });

  it('maps a finding to a diagnostic with rule code, doc link, related locations in other files and fixes in data', () => {
    const f = finding(0, 5, [{ title: 't', safety: 'safe', edits: [{ file: 'a.ts', range: { start: 0, end: 5 }, newText: 'x' }] }]);
    f.related = [{ file: 'b.ts', range: { start: 4, end: 6 }, message: 'loop here' }, { file: 'gone.ts', range: { start: 0, end: 1 }, message: 'x' }];
    f.severity = 'error';
    const d = findingToDiagnostic(f, new LineIndex('hello world'), 7, resolver({ 'b.ts': 'ab\ncdefg' }));
    assert.equal(d.code, 'over-fetching');
    assert.equal(d.severity, 1);
    assert.equal(d.codeDescription?.href, 'https://github.com/querylens/querylens/blob/main/docs/rules/over-fetching.md');
    // The related location in a file that cannot be read is dropped, not guessed.
    assert.deepEqual(d.relatedInformation, [{ location: { uri: 'file:///w/b.ts', range: { start: { line: 1, character: 1 }, end: { line: 1, character: 3 } } }, message: 'loop here' }]);
    assert.deepEqual(d.data, { ruleId: 'over-fetching', version: 7, fixes: f.fixes });
  });

  it('maps problems to information or hints with the problem kind as code', () => {
    const lines = new LineIndex('a\nbb\n');
    const p = problemToDiagnostic({ kind: 'unparseable-sql', file: 'q.sql', line: 2, message: 'bad' }, lines);
    assert.equal(p.severity, 3);
    assert.equal(p.code, 'unparseable-sql');
    assert.deepEqual(p.range, { start: { line: 1, character: 0 }, end: { line: 1, character: 2 } });
    assert.equal(problemToDiagnostic({ kind: 'skipped-file', file: 'q.sql', message: 'big' }, lines).severity, 4);
  });

  it('turns an edit to a missing file into CreateFile + TextDocumentEdit, and refuses it without documentChanges', () => {
    const edits = [
      { file: 'a.ts', range: { start: 2, end: 3 }, newText: 'Z' },
      { file: 'migrations/002_idx.sql', range: { start: 0, end: 0 }, newText: 'CREATE INDEX ...;\n' },
    ];
    const r = resolver({ 'a.ts': 'abc' });
    const we = toWorkspaceEdit(edits, r, { documentChanges: true, createFiles: true, versionOf: (p) => (p === 'a.ts' ? 3 : null) })!;
    assert.deepEqual(we.documentChanges, [
      { textDocument: { uri: 'file:///w/a.ts', version: 3 }, edits: [{ range: { start: { line: 0, character: 2 }, end: { line: 0, character: 3 } }, newText: 'Z' }] },
      { kind: 'create', uri: 'file:///w/migrations/002_idx.sql', options: { ignoreIfExists: true } },
      {
        textDocument: { uri: 'file:///w/migrations/002_idx.sql', version: null },
        edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: 'CREATE INDEX ...;\n' }],
      },
    ]);
    assert.equal(toWorkspaceEdit(edits, r, { documentChanges: false, createFiles: false, versionOf: () => null }), undefined);
    assert.deepEqual(toWorkspaceEdit([edits[0]], r, { documentChanges: false, createFiles: false, versionOf: () => null }), {
      changes: { 'file:///w/a.ts': [{ range: { start: { line: 0, character: 2 }, end: { line: 0, character: 3 } }, newText: 'Z' }] },
    });
  });

  it('marks safe fixes as preferred quick fixes, suggestions not', () => {
    const edit = { changes: {} };
    const safe = fixToCodeAction({ title: 'safe', safety: 'safe', edits: [] }, undefined, edit);
    const sugg = fixToCodeAction({ title: 'sugg', safety: 'suggestion', edits: [] }, undefined, edit);
    assert.equal(safe.kind, 'quickfix');
    assert.equal(safe.isPreferred, true);
    assert.equal(sugg.isPreferred, undefined);
  });

  it('fix-all takes whole safe fixes that do not overlap, skipping suggestions', () => {
    const e = (s: number, t: number) => ({ file: 'a.ts', range: { start: s, end: t }, newText: '' });
    const fixes = nonOverlappingSafeFixes([
      finding(0, 5, [{ title: 'A', safety: 'safe', edits: [e(0, 5)] }]),
      finding(3, 8, [{ title: 'B overlaps A', safety: 'safe', edits: [e(3, 8)] }]),
      finding(10, 12, [{ title: 'C suggestion', safety: 'suggestion', edits: [e(10, 12)] }]),
      finding(20, 22, [{ title: 'D', safety: 'safe', edits: [e(20, 22), e(30, 31)] }]),
    ]);
    assert.deepEqual(fixes.map((f) => f.title), ['A', 'D']);
  });
});

describe('server/imports and untrusted settings', () => {
  it('resolves relative import specifiers to candidate project paths', () => {
    const p = importedPaths('src/api/users.ts', "import { a } from '../db/helpers.js';\nimport x from 'pg';\nconst y = require('./local');\nexport * from '../repo';\n");
    assert.ok(p.has('src/db/helpers.ts'));
    assert.ok(p.has('src/api/local.ts'));
    assert.ok(p.has('src/repo/index.ts'));
    assert.ok(![...p].some((x) => x.includes('pg')));
  });

  it('drops database, command and *Path keys at any depth', () => {
    const r = stripUntrusted({ database: 'x', tables: { t: { rows: 1 } }, tools: { command: 'rm', explainPath: '/x', keep: 1 } });
    assert.deepEqual(r.value, { tables: { t: { rows: 1 } }, tools: { keep: 1 } });
    assert.deepEqual(r.dropped, ['database', 'tools.command', 'tools.explainPath']);
  });
});
