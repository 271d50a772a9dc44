import { pool } from '../db';
import { latestVersion, modelsOfTeam } from '../repositories/models';

// GET /teams/:team/models — the model-metadata endpoint (budget: 5 ms p99).
export async function getModelMetadata(team: string) {
  const models = await modelsOfTeam(team);
  const out = [];
  for (const m of models) {
    // One round trip per model, through the repository helper.
    const v = await latestVersion(m.id);
    out.push({ ...m, version: v?.version });
  }
  return out;
}

// The fixed shape: one query for all models of the page.
export async function getModelMetadataBatched(team: string) {
  const models = await modelsOfTeam(team);
  const ids = models.map((m) => m.id);
  const { rows } = await pool.query(
    'SELECT DISTINCT ON (model_id) model_id, version FROM model_versions WHERE model_id = ANY($1) ORDER BY model_id, version DESC',
    [ids],
  );
  const byModel = new Map(rows.map((r: { model_id: number; version: number }) => [r.model_id, r.version]));
  return models.map((m) => ({ ...m, version: byModel.get(m.id) }));
}
