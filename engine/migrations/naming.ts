/**
 * Names and texts every migration tool shares: the next number or timestamp
 * after the existing migrations (same width, so they sort after them), a path
 * that names no existing file, the index name (unique in the schema and
 * within PostgreSQL's 63 bytes), and the CREATE/DROP INDEX statements.
 */
import type { SchemaModel, TableInfo } from '../schema/types';
import { quoteIdent } from '../sql/ident';
import type { IndexPlan } from './types';

/**
 * One collator for every comparison: `a.localeCompare(b, 'en', { numeric: true })` is this collator's `compare`
 * by definition, but builds its collator on each call (sorting Unleash's 5,612 paths: 92 ms against 2 ms).
 */
const NATURAL = new Intl.Collator('en', { numeric: true });

/** Path order with digit runs compared as numbers (V2 < V10), as most tools apply migrations. */
export function naturalCompare(a: string, b: string): number {
  return NATURAL.compare(a, b);
}

/** The number after the largest of `nums`, keeping the zero padding of the widest. */
export function nextNumber(nums: readonly string[]): string {
  let max = 0n;
  let width = 1;
  for (const n of nums) {
    if (BigInt(n) > max) max = BigInt(n);
    width = Math.max(width, n.length);
  }
  return (max + 1n).toString().padStart(width, '0');
}

/**
 * How a folder's version numbers are made: a sequence, or a clock (UTC `YYYYMMDDHHmmss` as Knex,
 * Prisma, Sequelize and most SQL tools write it, with milliseconds, to the minute or the day;
 * epoch milliseconds as TypeORM and node-pg-migrate write them; epoch seconds).
 */
export type VersionKind = 'seq' | 'ymd' | 'ymdhm' | 'ymdhms' | 'ymdhmsms' | 'epoch-ms' | 'epoch-s';

const CALENDAR: Record<number, VersionKind> = { 8: 'ymd', 12: 'ymdhm', 14: 'ymdhms', 17: 'ymdhmsms' };
// Epochs between 2000 and 2100: a 13-digit number there is a millisecond clock, not a counter.
const EPOCH_FROM = 946_684_800;
const EPOCH_TO = 4_102_444_800;

function isCalendar(n: string): boolean {
  const [y, mo, d, h, mi, s] = [n.slice(0, 4), n.slice(4, 6), n.slice(6, 8), n.slice(8, 10) || '0', n.slice(10, 12) || '0', n.slice(12, 14) || '0'].map(Number);
  return y >= 1990 && y < 2100 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 60;
}

function kindOf(n: string): VersionKind {
  const cal = CALENDAR[n.length];
  if (cal && isCalendar(n)) return cal;
  const v = Number(n);
  if (n.length === 13 && v >= EPOCH_FROM * 1000 && v < EPOCH_TO * 1000) return 'epoch-ms';
  if (n.length === 10 && v >= EPOCH_FROM && v < EPOCH_TO) return 'epoch-s';
  return 'seq';
}

/** `now` written as a version of `kind` (UTC). */
export function stampOf(now: Date, kind: Exclude<VersionKind, 'seq'>): string {
  if (kind === 'epoch-ms') return String(now.getTime());
  if (kind === 'epoch-s') return String(Math.floor(now.getTime() / 1000));
  const iso = now.toISOString().replace(/\D/g, ''); // YYYYMMDDHHmmssSSS
  return iso.slice(0, { ymd: 8, ymdhm: 12, ymdhms: 14, ymdhmsms: 17 }[kind]);
}

/**
 * The version of a new migration among `nums` (the existing versions, as written). The width and kind
 * come from the majority of the existing files, not the last or largest one: one odd `00010-` among
 * 62 four-digit files, or four 16-digit stamps among 262 of 14, do not set the pattern. A clock-made
 * folder gets the current UTC time in that form (`now`, given by the host; without it, as before, the
 * number after the largest of the majority) — never below an existing version of that width, and
 * never equal to any existing version: a second new migration of the same run (after a re-lint) takes
 * the next one. `force` states the tool's own kind where it has one (Prisma always writes YYYYMMDDHHmmss).
 */
