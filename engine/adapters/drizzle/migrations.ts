/**
 * Drizzle Kit: migrations are generated from the schema files (`drizzle-kit generate` diffs them against
 * the last snapshot in `<out>/meta/` and writes `<out>/NNNN_<name>.sql` plus a journal entry). An index
 * therefore goes into the table's `pgTable(…)` definition as `index('name').on(table.column)`; a SQL file
 * written beside the journal would never run (the journal does not list it) and the next generate would
 * emit the index again. The fix's follow-up is `drizzle-kit generate`.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { joinPath } from '../../migrations/files';
import { jsString } from '../../migrations/naming';
import type { IndexMigration, IndexPlan, MigrationHome, MigrationTool, MigrationView } from '../../migrations/types';
import type { TableInfo } from '../../schema/types';
import { skipOuter } from '../../sources/ts-expr';
import type { IndexSpec } from '../../schema/events';
import { Values } from '../../schema/ts-values';
import { drizzleSchemaReader } from './schema';
import type { TextEdit } from '../../types';

const dirOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

function detect(view: MigrationView, claimed: ReadonlySet<string>): MigrationHome[] {
  const homes: MigrationHome[] = [];
  for (const p of view.paths) {
    if (!p.endsWith('/meta/_journal.json') && p !== 'meta/_journal.json') continue;
    const dir = dirOf(dirOf(p));
    const files = view.paths.filter((f) => dirOf(f) === dir && /^\d+_.+\.sql$/.test(f.slice(dir ? dir.length + 1 : 0)) && !claimed.has(f));
    homes.push({ tool: drizzleKit, dir, files, evidence: `${joinPath(dir, 'meta/_journal.json')} (Drizzle Kit)`, facts: {} });
  }
  // Drizzle Kit 1.0's layout: one folder per migration, `<out>/<timestamp>_<name>/{migration.sql,snapshot.json}`, no journal.
  const folders = new Set<string>();
  for (const p of view.paths) {
    const m = /^(?:(.*)\/)?(\d+_[^/]+)\/snapshot\.json$/.exec(p);
    if (m && view.paths.includes(`${m[1] ? `${m[1]}/` : ''}${m[2]}/migration.sql`)) folders.add(m[1] ?? '');
  }
  for (const dir of folders) {
    if (homes.some((h) => h.dir === dir)) continue;
    const files = view.paths.filter((f) => dirOf(dirOf(f)) === dir && /^\d+_[^/]+\/migration\.sql$/.test(f.slice(dir ? dir.length + 1 : 0)) && !claimed.has(f));
    homes.push({ tool: drizzleKit, dir, files, evidence: `${joinPath(dir, '<timestamp>_<name>/snapshot.json')} (Drizzle Kit, one folder per migration)`, facts: {} });
  }
  // A Drizzle Kit config for PostgreSQL and no migrations committed (`drizzle-kit push`, or migrations generated at
  // deploy): the table files are the schema, and an index goes into them all the same.
  if (!homes.length) {
    const config = view.paths.find((p) => /(^|\/)drizzle\.config\.[cm]?[jt]s$/.test(p) && /postgres|['"]pg['"]/.test(view.text(p) ?? ''));
    if (config) homes.push({ tool: drizzleKit, dir: '', files: [], evidence: `${config} (Drizzle Kit, no migrations committed)`, facts: { noJournal: config } });
  }
  return homes;
}

function owns(home: MigrationHome, table: TableInfo): boolean {
  return table.origin === 'drizzle' || (!!table.definedAt && home.files.includes(table.definedAt.file));
}

const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

interface TableDecl {
  sf: ts.SourceFile;
  call: ts.CallExpression;
  columns: ts.ObjectLiteralExpression;
}

/** `pgTable('name', {…}, …)` or `schema.table('name', {…})` declaring `t`, in a file. */
function findDecl(path: string, text: string, t: TableInfo): TableDecl | undefined {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  let found: TableDecl | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) && n.arguments.length >= 2) {
      const callee = n.expression;
      const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
      const first = n.arguments[0];
      const cols = skipOuter(n.arguments[1]);
      if ((name === 'pgTable' || name === 'table' || name === 'pgTableCreator') && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)) && first.text === t.name && ts.isObjectLiteralExpression(cols)) {
        // A table of another PostgreSQL schema is declared through `pgSchema('x').table(…)`.
        const inSchema = ts.isPropertyAccessExpression(callee);
        if (inSchema === (t.schema !== 'public' && !!t.schema)) found = { sf, call: n, columns: cols };
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** The property of the columns object holding database column `col`. */
function columnProperty(cols: ts.ObjectLiteralExpression, col: string): string | undefined {
  for (const p of cols.properties) {
    if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) continue;
    let c: ts.Expression = skipOuter(p.initializer);
    while (ts.isCallExpression(c) && ts.isPropertyAccessExpression(c.expression)) c = skipOuter(c.expression.expression);
    if (!ts.isCallExpression(c)) continue;
    const a = c.arguments[0];
    const dbName = a && (ts.isStringLiteral(a) || ts.isNoSubstitutionTemplateLiteral(a)) ? a.text : undefined;
    if (dbName === col || (dbName === undefined && (p.name.text === col || snake(p.name.text) === col))) return ts.isIdentifier(p.name) && /^[A-Za-z_$][\w$]*$/.test(p.name.text) ? p.name.text : undefined;
  }
  return undefined;
}

