-- +goose Up
-- The audit log: one row per committed group operation (client API, server
-- API, nk), written in the operation's own transaction. No foreign keys: an
-- entry outlives the group and users it names. Times are unix microseconds.
-- The id is the rowid (no id to make per operation), in insert order.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    create_time BIGINT NOT NULL,
    actor_id    TEXT NOT NULL, -- a user id, or 'system'
    op          TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    target_ids  TEXT NOT NULL DEFAULT '', -- comma-separated user ids, request order
    outcome     TEXT NOT NULL,
    request_id  TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT ''
);
-- Newest-first listings (unfiltered and by time range) and the retention purge.
CREATE INDEX audit_log_time_idx ON audit_log (create_time, id);
CREATE INDEX audit_log_group_idx ON audit_log (group_id, create_time, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, create_time, id);
-- One row per target of an entry: serves the user_id filter ("actor or target").
CREATE TABLE audit_targets (
    user_id     TEXT NOT NULL,
    create_time BIGINT NOT NULL,
    entry_id    INTEGER NOT NULL,
    PRIMARY KEY (user_id, create_time, entry_id)
) WITHOUT ROWID;
-- Serves the retention purge.
CREATE INDEX audit_targets_time_idx ON audit_targets (create_time);

-- +goose Down
DROP TABLE audit_targets;
DROP TABLE audit_log;
