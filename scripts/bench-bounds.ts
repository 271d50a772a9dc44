/**
 * How long querylens takes on pathological inputs (test/pathological.ts): the
 * timing band the tests used to assert, now reported (machine load decides
 * it; the tests check only what each input produces). Run by `npm run bench`
 * (unless --no-bounds) and alone:
 *   npx tsx scripts/bench-bounds.ts
 * Each line: the case, its wall time, and the band it is expected to stay in
 * on an idle machine (a line past its band is marked, never failed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultConfig } from '../engine/config';
import { Project } from '../engine/project';
import { tsSourceFile } from '../engine/sources/ts-ast';
import { tsSqlSites } from '../engine/sources/ts-sql';
import { initParser } from '../engine/sql/parser';
import { ensureBundles } from '../test/bundles';
import { bigDocument, bigHelperFile, deepConcatenation, fluentChain, helperCycle, builderChain } from '../test/pathological';
import { LspClient, tempWorkspace } from '../test/protocol/client';

function project(files: Record<string, string>): Project {
  const p = new Project(defaultConfig());
  for (const [k, v] of Object.entries(files)) p.setFile(k, v);
  return p;
}

async function time(name: string, bandMs: number, run: () => unknown | Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  const what = await run();
  const ms = performance.now() - t0;
  const line = `  ${`${Math.round(ms)} ms`.padStart(9)}  (band < ${bandMs / 1000} s${ms > bandMs ? ', OVER' : ''})  ${name}: ${String(what)}`;
  console.log(line);
}

const rawSites = (src: string) => tsSqlSites('src/main.ts', src, tsSourceFile('src/main.ts', src), project({ 'src/main.ts': src }));

async function main(): Promise<void> {
  await initParser();
  console.log('pathological inputs (wall time; reported, not asserted):');
  await time('raw SQL, a 40-link builder chain', 3000, () => `${rawSites(builderChain()).length} site`);
  await time('raw SQL, a 3,000-term concatenation + 2,000 helpers', 10000, () => `${rawSites(deepConcatenation()).length} sites`);
  await time('n-plus-one, a 60-link ts-pattern chain', 10000, () => `${project({ 'chain.ts': fluentChain() }).analyze('chain.ts', ['n-plus-one']).findings.length} finding`);
  await time('n-plus-one, a 300-helper cycle', 10000, () => `${project({ 'cycle.ts': helperCycle() }).analyze('cycle.ts', ['n-plus-one']).findings.length} findings`);
  await time('n-plus-one, a 1.5 MB helper file', 30000, () => `${project({ 'big.ts': bigHelperFile() }).analyze('big.ts', ['n-plus-one']).findings.length} finding`);

  ensureBundles();
  const root = tempWorkspace({ 'src/a.ts': "import { Pool } from 'pg';\nexport const pool = new Pool();\n" });
  const client = new LspClient({ root, initializationOptions: { debounceMs: 20 } });
  try {
    await client.initialize();
    for (const [mb, band] of [
      [5, 20000],
      [1, 10000],
    ] as const) {
      await time(`server, open a ${mb} MB document until its diagnostics`, band, async () => {
        const uri = await client.open(path.join(root, `src/big-${mb}.ts`), bigDocument(mb * 1024 * 1024));
        const ds = await client.diagnosticsFor(uri, { ms: 120000 });
        return ds.map((d) => d.code).join(', ');
      });
    }
  } finally {
    await client.shutdown();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
