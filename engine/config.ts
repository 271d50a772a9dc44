/**
 * Configuration: the shape of `querylens.config.json` (and of the VS Code
 * `querylens.*` settings, which map onto the same keys), defaults, and
 * validation that reports every bad key at once, each with its JSON path and
 * a "did you mean" for near misses. Pure: callers read the file;
 * engine/config-text.ts reads its text (JSONC) and adds line:column.
 *
 * The published JSON schema is `querylens.schema.json`; test/unit/config.test.ts
 * keeps the two in step.
 */
import { globTooComplex } from './guard';
import { DEFAULT_PARAMS, MAX_TABLE_ROWS, paramValueError } from './model/params';
import { didYouMean } from './suggest';
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
    /** Globs of folders and files that are not the application's schema (documentation, examples, test fixtures). */
    exclude: string[];
    /** Values of psql variables (`:SCHEMA_NAME`, `:'role'`) in SQL schema sources; unset ones are read as placeholders. */
    variables: Record<string, string>;
    /**
     * Packages (project-relative folders, '' for the root) whose queries also run against other packages'
     * schema sources: `{ "packages/api": ["packages/db"] }`. A package named here is not linked automatically
     * (engine/schema/shared-database.ts); `[]` turns that off for it.
     */
    links?: Record<string, string[]>;
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
  /**
   * One-off code (engine/one-off.ts), skipped by the per-execution rules: `include` globs are one-off
   * besides the detected folders, names and package.json scripts; `exclude` globs never are.
   */
  oneOff: { include: string[]; exclude: string[] };
  /** Report suppression comments that suppress nothing. */
  reportUnusedSuppressions: boolean;
  /** Severity at which the CLI exits 1. */
  failOn: 'error' | 'warning' | 'info';
  /**
   * A finding keeps its rule's severity (warning by default) only when its estimated saving per
   * call (currentMs − fixedMs) is at least this many ms; below it, it is `info`.
   */
  minSavingMs: number;
  /**
   * With a measured workload (pg_stat_statements in the stats snapshot): a finding whose saving over
   * the measured window (saving per execution × measured time) reaches this many ms keeps its rule's
   * severity even when each call saves less than `minSavingMs`.
   */
  minMeasuredSavingMs: number;
}

/** Copies of a schema that are not the application's: documentation, examples, reference material, test fixtures. */
export const DEFAULT_SCHEMA_EXCLUDE = ['**/docs/**', '**/examples/**', '**/example/**', '**/reference/**', '**/__fixtures__/**'];

export function defaultConfig(): QuerylensConfig {
  return {
    rules: {},
    schema: { sources: [], discover: true, exclude: [...DEFAULT_SCHEMA_EXCLUDE], variables: {} },
    tables: {},
    model: {},
    budgets: {},
    ignore: [],
    lintTests: false,
    oneOff: { include: [], exclude: [] },
    reportUnusedSuppressions: false,
    failOn: 'warning',
    minSavingMs: 1,
    minMeasuredSavingMs: 60000,
  };
}

/** A JSON path into the configuration: object keys and array indexes. */
export type ConfigPath = (string | number)[];

/** One thing wrong with a configuration. */
export interface ConfigIssue {
  path: ConfigPath;
  /** The path as shown: `model.roundTripMS`, `budgets["GET /models/*"]`, `(root)`. */
  key: string;
  /** The whole message, starting with `key`. */
  message: string;
  /** Whether the property name is wrong (an unknown key) or its value. */
  at: 'key' | 'value';
  /** 1-based line and UTF-16 column, when the configuration came from text. */
  line?: number;
  column?: number;
}

export class ConfigError extends Error {
  /** `key` is the first issue's key; `issues` lists every one. */
  constructor(
    message: string,
    readonly key: string,
    readonly issues: ConfigIssue[] = [],
  ) {
    super(message);
  }
}

