/**
 * How the application uses each table, over the whole project: what the
 * code compares each column to (constants or anything else), and which
 * tables it writes. Selectivity reads the first (a column compared only to
 * a few words is a status column); the second finds reference tables (a
 * table the application never writes outside migrations, seeds and one-off
 * scripts holds what the migrations put there: a few rows).
 *
 * One summary per file version (memoised), merged per project generation.
 * Test files, schema sources and one-off scripts do not count: their
 * statements say nothing about production data.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ProjectServices } from '../context';
import { type ColumnInfo, findColumn, findTable, type SchemaModel, type TableInfo } from '../schema/types';
import { unwrap } from '../sql/expr';
import { levelPredicates } from '../sql/predicates';
import { fileQueryModels } from '../sql/query-model';
import type { ColumnValueUse } from '../sql/selectivity';
import { adapterOf } from '../adapters';
import { findNode } from './call-graph';
import { fileQuerySites } from './orm';
import type { QuerySite } from './query-sites';

export interface FileUsage {
  /**
   * `schema.table.column` → constants compared with `=`/`IN`, how many other comparisons, and in how many ORM calls
   * it is the only column compared with a value that is not a constant (`alone`: the code looks rows up by it alone).
   */
  values: Map<string, { literals: Set<string>; others: number; alone?: number }>;
  /** `schema.table` keys of tables written (INSERT/UPDATE/DELETE/MERGE/COPY FROM, ORM writes). */
  writes: Set<string>;
  /**
   * Of `writes`, those a write may add rows to: INSERT, MERGE, COPY FROM, and every ORM write but an update or
   * delete (`save`, `upsert`, a write whose operation is not read count as inserts).
   */
  inserts: Set<string>;
  /** Whether the file holds any statement or ORM call at all. */
  queries: number;
  /**
   * Lower-case names a write might reach that the extractors did not see: string literals of the
   * file that are one identifier (`const TABLE = 'roles'`), and the targets of write statements in
   * any literal (`'INSERT INTO roles …'` handed to a wrapper querylens does not follow).
   */
  mentions: Set<string>;
  /** Lower-case targets of write statements found in literals (also in `mentions`). */
  writeTexts: Set<string>;
  /**
   * Names literals mention other than as the target of an UPDATE or DELETE, as written (not folded): a write
   * there may insert. A table whose stored name has capitals (`"Org"`) is named by those capitals only.
   */
  insertMentions: Set<string>;
  /**
   * `schema.table.column` keys of text columns holding JSON: the file queries the table and hands a property
   * of the column's name (or model field name) to `JSON.parse` (`JSON.parse(view.columnMeta)`).
   */
  jsonParsed: Set<string>;
  /**
   * Property names the file writes base64 or a data URL into (`avatar: avatarBase64`, `image: buf.toString('base64')`,
   * `` icon: `data:image/png;base64,${…}` ``): a text column of that name holds encoded files (`encodedFields`).
   */
  encoded: Set<string>;
}

const tableKey = (t: TableInfo): string => `${t.schema}.${t.name}`;

function note(u: FileUsage, t: TableInfo, column: string, literals: string[] | undefined, alone = false): void {
  const k = `${tableKey(t)}.${column}`;
  let v = u.values.get(k);
  if (!v) u.values.set(k, (v = { literals: new Set(), others: 0 }));
  if (literals?.length) for (const l of literals) v.literals.add(l);
  else v.others++;
  if (alone) v.alone = (v.alone ?? 0) + 1;
}

const WRITE_TYPES: Record<string, string> = { InsertStmt: 'relation', UpdateStmt: 'relation', DeleteStmt: 'relation', MergeStmt: 'relation', CopyStmt: 'relation' };

/**
 * An ORM write that changes or removes rows it finds and never adds one: the operation's own word says so
 * (`update`, `updateMany`, `delete`, `del`, `destroy`, `remove`, `softDelete`, `increment`, `restore`, `updateTable`,
 * `deleteFrom`). Anything else that writes (`create`, `insert`, `save`, `upsert`, …) may add rows.
 */
