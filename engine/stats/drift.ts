/**
 * Index drift: the indexes the database has (stats snapshot) against the
 * ones the schema sources create (migrations, dumps, schema.prisma). An
 * index made by hand in production is invisible to the migrations, so
 * `unindexed-predicate` may flag a predicate the database serves; an index
 * a migration creates but the database lacks (a failed CONCURRENTLY build,
 * an unapplied migration) is a finding waiting to happen. Also the indexes
 * the database never scans (pg_stat_user_indexes.idx_scan = 0, neither
 * unique nor primary): they cost every write and serve no read. Pure.
 */
import type { SchemaModel } from '../schema/types';
import type { StatsSnapshot } from './snapshot';

export interface IndexDrift {
  /** In the database, in no schema source. */
  liveOnly: { table: string; index: string; definition: string }[];
  /** In a schema source, not in the database. */
  migrationsOnly: { table: string; index: string; file?: string }[];
  /** Never scanned since statistics were reset, and not enforcing uniqueness. */
  unused: { table: string; index: string; pages?: number }[];
  /** Tables of the database that no schema source defines (not compared). */
  unknownTables: string[];
}

export function indexDrift(schema: SchemaModel, snapshot: StatsSnapshot): IndexDrift {
  const out: IndexDrift = { liveOnly: [], migrationsOnly: [], unused: [], unknownTables: [] };
  for (const [key, t] of Object.entries(snapshot.tables).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const live = t.indexes ?? {};
    for (const [name, ix] of Object.entries(live)) {
      if (ix.scans === 0 && !ix.unique && !ix.primary) out.unused.push({ table: key, index: name, pages: ix.pages });
    }
    const table = schema.tables.get(key);
    if (!table) {
      out.unknownTables.push(key);
      continue;
    }
    if (!t.indexes) continue;
    const declared = new Set(table.indexes.map((i) => i.name));
    for (const [name, ix] of Object.entries(live)) if (!declared.has(name)) out.liveOnly.push({ table: key, index: name, definition: ix.definition });
    for (const i of table.indexes) if (!live[i.name]) out.migrationsOnly.push({ table: key, index: i.name, file: i.definedAt?.file });
  }
  return out;
}
