/**
 * TypeORM migrations: classes `<Name><timestamp> implements MigrationInterface` in `<timestamp>-<Name>.ts`,
 * applied by the timestamp in the class name. The DataSource's `migrationsTransactionMode` decides the
 * transaction: 'all' (the default) wraps every pending migration in one, where a migration may not opt
 * out; 'each' lets a migration say `transaction = false`; 'none' uses none. CONCURRENTLY only then.
 */
import { createIndexSql, dropIndexSql, lockNote, pascal } from '../../migrations/naming';
import type { MigrationView } from '../../migrations/types';
import { nextLeadingNumber, scriptTool } from '../kit/migrations';

/** The project's `migrationsTransactionMode`, when a DataSource option in its files says it. */
function transactionMode(view: MigrationView): 'all' | 'each' | 'none' {
  for (const p of view.paths) {
    if (!/\.(ts|js|mts|cts|mjs|cjs|json)$/.test(p) || !/(data-?source|ormconfig|typeorm|database|db)[^/]*$/i.test(p)) continue;
    const m = /migrationsTransactionMode\s*:?\s*['"](all|each|none)['"]/.exec(view.text(p) ?? '');
    if (m) return m[1] as 'all' | 'each' | 'none';
  }
  return 'all';
}

const tick = (s: string): string => `\`${s.trim().replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${')}\``;

export const typeormMigrations = scriptTool({
  id: 'typeorm',
  displayName: 'TypeORM',
  evidence: 'classes implementing MigrationInterface',
  name: /^\d{13}-.+/,
  content: /\bimplements\s+MigrationInterface\b/,
  fileName: (names, slug, now) => {
    // TypeORM orders migrations by the epoch-millisecond timestamp ending the class name.
    const prefix = nextLeadingNumber(names, now, 'epoch-ms');
    return prefix ? { prefix, base: `${prefix}-${pascal(slug)}` } : undefined;
  },
  render: (plan, file, view) => {
    if (plan.kind === 'trgm') return undefined;
    const mode = transactionMode(view);
    const concurrently = mode !== 'all';
    const cls = `${pascal(`add_${plan.name}`)}${file.prefix}`;
    const up = createIndexSql(plan, { concurrently, ifNotExists: true });
    const down = dropIndexSql(plan, { concurrently });
    const note = concurrently
      ? mode === 'each'
        ? '  // CREATE INDEX CONCURRENTLY cannot run inside a transaction: this migration opts out (migrationsTransactionMode: "each").\n  public transaction = false;\n\n'
        : ''
      : `  // ${lockNote(plan, 'TypeORM runs all pending migrations in one transaction (migrationsTransactionMode "all"), where CONCURRENTLY fails')}\n`;
    const ts = file.ts;
    const head = ts ? `import { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${cls} implements MigrationInterface {\n  name = '${cls}';\n\n` : `module.exports = class ${cls} {\n  name = '${cls}';\n\n`;
    const qr = ts ? 'queryRunner: QueryRunner' : 'queryRunner';
    const ret = ts ? ': Promise<void>' : '';
    const text = `${head}${note}  public async up(${qr})${ret} {\n    await queryRunner.query(${tick(up)});\n  }\n\n  public async down(${qr})${ret} {\n    await queryRunner.query(${tick(down)});\n  }\n}\n`;
    return { text: ts ? text : text.replace(/public /g, ''), concurrently, how: concurrently ? `migrationsTransactionMode "${mode}"` : 'plain: TypeORM runs migrations in one transaction' };
  },
});
