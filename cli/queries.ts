/**
 * `querylens queries`: every query site the engine recognises in the named files (raw SQL and library
 * calls) and every call that looks like a query but could not be resolved, with the reason. Same project
 * root, configuration and file selection as `lint`; the engine (`Project.queries`) decides what is a site.
 *
 * `--format json`:
 * {
 *   "version", "formatVersion": 1,
 *   "queries": [{ "file", "line", "column", "endLine", "endColumn",   // 1-based, UTF-16 columns, end exclusive
 *                 "kind": "sql" | "orm", "library", "method", "table"?, "operation": "read" | "write" | "unknown",
 *                 "executes", "batched", "perElement", "loop"?: { "line", "column" } }],
 *   "unresolved": [{ "file", "line", "column", "method", "reason" }],
 *   "problems": [{ "kind", "file", "line"?, "message" }],
 *   "summary": { "files", "queries", "read", "write", "perElement", "unresolved" }
 * }
 * Exit code 0 (2 for usage, configuration or internal errors).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ListedQuery, type Problem, type UnresolvedQuery } from '../engine';
import type { QueriesOptions } from './args';
import { CliError } from './errors';
import { commonDirectory, locateProject, makeDirectories } from './files';
import { jsonWithoutControls, safeText } from './formats/escape';
import { loadConfig, loadProject, type LintIo } from './lint';
import { makeLocator, problemLocation, type Location, type Report } from './report';
import { VERSION } from './version';

interface Row {
  q: ListedQuery;
  at: Location;
  loop?: Location;
}

interface Candidate {
  u: UnresolvedQuery;
  at: Location;
}

export async function runQueries(opts: QueriesOptions, io: LintIo): Promise<number> {
  const { cwd } = io;
  const start = commonDirectory(opts.paths.map((p) => path.resolve(cwd, p)));
  const { root, configFile } = locateProject(start, opts.config, cwd);
  const config = loadConfig(cwd, configFile);
  const { project, problems, analysed, displayPath } = await loadProject(root, config, opts.paths, cwd);
  const locate = makeLocator((f) => project.fileText(f), displayPath);
  const rows: Row[] = [];
  const candidates: Candidate[] = [];
  for (const file of analysed) {
    if (file.endsWith('.sql')) continue;
    const list = project.queries(file);
    for (const q of list.queries) rows.push({ q, at: locate(file, q.range), loop: q.loop ? locate(file, q.loop) : undefined });
    for (const u of list.unresolved) candidates.push({ u, at: locate(file, u.range) });
  }
  const summary = {
    files: analysed.length,
    queries: rows.length,
    read: rows.filter((r) => r.q.operation === 'read').length,
    write: rows.filter((r) => r.q.operation === 'write').length,
    perElement: rows.filter((r) => r.q.perElement).length,
    unresolved: candidates.length,
  };
  const report = { displayPath, locate } as Pick<Report, 'displayPath' | 'locate'> as Report;
  const color = opts.color && opts.output === undefined && !(io.env.NO_COLOR ?? '') && io.stdout.isTTY === true;
  const text = opts.format === 'json' ? json(rows, candidates, problems, summary, report) : stylish(rows, candidates, problems, summary, report, color);
  if (opts.output !== undefined) {
    const out = path.resolve(cwd, opts.output);
    try {
      makeDirectories(path.dirname(out));
      fs.writeFileSync(out, text);
    } catch (e) {
      throw new CliError(`--output ${opts.output}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  } else io.stdout.write(text);
  return 0;
}

type Summary = { files: number; queries: number; read: number; write: number; perElement: number; unresolved: number };

function json(rows: Row[], candidates: Candidate[], problems: Problem[], summary: Summary, report: Report): string {
  const doc = {
    version: VERSION,
    formatVersion: 1,
    queries: rows.map(({ q, at, loop }) => ({
      file: at.path,
      line: at.line,
      column: at.column,
      endLine: at.endLine,
      endColumn: at.endColumn,
      kind: q.kind,
      library: q.library,
      method: q.method,
      ...(q.table !== undefined ? { table: q.table } : {}),
      operation: q.operation,
      executes: q.executes,
      batched: q.batched,
      perElement: q.perElement,
      ...(loop ? { loop: { line: loop.line, column: loop.column } } : {}),
    })),
    unresolved: candidates.map(({ u, at }) => ({ file: at.path, line: at.line, column: at.column, method: u.method, reason: u.reason })),
    problems: problems.map((p) => {
      const l = problemLocation(report, p);
      return { kind: p.kind, file: l?.path ?? p.file, ...(p.line !== undefined && l ? { line: l.line } : {}), message: p.message };
    }),
    summary,
  };
  return jsonWithoutControls(JSON.stringify(doc, null, 2)) + '\n';
}

function stylish(rows: Row[], candidates: Candidate[], problems: Problem[], summary: Summary, report: Report, color: boolean): string {
  const dim = (s: string) => (color ? `\u001b[2m${s}\u001b[22m` : s);
  const bold = (s: string) => (color ? `\u001b[1m${s}\u001b[22m` : s);
  const byFile = new Map<string, { rows: Row[]; candidates: Candidate[] }>();
  const entry = (f: string) => {
    let e = byFile.get(f);
    if (!e) byFile.set(f, (e = { rows: [], candidates: [] }));
    return e;
  };
  for (const r of rows) entry(r.at.path).rows.push(r);
  for (const c of candidates) entry(c.at.path).candidates.push(c);
  const lines: string[] = [];
  for (const [file, e] of [...byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    lines.push(bold(safeText(file)));
    for (const { q, at, loop } of e.rows) {
      const where = `${at.line}:${at.column}`.padEnd(8);
      const table = q.table ? safeText(q.table) : '?';
      const flags = [q.executes ? '' : 'builds only', q.batched ? 'batched' : '', q.perElement ? `per element (loop at line ${loop?.line})` : ''].filter(Boolean).join(', ');
      lines.push(`  ${where} ${q.kind.padEnd(3)}  ${q.library.padEnd(9)} ${safeText(q.method).padEnd(18)} ${table.padEnd(20)} ${q.operation.padEnd(7)}${flags ? ` ${dim(flags)}` : ''}`.trimEnd());
    }
    for (const { u, at } of e.candidates) {
      lines.push(`  ${`${at.line}:${at.column}`.padEnd(8)} ${dim('unresolved')} ${safeText(u.method)}: ${safeText(u.reason)}`);
    }
    lines.push('');
  }
  for (const p of problems) {
    const l = problemLocation(report, p);
    lines.push(`${safeText(l?.path ?? p.file ?? '')}${p.line !== undefined ? `:${p.line}` : ''}  ${dim(p.kind)}  ${safeText(p.message)}`);
  }
  if (problems.length) lines.push('');
  lines.push(
    `${summary.queries} query site${summary.queries === 1 ? '' : 's'} in ${summary.files} file${summary.files === 1 ? '' : 's'} (${summary.read} read, ${summary.write} write; ${summary.perElement} per element of a loop); ${summary.unresolved} unresolved candidate${summary.unresolved === 1 ? '' : 's'}`,
  );
  return lines.join('\n') + '\n';
}
