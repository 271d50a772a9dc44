/**
 * Runs the fuzz properties over `runs` generated inputs (a fixed seed, so a
 * run is repeatable) and reports every violation by property, with the
 * input's seed file and a prefix of the mutated text. Shared by `npm run fuzz`
 * (scripts/fuzz.ts: 100,000 inputs) and `npm test` (test/fuzz/fuzz.test.ts:
 * a few hundred).
 */
import fc from 'fast-check';
import { initParser } from '../../engine';
import { type Seed, type Violation, Sandbox, configArb, configProperty, diskCase, engineCase, framingArb, framingCase, loadSeeds, mutate, mutationArb } from './harness';

/** One input taking longer than this is a hang (checked by `npm run fuzz`, a benchmark; never by `npm test`, where load decides timings). */
export const HANG_MS = 10_000;

export interface FuzzReport {
  runs: number;
  byKind: Record<string, number>;
  violations: { property: string; detail: string; kind: string; seed?: string; sample?: string; count: number }[];
  slowest: { ms: number; kind: string; seed?: string };
}

type Input =
  | { kind: 'engine'; seed: number; muts: Parameters<typeof mutate>[1]; config?: unknown }
  | { kind: 'disk'; seed: number; muts: Parameters<typeof mutate>[1] }
  | { kind: 'config'; config: unknown }
  | { kind: 'framing'; bytes: Uint8Array };

export function inputArb(seeds: number): fc.Arbitrary<Input> {
  const seed = fc.nat({ max: seeds - 1 });
  const muts = fc.array(mutationArb, { minLength: 1, maxLength: 6 });
  return fc.oneof(
    { weight: 80, arbitrary: fc.record({ kind: fc.constant('engine' as const), seed, muts, config: fc.option(configArb, { freq: 8, nil: undefined }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('disk' as const), seed, muts }) },
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('config' as const), config: configArb }) },
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('framing' as const), bytes: framingArb }) },
  );
}

export async function runFuzz(opts: { runs: number; seed: number; hangMs?: number; onProgress?: (done: number, r: FuzzReport) => void }): Promise<FuzzReport> {
  await initParser();
  const seeds: Seed[] = loadSeeds();
  const box = new Sandbox();
  const report: FuzzReport = { runs: 0, byKind: {}, violations: [], slowest: { ms: 0, kind: '' } };
  const seen = new Map<string, FuzzReport['violations'][number]>();
  const record = (kind: string, vs: Violation[], seed?: Seed, text?: string) => {
    for (const v of vs) {
      const key = `${v.property}\0${v.detail.replace(/\d+/g, 'N').slice(0, 120)}`;
      const hit = seen.get(key);
      if (hit) hit.count++;
      else {
        const entry = { ...v, kind, seed: seed?.path, sample: text?.slice(0, 300), count: 1 };
        seen.set(key, entry);
        report.violations.push(entry);
      }
    }
  };
  const batch = 500;
  try {
    for (let done = 0; done < opts.runs; done += batch) {
      const inputs = fc.sample(inputArb(seeds.length), { numRuns: Math.min(batch, opts.runs - done), seed: opts.seed + done });
      for (const input of inputs) {
        const started = performance.now();
        let seed: Seed | undefined;
        let text: string | undefined;
        try {
          if (input.kind === 'engine' || input.kind === 'disk') {
            seed = seeds[input.seed];
            text = mutate(seed.text, input.muts);
            if (input.kind === 'engine') {
              const cfg = input.config === undefined ? undefined : configProperty(input.config);
              record('engine', engineCase(seed, text, cfg), seed, text);
            } else record('disk', await diskCase(box, seed, text), seed, text);
          } else if (input.kind === 'config') {
            configProperty(input.config);
          } else record('framing', framingCase(input.bytes), undefined, Buffer.from(input.bytes).toString('latin1'));
        } catch (e) {
          record(input.kind, [{ property: 'no crash', detail: `${(e as Error)?.stack?.split('\n').slice(0, 3).join(' | ') ?? e}` }], seed, text ?? JSON.stringify((input as { config?: unknown }).config));
        }
        const ms = performance.now() - started;
        if (ms > report.slowest.ms) report.slowest = { ms, kind: input.kind, seed: seed?.path };
        if (opts.hangMs !== undefined && ms > opts.hangMs) record(input.kind, [{ property: `no input over ${opts.hangMs / 1000} s`, detail: `${Math.round(ms)} ms` }], seed, text);
        report.byKind[input.kind] = (report.byKind[input.kind] ?? 0) + 1;
        report.runs++;
      }
      opts.onProgress?.(report.runs, report);
    }
  } finally {
    box.dispose();
  }
  return report;
}
