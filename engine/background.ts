/**
 * Background code: files whose queries run on a schedule, not while a user
 * waits. A finding there still costs database time, but a senior engineer
 * ranks it below the same cost on a request path; rankings (`--sort impact`,
 * the stylish top list) put request-path findings first, then background,
 * then one-off code (engine/one-off.ts).
 *
 * Only signals the project states are used, never a guess from a name that
 * could be a feature (`jobs/` may be a job board):
 * - a `cron/`, `crons/`, `cronjobs/` or `cron-jobs/` folder;
 * - a route that a `vercel.json` `crons` entry calls (`"path": "/api/house-keeping/remove-deleted-users"`
 *   → `app/api/house-keeping/[...method]/route.ts` or `pages/api/…` beside that vercel.json);
 * - a workspace package that is a worker process by its package.json name (`@linkwarden/worker`,
 *   `jobs`, `queue-workers`), unless a wrangler config makes it a Cloudflare Worker (which serves requests).
 * Pure: `text` reads a project file.
 */

const CRON_DIR = /(^|\/)(crons?|cron[-_]?jobs)\//i;

/** The vercel.json files that may schedule `path`: one in each folder from the project root down to the file's. */
export function vercelFilesFor(path: string): string[] {
  const out = ['vercel.json'];
  const parts = path.split('/').slice(0, -1);
  for (let i = 1; i <= parts.length; i++) out.push(`${parts.slice(0, i).join('/')}/vercel.json`);
  return out;
}

/** The `crons[].path` entries of a vercel.json text (unreadable JSON: none). */
export function vercelCronPaths(text: string): string[] {
  try {
    const crons = (JSON.parse(text) as { crons?: unknown }).crons;
    if (!Array.isArray(crons)) return [];
    return crons.map((c) => (c && typeof c === 'object' ? (c as { path?: unknown }).path : undefined)).filter((p): p is string => typeof p === 'string');
  } catch {
    return [];
  }
}

/** URL segments a Next.js route file serves, relative to the app's folder (the one holding vercel.json); undefined for other files. */
export function routeSegments(rel: string): string[] | undefined {
  const app = /^(?:src\/)?app\/(?:(.*)\/)?route\.[cm]?[jt]sx?$/.exec(rel);
  if (app) return (app[1] ?? '').split('/').filter((s) => s !== '' && !/^\(.*\)$/.test(s) && !s.startsWith('@'));
  const pages = /^(?:src\/)?pages\/(api\/.*?)(?:\/index)?\.[cm]?[jt]sx?$/.exec(rel);
  return pages ? pages[1].split('/') : undefined;
}

/** Whether route segments (`api`, `house-keeping`, `[...method]`) serve a URL path (`/api/house-keeping/x`). */
export function routeMatches(segments: string[], url: string): boolean {
  const parts = url.split(/[?#]/)[0].split('/').filter(Boolean);
  const match = (i: number, j: number): boolean => {
    if (i === segments.length) return j === parts.length;
    const s = segments[i];
    if (/^\[\[\.\.\..+\]\]$/.test(s)) return true;
    if (/^\[\.\.\..+\]$/.test(s)) return j < parts.length;
    if (j === parts.length) return false;
    if (/^\[.+\]$/.test(s)) return match(i + 1, j + 1);
    return s === parts[j] && match(i + 1, j + 1);
  };
  return match(0, 0);
}

/** A package name that says it is a background process: `worker(s)`, `queue(s)`, `jobs`, `cron` as its last word. */
const WORKER_PACKAGE = /(^|[/@_-])(workers?|queues?|jobs|crons?|scheduler)$/i;
const WRANGLER = ['wrangler.toml', 'wrangler.json', 'wrangler.jsonc'];

/** The name of the nearest package.json above `path` that names a worker process (and is no Cloudflare Worker). */
function workerPackage(path: string, text: (p: string) => string | undefined): string | undefined {
  const parts = path.split('/').slice(0, -1);
  for (let i = parts.length; i >= 0; i--) {
    const dir = parts.slice(0, i).join('/');
    const at = (f: string): string => (dir ? `${dir}/${f}` : f);
    const pkg = text(at('package.json'));
    if (pkg === undefined) continue;
    let name: unknown;
    try {
      name = (JSON.parse(pkg) as { name?: unknown }).name;
    } catch {
      return undefined;
    }
    // The nearest package decides; a Cloudflare Worker answers requests.
    if (typeof name !== 'string' || !WORKER_PACKAGE.test(name) || WRANGLER.some((w) => text(at(w)) !== undefined)) return undefined;
    return name;
  }
  return undefined;
}

/** Why a file runs in the background (a cron folder, a scheduled route, a worker package), or undefined. */
export function backgroundReason(path: string, text: (p: string) => string | undefined): string | undefined {
  if (CRON_DIR.test(path)) return `a ${CRON_DIR.exec(path)![2]}/ folder`;
  const worker = workerPackage(path, text);
  if (worker) return `package ${worker}, a worker process`;
  for (const vf of vercelFilesFor(path)) {
    const t = text(vf);
    if (t === undefined) continue;
    const dir = vf.includes('/') ? vf.slice(0, vf.lastIndexOf('/') + 1) : '';
    const segs = routeSegments(path.slice(dir.length));
    if (!segs) continue;
    const hit = vercelCronPaths(t).find((u) => routeMatches(segs, u));
    if (hit) return `a route ${vf} schedules (crons: ${hit})`;
  }
  return undefined;
}
