/**
 * Measures the SQL parser choice on real migration corpora:
 * pgsql-ast-parser (pure TypeScript) against libpg-query (PostgreSQL's own
 * parser, through engine/sql/parser.ts), and runs schema discovery on each.
 *
 *   npx tsx scripts/compare-parsers.ts <corpus-dir> [<corpus-dir> …] [--examples N]
 *
 * For every `.sql` file that schema discovery would read (isSchemaSource with
 * the default configuration; `--all-sql` takes every `.sql` file instead):
 * - whole-file: does the parser accept the file as a whole?
 * - per statement: the file is split at top-level `;` by PostgreSQL's scanner
 *   (the same pieces for both parsers), and each piece is parsed alone;
 * - time: parsing every file whole, median of 3 runs, per parser.
 * Then buildSchema over the corpus's schema sources (SQL and Prisma): tables,
 * indexes, problems, time (median of 3).
 *
 * Prints a Markdown table and example failures. Reads files only; writes nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse as pgsqlAstParse } from 'pgsql-ast-parser';
import { defaultConfig } from '../engine/config';
import { buildSchema, isSchemaSource } from '../engine/schema';
import { initParser, parseSql, scanSql, splitStatements } from '../engine/sql/parser';
import type { SourceFile } from '../engine/types';

/** Statement types schema discovery applies (engine/schema/sql-ddl.ts). */
const DDL = new Set(['CreateStmt', 'IndexStmt', 'AlterTableStmt', 'RenameStmt', 'AlterObjectSchemaStmt', 'DropStmt', 'CreateTableAsStmt', 'DoStmt']);

interface Failure {
  file: string;
  line: number;
  statement: string;
  message: string;
}

interface CorpusResult {
  name: string;
  files: number;
  statements: number;
  astFileFailures: number;
  astStmtFailures: number;
  /** Statements pgsql-ast-parser still rejects with their comments blanked out (grammar gaps, not comment lexing). */
  astStmtFailuresNoComments: number;
  /** Statements libpg-query reads as schema DDL (what buildSchema applies), and how many of those pgsql-ast-parser rejects. */
  ddlStatements: number;
  astDdlFailures: number;
  pgFileFailures: number;
  pgStmtFailures: number;
  astMs: number;
  pgMs: number;
  astExamples: Failure[];
  pgExamples: Failure[];
  schema: { sources: number; tables: number; indexes: number; problems: number; ms: number; warmMs: number; problemExamples: string[] };
}

