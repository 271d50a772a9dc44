/**
 * Static values of TypeScript expressions, for schema readers: the string a table name is
 * (`'users'`, `TABLE_USERS`, `Tables.users`, `` `${prefix}_users` ``, an enum member, a constant
 * imported from another file or workspace package), the object literal a spread names, the SQL text
 * of a literal with each offset mapped back to the file. Read from syntax trees only; nothing is
 * executed. A value that depends on run time is `undefined`: the reader then says nothing.
 */
// A plain require, as in engine/sources/ts-ast.ts.
import ts = require('typescript');
import { mappedText, type MappedText } from './mapped-text';

/** How a reader reaches other files: module resolution and syntax trees, both from the project. */
export interface ModuleHost {
  /** The project file an import specifier names, seen from `fromPath`. */
  resolve(fromPath: string, spec: string): string | undefined;
  /** The syntax tree of a project file, or undefined when it is not there. */
  parse(path: string): ts.SourceFile | undefined;
}

/** A node and the file it lives in. */
export interface Located<T extends ts.Node = ts.Node> {
  node: T;
  file: FileScope;
}



const MAX_DEPTH = 12;

type Binding =
  | { kind: 'node'; node: ts.Node }
  | { kind: 'import'; spec: string; name: string }
  | { kind: 'namespace'; spec: string };

/** Top-level names of one file: declarations and imports (ES and `require`). */
export class FileScope {
  readonly top = new Map<string, Binding>();
  /** `export { a as b }` and `export const b`: exported name → local binding or re-export. */
  readonly exported = new Map<string, Binding>();
  readonly star: string[] = [];

  constructor(
    readonly sf: ts.SourceFile,
    readonly path: string,
    readonly host?: ModuleHost,
  ) {
    for (const st of sf.statements) this.collect(st);
  }

  private collect(st: ts.Statement): void {
    const exported = !!ts.getModifiers(st as ts.HasModifiers)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    const put = (name: string, b: Binding): void => {
      this.top.set(name, b);
      if (exported) this.exported.set(name, b);
    };
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name)) {
          const req = d.initializer && requireSpec(d.initializer);
          put(d.name.text, req !== undefined ? { kind: 'namespace', spec: req } : { kind: 'node', node: d });
        } else if (ts.isObjectBindingPattern(d.name) && d.initializer) {
          const req = requireSpec(d.initializer);
          for (const el of d.name.elements) {
            if (!ts.isIdentifier(el.name)) continue;
            const prop = el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName.text : el.name.text;
            put(el.name.text, req !== undefined ? { kind: 'import', spec: req, name: prop } : { kind: 'node', node: el });
          }
        }
      }
    } else if ((ts.isEnumDeclaration(st) || ts.isClassDeclaration(st) || ts.isFunctionDeclaration(st)) && st.name) {
      put(st.name.text, { kind: 'node', node: st });
    } else if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      const spec = st.moduleSpecifier.text;
      const c = st.importClause;
      if (c?.name) this.top.set(c.name.text, { kind: 'import', spec, name: 'default' });
      const nb = c?.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) this.top.set(nb.name.text, { kind: 'namespace', spec });
      else if (nb) for (const el of nb.elements) this.top.set(el.name.text, { kind: 'import', spec, name: (el.propertyName ?? el.name).text });
    } else if (ts.isExportDeclaration(st)) {
      const spec = st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
      if (!st.exportClause) {
        if (spec) this.star.push(spec);
      } else if (ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements) {
          const local = (el.propertyName ?? el.name).text;
          this.exported.set(el.name.text, spec ? { kind: 'import', spec, name: local } : { kind: 'import', spec: '', name: local });
        }
      }
    } else if (ts.isExportAssignment(st) && !st.isExportEquals) {
      this.exported.set('default', { kind: 'node', node: st.expression });
    } else if (ts.isExpressionStatement(st) && ts.isBinaryExpression(st.expression) && st.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      // CommonJS: `exports.A = …`, `module.exports.A = …`, `module.exports = { A, B }`.
      const l = st.expression.left;
      const r = st.expression.right;
      if (ts.isPropertyAccessExpression(l) && (isExportsObject(l.expression) || isModuleExports(l.expression))) this.exported.set(l.name.text, { kind: 'node', node: r });
      else if (isModuleExports(l) && ts.isObjectLiteralExpression(r)) {
        for (const p of r.properties) {
          if (ts.isShorthandPropertyAssignment(p)) this.exported.set(p.name.text, { kind: 'import', spec: '', name: p.name.text });
          else if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) this.exported.set(p.name.text, { kind: 'node', node: p.initializer });
        }
      }
    }
  }
}

