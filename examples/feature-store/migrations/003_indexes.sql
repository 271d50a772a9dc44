-- Indexes added after the first load test.
CREATE UNIQUE INDEX CONCURRENTLY features_name_key ON features (name);
CREATE INDEX CONCURRENTLY models_team_created_idx ON models (team, created_at);
CREATE INDEX CONCURRENTLY feature_values_feature_idx ON feature_values (feature_id, computed_at);
ALTER TABLE features RENAME COLUMN owner_email TO owner;
CREATE INDEX CONCURRENTLY features_lower_owner_idx ON features (lower(owner));
