/**
 * Architecture invariants (ARCHITECTURE.md): the engine and rules are pure —
 * no file system, no process, no editor APIs — and only engine/sql/parser.ts
 * imports the SQL parser. Adapters import the engine through engine/index.ts.
 * Data libraries are named only in their adapters (engine/adapters/).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { allAdapters, libraryOfModule } from '../../engine/adapters';

const ROOT = path.join(__dirname, '..', '..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const ent of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${ent.name}`;
    if (ent.isDirectory()) out.push(...tsFiles(rel));
    else if (rel.endsWith('.ts')) out.push(rel);
  }
  return out;
}

function imports(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const out: string[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

describe('architecture invariants', () => {
  const pure = [...tsFiles('engine'), ...tsFiles('rules')];

  it('engine/ and rules/ import no fs, process, child_process, net or vscode modules', () => {
    const bad: string[] = [];
    for (const f of pure) {
      for (const i of imports(f)) {
        if (/^(node:)?(fs|fs\/promises|child_process|net|http|https|worker_threads|process)$/.test(i) || /^vscode/.test(i)) bad.push(`${f} imports ${i}`);
      }
      const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
      if (/\bprocess\.(env|argv|exit|cwd)\b/.test(text)) bad.push(`${f} uses process`);
    }
    assert.deepEqual(bad, []);
  });

  it('only engine/sql/parser.ts imports libpg-query', () => {
    const all = ['engine', 'rules', 'cli', 'server', 'client', 'scripts'].filter((d) => fs.existsSync(path.join(ROOT, d))).flatMap(tsFiles);
    const importers = all.filter((f) => imports(f).includes('libpg-query'));
    assert.deepEqual(importers.filter((f) => !f.startsWith('scripts/')), ['engine/sql/parser.ts']);
  });

  it('adapters (cli/, server/) reach the engine only through engine/index.ts', () => {
    const bad: string[] = [];
    for (const dir of ['cli', 'server']) {
      if (!fs.existsSync(path.join(ROOT, dir))) continue;
      for (const f of tsFiles(dir)) {
        for (const i of imports(f)) if (/\.\.\/(\.\.\/)?(engine|rules)\/(?!index$)/.test(i)) bad.push(`${f} imports ${i}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('no source outside engine/adapters/ names a data library (module specifiers, identifiers, strings)', () => {
    const sources = ['engine', 'rules', 'cli', 'server', 'client', 'scripts']
      .filter((d) => fs.existsSync(path.join(ROOT, d)))
      .flatMap(tsFiles)
      .filter((f) => !f.startsWith('engine/adapters/'));
    const bad: string[] = [];
    for (const f of sources) {
      for (const hit of libraryNames(f)) {
        // A benchmark that drives a real PostgreSQL imports its client library to do so: a use, not analysis knowledge.
        if (DRIVES_A_DATABASE.has(f) && / module pg$/.test(hit)) continue;
        bad.push(`${f}:${hit}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('the check sees a library where one is named (it is not vacuous)', () => {
    const sample = [
      "import { PrismaClient } from '@prisma/client';",
      "const pool = require('pg');",
      "const lib = 'postgres';",
      'const knexBuilder = 1;',
      "const re = /drizzle\\.config/;",
      '// Prisma in a comment is fine.',
      "export default { meta: { docs: { what: 'Prisma `findMany`' } } };",
    ].join('\n');
    const hits = namesIn(ts.createSourceFile('sample.ts', sample, ts.ScriptTarget.Latest, true)).map((h) => h.replace(/^\d+: /, ''));
    assert.deepEqual(hits, ['module @prisma/client', 'identifier PrismaClient', 'module pg', 'string postgres', 'identifier knexBuilder', 'regex /drizzle\\.config/']);
  });
});

/** Scripts that measure a real PostgreSQL through the `pg` client (like test/db/). */
// `querylens stats pull` connects to the user's database to read its statistics (a use of the driver, like the benchmark).
const DRIVES_A_DATABASE = new Set(['scripts/calibrate.ts', 'cli/stats.ts']);

/** Names of data libraries, matched case-insensitively inside identifiers and literal text. */
const LIBRARY_WORDS = /prisma|typeorm|sequelize|knex|drizzle|kysely|slonik|nestjs|postgres\.js|node-postgres|pg-pool/i;
const LIBRARY_IDS = new Set(allAdapters.map((a) => a.id));
/** NestJS modules that are no data library (`nestjs` is a library word for `@nestjs/typeorm` and the like): its GraphQL decorators. */
const FRAMEWORK_MODULES = new Set(['@nestjs/graphql']);

function libraryNames(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  return namesIn(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true));
}

/**
 * Where a file names a library outside comments: a module specifier a library owns, an identifier or a
 * string/template/regex literal containing a library's name, a string that is a library id. The text of a
 * rule's `docs` (rendered into docs/rules/) is documentation, like docs/ itself.
 */
function namesIn(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const at = (n: ts.Node): string => `${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && n.name.text === 'docs') return;
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      const spec = n.moduleSpecifier.text;
      if (libraryOfModule(spec) || LIBRARY_WORDS.test(spec)) out.push(`${at(n)}: module ${spec}`);
      if (ts.isImportDeclaration(n) && n.importClause) visit(n.importClause);
      if (ts.isExportDeclaration(n) && n.exportClause) visit(n.exportClause);
      return;
    }
    if (ts.isCallExpression(n) && (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === 'require'))) {
      const a = n.arguments[0];
      if (a && ts.isStringLiteralLike(a) && (libraryOfModule(a.text) || LIBRARY_WORDS.test(a.text))) {
        out.push(`${at(n)}: module ${a.text}`);
        return;
      }
    }
    if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) {
      if (LIBRARY_WORDS.test(n.text)) out.push(`${at(n)}: identifier ${n.text}`);
    } else if (ts.isStringLiteralLike(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) {
      if ((LIBRARY_WORDS.test(n.text) && !FRAMEWORK_MODULES.has(n.text)) || LIBRARY_IDS.has(n.text as never)) out.push(`${at(n)}: string ${n.text}`);
    } else if (ts.isRegularExpressionLiteral(n)) {
      if (LIBRARY_WORDS.test(n.text)) out.push(`${at(n)}: regex ${n.text}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}
