/**
 * `querylens lint`: find the project, load its config, walk the files, feed
 * the engine (cli/run.ts: here or in worker threads, from the cache where
 * nothing changed), apply safe fixes when asked, format, decide the exit code.
 * The engine (`Project.analyze`) alone decides what is a finding.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type AnalysisResult,
  type Finding,
  type Problem,
  type ProblemKind,
  Project,
  type QuerylensConfig,
  allRules,
  impactOrder,
  defaultConfig,
  formatConfigIssues,
  initParser,
  isAnalyzable,
  parseConfigText,
  ruleIds,
} from '../engine';
import type { FormatName, LintOptions } from './args';
import { FileFilter, commonDirectory, runClock, isInside, lazyReader, loadSchemaSources, locateProject, makeDirectories, readSource, realpathOr, toProjectPath } from './files';
import { applyBaseline } from './baseline';
import { changedFiles } from './changed';
import { CliError, unknownRule } from './errors';
import { applyFixPasses } from './fix-write';
import { formatGithub } from './formats/github';
import { formatGitlab } from './formats/gitlab';
import { formatHtml } from './formats/html';
import { formatJson } from './formats/json';
import { formatSarif } from './formats/sarif';
import { formatStylish } from './formats/stylish';
import { type FixedEntry, type Report, type Rule, makeLocator, severityRank } from './report';
import { LintCache, cacheFileAt, cacheKey, defaultCacheFile } from './cache';
import { LintRun } from './run';
import { VERSION } from './version';

export { CliError } from './errors';

/**
 * How many lint → fix rounds `--fix` runs at most: it stops at the first round that applies nothing. A fix may
 * uncover or unblock another, and each migrations folder gets one new file per round (numbered names stay in
 * sequence), so twelve index migrations take twelve rounds; the bound only stops fixes that keep re-creating work.
 */
const MAX_FIX_PASSES = 50;

export interface LintIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr?: { write(s: string): unknown };
  /** The rule set; the registry by default (tests pass their own). */
  rules?: readonly Rule[];
  /** Told how each analysis pass ran (tests and the benchmark: threads, files taken from the cache). */
  onPass?(pass: PassInfo): void;
  /** Characters of source whose syntax trees a thread may hold (tests: 0 drops them after every file). */
  treeBudget?: number;
  /**
   * Whether files that reach no data library skip extraction and rules (engine/sources/reach.ts); default on.
   * Off: every file analysed whole (the prefilter's proof compares the two; also QUERYLENS_PREFILTER=0).
   */
  reachFilter?: boolean;
  /** The worker threads' script (tests: the fresh bundle, instead of compiling the sources in every thread). */
  workerScript?: string;
}

export interface PassInfo {
  /** Linted files. */
  files: number;
  /** Of those, results taken from the cache. */
  fromCache: number;
  /** Threads that analysed (1: the main thread only). */
  threads: number;
  /** Why a cache file on disk was not used, when one was there and was not. */
  cacheDropped?: string;
}

