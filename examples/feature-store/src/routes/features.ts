import { pool } from '../db';

// GET /entities/:id/features — the online feature endpoint (budget: 10 ms p99).
export async function getOnlineFeatures(entityIds: string[], featureNames: string[]) {
  const { rows: features } = await pool.query('SELECT id, name FROM features WHERE name = ANY($1)', [featureNames]);

  // N+1: one query per entity, issued concurrently but still one round trip each.
  const perEntity = await Promise.all(
    entityIds.map((externalId) =>
      pool.query(
        `SELECT fv.feature_id, fv.value
           FROM feature_values fv
           JOIN entities e ON e.id = fv.entity_id
          WHERE e.external_id = $1 AND fv.feature_id = ANY($2)`,
        [externalId, features.map((f: { id: number }) => f.id)],
      ),
    ),
  );
  return perEntity.map((r) => r.rows);
}

// Chunked batches: one query per chunk of 500 ids — not an N+1.
export async function warmCache(entityIds: number[]) {
  for (let i = 0; i < entityIds.length; i += 500) {
    const chunk = entityIds.slice(i, i + 500);
    await pool.query('SELECT entity_id, feature_id, value FROM feature_values WHERE entity_id = ANY($1)', [chunk]);
  }
}

// A polling loop iterates no collection — not an N+1.
export async function waitForBackfill(jobId: number) {
  let done = false;
  while (!done) {
    const { rows } = await pool.query('SELECT 1 FROM feature_sets WHERE id = $1', [jobId]);
    done = rows.length > 0;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// Awaiting HTTP in a loop is not a database N+1.
export async function notifyOwners(urls: string[]) {
  for (const url of urls) {
    await fetch(url, { method: 'POST' });
  }
}
