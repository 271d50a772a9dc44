/**
 * Command-line parsing for `querylens`. Hand-written (no dependency): the
 * surface is small and every mistake must become exit code 2 with a message
 * that names the offending argument.
 */
import type { SeveritySetting } from '../engine';

export type FormatName = 'stylish' | 'json' | 'sarif' | 'github' | 'gitlab' | 'html';
export const FORMATS: readonly FormatName[] = ['stylish', 'json', 'sarif', 'github', 'gitlab', 'html'];
const SEVERITY_SETTINGS: readonly SeveritySetting[] = ['off', 'info', 'warning', 'error'];

export interface LintOptions {
  command: 'lint';
  paths: string[];
  format: FormatName;
  output?: string;
  config?: string;
  /** `--rule id=severity`, in the order given (later wins). */
  rules: { id: string; severity: SeveritySetting }[];
  maxWarnings?: number;
  quiet: boolean;
  /** false when `--no-color` was given; environment and TTY checks happen later. */
  color: boolean;
  fix: boolean;
  reportUnusedSuppressions: boolean;
  /** `--suppress-all`: accept every current finding into the suppressions file. */
  suppressAll: boolean;
  /** `--suppress-rule ID` (repeatable): accept the current findings of these rules. */
  suppressRules: string[];
  /** `--prune-suppressions`: drop suppressions-file entries that match nothing. */
  pruneSuppressions: boolean;
  /** `--suppressions FILE`: the suppressions file (default: querylens-suppressions.json at the project root). */
  suppressionsFile?: string;
  /** `--report FORMAT=FILE` (repeatable): more reports of the same run, written to files. */
  reports: { format: FormatName; file: string }[];
  /** `--changed-since REF`: report findings only in files changed since REF (git). */
  changedSince?: string;
  /** `--sort file|impact`: findings by file (default) or by estimated (or measured) time saved. */
  sort: 'file' | 'impact';
  /** `--cache`: reuse the results of files whose text and inputs did not change (cli/cache.ts). */
  cache: boolean;
  /** `--cache-location PATH`: the cache file, or a directory for it (implies --cache). */
  cacheLocation?: string;
  /** `--concurrency auto|N`: worker threads for the analysis (1: this thread only). */
  concurrency: 'auto' | number;
}

/** `querylens queries [paths] [--format stylish|json]`: the query sites recognised, and the candidates that were not. */
export interface QueriesOptions {
  command: 'queries';
  paths: string[];
  format: 'stylish' | 'json';
  output?: string;
  config?: string;
  color: boolean;
}

export interface SchemaOptions {
  command: 'schema';
  path: string;
  format: 'stylish' | 'json';
  config?: string;
}

/**
 * `querylens stats pull|sql|import`: the statistics snapshot (querylens.stats.json). The connection
 * comes from `--database-url` or DATABASE_URL only, never from a configuration file.
 */
export interface StatsOptions {
  command: 'stats';
  action: 'pull' | 'sql' | 'import';
  /** `stats import FILE`: the saved output of `stats sql`. */
  file?: string;
  databaseUrl?: string;
  output?: string;
  config?: string;
  includeValues: boolean;
  /** `stats pull --explain`: the planner's generic plan of each statement of the code. */
  explain: boolean;
  /** Files whose SQL `--explain` plans (default: the project). */
  paths: string[];
  statementTimeoutMs?: number;
}

export type ParsedArgs =
  | LintOptions
  | QueriesOptions
  | SchemaOptions
  | StatsOptions
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'lsp'; transport: string[] };

export class UsageError extends Error {}

/**
 * Subcommands: name → parser of the arguments after the name. A new command
 * adds its parser here (and its line to helpText); `readFlags` does the
 * common work of splitting `--flag value` / `--flag=value` from positionals.
 */
const SUBCOMMANDS: Record<string, (rest: readonly string[]) => ParsedArgs> = {
  lint: parseLint,
  queries: parseQueries,
  schema: parseSchema,
  stats: parseStats,
  lsp: parseLsp,
};

export function parseArgs(argv: readonly string[]): ParsedArgs {
  if (argv.length === 0) return { command: 'help' };
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') return { command: 'help' };
  if (first === '--version' || first === '-v') return { command: 'version' };
  const sub = Object.hasOwn(SUBCOMMANDS, first) ? SUBCOMMANDS[first] : undefined;
  if (sub) return sub(rest);
  const names = Object.keys(SUBCOMMANDS);
  throw new UsageError(`unknown command "${first}" (expected ${names.slice(0, -1).join(', ')} or ${names.at(-1)}; see querylens --help)`);
}

