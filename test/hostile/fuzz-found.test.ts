/**
 * Defects `npm run fuzz` found, each kept as a regression test with the
 * smallest input that shows it.
 */
import * as assert from 'node:assert/strict';
import { lazyReader, readSource } from '../../cli/files';
import { ConfigError, Project, defaultConfig, initParser, parseConfig, ruleIds } from '../../engine';
import { sourcesMatcher } from '../../engine/schema';
import { cleanTemps, tempProject } from './helpers';

describe('hostile input: defects found by the fuzz suite', () => {
  before(() => initParser());
  after(cleanTemps);

  it('an empty glob in schema.sources is a config error naming it, not a picomatch exception during analysis', () => {
    assert.throws(() => parseConfig({ schema: { sources: ['db/*.sql', ''] } }, ruleIds()), (e: unknown) => e instanceof ConfigError && e.key === 'schema.sources[1]');
    assert.throws(() => parseConfig({ ignore: [' '] }, ruleIds()), (e: unknown) => e instanceof ConfigError && e.key === 'ignore[0]');
    assert.equal(sourcesMatcher([''])('db/a.sql'), false);
  });

  it('the parse error of an unterminated SQL template literal lies within the file', () => {
    const text = "import postgres from 'postgres';\nconst sql = postgres();\nexport const f = () => sql`SELECT p.* FROM products p WHERE";
    const p = new Project(defaultConfig());
    p.setFile('a.ts', text);
    const r = p.analyze('a.ts');
    for (const x of r.problems) if (x.range) assert.ok(x.range.start >= 0 && x.range.end <= text.length, JSON.stringify(x));
    assert.ok(r.problems.some((x) => x.kind === 'unparseable-sql' || x.kind === 'unparseable-file'), JSON.stringify(r.problems));
  });

  it('reading a file whose name is too long for the file system is a refusal, not an exception (the CLI and server hosts then agree)', () => {
    const d = tempProject({ 'a.ts': '' });
    const long = `src/user-${'$1'.repeat(300)}entity.ts`;
    assert.equal(lazyReader(d)(long), undefined);
    const r = readSource(`${d}/${long}`, d);
    assert.equal(r.ok, false);
  });
});
