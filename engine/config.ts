/**
 * Configuration: the shape of `querylens.config.json` (and of the VS Code
 * `querylens.*` settings, which map onto the same keys), defaults, and
 * validation that names the offending key. Pure: callers read the file.
 *
 * The published JSON schema is `querylens.schema.json`; test/unit/config.test.ts
 * keeps the two in step.
 */
import { MAX_TABLE_ROWS, paramValueError } from './model/params';
import type { SeveritySetting } from './types';

export interface TableConfig {
  rows?: number;
  /** Declared tiny: sequential scans are fine, no unindexed-predicate finding. */
  tiny?: boolean;
}

export interface RuleSetting {
  severity: SeveritySetting;
  options: Record<string, unknown>;
}

export interface QuerylensConfig {
  /** Rule id → severity, or `{ severity, options }`. */
  rules: Record<string, RuleSetting>;
  schema: {
    /** Extra schema sources (globs, relative to the project root), applied after discovered ones. */
    sources: string[];
    /** Turn off discovery in the usual places. */
    discover: boolean;
  };
  /** Table sizes and flags, by table name (optionally schema-qualified). */
  tables: Record<string, TableConfig>;
  /** Performance-model parameters (see engine/model/params.ts). */
  model: Record<string, number>;
  /** Latency budgets in ms, by function name or route pattern. */
  budgets: Record<string, number>;
  /** Gitignore-style globs of files not to lint. */
  ignore: string[];
  /** Lint test files (`*.test.ts`, `*.spec.ts`, `__tests__/`, `test/`)? */
  lintTests: boolean;
  /** Report suppression comments that suppress nothing. */
  reportUnusedSuppressions: boolean;
  /** Severity at which the CLI exits 1. */
  failOn: 'error' | 'warning' | 'info';
}

export function defaultConfig(): QuerylensConfig {
  return {
    rules: {},
    schema: { sources: [], discover: true },
    tables: {},
    model: {},
    budgets: {},
    ignore: [],
    lintTests: false,
    reportUnusedSuppressions: false,
    failOn: 'warning',
  };
}

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
  }
}

const SEVERITIES = ['off', 'info', 'warning', 'error'];
/** A budget above a day is a typo (seconds for ms, an extra zero run): rejected. */
const MAX_BUDGET_MS = 86_400_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseRuleSetting(key: string, v: unknown): RuleSetting {
  if (typeof v === 'string') {
    if (!SEVERITIES.includes(v)) throw new ConfigError(`${key}: severity must be one of ${SEVERITIES.join(', ')}, got "${v}"`, key);
    return { severity: v as SeveritySetting, options: {} };
  }
  if (isObject(v)) {
    const sev = v.severity ?? 'warning';
    if (typeof sev !== 'string' || !SEVERITIES.includes(sev)) throw new ConfigError(`${key}.severity: must be one of ${SEVERITIES.join(', ')}`, `${key}.severity`);
    if (v.options !== undefined && !isObject(v.options)) throw new ConfigError(`${key}.options: must be an object`, `${key}.options`);
    for (const k of Object.keys(v)) if (k !== 'severity' && k !== 'options') throw new ConfigError(`${key}.${k}: unknown key`, `${key}.${k}`);
    return { severity: sev as SeveritySetting, options: (v.options as Record<string, unknown>) ?? {} };
  }
  throw new ConfigError(`${key}: must be a severity string or { severity, options }`, key);
}

/**
 * Validates a parsed JSON value and merges it over the defaults. Throws
 * ConfigError naming the key for anything unknown or mistyped: a typo in a
 * config must not silently do nothing. `knownRules` guards rule ids.
 */
