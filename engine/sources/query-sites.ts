/**
 * Contracts between the TypeScript source layers:
 *
 *   provenance.ts  what an expression refers to (a client, a sql tag, a
 *                  repository of entity User ...), from imports, constructors,
 *                  declared types, constructor injection and re-exports from
 *                  local modules — never from variable names.
 *   ts-sql.ts      SQL string/template literals reaching raw-SQL calls → SqlSite.
 *   orm.ts         library calls → QuerySite (what runs a query, which table,
 *                  which columns, whether it batches).
 *
 * What each library's API does lives in its adapter (engine/adapters/<library>/);
 * these modules ask the registry. Rules read QuerySites; they never look at
 * import declarations themselves.
 */
import type * as ts from 'typescript';
import type { Library } from '../adapters';
import type { Range } from '../types';
import type { SqlSite } from './types';

export type { Library } from '../adapters';

/** What a value is, as far as database access goes. */
export interface Binding {
  library: Library;
  /**
   * Reached through a class field TypeScript types `any` (declared bare or `: any`, set by a method): the
   * rows it returns are `any`, so a rewrite that leans on their inferred type (a Map of rows) cannot be offered.
   */
  untyped?: true;
  /**
   * client:        an object that runs queries (pg Client/Pool/PoolClient, PrismaClient,
   *                Kysely/Drizzle db, Knex instance, Sequelize instance, TypeORM DataSource)
   * sql-tag:       a tagged-template function that builds/runs SQL (postgres.js `sql`, slonik/drizzle/kysely `sql`)
   * repository:    TypeORM Repository / EntityManager, Sequelize model class, Prisma model delegate (`prisma.user`)
   * query-builder: a builder that executes later (Knex builder, TypeORM QueryBuilder, Kysely/Drizzle chains)
   * table:         a Drizzle table object (`pgTable('users', …)`)
   * operator:      a batching helper (`In`, `inArray`, `Op`)
   * row:           one row object of a model (Sequelize model instance, TypeORM Active Record entity: `row.save()`,
   *                `row.destroy()` each run a statement);
   *                a collection of them (a `findAll` result) binds the same, its elements being rows
   */
  role: 'client' | 'sql-tag' | 'repository' | 'query-builder' | 'table' | 'operator' | 'row';
  /** For repositories/models/tables: the entity, model or table name as written in code. */
  entity?: string;
  /** Where the binding was established (import, constructor, parameter), for related ranges. */
  origin?: { file: string; range: Range };
  /** For query builders whose head call is behind the binding (`db.insertInto(t)` held as a builder): it writes. */
  writes?: boolean;  /** A model class standing for its own repository (a Sequelize model, a TypeORM Active Record entity): its reads give rows. */
  model?: true;
}

export interface ColumnUse {
  column: string;
  range?: Range;
  /** How the column is compared: 'eq', 'in', 'range', 'like-prefix', 'like-contains', 'func' ... */
  op?: string;
  /** For 'in': the source text of the list (`ids`, `[user.id]`, `chunk.map((c) => c.id)`). */
  value?: string;
  /** Compared case-insensitively (Prisma `mode: 'insensitive'` sends ILIKE): a B-tree on the column serves no such comparison. */
  caseInsensitive?: true;
  /** Written inside an OR (Prisma `OR: […]`, TypeORM `where: [{…}, {…}]`): not a conjunct of the filter. */
  or?: OrBranch;
  /**
   * A path into the JSON column `column` that the library compares (Prisma `key: { path: ['id'], equals: x }`, which
   * PostgreSQL receives as `"key" #> '{id}' = $1`): only an index on that expression serves it.
   */
  jsonPath?: string[];
}

/**
 * Which OR a filter sits in (the outermost one): `group` is where that OR is written (its offset), `branch` which of
 * its `of` branches; `nested` when a second OR (or a NOT) lies between that branch and the filter, so the filter is
 * not one of the branch's own conjuncts.
 */
export interface OrBranch {
  group: number;
  branch: number;
  of: number;
  nested?: true;
}