/** The installed drizzle-orm takes an array from the extra-config callback since 0.36; before, an object. */
function arrayForm(view: MigrationView, schemaFile: string): boolean {
  for (let dir = dirOf(schemaFile); ; dir = dirOf(dir)) {
    const pkg = view.text(joinPath(dir, 'package.json'));
    const v = pkg && /"drizzle-orm"\s*:\s*"[^\d"]*(\d+)\.(\d+)/.exec(pkg);
    if (v) return Number(v[1]) > 0 || Number(v[2]) >= 36;
    if (!dir) return false;
  }
}

/**
 * Does the file declare `name` anywhere (an import, variable, function, class, parameter or destructured name)? A
 * property key or member (`index: integer('index')`, `t.index`) is no binding and cannot clash with an import.
 */
function declaresName(sf: ts.SourceFile, name: string): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if ((ts.isImportSpecifier(n) || ts.isImportClause(n) || ts.isNamespaceImport(n) || ts.isVariableDeclaration(n) || ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n) || ts.isImportEqualsDeclaration(n)) && n.name && ts.isIdentifier(n.name) && n.name.text === name) {
      found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** Edits that import `index` from the module `pgTable` comes from; undefined when `index` means something else. */
function importIndex(decl: TableDecl): TextEdit[] | undefined {
  const sf = decl.sf;
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !/^drizzle-orm\/pg-core$/.test(st.moduleSpecifier.text)) continue;
    const nb = st.importClause?.namedBindings;
    if (!nb || !ts.isNamedImports(nb) || st.importClause?.isTypeOnly) continue;
    if (nb.elements.some((e) => e.name.text === 'index' && (e.propertyName?.text ?? 'index') === 'index')) return [];
    if (declaresName(sf, 'index')) return undefined;
    const last = nb.elements[nb.elements.length - 1];
    return [{ file: sf.fileName, range: { start: last.getEnd(), end: last.getEnd() }, newText: ', index' }];
  }
  return undefined;
}

/** The file's string quote, as the table's name is written (`pgTable("x", …)` → `"`); a template literal counts as `'`. */
function quoteOf(decl: TableDecl): string {
  return decl.sf.text[decl.call.arguments[0].getStart(decl.sf)] === '"' ? '"' : "'";
}

/**
 * Where and how to add one element to a non-empty list: a list written one element per line (hollo's `(table) => [\n
 * index(…),\n check(…),\n ]`) gets its own line at the last element's indentation, keeping the list's trailing comma;
 * a list on one line gets `, element`.
 */
