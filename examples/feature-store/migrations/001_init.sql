-- Core tables of the feature store.
CREATE TABLE entities (
  id          bigserial PRIMARY KEY,
  external_id text NOT NULL UNIQUE,
  kind        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE features (
  id          serial PRIMARY KEY,
  name        text NOT NULL,
  dtype       text NOT NULL,
  description text,
  owner_email text NOT NULL
);

CREATE TABLE feature_values (
  entity_id   bigint NOT NULL REFERENCES entities (id),
  feature_id  int NOT NULL REFERENCES features (id),
  value       jsonb NOT NULL,
  computed_at timestamptz NOT NULL,
  PRIMARY KEY (entity_id, feature_id)
);

CREATE TABLE regions (
  code text PRIMARY KEY,
  name text NOT NULL
);
