/** Small text helpers of the migration templates in the adapters. */
import type { TableInfo } from '../../schema/types';

/** `schema.table` for a tool that splits dotted names itself (Knex `??`, Kysely `.on()`), `table` in public. */
export function qualifiedName(t: TableInfo): string {
  return t.schema && t.schema !== 'public' ? `${t.schema}.${t.name}` : t.name;
}

/** The `Kysely<…>` / `Knex` type argument an existing migration uses, or a fallback. */
export function typeArgument(sample: string, re: RegExp, fallback: string): string {
  return re.exec(sample)?.[1] ?? fallback;
}
