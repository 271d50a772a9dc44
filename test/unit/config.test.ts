/**
 * querylens.schema.json (the published schema of querylens.config.json) and
 * parseConfig must agree: every valid config passes both, every invalid one
 * fails both, and the CLI names the offending key.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { ConfigError, allRules, parseConfig, ruleIds } from '../../engine';
import { loadConfig, runLint, CliError } from '../../cli/lint';
import { parseArgs, type LintOptions } from '../../cli/args';
import { SCHEMA_FILE, renderConfigSchema } from '../../scripts/gen-config-schema';

const repo = path.join(__dirname, '..', '..');
const committed = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));

function validator() {
  const ajv = new Ajv({ strict: true, allErrors: true });
  return ajv.compile(committed);
}

/** Every querylens.config.json in the repository (examples, editor test workspace). */
function repoConfigs(): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === '.git' || e.name === 'dist') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.name === 'querylens.config.json') out.push(p);
    }
  };
  visit(repo);
  return out;
}

const someRule = ruleIds()[0];

const VALID: Record<string, unknown>[] = [
  {},
  { $schema: './querylens.schema.json' },
  { schema: { sources: ['db/**/*.sql'], discover: false } },
  { tables: { orders: { rows: 5e7 }, 'public.regions': { tiny: true }, items: { rows: 0, tiny: false } } },
  { model: { roundTripMs: 1.2, defaultLoopIterations: 50 } },
  { budgets: { getOnlineFeatures: 10, 'GET /models/:id': 5 } },
  { ignore: ['generated/**', '*.gen.ts'], lintTests: true, reportUnusedSuppressions: true, failOn: 'error' },
  { failOn: 'info' },
  ...(someRule
    ? [
        { rules: { [someRule]: 'off' } },
        { rules: { [someRule]: 'error' } },
        { rules: { [someRule]: { severity: 'info', options: { anything: 1 } } } },
        { rules: { [someRule]: { options: {} } } },
      ]
    : [{ rules: {} }]),
];

/** Invalid configs and the key each error must name. */
const INVALID: { config: unknown; key: string }[] = [
  { config: { rulez: {} }, key: 'rulez' },
  { config: { lintTests: 'yes' }, key: 'lintTests' },
  { config: { reportUnusedSuppressions: 1 }, key: 'reportUnusedSuppressions' },
  { config: { failOn: 'fatal' }, key: 'failOn' },
  { config: { ignore: 'dist/**' }, key: 'ignore' },
  { config: { ignore: [1] }, key: 'ignore[0]' },
  { config: { schema: { sources: 'db/*.sql' } }, key: 'schema.sources' },
  { config: { schema: { discovery: true } }, key: 'schema.discovery' },
  { config: { tables: { orders: { rowz: 10 } } }, key: 'tables.orders.rowz' },
  { config: { tables: { orders: { rows: -1 } } }, key: 'tables.orders.rows' },
  { config: { tables: { orders: 10 } }, key: 'tables.orders' },
  { config: { model: { roundTripMs: '1ms' } }, key: 'model.roundTripMs' },
  { config: { model: { roundTripMs: -3 } }, key: 'model.roundTripMs' },
  { config: { model: { roundTripMS: 1 } }, key: 'model.roundTripMS' },
  { config: { $schema: 42 }, key: '$schema' },
  { config: { budgets: { checkout: 0 } }, key: 'budgets.checkout' },
  { config: { rules: { 'n-plus-on': 'error' } }, key: 'rules.n-plus-on' },
  { config: [], key: '(root)' },
  ...(someRule
    ? [
        { config: { rules: { [someRule]: 'fatal' } }, key: `rules.${someRule}` },
        { config: { rules: { [someRule]: { severity: 'warning', level: 1 } } }, key: `rules.${someRule}.level` },
      ]
    : []),
];

