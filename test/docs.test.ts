/**
 * Rule docs stay true: each committed page equals what scripts/gen-docs.ts
 * renders from the rule's meta, each `example` gives exactly one finding of
 * its rule, and each `useInstead` gives none.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultConfig, parseConfig } from '../engine/config';
import { Project } from '../engine/project';
import { initParser } from '../engine/sql/parser';
import { allRules, ruleIds } from '../rules';
import type { DocExample, Rule } from '../rules/define-rule';
import { DOCS_DIR, renderIndex, renderRuleDoc } from '../scripts/gen-docs';

function findingsOf(rule: Rule, ex: DocExample) {
  const config = ex.config ? parseConfig(ex.config, ruleIds()) : defaultConfig();
  const p = new Project(config);
  if (ex.schema) p.setFile('migrations/001_init.sql', ex.schema);
  const file = ex.language === 'ts' ? 'src/example.ts' : 'queries/example.sql';
  p.setFile(file, ex.code);
  return p.analyze(file, [rule.id]).findings.filter((f) => f.ruleId === rule.id);
}

describe('rule docs', () => {
  before(() => initParser());

  it('docs/rules/README.md lists every rule', () => {
    const p = path.join(DOCS_DIR, 'README.md');
    assert.equal(fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '', renderIndex(allRules), 'stale: run npx tsx scripts/gen-docs.ts');
  });

  for (const rule of allRules) {
    describe(rule.id, () => {
      it('has a current doc page', () => {
        const p = path.join(DOCS_DIR, `${rule.id}.md`);
        assert.ok(fs.existsSync(p), `missing ${p}: run npx tsx scripts/gen-docs.ts`);
        assert.equal(fs.readFileSync(p, 'utf8'), renderRuleDoc(rule), 'stale: run npx tsx scripts/gen-docs.ts');
      });
      it('example gives exactly one finding', () => {
        const f = findingsOf(rule, rule.meta.docs.example);
        assert.equal(f.length, 1, f.map((x) => x.message).join('\n') || 'no finding');
      });
      it('useInstead gives none', () => {
        const f = findingsOf(rule, rule.meta.docs.useInstead);
        assert.equal(f.length, 0, f.map((x) => x.message).join('\n'));
      });
      it('id is kebab-case and equals its file name', () => {
        assert.match(rule.id, /^[a-z]+(-[a-z]+)*$/);
        assert.ok(fs.existsSync(path.join(__dirname, '..', 'rules', `${rule.id}.ts`)));
      });
    });
  }
});
