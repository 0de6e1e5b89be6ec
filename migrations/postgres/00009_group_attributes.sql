-- +goose Up
-- Leadership transfer needs no schema; attributes do (issue 11).
-- A group flag: only holders of the `attributes` permission create attributes.
ALTER TABLE groups ADD COLUMN admins_only_create_attributes BOOLEAN NOT NULL DEFAULT FALSE;

-- Group attributes: key/value settings members read and (by the rules of
-- groups/attributes.go) write. Every change runs under the group's row lock,
-- which also keeps the count per group within its limit.
CREATE TABLE group_attributes (
    group_id              UUID NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    key                   TEXT COLLATE "C" NOT NULL,
    value                 TEXT NOT NULL,
    creator_id            UUID REFERENCES users (id) ON DELETE SET NULL, -- NULL: the system
    only_creator_can_edit BOOLEAN NOT NULL,
    create_time           BIGINT NOT NULL,
    update_time           BIGINT NOT NULL,
    PRIMARY KEY (group_id, key)
);
CREATE INDEX group_attributes_creator_idx ON group_attributes (creator_id);

-- +goose Down
DROP TABLE group_attributes;
ALTER TABLE groups DROP COLUMN admins_only_create_attributes;
