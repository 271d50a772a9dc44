/**
 * The language server warms from `querylens lint --cache` (cli/cache.ts): the
 * first analysis of a file whose text and inputs are what the last cached lint
 * saw takes that lint's result instead of analysing (opening a file in a
 * large project then costs no parse of its helpers, and "Lint workspace" runs
 * at cache speed). Read only: the server never writes the cache.
 *
 * The cache is used only when it was written for this folder, by this build,
 * with this configuration, rule set and schema (its key is computed the same
 * way as the CLI's); inputs are checked against what this server sees now
 * (open buffers first, then the disk). An input the server cannot vouch for
 * (the list of every path on disk, whose walk differs from the CLI's) makes
 * that entry a miss: the file is analysed as usual. Input states are hashed
 * once and kept (a hash, not the text: the disk reader stays bounded) until
 * the project hears of a change to that file, as its analysis does.
 */
import * as fs from 'node:fs';
import { type AnalysisResult, PATHS_INPUT, type Project, REACH_INPUT, USAGE_INPUT, allRules } from '../engine';
import { type InputState, LintCache, cacheKey, defaultCacheFile, sha1 } from '../cli/cache';

export class WarmCache {
  private loaded?: { key: string; mtimeMs: number; cache: LintCache };
  /** Each input's state (its text's hash, null when absent) as last read; dropped when the project hears it changed. */
  private states = new Map<string, string | null>();
  /** The usage facts' state as the cache vouches for it (null: it cannot), until a file changes. */
  private usage?: string | null;

  /** `read`: a file's text as the project sees it now (open buffers first), without keeping disk texts. */
  constructor(
    private readonly root: string,
    private readonly project: Project,
    private readonly schemaSources: () => string[],
    private readonly read: (rel: string) => string | undefined,
  ) {}

  /** A file's text changed (edit, open or close with other text, change on disk); no path: the configuration. */
  changed(rel?: string): void {
    if (rel === undefined) this.states.clear();
    else this.states.delete(rel);
    this.usage = undefined;
  }

  private cache(): LintCache | undefined {
    const file = defaultCacheFile(this.root);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st) return undefined;
    const schema = this.schemaSources().filter((p) => this.read(p) !== undefined);
    const texts = new Map(schema.map((p) => [p, this.read(p)!]));
    const key = cacheKey(this.root, this.project.config, allRules, schema, texts);
    const keyText = JSON.stringify(key);
    if (this.loaded?.key !== keyText || this.loaded.mtimeMs !== st.mtimeMs) {
      this.loaded = { key: keyText, mtimeMs: st.mtimeMs, cache: LintCache.load(file, key, allRules.map((r) => r.id)) };
      this.usage = undefined;
    }
    return this.loaded.cache;
  }

  private readonly state: InputState = (input) => {
    // The CLI's prefilter verdict (a file reaching no data library) is not the server's to check: analysed anew.
    if (input === PATHS_INPUT || input === REACH_INPUT) return undefined;
    if (input === USAGE_INPUT) return this.usage ?? undefined;
    let st = this.states.get(input);
    if (st === undefined) {
      const t = this.read(input);
      st = t === undefined ? null : sha1(t);
      this.states.set(input, st);
    }
    return st;
  };

  /** The usage facts' state when every file's cached summary still holds over the same files. */
  private usageState(cache: LintCache): string | null {
    const files = this.project.usageFiles();
    const stored = cache.storedState(USAGE_INPUT);
    const listed = cache.usageFiles();
    const same = typeof stored === 'string' && files.length === listed.length && files.every((f, i) => f === listed[i]);
    return same && files.every((f) => cache.usage(f, this.state(f) ?? null, this.state)) ? (stored as string) : null;
  }

  /** The cached result of `rel` when its text and inputs are as the cache saw them. */
  result(rel: string): { result: AnalysisResult; inputs: string[] } | undefined {
    const text = this.read(rel);
    if (text === undefined) return undefined;
    let cache: LintCache | undefined;
    try {
      cache = this.cache();
    } catch {
      return undefined;
    }
    if (!cache) return undefined;
    if (this.usage === undefined && cache.dependsOnUsage()) this.usage = this.usageState(cache);
    return cache.result(rel, sha1(text), text, this.state);
  }
}
