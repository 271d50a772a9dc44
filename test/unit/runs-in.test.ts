/**
 * Where code runs (engine/background.ts, engine/one-off.ts) and what it does to the ranking
 * (engine/model/impact.ts): request paths first, then scheduled jobs, then one-off code.
 */
import assert from 'node:assert/strict';
import { backgroundReason, routeMatches, routeSegments } from '../../engine/background';
import { compareImpact, impactOrder } from '../../engine/model/impact';
import type { Estimate, Finding } from '../../engine/types';

const VERCEL = JSON.stringify({ crons: [{ path: '/api/house-keeping/remove-deleted-users', schedule: '0 7 * * *' }] });
const files: Record<string, string> = { 'apps/web/vercel.json': VERCEL };
const text = (p: string): string | undefined => files[p];

describe('background code', () => {
  it('a route a vercel.json cron calls is background; dynamic and catch-all segments match', () => {
    assert.match(backgroundReason('apps/web/src/app/api/house-keeping/[...method]/route.ts', text) ?? '', /apps\/web\/vercel\.json schedules \(crons: \/api\/house-keeping\/remove-deleted-users\)/);
    assert.match(backgroundReason('apps/web/app/api/house-keeping/remove-deleted-users/route.ts', text) ?? '', /vercel\.json/);
    assert.ok(backgroundReason('apps/web/src/pages/api/house-keeping/[task].ts', text));
    assert.ok(backgroundReason('src/cron/nightly.ts', () => undefined));
  });

  it('look-alikes stay request paths: an unscheduled route, a route group, a jobs/ folder (a feature name), no vercel.json', () => {
    assert.equal(backgroundReason('apps/web/src/app/api/users/[id]/route.ts', text), undefined);
    assert.equal(backgroundReason('apps/web/src/app/api/house-keeping/route.ts', text), undefined);
    assert.equal(backgroundReason('apps/web/src/features/house-keeping/mutations.ts', text), undefined);
    assert.equal(backgroundReason('src/jobs/list.ts', () => undefined), undefined);
    assert.equal(backgroundReason('other/app/api/house-keeping/[...m]/route.ts', text), undefined);
  });

  it('a worker package (by its package.json name) is background; a Cloudflare Worker (wrangler config) and an app package are not', () => {
    const ws: Record<string, string> = {
      'apps/worker/package.json': JSON.stringify({ name: '@linkwarden/worker' }),
      'apps/edge-worker/package.json': JSON.stringify({ name: 'edge-worker' }),
      'apps/edge-worker/wrangler.toml': 'name = "edge"\n',
      'apps/web/package.json': JSON.stringify({ name: '@linkwarden/web' }),
    };
    const t = (p: string): string | undefined => ws[p];
    assert.match(backgroundReason('apps/worker/workers/linkProcessing.ts', t) ?? '', /package @linkwarden\/worker, a worker process/);
    assert.equal(backgroundReason('apps/edge-worker/src/index.ts', t), undefined);
    assert.equal(backgroundReason('apps/web/lib/api/links.ts', t), undefined);
  });

  it('route segments leave out route groups and parallel slots', () => {
    assert.deepEqual(routeSegments('src/app/(admin)/api/x/route.ts'), ['api', 'x']);
    assert.equal(routeSegments('src/app/api/x/page.tsx'), undefined);
    assert.ok(routeMatches(['api', '[[...all]]'], '/api'));
    assert.ok(!routeMatches(['api', '[...all]'], '/api'));
  });
});

describe('ranking by where the code runs', () => {
  const est = (ms: number): Estimate => ({ currentMs: ms, fixedMs: 0, summary: '', assumptions: [] });
  const f = (ms: number, runsIn?: Finding['runsIn']): Pick<Finding, 'estimate' | 'measured' | 'runsIn'> => ({ estimate: est(ms), runsIn });

  it('a request path outranks a costlier scheduled job, which outranks a costlier one-off script', () => {
    const request = f(10);
    const cron = f(500, { kind: 'background', reason: 'a cron/ folder' });
    const script = f(5000, { kind: 'one-off', reason: 'a scripts/ folder' });
    const sorted = [script, cron, request].sort(compareImpact);
    assert.deepEqual(sorted, [request, cron, script]);
  });

  it('findings worth fixing (saving ≥ minSavingMs) come first, wherever they run: a 60 ms script N+1 before a 0.01 ms over-fetch on a request', () => {
    const trivia = f(0.01);
    const script = f(60, { kind: 'one-off', reason: 'a scripts/ folder' });
    assert.deepEqual([trivia, script].sort(compareImpact), [script, trivia]);
    assert.deepEqual([script, trivia].sort(impactOrder(100)), [trivia, script], 'under a 100 ms threshold neither is worth it: the request path first');
  });

  it('within a tier, the larger saving first', () => {
    const a = f(10);
    const b = f(30);
    assert.deepEqual([a, b].sort(compareImpact), [b, a]);
  });
});
