/**
 * Problems of a whole run rather than of one file, decided from the analyses' results (so results
 * taken from a cache count too): a package that runs queries without a schema source, and a report
 * in which most calls that look like queries were not recognised. The CLI adds them once per run.
 */
import { schemaReaders } from './adapters';
import type { AnalysisResult, Problem, Range } from './types';
import type { Rule } from '../rules/define-rule';

/** The missing-schema problem's text: where the schema was looked for, what stays silent, how to point at one. */
export function missingSchemaMessage(ownPackage: string, rules: readonly Rule[]): string {
  const where = ownPackage ? `package ${ownPackage}` : 'this project';
  const silent = rules.filter((r) => r.meta.needsSchema === 'all').map((r) => r.id);
  const partly = rules.filter((r) => r.meta.needsSchema && r.meta.needsSchema !== 'all').map((r) => `${r.id} (${r.meta.needsSchema})`);
  const effect = [silent.length ? `${silent.join(', ')} ${silent.length === 1 ? 'stays' : 'stay'} silent` : '', partly.length ? `${partly.join(', ')} ${partly.length === 1 ? 'is' : 'are'} not checked` : '']
    .filter(Boolean)
    .join('; ');
  return (
    `no database schema found for ${where}: queries run here, but no migrations, schema dump, ORM schema file or TypeScript schema (${[...new Set(schemaReaders.map((r) => r.library))].join(', ')}) was found${effect ? `, so ${effect}` : ''}. ` +
    'Point querylens at the schema with "schema": { "sources": ["path/to/migrations/**/*.sql"] } in querylens.config.json (run querylens schema to see what it reads)'
  );
}

/**
 * One `schema` problem per package whose files run queries without a schema source (the message names
 * the package), at the first such file: from the analyses' results, so cached results count too.
 */
export function missingSchemaProblems(results: Iterable<[string, AnalysisResult]>): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const [file, r] of results) {
    if (!r.missingSchema || seen.has(r.missingSchema)) continue;
    seen.add(r.missingSchema);
    out.push({ kind: 'schema', file, message: r.missingSchema });
  }
  return out;
}

/** Fewer unresolved look-alike calls than this never make the unresolved-queries problem (a stray `findMany` on a non-database object). */
export const UNRESOLVED_QUERIES_MIN = 5;

/**
 * One `unresolved-queries` problem when most calls that look like queries were not recognised (more
 * unresolved candidates than query sites, and at least UNRESOLVED_QUERIES_MIN of them): "no findings" then
 * says little, so the report says how many were missed and points at `querylens queries`. Decided from the
 * same counts that command lists (AnalysisResult.reach), at the file with the most unresolved calls.
 */
export function unresolvedQueriesProblems(results: Iterable<[string, AnalysisResult]>): Problem[] {
  let sites = 0;
  let unresolved = 0;
  let worst: { file: string; n: number; range?: Range } | undefined;
  for (const [file, r] of results) {
    if (!r.reach) continue;
    sites += r.reach.sites;
    unresolved += r.reach.unresolved;
    if (r.reach.unresolved && (!worst || r.reach.unresolved > worst.n)) worst = { file, n: r.reach.unresolved, range: r.reach.firstUnresolved };
  }
  if (!worst || unresolved < UNRESOLVED_QUERIES_MIN || unresolved <= sites) return [];
  const total = sites + unresolved;
  return [
    {
      kind: 'unresolved-queries',
      file: worst.file,
      ...(worst.range ? { range: worst.range } : {}),
      message:
        `${unresolved} of ${total} calls that look like queries were not recognised (${worst.n} in this file), so the rules did not check them ` +
        `and the findings cover only the ${sites} query site${sites === 1 ? '' : 's'} that were: run \`querylens queries\` to see each unrecognised call and why ` +
        '(often a client handed out by a wrapper querylens does not follow)',
    },
  ];
}
