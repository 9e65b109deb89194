-- Tokens may expire; the embedded worker's tokens are marked so that only they are removed
-- at start (a user's token named like one is kept).
ALTER TABLE api_token ADD COLUMN expires_at BIGINT;
ALTER TABLE api_token ADD COLUMN embedded BIGINT NOT NULL DEFAULT 0;
