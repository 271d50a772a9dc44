/**
 * Output that cannot inject, and exit codes that say what happened: a file
 * name with a newline and an identifier with terminal escapes in every
 * format; unreadable directories and files; --output to a place that cannot
 * be written; model values out of range.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FORMATS } from '../../cli/args';
import { safeText } from '../../cli/formats/escape';
import { parseConfig, ruleIds } from '../../engine';
import { RAW_CONTROL, cleanTemps, lint, tempProject } from './helpers';

// The module object itself (the namespace import is read-only): the CLI reads through it at call time.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fsm = require('node:fs') as typeof fs;

const EVIL_TABLE = 'evil\u001b]0;pwned\u0007\u009b31m\u202e';
const EVIL_FILE = 'q\n::error title=x::pwned\u001b[2J.sql';

describe('hostile input: output', () => {
  after(cleanTemps);

  it('escapes control characters in file names, identifiers and messages, in every format', async () => {
    const d = tempProject({
      'migrations/001_init.sql': `CREATE TABLE "${EVIL_TABLE}" (id int primary key, a int, b text);\n`,
      [EVIL_FILE]: `SELECT * FROM "${EVIL_TABLE}" WHERE a = 1;\n`,
    });
    for (const format of FORMATS) {
      const r = await lint(d, ['--format', format]);
      assert.equal(r.code, 1, `${format}: ${r.err}`);
      assert.ok(!RAW_CONTROL.test(r.out), `${format} prints a raw control character: ${JSON.stringify(r.out.slice(0, 400))}`);
      // No line of its own that a CI log would take for a workflow command.
      const lines = r.out.split('\n');
      const commands = lines.filter((l) => l.startsWith('::'));
      if (format === 'github') assert.ok(commands.every((l) => /^::(warning|error|notice) file=/.test(l)), commands.join('\n'));
      else assert.deepEqual(commands, [], format);
      if (format === 'json' || format === 'sarif') {
        // The data stays exact: the escapes are JSON's own.
        const text = JSON.stringify(JSON.parse(r.out));
        assert.ok(text.includes('pwned'), format);
        assert.ok(JSON.parse(r.out) && r.out.includes('\\u001b'), format);
      }
    }
  });

  it('safeText shows every control character and keeps the rest', () => {
    assert.equal(safeText('a\nb\u001b[31mc\u0007\u202ed é'), 'a\\nb\\e[31mc\\x07\\u202ed é');
    assert.equal(safeText('line\nbreak', '\n'), 'line\nbreak');
  });

  it('reports a directory it cannot read, and exits 2 when no file could be read', async () => {
    // A comma join with no predicate: a finding without any schema.
    const d = tempProject({ 'ok/a.sql': 'SELECT t.id FROM t, u;\n', 'locked/b.sql': 'SELECT t.id FROM t, u;\n' });
    const realReaddir = fsm.readdirSync;
    const realRead = fsm.readFileSync;
    const denied = (p: fs.PathOrFileDescriptor) => typeof p === 'string' && p.includes(`${path.sep}locked`);
    const eacces = (p: string) => Object.assign(new Error(`EACCES: permission denied, ${p}`), { code: 'EACCES' });
    // Root reads every directory whatever its mode: deny through the one call the walk makes.
    (fsm as { readdirSync: unknown }).readdirSync = function (p: fs.PathLike, o?: unknown) {
      if (denied(String(p))) throw eacces(String(p));
      return (realReaddir as (p: fs.PathLike, o?: unknown) => unknown)(p, o);
    };
    try {
      const r = await lint(d, ['--format', 'json']);
      const report = JSON.parse(r.out);
      assert.ok(
        report.problems.some((p: { kind: string; file: string; message: string }) => p.kind === 'unreadable-file' && p.file === 'locked' && /permission denied/.test(p.message)),
        JSON.stringify(report.problems),
      );
      assert.equal(report.findings.length, 1, 'the readable directory is still linted');
    } finally {
      (fsm as { readdirSync: unknown }).readdirSync = realReaddir;
    }
    (fsm as { readFileSync: unknown }).readFileSync = function (p: fs.PathOrFileDescriptor, o?: unknown) {
      if (typeof p === 'string' && p.endsWith('.sql')) throw eacces(p);
      return (realRead as (p: fs.PathOrFileDescriptor, o?: unknown) => unknown)(p, o);
    };
    try {
      const r = await lint(d, ['--format', 'json']);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /none of the 2 files to lint could be read/);
      assert.equal(JSON.parse(r.out).problems.filter((p: { kind: string }) => p.kind === 'unreadable-file').length, 2);
    } finally {
      (fsm as { readFileSync: unknown }).readFileSync = realRead;
    }
  });

  it('--output to a place that cannot be written fails with exit 2 and a message (no endless mkdir under /proc)', async () => {
    const d = tempProject({ 'a.sql': 'SELECT 1;\n' });
    for (const out of ['/proc/querylens-test/deeper/report.json', path.join(d, 'a.sql', 'x.json')]) {
      const r = await lint(d, ['--output', out]);
      assert.equal(r.code, 2);
      assert.match(r.err, /--output .*cannot write \((ENOENT|ENOTDIR|EACCES|EROFS|EPERM)\)/);
    }
    const ok = await lint(d, ['--output', 'reports/nested/out.txt']);
    assert.equal(ok.code, 0, ok.err);
    assert.ok(fs.existsSync(path.join(d, 'reports/nested/out.txt')));
  });

  it('rejects out-of-range and misspelt model values, naming the key', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ model: { roundTripMs: 1e308 } }, /model\.roundTripMs: must be at most/],
      [{ model: { roundTripMS: 1 } }, /model\.roundTripMS: unknown model parameter/],
      [{ model: { seqScanRowsPerMs: 0 } }, /model\.seqScanRowsPerMs: must be greater than 0/],
      [{ model: { defaultResultColumns: 0 } }, /model\.defaultResultColumns: must be at least 1/],
      [{ tables: { t: { rows: 1e300 } } }, /tables\.t\.rows: must be at most/],
      [{ budgets: { f: 1e300 } }, /budgets\.f: must be at most/],
      [{ model: { toString: 1 } }, /model\.toString: unknown model parameter/],
    ];
    for (const [cfg, re] of cases) assert.throws(() => parseConfig(cfg, ruleIds()), re);
    assert.doesNotThrow(() => parseConfig({ model: { roundTripMs: 60000, seqScanRowsPerMs: 1 } }, ruleIds()));
  });
});