function isExportsObject(e: ts.Expression): boolean {
  return ts.isIdentifier(e) && e.text === 'exports';
}

function isModuleExports(e: ts.Expression): boolean {
  return ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'module' && e.name.text === 'exports';
}

/** `require('x')` (also `await import('x')`): the specifier. */
function requireSpec(e: ts.Expression): string | undefined {
  let x = unwrap(e);
  if (ts.isAwaitExpression(x)) x = unwrap(x.expression);
  if (!ts.isCallExpression(x) || x.arguments.length !== 1 || !ts.isStringLiteral(x.arguments[0])) return undefined;
  if ((ts.isIdentifier(x.expression) && x.expression.text === 'require') || x.expression.kind === ts.SyntaxKind.ImportKeyword) return x.arguments[0].text;
  return undefined;
}

/** Strips parentheses, `as`, `satisfies`, `!` and type assertions. */
export function unwrap(e: ts.Expression): ts.Expression {
  let x = e;
  for (;;) {
    if (ts.isParenthesizedExpression(x) || ts.isAsExpression(x) || ts.isNonNullExpression(x) || ts.isTypeAssertionExpression(x) || ts.isSatisfiesExpression(x)) x = x.expression;
    else return x;
  }
}

/** Name of a property (identifier, string, number, or a computed constant string). */
export function propertyName(n: ts.PropertyName | undefined, scope?: Values): string | undefined {
  if (!n) return undefined;
  if (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n) || ts.isPrivateIdentifier(n)) return n.text;
  if (ts.isComputedPropertyName(n) && scope) return scope.string(n.expression);
  return undefined;
}

/**
 * Static evaluation in one file, following names into other files through the host. One instance
 * per reader run; scopes of other files are cached in it.
 */
export class Values {
  private readonly scopes = new Map<string, FileScope | null>();
  /** Loop variables bound to the element of the iteration being read (see staticWalk). */
  private readonly bound = new Map<ts.Node, ts.Expression>();
  readonly root: FileScope;

  constructor(sf: ts.SourceFile, path: string, readonly host?: ModuleHost) {
    this.root = new FileScope(sf, path, host);
    this.scopes.set(path, this.root);
  }

  private scopeOf(path: string): FileScope | undefined {
    const hit = this.scopes.get(path);
    if (hit !== undefined) return hit ?? undefined;
    const sf = this.host?.parse(path);
    const s = sf ? new FileScope(sf, path, this.host) : undefined;
    this.scopes.set(path, s ?? null);
    return s;
  }

  /** The file scope a node belongs to (the root file unless the node came from elsewhere). */
  fileOf(n: ts.Node): FileScope {
    const sf = n.getSourceFile();
    if (sf === this.root.sf) return this.root;
    for (const s of this.scopes.values()) if (s && s.sf === sf) return s;
    return this.root;
  }

  /** What an identifier names: a local declaration in an enclosing block, a top-level one, or an import. */
  lookup(id: ts.Identifier): Located | undefined {
    const file = this.fileOf(id);
    const local = localDeclaration(id);
    if (local) return { node: local, file };
    return this.fromBinding(file, file.top.get(id.text), 0);
  }

  private fromBinding(file: FileScope, b: Binding | undefined, depth: number): Located | undefined {
    if (!b || depth > MAX_DEPTH) return undefined;
    if (b.kind === 'node') return { node: b.node, file };
    if (b.kind === 'namespace') {
      const target = this.module(file, b.spec);
      return target ? { node: target.sf, file: target } : undefined;
    }
    if (b.spec === '') return this.fromBinding(file, file.top.get(b.name), depth + 1);
    const target = this.module(file, b.spec);
    return target ? this.exportOf(target, b.name, depth + 1) : undefined;
  }

