/**
 * TypeORM's QueryBuilder chains (`createQueryBuilder(User, 'u').where('u.email = :email', …).getOne()`): the
 * filters, order, limit, selection and target a chain states, read step by step.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access (measured ~1 s per 800 files).
import ts = require('typescript');
import type { ChainStep, ColumnUse } from '../../sources/query-sites';
import { literalNumber, rangeOf, selectedFields, stringValue, unparen, whereObjectFilters, withValue } from '../kit/chain';

/** QueryBuilder joins: the alias is the second argument (`leftJoinAndSelect('orgs.aclRules', 'acl_rules')`), the third for the AndMap forms. */
const JOINS = /^(left|inner)Join(AndSelect)?$|^(left|inner)JoinAndMap(One|Many)$/;

type BuilderInfo = { filters: ColumnUse[]; orderBy: ColumnUse[]; limit?: number; batched: boolean; selects?: string[] | '*'; entity?: string; tableName?: string; opaque: boolean; conditional: boolean };

/** What a QueryBuilder chain has said so far, step by step (`STEPS`). */
class ChainState {
  /**
   * A where string naming a joined table's column (`groups.name` after `leftJoinAndSelect('acl_rules.group', 'groups')`), or
   * an unqualified one beside joins, is not (or may not be) a column of the root entity: the filters are opaque.
   */
  opaque = false;
  filters: ColumnUse[] = [];
  orderBy: ColumnUse[] = [];
  limit: number | undefined;
  batched = false;
  selects: string[] | '*' | undefined = '*';
  entity: string | undefined;
  tableName: string | undefined;
  /** `.from(cte ? FilteredDocument : Document, 'docs')`: a statement on a table chosen at run time. */
  conditional = false;
  constructor(
    /** The root's alias (`from(Organization, 'orgs')`, `createQueryBuilder(User, 'u')`). */
    readonly root: string | undefined,
    /** The joined tables' aliases. */
    readonly joined: Set<string>,
  ) {}

  /** A qualifier that names a joined table, or another table than the root. */
  foreign(qualifier: string): boolean {
    return this.joined.has(qualifier) || (this.root !== undefined && qualifier !== this.root);
  }

  info(): BuilderInfo {
    const { filters, orderBy, limit, batched, selects, entity, tableName, opaque, conditional } = this;
    return { filters, orderBy, limit, batched, selects, entity, tableName, opaque, conditional };
  }
}

/** Aliases: the root's and the joined tables'. */
function aliases(steps: ChainStep[]): { root: string | undefined; joined: Set<string> } {
  let root: string | undefined;
  const joined = new Set<string>();
  for (const s of steps) {
    if (!s.call) continue;
    const a = s.call.arguments;
    if ((s.name === 'from' || s.name === 'createQueryBuilder') && a.length >= 2) root = stringValue(a[1]) ?? root;
    else if (s.name === 'createQueryBuilder' && a.length === 1) root = stringValue(a[0]) ?? root;
    else if (JOINS.test(s.name)) {
      const alias = stringValue(a[s.name.includes('AndMap') ? 2 : 1]);
      if (alias) joined.add(alias);
    }
  }
  return { root, joined };
}

type Step = (st: ChainState, call: ts.CallExpression, a0: ts.Expression | undefined) => void;

const WHERE_TERM = /(?:\b"?(\w+)"?\.)?"?(\w+)"?\s*(=|<>|!=|<=|>=|<|>|\bI?LIKE\b|\bIN\b)\s*(['"]?)(%?)/gi;

const where: Step = (st, call, a0) => {
  const text = stringValue(a0);
  if (text === undefined) {
    if (a0) {
      whereObjectFilters(a0, st.filters);
      if (st.filters.some((f) => f.op === 'in')) st.batched = true;
    }
    return;
  }
  if (/\bIN\s*\(\s*:\.\.\.\w+\s*\)|=\s*ANY\s*\(/i.test(text)) st.batched = true;
  const re = new RegExp(WHERE_TERM.source, WHERE_TERM.flags);
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const qualifier = m[1];
    if (qualifier ? st.foreign(qualifier) : st.joined.size > 0) {
      st.opaque = true;
      continue;
    }
    const op = /in/i.test(m[3]) ? 'in' : /like/i.test(m[3]) ? (m[5] === '%' ? 'like-contains' : 'like-prefix') : m[3] === '=' ? 'eq' : 'range';
    // `IN (:...ids)`: the list is in the parameters object.
    st.filters.push(withValue({ column: m[2], range: rangeOf(a0!), op }, call.arguments[1]));
  }
};

const orderBy: Step = (st, _call, a0) => {
  const t = stringValue(a0);
  const q = t && /^"?(\w+)"?\./.exec(t)?.[1];
  // A joined table's column (`orderBy('groups.name')`) does not order the root's rows by an index of the root.
  if (t && !(q && st.foreign(q))) st.orderBy.push({ column: t.replace(/^.*\./, ''), range: rangeOf(a0!) });
};

const limit: Step = (st, _call, a0) => {
  st.limit = literalNumber(a0);
};

const select: Step = (st, _call, a0) => {
  if (!a0) return;
  const f = selectedFields(a0) ?? (stringValue(a0) ? [stringValue(a0)!] : undefined);
  if (f && !f.some((x) => /\.?\*$/.test(x) || !x.includes('.'))) st.selects = f.map((x) => x.replace(/^.*\./, ''));
  else if (f && f.every((x) => !x.endsWith('*'))) st.selects = f.map((x) => x.replace(/^.*\./, ''));
};

/** `from(T)`; `insert().into(Share)` / `.into('group_users')`, `update(Document)`: the table an insert or update writes. */
const target: Step = (st, _call, a0) => {
  const t = a0 && unparen(a0);
  if (t && ts.isIdentifier(t)) st.entity = t.text;
  else if (t && ts.isConditionalExpression(t)) st.conditional = true;
  else if (t) st.tableName = stringValue(t);
};

/** QueryBuilder steps by method name. */
const STEPS: Record<string, Step> = {
  where,
  andWhere: where,
  orWhere: where,
  // `insert().into(T).values(rows.map(…))`: one statement for every row.
  values: (st, _call, a0) => {
    const v = a0 && unparen(a0);
    if (v && (ts.isArrayLiteralExpression(v) || (ts.isCallExpression(v) && ts.isPropertyAccessExpression(v.expression) && /^(map|flatMap)$/.test(v.expression.name.text)))) st.batched = true;
  },
  whereInIds: (st, _call, a0) => {
    st.batched = true;
    if (a0) st.filters.push(withValue({ column: 'id', range: rangeOf(a0), op: 'in' }, a0));
  },
  orderBy,
  addOrderBy: orderBy,
  take: limit,
  limit,
  select,
  addSelect: select,
  from: target,
  into: target,
  update: target,
  createQueryBuilder: (st, call, a0) => {
    if (a0 && ts.isIdentifier(a0) && call.arguments.length >= 2) st.entity = a0.text;
  },
};

export function builderInfo(steps: ChainStep[]): BuilderInfo {
  const { root, joined } = aliases(steps);
  const st = new ChainState(root, joined);
  for (const s of steps) {
    if (s.call && Object.hasOwn(STEPS, s.name)) STEPS[s.name](st, s.call, s.call.arguments[0]);
  }
  return st.info();
}
