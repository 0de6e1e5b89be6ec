-- +goose Up
-- The audit log: one row per committed group operation (client API, server
-- API, nk), written in the operation's own transaction. No foreign keys: an
-- entry outlives the group and users it names. Times are unix microseconds.
--
-- Lean on purpose: every group mutation writes a row, so the table has two
-- indexes only. The id (identity) grows in commit order, which is time order
-- give or take a transaction's length: listings page by id (newest first)
-- and the retention purge deletes an id prefix. Listings by group use their
-- index; the other filters (user, op, time) are checked on the rows scanned.
CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    create_time BIGINT NOT NULL,
    actor_id    TEXT NOT NULL, -- a user id, or 'system'
    op          TEXT NOT NULL,
    group_id    UUID NOT NULL,
    target_ids  TEXT NOT NULL DEFAULT '', -- comma-separated user ids, request order
    outcome     TEXT NOT NULL,
    request_id  TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_group_idx ON audit_log (group_id, id);

-- +goose Down
DROP TABLE audit_log;