const SEVERITIES = ['off', 'info', 'warning', 'error'];
const TOP_LEVEL_KEYS = ['$schema', 'rules', 'schema', 'tables', 'model', 'budgets', 'ignore', 'lintTests', 'oneOff', 'reportUnusedSuppressions', 'failOn', 'minSavingMs', 'minMeasuredSavingMs'] as const;
const MODEL_PARAMETERS = Object.keys(DEFAULT_PARAMS);
/** A budget above a day is a typo (seconds for ms, an extra zero run): rejected. */
const MAX_BUDGET_MS = 86_400_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `model.roundTripMs`, `tables["public.orders"].rows`, `ignore[2]`. */
export function formatConfigPath(path: ConfigPath): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Collects issues while the validators walk the value. */
class Issues {
  readonly list: ConfigIssue[] = [];
  add(path: ConfigPath, what: string, at: 'key' | 'value' = 'value'): void {
    const key = formatConfigPath(path);
    this.list.push({ path, key, message: `${key}: ${what}`, at });
  }
  /** An unknown property name, with the nearest known one when there is a near miss. */
  unknown(path: ConfigPath, kind: string, known: readonly string[]): void {
    const name = String(path[path.length - 1]);
    const near = didYouMean(name, known);
    const hint = near ? `did you mean "${near}"?` : known.length ? `known: ${known.join(', ')}` : 'none is registered';
    this.add(path, `unknown ${kind} (${hint})`, 'key');
  }
}

/**
 * A finite number within bounds; the one place numeric config values are
 * checked. `max` rejects values no real setup has (a typo, an overflow).
 */
function checkNumber(v: unknown, path: ConfigPath, issues: Issues, bounds: { min?: number; above?: number; max?: number; maxNote?: string }, what: string): v is number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (bounds.min === undefined || v >= bounds.min) && (bounds.above === undefined || v > bounds.above);
  if (!ok) {
    issues.add(path, `must be ${what}, got ${JSON.stringify(v) ?? String(v)}`);
    return false;
  }
  if (bounds.max !== undefined && v > bounds.max) {
    issues.add(path, `must be at most ${bounds.max}${bounds.maxNote ?? ''}, got ${v}`);
    return false;
  }
  return true;
}

function checkStringArray(v: unknown, path: ConfigPath, issues: Issues): v is string[] {
  if (!Array.isArray(v)) {
    issues.add(path, 'must be an array of glob strings');
    return false;
  }
  let ok = true;
  v.forEach((s, i) => {
    if (typeof s !== 'string') {
      issues.add([...path, i], 'must be a glob string');
      ok = false;
      return;
    }
    // Globs whose matching could backtrack for minutes are refused (engine/guard.ts GLOB_LIMITS); picomatch throws on an empty one.
    const why = s.trim() === '' ? 'empty glob' : globTooComplex(s);
    if (why) {
      issues.add([...path, i], why === 'empty glob' ? why : `glob too complex to match safely: ${why}`);
      ok = false;
    }
  });
  return ok;
}

function parseRuleSetting(path: ConfigPath, v: unknown, issues: Issues): RuleSetting | undefined {
  if (typeof v === 'string') {
    if (!SEVERITIES.includes(v)) {
      const near = didYouMean(v, SEVERITIES);
      issues.add(path, `severity must be one of ${SEVERITIES.join(', ')}, got "${v}"${near ? ` (did you mean "${near}"?)` : ''}`);
      return undefined;
    }
    return { severity: v as SeveritySetting, options: {} };
  }
  if (isObject(v)) {
    let ok = true;
    const sev = v.severity ?? 'warning';
    if (typeof sev !== 'string' || !SEVERITIES.includes(sev)) {
      issues.add([...path, 'severity'], `must be one of ${SEVERITIES.join(', ')}`);
      ok = false;
    }
    if (v.options !== undefined && !isObject(v.options)) {
      issues.add([...path, 'options'], 'must be an object');
      ok = false;
    }
    for (const k of Object.keys(v)) {
      if (k !== 'severity' && k !== 'options') {
        issues.unknown([...path, k], 'key', ['severity', 'options']);
        ok = false;
      }
    }
    return ok ? { severity: sev as SeveritySetting, options: (v.options as Record<string, unknown>) ?? {} } : undefined;
  }
  issues.add(path, 'must be a severity string or { severity, options }');
  return undefined;
}

