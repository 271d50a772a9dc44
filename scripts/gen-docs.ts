/**
 * Writes docs/rules/<id>.md from each rule's typed `meta.docs`, in a fixed
 * order (ruff's generate_docs.rs does the same). test/docs.test.ts fails when
 * a committed page differs from what this prints.
 *
 *   npx tsx scripts/gen-docs.ts          write the pages
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Rule } from '../rules/define-rule';
import { allRules } from '../rules';

export const DOCS_DIR = path.join(__dirname, '..', 'docs', 'rules');

function fence(lang: string, code: string): string {
  return ['```' + lang, code.replace(/\s+$/, ''), '```'].join('\n');
}

export function renderRuleDoc(rule: Rule): string {
  const d = rule.meta.docs;
  const lang = (l: string) => (l === 'ts' ? 'ts' : 'sql');
  const out = [
    `# ${rule.id}`,
    '',
    `> ${rule.meta.summary}`,
    '',
    `Default severity: **${rule.meta.defaultSeverity}** · Fix: **${rule.meta.fix}** · Reads: ${rule.meta.languages.map((l) => (l === 'ts' ? 'TypeScript' : 'SQL')).join(', ')}`,
    '',
    '## What it does',
    '',
    d.what,
    '',
    '## Why is this bad?',
    '',
    d.why,
    '',
    '## Example',
    '',
  ];
  if (d.example.schema) out.push('Schema:', '', fence('sql', d.example.schema), '');
  out.push(fence(lang(d.example.language), d.example.code), '', '## Use instead', '', fence(lang(d.useInstead.language), d.useInstead.code), '');
  out.push('## Fix safety', '', d.fixSafety, '', '## Estimate', '', d.estimate, '');
  if (d.whenNotToUse) out.push('## When not to use it', '', d.whenNotToUse, '');
  out.push('## Options', '', `Severity: \`"rules": { "${rule.id}": "off" | "info" | "warning" | "error" }\` in \`querylens.config.json\`.`, '', `Suppress one line: \`// querylens-disable-next-line ${rule.id} -- reason\` (SQL: \`-- querylens-disable-next-line ${rule.id}\`).`, '');
  return out.join('\n');
}

export function renderIndex(rules: Rule[]): string {
  const rows = rules.map((r) => `| [\`${r.id}\`](${r.id}.md) | ${r.meta.summary} | ${r.meta.defaultSeverity} | ${r.meta.fix} |`);
  return ['# Rules', '', '| id | summary | default | fix |', '| --- | --- | --- | --- |', ...rows, ''].join('\n');
}

if (require.main === module) {
  fs.mkdirSync(DOCS_DIR, { recursive: true });
  for (const r of allRules) fs.writeFileSync(path.join(DOCS_DIR, `${r.id}.md`), renderRuleDoc(r));
  fs.writeFileSync(path.join(DOCS_DIR, 'README.md'), renderIndex(allRules));
  console.log(`wrote ${allRules.length} rule pages to docs/rules/`);
}