function appendTo(sf: ts.SourceFile, open: ts.Node, els: ts.NodeArray<ts.Node>, text: string): { at: number; newText: string } {
  const last = els[els.length - 1];
  const line = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line;
  if (line(last.getStart(sf)) === line(open.getStart(sf))) return { at: els.end, newText: `${els.hasTrailingComma ? ' ' : ', '}${text}` };
  const lineStart = sf.getPositionOfLineAndCharacter(line(last.getStart(sf)), 0);
  const indent = /^[ \t]*/.exec(sf.text.slice(lineStart))?.[0] ?? '';
  if (!els.hasTrailingComma) return { at: last.getEnd(), newText: `,\n${indent}${text}` };
  const comma = sf.text.indexOf(',', last.getEnd());
  return { at: comma + 1, newText: `\n${indent}${text},` };
}

/** The extra-config callback's parameter and the array or object it returns (`(t) => [ … ]`, `(t) => ({ … })`, `{ return [ … ] }`). */
function extraConfig(extra: ts.Expression): { param: string; lit: ts.Expression } | undefined {
  const fn = skipOuter(extra);
  if (!(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || fn.parameters.length < 1 || !ts.isIdentifier(fn.parameters[0].name)) return undefined;
  let body: ts.Node = fn.body;
  if (ts.isBlock(body)) {
    const ret = body.statements.length === 1 && ts.isReturnStatement(body.statements[0]) ? body.statements[0].expression : undefined;
    if (!ret) return undefined;
    body = ret;
  }
  return { param: fn.parameters[0].name.text, lit: skipOuter(body as ts.Expression) };
}

/**
 * The leading columns (database names) of each whole-table B-tree index the table's declaration has, under any name,
 * as the Drizzle schema reader reads them (drizzleSchemaReader: `index(…)`/`uniqueIndex(…)` with `.on(t.a, t.b.desc())`
 * or `.using('btree', …)`). A partial index (`.where(…)`), an operator class (`.op(…)`) or another method serves other
 * predicates and is left out.
 */
function declaredIndexes(decl: TableDecl, t: TableInfo): string[][] {
  const out = drizzleSchemaReader.read(decl.sf, new Values(decl.sf, decl.sf.fileName, undefined));
  const ev = out?.events.find((e) => e.op === 'createTable' && (e.table.name === t.name || `${e.table.schema}.${e.table.name}` === t.name));
  const column = (k: IndexSpec['keys'][number]): string | undefined => {
    if (typeof k === 'string') return k;
    // An ordered key (`t.b.desc()`) is read as the quoted column and its order.
    const m = !k.opclass && /^("(?:[^"]|"")+") (?:ASC|DESC|NULLS)/.exec(k.expression);
    return m ? m[1].slice(1, -1).replace(/""/g, '"') : undefined;
  };
  const result: string[][] = [];
  for (const ix of ev && ev.op === 'createTable' ? (ev.indexes ?? []) : []) {
    if (ix.where !== undefined || (ix.method !== undefined && ix.method !== 'btree')) continue;
    const cols = ix.keys.map(column);
    if (cols.length && cols.every((c) => c)) result.push(cols as string[]);
  }
  return result;
}

/** The edit adding `index('name').on(t.col)` to the table's extra config (adding the callback when there is none). */
function extraConfigEdit(decl: TableDecl, plan: IndexPlan, props: string[], array: boolean): TextEdit | undefined {
  const file = decl.sf.fileName;
  const q = quoteOf(decl);
  const name = q === '"' ? JSON.stringify(plan.name) : jsString(plan.name);
  const expr = (p: string) => `index(${name}).on(${props.map((c) => `${p}.${c}`).join(', ')})`;
  const key = plan.name.replace(/[^A-Za-z0-9_$]/g, '_');
  const extra = decl.call.arguments[2];
  if (!extra) {
    const at = decl.columns.getEnd();
    return { file, range: { start: at, end: at }, newText: array ? `, (table) => [${expr('table')}]` : `, (table) => ({ ${key}: ${expr('table')} })` };
  }
  const cfg = extraConfig(extra);
  if (!cfg) return undefined;
  const { param, lit } = cfg;
  if (ts.isArrayLiteralExpression(lit)) {
    if (!lit.elements.length) return { file, range: { start: lit.getStart() + 1, end: lit.getStart() + 1 }, newText: expr(param) };
    const { at, newText } = appendTo(decl.sf, lit, lit.elements, expr(param));
    return { file, range: { start: at, end: at }, newText };
  }
  if (ts.isObjectLiteralExpression(lit)) {
    if (lit.properties.some((p) => p.name && ts.isIdentifier(p.name) && p.name.text === key)) return undefined;
    if (!lit.properties.length) return { file, range: { start: lit.getStart() + 1, end: lit.getStart() + 1 }, newText: `${key}: ${expr(param)}` };
    const { at, newText } = appendTo(decl.sf, lit, lit.properties, `${key}: ${expr(param)}`);
    return { file, range: { start: at, end: at }, newText };
  }
  return undefined;
}

