/**
 * The registry of data-library adapters: the only list of libraries querylens knows.
 *
 * Adding a library = one module under engine/adapters/<library>/ exporting its adapter, one line here,
 * and fixtures. `Library` is derived from this object, and `registry()` checks that each entry is a
 * complete adapter whose `id` is its key: a library without an adapter, an adapter missing a hook or an
 * id that disagrees with its key does not compile.
 */
import type { Binding, Value } from '../sources/query-sites';
import { drizzle } from './drizzle';
import { knex } from './knex';
import { kysely } from './kysely';
import { pg } from './pg';
import { postgres } from './postgres';
import { prisma } from './prisma';
import { sequelize } from './sequelize';
import { slonik } from './slonik';
import { typeorm } from './typeorm';
import type { Adapter } from './types';
import type { SchemaReader } from '../schema/events';

export type { Adapter } from './types';

/** Checks every entry against the contract, with its key as its id. */
export function registry<T extends { [K in keyof T]: Adapter<K & string> }>(r: T): T {
  return r;
}

// The order is the order in which entity declarations are searched (orm.ts).
export const adapters = registry({ pg, postgres, slonik, prisma, typeorm, sequelize, knex, drizzle, kysely });

/** A data library querylens knows: a key of the registry. */
export type Library = keyof typeof adapters;

/** Every adapter, in registry order. */
export const allAdapters: readonly Adapter<Library>[] = Object.values(adapters);

/** The TypeScript schema readers of every adapter (engine/adapters/<library>/schema.ts), in registry order. */
export const schemaReaders: readonly SchemaReader[] = allAdapters.flatMap((a) => a.schema.tsReaders);

export function adapterOf(library: Library): Adapter<Library> {
  return adapters[library];
}

/** The library raw SQL of an unresolved client is treated as (the plain driver: its batching advice and forms). */
export const UNKNOWN_SQL_CLIENT_LIBRARY: Library = 'pg';

/** The library a module specifier belongs to, for package imports. */
export function libraryOfModule(spec: string): Library | undefined {
  for (const a of allAdapters) if (a.modules.owns(spec)) return a.id;
  return undefined;
}

/** The library whose generated client a project-path import is (`../generated/prisma`), if any. */
export function libraryOfGeneratedImport(spec: string, imported: string): Library | undefined {
  for (const a of allAdapters) if (a.modules.generatedImport(spec, imported)) return a.id;
  return undefined;
}

/** Whether some adapter may read an import from this project path as its generated client (`generatedImport` for some name). */
export function mayBeGeneratedImport(spec: string): boolean {
  return allAdapters.some((a) => a.modules.mayBeGenerated(spec));
}

/** Method names that alone say a receiver is a library's client (`$queryRaw`): `clientByMethodName`'s keys. */
export const CLIENT_METHOD_NAMES: readonly string[] = allAdapters.flatMap((a) => a.sql.clientMethods);

const byClientMethod = new Map<string, Library>();
for (const a of allAdapters) for (const m of a.sql.clientMethods) byClientMethod.set(m, a.id);

/** A client known by a method name that only one library has (`$queryRaw`). */
export function clientByMethodName(method: string): Binding | undefined {
  const library = byClientMethod.get(method);
  return library ? { library, role: 'client' } : undefined;
}

/** Every method name that may run SQL given as its first argument, for any library. */
export const SQL_SINK_METHODS: ReadonlySet<string> = new Set(allAdapters.flatMap((a) => a.sql.sinkMethods));

/** Calls that run the queries (promises) handed to them: the Promise combinators and the libraries' batch runners. */
export const BATCH_RUNNER_METHODS: ReadonlySet<string> = new Set(['all', 'allSettled', 'race', 'any', ...allAdapters.flatMap((a) => a.orm.batchRunners)]);

/** Methods that run a sql-tag template handed to them, whatever their receiver. */
export const TEMPLATE_RUNNER_METHODS: ReadonlySet<string> = new Set(allAdapters.flatMap((a) => a.sql.templateRunners));

/** Property names of instances that hold named members (`.models.User`). */
export const REGISTRY_PROPERTIES: ReadonlySet<string> = new Set(allAdapters.flatMap((a) => a.provenance.registries));

/** The client a callback receives from a method of `recv` (`$transaction(async (tx) => …)`). */
export function callbackClient(recv: Value, method: string): Value | undefined {
  if (recv.kind === 'pending-tx') return adapters[recv.library].provenance.callbackClient(recv, method);
  if (recv.kind !== 'instance') return undefined;
  return adapters[recv.binding.library].provenance.callbackClient(recv, method);
}

/** Schema globs, folders and file extensions of every library. */
export const LIBRARY_SCHEMA_GLOBS: readonly string[] = allAdapters.flatMap((a) => a.schema.globs);
export const LIBRARY_SCHEMA_FOLDERS: readonly string[] = allAdapters.flatMap((a) => a.schema.schemaFolders);
export const LIBRARY_MIGRATION_FOLDERS: readonly string[] = allAdapters.flatMap((a) => a.schema.migrationFolders);
export const LIBRARY_SCHEMA_EXTENSIONS: readonly string[] = allAdapters.flatMap((a) => a.schema.fileExtensions);

/** The library whose own schema file or config `path` is, and which kind. */
export function librarySchemaFile(path: string): { library: Library; kind: 'model' | 'config' } | undefined {
  for (const a of allAdapters) {
    const kind = a.schema.fileKind(path);
    if (kind) return { library: a.id, kind };
  }
  return undefined;
}