/** One call that runs (or builds) a query. */
export interface QuerySite {
  file: string;
  /** The expression that executes the query (the awaited call). */
  range: Range;
  library: Library;
  /** Method or tag as written: 'findMany', 'query', 'getMany', 'sql' ... */
  operation: string;
  /** Whether this call sends a statement to the database (vs only building one). */
  executes: boolean;
  kind: 'read' | 'write' | 'unknown';
  /** Table as PostgreSQL knows it (after @@map/@Entity/tableName), when known. */
  table?: string;
  /** Entity/model name as written in code, when different from the table. */
  entity?: string;
  /** Columns selected; '*' when the call selects every column (no select/attributes/columns). */
  selects?: string[] | '*';
  filters: ColumnUse[];
  /**
   * The filter has a term the adapter could not read (a condition held in a variable, spread from an array,
   * a raw SQL fragment, a callback): it may be the access path, so no rule judges the filter as a whole.
   */
  opaqueFilter?: boolean;
  /**
   * The adapter read the whole filter as one conjunction (no OR, nothing opaque): every filter holds for each
   * row returned. Set only where the adapter can tell; an equality on every column of a unique key then keeps
   * at most one row (engine/model/loop-size.ts).
   */
  conjunctive?: true;
  orderBy: ColumnUse[];
  /** LIMIT / take / first, when a literal. */
  limit?: number;
  /**
   * Where a limit that is not a literal is written (`take: limit`, `.limit(BATCH)`): the loop-count model
   * (engine/model/loop-size.ts) evaluates it — a constant, a parameter's default, a caller's argument.
   */
  limitAt?: Range;
  /**
   * The filter is there but hidden from the adapter (`where: buildWhere(id)`, a variable, a spread): which
   * columns it constrains is unknown, so no rule may treat the query as unfiltered.
   */
  filterHidden?: boolean;
  /** The receiver is typed `any` in the code (Binding.untyped): no rewrite that needs its row type. */
  untypedReceiver?: true;
  /** Takes a whole collection at once (`in`, `IN`, `ANY($1)`, `whereIn`, `In()`, `inArray`, `Op.in`, createMany ...). */
  batched: boolean;
  /**
   * Source texts of the lists that make it batched (the `in` list, the rows of a multi-row write, the
   * array bound to `= ANY($1)`): a query in a loop batches that loop only when one of them carries the
   * loop's collection.
   */
  batchOperands?: string[];
  /** A call the library's own loader batches when issued in the same tick (Prisma `findUnique`). */
  batchesSameTick?: boolean;
  /** The raw SQL behind a raw-SQL call, when there is one. */
  sql?: SqlSite;
}

/** Where a binding was established. */
export type Origin = { file: string; range: Range };

/** What an expression evaluates to, as far as provenance goes. */
export type Value =
  /** A package export or a member path of one: `Pool`, `sql`, `Prisma.sql`, `*` for a namespace import. */
  | { kind: 'pkg'; library: Library; name: string; origin?: Origin }
  /** A runtime object of a known role. */
  | { kind: 'instance'; binding: Binding }
  /** A handle whose `.execute(cb)` hands a client to `cb` (a transaction not yet started). */
  | { kind: 'pending-tx'; library: Library; origin?: Origin }
  | { kind: 'class'; file: string; node: ts.ClassLikeDeclaration }
  /** An object of a project class that is not itself a client: its members may hold one (`app.dataSource`). */
  | { kind: 'class-instance'; file: string; node: ts.ClassLikeDeclaration }
  | { kind: 'function'; file: string; node: ts.SignatureDeclaration }
  | { kind: 'object'; file: string; node: ts.ObjectLiteralExpression }
  /** A namespace import of a local module (`import * as db from './db'`). */
  | { kind: 'module'; file: string };

/** One link of a member/call chain: `.name` or `.name(args)` or a direct call `(args)`. */
export interface ChainStep {
  name: string;
  /** The call node when this step is a call. */
  call?: ts.CallExpression;
  /** The expression up to and including this step. */
  node: ts.Expression;
}

export interface Chain {
  root: ts.Expression;
  steps: ChainStep[];
}

/** A QuerySite as an adapter interprets it, before its table is resolved and its range taken from `node`. */
export type SiteDraft = Pick<QuerySite, 'library' | 'operation' | 'executes' | 'kind' | 'entity' | 'selects' | 'filters' | 'opaqueFilter' | 'conjunctive' | 'orderBy' | 'limit' | 'limitAt' | 'filterHidden' | 'batched' | 'batchesSameTick' | 'batchOperands'> & {
  /** Table named by a string in code (a builder's table argument). */
  tableName?: string;
  node: ts.Expression;
};
