/**
 * README.md's example outputs are what querylens prints today: every
 * `<!-- readme:NAME -->` block equals what scripts/readme.ts renders from a
 * real run (`npm run readme` rewrites them).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { FORMATS, helpText } from '../cli/args';
import { README, applyBlocks, renderBlocks } from '../scripts/readme';
import { ensureBundles } from './bundles';

describe('README.md', function () {
  this.timeout(120000);
  before(() => ensureBundles());

  it('every generated block is current (npm run readme rewrites them)', async () => {
    const current = fs.readFileSync(README, 'utf8');
    const blocks = await renderBlocks();
    assert.deepEqual(Object.keys(blocks).sort(), ['after-fix', 'config-errors', 'example', 'fix', 'hover', 'queries', 'severity']);
    const next = applyBlocks(current, blocks);
    if (next !== current) {
      const a = current.split('\n');
      const b = next.split('\n');
      const i = a.findIndex((l, k) => l !== b[k]);
      assert.fail(`README.md is stale from line ${i + 1} (run npm run readme):\n- ${a[i]}\n+ ${b[i]}`);
    }
  });

  it("keeps the first two commands: npm ci && npm run example, then npm test; the example's exit code is explained", () => {
    const text = fs.readFileSync(README, 'utf8');
    const first = /```sh\n([\s\S]*?)```/.exec(text)![1].split('\n');
    assert.match(first[0], /^npm ci && npm run example\b/);
    assert.match(first[1], /^npm test\b/);
    assert.match(text, /exited 1: findings at or above the failing severity[\s\S]*so npm run example exits 0/);
  });

  it("the lint synopsis names every option and format of querylens lint --help", () => {
    const text = fs.readFileSync(README, 'utf8');
    const synopsis = /```sh\n(npx querylens lint \[paths…\][\s\S]*?)```/.exec(text)?.[1];
    assert.ok(synopsis, 'README has the lint synopsis');
    const help = helpText('0.0.0');
    const lint = help.slice(help.indexOf('Lint options:'), help.indexOf('Project root:'));
    const options = [...lint.matchAll(/^ {2,}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]);
    assert.ok(options.length >= 15, `options read from --help: ${options.join(' ')}`);
    for (const o of options) assert.match(synopsis, new RegExp(`\\[${o}\\b|\\| ${o}\\b`), `the README synopsis lacks ${o}`);
    assert.match(synopsis, new RegExp(`--format ${FORMATS.join('\\|')}\\]`));
  });
});
