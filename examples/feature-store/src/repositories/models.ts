import { pool } from '../db';

export interface ModelVersion {
  id: number;
  modelId: number;
  version: number;
  stage: string;
}

// Runs one query against model_versions: called from a loop, this is the N+1.
export async function latestVersion(modelId: number): Promise<ModelVersion | undefined> {
  const { rows } = await pool.query(
    `SELECT id, model_id AS "modelId", version, stage
       FROM model_versions
      WHERE model_id = $1
      ORDER BY version DESC
      LIMIT 1`,
    [modelId],
  );
  return rows[0];
}

export async function modelsOfTeam(team: string) {
  // Served by models_team_created_idx (leading column).
  const { rows } = await pool.query('SELECT id, name FROM models WHERE team = $1 ORDER BY created_at DESC LIMIT 50', [team]);
  return rows as { id: number; name: string }[];
}

export async function versionNumber(versionId: number): Promise<number | undefined> {
  // Fetches the jsonb manifest and the weights URI of the version although only its number is read.
  const { rows } = await pool.query('SELECT * FROM model_versions WHERE id = $1', [versionId]);
  return rows[0]?.version;
}

export async function featuresOwnedBy(email: string) {
  // Served by the expression index features_lower_owner_idx.
  const { rows } = await pool.query('SELECT id, name FROM features WHERE lower(owner) = lower($1)', [email]);
  return rows;
}

export async function featuresByDescription(term: string) {
  // A leading wildcard defeats any B-tree index: a sequential scan per call.
  const { rows } = await pool.query(`SELECT id, name FROM features WHERE description LIKE '%' || $1`, [term]);
  return rows;
}

export async function countVersions(): Promise<number> {
  // count(*) is not over-fetching.
  const { rows } = await pool.query('SELECT count(*) AS n FROM model_versions');
  return Number(rows[0].n);
}
