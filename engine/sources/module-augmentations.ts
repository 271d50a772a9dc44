/**
 * Members the project adds to an interface of a package whose own types it does not hold (a module augmentation):
 * `declare module 'fastify' { interface FastifyInstance { prisma: PrismaClient } }` in a plugin file makes
 * `prisma` a member of every `FastifyInstance`, wherever the code names that type (`function f(this:
 * FastifyInstance) { this.prisma… }`). The package's declarations are not among the project's files (querylens
 * reads no `node_modules`), so what the project declares there is all that is known of the interface; a member
 * no augmentation declares stays unknown.
 *
 * Found through the files naming the interface (callers.ts `filesNaming`): a top-level `declare module '<spec>'`
 * of the same specifier, declaring an interface of that name. Every augmentation counts (interfaces merge).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import type { ProjectServices } from '../context';
import { MAX_FILE_BYTES } from '../guard';
import { type FilesMemo, memoOverFiles } from '../reads';
import { filesNaming } from './callers';

/** Past this many files naming the interface, augmentations are not looked for. */
const MAX_NAMING_FILES = 200;

/** One member an augmentation declares: its type (or method signature), in `file`. */
export interface AugmentedMember {
  file: string;
  node: ts.TypeNode | ts.MethodSignature;
}

/** Per project file list: `spec\0interface\0member` → the member. */
const byFiles: FilesMemo<AugmentedMember | undefined> = new WeakMap();

/** Member `name` of interface `iface` of package `spec` as the project's augmentations declare it. */
export function augmentedMember(project: ProjectServices, spec: string, iface: string, name: string): AugmentedMember | undefined {
  // A relative or project-path module is read itself; only a package's types are out of sight.
  if (spec.startsWith('.') || spec.startsWith('/')) return undefined;
  const files = project.projectFiles?.();
  if (!files) return undefined;
  return memoOverFiles(byFiles, files, `${spec}\u0000${iface}\u0000${name}`, () => find(project, files, spec, iface, name));
}

function find(project: ProjectServices, files: readonly string[], spec: string, iface: string, name: string): AugmentedMember | undefined {
  const named = filesNaming(project, files, iface);
  if (named.size > MAX_NAMING_FILES) return undefined;
  for (const f of named) {
    const text = project.fileText(f);
    if (!text || text.length > MAX_FILE_BYTES || !text.includes(spec)) continue;
    const sf = project.tsAst(f);
    if (!sf) continue;
    for (const st of sf.statements) {
      if (!ts.isModuleDeclaration(st) || !ts.isStringLiteral(st.name) || st.name.text !== spec || !st.body || !ts.isModuleBlock(st.body)) continue;
      for (const d of st.body.statements) {
        if (!ts.isInterfaceDeclaration(d) || d.name.text !== iface) continue;
        for (const m of d.members) {
          if (!m.name || !(ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)) || m.name.text !== name) continue;
          if (ts.isPropertySignature(m) && m.type) return { file: f, node: m.type };
          if (ts.isMethodSignature(m)) return { file: f, node: m };
        }
      }
    }
  }
  return undefined;
}

/**
 * The type an explicit `this` parameter declares for the function `this` is used in (`function f(this:
 * FastifyInstance, req)`; arrow functions pass `this` through). Undefined in a class member (the class says what
 * `this` is) and where no `this:` parameter is written.
 */
export function declaredThisType(thisNode: ts.Node): ts.TypeNode | undefined {
  let f: ts.Node | undefined = thisNode.parent;
  while (f && !(ts.isFunctionLike(f) && !ts.isArrowFunction(f)) && !ts.isClassLike(f)) f = f.parent;
  if (!f || ts.isClassLike(f) || !(ts.isFunctionDeclaration(f) || ts.isFunctionExpression(f))) return undefined;
  const p = f.parameters[0];
  return p && ts.isIdentifier(p.name) && p.name.text === 'this' ? p.type : undefined;
}