/** One flag as given: its name, and its value for flags that take one. */
export interface FlagArg {
  flag: string;
  value?: string;
}

/**
 * Walks a subcommand's arguments: positionals (and everything after `--`) go
 * to `positional`, each flag to `onFlag` with its value when `valueFlags`
 * names it (`--format json` or `--format=json`). `onFlag` returns a result to
 * stop early (`--help`). Throws UsageError for a missing or unexpected value.
 */
export function readFlags<R>(rest: readonly string[], valueFlags: ReadonlySet<string>, positional: (arg: string) => void, onFlag: (f: FlagArg) => R | undefined): R | undefined {
  let onlyPaths = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (onlyPaths || !arg.startsWith('-') || arg === '-') {
      positional(arg);
      continue;
    }
    if (arg === '--') {
      onlyPaths = true;
      continue;
    }
    let flag = arg;
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      flag = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    }
    if (valueFlags.has(flag) && value === undefined) {
      if (i + 1 >= rest.length) throw new UsageError(`${flag} needs a value`);
      value = rest[++i];
    } else if (!valueFlags.has(flag) && value !== undefined) {
      throw new UsageError(`${flag} takes no value`);
    }
    const done = onFlag({ flag, value });
    if (done !== undefined) return done;
  }
  return undefined;
}

/** `--output/-o FILE` and `--config/-c FILE`, read alike by every command that takes them. */
function fileFlag(flag: string, value: string | undefined, opts: { output?: string; config?: string }): void {
  const key = flag === '--output' || flag === '-o' ? 'output' : 'config';
  if (!value) throw new UsageError(`--${key} needs a file name`);
  opts[key] = value;
}

