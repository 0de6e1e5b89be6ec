-- +goose Up
-- Times are unix microseconds (BIGINT) in both dialects, so keyset cursors compare
-- the same way on PostgreSQL and SQLite.

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    username      TEXT NOT NULL,
    -- lower(username): usernames are unique case-insensitively.
    username_key  TEXT COLLATE "C" NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    avatar_url    TEXT NOT NULL DEFAULT '',
    lang_tag      TEXT NOT NULL DEFAULT 'en',
    location      TEXT NOT NULL DEFAULT '',
    timezone      TEXT NOT NULL DEFAULT '',
    metadata      TEXT NOT NULL DEFAULT '{}',
    wallet        TEXT NOT NULL DEFAULT '{}',
    email         TEXT UNIQUE,
    password_hash TEXT NOT NULL DEFAULT '',
    custom_id     TEXT UNIQUE,
    create_time   BIGINT NOT NULL,
    update_time   BIGINT NOT NULL,
    verify_time   BIGINT NOT NULL DEFAULT 0,
    disable_time  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE user_devices (
    id      TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX user_devices_user_id_idx ON user_devices (user_id);

-- One row per session pair (tid). Logout sets revoked; expired rows may be purged.
CREATE TABLE user_sessions (
    token_id    UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    vars        TEXT NOT NULL DEFAULT '{}',
    expires_at  BIGINT NOT NULL,
    revoked     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX user_sessions_user_id_idx ON user_sessions (user_id);

CREATE TABLE groups (
    id           UUID PRIMARY KEY,
    creator_id   UUID,
    name         TEXT NOT NULL,
    -- lower(name) in the "C" collation: one btree serves the case-insensitive unique
    -- constraint, LIKE 'prefix%' and ORDER BY name_key.
    name_key     TEXT COLLATE "C" NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT '',
    avatar_url   TEXT NOT NULL DEFAULT '',
    lang_tag     TEXT COLLATE "C" NOT NULL DEFAULT 'en',
    metadata     TEXT NOT NULL DEFAULT '{}',
    open         BOOLEAN NOT NULL DEFAULT FALSE,
    edge_count   INTEGER NOT NULL DEFAULT 0 CHECK (edge_count >= 0),
    max_count    INTEGER NOT NULL CHECK (max_count >= 1),
    create_time  BIGINT NOT NULL,
    update_time  BIGINT NOT NULL,
    CHECK (edge_count <= max_count)
);
-- Each ListGroups ordering has an index serving both its filter and its order.
CREATE INDEX groups_update_time_idx ON groups (update_time, id);
CREATE INDEX groups_open_update_time_idx ON groups (open, update_time, id);
CREATE INDEX groups_lang_edge_idx ON groups (lang_tag, edge_count, id);
CREATE INDEX groups_edge_idx ON groups (edge_count, id);
CREATE INDEX groups_open_edge_idx ON groups (open, edge_count, id);
CREATE INDEX groups_lang_open_edge_idx ON groups (lang_tag, open, edge_count, id);

-- One row per (group, user): the user's state in the group.
CREATE TABLE group_members (
    group_id    UUID NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state       SMALLINT NOT NULL CHECK (state BETWEEN 0 AND 4),
    -- join position (unix nanoseconds at insert); promote/demote keep it.
    position    BIGINT NOT NULL,
    update_time BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_list_idx ON group_members (group_id, state, position, user_id);
CREATE INDEX group_members_user_idx ON group_members (user_id, state, position, group_id);

CREATE TABLE notifications (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject     TEXT NOT NULL,
    content     TEXT NOT NULL DEFAULT '{}',
    code        INTEGER NOT NULL,
    sender_id   UUID,
    create_time BIGINT NOT NULL,
    persistent  BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX notifications_user_idx ON notifications (user_id, create_time, id);

-- +goose Down
DROP TABLE notifications;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE user_sessions;
DROP TABLE user_devices;
DROP TABLE users;
