-- +goose Up
-- Messages of the realtime socket's channels (group channels, rooms): users'
-- messages and the group event messages membership changes write in their own
-- transaction. channel_id is Nakama's "mode.subject.subcontext.label"; a
-- deleted group's rows are deleted with it (by its channel id, in the
-- deletion's transaction). Times are unix microseconds.
CREATE TABLE channel_messages (
    id          TEXT PRIMARY KEY,
    channel_id  TEXT NOT NULL,
    code        INTEGER NOT NULL DEFAULT 0,
    sender_id   TEXT NOT NULL,
    username    TEXT NOT NULL DEFAULT '',
    content     TEXT NOT NULL DEFAULT '{}',
    create_time BIGINT NOT NULL,
    update_time BIGINT NOT NULL
);
-- History pages in (create_time, id) order, either way.
CREATE INDEX channel_messages_channel_idx ON channel_messages (channel_id, create_time, id);

-- +goose Down
DROP TABLE channel_messages;