export function parseConfig(raw: unknown, knownRules: readonly string[], base: QuerylensConfig = defaultConfig()): QuerylensConfig {
  if (!isObject(raw)) throw new ConfigError('the configuration must be a JSON object', '(root)');
  const cfg: QuerylensConfig = structuredClone(base);
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case '$schema':
        break;
      case 'rules': {
        if (!isObject(value)) throw new ConfigError('rules: must be an object of rule id → severity', 'rules');
        for (const [id, setting] of Object.entries(value)) {
          if (!knownRules.includes(id)) throw new ConfigError(`rules.${id}: unknown rule id (known: ${knownRules.join(', ')})`, `rules.${id}`);
          cfg.rules[id] = parseRuleSetting(`rules.${id}`, setting);
        }
        break;
      }
      case 'schema': {
        if (!isObject(value)) throw new ConfigError('schema: must be an object', 'schema');
        for (const [k, v] of Object.entries(value)) {
          if (k === 'sources') {
            if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new ConfigError('schema.sources: must be an array of glob strings', 'schema.sources');
            cfg.schema.sources = v as string[];
          } else if (k === 'discover') {
            if (typeof v !== 'boolean') throw new ConfigError('schema.discover: must be true or false', 'schema.discover');
            cfg.schema.discover = v;
          } else throw new ConfigError(`schema.${k}: unknown key`, `schema.${k}`);
        }
        break;
      }
      case 'tables': {
        if (!isObject(value)) throw new ConfigError('tables: must be an object of table name → { rows, tiny }', 'tables');
        for (const [name, t] of Object.entries(value)) {
          const k = `tables.${name}`;
          if (!isObject(t)) throw new ConfigError(`${k}: must be an object like { "rows": 50000000 }`, k);
          const tc: TableConfig = {};
          for (const [tk, tv] of Object.entries(t)) {
            if (tk === 'rows') {
              if (typeof tv !== 'number' || !(tv >= 0) || !Number.isFinite(tv)) throw new ConfigError(`${k}.rows: must be a non-negative number`, `${k}.rows`);
              if (tv > MAX_TABLE_ROWS) throw new ConfigError(`${k}.rows: must be at most ${MAX_TABLE_ROWS}, got ${tv}`, `${k}.rows`);
              tc.rows = tv;
            } else if (tk === 'tiny') {
              if (typeof tv !== 'boolean') throw new ConfigError(`${k}.tiny: must be true or false`, `${k}.tiny`);
              tc.tiny = tv;
            } else throw new ConfigError(`${k}.${tk}: unknown key (expected rows, tiny)`, `${k}.${tk}`);
          }
          cfg.tables[name] = tc;
        }
        break;
      }
      case 'model': {
        if (!isObject(value)) throw new ConfigError('model: must be an object of parameter → number', 'model');
        for (const [p, v] of Object.entries(value)) {
          if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(`model.${p}: must be a non-negative number`, `model.${p}`);
          const why = paramValueError(p, v);
          if (why) throw new ConfigError(`model.${p}: ${why}`, `model.${p}`);
          cfg.model[p] = v;
        }
        break;
      }
      case 'budgets': {
        if (!isObject(value)) throw new ConfigError('budgets: must be an object of function name or route pattern → milliseconds', 'budgets');
        for (const [p, v] of Object.entries(value)) {
          if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new ConfigError(`budgets.${p}: must be a positive number of milliseconds`, `budgets.${p}`);
          if (v > MAX_BUDGET_MS) throw new ConfigError(`budgets.${p}: must be at most ${MAX_BUDGET_MS} ms (a day), got ${v}`, `budgets.${p}`);
          cfg.budgets[p] = v;
        }
        break;
      }
      case 'ignore': {
        if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) throw new ConfigError('ignore: must be an array of glob strings', 'ignore');
        cfg.ignore = value as string[];
        break;
      }
      case 'lintTests':
      case 'reportUnusedSuppressions': {
        if (typeof value !== 'boolean') throw new ConfigError(`${key}: must be true or false`, key);
        cfg[key] = value;
        break;
      }
      case 'failOn': {
        if (value !== 'error' && value !== 'warning' && value !== 'info') throw new ConfigError('failOn: must be "error", "warning" or "info"', 'failOn');
        cfg.failOn = value;
        break;
      }
      default:
        throw new ConfigError(`${key}: unknown key`, key);
    }
  }
  return cfg;
}
