/**
 * One query, one price: the bundled example's N+1 and the latency budget of
 * the handler it sits in quote the same numbers (issue 12: the budget said
 * ≈ 2063 ms while the N+1 hover said the whole call took ≈ 66 ms, because the
 * N+1's per-iteration cost left out the sequential scan each iteration does).
 * "Queries" in messages are executions.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Project } from '../../engine/project';
import { parseConfig } from '../../engine/config';
import { initParser } from '../../engine/sql/parser';
import { ruleIds } from '../../rules';
import type { Finding } from '../../engine/types';

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'feature-store');

function exampleProject(): Project {
  const config = parseConfig(JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'querylens.config.json'), 'utf8')), ruleIds());
  const p = new Project(config);
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (/\.(ts|sql)$/.test(e.name)) p.setFile(path.relative(EXAMPLE, abs).split(path.sep).join('/'), fs.readFileSync(abs, 'utf8'));
    }
  };
  walk(EXAMPLE);
  return p;
}

/** "≈ 2063 ms" → 2063; the number after `label`. */
function msAfter(text: string, label: string): number {
  const m = new RegExp(`${label}[^≈]*≈ ([\\d.]+) (ms|s)`).exec(text);
  assert.ok(m, `no "${label} ≈ …" in: ${text}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

describe('estimates agree across findings (bundled example)', function () {
  this.timeout(60000);
  let findings: Finding[] = [];

  before(async () => {
    await initParser();
    findings = exampleProject().analyze('src/routes/metadata.ts').findings;
  });

  it('the N+1 costs what the budget charges for it, scan included', () => {
    const n1 = findings.find((f) => f.ruleId === 'n-plus-one');
    const budget = findings.find((f) => f.ruleId === 'latency-budget');
    assert.ok(n1?.estimate && budget?.estimate, 'expected an N+1 and a budget finding in metadata.ts');
    const contributor = budget.related.find((r) => /model_versions × 100/.test(r.message));
    assert.ok(contributor, 'the budget names the looped model_versions query');
    const charged = msAfter(contributor.message, 'model_versions × 100');
    // Same number to the displayed precision (≈ 2062 ms): the scan of 400K rows in every iteration.
    assert.ok(Math.abs(n1.estimate.currentMs - charged) / charged < 0.01, `N+1 ${n1.estimate.currentMs} ms vs budget contributor ${charged} ms`);
    assert.ok(n1.estimate.currentMs > 1000, 'each iteration scans model_versions (no index on model_id)');
  });

  it("the N+1 hover's whole-call figure is the budget finding's sum", () => {
    const n1 = findings.find((f) => f.ruleId === 'n-plus-one')!;
    const budget = findings.find((f) => f.ruleId === 'latency-budget')!;
    const hoverTotal = msAfter(n1.hover ?? '', 'all queries of one call');
    assert.ok(Math.abs(hoverTotal - budget.estimate!.currentMs) / budget.estimate!.currentMs < 0.01, `hover ${hoverTotal} ms vs budget ${budget.estimate!.currentMs} ms`);
    assert.match(n1.hover ?? '', /\*\*over\*\*/);
  });

  it('counts queries as executions: 1 + 100 looped', () => {
    const budget = findings.find((f) => f.ruleId === 'latency-budget')!;
    assert.match(budget.message, /runs 101 queries from 2 statements in the code/);
    assert.equal(budget.estimate!.assumptions.find((a) => a.name === 'queries')?.value, 101);
  });
});
