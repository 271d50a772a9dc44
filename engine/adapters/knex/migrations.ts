/**
 * Knex migrations: `<YYYYMMDDHHMMSS>_<name>.{ts,js}` exporting `up(knex)`/`down(knex)`, applied in name
 * order. Knex runs each migration in a transaction unless the file exports `config = { transaction: false }`
 * (Knex docs, Migrations: "transaction: false"), so the index is built CONCURRENTLY with that opt-out.
 */
import { jsString } from '../../migrations/naming';
import { nextLeadingNumber, scriptTool } from '../kit/migrations';
import { qualifiedName } from '../kit/migration-text';

export const knexMigrations = scriptTool({
  id: 'knex',
  displayName: 'Knex',
  evidence: 'migrations exporting up(knex)',
  name: /^\d{8,}[_-].+/,
  content: /\b(exports\.up|export\s+(async\s+)?function\s+up|export\s+const\s+up)\b[\s\S]*\bknex\b|\bKnex\b/,
  fileName: (names, slug, now) => {
    const prefix = nextLeadingNumber(names, now);
    return prefix ? { prefix, base: `${prefix}_${slug}` } : undefined;
  },
  render: (plan, file) => {
    if (plan.kind !== 'plain') return undefined;
    const cols = plan.columns.map(() => '??').join(', ');
    const up = `knex.raw(${jsString(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ?? ON ?? (${cols})`)}, [${[plan.name, qualifiedName(plan.table), ...plan.columns].map(jsString).join(', ')}])`;
    const down = `knex.raw(${jsString('DROP INDEX CONCURRENTLY IF EXISTS ??')}, [${jsString(plan.table.schema && plan.table.schema !== 'public' ? `${plan.table.schema}.${plan.name}` : plan.name)}])`;
    const note = '// CREATE INDEX CONCURRENTLY cannot run inside a transaction: Knex runs this migration outside one.';
    const text =
      file.style === 'cjs'
        ? `${note}\nexports.config = { transaction: false };\n\nexports.up = async function (knex) {\n  await ${up};\n};\n\nexports.down = async function (knex) {\n  await ${down};\n};\n`
        : file.ts
          ? `import type { Knex } from 'knex';\n\n${note}\nexport const config = { transaction: false };\n\nexport async function up(knex: Knex): Promise<void> {\n  await ${up};\n}\n\nexport async function down(knex: Knex): Promise<void> {\n  await ${down};\n}\n`
          : `${note}\nexport const config = { transaction: false };\n\nexport async function up(knex) {\n  await ${up};\n}\n\nexport async function down(knex) {\n  await ${down};\n}\n`;
    return { text, concurrently: true, how: 'config.transaction = false' };
  },
});
