/**
 * `npm run fuzz [-- --runs N] [--seed S]`: the fuzz properties (test/fuzz/)
 * over N generated inputs (100,000 by default), progress on stderr, a summary
 * and every distinct violation on stdout. Exits 1 when any property failed.
 */
import { HANG_MS, runFuzz } from '../test/fuzz/run';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

(async () => {
  const runs = arg('--runs', 100_000);
  const seed = arg('--seed', 20260101);
  const started = Date.now();
  let shown = 0;
  const report = await runFuzz({
    runs,
    seed,
    hangMs: HANG_MS,
    onProgress: (done, r) => {
      process.stderr.write(`fuzz: ${done}/${runs} inputs, ${r.violations.length} distinct violations, ${Math.round((Date.now() - started) / 1000)} s\n`);
      // New violations as they are found, so a long run is useful before it ends.
      for (const v of r.violations.slice(shown)) process.stderr.write(`fuzz: new [${v.property}] (${v.kind}${v.seed ? `, ${v.seed}` : ''}): ${v.detail.slice(0, 300)}\n  input: ${JSON.stringify(v.sample ?? '').slice(0, 300)}\n`);
      shown = r.violations.length;
    },
  });
  console.log(`fuzz: ${report.runs} inputs (seed ${seed}) in ${Math.round((Date.now() - started) / 1000)} s: ${JSON.stringify(report.byKind)}`);
  console.log(`slowest input: ${Math.round(report.slowest.ms)} ms (${report.slowest.kind}${report.slowest.seed ? `, ${report.slowest.seed}` : ''})`);
  console.log(`${report.violations.length} distinct violations`);
  for (const v of report.violations) console.log(`- [${v.property}] x${v.count} (${v.kind}${v.seed ? `, ${v.seed}` : ''}): ${v.detail}\n  input: ${JSON.stringify(v.sample ?? '')}`);
  process.exitCode = report.violations.length ? 1 : 0;
})();
