-- +goose Up
-- When each requester's join request to a group last notified its admins: at
-- most one -5 notification per requester and group within
-- --group.join_request_notify_window (a user cycling join/leave on a closed
-- group would otherwise send one per cycle). One upsert per closed-group join.
CREATE TABLE group_join_notices (
    group_id    UUID NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notify_time BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
-- Serves the cascade when a user is deleted.
CREATE INDEX group_join_notices_user_idx ON group_join_notices (user_id);

-- +goose Down
DROP TABLE group_join_notices;