export function loadConfig(cwd: string, configFile: string | undefined, known: readonly string[] = ruleIds()): QuerylensConfig {
  if (!configFile) return defaultConfig();
  const shown = path.relative(cwd, configFile) || configFile;
  let text: string;
  try {
    text = fs.readFileSync(configFile, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CliError(`config ${shown}: ${err.code === 'ENOENT' ? 'file not found' : `cannot be read (${err.code ?? err.message})`}`);
  }
  const { config, issues } = parseConfigText(text, known);
  if (issues.length === 1) throw new CliError(`config ${formatConfigIssues(shown, issues)[0]}`);
  if (issues.length) throw new CliError(`config ${shown}: ${issues.length} errors\n${formatConfigIssues(shown, issues).map((l) => `  ${l}`).join('\n')}`);
  return config;
}

function applyRuleOverrides(cfg: QuerylensConfig, opts: LintOptions, known: readonly string[]): void {
  for (const { id, severity } of opts.rules) {
    if (!known.includes(id)) throw unknownRule('--rule', id, known);
    cfg.rules[id] = { severity, options: cfg.rules[id]?.options ?? {} };
  }
  if (opts.reportUnusedSuppressions) cfg.reportUnusedSuppressions = true;
}

export async function runLint(opts: LintOptions, io: LintIo): Promise<number> {
  const { cwd } = io;
  const rules = io.rules ?? allRules;
  const known = rules.map((r) => r.id);
  const start = commonDirectory(opts.paths.map((p) => path.resolve(cwd, p)));
  const { root, configFile } = locateProject(start, opts.config, cwd);
  const config = loadConfig(cwd, configFile, known);
  applyRuleOverrides(config, opts, known);
  const { problems, targets, analysed, bom, displayPath, realRoot, texts, candidates, schemaFiles } = await loadProject(root, config, opts.paths, cwd, rules);

  // The engine's work: here or in worker threads, each file from the cache when its inputs hold (cli/run.ts).
  const cache = opts.cache
    ? LintCache.load(opts.cacheLocation ? cacheFileAt(opts.cacheLocation, cwd, root) : defaultCacheFile(root), cacheKey(root, config, rules, schemaFiles, texts), known)
    : undefined;
  const run = new LintRun({ root, config, rules, registryRules: io.rules === undefined, candidates, schemaFiles, texts, analysed, concurrency: opts.concurrency, cache, treeBudget: io.treeBudget, workerScript: io.workerScript, reachFilter: io.reachFilter ?? io.env.QUERYLENS_PREFILTER !== '0' });
  const textOfFile = (f: string) => run.textOf(f);

  const analyseAll = async (): Promise<AnalysisResult> => {
    const r = await run.analyseAll();
    io.onPass?.({ files: analysed.length, fromCache: run.fromCache, threads: run.threadsUsed, cacheDropped: cache?.dropped || undefined });
    return r;
  };
  const { result, fixed } = await applyFixPasses(opts.fix ? MAX_FIX_PASSES : 0, { run, root, realRoot, bom, problems, analyse: analyseAll });

  problems.push(...(await schemaProblemsOf(run, result, cache, io)), ...result.problems);

  // The baseline (querylens-suppressions.json) sees every finding, whatever --quiet shows.
  const base = applyBaseline({
    opts,
    cwd,
    root,
    findings: result.findings,
    analysed,
    textOf: (f) => textOfFile(f),
    reportUnused: config.reportUnusedSuppressions,
    known,
  });
  problems.push(...base.problems);
  if (base.wrote) io.stderr?.write(`querylens: wrote ${base.wrote.file} (${base.wrote.accepted} accepted finding${base.wrote.accepted === 1 ? '' : 's'})\n`);

  const { reported, scope } = opts.changedSince ? onlyChanged(root, opts.changedSince, analysed, base.findings, problems) : { reported: base.findings, scope: undefined };

  const kept = opts.quiet ? reported.filter((f) => f.severity === 'error') : reported;
  const shown = opts.sort === 'impact' ? [...kept].sort(impactOrder(config.minSavingMs, config.minMeasuredSavingMs)) : kept;
  const unusedSuppressions = opts.quiet ? 0 : problems.filter((p) => p.kind === 'unused-suppression').length;
  const report = makeReport({ config, opts, cwd, rules, displayPath, textOf: textOfFile, shown, problems, fixed, scope, files: analysed.length, suppressed: base.suppressed });

  writeOutputs(opts, io, report);

  return exitCode(config, opts, io, { shown, problems, warnings: report.summary.warnings, unusedSuppressions, targets: targets.size, analysed: analysed.length });
}



interface ReportParts {
  config: QuerylensConfig;
  opts: LintOptions;
  cwd: string;
  rules: readonly Rule[];
  displayPath: (file: string) => string;
  textOf: (file: string) => string | undefined;
  shown: Finding[];
  problems: Problem[];
  fixed: FixedEntry[];
  scope: string | undefined;
  /** Files analysed; findings the baseline suppressed. */
  files: number;
  suppressed: number;
}

/** The Report every format lays out, with its summary counts. */
function makeReport(p: ReportParts): Report {
  const count = (s: string) => p.shown.filter((f) => f.severity === s).length;
  const summary = {
    files: p.files,
    errors: count('error'),
    warnings: count('warning'),
    infos: count('info'),
    problems: p.problems.length,
    fixed: p.fixed.length,
    suppressed: p.suppressed,
  };
  return {
    minSavingMs: p.config.minSavingMs,
    minMeasuredSavingMs: p.config.minMeasuredSavingMs,
    toolVersion: VERSION,
    cwd: p.cwd,
    findings: p.shown,
    problems: p.problems,
    fixed: p.fixed,
    summary,
    rules: p.rules,
    displayPath: p.displayPath,
    locate: makeLocator(p.textOf, p.displayPath),
    text: p.textOf,
    scope: p.scope,
    sort: p.opts.sort,
  };
}

/**
 * The schema problems of the run (a migration that does not parse belongs to every run; when the migration
 * was linted too, its own unparseable-sql problem already says it on that line), after saving the cache.
 */
async function schemaProblemsOf(run: LintRun, result: AnalysisResult, cache: LintCache | undefined, io: LintIo): Promise<Problem[]> {
  const parseErrorLines = new Set(result.problems.filter((p) => p.kind === 'unparseable-sql').map((p) => `${p.file}:${p.line}`));
  const schemaProblems = run.schemaProblems();
  if (cache) {
    const err = await run.saveCache(schemaProblems);
    if (err) io.stderr?.write(`querylens: ${err}\n`);
  }
  return schemaProblems
    .filter((sp) => sp.line === undefined || !parseErrorLines.has(`${sp.file}:${sp.line}`))
    .map((sp) => ({ kind: 'schema', file: sp.file, line: sp.line, range: sp.range, message: sp.message }));
}

/** --changed-since: everything was analysed (N+1s cross files); only changed files are reported (problems filtered in place). */
function onlyChanged(root: string, since: string, analysed: readonly string[], findings: Finding[], problems: Problem[]): { reported: Finding[]; scope: string } {
  const changed = changedFiles(root, since);
  const kept = problems.filter((p) => !p.file || changed.has(p.file) || !analysed.includes(p.file));
  problems.length = 0;
  problems.push(...kept);
  const nChanged = analysed.filter((f) => changed.has(f)).length;
  return { reported: findings.filter((f) => changed.has(f.file)), scope: `files changed since ${since} (${nChanged} of ${analysed.length} analysed)` };
}

/** The report to stdout or --output, the extra --report files, and (for the machine formats) what --fix did on stderr. */
function writeOutputs(opts: LintOptions, io: LintIo, report: Report): void {
  const toFile = opts.output !== undefined;
  const color = opts.color && !toFile && !(io.env.NO_COLOR ?? '') && (io.stdout.isTTY === true || isForced(io.env));
  const text = formatReport(opts.format, report, color);
  if (opts.output !== undefined) writeReportFile(report.cwd, '--output', opts.output, text);
  else io.stdout.write(text);
  for (const extra of opts.reports) writeReportFile(report.cwd, `--report ${extra.format}`, extra.file, formatReport(extra.format, report, false));
  // stylish and json list the fixes; for the machine formats say it on stderr.
  const { fixed } = report;
  if (fixed.length && (opts.format !== 'stylish' && opts.format !== 'json' || toFile)) {
    const nFiles = new Set(fixed.map((f) => f.file)).size;
    io.stderr?.write(`querylens: fixed ${fixed.length} problem${fixed.length === 1 ? '' : 's'} in ${nFiles} file${nFiles === 1 ? '' : 's'}\n`);
  }
}

interface RunOutcome {
  shown: readonly Finding[];
  problems: readonly Problem[];
  warnings: number;
  unusedSuppressions: number;
  /** Files named to lint, and of those read. */
  targets: number;
  analysed: number;
}

/**
 * 0 clean, 1 findings at --fail-on or over --max-warnings, 2 an internal error (a rule that crashed) or a run
 * that could read none of its files: not a clean result, whatever was found; stderr says why.
 */
function exitCode(config: QuerylensConfig, opts: LintOptions, io: LintIo, o: RunOutcome): number {
  const failRank = severityRank(config.failOn);
  const failing = o.shown.some((f) => severityRank(f.severity) >= failRank) || (o.unusedSuppressions > 0 && failRank <= 1);
  const tooManyWarnings = opts.maxWarnings !== undefined && o.warnings + o.unusedSuppressions > opts.maxWarnings;
  const crashes = o.problems.filter((p) => p.kind === 'rule-crash').length;
  const nothingRead = o.targets > 0 && o.analysed === 0 && o.problems.some((p) => p.kind === 'unreadable-file');
  if (crashes || nothingRead) {
    io.stderr?.write(
      nothingRead
        ? `querylens: none of the ${o.targets} file${o.targets === 1 ? '' : 's'} to lint could be read (see the problems in the report)\n`
        : `querylens: ${crashes} internal error${crashes === 1 ? '' : 's'} (rule-crash problems in the report)\n`,
    );
    return 2;
  }
  return failing || tooManyWarnings ? 1 : 0;
}

/** The files of a run, read into a Project: the named paths (analysed) and every schema source of the root. */
export interface LoadedProject {
  project: Project;
  problems: Problem[];
  targets: Set<string>;
  /** Targets that could be read, sorted. */
  analysed: string[];
  bom: Map<string, boolean>;
  displayPath: (file: string) => string;
  /** The root with links resolved (written files must stay inside it). */
  realRoot: string;
  /** Texts read (schema sources and targets), without BOM. */
  texts: Map<string, string>;
  /** Every file the walk found. */
  candidates: string[];
  /** Schema sources that could be read. */
  schemaFiles: string[];
}

export async function loadProject(root: string, config: QuerylensConfig, paths: readonly string[], cwd: string, rules: readonly Rule[] = allRules): Promise<LoadedProject> {
  const filter = new FileFilter(root, config.ignore, config.lintTests);
  const problems: Problem[] = [];
  const displayPath = (file: string) => path.relative(cwd, path.join(root, file)).split(path.sep).join('/') || '.';

  // One walk of the whole root serves both the schema (collected from everywhere) and the
  // named directories (their part of the same list), so ignore rules apply identically.
  const candidates = filter.walk('');
  for (const u of filter.unsafePatterns) {
    problems.push({ kind: 'limit', file: u.file, line: u.line, message: `pattern not applied: too complex to match safely (${u.why})` });
  }
  for (const u of filter.unreadable) {
    problems.push({ kind: 'unreadable-file', file: u.dir || '.', message: `directory cannot be read: ${u.reason}; the files in it are not linted` });
  }
  const targets = collectTargets(root, cwd, paths, candidates, problems);

  const clock = new Date(runClock());
  const project = new Project(config, { readFile: lazyReader(root), listFiles: () => candidates, now: () => clock }, [...rules]);
  const realRoot = realpathOr(root);
  // Fixes that create files (migrations) must avoid every existing name, read or not.
  project.setPathsOnDisk(candidates);
  await initParser();
  const bom = new Map<string, boolean>();
  const texts = new Map<string, string>();
  const analysed: string[] = [];
  // A failed read is reported once; a file read only to look at its content (report false) is no problem when unreadable.
  const failures = new Map<string, { kind: ProblemKind; reason: string }>();
  const read = (file: string, report = true): string | undefined => {
    const known = texts.get(file);
    if (known !== undefined) return known;
    let failure = failures.get(file);
    if (!failure) {
      const r = readSource(path.join(root, file), realRoot);
      if (r.ok) {
        bom.set(file, r.bom);
        return r.text;
      }
      failure = { kind: r.kind, reason: r.reason };
      failures.set(file, failure);
    }
    if (report && !problems.some((p) => p.file === file && p.message === failure.reason)) problems.push({ kind: failure.kind, file, message: failure.reason });
    return undefined;
  };
  for (const file of targets) {
    const text = read(file);
    if (text === undefined) continue;
    texts.set(file, text);
    project.setFile(file, text);
    analysed.push(file);
  }
  // Schema sources come from the whole project, whatever was named, by path or by content; and the manifests.
  const schemaTexts = loadSchemaSources(root, candidates, config, read);
  for (const [file, text] of schemaTexts) {
    texts.set(file, text);
    project.setFile(file, text);
  }
  analysed.sort();
  return { project, problems, targets, analysed, bom, displayPath, realRoot, texts, candidates, schemaFiles: [...schemaTexts.keys()] };
}

/** The files named to lint: the paths given, files as they are, directories as the analyzable files the walk found under them. */
function collectTargets(root: string, cwd: string, paths: readonly string[], candidates: readonly string[], problems: Problem[]): Set<string> {
  const targets = new Set<string>();
  for (const arg of paths) {
    const abs = path.resolve(cwd, arg);
    if (!isInside(root, abs)) throw new CliError(`${arg}: outside the project root ${root} (run querylens from inside the project, or pass --config)`);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      throw new CliError(`${arg}: no such file or directory`);
    }
    const rel = toProjectPath(root, abs);
    if (st.isDirectory()) {
      const found = candidates.filter((f) => (rel === '' || f.startsWith(`${rel}/`)) && isAnalyzable(f));
      if (found.length === 0) problems.push({ kind: 'skipped-file', file: rel || '.', message: 'no file to lint here (all ignored, or none with a linted extension)' });
      for (const f of found) targets.add(f);
    } else if (isAnalyzable(rel)) {
      targets.add(rel);
    } else {
      problems.push({ kind: 'skipped-file', file: rel, message: 'not a file type querylens lints (.ts .tsx .mts .cts .js .jsx .mjs .cjs .sql); skipped' });
    }
  }
  return targets;
}

function isForced(env: NodeJS.ProcessEnv): boolean {
  const v = env.FORCE_COLOR;
  return v !== undefined && v !== '0' && v !== 'false';
}

/** The formats by name: each lays out the same Report. */
const FORMATTERS: Record<FormatName, (report: Report, color: boolean) => string> = {
  stylish: formatStylish,
  json: formatJson,
  sarif: formatSarif,
  github: formatGithub,
  gitlab: formatGitlab,
  html: (report) => formatHtml(report),
};

export function formatReport(format: FormatName, report: Report, color: boolean): string {
  return FORMATTERS[format](report, color);
}

function writeReportFile(cwd: string, flag: string, file: string, text: string): void {
  const out = path.resolve(cwd, file);
  try {
    makeDirectories(path.dirname(out));
    fs.writeFileSync(out, text);
  } catch (e) {
    throw new CliError(`${flag} ${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
