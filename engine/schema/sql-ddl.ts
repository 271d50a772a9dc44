/**
 * Applies PostgreSQL DDL (parsed by libpg-query through `engine/sql/parser`)
 * to a schema model: CREATE/ALTER/DROP of tables, columns, constraints and
 * indexes. Everything else (DML, functions, grants, extensions) is read and
 * ignored. A statement that does not parse, or that names an object the
 * model does not know, becomes a SchemaProblem; nothing here throws for bad
 * input.
 *
 * Keys: tables are keyed `schema.name` with both parts as PostgreSQL stores
 * them (the parser already folded unquoted identifiers to lower case, quoted
 * ones keep their case: `"User"` is `public.User`). Unqualified names resolve
 * through the file's `search_path` (`SET search_path`), default `public`.
 */
import { type ParsedStatement, parseSql, type PgNode, scanSql, splitStatements } from '../sql/parser';
import { LineIndex } from '../text';
import type { SchemaModel } from './types';
import { skipTrivia } from './ddl-text';
import { type FileState, problem, resolveTable, type SqlEmbedding } from './ddl-state';
import { STATEMENTS } from './ddl-statements';

export { indexPredicateAst, seedTable, type SqlEmbedding, tableKey } from './ddl-state';
export { normalizeType, predicateText, truncateIdent } from './ddl-text';

const parseCache = new Map<string, { text: string; outcome: ReturnType<typeof parseSql> }>();
const PARSE_CACHE_MAX = 5000;

function cachedParse(file: string, text: string): ReturnType<typeof parseSql> {
  const hit = parseCache.get(file);
  if (hit && hit.text === text) return hit.outcome;
  const outcome = parseSql(text);
  if (parseCache.size >= PARSE_CACHE_MAX) parseCache.clear();
  parseCache.set(file, { text, outcome });
  return outcome;
}

/**
 * Applies one SQL file's DDL to the model. Returns false when the whole file was skipped (not PostgreSQL).
 * `original`: the file's own text when `text` was rewritten (psql variables substituted), with
 * `offsetOf` mapping offsets of `text` back to it.
 */
export function applySqlFile(model: SchemaModel, file: string, text: string, original?: { text: string; offsetOf(i: number): number }): boolean {
  const fileLines = new LineIndex(original?.text ?? text);
  const toFile = original ? (i: number) => original.offsetOf(i) : (i: number) => i;
  const outcome = cachedParse(file, text);
  const st: FileState = { model, file, text, lines: fileLines, searchPath: ['public'], stmt: { start: 0, end: 0 } };
  if (original) st.embed = { at: toFile, lines: fileLines };
  // A file of comments only ("Query cannot be empty") holds nothing to apply.
  if (outcome.statements.length === 0 && !scanSql(text).some((t) => !/COMMENT/.test(t.name) && t.text !== ';')) return true;
  // More statements fail than parse: another database's SQL. Applying the few
  // that happen to parse (a ClickHouse RENAME COLUMN) would corrupt the model.
  if (outcome.errors.length > 0 && (outcome.statements.length === 0 || (outcome.errors.length >= 2 && outcome.errors.length > outcome.statements.length))) {
    const e = outcome.errors[0];
    const count = outcome.errors.length;
    const line = fileLines.position(toFile(e.statementStart !== undefined ? skipTrivia(text, e.statementStart, e.statementEnd) : e.offset)).line + 1;
    model.problems.push({
      file,
      line,
      message:
        count > 1
          ? `${count} of ${count + outcome.statements.length} statements do not parse as PostgreSQL (first at line ${line}: ${e.message}); another database's SQL? File skipped`
          : `not readable as PostgreSQL: ${e.message}`,
    });
    return false;
  }
  for (const e of outcome.errors) {
    markUnreadIndexDdl(st, text, e.statementStart, e.statementEnd);
    const at = toFile(e.statementStart !== undefined ? skipTrivia(text, e.statementStart, e.statementEnd) : e.offset);
    model.problems.push({
      file,
      line: fileLines.position(at).line + 1,
      range: { start: at, end: toFile(e.statementEnd ?? at) },
      message: `statement skipped, not readable as PostgreSQL: ${e.message}`,
    });
  }
  for (const s of outcome.statements) applyStatement(st, s, true);
  return true;
}

/**
 * Applies SQL that is not a file of its own: a string passed to a TypeScript migration's raw-SQL call
 * (`queryRunner.query`, `knex.raw`, `pgm.sql`), or DDL written for a schema event (engine/schema/events.ts).
 * Definitions and problems land in `file` through `embed`. A statement that does not parse is one problem.
 */
