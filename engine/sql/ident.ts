/** Identifier quoting for every place that writes SQL text: one reserved-word list, two policies. */

/** Quotes an identifier when PostgreSQL would need it (not lower-case simple, or a reserved word). */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : quoteIdentAlways(name);
}

/** Always quoted: DDL rebuilt from a schema keeps names exactly as declared. */
export function quoteIdentAlways(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `schema.table` → `"schema"."table"`, each part quoted. */
export function quoteQualifiedAlways(dotted: string): string {
  return dotted.split('.').map(quoteIdentAlways).join('.');
}

const RESERVED = new Set(
  'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral leading limit localtime localtimestamp not null offset on only or order placing primary references returning select session_user some symmetric system_user table then to trailing true union unique user using variadic when where window with'.split(
    ' ',
  ),
);