export function nextVersion(nums: readonly string[], opts: { now?: Date; force?: Exclude<VersionKind, 'seq'> } = {}): string {
  const count = new Map<number, number>();
  for (const n of nums) count.set(n.length, (count.get(n.length) ?? 0) + 1);
  let width = 0;
  let best = -1;
  // The most common width; a tie goes to the wider (the later convention, usually).
  for (const [w, c] of count) if (c > best || (c === best && w > width)) [width, best] = [w, c];
  const forcedWidth = opts.force && (opts.force === 'epoch-ms' ? 13 : opts.force === 'epoch-s' ? 10 : stampOf(new Date(0), opts.force).length);
  if (!width || (forcedWidth && !nums.some((n) => n.length === forcedWidth))) width = forcedWidth || 1;
  const major = nums.filter((n) => n.length === width);
  const kinds = new Map<VersionKind, number>();
  for (const n of major) kinds.set(kindOf(n), (kinds.get(kindOf(n)) ?? 0) + 1);
  const clock = [...kinds].find(([k, c]) => k !== 'seq' && c * 2 >= major.length)?.[0] as Exclude<VersionKind, 'seq'> | undefined;
  const kind = opts.force ?? clock;
  let max = 0n;
  for (const n of major) if (BigInt(n) > max) max = BigInt(n);
  const after = (v: bigint): bigint => (kind ? clockAfter(v, kind, width) : v + 1n);
  let next = after(max);
  if (kind && opts.now) {
    const stamp = BigInt(stampOf(opts.now, kind));
    if (stamp > max) next = stamp;
  }
  const taken = new Set(nums.map((n) => BigInt(n)));
  while (taken.has(next)) next = after(next);
  return next.toString().padStart(width, '0');
}

/**
 * The clock reading one unit after `v` (a calendar stamp rolls over: 20261202150259 → 20261202150300, never
 * a 60th second); a number that is not a reading of that clock just counts on.
 */
function clockAfter(v: bigint, kind: Exclude<VersionKind, 'seq'>, width: number): bigint {
  const n = v.toString().padStart(width, '0');
  if (kind === 'epoch-ms' || kind === 'epoch-s' || n.length !== stampOf(new Date(0), kind).length || !isCalendar(n)) return v + 1n;
  const num = (from: number, to: number): number => Number(n.slice(from, to) || '0');
  const t = Date.UTC(num(0, 4), num(4, 6) - 1, num(6, 8), num(8, 10), num(10, 12), num(12, 14), num(14, 17));
  const unit = { ymd: 86_400_000, ymdhm: 60_000, ymdhms: 1000, ymdhmsms: 1 }[kind];
  return BigInt(stampOf(new Date(t + unit), kind));
}

/**
 * A prefix that sorts after every one of `names` by plain string order (how Kysely and most
 * file-based tools order migrations): a plain leading number (`0004_`, `20240101120000_`) is the
 * next version of the majority's width and kind (nextVersion); a composite one (`2024_03_12_001_`)
 * is the last name's leading run of digits and separators, its last digit group incremented.
 */
export function nextPrefix(names: readonly string[], now?: Date): string | undefined {
  const sorted = [...names].sort();
  const last = sorted[names.length - 1];
  const nums = names.map((n) => /^(\d+)(?=[_.-]?[A-Za-z])/.exec(n)?.[1]);
  if (last && nums.every((n) => n !== undefined)) {
    const v = nextVersion(nums as string[], { now });
    if (v > last.slice(0, v.length)) return v;
  }
  const m = last && /^[0-9][0-9_.T-]*?(?=[_.-]?[A-Za-z]|$)/.exec(last);
  if (!m) return undefined;
  const prefix = m[0];
  const g = /(\d+)(\D*)$/.exec(prefix);
  if (!g) return undefined;
  const bumped = (BigInt(g[1]) + 1n).toString().padStart(g[1].length, '0');
  const out = prefix.slice(0, g.index) + bumped + g[2];
  return out > last.slice(0, out.length) || out.length > prefix.length ? out : undefined;
}

/** A path that names no existing file: the next free `_2`, `_3` … before the extension. */
export function freePath(path: string, exists: (p: string) => boolean): string {
  if (!exists(path)) return path;
  const slash = path.lastIndexOf('/');
  const dot = path.indexOf('.', slash + 1);
  const cut = dot > slash ? dot : path.length;
  for (let n = 2; ; n++) {
    const candidate = `${path.slice(0, cut)}_${n}${path.slice(cut)}`;
    if (!exists(candidate)) return candidate;
  }
}

/** `schema.table` quoted, without `public.`. */
export function qualifiedIdent(t: TableInfo): string {
  return t.schema && t.schema !== 'public' ? `${quoteIdent(t.schema)}.${quoteIdent(t.name)}` : quoteIdent(t.name);
}

/** `schema.table` as written in messages. */
export function tableLabel(t: TableInfo): string {
  return t.schema && t.schema !== 'public' ? `${t.schema}.${t.name}` : t.name;
}

/** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes; generated names are ASCII. */
export const MAX_IDENT_BYTES = 63;

