/** TypeORM column type names, as its PostgresDriver normalises them. */

/** TypeORM column types → PostgreSQL (its PostgresDriver normalisation, for the common names). */
const TYPE_ALIASES: Record<string, string> = {
  int: 'int4',
  int4: 'int4',
  integer: 'int4',
  int2: 'int2',
  smallint: 'int2',
  int8: 'int8',
  bigint: 'int8',
  float: 'float8',
  double: 'float8',
  'double precision': 'float8',
  float8: 'float8',
  real: 'float4',
  float4: 'float4',
  decimal: 'numeric',
  numeric: 'numeric',
  bool: 'bool',
  boolean: 'bool',
  varchar: 'varchar',
  'character varying': 'varchar',
  nvarchar: 'varchar',
  string: 'varchar',
  char: 'bpchar',
  character: 'bpchar',
  text: 'text',
  citext: 'citext',
  uuid: 'uuid',
  json: 'json',
  jsonb: 'jsonb',
  'simple-json': 'text',
  'simple-array': 'text',
  'simple-enum': 'text',
  datetime: 'timestamp',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  timestamptz: 'timestamptz',
  'timestamp with time zone': 'timestamptz',
  date: 'date',
  time: 'time',
  interval: 'interval',
  bytea: 'bytea',
  blob: 'bytea',
  inet: 'inet',
  tsvector: 'tsvector',
};

/** The PostgreSQL type of a TypeORM column type name (`varchar` with its length). */
export function normType(t: string | undefined, length?: string): string | undefined {
  if (!t) return undefined;
  const base = TYPE_ALIASES[t.toLowerCase()] ?? t;
  return length && (base === 'varchar' || base === 'bpchar') ? `${base}(${length})` : base;
}
