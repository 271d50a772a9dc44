/**
 * A hand-written reader for Prisma schema files (`schema.prisma`, and the
 * multi-file `prisma/schema/*.prisma` layout): models become tables with the
 * columns and indexes Prisma Migrate would create on PostgreSQL.
 *
 * - `@@map`/`@map` give the table and column names; `@@schema` the schema.
 * - Scalar types map to PostgreSQL as Prisma Migrate does (String → text,
 *   Int → int4, BigInt → int8, Float → float8, Decimal → numeric,
 *   DateTime → timestamp (Prisma's timestamp(3); typmods are dropped),
 *   Json → jsonb, Bytes → bytea, Boolean → bool); `@db.*` native types win.
 *   Enums keep their (mapped) name; lists are `type[]`.
 * - Indexes: `@id`/`@@id` → `<table>_pkey`, `@unique`/`@@unique` →
 *   `<table>_<cols>_key`, `@@index` → `<table>_<cols>_idx`, unless `map:`
 *   (or, for `@@index`, the older `name:`) names them.
 * - Relation fields (whose type is a model) are not columns; their scalar
 *   foreign-key fields are, and are NOT indexed unless declared: PostgreSQL
 *   does not index foreign keys, and neither does Prisma. The side holding
 *   `@relation(fields: […], references: […])` gets a foreign key
 *   (`<table>_<cols>_fkey`, or `map:`), also under `relationMode = "prisma"`
 *   where the database has no constraint: the columns still join the tables.
 * - `view` blocks are skipped: a view has no indexes of its own, and treating
 *   it as a table would make every filter on it look unindexed.
 *
 * Comments (line, doc and block comments) are blanked before parsing so that offsets stay those
 * of the file; attributes may span lines inside `(...)` or `[...]`.
 */
import type { ColumnInfo, ForeignKeyInfo, IndexInfo, NonPostgresFolder, RelationInfo, SchemaProblem, TableInfo } from '../../schema/types';
import { LineIndex } from '../../text';
import type { Range, SourceFile } from '../../types';

type Value =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: string }
  | { kind: 'array'; items: Value[] }
  | { kind: 'call'; name: string; args: Arg[] | undefined };

interface Arg {
  name?: string;
  value: Value;
}

interface Attribute {
  /** Without the `@`/`@@`: 'id', 'unique', 'db.VarChar', 'map' ... */
  name: string;
  args: Arg[];
  range: Range;
}

interface Field {
  name: string;
  nameRange: Range;
  type: string;
  optional: boolean;
  list: boolean;
  attrs: Attribute[];
}

interface Block {
  keyword: string;
  name: string;
  range: Range;
  file: string;
  fields: Field[];
  blockAttrs: Attribute[];
  /** enum values' raw lines are irrelevant; only the enum's @@map matters. */
}

/** Replaces line and block comments with spaces (outside strings), keeping every offset and line break. */
function blankComments(text: string): string {
  return text.replace(/"(?:[^"\\\n]|\\.)*"?|\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/g, (m) => (m[0] === '"' ? m : m.replace(/[^\n]/g, ' ')));
}

/** Index of the `}` closing the block whose `{` is at `open`, or -1. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  let inStr = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Splits a block body into logical lines: a newline inside (), [] or a string does not end one. */
function logicalLines(text: string, start: number, end: number): { text: string; start: number }[] {
  const out: { text: string; start: number }[] = [];
  let depth = 0;
  let inStr = false;
  let lineStart = start;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text[i] : '\n';
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth = Math.max(0, depth - 1);
    else if (c === '\n' && depth === 0) {
      const raw = text.slice(lineStart, i);
      const lead = raw.length - raw.trimStart().length;
      if (raw.trim()) out.push({ text: raw.trim(), start: lineStart + lead });
      lineStart = i + 1;
    }
  }
  return out;
}

