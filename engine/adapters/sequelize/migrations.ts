/**
 * Sequelize migrations (sequelize-cli, or Umzug with the Sequelize storage): `<YYYYMMDDHHMMSS>-<name>.js`
 * exporting `up(queryInterface, Sequelize)`/`down`, applied in name order. Neither wraps a migration in a
 * transaction of its own (a migration opens one explicitly when it wants it), so `addIndex` with
 * `concurrently: true` builds the index outside one. Umzug's `({ context: queryInterface })` form is kept.
 */
import { createIndexSql, dropIndexSql, jsString } from '../../migrations/naming';
import type { IndexPlan } from '../../migrations/types';
import { nextLeadingNumber, scriptTool } from '../kit/migrations';

function tableArg(plan: IndexPlan): string {
  const t = plan.table;
  return t.schema && t.schema !== 'public' ? `{ schema: ${jsString(t.schema)}, tableName: ${jsString(t.name)} }` : jsString(t.name);
}

export const sequelizeMigrations = scriptTool({
  id: 'sequelize',
  displayName: 'Sequelize',
  evidence: 'migrations exporting up(queryInterface)',
  name: /^\d{8,}[_-].+/,
  content: /\bqueryInterface\b/,
  fileName: (names, slug, now) => {
    const prefix = nextLeadingNumber(names, now);
    const sep = names.some((n) => /^\d+-/.test(n)) ? '-' : '_';
    return prefix ? { prefix, base: `${prefix}${sep}${slug.replace(/_/g, '-')}` } : undefined;
  },
  render: (plan, file) => {
    if (plan.kind === 'trgm' || (plan.kind === 'expression' && !plan.expression)) return undefined;
    const umzug = /\bcontext\s*:\s*queryInterface\b/.test(file.sample);
    const params = umzug ? '{ context: queryInterface }' : 'queryInterface';
    const typed = umzug && file.ts ? `${params}: { context: QueryInterface }` : file.ts ? `${params}: QueryInterface` : params;
    // addIndex takes columns; an expression index (a JSON path: `(recording_meta #>> '{id}')`) is written as SQL.
    const up =
      plan.kind === 'expression'
        ? `await queryInterface.sequelize.query(${jsString(createIndexSql(plan, { concurrently: true, ifNotExists: true }).trim())});`
        : `await queryInterface.addIndex(${tableArg(plan)}, [${plan.columns.map(jsString).join(', ')}], { name: ${jsString(plan.name)}, concurrently: true });`;
    const down =
      plan.kind === 'expression'
        ? `await queryInterface.sequelize.query(${jsString(dropIndexSql(plan, { concurrently: true }).trim())});`
        : `await queryInterface.removeIndex(${tableArg(plan)}, ${jsString(plan.name)}, { concurrently: true });`;
    const body = `async up(${typed}) {\n    ${up}\n  },\n\n  async down(${typed}) {\n    ${down}\n  },\n`;
    const text =
      file.style === 'cjs'
        ? `'use strict';\n\n// Sequelize runs a migration outside a transaction unless it opens one: the index is built CONCURRENTLY.\nmodule.exports = {\n  ${body}};\n`
        : `${file.ts ? "import type { QueryInterface } from 'sequelize';\n\n" : ''}// Sequelize runs a migration outside a transaction unless it opens one: the index is built CONCURRENTLY.\nexport const up = async (${typed}) => {\n  ${up}\n};\n\nexport const down = async (${typed}) => {\n  ${down}\n};\n`;
    return { text, concurrently: true, how: 'Sequelize runs migrations outside a transaction' };
  },
});
