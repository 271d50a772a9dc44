/**
 * What an interpolation stands for, read from where it sits in the SQL text
 * around it (`prev`: the text before, `next`: the text after; other
 * interpolations read as `$0`). The extractor (ts-sql.ts) renders each kind
 * so the statement still parses, and records it as a hole of the site (see
 * HoleKind in types.ts) so no rule judges what it cannot see.
 */

export type HolePosition =
  /** After a `$`: the number of a bound parameter (`$${values.length}`). */
  | 'param-number'
  /** After SET in an UPDATE or ON CONFLICT: a whole assignment list built elsewhere. */
  | 'assignments'
  /** `values ${rows}`, `in ${ids}`: a list the driver or a helper expands. */
  | 'list'
  /** `insert into t ${rows}`: the column list and VALUES a row helper writes (postgres.js `${sql(row)}`). */
  | 'rows'
  /** Right after another interpolation (`${a}${b}`): part of one unknown fragment. */
  | 'adjacent'
  /** On a line of its own after a clause (`${whereClause}`), or a statement after `;`: SQL built elsewhere. */
  | 'clause'
  /** Inside a quoted identifier: `"${col}"`. */
  | 'quoted-name'
  /** Glued to name characters: `t_${suffix}`. */
  | 'name-part'
  /** Where a name goes: `FROM ${table}`, `${schema}.jobs`, `INSERT INTO t (${a}, ${b})`. */
  | 'name'
  /** An ASC/DESC/NULLS modifier after an ORDER BY key. */
  | 'modifier'
  /** An operand compared with or applied to something known: `= ${id}`, `LIMIT ${n}`, `${x}::int`. */
  | 'value'
  /** Cannot tell: `WHERE ${cond}`, `ON ${a} = ${b}`, `SELECT ${columns}`. */
  | 'unknown';

/** Keywords after which a value spliced into SQL text is a name. */
const NAME_BEFORE =
  /\b(from|join|into|update|table|exists|database|schema|references|truncate|only|index|sequence|view|function|trigger|type|extension|role|user|constraint|column|policy|savepoint|owner\s+to|on\s+table|grant\s+\w+\s+on|rename\s+to|alter\s+column|listen|unlisten|notify)\s+$/i;

/** Operators and keywords whose right operand is a value. */
const VALUE_AFTER = /(=|<>|!=|<=|>=|<|>|[\w)'"\]]\s*(\+|-|\/|%)|\|\||@>|<@|&&|\bis\s+(not\s+)?distinct\s+from|\blike|\bilike|\bsimilar\s+to|\blimit|\boffset|\bbetween\s+\S+\s+and|\bbetween|\bthen|\belse|\bwhen|\bfetch\s+first|\binterval)\s*$/i;

/** An operator whose left operand is itself an interpolation: `${a} = ${b}` compares two unknowns. */
const HOLE_OPERATOR_BEFORE = /\$0\s*(=|<>|!=|<=|>=|<|>)\s*$/;

/** Inside a VALUES row, an IN list, ANY(…), ARRAY[…] or a function's argument list after a value. */
const VALUE_LIST_BEFORE = /(\bvalues\s*\(|\bin\s*\(|\bany\s*\(|\ball\s*\(|\barray\s*\[)[^()[\]]*$/i;

/** Where an interpolation sits (see HolePosition). */
export function holePosition(prev: string, next: string): HolePosition {
  if (/(^|[^$])\$$/.test(prev)) return 'param-number';
  if (/\$0$/.test(prev)) return 'adjacent';
  // After a statement's `;`: a whole statement built elsewhere (`SET statement_timeout = '1s'; ${sql}`).
  if (/;\s*$/.test(prev) && /\S/.test(prev)) return 'clause';
  if (/\bset\s*$/i.test(prev) && !/^\s*=/.test(next)) return 'assignments';
  if (/\b(values|in)\s*$/i.test(prev) && !/^\s*\(/.test(next)) return 'list';
  if (/\binsert\s+into\s+(?:"[^"]+"|[\w.]+)(?:\s+as\s+\w+)?\s+$/i.test(prev) && /^\s*(?:on\s+conflict\b|returning\b|;|$)/i.test(next)) return 'rows';
  if (/\n[ \t]*$/.test(prev) && /^[ \t]*(\r?\n|$)/.test(next) && /\S/.test(prev) && !/(=|\(|,|\bvalues|\bin|\bset|\bselect|\bfrom|\bwhere|\band|\bor|\bby)\s*$/i.test(prev)) return 'clause';
  if (/"$/.test(prev) && /^"/.test(next)) return 'quoted-name';
  if (/[\w$]$/.test(prev) || /^\w/.test(next)) return 'name-part';
  if (
    /^[."]/.test(next) ||
    /[."]$/.test(prev) ||
    NAME_BEFORE.test(prev) ||
    // `CREATE INDEX i ON ${table}`, `CREATE TRIGGER t … ON ${table}`, `CREATE POLICY p ON ${table}`.
    /\b(index|trigger|policy|rule)\b(?:[^;()"]|"[^"]*")*\bon\s+(only\s+)?$/i.test(prev) ||
    // An alias or a type: `AS ${name}` (a value never follows AS).
    /\bas\s+$/i.test(prev) ||
    /\b(order|group|partition)\s+by\s*$/i.test(prev) ||
    // `set ${col} = …`, `, ${col} = …` in an UPDATE.
    (/^\s*=[^=]/.test(next) && /(\bset|,)\s*$/i.test(prev)) ||
    // Column lists: `insert into t (${a}, ${b})`, `on conflict (${a})`, `primary key (${a})`.
    /\b(into\s+\S+|on\s+conflict|key|unique|index\s+\S+\s+on\s+\S+)\s*\((?:[^()"]|"[^"]*")*$/i.test(prev)
  )
    return 'name';
  // `ORDER BY created_at ${dir}`: a direction after a sort key.
  if (/\border\s+by\s+[^;]*[\w")]\s+$/i.test(prev) && !VALUE_AFTER.test(prev)) return 'modifier';
  if (HOLE_OPERATOR_BEFORE.test(prev)) return 'unknown';
  if (VALUE_AFTER.test(prev) || VALUE_LIST_BEFORE.test(prev) || /^\s*::/.test(next)) return 'value';
  // An argument of a function call that is itself a value: `= lower(${email})`, `> coalesce(x, ${d})`.
  const call = /([A-Za-z_][\w.]*)\s*\(([^()]*,\s*)?$/.exec(prev);
  if (call && !/^(in|values|any|all|exists)$/i.test(call[1])) {
    const before = prev.slice(0, call.index);
    if (VALUE_AFTER.test(before) || VALUE_LIST_BEFORE.test(before)) return 'value';
  }
  // `${x} = col` may compare a name as much as a value: unknown.
  return 'unknown';
}
