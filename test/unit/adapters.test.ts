/**
 * The adapter registry (engine/adapters/index.ts): every library has a complete adapter under its own
 * id. The type-level half is checked by `npm run typecheck` (`tsc -p tsconfig.json`, a CI suite): the
 * `@ts-expect-error` lines fail it when the registry stops rejecting them.
 */
import assert from 'node:assert/strict';
import { adapters, allAdapters, libraryOfModule, registry, type Library } from '../../engine/adapters';
import type { Adapter } from '../../engine/adapters/types';

// @ts-expect-error an adapter registered under another library's key does not compile
registry({ pg: adapters.postgres });

const { batchAdvice: _dropped, ...rulesWithoutAdvice } = adapters.pg.rules;
void _dropped;
// @ts-expect-error an adapter missing a hook does not compile
const incomplete: Adapter<'pg'> = { ...adapters.pg, rules: rulesWithoutAdvice };
void incomplete;

/** Property names of an object and of its section objects, sorted. */
function shape(a: object): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(a)) {
    out.push(k);
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const kk of Object.keys(v)) out.push(`${k}.${kk}`);
  }
  return out.sort();
}

describe('adapter registry', () => {
  it('every adapter sits under its own id', () => {
    for (const [key, a] of Object.entries(adapters)) assert.equal(a.id, key);
    assert.equal(allAdapters.length, Object.keys(adapters).length);
  });

  it('every adapter answers the same hooks (none is left out at run time either)', () => {
    const ref = shape(adapters.pg);
    for (const a of allAdapters) assert.deepEqual(shape(a), ref, a.id);
  });

  it('module specifiers map to their library and nothing else', () => {
    const cases: [string, Library | undefined][] = [
      ['pg', 'pg'],
      ['pg-pool', 'pg'],
      ['postgres', 'postgres'],
      ['@silverhand/slonik', 'slonik'],
      ['@prisma/client', 'prisma'],
      ['@nestjs/typeorm', 'typeorm'],
      ['sequelize-typescript', 'sequelize'],
      ['knex', 'knex'],
      ['drizzle-orm/pg-core', 'drizzle'],
      ['kysely', 'kysely'],
      ['pgx', undefined],
      ['./db', undefined],
    ];
    for (const [spec, lib] of cases) assert.equal(libraryOfModule(spec), lib, spec);
  });
});
