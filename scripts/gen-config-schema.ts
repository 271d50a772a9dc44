/**
 * Writes `querylens.schema.json`, the published JSON schema (draft-07) of
 * `querylens.config.json`, from the rule registry and the model parameters:
 *
 *   npx tsx scripts/gen-config-schema.ts          # rewrite the file
 *   npx tsx scripts/gen-config-schema.ts --check  # exit 1 when it is stale
 *
 * The file is committed (editors fetch it by path); test/unit/config.test.ts
 * fails when it differs from what this script generates, e.g. after a rule
 * is added.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allRules, DISCOVERED_SCHEMA_GLOBS } from '../engine';
import { schemaReaders } from '../engine/adapters';
import { DEFAULT_SCHEMA_EXCLUDE } from '../engine/config';
import { DEFAULT_PARAMS, MAX_TABLE_ROWS, PARAM_DOCS, PARAM_RANGES } from '../engine/model/params';

type Rule = (typeof allRules)[number];

export const SCHEMA_FILE = path.join(__dirname, '..', 'querylens.schema.json');

const SEVERITY = {
  type: 'string',
  enum: ['off', 'info', 'warning', 'error'],
  description: '"off" disables the rule; info, warning and error set the severity of its findings.',
};

export function configSchema(rules: readonly Rule[] = allRules): Record<string, unknown> {
  const ruleSetting = (r: Rule) => ({
    description: `${r.meta.summary} (default: ${r.meta.defaultSeverity})`,
    oneOf: [
      { ...SEVERITY, default: r.meta.defaultSeverity },
      {
        type: 'object',
        properties: {
          severity: { ...SEVERITY, default: 'warning' },
          options: { type: 'object', description: 'Rule-specific options (see the rule page).' },
        },
        additionalProperties: false,
      },
    ],
  });
  const ids = rules.map((r) => r.id).sort();
  const byId = new Map(rules.map((r) => [r.id, r]));
  const modelProps: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(DEFAULT_PARAMS)) {
    const r = PARAM_RANGES[k as keyof typeof PARAM_RANGES];
    modelProps[k] = { type: 'number', ...(r.exclusiveMin ? { exclusiveMinimum: r.min } : { minimum: r.min }), maximum: r.max, default: v, description: (PARAM_DOCS as Record<string, string>)[k] ?? k };
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'querylens.config.json',
    description: 'Configuration of querylens, the query-performance linter for TypeScript on PostgreSQL. Put it at the project root.',
    type: 'object',
    additionalProperties: false,
    properties: {
      $schema: { type: 'string', description: 'Path or URL of this schema, for editors.' },
      rules: {
        type: 'object',
        description: 'Rule id → severity ("off", "info", "warning", "error") or { "severity", "options" }.',
        // draft-07 wants a non-empty enum; with no rule registered, additionalProperties: false rejects every key alone.
        ...(ids.length ? { propertyNames: { enum: ids } } : {}),
        properties: Object.fromEntries(ids.map((id) => [id, ruleSetting(byId.get(id)!)])),
        additionalProperties: false,
      },
      schema: {
        type: 'object',
        description: 'Where the database schema (tables, indexes) comes from.',
        additionalProperties: false,
        properties: {
          sources: {
            type: 'array',
            items: { type: 'string' },
            default: [],
            description: 'Extra schema sources: globs relative to the project root (SQL migrations, schema dumps, an ORM schema file, TypeScript schemas and migrations), applied after the discovered ones. Read even when `ignore`, `schema.exclude` or the test-file patterns keep them from being linted.',
          },
          discover: {
            type: 'boolean',
            default: true,
            description: `Find schema sources without configuration: in the usual places (${DISCOVERED_SCHEMA_GLOBS.map((g) => g.replace(/^\*\*\//, '')).join(', ')}); and by content wherever they are: a pg_dump, numbered .sql files with DDL, .sql files creating tables, TypeScript schemas and migrations (${[...new Set(schemaReaders.map((r) => r.library))].join(', ')}).`,
          },
          exclude: {
            type: 'array',
            items: { type: 'string' },
            default: [...DEFAULT_SCHEMA_EXCLUDE],
            description: 'Globs of copies of a schema that are not the application\'s (documentation, examples, reference material, test fixtures): not discovered as schema sources.',
          },
          variables: {
            type: 'object',
            additionalProperties: { type: 'string' },
            default: {},
            description: 'Values of psql variables used in SQL schema sources (`:SCHEMA_NAME`, `:\'role\'`, `:"ident"`); a variable without a value is read as a placeholder.',
          },
          links: {
            type: 'object',
            additionalProperties: { type: 'array', items: { type: 'string' } },
            description:
              'Packages (project-relative folders, "" for the root) whose queries also run against other packages\' schema sources, e.g. { "packages/api": ["packages/db"] }: entities in one package, the SQL migrations that create their tables (and indexes) in another. Without this, such a link is made when one other package\'s migrations create at least 90 % of a package\'s declared tables and columns; a package named here is linked only as written ([] for none).',
          },
        },
      },
      tables: {
        type: 'object',
        description: 'Table sizes and flags by table name (optionally schema-qualified, e.g. "public.orders").',
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          properties: {
            rows: { type: 'number', minimum: 0, maximum: MAX_TABLE_ROWS, description: 'Estimated row count (e.g. 50000000); the cost model uses it for scans and transfers.' },
            tiny: { type: 'boolean', description: 'A small lookup table: sequential scans are fine, no unindexed-predicate findings.' },
          },
        },
      },
      model: {
        type: 'object',
        description: 'Performance-model parameters (defaults documented in engine/model/params.ts).',
        properties: modelProps,
        // Only known parameters: a misspelt one (`roundTripMS`) must not silently do nothing.
        additionalProperties: false,
      },
      budgets: {
        type: 'object',
        description: 'Latency budgets in milliseconds, by function name or route pattern.',
        additionalProperties: { type: 'number', exclusiveMinimum: 0, maximum: 86_400_000 },
      },
      ignore: {
        type: 'array',
        items: { type: 'string' },
        default: [],
        description: 'Files not to lint: .gitignore-style globs relative to the project root.',
      },
      lintTests: {
        type: 'boolean',
        default: false,
        description: 'Also lint test files (*.test.*, *.spec.*, __tests__/, test/, tests/).',
      },
      oneOff: {
        type: 'object',
        description:
          'One-off code (scripts run by hand, upgrades, data migrations, seeds) is skipped by unindexed-predicate, over-fetching and cartesian-join. Detected by folder (scripts/, seeds/, backfills/, data-migrations/, manual-migrations/, upgrades/, oneoffs/, temp/ …), file name (seed*, backfill*, migrate*, upgrade*, alter*) and package.json scripts that run a file outside the application. include: more globs that are one-off; exclude: globs that never are (wins).',
        properties: {
          include: { type: 'array', items: { type: 'string' }, default: [] },
          exclude: { type: 'array', items: { type: 'string' }, default: [] },
        },
        additionalProperties: false,
      },
      reportUnusedSuppressions: {
        type: 'boolean',
        default: false,
        description: 'Report querylens-disable comments that suppress nothing.',
      },
      failOn: {
        type: 'string',
        enum: ['error', 'warning', 'info'],
        default: 'warning',
        description: 'Lowest finding severity at which `querylens lint` exits with code 1.',
      },
      minSavingMs: {
        type: 'number',
        minimum: 0,
        default: 1,
        description:
          'A finding keeps its rule\'s severity (warning by default) only when its estimated saving per call (estimate now − after the fix) is at least this many ms; below it, it is reported as info.',
      },
      minMeasuredSavingMs: {
        type: 'number',
        minimum: 0,
        default: 60000,
        description:
          'With a measured workload (pg_stat_statements in querylens.stats.json): a finding whose saving over the measured window (its share of the measured execution time) reaches this many ms keeps its rule\'s severity even when each call saves less than minSavingMs.',
      },
    },
  };
}

export function renderConfigSchema(rules: readonly Rule[] = allRules): string {
  return JSON.stringify(configSchema(rules), null, 2) + '\n';
}

if (require.main === module) {
  const text = renderConfigSchema();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, 'utf8') : '';
    if (current !== text) {
      process.stderr.write('querylens.schema.json is stale: run npx tsx scripts/gen-config-schema.ts\n');
      process.exitCode = 1;
    }
  } else {
    fs.writeFileSync(SCHEMA_FILE, text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)} (${allRules.length} rules)\n`);
  }
}
