/**
 * `--format gitlab` (GitLab Code Quality) checked against the fields GitLab
 * documents for the `codequality` report (docs.gitlab.com/ci/testing/code_quality/,
 * "Code Quality report format"): a JSON array of objects with
 *   description (string), check_name (string), fingerprint (string, unique),
 *   severity (info | minor | major | critical | blocker),
 *   location.path (string, relative), location.lines.begin (integer, from 1;
 *   or location.positions.begin.line).
 * The schema below is written from that list; uniqueness is checked apart
 * (JSON Schema cannot say "unique by one property").
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { type LintOptions, parseArgs } from '../cli/args';
import { runLint } from '../cli/lint';

const CODE_QUALITY_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    required: ['description', 'check_name', 'fingerprint', 'severity', 'location'],
    properties: {
      description: { type: 'string', minLength: 1 },
      check_name: { type: 'string', minLength: 1 },
      fingerprint: { type: 'string', minLength: 1 },
      severity: { enum: ['info', 'minor', 'major', 'critical', 'blocker'] },
      location: {
        type: 'object',
        required: ['path'],
        properties: {
          // Relative to the repository: no leading slash, no drive, no ./
          path: { type: 'string', minLength: 1, not: { pattern: '^(/|[A-Za-z]:|\\./)' } },
          lines: { type: 'object', required: ['begin'], properties: { begin: { type: 'integer', minimum: 1 }, end: { type: 'integer', minimum: 1 } } },
          positions: {
            type: 'object',
            required: ['begin'],
            properties: { begin: { type: 'object', required: ['line'], properties: { line: { type: 'integer', minimum: 1 }, column: { type: 'integer', minimum: 1 } } } },
          },
        },
        anyOf: [{ required: ['lines'] }, { required: ['positions'] }],
      },
    },
  },
};

interface Issue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: string;
  location: { path: string; lines: { begin: number; end?: number } };
}

function checkCodeQuality(report: unknown): string[] {
  // strictRequired off: the anyOf branches name properties declared one level up.
  const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(CODE_QUALITY_SCHEMA);
  const errors = validate(report) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  if (Array.isArray(report)) {
    const seen = new Set<string>();
    for (const i of report as Issue[]) {
      if (seen.has(i.fingerprint)) errors.push(`duplicate fingerprint ${i.fingerprint}`);
      seen.add(i.fingerprint);
    }
  }
  return errors;
}

describe('--format gitlab (GitLab Code Quality)', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-gitlab-'));
    fs.cpSync(path.join(__dirname, '..', 'examples', 'feature-store'), dir, { recursive: true });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function gitlab(...args: string[]): Promise<{ code: number; issues: Issue[] }> {
    let out = '';
    const code = await runLint(parseArgs(['lint', '--format', 'gitlab', ...args]) as LintOptions, { cwd: dir, env: {}, stdout: { write: (s: string) => (out += s) } });
    return { code, issues: JSON.parse(out) };
  }

  it('the check rejects what GitLab would not read (so passing means something)', () => {
    const good: Issue = { description: 'd', check_name: 'c', fingerprint: 'f', severity: 'minor', location: { path: 'a.ts', lines: { begin: 1 } } };
    assert.deepEqual(checkCodeQuality([good]), []);
    assert.ok(checkCodeQuality([good, good]).some((e) => /duplicate fingerprint/.test(e)));
    assert.notDeepEqual(checkCodeQuality([{ ...good, severity: 'warning' }]), []);
    assert.notDeepEqual(checkCodeQuality([{ ...good, location: { path: '/abs/a.ts', lines: { begin: 1 } } }]), []);
    assert.notDeepEqual(checkCodeQuality([{ ...good, location: { path: 'a.ts', lines: { begin: 0 } } }]), []);
    assert.notDeepEqual(checkCodeQuality([{ ...good, location: { path: 'a.ts' } }]), []);
    assert.notDeepEqual(checkCodeQuality({ issues: [] }), []);
  });

  it("the example's findings validate: one issue per finding, relative paths, lines from 1, unique fingerprints", async () => {
    const { code, issues } = await gitlab();
    assert.equal(code, 1);
    assert.deepEqual(checkCodeQuality(issues), []);
    assert.ok(issues.length >= 10);
    const nPlusOne = issues.find((i) => i.check_name === 'querylens/n-plus-one' && i.location.path === 'src/jobs/refresh-features.ts');
    assert.ok(nPlusOne, JSON.stringify(issues.map((i) => `${i.location.path} ${i.check_name}`)));
    assert.equal(nPlusOne.severity, 'minor');
    assert.equal(nPlusOne.location.lines.begin, 7);
    // The N+1 message already carries its estimate: said once.
    assert.equal(nPlusOne.description.split('≈ 100 round trips').length - 1, 1, nPlusOne.description);
    const unindexed = issues.find((i) => i.check_name === 'querylens/unindexed-predicate');
    assert.match(unindexed!.description, / — sequential scan of/);
  });

  it('fingerprints stay when code moves; an error-level rule maps to major', async () => {
    const before = (await gitlab()).issues.map((i) => i.fingerprint).sort();
    const f = path.join(dir, 'src', 'routes', 'metadata.ts');
    fs.writeFileSync(f, '// a new first line\n\n' + fs.readFileSync(f, 'utf8'));
    const after = await gitlab('--rule', 'n-plus-one=error');
    assert.deepEqual(after.issues.map((i) => i.fingerprint).sort(), before);
    assert.ok(after.issues.filter((i) => i.check_name === 'querylens/n-plus-one').every((i) => i.severity === 'major'));
  });
});
