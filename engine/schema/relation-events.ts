/**
 * Relations declared for a library's relational queries (schema event `relation`, e.g. Drizzle's
 * `relations(boards, ({ one, many }) => ({ labels: many(labels), workspace: one(workspaces, { fields, references }) }))`),
 * applied once every declaration's tables and keys are in the model: `TableInfo.relations`, the same
 * model Prisma's relation fields fill, which the rules read to judge the reads a relation runs.
 *
 * A side that names its columns (`fields` → `references`) says how the tables join. A side that does not
 * (`many(labels)`, the inverse of a one-to-one) joins as the other table's relation back to this one says
 * (matched by `relationName` when either gives one), else through the other table's one foreign key to this
 * table; with neither, or several candidates, the relation is left out: never a guess.
 */
import type { SchemaEvent } from './events';
import { columnsOfFields, tableOfModel } from './events';
import type { RelationInfo, SchemaModel, TableInfo } from './types';

export type RelationEvent = Extract<SchemaEvent, { op: 'relation' }>;

function joinOf(e: RelationEvent, own: TableInfo, other: TableInfo, all: readonly RelationEvent[]): { ownColumns: string[]; otherColumns: string[] } | undefined {
  if (e.fields?.length && e.references?.length) {
    const ownColumns = columnsOfFields(own, e.fields);
    const otherColumns = columnsOfFields(other, e.references);
    return ownColumns && otherColumns && ownColumns.length === otherColumns.length ? { ownColumns, otherColumns } : undefined;
  }
  const back = all.filter((b) => b !== e && b.model === e.target && b.target === e.model && b.fields?.length && b.references?.length && (b.relationName ?? '') === (e.relationName ?? ''));
  if (back.length === 1) {
    const ownColumns = columnsOfFields(own, back[0].references!);
    const otherColumns = columnsOfFields(other, back[0].fields!);
    return ownColumns && otherColumns && ownColumns.length === otherColumns.length ? { ownColumns, otherColumns } : undefined;
  }
  if (back.length || e.relationName) return undefined;
  const keys = (other.foreignKeys ?? []).filter((f) => f.refTable === own.name && f.refSchema === own.schema);
  return keys.length === 1 ? { ownColumns: [...keys[0].refColumns], otherColumns: [...keys[0].columns] } : undefined;
}

/** Sets `relations` of the declared tables from the relation events (see the module comment). */
export function applyRelations(model: SchemaModel, events: readonly RelationEvent[]): void {
  for (const e of events) {
    const own = tableOfModel(model, e.model);
    const other = tableOfModel(model, e.target);
    if (!own || !other || own.relations?.some((r) => r.field === e.field)) continue;
    const join = joinOf(e, own, other, events);
    if (!join) continue;
    const r: RelationInfo = { field: e.field, table: other.name, schema: other.schema, many: e.many, ...join };
    (own.relations ??= []).push(r);
  }
}