/** A tiny recursive-descent reader for attribute arguments. */
class ArgReader {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }
  peek(): string {
    this.ws();
    return this.s[this.i] ?? '';
  }
  args(close: string): Arg[] {
    const out: Arg[] = [];
    while (this.peek() && this.peek() !== close) {
      const save = this.i;
      const m = /^([A-Za-z_]\w*)\s*:/.exec(this.s.slice(this.i));
      let name: string | undefined;
      if (m) {
        name = m[1];
        this.i += m[0].length;
      } else this.i = save;
      out.push({ name, value: this.value() });
      if (this.peek() === ',') this.i++;
      else if (this.peek() !== close) throw new Error(`unexpected "${this.peek()}" in attribute arguments`);
    }
    if (this.peek() !== close) throw new Error(`missing "${close}"`);
    this.i++;
    return out;
  }
  value(): Value {
    const c = this.peek();
    if (c === '"') {
      let j = this.i + 1;
      let v = '';
      while (j < this.s.length && this.s[j] !== '"') {
        if (this.s[j] === '\\') j++;
        v += this.s[j++];
      }
      this.i = j + 1;
      return { kind: 'string', value: v };
    }
    if (c === '[') {
      this.i++;
      return { kind: 'array', items: this.args(']').map((a) => a.value) };
    }
    const num = /^-?\d+(\.\d+)?/.exec(this.s.slice(this.i));
    if (num) {
      this.i += num[0].length;
      return { kind: 'number', value: num[0] };
    }
    const id = /^[A-Za-z_][\w.]*/.exec(this.s.slice(this.i));
    if (!id) throw new Error(`unexpected "${c}" in attribute arguments`);
    this.i += id[0].length;
    if (this.s[this.i] === '(') {
      this.i++;
      return { kind: 'call', name: id[0], args: this.args(')') };
    }
    return { kind: 'call', name: id[0], args: undefined };
  }
}

/** Reads `@a @b(...) @db.X(...)` attributes from `s` (which starts at file offset `base`). */
function readAttributes(s: string, base: number, prefix: '@' | '@@'): Attribute[] {
  const out: Attribute[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    if (!s.startsWith(prefix, i) || (prefix === '@' && s[i + 1] === '@')) throw new Error(`unexpected "${s.slice(i, i + 20)}"`);
    const start = i;
    i += prefix.length;
    const id = /^[A-Za-z_][\w.]*/.exec(s.slice(i));
    if (!id) throw new Error('attribute without a name');
    i += id[0].length;
    let args: Arg[] = [];
    if (s[i] === '(') {
      const r = new ArgReader(s);
      r.i = i + 1;
      args = r.args(')');
      i = r.i;
    }
    out.push({ name: id[0], args, range: { start: base + start, end: base + i } });
  }
  return out;
}

function parseBlocks(file: string, text: string, problems: SchemaProblem[]): Block[] {
  const clean = blankComments(text);
  const lines = new LineIndex(text);
  const blocks: Block[] = [];
  const re = /(^|\n)[ \t]*(model|view|enum|type|generator|datasource)\s+([A-Za-z_]\w*)\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(clean))) {
    const kwStart = m.index + m[1].length + (m[0].length - m[1].length - m[0].trimStart().length);
    const open = m.index + m[0].length - 1;
    const close = closingBrace(clean, open);
    if (close < 0) {
      problems.push({ file, line: lines.position(kwStart).line + 1, message: `${m[2]} ${m[3]}: no closing "}"` });
      break;
    }
    re.lastIndex = close + 1;
    const block: Block = { keyword: m[2], name: m[3], range: { start: kwStart, end: close + 1 }, file, fields: [], blockAttrs: [] };
    blocks.push(block);
    if (block.keyword === 'generator' || block.keyword === 'datasource') continue;
    for (const line of logicalLines(clean, open + 1, close)) {
      try {
        if (line.text.startsWith('@@')) {
          block.blockAttrs.push(...readAttributes(line.text, line.start, '@@'));
          continue;
        }
        if (block.keyword === 'enum') continue;
        const f = /^([A-Za-z_]\w*)\s+([A-Za-z_]\w*(?:\("(?:[^"\\]|\\.)*"\))?)(\[\])?(\?)?/.exec(line.text);
        if (!f) throw new Error(`cannot read field "${line.text.slice(0, 40)}"`);
        block.fields.push({
          name: f[1],
          nameRange: { start: line.start, end: line.start + f[1].length },
          type: f[2],
          list: !!f[3],
          optional: !!f[4],
          attrs: readAttributes(line.text.slice(f[0].length), line.start + f[0].length, '@'),
        });
      } catch (e) {
        problems.push({
          file,
          line: lines.position(line.start).line + 1,
          range: { start: line.start, end: line.start + line.text.length },
          message: `${block.keyword} ${block.name}: ${e instanceof Error ? e.message : String(e)}; line skipped`,
        });
      }
    }
  }
  return blocks;
}