const NON_INSERTING_WRITE = /^(update|delete|del|destroy|remove|soft_?delete|increment|decrement|restore)/i;

/** The usage summary of one file (not memoised: see `projectUsage`). */
/**
 * `queries` false: a file that reaches no data library (engine/sources/reach.ts) has no SQL or query site to read;
 * only the names its string literals mention count.
 */
export function fileUsage(project: ProjectServices, path: string, schema: SchemaModel, queries = true): FileUsage {
  const u: FileUsage = { values: new Map(), writes: new Set(), inserts: new Set(), queries: 0, mentions: new Set(), writeTexts: new Set(), insertMentions: new Set(), jsonParsed: new Set(), encoded: new Set() };
  // Tables the file queries: a property it parses as JSON is read from one of them.
  const queried = new Set<TableInfo>();
  // The same memoised sites, models and query sites the rules read: the summary costs one more pass over them.
  for (const { site, models } of fileQueryModels(queries ? project.sqlSites(path) : [], schema)) {
    for (const m of models) for (const level of m?.levels ?? []) for (const it of level.from) {
      const t = it.kind === 'table' && it.name ? (it.table ?? findTable(schema, it.name, it.schemaName)) : undefined;
      if (t) queried.add(t);
    }
    (site.parsed?.statements ?? []).forEach((st, i) => {
      u.queries++;
      const rel = WRITE_TYPES[st.type] ? unwrap(st.node)?.body.relation : undefined;
      // COPY … TO reads; only COPY … FROM writes.
      if (rel?.relname && !(st.type === 'CopyStmt' && !unwrap(st.node)?.body.is_from)) {
        const t = findTable(schema, rel.relname, rel.schemaname);
        if (t) u.writes.add(tableKey(t));
        if (t && st.type !== 'UpdateStmt' && st.type !== 'DeleteStmt') u.inserts.add(tableKey(t));
      }
      const model = models[i];
      for (const level of model?.levels ?? []) {
        for (const p of levelPredicates(model, level).preds) {
          if (p.op !== 'eq' || p.wrapped || p.isNull || p.other) continue;
          note(u, p.table, p.column, p.value === 'constant' ? p.literals : undefined);
        }
      }
    });
  }
  const sf: ts.SourceFile | undefined = /\.[cm]?[jt]sx?$/.test(path) ? project.tsAst(path) : undefined;
  if (sf) {
    literalMentions(sf, u.mentions, u.writeTexts, u.insertMentions);
    encodedFields(sf, u.encoded);
    const text = project.fileText(path) ?? '';
    for (const q of queries ? project.memo(`querySites:${path}`, text, () => fileQuerySites(project, path)) : []) {
      if (q.sql || !q.table) continue;
      u.queries++;
      const t = findTable(schema, q.table);
      if (!t) continue;
      queried.add(t);
      if (q.kind === 'write') u.writes.add(tableKey(t));
      if (q.kind !== 'read' && !NON_INSERTING_WRITE.test(q.operation)) u.inserts.add(tableKey(t));
      noteOrmFilters(u, t, q, sf);
    }
    if (queried.size) {
      const parsed = new Set<string>();
      jsonParsedFields(sf, parsed);
      for (const t of queried) {
        for (const c of t.columns.values()) {
          if (TEXT_TYPE.test(c.type) && (parsed.has(c.name) || (c.fieldName !== undefined && parsed.has(c.fieldName)))) u.jsonParsed.add(`${tableKey(t)}.${c.name}`);
        }
      }
    }
  }
  return u;
}

/**
 * The equality filters of one ORM call, noted with what they compare to; `alone` for the one column a readable filter
 * compares with a value that is not a constant (a status word or a soft-delete test beside it does not count), in a
 * call with no other such filter, no unreadable one and no relation filter (`{ workspace: { id } }`): the code looks
 * rows up by it alone.
 */
