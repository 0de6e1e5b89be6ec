-- +goose Up
-- Idempotency keys of client mutations: the first answer (status and body)
-- per user and key, replayed to retries until expire_time. status is 0 while
-- the first request runs. Times are unix microseconds. No foreign key: a row
-- lives a day and the purge deletes it.
CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    body         BLOB,
    create_time  BIGINT NOT NULL,
    expire_time  BIGINT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
-- Serves the purge of expired keys.
CREATE INDEX idempotency_keys_expire_idx ON idempotency_keys (expire_time);

-- +goose Down
DROP TABLE idempotency_keys;
