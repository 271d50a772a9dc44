/**
 * `--format sarif` against the official SARIF 2.1.0 JSON schema (OASIS
 * sarif-2.1.0-rtm.5, shipped by the @microsoft/jest-sarif package), plus the
 * details mission §5 asks for: 1-based regions, UTF-16 columns, paths
 * relative to the working directory, estimates, fixes, notifications.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { type Finding, type Problem, formatMs, roundMs } from '../engine';
import { buildSarif, pathToUri } from '../cli/formats/sarif';
import { type Report, type Rule, makeLocator } from '../cli/report';
import { defineRule } from '../rules/define-rule';
import { parseArgs, type LintOptions } from '../cli/args';
import { runLint } from '../cli/lint';

const SCHEMA_PATH = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');

function sarifValidator() {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf8'));
  // The official file declares draft-04 (`$schema`, top-level `id`). Its keywords are the
  // draft-04 subset Ajv's default draft-07 reads identically (no boolean exclusiveMinimum),
  // so only the two identity keys are dropped before compiling.
  assert.match(schema.title, /SARIF\) Version 2\.1\.0/);
  delete schema.$schema;
  delete schema.id;
  // unicodeRegExp: false because the official file has a `pattern` (the `language` tag,
  // `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`) that is valid only without the `u` flag.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

const fakeRule: Rule = defineRule({
  id: 'fake-rule',
  meta: {
    summary: 'A test rule',
    defaultSeverity: 'warning',
    fix: 'sometimes',
    languages: ['sql', 'ts'],
    docs: { what: 'Flags things.', why: 'Because.', example: { language: 'sql', code: 'x' }, useInstead: { language: 'sql', code: 'y' }, fixSafety: 'safe', estimate: 'none' },
  },
  check() {},
});

// "é" is one UTF-16 unit, "😀" two: columns after them prove UTF-16 counting.
const TEXTS: Record<string, string> = {
  'src/a b.ts': "const s = 'é😀';\nawait db.query('SELECT * FROM users');\n",
  'migrations/001.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n',
};

function syntheticReport(cwd: string, findings: Finding[], problems: Problem[]): Report {
  const displayPath = (f: string) => path.relative(cwd, path.join(cwd, f)).split(path.sep).join('/');
  return {
    toolVersion: '9.9.9',
    cwd,
    findings,
    problems,
    fixed: [],
    summary: { files: 2, errors: 0, warnings: findings.length, infos: 0, problems: problems.length, fixed: 0, suppressed: 0 },
    rules: [fakeRule],
    displayPath,
    locate: makeLocator((f) => TEXTS[f], displayPath),
    text: (f) => TEXTS[f],
  };
}

const star = TEXTS['src/a b.ts'].indexOf('*');
const FINDING: Finding = {
  ruleId: 'fake-rule',
  severity: 'warning',
  message: 'SELECT * fetches every column of users',
  file: 'src/a b.ts',
  range: { start: star, end: star + 1 },
  related: [{ file: 'migrations/001.sql', range: { start: 13, end: 18 }, message: 'users is defined here' }],
  estimate: {
    currentMs: 1.5,
    fixedMs: 0.5,
    summary: '≈ 1.5 ms; with columns ≈ 0.5 ms',
    assumptions: [{ name: 'rows', value: 100, source: 'default', note: 'set tables.users.rows' }],
  },
  fixes: [
    { title: 'Select id', safety: 'safe', edits: [{ file: 'src/a b.ts', range: { start: star, end: star + 1 }, newText: 'id' }] },
    { title: 'Add an index in a new migration', safety: 'suggestion', edits: [{ file: 'migrations/002.sql', range: { start: 0, end: 0 }, newText: 'CREATE INDEX ON users (id);\n' }] },
  ],
};

describe('SARIF output', () => {
  const validate = sarifValidator();

  it('the validator rejects malformed logs (so passing means something)', () => {
    assert.equal(validate({ version: '2.1.0', runs: [{ tool: {} }] }), false);
    assert.equal(validate({ version: '2.0.0', runs: [] }), false);
    const bad = buildSarif(syntheticReport('/tmp/x', [FINDING], [])) as unknown as { runs: { results: { level: string }[] }[] };
    bad.runs[0].results[0].level = 'severe';
    assert.equal(validate(bad), false);
  });

  it('a log with findings, related locations, estimates, fixes and notifications validates against the official schema', () => {
    const problems: Problem[] = [
      { kind: 'unparseable-sql', file: 'migrations/001.sql', line: 1, range: { start: 0, end: 0 }, message: 'SQL not parsed' },
      { kind: 'unreadable-file', file: 'src/secret.ts', message: 'cannot be read: permission denied (EACCES)' },
    ];
    const log = buildSarif(syntheticReport('/tmp/proj dir', [FINDING], problems));
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
  });

  it('has the shape of mission §5', () => {
    const log = buildSarif(syntheticReport('/tmp/proj', [FINDING], [{ kind: 'skipped-file', file: 'big.sql', message: 'binary file (NUL bytes); skipped' }])) as any;
    const run = log.runs[0];
    assert.equal(log.version, '2.1.0');
    assert.equal(run.tool.driver.name, 'querylens');
    assert.equal(run.tool.driver.version, '9.9.9');
    assert.equal(run.columnKind, 'utf16CodeUnits');
    assert.equal(run.originalUriBaseIds['%SRCROOT%'].uri, 'file:///tmp/proj/');
    const rule = run.tool.driver.rules[0];
    assert.equal(rule.id, 'fake-rule');
    assert.equal(rule.shortDescription.text, 'A test rule');
    assert.equal(rule.fullDescription.text, 'Flags things.');
    assert.equal(rule.defaultConfiguration.level, 'warning');
    assert.match(rule.helpUri, /docs\/rules\/fake-rule\.md$/);
    const r = run.results[0];
    assert.equal(r.ruleId, 'fake-rule');
    assert.equal(r.ruleIndex, 0);
    assert.equal(r.level, 'warning');
    assert.match(r.message.text, /^SELECT \* fetches every column of users/);
    const loc = r.locations[0].physicalLocation;
    assert.deepEqual(loc.artifactLocation, { uri: 'src/a%20b.ts', uriBaseId: '%SRCROOT%' });
    // Line 2, `await db.query('SELECT ` is 23 UTF-16 units: the star is column 24, end exclusive 25.
    assert.deepEqual(loc.region, { startLine: 2, startColumn: 24, endLine: 2, endColumn: 25 });
    assert.deepEqual(r.relatedLocations[0].physicalLocation.region, { startLine: 1, startColumn: 14, endLine: 1, endColumn: 19 });
    assert.equal(r.relatedLocations[0].message.text, 'users is defined here');
    assert.deepEqual(r.properties.estimate, { currentMs: 1.5, fixedMs: 0.5, summary: FINDING.estimate!.summary, assumptions: FINDING.estimate!.assumptions });
    assert.equal(r.fixes.length, 2);
    assert.deepEqual(r.fixes[0].artifactChanges[0], {
      artifactLocation: { uri: 'src/a%20b.ts', uriBaseId: '%SRCROOT%' },
      replacements: [{ deletedRegion: { startLine: 2, startColumn: 24, endLine: 2, endColumn: 25 }, insertedContent: { text: 'id' } }],
    });
    // An edit that creates a file: an empty region at its start.
    assert.deepEqual(r.fixes[1].artifactChanges[0].replacements[0].deletedRegion, { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 });
    const note = run.invocations[0].toolExecutionNotifications[0];
    assert.equal(note.message.text, 'binary file (NUL bytes); skipped');
    assert.equal(note.locations[0].physicalLocation.artifactLocation.uri, 'big.sql');
  });

  it('counts columns in UTF-16 code units after astral characters', () => {
    const text = TEXTS['src/a b.ts'];
    const quote = text.indexOf("'", 11); // the closing quote after é😀
    const f: Finding = { ...FINDING, range: { start: quote, end: quote + 1 }, related: [], fixes: [], estimate: undefined };
    const log = buildSarif(syntheticReport('/tmp/p', [f], [])) as any;
    // `const s = '` is 11 units, é is 1, 😀 is 2: the quote is at character 14, column 15.
    assert.equal(log.runs[0].results[0].locations[0].physicalLocation.region.startColumn, 15);
    assert.ok(validate(log));
  });

  it('encodes artifact URIs segment by segment and keeps ..', () => {
    assert.equal(pathToUri('../other/a#b?.ts'), '../other/a%23b%3F.ts');
    assert.equal(pathToUri('src/über.sql'), 'src/%C3%BCber.sql');
  });
});

describe('SARIF from a real lint run', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-sarif-'));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.mkdirSync(path.join(dir, 'migrations'));
    fs.writeFileSync(path.join(dir, 'src', 'q.sql'), 'SELECT * FROM users;\nSELECT id FROM users WHERE (;\n');
    fs.writeFileSync(path.join(dir, 'migrations', '001.sql'), 'CREATE TABLE users (id int PRIMARY KEY, name text);\n');
    fs.writeFileSync(path.join(dir, 'src', 'bin.sql'), Buffer.from([0x53, 0x00, 0x01, 0x02]));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('validates, with the rule list, findings of a test rule and the problems of the run', async () => {
    const starRule: Rule = defineRule({
      ...fakeRule,
      id: 'star-rule',
      check(ctx) {
        const i = ctx.file.text.indexOf('*');
        if (i >= 0)
          ctx.report({
            message: 'star',
            range: { start: i, end: i + 1 },
            estimate: { currentMs: 2, fixedMs: 1, summary: '≈ 2 ms', assumptions: [] },
            fixes: [{ title: 'name columns', safety: 'safe', edits: [{ file: ctx.file.path, range: { start: i, end: i + 1 }, newText: 'id' }] }],
          });
      },
    });
    let out = '';
    const code = await runLint(parseArgs(['lint', 'src', '--format', 'sarif']) as LintOptions, {
      cwd: dir,
      env: {},
      stdout: { write: (s: string) => (out += s) },
      rules: [starRule],
    });
    assert.equal(code, 1);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const log: any = JSON.parse(out);
    const valid: boolean = validate(log);
    assert.ok(valid, JSON.stringify(validate.errors, null, 2));
    const run = log.runs[0];
    assert.deepEqual(run.tool.driver.rules.map((r: { id: string }) => r.id), ['star-rule']);
    assert.equal(run.results.length, 1);
    assert.equal(run.results[0].locations[0].physicalLocation.artifactLocation.uri, 'src/q.sql');
    assert.deepEqual(run.results[0].locations[0].physicalLocation.region, { startLine: 1, startColumn: 8, endLine: 1, endColumn: 9 });
    const notes = run.invocations[0].toolExecutionNotifications.map((n: { descriptor: { id: string }; message: { text: string } }) => `${n.descriptor.id}: ${n.message.text}`);
    assert.ok(notes.some((n: string) => /^skipped-file: binary/.test(n)), notes.join('\n'));
    assert.ok(notes.some((n: string) => /^unparseable-sql: /.test(n)), notes.join('\n'));
  });

  const validate = sarifValidator();
});

describe('machine formats on the example project: SARIF fingerprints, rounded estimates, messages said once', () => {
  const validate = sarifValidator();
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-sarif-fp-'));
    fs.cpSync(path.join(__dirname, '..', 'examples', 'feature-store'), dir, { recursive: true });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function sarif(): Promise<any> {
    let out = '';
    await runLint(parseArgs(['lint', '--format', 'sarif']) as LintOptions, { cwd: dir, env: {}, stdout: { write: (s: string) => (out += s) } });
    return JSON.parse(out);
  }
  const prints = (log: { runs: { results: { ruleId: string; partialFingerprints: Record<string, string>; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] }) =>
    log.runs[0].results.map((r) => `${r.locations[0].physicalLocation.artifactLocation.uri} ${r.ruleId} ${r.partialFingerprints['querylens/v1']}`).sort();

  it('every result has a querylens/v1 fingerprint, unique within the run, and the log validates', async () => {
    const log = await sarif();
    const valid: boolean = validate(log);
    assert.ok(valid, JSON.stringify(validate.errors, null, 2));
    const fps = log.runs[0].results.map((r: { partialFingerprints: Record<string, string> }) => r.partialFingerprints['querylens/v1']);
    assert.ok(fps.length >= 10);
    assert.ok(fps.every((f: string) => /^[0-9a-z]{11}:\d+$/.test(f)), fps.join(' '));
    assert.equal(new Set(fps).size, fps.length);
  });

  it('fingerprints survive code moving down a file (lines inserted above)', async () => {
    const before = prints(await sarif());
    for (const rel of ['src/jobs/refresh-features.ts', 'queries/reports.sql']) {
      const abs = path.join(dir, rel);
      const comment = rel.endsWith('.sql') ? '-- moved\n-- down\n\n' : '// moved\n// down\n\n';
      fs.writeFileSync(abs, comment + fs.readFileSync(abs, 'utf8'));
    }
    assert.deepEqual(prints(await sarif()), before);
  });

  it('json and SARIF carry estimates rounded to what the model can claim (the precision messages print)', async () => {
    let out = '';
    await runLint(parseArgs(['lint', '--format', 'json']) as LintOptions, { cwd: dir, env: {}, stdout: { write: (s: string) => (out += s) } });
    const doc = JSON.parse(out) as { findings: { estimate: { currentMs: number; fixedMs: number; summary: string; assumptions: { value: unknown }[] } | null }[] };
    const log = await sarif();
    const estimates = [...doc.findings.map((f) => f.estimate), ...log.runs[0].results.map((r: { properties?: { estimate?: unknown } }) => r.properties?.estimate)].filter(Boolean) as NonNullable<(typeof doc.findings)[number]['estimate']>[];
    assert.ok(estimates.length >= 20);
    for (const e of estimates) {
      for (const ms of [e.currentMs, e.fixedMs]) {
        assert.equal(roundMs(ms), ms, `${ms} is not rounded`);
        // What the message says is what the number is.
        assert.ok(!/\d\.\d{5,}/.test(String(ms)), String(ms));
      }
      for (const a of e.assumptions) if (typeof a.value === 'number') assert.equal(+a.value.toPrecision(4), a.value);
    }
    const n1 = doc.findings.find((f) => f.estimate?.summary.includes('round trips'))!.estimate!;
    assert.ok(n1.summary.includes(formatMs(n1.currentMs)), `${n1.summary} vs ${n1.currentMs}`);
  });

  it('stylish names the inputs that are model defaults, and says once where to set them', async () => {
    let out = '';
    await runLint(parseArgs(['lint', '--no-color']) as LintOptions, { cwd: dir, env: {}, stdout: { write: (s: string) => (out += s) } });
    const lines = out.split('\n');
    const n1 = lines.findIndex((l) => /refresh-features|N\+1\)/.test(l) && l.includes('n-plus-one'));
    assert.ok(n1 >= 0, out);
    // The N+1 message carries its estimate, so the line under it is the defaults alone.
    assert.match(lines[n1 + 1], /^\s+defaults: iterations, roundTripMs, statementOverheadMs, rowsPerQuery$/);
    assert.match(out, /sequential scan of ≈ 400K rows ≈ 21 ms; with an index ≈ 0\.\d+ ms · defaults: /);
    assert.equal(out.split('rest on model defaults').length - 1, 1);
  });

  it("says the estimate's summary once per result (N+1 messages already quote it)", async () => {
    const log = await sarif();
    for (const r of log.runs[0].results) {
      const summary: string | undefined = r.properties?.estimate?.summary;
      if (!summary) continue;
      assert.equal(r.message.text.split(summary).length - 1, 1, r.message.text);
    }
  });
});