type TopLevelKey = (typeof TOP_LEVEL_KEYS)[number];

/** One validator per top-level key: checks `value`, records issues, applies what is valid to `cfg`. */
const TOP_LEVEL: Record<TopLevelKey, (value: unknown, cfg: QuerylensConfig, issues: Issues, knownRules: readonly string[]) => void> = {
  $schema(value, _cfg, issues) {
    if (typeof value !== 'string') issues.add(['$schema'], 'must be a string (a path or URL of querylens.schema.json)');
  },
  rules(value, cfg, issues, knownRules) {
    if (!isObject(value)) return issues.add(['rules'], 'must be an object of rule id → severity');
    for (const [id, setting] of Object.entries(value)) {
      if (!knownRules.includes(id)) {
        issues.unknown(['rules', id], 'rule id', knownRules);
        continue;
      }
      const parsed = parseRuleSetting(['rules', id], setting, issues);
      if (parsed) cfg.rules[id] = parsed;
    }
  },
  schema(value, cfg, issues) {
    if (!isObject(value)) return issues.add(['schema'], 'must be an object');
    for (const [k, v] of Object.entries(value)) {
      if (k === 'sources') {
        if (checkStringArray(v, ['schema', 'sources'], issues)) cfg.schema.sources = v;
      } else if (k === 'discover') {
        if (typeof v !== 'boolean') issues.add(['schema', 'discover'], 'must be true or false');
        else cfg.schema.discover = v;
      } else if (k === 'exclude') {
        if (checkStringArray(v, ['schema', 'exclude'], issues)) cfg.schema.exclude = v;
      } else if (k === 'variables') {
        if (!isObject(v)) issues.add(['schema', 'variables'], 'must be an object of psql variable name → string value');
        else {
          const vars: Record<string, string> = {};
          for (const [name, val] of Object.entries(v)) {
            if (typeof val !== 'string') issues.add(['schema', 'variables', name], 'must be a string');
            else vars[name] = val;
          }
          cfg.schema.variables = vars;
        }
      } else if (k === 'links') {
        if (!isObject(v)) issues.add(['schema', 'links'], 'must be an object of package folder → package folders whose schema it also uses');
        else {
          const links: Record<string, string[]> = {};
          for (const [pkg, to] of Object.entries(v)) {
            if (!Array.isArray(to) || !to.every((x) => typeof x === 'string')) issues.add(['schema', 'links', pkg], 'must be an array of package folders (project-relative, like "packages/db")');
            else links[pkg.replace(/^\.\/|\/+$/g, '')] = to.map((x: string) => x.replace(/^\.\/|\/+$/g, ''));
          }
          cfg.schema.links = links;
        }
      } else issues.unknown(['schema', k], 'key', ['sources', 'discover', 'exclude', 'variables', 'links']);
    }
  },
  tables(value, cfg, issues) {
    if (!isObject(value)) return issues.add(['tables'], 'must be an object of table name → { rows, tiny }');
    for (const [name, t] of Object.entries(value)) {
      if (!isObject(t)) {
        issues.add(['tables', name], 'must be an object like { "rows": 50000000 }');
        continue;
      }
      const tc: TableConfig = {};
      for (const [tk, tv] of Object.entries(t)) {
        if (tk === 'rows') {
          if (checkNumber(tv, ['tables', name, 'rows'], issues, { min: 0, max: MAX_TABLE_ROWS }, 'a non-negative number')) tc.rows = tv;
        } else if (tk === 'tiny') {
          if (typeof tv !== 'boolean') issues.add(['tables', name, 'tiny'], 'must be true or false');
          else tc.tiny = tv;
        } else issues.unknown(['tables', name, tk], 'key', ['rows', 'tiny']);
      }
      cfg.tables[name] = tc;
    }
  },
  model(value, cfg, issues) {
    if (!isObject(value)) return issues.add(['model'], 'must be an object of parameter → number');
    for (const [p, v] of Object.entries(value)) {
      if (!MODEL_PARAMETERS.includes(p)) {
        issues.unknown(['model', p], 'model parameter', MODEL_PARAMETERS);
        continue;
      }
      if (!checkNumber(v, ['model', p], issues, { min: 0 }, 'a non-negative number')) continue;
      // The parameter's own range (engine/model/params.ts PARAM_RANGES).
      const why = paramValueError(p, v);
      if (why) issues.add(['model', p], why);
      else cfg.model[p] = v;
    }
  },
  budgets(value, cfg, issues) {
    if (!isObject(value)) return issues.add(['budgets'], 'must be an object of function name or route pattern → milliseconds');
    for (const [p, v] of Object.entries(value)) {
      if (checkNumber(v, ['budgets', p], issues, { above: 0, max: MAX_BUDGET_MS, maxNote: ' ms (a day)' }, 'a positive number of milliseconds')) cfg.budgets[p] = v;
    }
  },
  ignore(value, cfg, issues) {
    if (checkStringArray(value, ['ignore'], issues)) cfg.ignore = value;
  },
  lintTests(value, cfg, issues) {
    if (typeof value !== 'boolean') issues.add(['lintTests'], 'must be true or false');
    else cfg.lintTests = value;
  },
  oneOff(value, cfg, issues) {
    if (!isObject(value)) return issues.add(['oneOff'], 'must be an object: { "include": [globs], "exclude": [globs] }');
    for (const [k, v] of Object.entries(value)) {
      if (k !== 'include' && k !== 'exclude') issues.unknown(['oneOff', k], 'oneOff setting', ['include', 'exclude']);
      else if (checkStringArray(v, ['oneOff', k], issues)) cfg.oneOff[k] = v;
    }
  },
  reportUnusedSuppressions(value, cfg, issues) {
    if (typeof value !== 'boolean') issues.add(['reportUnusedSuppressions'], 'must be true or false');
    else cfg.reportUnusedSuppressions = value;
  },
  failOn(value, cfg, issues) {
    if (value !== 'error' && value !== 'warning' && value !== 'info') issues.add(['failOn'], 'must be "error", "warning" or "info"');
    else cfg.failOn = value;
  },
  minSavingMs(value, cfg, issues) {
    if (checkNumber(value, ['minSavingMs'], issues, { min: 0, max: MAX_BUDGET_MS, maxNote: ' ms (a day)' }, 'a non-negative number of milliseconds')) cfg.minSavingMs = value;
  },
  minMeasuredSavingMs(value, cfg, issues) {
    if (checkNumber(value, ['minMeasuredSavingMs'], issues, { min: 0 }, 'a non-negative number of milliseconds')) cfg.minMeasuredSavingMs = value;
  },
};

