/**
 * Entity → table declarations, read across project files: where an entity,
 * model or table name used in a file is declared (following imports and
 * re-exports), which adapter recognises the declaration, and the schema table
 * it maps to. Split out of orm.ts.
 */
import { adapters, allAdapters } from '../adapters';
import { snakeCase } from '../adapters/kit/entities';
import type { EntityDecl } from '../adapters/types';
import type { ProjectServices } from '../context';
import { findModel, findTable, type TableInfo } from '../schema/types';
import { resolveModulePath } from './provenance';
import type { Library } from './query-sites';

/** Files larger than this are not searched for declarations. */
const LARGE_TEXT = 2 * 1024 * 1024;

/** Files to search for a name used in `path`: the file itself, then where it imports the name from (following `export … from`). */
function declarationFiles(project: ProjectServices, path: string, name: string, depth = 0, seen = new Set<string>()): string[] {
  if (seen.has(path) || depth > 4) return [];
  seen.add(path);
  const text = project.fileText(path);
  if (text === undefined || text.length > LARGE_TEXT) return [];
  const out = [path];
  const importRe = /(?:import|export)\s+(?:type\s+)?([\s\S]{0,400}?)\s+from\s+['"]([^'"]+)['"]/g;
  for (let m = importRe.exec(text); m; m = importRe.exec(text)) {
    const what = m[1];
    if (!(new RegExp(`\\b${name}\\b`).test(what) || /^\*/.test(what.trim()))) continue;
    const target = resolveModulePath(project, path, m[2]);
    if (target) out.push(...declarationFiles(project, target, name, depth + 1, seen));
  }
  return out;
}

/** The first adapter that finds `name` declared in `text`. */
function entityDeclIn(file: string, text: string, name: string): EntityDecl | undefined {
  for (const a of allAdapters) {
    const d = a.orm.entityDecl(file, text, name);
    if (d) return d;
  }
  return undefined;
}

/** Finds how entity/model/table `name`, used in `path`, is declared. Memoised per file text. */
export function findEntityDecl(project: ProjectServices, path: string, name: string): EntityDecl | undefined {
  const text = project.fileText(path) ?? '';
  return project.memo(`entityDecl:${path}:${name}`, text, () => {
    for (const f of declarationFiles(project, path, name)) {
      const t = project.fileText(f);
      if (t === undefined) continue;
      // Memoised per declaring file too: every file that uses `User` searches models/User.ts with the same regexes.
      const d = project.memo(`entityDeclIn:${f}:${name}`, t, () => entityDeclIn(f, t, name));
      if (d) return d;
    }
    return undefined;
  });
}

/** The schema table of an entity, trying the declared name and the library's defaults. */
export function tableForEntity(project: ProjectServices, path: string, library: Library, entity: string): { table?: TableInfo; name: string; decl?: EntityDecl } {
  const schema = project.schema(path);
  const own = adapters[library].orm.entityTable(schema, entity);
  if (own) return own;
  const decl = findEntityDecl(project, path, entity);
  const cands = decl ? decl.candidates : [entity, snakeCase(entity), entity.toLowerCase(), `${entity.toLowerCase()}s`, `${snakeCase(entity)}s`];
  for (const c of cands) {
    const t = findTable(schema, c) ?? findModel(schema, c);
    if (t) return { table: t, name: t.name, decl };
  }
  return { name: decl?.table ?? entity, decl };
}