function noteOrmFilters(u: FileUsage, t: TableInfo, q: QuerySite, sf: ts.SourceFile): void {
  const adapter = adapterOf(q.library);
  const eqs: { col: string; literals: string[] | undefined; keyed: boolean }[] = [];
  for (const f of q.filters) {
    if (f.op !== 'eq' && f.op !== 'in') continue;
    const col = findColumn(t, f.column)?.name;
    if (!col) continue;
    const v = adapter.rules.filterValue(sf, f);
    if (!v.isNull) eqs.push({ col, literals: v.literals, keyed: !v.literals?.length && !f.or && !f.jsonPath });
  }
  const keys = new Set(eqs.filter((e) => e.keyed).map((e) => e.col));
  let alone = keys.size === 1 && !q.opaqueFilter && !q.filterHidden && !eqs.some((e) => !e.keyed && !e.literals?.length) ? [...keys][0] : undefined;
  if (alone) {
    const call = findNode(sf, q.range);
    const rel = call && ts.isCallExpression(call) ? adapter.rules.relationFilters(call, t, () => false) : undefined;
    if (rel && (rel.keyPath || rel.fkColumns.length || rel.fkFilters?.length)) alone = undefined;
  }
  for (const e of eqs) note(u, t, e.col, e.literals, e.col === alone && e.keyed);
}

const IDENTIFIER = /^"?([A-Za-z_][A-Za-z0-9_$]*)"?$/;
const WRITE_TARGET = /\b(insert\s+into|update|delete\s+from|merge\s+into|copy)\s+(?:only\s+)?(?:"?[A-Za-z_][\w$]*"?\s*\.\s*)?"?([A-Za-z_][\w$]*)"?/gi;

/** Method and key words that add rows, whatever the library: `x.repo.create(…)`, `{ repos: { createMany: … } }`. */
const INSERT_WORDS = /^(create|createMany|createManyAndReturn|connectOrCreate|upsert|insert|insertInto|bulkCreate|bulkInsert|save|findOrCreate)$/;

/**
 * Names in string literals that may stand for a table a write reaches (see FileUsage.mentions); `inserts`
 * gets those but the targets of an UPDATE or DELETE text, and, read from the code whether or not a query
 * site was recognised there, the receiver of an inserting call (`tx.contactChannel.create(…)` → `contactChannel`)
 * and the key an inserting key sits under (`contactChannels: { create: … }` → `contactChannels`).
 */
export function literalMentions(sf: ts.SourceFile, out: Set<string>, writes: Set<string>, inserts?: Set<string>): void {
  // The parent is passed down: a transient tree has no parent pointers.
  const visit = (n: ts.Node, parent: ts.Node | undefined): void => {
    if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateLiteralToken(n)) {
      const text = (n as ts.LiteralLikeNode).text;
      const one = IDENTIFIER.exec(text.trim());
      if (one) {
        out.add(one[1].toLowerCase());
        // A key of an object literal (`{ "Org": … }`) or a literal type names a property or a value, not a table to write.
        if (!(parent && ((ts.isPropertyAssignment(parent) && parent.name === n) || ts.isLiteralTypeNode(parent)))) inserts?.add(one[1]);
      } else if (text.length > 6) {
        for (const m of text.matchAll(WRITE_TARGET)) {
          const name = m[2].toLowerCase();
          out.add(name);
          writes.add(name);
          if (!/^(update|delete)/i.test(m[1])) inserts?.add(m[2]);
        }
      }
    }
    if (inserts) {
      // `<recv>.<name>.create(…)`: the name the call adds rows under.
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && INSERT_WORDS.test(n.expression.name.text)) {
        const recv = n.expression.expression;
        if (ts.isPropertyAccessExpression(recv)) inserts.add(`${INSERT_CALL}${recv.name.text}`);
      }
      // `{ <name>: { create: … } }`: a nested write adding rows under a relation key.
      if (ts.isPropertyAssignment(n) && ts.isObjectLiteralExpression(n.initializer) && (ts.isIdentifier(n.name) || ts.isStringLiteral(n.name))) {
        const init = n.initializer;
        if (init.properties.some((p) => (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && INSERT_WORDS.test(p.name.text))) inserts.add(`${INSERT_CALL}${n.name.text}`);
      }
    }
    n.forEachChild((c) => visit(c, n));
  };
  visit(sf, undefined);
}