  private module(from: FileScope, spec: string): FileScope | undefined {
    const path = this.host?.resolve(from.path, spec);
    return path ? this.scopeOf(path) : undefined;
  }

  /** The declaration a module exports under `name` (following re-exports and `export *`). */
  exportOf(file: FileScope, name: string, depth = 0): Located | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const b = file.exported.get(name);
    if (b) return this.fromBinding(file, b, depth + 1);
    for (const spec of file.star) {
      const target = this.module(file, spec);
      const hit = target && this.exportOf(target, name, depth + 1);
      if (hit) return hit;
    }
    return undefined;
  }

  /** The expression a name or property access stands for (a const initializer, an object member, an enum member). */
  resolve(e: ts.Expression, depth = 0): ts.Expression | ts.Node | undefined {
    const x = unwrap(e);
    if (depth > MAX_DEPTH) return undefined;
    if (ts.isIdentifier(x)) {
      const d = this.lookup(x);
      if (!d) return undefined;
      if (ts.isVariableDeclaration(d.node)) {
        const b = this.bound.get(d.node);
        if (b) return this.resolveTo(b, depth);
        // A `let` may change: only constants.
        if (!(d.node.parent.flags & ts.NodeFlags.Const) || !d.node.initializer) return undefined;
        return this.resolveTo(d.node.initializer, depth);
      }
      if (ts.isBindingElement(d.node)) return this.bindingValue(d.node, depth);
      if (ts.isExpression(d.node as ts.Expression) && !ts.isSourceFile(d.node)) return this.resolveTo(d.node as ts.Expression, depth);
      return d.node;
    }
    if (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) {
      const key = ts.isPropertyAccessExpression(x) ? x.name.text : this.string(x.argumentExpression);
      if (key === undefined) return undefined;
      const obj = this.resolve(x.expression, depth + 1);
      if (!obj) return undefined;
      return this.member(obj, key, depth);
    }
    return x;
  }

  private resolveTo(e: ts.Expression, depth: number): ts.Expression | ts.Node | undefined {
    const u = unwrap(e);
    if (ts.isIdentifier(u) || ts.isPropertyAccessExpression(u) || ts.isElementAccessExpression(u)) return this.resolve(u, depth + 1);
    return u;
  }

  /** `const { a } = obj` → obj.a (also a loop variable's destructured element). */
  private bindingValue(el: ts.BindingElement, depth: number): ts.Node | undefined {
    const pattern = el.parent;
    const decl = pattern.parent;
    if (!ts.isObjectBindingPattern(pattern) || !ts.isVariableDeclaration(decl)) return undefined;
    const source = this.bound.get(decl) ?? decl.initializer;
    if (!source) return undefined;
    const key = el.propertyName ? propertyName(el.propertyName, this) : ts.isIdentifier(el.name) ? el.name.text : undefined;
    const obj = this.resolve(source, depth + 1);
    return key !== undefined && obj ? this.member(obj, key, depth) : undefined;
  }

  /**
   * A condition's constant value: comparisons of constants (`name === 'users'`), `!`, `&&`, `||`,
   * booleans; undefined when it depends on run time.
   */
  condition(e: ts.Expression, depth = 0): boolean | undefined {
    const x = unwrap(e);
    if (depth > MAX_DEPTH) return undefined;
    if (ts.isPrefixUnaryExpression(x) && x.operator === ts.SyntaxKind.ExclamationToken) {
      const v = this.condition(x.operand, depth + 1);
      return v === undefined ? undefined : !v;
    }
    if (ts.isBinaryExpression(x)) {
      const op = x.operatorToken.kind;
      if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
        const l = this.condition(x.left, depth + 1);
        const r = this.condition(x.right, depth + 1);
        if (op === ts.SyntaxKind.AmpersandAmpersandToken) return l === false || r === false ? false : l && r ? true : undefined;
        return l === true || r === true ? true : l === false && r === false ? false : undefined;
      }
      if (op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken) {
        const l = this.string(x.left) ?? this.boolean(x.left);
        const r = this.string(x.right) ?? this.boolean(x.right);
        if (l === undefined || r === undefined) return undefined;
        const eq = l === r;
        return op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken ? eq : !eq;
      }
      return undefined;
    }
    return this.boolean(x);
  }

  /**
   * Walks a function body as it would run where that is known without running it: an `if` whose
   * condition is a constant takes its one branch (else both: a guard is read as passed), and a
   * `for … of` over a constant array is read once per element with the loop variable bound to it.
   * `visit` returns true for a node it handled whole (not descended into).
   */
  staticWalk(node: ts.Node, visit: (n: ts.Node) => boolean | void): void {
    const go = (n: ts.Node): void => {
      if (ts.isIfStatement(n)) {
        const c = this.condition(n.expression);
        if (c !== false) go(n.thenStatement);
        if (c !== true && n.elseStatement) go(n.elseStatement);
        return;
      }
      if (ts.isForOfStatement(n) && ts.isVariableDeclarationList(n.initializer) && n.initializer.declarations.length === 1) {
        const decl = n.initializer.declarations[0];
        const list = this.resolve(n.expression);
        if (list && ts.isArrayLiteralExpression(list) && list.elements.length <= 64) {
          for (const el of list.elements) {
            this.bound.set(decl, el);
            go(n.statement);
          }
          this.bound.delete(decl);
          return;
        }
      }
      if (visit(n) === true) return;
      ts.forEachChild(n, go);
    };
    go(node);
  }

  /** A member of an object literal, an enum, a class's static property, or a module namespace. */
  member(obj: ts.Node, key: string, depth = 0): ts.Expression | ts.Node | undefined {
    if (ts.isSourceFile(obj)) {
      const file = this.fileOf(obj);
      const d = this.exportOf(file, key);
      if (!d) return undefined;
      if (ts.isVariableDeclaration(d.node)) return d.node.initializer ? this.resolveTo(d.node.initializer, depth) : undefined;
      return d.node;
    }
    if (ts.isObjectLiteralExpression(obj)) {
      for (const p of obj.properties) {
        if (ts.isPropertyAssignment(p) && propertyName(p.name, this) === key) return this.resolveTo(p.initializer, depth);
        if (ts.isShorthandPropertyAssignment(p) && p.name.text === key) return this.resolve(p.name, depth + 1);
      }
      return undefined;
    }
    if (ts.isEnumDeclaration(obj)) {
      const m = obj.members.find((mm) => propertyName(mm.name) === key);
      return m?.initializer ? this.resolveTo(m.initializer, depth) : undefined;
    }
    if (ts.isClassDeclaration(obj)) {
      for (const m of obj.members) {
        if (ts.isPropertyDeclaration(m) && propertyName(m.name) === key && m.initializer && ts.getModifiers(m)?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword)) return this.resolveTo(m.initializer, depth);
      }
    }
    return undefined;
  }

  /** The constant string value of an expression, or undefined. */
  string(e: ts.Expression | undefined, depth = 0): string | undefined {
    if (!e || depth > MAX_DEPTH) return undefined;
    const x = unwrap(e);
    if (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x) || ts.isNumericLiteral(x)) return x.text;
    if (ts.isTemplateExpression(x)) {
      let out = x.head.text;
      for (const span of x.templateSpans) {
        const v = this.string(span.expression, depth + 1);
        if (v === undefined) return undefined;
        out += v + span.literal.text;
      }
      return out;
    }
    if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const l = this.string(x.left, depth + 1);
      const r = l === undefined ? undefined : this.string(x.right, depth + 1);
      return l !== undefined && r !== undefined ? l + r : undefined;
    }
    if (ts.isIdentifier(x) || ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) {
      const v = this.resolve(x, depth + 1);
      if (!v || v === x || !isExpressionNode(v)) return undefined;
      return this.string(v as ts.Expression, depth + 1);
    }
    return undefined;
  }

  /** Strings of an array literal (or one string as a one-element list); undefined if any is not constant. */
  strings(e: ts.Expression | undefined): string[] | undefined {
    if (!e) return undefined;
    const v = this.resolve(e);
    const x = v && isExpressionNode(v) ? unwrap(v as ts.Expression) : unwrap(e);
    if (ts.isArrayLiteralExpression(x)) {
      const out: string[] = [];
      for (const el of x.elements) {
        const s = this.string(el);
        if (s === undefined) return undefined;
        out.push(s);
      }
      return out;
    }
    const one = this.string(e);
    return one === undefined ? undefined : [one];
  }

  /** The object literal an expression is (through constants), or undefined. */
  object(e: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
    if (!e) return undefined;
    const v = this.resolve(e);
    return v && ts.isObjectLiteralExpression(v) ? v : undefined;
  }

  /** A boolean constant, or undefined. */
  boolean(e: ts.Expression | undefined): boolean | undefined {
    if (!e) return undefined;
    const v = this.resolve(e);
    if (!v) return undefined;
    if (v.kind === ts.SyntaxKind.TrueKeyword) return true;
    if (v.kind === ts.SyntaxKind.FalseKeyword) return false;
    return undefined;
  }

  /**
   * The text of a string or template literal with offsets mapped to the file. Substitutions must be
   * constants (`${TABLE}`); their text maps to the `${…}` span. Undefined when a part is not constant.
   */
  mappedText(e: ts.Expression | undefined): MappedText | undefined {
    if (!e) return undefined;
    const x = unwrap(e);
    const pieces: { text: string; file: number; len: number; exact: boolean }[] = [];
    const literal = (n: ts.Node, text: string, open: number): void => {
      const raw = n.getText();
      const start = n.getStart();
      // Exact mapping when the literal holds no escape (the usual SQL string); else each piece maps to its start.
      const exact = !raw.includes('\\') && !raw.includes('\r');
      pieces.push({ text, file: start + open, len: text.length, exact });
    };
    if (ts.isStringLiteral(x) || ts.isNoSubstitutionTemplateLiteral(x)) literal(x, x.text, 1);
    else if (ts.isTemplateExpression(x)) {
      literal(x.head, x.head.text, 1);
      for (const span of x.templateSpans) {
        const v = this.string(span.expression);
        if (v === undefined) return undefined;
        pieces.push({ text: v, file: span.expression.getStart() - 2, len: v.length, exact: false });
        literal(span.literal, span.literal.text, 1);
      }
    } else {
      const v = this.string(x);
      if (v === undefined) return undefined;
      pieces.push({ text: v, file: x.getStart(), len: v.length, exact: false });
    }
    return mappedText(pieces);
  }
}

