/**
 * Helpers over libpg-query AST nodes shared by schema discovery and rules:
 * a generic walk, identifier access, and a canonical key for expressions so
 * that an expression index `lower(email)` and a predicate `lower(u.email)`
 * compare equal.
 */
import type { PgNode } from './parser';

/** Calls `visit` on every node object (each `{ Type: {...} }` wrapper) below `node`, depth first. */
export function walk(node: PgNode, visit: (type: string, body: PgNode, wrapper: PgNode) => void | false): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
    return;
  }
  const keys = Object.keys(node);
  if (keys.length === 1 && /^[A-Z]/.test(keys[0]) && node[keys[0]] && typeof node[keys[0]] === 'object') {
    const type = keys[0];
    if (visit(type, node[type], node) === false) return;
    walk(node[type], visit);
    return;
  }
  for (const k of keys) {
    const v = node[k];
    if (v && typeof v === 'object') walk(v, visit);
  }
}

/** The type name and body of a wrapper node `{ Type: body }`. */
export function unwrap(node: PgNode): { type: string; body: PgNode } | undefined {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) return undefined;
  return { type: keys[0], body: node[keys[0]] };
}

/** String values of a `fields`/`names` list (`[{String:{sval}}]`), '*' for A_Star. */
export function nameList(list: PgNode[] | undefined): string[] {
  return (list ?? []).map((f: PgNode) => (f.String ? String(f.String.sval) : f.A_Star ? '*' : '?'));
}

/** Identifiers fold to lower case unless quoted; the parser has already folded unquoted ones. */
export function normName(s: string): string {
  return s;
}

function constText(c: PgNode): string {
  if (c.isnull) return 'null';
  if (c.ival !== undefined) return String(c.ival.ival ?? 0);
  if (c.fval !== undefined) return String(c.fval.fval);
  if (c.boolval !== undefined) return String(!!c.boolval.boolval);
  if (c.sval !== undefined) return `'${c.sval.sval ?? ''}'`;
  if (c.bsval !== undefined) return String(c.bsval.bsval);
  return '?';
}

function typeName(t: PgNode): string {
  const names = nameList(t?.names).filter((n) => n !== 'pg_catalog');
  return names.join('.');
}

/**
 * A canonical text for an expression: column references lose their
 * qualifiers (`u.email` → `email`), function and type names lose
 * `pg_catalog.`, everything is lower case. Two expressions with the same key
 * are the same expression for index matching.
 */
export function exprKey(node: PgNode): string {
  const u = unwrap(node);
  if (!u) return '?';
  const b = u.body;
  switch (u.type) {
    case 'ColumnRef': {
      const f = nameList(b.fields);
      return f[f.length - 1];
    }
    case 'FuncCall': {
      const fn = nameList(b.funcname).filter((n) => n !== 'pg_catalog').join('.').toLowerCase();
      const args = (b.args ?? []).map(exprKey).join(', ');
      return `${fn}(${b.agg_star ? '*' : args})`;
    }
    case 'TypeCast':
      return `${exprKey(b.arg)}::${typeName(b.typeName)}`;
    case 'A_Const':
      return constText(b);
    case 'A_Expr': {
      const op = nameList(b.name).join('');
      return `(${b.lexpr ? exprKey(b.lexpr) : ''} ${op} ${b.rexpr ? exprKey(b.rexpr) : ''})`;
    }
    case 'CoalesceExpr':
      return `coalesce(${(b.args ?? []).map(exprKey).join(', ')})`;
    case 'ParamRef':
      return `$${b.number ?? 0}`;
    case 'List':
      return `(${(b.items ?? []).map(exprKey).join(', ')})`;
    case 'SQLValueFunction':
      return String(b.op ?? 'sqlvaluefunction').toLowerCase();
    default:
      return u.type.toLowerCase();
  }
}
