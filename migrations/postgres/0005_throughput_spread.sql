-- The spread of each benchmark: images per second of the slowest and the fastest timed run,
-- by batch size (`{"32": {"min": 190.5, "max": 204.1}}`), next to the median's in `throughput`.

ALTER TABLE tradeoff_point ADD COLUMN throughput_spread TEXT NOT NULL DEFAULT '{}';
