/**
 * `querylens schema [path] [--format stylish|json] [--config FILE]`: the schema querylens believes
 * in for `path` (default: the current directory) — tables, columns, indexes and foreign keys with
 * where each was defined, the sources read in the order applied, and the problems met — so a user
 * can check it. In a monorepo, the schema of the package that owns `path` (see Project.schemaFor).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type IndexInfo, LineIndex, Project, type SchemaModel, type SchemaScope, type TableInfo, initParser } from '../engine';
import type { SchemaOptions } from './args';
import { FileFilter, isInside, lazyReader, loadSchemaSources, locateProject, readSource, toProjectPath } from './files';
import { CliError, type LintIo, loadConfig } from './lint';

interface Place {
  file: string;
  line: number;
}

export async function runSchema(opts: SchemaOptions, io: LintIo): Promise<number> {
  const { cwd } = io;
  const target = path.resolve(cwd, opts.path);
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch {
    throw new CliError(`${opts.path}: no such file or directory`);
  }
  const start = st.isDirectory() ? target : path.dirname(target);
  const { root, configFile } = locateProject(start, opts.config, cwd);
  if (!isInside(root, target)) throw new CliError(`${opts.path}: outside the project root ${root}`);
  const config = loadConfig(cwd, configFile);
  const candidates = new FileFilter(root, config.ignore, config.lintTests).walk('');
  // The listing: which code imports a schema file, which files a config's schema glob names (engine/schema/links.ts).
  const project = new Project(config, { readFile: lazyReader(root), listFiles: () => candidates });
  await initParser();
  const sources = loadSchemaSources(root, candidates, config, (file) => {
    const r = readSource(path.join(root, file));
    return r.ok ? r.text : undefined;
  });
  for (const [file, text] of sources) project.setFile(file, text);
  const rel = toProjectPath(root, target);
  const scope = project.schemaScope(st.isDirectory() ? `${rel ? `${rel}/` : ''}.` : rel);
  const schema = project.schemaOf(scope);
  const lines = new Map<string, LineIndex>();
  const place = (file: string, offset: number): Place => {
    let li = lines.get(file);
    if (!li) lines.set(file, (li = new LineIndex(project.fileText(file) ?? '')));
    return { file, line: li.position(offset).line + 1 };
  };
  const display = (file: string): string => path.relative(cwd, path.join(root, file)).split(path.sep).join('/') || '.';
  const text = opts.format === 'json' ? schemaJson(schema, scope, place, display, root) : schemaStylish(schema, scope, place, display);
  io.stdout.write(text);
  return 0;
}

type Placer = (file: string, offset: number) => Place;

function keysText(ix: IndexInfo): string {
  return ix.keys.map((k) => `${k.column ?? k.expression ?? '?'}${k.opclass ? ` ${k.opclass}` : ''}`).join(', ');
}

function indexLine(ix: IndexInfo): string {
  const kind = ix.kind === 'primary' ? 'PRIMARY KEY' : ix.kind === 'unique' ? 'UNIQUE' : 'INDEX';
  const method = ix.method !== 'btree' ? ` USING ${ix.method}` : '';
  const include = ix.include.length ? ` INCLUDE (${ix.include.join(', ')})` : '';
  const where = ix.predicate ? ` WHERE ${ix.predicate}` : '';
  return `${ix.name} ${kind}${method} (${keysText(ix)})${include}${where}`;
}

function sortedTables(schema: SchemaModel): TableInfo[] {
  return [...schema.tables.values()].sort((a, b) => `${a.schema}.${a.name}`.localeCompare(`${b.schema}.${b.name}`));
}

function counts(schema: SchemaModel): { tables: number; indexes: number; foreignKeys: number } {
  let indexes = 0;
  let foreignKeys = 0;
  for (const t of schema.tables.values()) {
    indexes += t.indexes.length;
    foreignKeys += t.foreignKeys?.length ?? 0;
  }
  return { tables: schema.tables.size, indexes, foreignKeys };
}

export function schemaStylish(schema: SchemaModel, scope: SchemaScope, place: Placer, display: (f: string) => string): string {
  const out: string[] = [];
  const c = counts(schema);
  const at = (d: { file: string; range: { start: number } } | undefined): string => {
    if (!d) return '';
    const p = place(d.file, d.range.start);
    return `  ${display(p.file)}:${p.line}`;
  };
  out.push(`Schema of ${scope.packages.length ? scope.packages.map((p) => display(p || '.')).join(', ') : display('.')}: ${c.tables} tables, ${c.indexes} indexes, ${c.foreignKeys} foreign keys`);
  out.push('');
  out.push(`Sources, in the order applied (${schema.sources.length}):`);
  schema.sources.forEach((s, i) => out.push(`  ${String(i + 1).padStart(3)}. ${display(s)}`));
  if (!schema.sources.length) out.push('  (none: no migrations, schema dump, ORM schema file or TypeScript schema found; set "schema": { "sources": [...] } in querylens.config.json)');
  for (const t of sortedTables(schema)) {
    out.push('');
    out.push(`${t.schema}.${t.name}${t.modelName && t.modelName !== t.name ? ` (model ${t.modelName})` : ''}${at(t.definedAt)}`);
    for (const col of t.columns.values()) out.push(`    ${col.name} ${col.type}${col.notNull ? ' not null' : ''}${col.fieldName && col.fieldName !== col.name ? ` (field ${col.fieldName})` : ''}`);
    for (const ix of t.indexes) out.push(`  index ${indexLine(ix)}${at(ix.definedAt)}`);
    for (const fk of t.foreignKeys ?? []) out.push(`  foreign key ${fk.name ?? ''} (${fk.columns.join(', ')}) → ${fk.refSchema}.${fk.refTable}${fk.refColumns.length ? ` (${fk.refColumns.join(', ')})` : ''}${at(fk.definedAt)}`.replace('key  (', 'key ('));
  }
  if (schema.problems.length) {
    out.push('');
    out.push(`Problems (${schema.problems.length}):`);
    for (const p of schema.problems) out.push(`  ${display(p.file)}${p.line ? `:${p.line}` : ''}  ${p.message}`);
  }
  out.push('');
  return out.join('\n');
}

export function schemaJson(schema: SchemaModel, scope: SchemaScope, place: Placer, display: (f: string) => string, root: string): string {
  const where = (d: { file: string; range: { start: number } } | undefined) => (d ? { file: display(d.file), line: place(d.file, d.range.start).line } : undefined);
  const data = {
    root,
    packages: scope.packages.map((p) => display(p || '.')),
    counts: counts(schema),
    sources: schema.sources.map(display),
    tables: sortedTables(schema).map((t) => ({
      schema: t.schema,
      name: t.name,
      model: t.modelName,
      definedAt: where(t.definedAt),
      rows: t.rows,
      columns: [...t.columns.values()].map((c) => ({ name: c.name, type: c.type, notNull: c.notNull, field: c.fieldName })),
      indexes: t.indexes.map((ix) => ({ name: ix.name, kind: ix.kind, method: ix.method, keys: ix.keys, include: ix.include, predicate: ix.predicate, definedAt: where(ix.definedAt) })),
      foreignKeys: (t.foreignKeys ?? []).map((fk) => ({ name: fk.name, columns: fk.columns, refSchema: fk.refSchema, refTable: fk.refTable, refColumns: fk.refColumns, definedAt: where(fk.definedAt) })),
    })),
    problems: schema.problems.map((p) => ({ file: display(p.file), line: p.line, message: p.message })),
  };
  return `${JSON.stringify(data, null, 2)}\n`;
}
