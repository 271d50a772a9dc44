/**
 * The tables the calibration runs on, shared by the timing benchmark
 * (`npm run calibrate`, scripts/calibrate.ts) and the load-independent db
 * suite (test/db/calibration.test.ts): realistic sizes from generate_series,
 * so both see the same rows, pages and widths.
 */
import type { Client } from 'pg';

export const CALIBRATION_TABLES_SQL = `
  CREATE TABLE users AS
    SELECT i::int8 AS id, 'user' || i || '@example.com' AS email, (i % 1000)::int4 AS org_id,
           now() - i * interval '1 minute' AS created_at
    FROM generate_series(1, 200000) i;
  ALTER TABLE users ADD PRIMARY KEY (id);
  CREATE TABLE events AS
    SELECT i::int8 AS id, (i % 50000)::int4 AS account_id, (ARRAY['click','view','buy'])[1 + i % 3] AS kind,
           now() - i * interval '1 second' AS created_at
    FROM generate_series(1, 500000) i;
  CREATE TABLE documents AS
    SELECT i::int8 AS id, 'doc ' || i AS title,
           (SELECT jsonb_object_agg('k' || j, md5((i * j)::text)) FROM generate_series(1, 40) j) AS payload
    FROM generate_series(1, 20000) i;
  ALTER TABLE documents ADD PRIMARY KEY (id);
  CREATE TABLE dims AS SELECT i::int4 AS id, 'dim ' || i AS name FROM generate_series(1, 300) i;
  CREATE TABLE facts AS SELECT i::int4 AS id, (1 + i % 300)::int4 AS dim_id, 'fact ' || i AS label FROM generate_series(1, 1000) i;
  CREATE TABLE events_ix AS TABLE events;
  CREATE INDEX events_ix_account_id_idx ON events_ix (account_id);
`;

/** The same tables as DDL, for building the engine's schema model (types as PostgreSQL infers them above). */
export const CALIBRATION_SCHEMA_DDL = `
  CREATE TABLE users (id int8 PRIMARY KEY, email text, org_id int4, created_at timestamptz);
  CREATE TABLE events (id int8, account_id int4, kind text, created_at timestamptz);
  CREATE TABLE documents (id int8 PRIMARY KEY, title text, payload jsonb);
  CREATE TABLE dims (id int4, name text);
  CREATE TABLE facts (id int4, dim_id int4, label text);
`;

export async function loadCalibrationTables(c: Client): Promise<void> {
  await c.query(CALIBRATION_TABLES_SQL);
  await c.query('VACUUM ANALYZE');
}

/** Average text width of a row of the given columns, as sent to the client. */
export async function textWidth(c: Client, table: string, cols: string[]): Promise<number> {
  const expr = cols.map((col) => `avg(octet_length(${col}::text))`).join(' + ');
  const r = await c.query(`SELECT (${expr})::float8 AS w FROM ${table}`);
  return Number(r.rows[0].w);
}

export const N_PLUS_ONE_IDS = Array.from({ length: 100 }, (_, i) => 1 + i * 1997);
export const USER_COLS = ['id', 'email', 'org_id', 'created_at'];
export const EVENT_COLS = ['id', 'account_id', 'kind', 'created_at'];
export const CARTESIAN_COLS = ['d.id', 'd.name', 'f.id', 'f.label'];