const SCALARS: Record<string, string> = {
  String: 'text',
  Int: 'int4',
  BigInt: 'int8',
  Float: 'float8',
  Decimal: 'numeric',
  DateTime: 'timestamp',
  Json: 'jsonb',
  Bytes: 'bytea',
  Boolean: 'bool',
};

const NATIVE: Record<string, string> = {
  text: 'text',
  varchar: 'varchar',
  char: 'bpchar',
  uuid: 'uuid',
  integer: 'int4',
  int: 'int4',
  smallint: 'int2',
  bigint: 'int8',
  real: 'float4',
  doubleprecision: 'float8',
  decimal: 'numeric',
  money: 'money',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  date: 'date',
  time: 'time',
  timetz: 'timetz',
  boolean: 'bool',
  bit: 'bit',
  varbit: 'varbit',
  json: 'json',
  jsonb: 'jsonb',
  bytea: 'bytea',
  xml: 'xml',
  inet: 'inet',
  citext: 'citext',
  oid: 'oid',
};

const METHODS: Record<string, string> = { BTree: 'btree', Hash: 'hash', Gist: 'gist', Gin: 'gin', SpGist: 'spgist', Brin: 'brin' };

function attr(attrs: Attribute[], name: string): Attribute | undefined {
  return attrs.find((a) => a.name === name);
}

function stringArg(a: Attribute | undefined, name?: string): string | undefined {
  if (!a) return undefined;
  const arg = name ? a.args.find((x) => x.name === name) : a.args.find((x) => !x.name);
  return arg?.value.kind === 'string' ? arg.value.value : undefined;
}

/** The name given by `@map("x")`, `@map(name: "x")`, `@@map(...)`, `@@schema(...)`. */
function mapArg(a: Attribute | undefined): string | undefined {
  return stringArg(a) ?? stringArg(a, 'name');
}

/**
 * Prisma's default constraint and index names: `<table>_<columns>_<suffix>`,
 * the part before the suffix cut so that the whole fits PostgreSQL's 63 bytes.
 */
export function prismaDefaultName(table: string, columns: string[] | undefined, suffix: string): string {
  const base = columns ? `${table}_${columns.join('_')}` : table;
  const max = 63 - suffix.length - 1;
  return `${base.length > max ? base.slice(0, max) : base}_${suffix}`;
}

/** Field names of an index's field list (`[a, b(sort: Desc)]`, positional or `fields:`). */
function fieldList(a: Attribute): string[] {
  const arg = a.args.find((x) => x.name === 'fields') ?? a.args.find((x) => !x.name);
  // One field may stand without brackets: Prisma accepts `@@index(loggedCallId)` as `@@index([loggedCallId])`
  // (OpenPipe's schema.prisma).
  if (arg?.value.kind === 'call') return [arg.value.name];
  if (arg?.value.kind !== 'array') return [];
  return arg.value.items.map((v) => (v.kind === 'call' ? v.name : '?'));
}