/** The memo key of `tableFiles` by the view's paths: joined once per list, not per finding. */
const pathKeys = new WeakMap<readonly string[], string>();

/** TypeScript files that declare Drizzle tables, memoised per project state. */
function tableFiles(view: MigrationView): string[] {
  let key = pathKeys.get(view.paths);
  if (key === undefined) pathKeys.set(view.paths, (key = view.paths.join('\n')));
  return view.project.memo('migration-table-files', key, () =>
    view.paths.filter((p) => /\.[cm]?tsx?$/.test(p) && !/\.d\.[cm]?ts$/.test(p) && /\b(pgTable|\.table)\s*\(/.test(view.text(p) ?? '')),
  );
}

/** The table's declaration (the schema's own sources first: a table file left out of it, generator output, is not where the table lives). */
function tableDecl(view: MigrationView, t: TableInfo): TableDecl | undefined {
  const sources = new Set(view.schema.sources);
  const files = tableFiles(view);
  for (const path of [...files.filter((f) => sources.has(f)), ...files.filter((f) => !sources.has(f))]) {
    const text = view.text(path);
    if (!text || !text.includes(t.name)) continue;
    const decl = findDecl(path, text, t);
    if (decl) return decl;
  }
  return undefined;
}

/** Without committed migrations the project applies its schema with `drizzle-kit push` (or generates at deploy). */
const stepOf = (home: MigrationHome): string => (home.facts.noJournal ? 'drizzle-kit push' : 'drizzle-kit generate');

/**
 * The table's declaration already has an index that starts with the plan's first column (an earlier `--fix`, or a
 * hand-written one) while the schema, read from the migrations, lacks it: no second `index(…)` (the same one again, or
 * one overlapping it), only the step to run.
 */
function declaredIndex(home: MigrationHome, plan: IndexPlan, view: MigrationView): string | undefined {
  if (plan.kind !== 'plain') return undefined;
  const decl = tableDecl(view, plan.table);
  const ix = decl && columnProperty(decl.columns, plan.columns[0]) ? declaredIndexes(decl, plan.table).find((cols) => cols[0] === plan.columns[0]) : undefined;
  if (!decl || !ix) return undefined;
  const props = ix.map((c) => columnProperty(decl.columns, c) ?? c);
  return `${decl.sf.fileName} already declares an index on ${props.map((p) => `table.${p}`).join(', ')} for table ${plan.table.name} but no migration creates it yet: run ${stepOf(home)}`;
}

function writeIndex(home: MigrationHome, plan: IndexPlan, view: MigrationView): IndexMigration | undefined {
  if (plan.kind !== 'plain') return undefined;
  const t = plan.table;
  const decl = tableDecl(view, t);
  if (!decl) return undefined;
  const path = decl.sf.fileName;
  const props = plan.columns.map((c) => columnProperty(decl.columns, c));
  if (props.some((p) => !p)) return undefined;
  const imp = importIndex(decl);
  const edit = imp && extraConfigEdit(decl, plan, props as string[], arrayForm(view, path));
  if (!imp || !edit) return undefined;
  const step = stepOf(home);
  return {
    edits: [...imp, edit],
    title: `Add index(${jsString(plan.name)}).on(${props.map((p) => `table.${p}`).join(', ')}) to table ${t.name} in ${path}, then run ${step}`,
    concurrently: false,
    followUp: step,
  };
}

export const drizzleKit: MigrationTool = { id: 'drizzle-kit', displayName: 'Drizzle Kit', detect, owns, declaredIndex, writeIndex };