describe('querylens.schema.json', () => {
  it('is what scripts/gen-config-schema.ts generates (run it after adding a rule)', () => {
    assert.equal(fs.readFileSync(SCHEMA_FILE, 'utf8'), renderConfigSchema());
  });

  it('lists exactly the registered rule ids', () => {
    assert.deepEqual([...(committed.properties.rules.propertyNames?.enum ?? [])].sort(), ruleIds().sort());
    assert.deepEqual(Object.keys(committed.properties.rules.properties).sort(), ruleIds().sort());
  });

  it('describes every rule and every top-level key, so editors can complete them', () => {
    for (const [key, sub] of Object.entries<Record<string, unknown>>(committed.properties)) {
      assert.ok(typeof sub.description === 'string' && sub.description.length > 10, `${key} lacks a description`);
    }
    for (const r of allRules) assert.match(committed.properties.rules.properties[r.id].description, new RegExp(r.meta.summary.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });

  it('is a valid draft-07 schema (ajv strict mode compiles it)', () => {
    assert.equal(committed.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.doesNotThrow(validator);
  });

  it('accepts every top-level key parseConfig accepts, and no other', () => {
    const keys = Object.keys(committed.properties).sort();
    for (const k of keys) {
      const sample: Record<string, unknown> = { $schema: 'x', rules: {}, schema: {}, tables: {}, model: {}, budgets: {}, ignore: [], lintTests: false, oneOff: { include: [] }, reportUnusedSuppressions: false, failOn: 'warning', minSavingMs: 1, minMeasuredSavingMs: 60000 };
      assert.ok(k in sample, `schema has ${k}, which this test does not know`);
      assert.doesNotThrow(() => parseConfig({ [k]: sample[k] }, ruleIds()), `parseConfig rejects ${k}`);
    }
  });
});

describe('config examples: schema and parseConfig agree', () => {
  const validate = validator();

  for (const file of repoConfigs()) {
    it(`accepts ${path.relative(repo, file)}`, () => {
      const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.ok(validate(raw), JSON.stringify(validate.errors));
      assert.doesNotThrow(() => parseConfig(raw, ruleIds()));
    });
  }

  VALID.forEach((config, i) => {
    it(`accepts valid config #${i}: ${JSON.stringify(config)}`, () => {
      assert.ok(validate(config), JSON.stringify(validate.errors));
      const parsed = parseConfig(config, ruleIds());
      assert.equal(typeof parsed.lintTests, 'boolean');
    });
  });

  for (const { config, key } of INVALID) {
    it(`rejects ${JSON.stringify(config)} naming ${key}`, () => {
      assert.equal(validate(config), false, 'the schema accepted it');
      assert.throws(
        () => parseConfig(config, ruleIds()),
        (e: unknown) => e instanceof ConfigError && e.key === key && e.message.includes(key === '(root)' ? 'JSON object' : key),
      );
    });
  }
});

describe('CLI config loading', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'querylens-config-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const lint = (extra: string[] = []) => {
    const opts = parseArgs(['lint', ...extra]) as LintOptions;
    let out = '';
    return runLint(opts, { cwd: dir, env: {}, stdout: { write: (s: string) => (out += s) } }).then((code) => ({ code, out }));
  };

  it('names the file and the key of an invalid config', async () => {
    fs.writeFileSync(path.join(dir, 'querylens.config.json'), JSON.stringify({ tables: { orders: { rowz: 1 } } }));
    await assert.rejects(lint(), (e: unknown) => e instanceof CliError && /^config querylens\.config\.json:1:22: tables\.orders\.rowz: unknown key/.test((e as Error).message));
  });

  it('reports invalid JSON (with line:column) and a missing --config file as config errors', async () => {
    fs.writeFileSync(path.join(dir, 'querylens.config.json'), '{ "lintTests": true,, }');
    assert.throws(() => loadConfig(dir, path.join(dir, 'querylens.config.json')), (e: unknown) => e instanceof CliError && /querylens\.config\.json:1:21: invalid JSON/.test((e as Error).message));
    await assert.rejects(lint(['--config', 'nope.json']), (e: unknown) => e instanceof CliError && /config nope\.json: file not found/.test((e as Error).message));
  });

  it('finds the config by walking up from the working directory, and uses its directory as the root', async () => {
    fs.writeFileSync(path.join(dir, 'querylens.config.json'), JSON.stringify({ ignore: ['src/skip.sql'] }));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src', 'a.sql'), 'SELECT 1;\n');
    fs.writeFileSync(path.join(dir, 'src', 'skip.sql'), 'SELECT 1;\n');
    const opts = parseArgs(['lint', '--format', 'json']) as LintOptions;
    let out = '';
    const code = await runLint(opts, { cwd: path.join(dir, 'src'), env: {}, stdout: { write: (s: string) => (out += s) } });
    assert.equal(code, 0);
    // Only a.sql: the ignore glob is relative to the root, one level up from the cwd.
    assert.equal(JSON.parse(out).summary.files, 1);
  });

  it('the committed schema check script agrees (--check exits 0)', () => {
    execFileSync(process.execPath, ['--import', 'tsx', path.join(repo, 'scripts', 'gen-config-schema.ts'), '--check'], { cwd: repo, stdio: 'pipe' });
  });
});