export function applySqlText(model: SchemaModel, file: string, sql: string, embed: SqlEmbedding, searchPath: string[] = ['public']): void {
  const outcome = parseSql(sql);
  const st: FileState = { model, file, text: sql, lines: embed.lines, searchPath, stmt: { start: 0, end: sql.length }, embed };
  for (const e of outcome.errors) {
    st.stmt = { start: e.statementStart ?? 0, end: e.statementEnd ?? sql.length };
    markUnreadIndexDdl(st, sql, e.statementStart, e.statementEnd);
    problem(st, e.statementStart !== undefined ? skipTrivia(sql, e.statementStart, e.statementEnd) : e.offset, `statement skipped, not readable as PostgreSQL: ${e.message}`);
  }
  for (const s of outcome.statements) applyStatement(st, s, true);
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
/** `CREATE [UNIQUE] INDEX … ON [ONLY] t` or `ALTER TABLE [IF EXISTS] [ONLY] t` at the start of a statement; group 1 = t. */
const INDEX_DDL_TARGET = new RegExp(
  String.raw`^(?:CREATE\s+(?:UNIQUE\s+)?INDEX\b[^;]*?\bON\s+(?:ONLY\s+)?|ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?)(${IDENT}(?:\s*\.\s*${IDENT})?)`,
  'i',
);

/**
 * A statement the parser could not read may still name the table whose indexes it changes; that table's
 * index list is then incomplete, and unindexed-predicate must not judge it (an index the model cannot see
 * may serve the query: Kysely's `createIndex().on(t).expression(sql\`…\`)` trick for partial indexes).
 */
function markUnreadIndexDdl(st: FileState, text: string, start: number | undefined, end: number | undefined): void {
  // No statement start: the parser failed on the first statement (or the only one, for SQL from an event).
  const from = skipTrivia(text, start ?? 0, end);
  const m = INDEX_DDL_TARGET.exec(text.slice(from, Math.min(end ?? text.length, from + 4096)));
  if (!m) return;
  const parts = m[1].split(/\s*\.\s*(?=(?:"|[A-Za-z_]))/).map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.toLowerCase()));
  const rv = parts.length === 2 ? { schemaname: parts[0], relname: parts[1] } : { relname: parts[0] };
  const table = resolveTable(st, rv);
  if (table) table.unreadIndexDdl = true;
}

const DDL_TYPES = new Set(['CreateStmt', 'IndexStmt', 'AlterTableStmt', 'RenameStmt', 'AlterObjectSchemaStmt', 'DropStmt', 'CreateTableAsStmt']);

function applyStatement(st: FileState, s: ParsedStatement, topLevel: boolean): void {
  st.stmt = { start: s.start, end: s.end };
  const body = s.node[s.type];
  try {
    if (s.type === 'DoStmt') {
      if (topLevel) applyDoBlock(st, body);
    } else if (Object.hasOwn(STATEMENTS, s.type)) STATEMENTS[s.type](st, body, topLevel);
  } catch (err) {
    // An AST shape this code did not expect: report it, keep going.
    problem(st, s.start, `statement not applied (${s.type}): ${err instanceof Error ? err.message : String(err)}`);
  }
}

function shiftLocations(node: PgNode, by: number): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) shiftLocations(n, by);
    return;
  }
  for (const k of Object.keys(node)) {
    const v = node[k];
    if (k === 'location' && typeof v === 'number') node[k] = v < 0 ? v : v + by;
    else if (v && typeof v === 'object') shiftLocations(v, by);
  }
}

/**
 * DDL inside `DO $$ … $$` blocks. Migrations guard DDL this way to be
 * idempotent (`IF NOT EXISTS (…) THEN CREATE INDEX …`, `EXECUTE 'ALTER INDEX
 * … RENAME …'`, Drizzle's `BEGIN ALTER TABLE … EXCEPTION WHEN
 * duplicate_object`). We apply the DDL statements found there as if the guard
 * passed: the guard almost always checks that the change is still needed.
 * Only constant `EXECUTE '…';` strings are read; concatenated dynamic SQL is
 * not. Fragments that are not SQL are ignored silently (it is PL/pgSQL).
 */
function applyDoBlock(st: FileState, s: PgNode): void {
  let code: string | undefined;
  let language = 'plpgsql';
  for (const a of s.args ?? []) {
    const d = a.DefElem;
    if (d?.defname === 'as') code = d.arg?.String?.sval;
    else if (d?.defname === 'language') language = String(d.arg?.String?.sval ?? '').toLowerCase();
  }
  if (!code || language !== 'plpgsql' || !/\b(create|alter|drop)\b/i.test(code)) return;
  const base = st.text.indexOf(code, st.stmt.start);
  if (base < 0) return;
  const outer = st.stmt;
  const snippets: { sql: string; at: number }[] = [];
  const exec = /\bEXECUTE\s+'((?:[^']|'')*)'\s*;/gi;
  let m: RegExpExecArray | null;
  while ((m = exec.exec(code))) snippets.push({ sql: m[1].replace(/''/g, "'"), at: base + m.index + m[0].indexOf("'") + 1 });
  for (const piece of splitStatements(code)) {
    const text = code.slice(piece.start, piece.end);
    const k = /(?:^|\b(?:BEGIN|THEN|ELSE|LOOP)\b)(\s*)(?=(?:CREATE|ALTER|DROP)\b)/i.exec(text.replace(/--[^\n]*/g, (c) => ' '.repeat(c.length)));
    if (!k) continue;
    const from = k.index + k[0].length;
    snippets.push({ sql: text.slice(from), at: base + piece.start + from });
  }
  for (const snip of snippets) {
    const out = parseSql(snip.sql);
    if (out.errors.length) continue;
    for (const inner of out.statements) {
      if (!DDL_TYPES.has(inner.type)) continue;
      shiftLocations(inner.node, snip.at);
      st.quiet = true;
      applyStatement(st, { ...inner, start: inner.start + snip.at, end: inner.end + snip.at }, false);
      st.quiet = false;
    }
  }
  st.stmt = outer;
}