function parseLsp(rest: readonly string[]): ParsedArgs {
  if (rest.includes('--help') || rest.includes('-h')) return { command: 'help' };
  // vscode-languageserver reads the transport from process.argv itself; we only check one was named.
  const transport = rest.filter((a) => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket=') || a.startsWith('--pipe=') || a.startsWith('--clientProcessId='));
  const unknown = rest.filter((a) => !transport.includes(a));
  if (unknown.length) throw new UsageError(`lsp: unknown argument "${unknown[0]}" (expected --stdio, --node-ipc, --socket=PORT or --pipe=NAME)`);
  if (!transport.some((a) => !a.startsWith('--clientProcessId='))) throw new UsageError('lsp: name a transport, e.g. querylens lsp --stdio');
  return { command: 'lsp', transport };
}

/** Lint flags that take a value. */
const LINT_VALUE_FLAGS = new Set(['--format', '-f', '--output', '-o', '--config', '-c', '--rule', '--max-warnings', '--suppress-rule', '--suppressions', '--report', '--changed-since', '--sort', '--cache-location', '--concurrency']);

/** What each lint flag sets (value flags are listed in LINT_VALUE_FLAGS); --help and --version end the parse. */
const LINT_FLAGS: Record<string, (opts: LintOptions, value: string | undefined, flag: string) => void> = {
  '--format': (opts, value) => {
    if (!FORMATS.includes(value as FormatName)) throw new UsageError(`--format: unknown format "${value}" (expected ${FORMATS.join(', ')})`);
    opts.format = value as FormatName;
  },
  '--output': (opts, value, flag) => fileFlag(flag, value, opts),
  '--config': (opts, value, flag) => fileFlag(flag, value, opts),
  '--rule': (opts, value) => {
    const m = /^([^=\s]+)=(\S+)$/.exec(value!);
    if (!m) throw new UsageError(`--rule "${value}": expected ID=off|info|warning|error`);
    if (!SEVERITY_SETTINGS.includes(m[2] as SeveritySetting)) throw new UsageError(`--rule ${m[1]}: severity must be one of ${SEVERITY_SETTINGS.join(', ')}, got "${m[2]}"`);
    opts.rules.push({ id: m[1], severity: m[2] as SeveritySetting });
  },
  '--max-warnings': (opts, value) => {
    if (!/^\d+$/.test(value!)) throw new UsageError(`--max-warnings: expected a non-negative integer, got "${value}"`);
    opts.maxWarnings = Number(value);
  },
  '--quiet': (opts) => {
    opts.quiet = true;
  },
  '--no-color': (opts) => {
    opts.color = false;
  },
  '--fix': (opts) => {
    opts.fix = true;
  },
  '--report-unused-suppressions': (opts) => {
    opts.reportUnusedSuppressions = true;
  },
  '--suppress-all': (opts) => {
    opts.suppressAll = true;
  },
  '--suppress-rule': (opts, value) => {
    if (!value) throw new UsageError('--suppress-rule needs a rule id');
    opts.suppressRules.push(value);
  },
  '--prune-suppressions': (opts) => {
    opts.pruneSuppressions = true;
  },
  '--suppressions': (opts, value) => {
    if (!value) throw new UsageError('--suppressions needs a file name');
    opts.suppressionsFile = value;
  },
  '--report': (opts, value) => {
    const m = /^([a-z]+)=(.+)$/.exec(value!);
    if (!m) throw new UsageError(`--report "${value}": expected FORMAT=FILE, e.g. --report sarif=querylens.sarif`);
    if (!FORMATS.includes(m[1] as FormatName)) throw new UsageError(`--report: unknown format "${m[1]}" (expected ${FORMATS.join(', ')})`);
    opts.reports.push({ format: m[1] as FormatName, file: m[2] });
  },
  '--changed-since': (opts, value) => {
    if (!value || value.startsWith('-')) throw new UsageError('--changed-since needs a git revision, e.g. --changed-since origin/main');
    opts.changedSince = value;
  },
  '--sort': (opts, value) => {
    if (value !== 'file' && value !== 'impact') throw new UsageError(`--sort: expected file or impact, got "${value}"`);
    opts.sort = value;
  },
  '--cache': (opts) => {
    opts.cache = true;
  },
  '--cache-location': (opts, value) => {
    if (!value) throw new UsageError('--cache-location needs a file or directory name');
    opts.cache = true;
    opts.cacheLocation = value;
  },
  '--concurrency': (opts, value) => {
    opts.concurrency = parseConcurrency(value);
  },
};
// Short forms.
LINT_FLAGS['-f'] = LINT_FLAGS['--format'];
LINT_FLAGS['-o'] = LINT_FLAGS['--output'];
LINT_FLAGS['-c'] = LINT_FLAGS['--config'];
LINT_FLAGS['-q'] = LINT_FLAGS['--quiet'];

function parseLint(rest: readonly string[]): ParsedArgs {
  const opts: LintOptions = {
    command: 'lint',
    paths: [],
    format: 'stylish',
    rules: [],
    quiet: false,
    color: true,
    fix: false,
    reportUnusedSuppressions: false,
    suppressAll: false,
    suppressRules: [],
    pruneSuppressions: false,
    reports: [],
    sort: 'file',
    cache: false,
    concurrency: 'auto',
  };
  const early = readFlags<ParsedArgs>(rest, LINT_VALUE_FLAGS, (p) => opts.paths.push(p), ({ flag, value }) => {
    if (flag === '--help' || flag === '-h') return { command: 'help' };
    if (flag === '--version' || flag === '-v') return { command: 'version' };
    const set = Object.hasOwn(LINT_FLAGS, flag) ? LINT_FLAGS[flag] : undefined;
    if (!set) throw new UsageError(`unknown option "${flag}" (see querylens --help)`);
    set(opts, value, flag);
    return undefined;
  });
  if (early) return early;
  if (opts.suppressAll && opts.suppressRules.length) throw new UsageError('--suppress-all and --suppress-rule: give one or the other');
  if (opts.pruneSuppressions && (opts.suppressAll || opts.suppressRules.length)) throw new UsageError('--prune-suppressions cannot be combined with --suppress-all or --suppress-rule (they already rewrite the entries of the linted files)');
  if (opts.paths.length === 0) opts.paths.push('.');
  return opts;
}

/** `--concurrency auto|N` (lint; queries accepts it too so scripts can pass one set of flags to both). */
function parseConcurrency(value: string | undefined): 'auto' | number {
  if (value === 'auto') return 'auto';
  if (/^[1-9]\d{0,2}$/.test(value ?? '')) return Number(value);
  throw new UsageError(`--concurrency: expected auto or a number of threads from 1, got "${value}"`);
}

const QUERIES_VALUE_FLAGS = new Set(['--format', '-f', '--output', '-o', '--config', '-c', '--concurrency']);

function parseQueries(rest: readonly string[]): ParsedArgs {
  const opts: QueriesOptions = { command: 'queries', paths: [], format: 'stylish', color: true };
  const early = readFlags<ParsedArgs>(rest, QUERIES_VALUE_FLAGS, (p) => opts.paths.push(p), ({ flag, value }) => {
    switch (flag) {
      case '--help':
      case '-h':
        return { command: 'help' };
      case '--format':
      case '-f':
        if (value !== 'stylish' && value !== 'json') throw new UsageError(`queries --format: unknown format "${value}" (expected stylish or json)`);
        opts.format = value;
        break;
      case '--output':
      case '-o':
      case '--config':
      case '-c':
        fileFlag(flag, value, opts);
        break;
      case '--no-color':
        opts.color = false;
        break;
      case '--concurrency':
        // Validated as lint does; the listing itself runs on this thread (it is one pass per file, no rules).
        parseConcurrency(value);
        break;
      default:
        throw new UsageError(`queries: unknown option "${flag}" (expected --format, --output, --config, --concurrency or --no-color)`);
    }
    return undefined;
  });
  if (early) return early;
  if (opts.paths.length === 0) opts.paths.push('.');
  return opts;
}

function parseSchema(rest: readonly string[]): ParsedArgs {
  const opts: SchemaOptions = { command: 'schema', path: '.', format: 'stylish' };
  let paths = 0;
  const done = readFlags<ParsedArgs>(
    rest,
    new Set(['--format', '-f', '--config', '-c']),
    (arg) => {
      if (++paths > 1) throw new UsageError(`schema: one path at most (got "${opts.path}" and "${arg}")`);
      opts.path = arg;
    },
    ({ flag, value }) => {
      switch (flag) {
        case '--help':
        case '-h':
          return { command: 'help' };
        case '--format':
        case '-f':
          if (value !== 'stylish' && value !== 'json') throw new UsageError(`--format: unknown format "${value}" for schema (expected stylish or json)`);
          opts.format = value;
          return undefined;
        case '--config':
        case '-c':
          fileFlag(flag, value, opts);
          return undefined;
        default:
          throw new UsageError(`schema: unknown option "${flag}" (expected --format or --config)`);
      }
    },
  );
  return done ?? opts;
}

const STATS_VALUE_FLAGS = new Set(['--database-url', '--output', '-o', '--config', '-c', '--statement-timeout']);

function parseStats(rest: readonly string[]): ParsedArgs {
  const [action, ...args] = rest;
  if (action === '--help' || action === '-h' || action === undefined) return { command: 'help' };
  if (action !== 'pull' && action !== 'sql' && action !== 'import') throw new UsageError(`stats: unknown action "${action}" (expected pull, sql or import)`);
  const opts: StatsOptions = { command: 'stats', action, includeValues: false, explain: false, paths: [] };
  const positional: string[] = [];
  const early = readFlags<ParsedArgs>(args, STATS_VALUE_FLAGS, (p) => positional.push(p), ({ flag, value }) => {
    switch (flag) {
      case '--help':
      case '-h':
        return { command: 'help' };
      case '--database-url':
        if (action !== 'pull') throw new UsageError(`stats ${action}: --database-url is for stats pull`);
        if (!value) throw new UsageError('--database-url needs a URL (postgres://user@host/db)');
        opts.databaseUrl = value;
        break;
      case '--output':
      case '-o':
      case '--config':
      case '-c':
        fileFlag(flag, value, opts);
        break;
      case '--include-values':
        opts.includeValues = true;
        break;
      case '--explain':
        if (action !== 'pull') throw new UsageError(`stats ${action}: --explain is for stats pull`);
        opts.explain = true;
        break;
      case '--statement-timeout':
        if (!/^\d+$/.test(value ?? '') || Number(value) < 1) throw new UsageError(`--statement-timeout: expected milliseconds, got "${value}"`);
        opts.statementTimeoutMs = Number(value);
        break;
      default:
        throw new UsageError(`stats ${action}: unknown option "${flag}"`);
    }
    return undefined;
  });
  if (early) return early;
  if (action === 'import') {
    if (positional.length !== 1) throw new UsageError('stats import: name the file with the output of querylens stats sql (querylens stats import FILE)');
    opts.file = positional[0];
  } else if (action === 'pull') opts.paths = positional;
  else if (positional.length) throw new UsageError(`stats sql: unexpected argument "${positional[0]}"`);
  return opts;
}

export function helpText(version: string): string {
  return `querylens ${version}: a query-performance linter for TypeScript on PostgreSQL

Usage:
  querylens lint [paths...] [options]   lint files and directories (default: .)
  querylens queries [paths...] [-f stylish|json] [-o FILE] [-c FILE] [--concurrency auto|N]
                                        list the query sites querylens recognises (raw SQL
                                        and library calls: file, line, library, table,
                                        read/write, per element of a loop) and the calls
                                        that look like queries but could not be resolved,
                                        with the reason
  querylens schema [path] [--format stylish|json] [--config FILE]
                                        print the schema querylens reads for path (default: .):
                                        tables, columns, indexes and foreign keys with where each
                                        was defined, and the sources in the order applied
  querylens stats pull [--database-url URL] [--explain] [--include-values] [-o FILE]
                                        read statistics from PostgreSQL (DATABASE_URL, or
                                        --database-url; never from a config file) in one
                                        read-only transaction into querylens.stats.json:
                                        rows, column statistics (no values unless
                                        --include-values), live indexes and their drift from
                                        the migrations, pg_stat_statements when installed;
                                        --explain adds the planner's generic plan of each
                                        statement of the code (no ANALYZE; hypopg when installed)
  querylens stats sql [--include-values]
                                        print the same read-only query as a psql script, for a
                                        DBA to run where you cannot connect
  querylens stats import FILE [-o FILE] turn that script's output into querylens.stats.json
  querylens lsp --stdio                 run the language server
  querylens --help | --version

Lint options:
  -f, --format FORMAT          stylish (default), json, sarif (SARIF 2.1.0), github
                               (GitHub Actions workflow commands), gitlab (GitLab Code
                               Quality) or html (a self-contained page: findings ranked by
                               estimated time saved, database time per handler and file)
  -o, --output FILE            write the report to FILE instead of standard output
      --report FORMAT=FILE     also write a report in FORMAT to FILE (repeatable), e.g.
                               --format github --report sarif=querylens.sarif
      --changed-since REF      analyse the whole project (N+1s cross files) but report
                               findings only in files changed since REF (the merge base
                               of REF and HEAD; uncommitted and untracked files count)
  -c, --config FILE            use this querylens.config.json (its directory is the project root)
      --rule ID=SEVERITY       override a rule: off, info, warning or error (repeatable)
      --max-warnings N         exit 1 when more than N warnings are reported
  -q, --quiet                  errors only: info and warning findings are neither shown
                               nor counted
      --sort file|impact       order findings by file (default) or by time saved: measured
                               (pg_stat_statements in querylens.stats.json) first, then
                               estimated per call; the stylish output always ends with
                               the top 10 by time saved
      --no-color               no ANSI colours (also off when NO_COLOR is set or the
                               output is not a terminal; FORCE_COLOR=1 forces them on)
      --fix                    apply the findings' safe fixes, re-lint, report the rest
      --cache                  reuse the last run's results for files whose text and
                               inputs (the helpers and files their analysis read, the
                               configuration, schema and statistics) did not change
      --cache-location PATH    the cache file or a directory for it (default:
                               node_modules/.cache/querylens/ under the project root)
      --concurrency auto|N     worker threads (default auto: two for projects of 300
                               files up to 5 M characters on 2+ cores, else one thread;
                               1: no threads); the report is the same either way
      --report-unused-suppressions
                               report querylens-disable comments and suppressions-file
                               entries that suppress nothing (they count as warnings for
                               the exit code)

Baseline (accept today's findings, fail only on new ones):
      --suppress-all           write every current finding to querylens-suppressions.json
                               (per file, rule and fingerprint; moved code still matches);
                               later runs report only findings beyond it
      --suppress-rule ID       the same for one rule (repeatable)
      --prune-suppressions     drop entries that no longer match a finding
      --suppressions FILE      use FILE instead of querylens-suppressions.json at the
                               project root

Project root: the directory of --config, else of the nearest querylens.config.json
at or above the linted paths (their common directory: the current directory for
a bare "querylens lint"); without one, the nearest enclosing git repository (the
directory holding .git); otherwise the current directory (or the common
directory, when the paths lie outside it). Output paths are relative to the
current directory. Schema sources (migrations/**/*.sql, schema.sql, an ORM schema file, ...)
are collected from the whole root even when you lint a sub-path.

Files: .ts .tsx .mts .cts .js .jsx .mjs .cjs .sql. Skipped: .gitignore'd files (root
and nested .gitignore files), config "ignore" globs, node_modules, dist, build, out,
.next, coverage, .d.ts files, and test files (*.test.*, *.spec.*, __tests__/, test/,
tests/) unless the config sets "lintTests": true. Files named explicitly are linted
unless their extension is not one of the above. Unreadable, binary and very large
files are reported as problems; the run goes on.

Exit codes:
  0  no finding at or above the failing severity (config "failOn", default warning)
  1  findings at or above it, or more warnings than --max-warnings
  2  usage, configuration or internal error (the message names the cause), a rule
     that crashed on a file, or no file to lint could be read
`;
}
