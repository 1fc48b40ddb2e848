-- Feature store of the reference platform. Idempotent: applied on every `sandbox up`.
CREATE TABLE IF NOT EXISTS features (
  commodity   text PRIMARY KEY,
  last_price  double precision NOT NULL,
  ema_short   double precision NOT NULL,
  ema_long    double precision NOT NULL,
  volatility  double precision NOT NULL DEFAULT 0,
  samples     bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- No unique key on (feed_run, seq) on purpose: consumers are at-least-once, and the integrity
-- verifier must be able to see duplicates rather than have the database hide them.
CREATE TABLE IF NOT EXISTS predictions (
  feed_run        bigint NOT NULL,
  seq             bigint NOT NULL,
  commodity       text NOT NULL,
  price           double precision NOT NULL,
  predicted       double precision NOT NULL,
  source_checksum text NOT NULL,
  sent_at         timestamptz NOT NULL,
  processed_at    timestamptz NOT NULL DEFAULT now(),
  consumer        text NOT NULL
);
-- The features the model used, so the accuracy spot-check can recompute a prediction independently.
ALTER TABLE predictions ADD COLUMN IF NOT EXISTS ema_short double precision;
ALTER TABLE predictions ADD COLUMN IF NOT EXISTS ema_long double precision;
CREATE INDEX IF NOT EXISTS predictions_run_seq ON predictions (feed_run, seq);
CREATE INDEX IF NOT EXISTS predictions_processed_at ON predictions (processed_at);
CREATE INDEX IF NOT EXISTS predictions_commodity_time ON predictions (commodity, processed_at DESC);

CREATE TABLE IF NOT EXISTS workflow_runs (
  id          bigserial PRIMARY KEY,
  workflow    text NOT NULL,
  started_at  timestamptz NOT NULL,
  ended_at    timestamptz,
  status      text NOT NULL CHECK (status IN ('running', 'success', 'failure')),
  rows        bigint,
  error       text
);
CREATE INDEX IF NOT EXISTS workflow_runs_started ON workflow_runs (started_at);
