/**
 * querylens.config.json as text: JSONC (comments, trailing commas), every
 * error at once, each at its exact line:column, with "did you mean" for
 * near-miss keys, rule ids, model parameters and severities. One table of
 * bad inputs → the messages a user reads (`querylens lint` prints them after
 * `querylens: config `).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CliError, loadConfig } from '../../cli/lint';
import { formatConfigIssues, parseConfigText, ruleIds } from '../../engine';

const F = 'querylens.config.json';

/** Input text → the exact messages, in text order. */
const BAD: [string, string, string[]][] = [
  ['unknown top-level key, near a known one', '{\n  "rulez": {}\n}', [`${F}:2:3: rulez: unknown key (did you mean "rules"?)`]],
  ['misspelt model parameter (case)', '{ "model": { "roundTripMS": 0.8 } }', [`${F}:1:14: model.roundTripMS: unknown model parameter (did you mean "roundTripMs"?)`]],
  ['misspelt model parameter (letters)', '{ "model": { "defaultLoopIteration": 50 } }', [`${F}:1:14: model.defaultLoopIteration: unknown model parameter (did you mean "defaultLoopIterations"?)`]],
  ['misspelt rule id', '{ "rules": { "n-plus-on": "error" } }', [`${F}:1:14: rules.n-plus-on: unknown rule id (did you mean "n-plus-one"?)`]],
  ['misspelt severity', '{ "rules": { "n-plus-one": "eror" } }', [`${F}:1:28: rules.n-plus-one: severity must be one of off, info, warning, error, got "eror" (did you mean "error"?)`]],
  ['misspelt rule option key', '{ "rules": { "over-fetching": { "severity": "info", "option": {} } } }', [`${F}:1:53: rules.over-fetching.option: unknown key (did you mean "options"?)`]],
  ['misspelt schema key', '{ "schema": { "discovery": true } }', [`${F}:1:15: schema.discovery: unknown key (did you mean "discover"?)`]],
  [
    'unknown key with nothing near: the known ones are listed',
    '{ "frobnicate": 1 }',
    [`${F}:1:3: frobnicate: unknown key (known: rules, schema, tables, model, budgets, ignore, lintTests, oneOff, reportUnusedSuppressions, failOn, minSavingMs, minMeasuredSavingMs)`],
  ],
  ['wrong type, at the value', '{ "lintTests": "yes" }', [`${F}:1:16: lintTests: must be true or false`]],
  ['a string where a number goes', '{ "tables": { "orders": { "rows": "many" } } }', [`${F}:1:35: tables.orders.rows: must be a non-negative number, got "many"`]],
  ['a route key with spaces is quoted in the path', '{ "budgets": { "GET /x": 0 } }', [`${F}:1:26: budgets["GET /x"]: must be a positive number of milliseconds, got 0`]],
  ['one bad element of an array', '{ "ignore": ["ok", 3] }', [`${F}:1:20: ignore[1]: must be a glob string`]],
  ['not an object', '[]', [`${F}:1:1: (root): the configuration must be a JSON object`]],
  ['a key given twice', '{ "failOn": "error", "failOn": "info" }', [`${F}:1:22: failOn: given twice in the same object (JSON would keep only the last)`]],
  [
    'every error at once, in text order',
    '{\n  "rulez": {},\n  "model": { "roundTripMS": -1, "roundTripMs": -1 },\n  "tables": { "orders": { "rowz": 1 } },\n  "failOn": "fatal"\n}',
    [
      `${F}:2:3: rulez: unknown key (did you mean "rules"?)`,
      `${F}:3:14: model.roundTripMS: unknown model parameter (did you mean "roundTripMs"?)`,
      `${F}:3:48: model.roundTripMs: must be a non-negative number, got -1`,
      `${F}:4:27: tables.orders.rowz: unknown key (did you mean "rows"?)`,
      `${F}:5:13: failOn: must be "error", "warning" or "info"`,
    ],
  ],
  ['syntax: a missing comma, where the next entry starts', '{\n  "lintTests": true\n  "failOn": "error"\n}', [`${F}:3:3: invalid JSON: expected "," between entries`]],
  ['syntax: an unterminated string (no echoes of the missing brackets)', '{ "ignore": ["a/**] }', [`${F}:1:14: invalid JSON: unterminated string`]],
  ['syntax: a bare word', '{ "lintTests": tru }', [`${F}:1:16: invalid JSON: unexpected "tru"`]],
  ['syntax: Python/YAML-style literals', '{ "lintTests": True }', [`${F}:1:16: invalid JSON: unexpected "True" (JSON has true, false and null, in lower case)`]],
  ['syntax: single quotes', "{ 'lintTests': true }", [`${F}:1:3: invalid JSON: unexpected 'lintTests': strings and keys need double quotes`]],
  ['syntax: text after the object', '{ "lintTests": true } x', [`${F}:1:23: invalid JSON: unexpected "x"`]],
  ['syntax: an unterminated block comment', '{\n  "lintTests": true\n}\n/* note', [`${F}:4:1: invalid JSON: unterminated /* comment`]],
  [
    'syntax errors on several lines, all reported',
    '{\n  "ignore": ["a" "b"],\n  "lintTests": tru,\n}',
    [`${F}:2:18: invalid JSON: expected "," between entries`, `${F}:3:16: invalid JSON: unexpected "tru"`],
  ],
  ['an empty file', '', [`${F}:1:1: invalid JSON: the file is empty (write {} for the defaults)`]],
];

describe('querylens.config.json errors (JSONC, line:column, every error, did you mean)', () => {
  for (const [what, text, expected] of BAD) {
    it(`${what}: ${JSON.stringify(text).slice(0, 60)}`, () => {
      const { issues } = parseConfigText(text, ruleIds());
      assert.deepEqual(formatConfigIssues(F, issues), expected);
    });
  }

  it('accepts comments, trailing commas and a byte-order mark', () => {
    const text = '\uFEFF// querylens settings\n{\n  /* sizes */ "tables": { "orders": { "rows": 5e7, }, },\n  "ignore": ["gen/**",], // generated\n  "model": { "roundTripMs": 0.8 },\n}\n';
    const { config, issues } = parseConfigText(text, ruleIds());
    assert.deepEqual(issues, []);
    assert.equal(config.tables.orders.rows, 5e7);
    assert.deepEqual(config.ignore, ['gen/**']);
    assert.equal(config.model.roundTripMs, 0.8);
  });

  it('querylens lint prints one error on one line, several as a list (exit 2 through CliError)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-cfg-'));
    try {
      const file = path.join(dir, F);
      fs.writeFileSync(file, '{ "model": { "roundTripMS": 1 } }');
      assert.throws(() => loadConfig(dir, file), (e: unknown) => e instanceof CliError && e.message === `config ${F}:1:14: model.roundTripMS: unknown model parameter (did you mean "roundTripMs"?)`);
      fs.writeFileSync(file, '{\n  "rulez": {},\n  // keep\n  "lintTest": true,\n}\n');
      assert.throws(
        () => loadConfig(dir, file),
        (e: unknown) =>
          e instanceof CliError &&
          e.message === `config ${F}: 2 errors\n  ${F}:2:3: rulez: unknown key (did you mean "rules"?)\n  ${F}:4:3: lintTest: unknown key (did you mean "lintTests"?)`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
