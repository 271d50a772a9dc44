import { sql } from '../db';

// Runs every 10 minutes: recompute stale feature values (a recurring job, not a one-off backfill).
export async function refreshFeatures(featureIds: number[]) {
  for (const featureId of featureIds) {
    // N+1 write: one UPDATE per feature.
    await sql`UPDATE feature_values SET computed_at = now() WHERE feature_id = ${featureId}`;
  }
}

export async function staleSince(days: number) {
  // The values last computed on the day `days` ago; date(computed_at) hides the column from feature_values_feature_idx.
  return sql`SELECT entity_id, feature_id FROM feature_values WHERE date(computed_at) = current_date - ${days}::int`;
}
