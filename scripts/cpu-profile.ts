/**
 * A V8 CPU profile (`node --cpu-prof`) summarised: time by stage (inclusive
 * time of the functions that mark one: parsing, provenance, SQL and ORM site
 * extraction, the rules, …), then the functions and files with the most self
 * time. Used by `npm run bench -- … --profile`; alone:
 *   npx tsx scripts/cpu-profile.ts FILE.cpuprofile
 */
import * as fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Functions whose inclusive time is a stage of a lint (bundle functions keep their source names). */
const STAGES: [string, string][] = [
  ['runLint', 'the whole lint (after module loading)'],
  ['createSourceFile', 'TypeScript parsing'],
  ['fileProvenance', 'provenance (building per-file indexes)'],
  ['valueOf', 'provenance (resolving values across files)'],
  ['tsSqlSites', 'raw SQL extraction'],
  ['fileQuerySites', 'query sites (ORM and SQL)'],
  ['fileUsage', 'per-file usage summaries'],
  ['parseSql', 'SQL parsing (libpg-query)'],
  ['buildSchema', 'schema'],
  ['check', 'rules'],
  ['fileSummary', 'call-graph summaries'],
  ['queryOf', 'call-graph queries (N+1 through helpers)'],
  ['hoverMarkdown', 'hover text'],
  ['readSource', 'reading files'],
  ['(garbage collector)', 'garbage collection'],
];

export function summariseProfile(file: string, top = 15): string {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const perNode = new Map<number, number>();
  prof.samples.forEach((id, i) => perNode.set(id, (perNode.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const total = [...perNode.values()].reduce((a, b) => a + b, 0);
  const self = new Map<string, number>();
  const byFile = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const [id, us] of perNode) {
    const cf = nodes.get(id)!.callFrame;
    const where = cf.url.split('/').slice(-2).join('/');
    const key = `${cf.functionName || '(anonymous)'} ${where}:${cf.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + us);
    byFile.set(where || cf.functionName, (byFile.get(where || cf.functionName) ?? 0) + us);
    const seen = new Set<string>();
    for (let p: number | undefined = id; p !== undefined; p = parent.get(p)) {
      const name = nodes.get(p)!.callFrame.functionName || '(anonymous)';
      if (seen.has(name)) continue;
      seen.add(name);
      incl.set(name, (incl.get(name) ?? 0) + us);
    }
  }
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %`;
  const lines = [`  ${(total / 1000).toFixed(0)} ms sampled; by stage (inclusive, stages overlap):`];
  for (const [fn, what] of STAGES) if (incl.get(fn)) lines.push(`  ${ms(incl.get(fn)!)}  ${what} (${fn})`);
  lines.push('  functions with the most self time:');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${ms(v)}  ${k}`);
  lines.push('  files with the most self time:');
  for (const [k, v] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 8)) lines.push(`  ${ms(v)}  ${k}`);
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: npx tsx scripts/cpu-profile.ts FILE.cpuprofile');
    process.exit(2);
  }
  console.log(summariseProfile(file));
}