/** Prefix of an `insertMentions` entry read from code (a call's receiver, a nested write's key), not from a literal. */
const INSERT_CALL = '\u0000';

const TEXT_TYPE = /^(text|varchar|character varying)(\(|$)/;

/** Properties read straight into `JSON.parse`: `JSON.parse(row.options)`, `JSON.parse(row?.meta as string)`, `JSON.parse(row['meta'])`. */
function jsonParsedFields(sf: ts.SourceFile, out: Set<string>): void {
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && n.arguments.length >= 1 && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'parse') {
      const recv = n.expression.expression;
      if (ts.isIdentifier(recv) && recv.text === 'JSON') {
        let a: ts.Expression = n.arguments[0];
        while (ts.isParenthesizedExpression(a) || ts.isAsExpression(a) || ts.isNonNullExpression(a) || ts.isTypeAssertionExpression(a)) a = a.expression;
        if (ts.isPropertyAccessExpression(a)) out.add(a.name.text);
        else if (ts.isElementAccessExpression(a) && ts.isStringLiteralLike(a.argumentExpression)) out.add(a.argumentExpression.text);
      }
    }
    n.forEachChild(visit);
  };
  visit(sf);
}

/** A value that is base64 or a data URL by what it says: its name or callee (`avatarBase64`, `getDataURL(file)`), `.toString('base64')`, a `data:` literal. */
const ENCODED_NAME = /base64|data_?url/i;

function encodedValue(e: ts.Expression): boolean {
  while (ts.isAwaitExpression(e) || ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text.startsWith('data:');
  if (ts.isTemplateExpression(e)) return e.head.text.startsWith('data:');
  if (ts.isIdentifier(e)) return ENCODED_NAME.test(e.text);
  if (ts.isPropertyAccessExpression(e)) return ENCODED_NAME.test(e.name.text);
  if (ts.isCallExpression(e)) {
    const callee = e.expression;
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
    if (name === 'toString' && e.arguments.length === 1 && ts.isStringLiteralLike(e.arguments[0])) return e.arguments[0].text === 'base64';
    return ENCODED_NAME.test(name);
  }
  return false;
}

/** Keys too generic to name a column by (an ORM's `data:` argument, a response's `body`): their values say nothing of one. */
const GENERIC_KEY = /^(data|body|value|content|payload|result|file|buffer|blob|src|url)$/i;

/** Property names written with an encoded value (`FileUsage.encoded`). */
export function encodedFields(sf: ts.SourceFile, out: Set<string>): void {
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAssignment(n) && (ts.isIdentifier(n.name) || ts.isStringLiteral(n.name)) && !GENERIC_KEY.test(n.name.text) && encodedValue(n.initializer)) out.add(n.name.text);
    n.forEachChild(visit);
  };
  visit(sf);
}

/** The project's merged usage: what `columnValues` and `isWritten` answer from. */
export class ProjectUsage {
  private readonly values = new Map<string, ColumnValueUse & { literals: Set<string> }>();
  private readonly writes = new Set<string>();
  private readonly inserts = new Set<string>();
  private readonly mentions = new Set<string>();
  private readonly insertMentions = new Set<string>();
  private readonly insertMentionsFolded = new Set<string>();
  /** Lower-cased receivers of inserting calls and keys of nested inserting writes (`FileUsage.insertMentions`). */
  private readonly insertCalls = new Set<string>();
  private readonly jsonParsed = new Set<string>();
  private readonly encoded = new Set<string>();
  private writeTexts = 0;
  /** Statements and ORM calls seen in application code: with none, "never written" says nothing. */
  queries = 0;

