-- Model metadata: every model has versions; each version carries its artifact manifest.
CREATE TABLE models (
  id         serial PRIMARY KEY,
  name       text NOT NULL,
  team       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE model_versions (
  id          bigserial PRIMARY KEY,
  model_id    int NOT NULL REFERENCES models (id),
  version     int NOT NULL,
  stage       text NOT NULL DEFAULT 'staging',
  manifest    jsonb NOT NULL,
  weights_uri text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE feature_sets (
  id         serial PRIMARY KEY,
  model_id   int NOT NULL REFERENCES models (id),
  feature_id int NOT NULL REFERENCES features (id)
);