function plainIndexName(table: string, expr: string, suffix: string): string {
  return `idx_${table}_${expr}${suffix}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** FNV-1a, 32 bits, as 8 hex digits: a short, stable tag for names that must differ. */
export function hashTag(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Whether an index or table of the table's schema already has this name (case-insensitively). */
export function nameTaken(schema: SchemaModel, t: TableInfo, name: string): boolean {
  const lower = name.toLowerCase();
  for (const o of schema.tables.values()) {
    if ((o.schema ?? 'public') !== (t.schema ?? 'public')) continue;
    if (o.name.toLowerCase() === lower || o.indexes.some((i) => i.name.toLowerCase() === lower)) return true;
  }
  return false;
}

/**
 * `idx_<table>_<column>`, unless that name is not unique: longer than 63
 * bytes (PostgreSQL would cut it, and cut names collide), already an index or
 * table name in the schema, or also the name another (table, column) of the
 * schema would get (`acct` + `roles_kind` and `acct_roles` + `kind`). Then the
 * name is cut and tagged with a hash of the table and expression, so every
 * fix of one run names a different index and a second `--fix` finds its
 * index in place.
 */
export function indexName(schema: SchemaModel, t: TableInfo, column: string, kind: IndexPlan['kind'], wrapped?: string): string {
  const expr = kind === 'expression' && wrapped ? wrapped.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') : column;
  const suffix = kind === 'trgm' ? '_trgm' : '';
  const plain = plainIndexName(t.name, expr, suffix);
  const sameSchema = [...schema.tables.values()].filter((o) => (o.schema ?? 'public') === (t.schema ?? 'public'));
  const ambiguous = sameSchema.some(
    (o) => plain.startsWith(plainIndexName(o.name, '', '')) && [...o.columns.keys()].some((c) => (o !== t || c !== column) && plainIndexName(o.name, c, suffix) === plain),
  );
  if (plain.length <= MAX_IDENT_BYTES && !ambiguous && !nameTaken(schema, t, plain)) return plain;
  const identity = `${t.schema ?? 'public'}.${t.name}\0${kind}\0${kind === 'expression' ? (wrapped ?? column) : column}`;
  for (let n = 0; ; n++) {
    const tag = `_${hashTag(n ? `${identity}\0${n}` : identity)}`;
    const name = plain.slice(0, MAX_IDENT_BYTES - tag.length) + tag;
    if (!nameTaken(schema, t, name)) return name;
  }
}

/** The key list of the index: `("col")`, `(lower(email))`, `USING gin ("col" gin_trgm_ops)`. */
export function indexKeys(plan: IndexPlan): string {
  if (plan.kind === 'trgm') return `USING gin (${quoteIdent(plan.columns[0])} gin_trgm_ops)`;
  if (plan.kind === 'expression' && plan.expression) {
    const e = /^[a-z_.]+\(.*\)$/i.test(plan.expression) ? plan.expression : `(${plan.expression})`;
    return `(${e})`;
  }
  return `(${plan.columns.map(quoteIdent).join(', ')})`;
}

/** CREATE INDEX for the plan (one statement; the trigram extension first when needed). */
export function createIndexSql(plan: IndexPlan, opts: { concurrently: boolean; name?: string; ifNotExists?: boolean }): string {
  const name = quoteIdent(opts.name ?? plan.name);
  const ext = plan.kind === 'trgm' ? 'CREATE EXTENSION IF NOT EXISTS pg_trgm;\n' : '';
  return `${ext}CREATE INDEX ${opts.concurrently ? 'CONCURRENTLY ' : ''}${opts.ifNotExists ? 'IF NOT EXISTS ' : ''}${name} ON ${qualifiedIdent(plan.table)} ${indexKeys(plan)};\n`;
}

/** DROP INDEX for the plan's index (schema-qualified: an index lives in its table's schema). */
export function dropIndexSql(plan: IndexPlan, opts: { concurrently: boolean; name?: string }): string {
  const t = plan.table;
  const name = quoteIdent(opts.name ?? plan.name);
  const q = t.schema && t.schema !== 'public' ? `${quoteIdent(t.schema)}.${name}` : name;
  return `DROP INDEX ${opts.concurrently ? 'CONCURRENTLY ' : ''}IF EXISTS ${q};\n`;
}

/** The note a plain CREATE INDEX carries: what it locks, and how to avoid that. */
export function lockNote(plan: IndexPlan, why: string): string {
  return `CREATE INDEX blocks writes to ${tableLabel(plan.table)} while it builds (${why}); on a large, busy table build it with CREATE INDEX CONCURRENTLY outside a transaction instead.`;
}

/** A SQL comment block of `text`, wrapped at about 100 columns. */
export function sqlComment(text: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let cur = '--';
  for (const w of words) {
    if (cur.length + w.length + 1 > 100 && cur !== '--') {
      lines.push(cur);
      cur = '--';
    }
    cur += ` ${w}`;
  }
  lines.push(cur);
  return `${lines.join('\n')}\n`;
}

/** `idx_link_collection_id` → `IdxLinkCollectionId` (class names of TS migrations). */
export function pascal(s: string): string {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** A string literal for JS/TS source. */
export const jsString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
