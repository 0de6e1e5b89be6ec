-- +goose Up
-- Serves the background purge of expired sessions (accounts.PurgeExpiredSessions),
-- which deletes by expires_at in small batches.
CREATE INDEX user_sessions_expires_at_idx ON user_sessions (expires_at);

-- +goose Down
DROP INDEX user_sessions_expires_at_idx;