function walk(dir: string, out: string[]): void {
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    if (ent.name === 'node_modules' || ent.name === '.git' || ent.isSymbolicLink()) continue;
    const p = join(dir, ent.name);
    if (ent.isDirectory()) walk(p, out);
    else if (ent.isFile()) out.push(p);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeIt(runs: number, fn: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function firstLine(s: string): string {
  const l = s
    .split('\n')
    .map((x) => x.trim())
    .find((x) => x && !x.startsWith('--'));
  return (l ?? s.trim()).slice(0, 90);
}

/** Pieces of a file that hold a statement (not only comments or whitespace), and the same with comments blanked. */
function statementPieces(text: string): { start: number; end: number; text: string; noComments: string }[] {
  const out: { start: number; end: number; text: string; noComments: string }[] = [];
  for (const p of splitStatements(text)) {
    const piece = text.slice(p.start, p.end);
    const tokens = scanSql(piece);
    if (!tokens.some((t) => !/COMMENT/.test(t.name) && t.text !== ';')) continue;
    let noComments = piece;
    for (const t of tokens) if (/COMMENT/.test(t.name)) noComments = noComments.slice(0, t.start) + piece.slice(t.start, t.end).replace(/[^\n]/g, ' ') + noComments.slice(t.end);
    out.push({ ...p, text: piece, noComments });
  }
  return out;
}

/** pgsql-ast-parser's first useful message line, with the source line it points at. */
function astMessage(e: unknown, piece: string): string {
  const m = e instanceof Error ? e.message : String(e);
  const unexpected = m.split('\n').find((l) => /^Unexpected/.test(l)) ?? m.split('\n')[0];
  const at = /line (\d+) col (\d+)/.exec(m);
  const src = at ? (piece.split('\n')[Number(at[1]) - 1] ?? '').trim().slice(0, 80) : '';
  return `${unexpected.replace(/\. Instead.*$/, '').slice(0, 100)}${src ? ` at \`${src.replace(/`/g, "'")}\`` : ''}`;
}

function measure(dir: string, allSql: boolean, nExamples: number): CorpusResult {
  const paths: string[] = [];
  walk(dir, paths);
  const cfg = defaultConfig();
  const rel = (p: string) => relative(dir, p).split(sep).join('/');
  const sources: SourceFile[] = [];
  const sqlFiles: SourceFile[] = [];
  for (const p of paths) {
    const r = rel(p);
    const isSource = isSchemaSource(r, cfg);
    if (!isSource && !(allSql && r.endsWith('.sql'))) continue;
    const text = readFileSync(p, 'utf8');
    if (isSource) sources.push({ path: r, text });
    if (r.endsWith('.sql')) sqlFiles.push({ path: r, text });
  }
  const res: CorpusResult = {
    name: dir.replace(/\/$/, '').split('/').pop()!,
    files: sqlFiles.length,
    statements: 0,
    astFileFailures: 0,
    astStmtFailures: 0,
    astStmtFailuresNoComments: 0,
    ddlStatements: 0,
    astDdlFailures: 0,
    pgFileFailures: 0,
    pgStmtFailures: 0,
    astMs: 0,
    pgMs: 0,
    astExamples: [],
    pgExamples: [],
    schema: { sources: 0, tables: 0, indexes: 0, problems: 0, ms: 0, warmMs: 0, problemExamples: [] },
  };
  for (const f of sqlFiles) {
    try {
      pgsqlAstParse(f.text);
    } catch {
      res.astFileFailures++;
    }
    if (parseSql(f.text).errors.length > 0) res.pgFileFailures++;
    for (const piece of statementPieces(f.text)) {
      res.statements++;
      let asIs: unknown;
      try {
        pgsqlAstParse(piece.text);
      } catch (e) {
        res.astStmtFailures++;
        asIs = e;
      }
      if (asIs) {
        const line = lineOf(f.text, piece.start + piece.noComments.search(/\S/));
        try {
          pgsqlAstParse(piece.noComments);
          // Fails only because of a comment: keep one such example.
          if (!res.astExamples.some((x) => x.message.startsWith('(comment)')))
            res.astExamples.push({ file: f.path, line, statement: firstLine(piece.noComments), message: `(comment) ${astMessage(asIs, piece.text)}` });
        } catch (e) {
          res.astStmtFailuresNoComments++;
          if (res.astExamples.length < nExamples) res.astExamples.push({ file: f.path, line, statement: firstLine(piece.noComments), message: astMessage(e, piece.noComments) });
        }
      }
      const out = parseSql(piece.text);
      if (out.statements.some((st) => DDL.has(st.type))) {
        res.ddlStatements++;
        if (asIs) res.astDdlFailures++;
      }
      if (out.errors.length > 0) {
        res.pgStmtFailures++;
        if (res.pgExamples.length < nExamples) res.pgExamples.push({ file: f.path, line: lineOf(f.text, piece.start + piece.noComments.search(/\S/)), statement: firstLine(piece.noComments), message: out.errors[0].message.split('\n')[0] });
      }
    }
  }
  res.astMs = timeIt(3, () => {
    for (const f of sqlFiles) {
      try {
        pgsqlAstParse(f.text);
      } catch {
        // counted above
      }
    }
  });
  res.pgMs = timeIt(3, () => {
    for (const f of sqlFiles) parseSql(f.text);
  });
  // Cold: every file parsed (buildSchema caches parses by path, so each run gets fresh paths).
  let run = 0;
  res.schema.ms = timeIt(3, () => {
    const prefix = `cold${run++}/`;
    buildSchema(
      sources.map((f) => ({ path: prefix + f.path, text: f.text })),
      cfg,
    );
  });
  // Warm: the server's case, one file edited and the rest parsed before.
  let model = buildSchema(sources, cfg);
  res.schema.warmMs = timeIt(3, () => {
    model = buildSchema(sources, cfg);
  });
  res.schema.sources = model.sources.length;
  res.schema.tables = model.tables.size;
  res.schema.indexes = [...model.tables.values()].reduce((n, t) => n + t.indexes.length, 0);
  res.schema.problems = model.problems.length;
  res.schema.problemExamples = model.problems.slice(0, nExamples).map((p) => `${p.file}:${p.line ?? '?'} ${p.message.split('\n')[0].slice(0, 140)}`);
  return res;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const allSql = args.includes('--all-sql');
  const exIdx = args.indexOf('--examples');
  const nExamples = exIdx >= 0 ? Number(args[exIdx + 1]) : 4;
  const dirs = args.filter((a, i) => !a.startsWith('--') && !(exIdx >= 0 && i === exIdx + 1));
  if (dirs.length === 0) {
    console.error('usage: npx tsx scripts/compare-parsers.ts <corpus-dir> [...] [--all-sql] [--examples N]');
    process.exit(2);
  }
  await initParser();
  const results = dirs.map((d) => measure(d, allSql, nExamples));
  const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)} %` : '-');
  console.log('| corpus | .sql files | statements | pgsql-ast-parser: files rejected | pgsql-ast-parser: statements rejected (comments blanked) | libpg-query: files rejected | libpg-query: statements rejected | pgsql-ast-parser time | libpg-query time |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.files} | ${r.statements} | ${r.astFileFailures} (${pct(r.astFileFailures, r.files)}) | ${r.astStmtFailures} (${pct(r.astStmtFailures, r.statements)}; ${r.astStmtFailuresNoComments} with comments blanked) | ${r.pgFileFailures} (${pct(r.pgFileFailures, r.files)}) | ${r.pgStmtFailures} (${pct(r.pgStmtFailures, r.statements)}) | ${r.astMs.toFixed(0)} ms | ${r.pgMs.toFixed(0)} ms |`,
    );
  }
  console.log('\n| corpus | schema DDL statements (CREATE/ALTER/DROP TABLE/INDEX, DO) | of those, rejected by pgsql-ast-parser |');
  console.log('| --- | ---: | ---: |');
  for (const r of results) console.log(`| ${r.name} | ${r.ddlStatements} | ${r.astDdlFailures} (${pct(r.astDdlFailures, r.ddlStatements)}) |`);
  console.log('\n| corpus | schema sources applied | tables | indexes | problems | buildSchema time (cold) | buildSchema time (parses cached) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results)
    console.log(`| ${r.name} | ${r.schema.sources} | ${r.schema.tables} | ${r.schema.indexes} | ${r.schema.problems} | ${r.schema.ms.toFixed(0)} ms | ${r.schema.warmMs.toFixed(0)} ms |`);
  for (const r of results) {
    console.log(`\n### ${r.name}: example failures`);
    console.log('pgsql-ast-parser:');
    for (const e of r.astExamples) console.log(`- \`${e.file}:${e.line}\` \`${e.statement}\` — ${e.message}`);
    if (r.astExamples.length === 0) console.log('- none');
    console.log('libpg-query:');
    for (const e of r.pgExamples) console.log(`- \`${e.file}:${e.line}\` \`${e.statement}\` — ${e.message}`);
    if (r.pgExamples.length === 0) console.log('- none');
    console.log('buildSchema problems:');
    for (const e of r.schema.problemExamples) console.log(`- ${e}`);
    if (r.schema.problemExamples.length === 0) console.log('- none');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