  add(u: FileUsage): void {
    this.queries += u.queries;
    for (const w of u.writes) this.writes.add(w);
    for (const w of u.inserts ?? u.writes) this.inserts.add(w);
    for (const m of u.mentions) this.mentions.add(m);
    for (const m of u.insertMentions ?? u.mentions) {
      if (m.startsWith(INSERT_CALL)) this.insertCalls.add(m.slice(1).toLowerCase().replace(/_/g, ''));
      else {
        this.insertMentions.add(m);
        this.insertMentionsFolded.add(m.toLowerCase());
      }
    }
    for (const j of u.jsonParsed ?? []) this.jsonParsed.add(j);
    for (const e of u.encoded ?? []) this.encoded.add(e);
    this.writeTexts += u.writeTexts.size;
    for (const [k, v] of u.values) {
      let acc = this.values.get(k);
      if (!acc) this.values.set(k, (acc = { literals: new Set(), others: 0 }));
      for (const l of v.literals) acc.literals.add(l);
      acc.others += v.others;
      if (v.alone) acc.alone = (acc.alone ?? 0) + v.alone;
    }
  }

  columnValues(t: TableInfo, column: string): ColumnValueUse | undefined {
    return this.values.get(`${tableKey(t)}.${column}`);
  }

  /** Whether a text column holds JSON: a file that queries its table parses a property of its name (`FileUsage.jsonParsed`). */
  parsesJson(t: TableInfo, column: string): boolean {
    return this.jsonParsed.has(`${tableKey(t)}.${column}`);
  }

  /**
   * Whether a text column holds base64 or data URLs: its name says so, or code writes such a value into a property of
   * its name or field name (`FileUsage.encoded`; a key as generic as `data` or `body` is no evidence).
   */
  holdsEncoded(column: ColumnInfo): boolean {
    if (!TEXT_TYPE.test(column.type)) return false;
    // Named so (`signatureImageAsBase64`), or written so.
    return ENCODED_NAME.test(column.fieldName ?? column.name) || this.encoded.has(column.name) || (column.fieldName !== undefined && this.encoded.has(column.fieldName));
  }

  /**
   * Whether application code may write the table: a write it recognised, a write statement naming it
   * in any literal, or its name as a literal of its own (a table name handed to code it does not
   * follow). False only when none of those: a reference table filled by migrations or seeds.
   * Undefined when the project shows no write at all: then we cannot see how it writes.
   */
  mayWrite(t: TableInfo): boolean | undefined {
    if (this.queries === 0 || (this.writes.size === 0 && this.writeTexts === 0)) return undefined;
    return this.writes.has(tableKey(t)) || this.mentions.has(t.name.toLowerCase());
  }

  /**
   * Whether application code may add rows to the table (`mayWrite` without the writes that only update or
   * delete: `FileUsage.inserts`). False for a table the application only updates, whose rows the migrations put
   * there (an `Org` table of a single-tenant app that settings pages update). Undefined as for `mayWrite`.
   */
  mayInsert(t: TableInfo): boolean | undefined {
    if (this.queries === 0 || (this.writes.size === 0 && this.writeTexts === 0)) return undefined;
    if (this.inserts.has(tableKey(t))) return true;
    // Code that adds rows under the table's or model's name, one the extractors did not follow (`tx.contactChannel.create`
    // through an unresolved client, a nested `contactChannels: { create }`).
    for (const n of [t.name, t.modelName]) {
      const k = n?.toLowerCase().replace(/_/g, '');
      if (k && [k, `${k}s`, `${k}es`].some((x) => this.insertCalls.has(x) || this.insertCalls.has(x.replace(/y(s|es)$/, 'ies')))) return true;
    }
    // A quoted name with capitals is written with them (`"Org"`, the model `Org`); `'org'` is another word.
    if (t.name !== t.name.toLowerCase()) return this.insertMentions.has(t.name) || (t.modelName !== undefined && this.insertMentions.has(t.modelName));
    return this.insertMentionsFolded.has(t.name);
  }

