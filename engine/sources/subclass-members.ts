/**
 * A field a base class declares `any` (or bare) and never sets, which every subclass sets in its own code to a
 * client or repository of one library (`botRepository: any` in an abstract controller, `this.botRepository =
 * this.prismaRepository.dify` in each subclass's constructor): the base class's methods use what the subclasses
 * give. One binding when all of them agree on library and role (the entity only when all name the same one);
 * unknown when one subclass sets nothing that resolves. Found on evolution-api: 33 Prisma calls in
 * base-chatbot.controller.ts went through such fields.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import type { ProjectServices } from '../context';
import { filesNaming } from './callers';
import type { Binding, Value } from './query-sites';

/** Past this many files naming the class, its subclasses are not looked for. */
const MAX_NAMING_FILES = 40;

/** What this module asks of provenance. */
export interface SubclassHost<C> {
  /** The class the expression of an `extends` clause in `file` is. */
  classOf(file: string, e: ts.Expression, c: C): { file: string; node: ts.ClassLikeDeclaration } | undefined;
  /** Member `name` of class `node` in `file`, as the class's own code (and its bases) give it. */
  memberOf(file: string, node: ts.ClassLikeDeclaration, name: string, c: C): Value | undefined;
}

/** Whether the class declares `name` as a field typed `any` or not at all, without a value. */
export function declaredLoosely(cls: ts.ClassLikeDeclaration, name: string): boolean {
  const d = cls.members.find((m) => ts.isPropertyDeclaration(m) && m.name && ts.isIdentifier(m.name) && m.name.text === name) as ts.PropertyDeclaration | undefined;
  return !!d && !d.initializer && (!d.type || d.type.kind === ts.SyntaxKind.AnyKeyword);
}

/** The classes of the project that extend `cls` directly. */
function subclassesOf<C>(project: ProjectServices, file: string, cls: ts.ClassLikeDeclaration, host: SubclassHost<C>, c: C): { file: string; node: ts.ClassLikeDeclaration }[] | undefined {
  const name = cls.name?.text;
  const files = project.projectFiles?.();
  if (!name || !files) return undefined;
  const named = filesNaming(project, files, name);
  if (named.size > MAX_NAMING_FILES) return undefined;
  const out: { file: string; node: ts.ClassLikeDeclaration }[] = [];
  for (const f of named) {
    const sf = project.tsAst(f);
    if (!sf) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isClassLike(n)) {
        const ext = n.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
        const base = ext && ts.isIdentifier(ext.expression) && ext.expression.text === name ? host.classOf(f, ext.expression, c) : undefined;
        if (base && base.file === file && base.node.pos === cls.pos && base.node.end === cls.end) out.push({ file: f, node: n });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return out;
}

/** The binding every subclass of `cls` gives field `name`, when they agree; undefined otherwise. */
export function subclassesMember<C>(project: ProjectServices, file: string, cls: ts.ClassLikeDeclaration, name: string, host: SubclassHost<C>, c: C): Value | undefined {
  if (!declaredLoosely(cls, name)) return undefined;
  const subs = subclassesOf(project, file, cls, host, c);
  if (!subs?.length) return undefined;
  let merged: Binding | undefined;
  for (const s of subs) {
    const v = host.memberOf(s.file, s.node, name, c);
    if (v?.kind !== 'instance') return undefined;
    const b = v.binding;
    if (!merged) merged = { ...b, untyped: true };
    else if (merged.library !== b.library || merged.role !== b.role) return undefined;
    else if (merged.entity !== b.entity) merged = { ...merged, entity: undefined };
  }
  return merged && { kind: 'instance', binding: merged };
}
