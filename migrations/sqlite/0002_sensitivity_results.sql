-- Per-layer sensitivity details, accuracy details and the Pareto frontier of trade-off points.

ALTER TABLE layer_result ADD COLUMN score REAL;
ALTER TABLE layer_result ADD COLUMN score_secondary REAL;
ALTER TABLE layer_result ADD COLUMN seconds REAL;
ALTER TABLE layer_result ADD COLUMN kept_float INTEGER NOT NULL DEFAULT 0;

ALTER TABLE tradeoff_point ADD COLUMN accuracy50 REAL;
ALTER TABLE tradeoff_point ADD COLUMN metric TEXT;
ALTER TABLE tradeoff_point ADD COLUMN pareto INTEGER;
