-- Per-layer sensitivity details, accuracy details and the Pareto frontier of trade-off points.

ALTER TABLE layer_result ADD COLUMN score DOUBLE PRECISION;
ALTER TABLE layer_result ADD COLUMN score_secondary DOUBLE PRECISION;
ALTER TABLE layer_result ADD COLUMN seconds DOUBLE PRECISION;
ALTER TABLE layer_result ADD COLUMN kept_float BIGINT NOT NULL DEFAULT 0;

ALTER TABLE tradeoff_point ADD COLUMN accuracy50 DOUBLE PRECISION;
ALTER TABLE tradeoff_point ADD COLUMN metric TEXT;
ALTER TABLE tradeoff_point ADD COLUMN pareto BIGINT;