function isExpressionNode(n: ts.Node): boolean {
  return !ts.isSourceFile(n) && !ts.isEnumDeclaration(n) && !ts.isClassDeclaration(n) && !ts.isFunctionDeclaration(n) && !ts.isVariableDeclaration(n) && !ts.isBindingElement(n);
}

/** The declaration of `name` in a declaration's name (an identifier, or a destructuring pattern). */
function declared(d: ts.VariableDeclaration, name: string, except: ts.Node): ts.VariableDeclaration | ts.BindingElement | undefined {
  if (ts.isIdentifier(d.name)) return d.name.text === name && d !== except ? d : undefined;
  if (ts.isObjectBindingPattern(d.name)) return d.name.elements.find((el) => ts.isIdentifier(el.name) && el.name.text === name && el !== except);
  return undefined;
}

/** A `const`/`let` declaring `id` in a block or loop head that encloses it (not at top level: FileScope has those). */
function localDeclaration(id: ts.Identifier): ts.VariableDeclaration | ts.BindingElement | undefined {
  for (let n: ts.Node | undefined = id.parent; n && !ts.isSourceFile(n); n = n.parent) {
    if ((ts.isForOfStatement(n) || ts.isForInStatement(n)) && ts.isVariableDeclarationList(n.initializer)) {
      for (const d of n.initializer.declarations) {
        const hit = declared(d, id.text, id.parent);
        if (hit) return hit;
      }
      continue;
    }
    if (!ts.isBlock(n) && !ts.isModuleBlock(n)) continue;
    for (const st of n.statements) {
      if (!ts.isVariableStatement(st)) continue;
      for (const d of st.declarationList.declarations) {
        const hit = declared(d, id.text, id.parent);
        if (hit) return hit;
      }
    }
  }
  return undefined;
}

export { ts };