/**
 * Validates a parsed configuration value and merges what is valid over
 * `base`. Every problem is returned, each naming its key: a typo in a
 * config must not silently do nothing. `knownRules` guards rule ids.
 */
export function validateConfig(raw: unknown, knownRules: readonly string[], base: QuerylensConfig = defaultConfig()): { config: QuerylensConfig; issues: ConfigIssue[] } {
  const issues = new Issues();
  const cfg: QuerylensConfig = structuredClone(base);
  if (!isObject(raw)) {
    issues.add([], 'the configuration must be a JSON object');
    return { config: cfg, issues: issues.list };
  }
  for (const [key, value] of Object.entries(raw)) {
    if (Object.hasOwn(TOP_LEVEL, key)) TOP_LEVEL[key as TopLevelKey](value, cfg, issues, knownRules);
    else issues.unknown([key], 'key', TOP_LEVEL_KEYS.filter((k) => k !== '$schema'));
  }
  return { config: cfg, issues: issues.list };
}

/** validateConfig that throws ConfigError (listing every issue) when anything is wrong. */
export function parseConfig(raw: unknown, knownRules: readonly string[], base: QuerylensConfig = defaultConfig()): QuerylensConfig {
  const { config, issues } = validateConfig(raw, knownRules, base);
  if (issues.length) throw new ConfigError(issues.map((i) => i.message).join('\n'), issues[0].key, issues);
  return config;
}
