-- name: FeatureCoverage :many
-- Every feature against every model: a cartesian product (5K × 20K rows).
SELECT f.name, m.name
  FROM features f, models m;

-- name: ModelsWithFeatures :many
-- Joined by a predicate: fine.
SELECT m.name, f.name
  FROM models m
  JOIN feature_sets fs ON fs.model_id = m.id
  JOIN features f ON f.id = fs.feature_id
 WHERE m.team = $1;

-- name: VersionsPerDay :many
-- generate_series is a set, not a table: fine.
SELECT d::date AS day, count(v.id)
  FROM generate_series(now() - interval '30 days', now(), interval '1 day') AS d
  LEFT JOIN model_versions v ON v.created_at::date = d::date AND v.model_id = $1
 GROUP BY 1;

-- name: HasProductionVersion :one
-- EXISTS (SELECT * ...) fetches nothing: fine.
SELECT EXISTS (SELECT * FROM model_versions v WHERE v.id = $1 AND v.stage = 'production');

-- name: LatestPerModel :many
-- A lateral join per model: fine.
SELECT m.name, lv.version
  FROM models m
 CROSS JOIN LATERAL (
   SELECT version FROM model_versions v WHERE v.model_id = m.id ORDER BY version DESC LIMIT 1
 ) lv
 WHERE m.team = $1;

-- name: RegionNames :many
-- regions is declared tiny in querylens.config.json: a scan is fine.
SELECT code, name FROM regions WHERE name = $1;

-- name: StageOfVersions :many
SELECT id, stage FROM model_versions WHERE stage = $1 ORDER BY created_at DESC LIMIT 20;
