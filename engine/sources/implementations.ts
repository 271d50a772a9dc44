/**
 * The classes that implement a project interface: a call through an interface (`this.store.reserve(…)`
 * where `store: ShardStore`) runs the method of a class declared `implements ShardStore` (or implementing
 * an interface that extends it), or of a top-level object declared with it as its type (`const insightStore:
 * InsightStore = { async upsertInsight(…) { … } }`, handed to `createEngine({ store: insightStore })`). Read from the declarations' syntax, project-wide, memoised per project
 * file list.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import { MAX_FILE_BYTES } from '../guard';
import type { ProjectServices } from '../context';
import { isTsLike } from './ts-ast';

interface Index {
  /**
   * Interface name → classes declared to implement it, and objects declared with it as their type
   * (`export const insightStore: InsightStore = { async upsertInsight(…) { … } }`: `object` set).
   */
  implementers: Map<string, { file: string; className: string; object?: boolean }[]>;
  /** Interface name → interfaces that extend it. */
  extenders: Map<string, string[]>;
}


/** `class C … implements A, B {`: the class name and the heritage list (engine/sources/reach.ts reads them too). */
export const IMPLEMENTS = /\bclass\s+([A-Za-z_$][\w$]*)[^{;]*?\bimplements\s+([^{]+)\{/g;
/** `const store: InsightStore = {`: an object written to a declared type (its name and the type's). */
export const TYPED_OBJECT = /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*:\s*([A-Za-z_$][\w$.]*)\s*=\s*\{/g;
/** `interface I<…> extends A, B {`: the interface name and the heritage list. */
export const EXTENDS = /\binterface\s+([A-Za-z_$][\w$]*)(?:<[^{]*?>)?\s+extends\s+([^{]+)\{/g;

/** The names of a heritage list (type arguments and qualifiers dropped). */
export function heritageNames(list: string): string[] {
  return list
    .replace(/<[^<>]*(<[^<>]*>[^<>]*)*>/g, '')
    .split(',')
    .map((x) => x.trim().replace(/^.*\./, ''))
    .filter((x) => /^[A-Za-z_$][\w$]*$/.test(x));
}

function buildIndex(project: ProjectServices, files: string[]): Index {
  const implementers = new Map<string, { file: string; className: string; object?: boolean }[]>();
  const extenders = new Map<string, string[]>();
  const names = heritageNames;
  for (const file of files) {
    if (!isTsLike(file) || file.endsWith('.d.ts')) continue;
    const text = project.fileText(file);
    if (text === undefined || text.length > MAX_FILE_BYTES) continue;
    const obj = new RegExp(TYPED_OBJECT);
    for (let m = obj.exec(text); m; m = obj.exec(text)) {
      const n = m[2].replace(/^.*\./, '');
      const list = implementers.get(n) ?? [];
      list.push({ file, className: m[1], object: true });
      implementers.set(n, list);
    }
    if (!/\b(implements|interface)\b/.test(text)) continue;
    const cls = new RegExp(IMPLEMENTS);
    for (let m = cls.exec(text); m; m = cls.exec(text)) {
      for (const n of names(m[2])) {
        const list = implementers.get(n) ?? [];
        list.push({ file, className: m[1] });
        implementers.set(n, list);
      }
    }
    const itf = new RegExp(EXTENDS);
    for (let m = itf.exec(text); m; m = itf.exec(text)) {
      for (const n of names(m[2])) {
        const list = extenders.get(n) ?? [];
        list.push(m[1]);
        extenders.set(n, list);
      }
    }
  }
  return { implementers, extenders };
}

function index(project: ProjectServices): Index | undefined {
  const files = project.projectFiles?.();
  if (!files?.length) return undefined;
  return project.memo('implementations', String(files.length), () => buildIndex(project, files));
}

/**
 * The implementation of method `method` of interface `interfaceName`: the first class declared to
 * implement it (or an interface extending it), or object declared with it as its type, that defines the
 * method with a body.
 */
export function implementationOf(project: ProjectServices, interfaceName: string, method: string): { file: string; node: ts.MethodDeclaration } | undefined {
  const idx = index(project);
  if (!idx) return undefined;
  const seen = new Set<string>();
  const queue = [interfaceName];
  while (queue.length) {
    const name = queue.shift()!;
    if (seen.has(name) || seen.size > 50) continue;
    seen.add(name);
    for (const { file, className, object } of idx.implementers.get(name) ?? []) {
      const sf = project.tsAst(file);
      if (object) {
        const m = objectMethod(sf, className, method);
        if (m) return { file, node: m };
        continue;
      }
      const cls = sf?.statements.find((st): st is ts.ClassDeclaration => ts.isClassDeclaration(st) && st.name?.text === className);
      const m = cls?.members.find((x): x is ts.MethodDeclaration => ts.isMethodDeclaration(x) && !!x.body && !!x.name && ts.isIdentifier(x.name) && x.name.text === method);
      if (m) return { file, node: m };
    }
    queue.push(...(idx.extenders.get(name) ?? []));
  }
  return undefined;
}

/** The method `method` (with a body) of the object literal a top-level `const name: T = { … }` declares. */
function objectMethod(sf: ts.SourceFile | undefined, name: string, method: string): ts.MethodDeclaration | undefined {
  for (const st of sf?.statements ?? []) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      if (!ts.isIdentifier(d.name) || d.name.text !== name || !d.type || !d.initializer || !ts.isObjectLiteralExpression(d.initializer)) continue;
      return d.initializer.properties.find((x): x is ts.MethodDeclaration => ts.isMethodDeclaration(x) && !!x.body && !!x.name && ts.isIdentifier(x.name) && x.name.text === method);
    }
  }
  return undefined;
}
