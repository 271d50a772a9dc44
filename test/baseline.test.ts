/**
 * Baseline suppressions: the engine's fingerprints and matching
 * (engine/baseline.ts), and `querylens lint --suppress-all` /
 * `--suppress-rule` / `--prune-suppressions` / `--report-unused-suppressions`
 * on a copy of the example project, run in-process.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type LintOptions, parseArgs } from '../cli/args';
import { runLint } from '../cli/lint';
import { type Finding, SUPPRESSIONS_FILE, emptyBaseline, findingFingerprint, matchBaseline, pruneBaseline, serializeBaseline, suppressFindings, validateBaseline } from '../engine';

const repo = path.join(__dirname, '..');

function finding(file: string, text: string, needle: string, ruleId = 'n-plus-one', nth = 0): Finding {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = text.indexOf(needle, at + 1);
  assert.ok(at >= 0, needle);
  return { ruleId, severity: 'warning', message: 'm', file, range: { start: at, end: at + needle.length }, related: [], fixes: [] };
}

describe('baseline fingerprints and matching (engine)', () => {
  const A = 'for (const id of ids) {\n  await db.query(q, [id]);\n}\n';
  const moved = '// a comment\n\nfunction f() {\n    for (const id of ids) {\n        await db.query(q, [id]);\n    }\n}\n';

  it('a fingerprint ignores position and indentation, not the rule or the code', () => {
    const a = findingFingerprint(finding('a.ts', A, 'db.query'), A);
    assert.equal(findingFingerprint(finding('a.ts', moved, 'db.query'), moved), a);
    assert.notEqual(findingFingerprint(finding('a.ts', A, 'db.query', 'over-fetching'), A), a);
    const changed = A.replace('[id]', '[id, 1]');
    assert.notEqual(findingFingerprint(finding('a.ts', changed, 'db.query'), changed), a);
    assert.match(a, /^[0-9a-z]{11}$/);
  });

  it('a range ending right after a newline does not take in the next line', () => {
    const t = 'one\ntwo\n';
    const f = { ruleId: 'r', range: { start: 0, end: 4 } };
    assert.equal(findingFingerprint(f, t), findingFingerprint(f, 'one\nthree\n'));
  });

  it('counts per file, rule and fingerprint: identical lines beyond the count are new', () => {
    const text = 'await db.query(q);\nawait db.query(q);\nawait db.query(q);\n';
    const textOf = () => text;
    const two = [finding('a.ts', text, 'db.query', 'n-plus-one', 0), finding('a.ts', text, 'db.query', 'n-plus-one', 1)];
    const base = suppressFindings(emptyBaseline(), two, textOf, ['a.ts']);
    const all = [...two, finding('a.ts', text, 'db.query', 'n-plus-one', 2)];
    const m = matchBaseline(all, base, textOf, ['a.ts']);
    assert.equal(m.suppressed.length, 2);
    assert.deepEqual(m.reported, [all[2]]);
    assert.deepEqual(m.unused, []);
    // One fixed: one accepted entry left over, which pruning removes.
    const m2 = matchBaseline([two[0]], base, textOf, ['a.ts']);
    assert.equal(m2.unused.length, 1);
    assert.equal(m2.unused[0].count, 1);
    const pruned = pruneBaseline(base, m2.unused, () => true);
    assert.equal(Object.values(pruned.suppressions['a.ts']['n-plus-one'])[0], 1);
    assert.deepEqual(pruneBaseline(base, [], (f) => f !== 'a.ts').suppressions, {});
  });

  it('--suppress-rule replaces only that rule, and only in the linted files', () => {
    const text = 'x\n';
    const f1 = finding('a.ts', text, 'x', 'over-fetching');
    const start = validateBaseline({ version: 1, suppressions: { 'a.ts': { 'n-plus-one': { abc: 2 }, 'over-fetching': { old: 1 } }, 'b.ts': { 'over-fetching': { keep: 1 } } } }).baseline;
    const out = suppressFindings(start, [f1], () => text, ['a.ts'], ['over-fetching']);
    assert.deepEqual(out.suppressions['a.ts']['n-plus-one'], { abc: 2 });
    assert.deepEqual(Object.keys(out.suppressions['a.ts']['over-fetching']), [findingFingerprint(f1, text)]);
    assert.deepEqual(out.suppressions['b.ts'], { 'over-fetching': { keep: 1 } });
  });

  it('the file round-trips with sorted keys; a malformed one names each bad path', () => {
    const b = validateBaseline({ version: 1, suppressions: { 'z.ts': { r: { b: 1, a: 2 } }, 'a.ts': { r: { c: 1 } } } });
    assert.deepEqual(b.errors, []);
    const text = serializeBaseline(b.baseline);
    assert.ok(text.indexOf('a.ts') < text.indexOf('z.ts'));
    assert.deepEqual(validateBaseline(JSON.parse(text)).baseline, b.baseline);
    const bad = validateBaseline({ version: 2, suppressions: { 'a.ts': { r: { x: 0, y: 'two' } }, 'b.ts': [] }, extra: 1 });
    assert.deepEqual(bad.errors, [
      'version: expected 1, got 2',
      'extra: unknown key (expected version, suppressions)',
      'suppressions["a.ts"]["r"]["x"]: must be a positive integer count',
      'suppressions["a.ts"]["r"]["y"]: must be a positive integer count',
      'suppressions["b.ts"]: must be an object of rule id → fingerprint → count',
    ]);
  });
});

describe('querylens lint with a baseline (copy of the example, in-process)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-baseline-'));
    fs.cpSync(path.join(repo, 'examples', 'feature-store'), dir, { recursive: true });
    // The example's config points at the repository's schema; the copy is elsewhere.
    const cfg = path.join(dir, 'querylens.config.json');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace(/"\$schema": "[^"]*",/, ''));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function lint(...args: string[]) {
    let out = '';
    let err = '';
    const code = await runLint(parseArgs(['lint', '--format', 'json', ...args]) as LintOptions, {
      cwd: dir,
      env: {},
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
    });
    const doc = JSON.parse(out) as {
      findings: { ruleId: string; file: string; line: number; message: string }[];
      problems: { kind: string; file: string; message: string }[];
      summary: { warnings: number; suppressed: number };
    };
    return { code, doc, err };
  }
  const edit = (rel: string, fn: (t: string) => string) => fs.writeFileSync(path.join(dir, rel), fn(fs.readFileSync(path.join(dir, rel), 'utf8')));
  const baselineFile = () => JSON.parse(fs.readFileSync(path.join(dir, SUPPRESSIONS_FILE), 'utf8'));

  it('--suppress-all accepts today; a new N+1 fails the run, a moved old one does not; prune drops a fixed one', async () => {
    const first = await lint();
    assert.equal(first.code, 1);
    const total = first.doc.findings.length;
    assert.ok(total >= 10, `${total} findings`);

    const accepted = await lint('--suppress-all');
    assert.equal(accepted.code, 0);
    assert.equal(accepted.doc.findings.length, 0);
    assert.equal(accepted.doc.summary.suppressed, total);
    assert.match(accepted.err, new RegExp(`wrote ${SUPPRESSIONS_FILE} \\(${total} accepted findings\\)`));
    const written = baselineFile();
    assert.equal(written.version, 1);
    assert.ok(written.suppressions['src/jobs/refresh-features.ts']['n-plus-one']);

    // Move the old N+1 (refreshFeatures) below staleSince, re-indented, and add a new N+1.
    const job = 'src/jobs/refresh-features.ts';
    edit(job, (t) => {
      const start = t.indexOf('// Runs every 10 minutes');
      const end = t.indexOf('export async function staleSince');
      const moved = t.slice(start, end).replace(/\n {4}/g, '\n      ');
      return (
        t.slice(0, start) +
        t.slice(end) +
        '\n' +
        moved +
        '\nexport async function featureNames(ids: number[]) {\n  const names: string[] = [];\n  for (const id of ids) {\n    const [f] = await sql`SELECT name FROM features WHERE id = ${id}`;\n    names.push(f.name);\n  }\n  return names;\n}\n'
      );
    });
    const after = await lint();
    assert.equal(after.code, 1);
    assert.deepEqual(
      after.doc.findings.map((f) => `${f.file}:${f.line} ${f.ruleId}`),
      [`${job}:${fs.readFileSync(path.join(dir, job), 'utf8').split('\n').findIndex((l) => l.includes('SELECT name FROM features WHERE id')) + 1} n-plus-one`],
    );
    assert.equal(after.doc.summary.suppressed, total);

    // Fix an accepted finding (date(computed_at) → a one-sided range on computed_at, not a claim): it is unused now.
    edit(job, (t) => t.replace('WHERE date(computed_at) = current_date - ${days}::int', "WHERE computed_at < now() - make_interval(days => ${days})"));
    const unused = await lint('--report-unused-suppressions');
    const stale = unused.doc.problems.filter((p) => p.kind === 'unused-suppression');
    assert.equal(stale.length, 1, JSON.stringify(unused.doc.problems));
    assert.equal(stale[0].file, job);
    assert.match(stale[0].message, /querylens-suppressions\.json: 1 accepted unindexed-predicate finding .* no longer occurs here; querylens lint --prune-suppressions drops it/);
    assert.equal(unused.code, 1);

    const before = written.suppressions[job]['unindexed-predicate'];
    assert.equal(Object.keys(before).length, 1);
    const pruned = await lint('--prune-suppressions', '--report-unused-suppressions');
    assert.equal(pruned.doc.problems.filter((p) => p.kind === 'unused-suppression').length, 0);
    const now = baselineFile();
    assert.equal(now.suppressions[job]['unindexed-predicate'], undefined);
    assert.deepEqual(now.suppressions[job]['n-plus-one'], written.suppressions[job]['n-plus-one']);
    // Everything else is as it was.
    delete written.suppressions[job]['unindexed-predicate'];
    assert.deepEqual(now, written);
  });

  it('--suppress-rule accepts one rule; the others still fail the run; an unknown id is a usage error', async () => {
    const r = await lint('--suppress-rule', 'unindexed-predicate');
    assert.equal(r.code, 1);
    assert.ok(r.doc.findings.length > 0);
    assert.ok(r.doc.findings.every((f) => f.ruleId !== 'unindexed-predicate'));
    assert.deepEqual(
      [...new Set(Object.values(baselineFile().suppressions).flatMap((rules) => Object.keys(rules as object)))],
      ['unindexed-predicate'],
    );
    await assert.rejects(lint('--suppress-rule', 'n-plus-on'), /--suppress-rule n-plus-on: unknown rule id/);
  });

  it('a malformed suppressions file is a configuration error naming the file', async () => {
    fs.writeFileSync(path.join(dir, SUPPRESSIONS_FILE), '{ "version": 1, "suppressions": { "a.ts": { "n-plus-one": { "x": -1 } } } }');
    await assert.rejects(lint(), /querylens-suppressions\.json: suppressions\["a\.ts"\]\["n-plus-one"\]\["x"\]: must be a positive integer count/);
  });
});
