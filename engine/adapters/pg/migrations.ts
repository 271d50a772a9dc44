/**
 * node-pg-migrate (the migration tool of node-postgres projects): `<timestamp>_<name>.{js,ts}` exporting
 * `up(pgm)`/`down(pgm)`, applied in name order, each in a transaction unless it calls `pgm.noTransaction()`
 * (node-pg-migrate docs, "Transaction"): the index is built CONCURRENTLY with that opt-out.
 */
import { jsString } from '../../migrations/naming';
import type { IndexPlan } from '../../migrations/types';
import { nextLeadingNumber, scriptTool } from '../kit/migrations';

function tableArg(plan: IndexPlan): string {
  const t = plan.table;
  return t.schema && t.schema !== 'public' ? `{ schema: ${jsString(t.schema)}, name: ${jsString(t.name)} }` : jsString(t.name);
}

export const nodePgMigrate = scriptTool({
  id: 'node-pg-migrate',
  displayName: 'node-pg-migrate',
  evidence: 'migrations exporting up(pgm)',
  name: /^\d{10,}[_-].+/,
  content: /\bpgm\s*\.|node-pg-migrate|MigrationBuilder/,
  fileName: (names, slug, now) => {
    const prefix = nextLeadingNumber(names, now);
    return prefix ? { prefix, base: `${prefix}_${slug}` } : undefined;
  },
  render: (plan, file) => {
    if (plan.kind !== 'plain') return undefined;
    const cols = plan.columns.length === 1 ? jsString(plan.columns[0]) : `[${plan.columns.map(jsString).join(', ')}]`;
    const up = `pgm.createIndex(${tableArg(plan)}, ${cols}, { name: ${jsString(plan.name)}, concurrently: true, ifNotExists: true });`;
    const down = `pgm.dropIndex(${tableArg(plan)}, ${cols}, { name: ${jsString(plan.name)}, concurrently: true, ifExists: true });`;
    const note = '  // CREATE INDEX CONCURRENTLY cannot run inside a transaction.\n  pgm.noTransaction();\n';
    const text =
      file.style === 'cjs'
        ? `exports.up = (pgm) => {\n${note}  ${up}\n};\n\nexports.down = (pgm) => {\n${note}  ${down}\n};\n`
        : file.ts
          ? `import type { MigrationBuilder } from 'node-pg-migrate';\n\nexport async function up(pgm: MigrationBuilder): Promise<void> {\n${note}  ${up}\n}\n\nexport async function down(pgm: MigrationBuilder): Promise<void> {\n${note}  ${down}\n}\n`
          : `export const up = (pgm) => {\n${note}  ${up}\n};\n\nexport const down = (pgm) => {\n${note}  ${down}\n};\n`;
    return { text, concurrently: true, how: 'pgm.noTransaction()' };
  },
});