  /**
   * Everything `columnValues` and `mayWrite` can answer for this schema, as one canonical string: two
   * usages with equal digests answer alike (a cache keys on it). Mentions count only as names of the
   * schema's tables, so a new string literal elsewhere does not change it.
   */
  digest(schema: SchemaModel): string {
    const names = new Set([...schema.tables.values()].map((t) => t.name.toLowerCase()));
    const values = [...this.values].map(([k, v]) => [k, [...v.literals].sort(), v.others, v.alone ?? 0] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return JSON.stringify({
      queries: this.queries > 0,
      writeTexts: this.writeTexts > 0,
      writes: [...this.writes].sort(),
      inserts: [...this.inserts].sort(),
      mentions: [...this.mentions].filter((m) => names.has(m)).sort(),
      insertMentions: [...this.insertMentions].filter((m) => names.has(m.toLowerCase())).sort(),
      insertCalls: [...this.insertCalls].sort(),
      jsonParsed: [...this.jsonParsed].sort(),
      encoded: [...this.encoded].sort(),
      values,
    });
  }
}

/** A file's usage summary as JSON-safe data (the CLI's cache). */
export interface FileUsageData {
  /** Key, literals, others and (written since `alone` was kept) alone. */
  values: ([string, string[], number] | [string, string[], number, number])[];
  writes: string[];
  inserts?: string[];
  queries: number;
  mentions: string[];
  writeTexts: string[];
  insertMentions?: string[];
  jsonParsed?: string[];
  encoded?: string[];
}

export function fileUsageToData(u: FileUsage): FileUsageData {
  return {
    values: [...u.values].map(([k, v]) => (v.alone ? [k, [...v.literals], v.others, v.alone] : [k, [...v.literals], v.others])),
    writes: [...u.writes],
    inserts: [...u.inserts],
    queries: u.queries,
    mentions: [...u.mentions],
    writeTexts: [...u.writeTexts],
    insertMentions: [...u.insertMentions],
    jsonParsed: [...u.jsonParsed],
    encoded: [...u.encoded],
  };
}

const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

/** The summary back from data, or undefined when the data is not one (a damaged cache entry). */
export function fileUsageFromData(d: unknown): FileUsage | undefined {
  if (!d || typeof d !== 'object') return undefined;
  const o = d as Partial<Record<keyof FileUsageData, unknown>>;
  if (!isStrings(o.writes) || !isStrings(o.mentions) || !isStrings(o.writeTexts) || typeof o.queries !== 'number' || !Number.isInteger(o.queries) || o.queries < 0) return undefined;
  if (!Array.isArray(o.values)) return undefined;
  const values = new Map<string, { literals: Set<string>; others: number; alone?: number }>();
  const count = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  for (const e of o.values as unknown[]) {
    if (!Array.isArray(e) || (e.length !== 3 && e.length !== 4) || typeof e[0] !== 'string' || !isStrings(e[1]) || !count(e[2]) || (e.length === 4 && !count(e[3]))) return undefined;
    values.set(e[0], { literals: new Set(e[1]), others: e[2], ...(e[3] ? { alone: e[3] as number } : {}) });
  }
  if ((o.jsonParsed !== undefined && !isStrings(o.jsonParsed)) || (o.encoded !== undefined && !isStrings(o.encoded))) return undefined;
  if ((o.inserts !== undefined && !isStrings(o.inserts)) || (o.insertMentions !== undefined && !isStrings(o.insertMentions))) return undefined;
  // An entry written before inserts were kept: every write and mention may insert.
  return {
    values,
    writes: new Set(o.writes),
    inserts: new Set(o.inserts ?? o.writes),
    queries: o.queries,
    mentions: new Set(o.mentions),
    writeTexts: new Set(o.writeTexts),
    insertMentions: new Set(o.insertMentions ?? o.mentions),
    jsonParsed: new Set(o.jsonParsed ?? []),
    encoded: new Set(o.encoded ?? []),
  };
}

/**
 * Whether a table is too small for an index to matter: declared `tiny`; or, with no row count from config or
 * statistics, a reference table the application never writes, or one a schema source fills (`TableInfo.seeded`)
 * that the application never adds rows to (it may update them). Undefined usage (no project facts): only `tiny`.
 */
export function tableIsTiny(table: TableInfo, usage: Pick<ProjectUsage, 'mayWrite' | 'mayInsert'> | undefined): boolean {
  if (table.tiny) return true;
  if (table.rows !== undefined || !usage) return false;
  // Never written by a recognised write — unless code adds rows under its name through a client not followed.
  if (usage.mayWrite(table) === false) return usage.mayInsert(table) !== true;
  return table.seeded === true && usage.mayInsert(table) === false;
}