const PG_PROVIDERS = new Set(['postgresql', 'postgres', 'cockroachdb']);

function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** The `provider` of a `datasource` block, if the file has one with a literal provider. */
function datasourceProvider(text: string): string | undefined {
  const m = /(?:^|\n)[ \t]*datasource\s+\w+\s*\{([^}]*)\}/.exec(blankComments(text));
  return m ? /\bprovider\s*=\s*"([^"]*)"/.exec(m[1])?.[1].toLowerCase() : undefined;
}

/** Field names of `@relation(fields: [...])` or `references: [...]`. */
function namedList(a: Attribute, name: string): string[] | undefined {
  const arg = a.args.find((x) => x.name === name);
  if (arg?.value.kind !== 'array') return undefined;
  return arg.value.items.map((v) => (v.kind === 'call' ? v.name : '?'));
}

/** Foreign keys from the relation fields that hold `@relation(fields: […], references: […])`. */
function addRelations(
  table: TableInfo,
  columnOf: Map<string, string>,
  b: Block,
  byModel: Map<string, { table: TableInfo; columnOf: Map<string, string> }>,
  problems: SchemaProblem[],
): void {
  for (const f of b.fields) {
    const rel = attr(f.attrs, 'relation');
    if (!rel) continue;
    const fields = namedList(rel, 'fields');
    const references = namedList(rel, 'references');
    if (!fields || !references) continue;
    const target = byModel.get(f.type.replace(/\(.*$/, ''));
    const cols = fields.map((x) => columnOf.get(x));
    const refCols = references.map((x) => target?.columnOf.get(x));
    if (!target || fields.length !== references.length || cols.some((c) => !c) || refCols.some((c) => !c)) {
      problems.push({ file: b.file, range: rel.range, message: `model ${b.name}: @relation on ${f.name} names an unknown model or field; no foreign key recorded` });
      continue;
    }
    const fk: ForeignKeyInfo = {
      name: stringArg(rel, 'map') ?? prismaDefaultName(table.name, cols as string[], 'fkey'),
      columns: cols as string[],
      refTable: target.table.name,
      refSchema: target.table.schema,
      refColumns: refCols as string[],
      definedAt: { file: b.file, range: rel.range },
      field: f.name,
    };
    (table.foreignKeys ??= []).push(fk);
  }
}

/** A relation's name: `@relation("name", …)` or `@relation(name: "name")`; '' when unnamed. */
const relationName = (f: Field): string => stringArg(attr(f.attrs, 'relation')) ?? stringArg(attr(f.attrs, 'relation'), 'name') ?? '';

/**
 * The model's relation fields (TableInfo.relations), each with the columns that join it: the field's own
 * `@relation(fields, references)`, else the opposite field of the other model (same relation name) that holds
 * them. A relation neither side holds (implicit many-to-many) is left out.
 */
function addRelationFields(table: TableInfo, b: Block, byModel: Map<string, { table: TableInfo; columnOf: Map<string, string>; block: Block }>): void {
  const own = byModel.get(b.name)!;
  for (const f of b.fields) {
    const target = byModel.get(f.type.replace(/\(.*$/, ''));
    if (!target) continue;
    const cols = (m: { columnOf: Map<string, string> }, names: string[] | undefined): string[] | undefined => {
      const out = names?.map((n) => m.columnOf.get(n));
      return out && out.length && out.every((c): c is string => !!c) ? out : undefined;
    };
    const rel = attr(f.attrs, 'relation');
    let ownColumns = rel && cols(own, namedList(rel, 'fields'));
    let otherColumns = rel && cols(target, namedList(rel, 'references'));
    if (!ownColumns || !otherColumns) {
      const name = relationName(f);
      const back = target.block.fields.find((g) => g !== f && g.type.replace(/\(.*$/, '') === b.name && relationName(g) === name && attr(g.attrs, 'relation'));
      const backRel = back && attr(back.attrs, 'relation');
      otherColumns = backRel && cols(target, namedList(backRel, 'fields'));
      ownColumns = backRel && cols(own, namedList(backRel, 'references'));
    }
    if (!ownColumns || !otherColumns || ownColumns.length !== otherColumns.length) continue;
    const info: RelationInfo = { field: f.name, table: target.table.name, schema: target.table.schema, many: f.list, ownColumns, otherColumns };
    (table.relations ??= []).push(info);
  }
}

/** Parses Prisma schema files (all files of one schema together: models may refer across files). */
export function prismaTables(all: { path: string; text: string }[]): { tables: TableInfo[]; problems: SchemaProblem[]; applied: string[]; enums: string[] } {
  const problems: SchemaProblem[] = [];
  // A schema for another database (umami kept `provider = "mysql"` schemas beside PostgreSQL ones) is not read.
  // The datasource sits in one file of a multi-file schema: it decides for its whole folder.
  const foreignDirs = new Map<string, string>();
  for (const f of all) {
    const provider = datasourceProvider(f.text);
    if (provider && !PG_PROVIDERS.has(provider)) foreignDirs.set(dirName(f.path), provider);
  }
  const files = all.filter((f) => {
    const provider = foreignDirs.get(dirName(f.path));
    if (provider) problems.push({ file: f.path, line: 1, message: `Prisma schema for provider "${provider}", not PostgreSQL; skipped` });
    return !provider;
  });
  const blocks = files.flatMap((f) => parseBlocks(f.path, f.text, problems));
  const models = new Set(blocks.filter((b) => b.keyword === 'model' || b.keyword === 'view' || b.keyword === 'type').map((b) => b.name));
  const enums = new Map(blocks.filter((b) => b.keyword === 'enum').map((b) => [b.name, mapArg(attr(b.blockAttrs, 'map')) ?? b.name]));
  const tables: TableInfo[] = [];
  const byModel = new Map<string, { table: TableInfo; columnOf: Map<string, string>; block: Block }>();
  for (const b of blocks) {
    if (b.keyword !== 'model') continue;
    const name = mapArg(attr(b.blockAttrs, 'map')) ?? b.name;
    const schema = mapArg(attr(b.blockAttrs, 'schema')) ?? 'public';
    const definedAt = { file: b.file, range: b.range };
    const table: TableInfo = { name, schema, columns: new Map(), indexes: [], definedAt, origin: 'prisma', modelName: b.name, modelDefinedAt: definedAt };
    const columnOf = new Map<string, string>();
    for (const f of b.fields) {
      const base = f.type.replace(/\(.*$/, '');
      if (models.has(base) || attr(f.attrs, 'relation')) continue;
      const col = mapArg(attr(f.attrs, 'map')) ?? f.name;
      columnOf.set(f.name, col);
      let type: string;
      const native = f.attrs.find((a) => a.name.startsWith('db.'));
      if (native) type = NATIVE[native.name.slice(3).toLowerCase()] ?? native.name.slice(3).toLowerCase();
      else if (base === 'Unsupported') type = (/"([^"]*)"/.exec(f.type)?.[1] ?? 'unknown').replace(/\(.*$/, '').toLowerCase();
      else type = SCALARS[base] ?? enums.get(base) ?? base;
      if (f.list) type += '[]';
      const info: ColumnInfo = { name: col, type, notNull: !f.optional && !f.list, definedAt: { file: b.file, range: f.nameRange }, fieldName: f.name };
      table.columns.set(col, info);
      const id = attr(f.attrs, 'id');
      if (id) {
        info.notNull = true;
        table.indexes.push({ name: stringArg(id, 'map') ?? prismaDefaultName(name, undefined, 'pkey'), kind: 'primary', keys: [{ column: col }], include: [], method: 'btree', definedAt: { file: b.file, range: id.range } });
      }
      const uq = attr(f.attrs, 'unique');
      if (uq) table.indexes.push({ name: stringArg(uq, 'map') ?? prismaDefaultName(name, [col], 'key'), kind: 'unique', keys: [{ column: col }], include: [], method: 'btree', definedAt: { file: b.file, range: uq.range } });
    }
    for (const a of b.blockAttrs) {
      if (a.name !== 'id' && a.name !== 'unique' && a.name !== 'index') continue;
      const fields = fieldList(a);
      const unknown = fields.filter((f) => !columnOf.has(f));
      if (fields.length === 0 || unknown.length) {
        problems.push({ file: b.file, range: a.range, message: `model ${b.name}: @@${a.name} names unknown field(s) ${unknown.join(', ') || '(none)'}; ignored` });
        continue;
      }
      const cols = fields.map((f) => columnOf.get(f)!);
      const kind = a.name === 'id' ? 'primary' : a.name === 'unique' ? 'unique' : 'index';
      const dflt = kind === 'primary' ? prismaDefaultName(name, undefined, 'pkey') : prismaDefaultName(name, cols, kind === 'unique' ? 'key' : 'idx');
      const indexName = stringArg(a, 'map') ?? (kind === 'index' ? stringArg(a, 'name') : undefined) ?? dflt;
      const typeArg = a.args.find((x) => x.name === 'type');
      const method = typeArg?.value.kind === 'call' ? (METHODS[typeArg.value.name] ?? typeArg.value.name.toLowerCase()) : 'btree';
      const index: IndexInfo = { name: indexName, kind, keys: cols.map((c) => ({ column: c })), include: [], method, definedAt: { file: b.file, range: a.range } };
      table.indexes.push(index);
      if (kind === 'primary') for (const c of cols) table.columns.get(c)!.notNull = true;
    }
    tables.push(table);
    if (!byModel.has(b.name)) byModel.set(b.name, { table, columnOf, block: b });
  }
  for (const { table, columnOf, block } of byModel.values()) addRelations(table, columnOf, block, byModel, problems);
  for (const { table, block } of byModel.values()) addRelationFields(table, block, byModel);
  for (const p of problems) {
    if (p.line === undefined && p.range) {
      const f = files.find((x) => x.path === p.file);
      if (f) p.line = new LineIndex(f.text).position(p.range.start).line + 1;
    }
  }
  return { tables, problems, applied: files.map((f) => f.path), enums: [...enums.values()] };
}

const PRISMA_PROVIDERS: Record<string, string> = {
  sqlite: 'SQLite',
  mysql: 'MySQL',
  sqlserver: 'SQL Server',
  mongodb: 'MongoDB',
};

/** The migrations folder of a Prisma schema for another database (`provider = "sqlite"`). */
export function prismaProviderFolders(f: SourceFile): NonPostgresFolder[] {
  const clean = blankComments(f.text);
  const ds = /(?:^|\n)[ \t]*datasource\s+\w+\s*\{([^}]*)\}/.exec(clean);
  if (!ds) return [];
  const p = /\bprovider\s*=\s*"([^"]*)"/.exec(ds[1]);
  const database = p ? PRISMA_PROVIDERS[p[1].toLowerCase()] : undefined;
  if (!p || !database) return [];
  const at = ds.index + ds[0].indexOf(ds[1]) + p.index;
  const line = new LineIndex(f.text).position(at).line + 1;
  const dir = dirName(f.path);
  const out: NonPostgresFolder[] = [];
  const evidence = `provider = "${p[1]}"`;
  out.push({ folder: dir ? `${dir}/migrations` : 'migrations', database, file: f.path, line, evidence });
  // Multi-file schemas (`prisma/schema/*.prisma`) keep their migrations beside the schema folder.
  if (/(?:^|\/)schema$/.test(dir)) {
    const parent = dirName(dir);
    out.push({ folder: parent ? `${parent}/migrations` : 'migrations', database, file: f.path, line, evidence });
  }
  return out;
}

