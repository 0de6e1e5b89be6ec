-- +goose Up
-- Join policies, tags, hidden groups and categories (issue 10). open stays
-- (Nakama's flag, served by the existing open indexes) and is kept equal to
-- join_policy = 'open' by the service; existing closed groups take requests.
-- join_policy: 0 open, 1 request, 2 invite_only, 3 closed (a number: listings
-- scan it without a string per row).
ALTER TABLE groups ADD COLUMN join_policy SMALLINT NOT NULL DEFAULT 1 CHECK (join_policy BETWEEN 0 AND 3);
UPDATE groups SET join_policy = 0 WHERE open;
ALTER TABLE groups ADD COLUMN tag TEXT NOT NULL DEFAULT '';
-- lower(tag), NULL without a tag: unique among live groups, case-insensitively.
ALTER TABLE groups ADD COLUMN tag_key TEXT COLLATE "C";
CREATE UNIQUE INDEX groups_tag_key_idx ON groups (tag_key);
ALTER TABLE groups ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE groups ADD COLUMN category TEXT NOT NULL DEFAULT 'group';

-- A join request's message (cleared when the state changes).
ALTER TABLE group_members ADD COLUMN message TEXT NOT NULL DEFAULT '';

-- Invitations (group → user). state: 0 pending, 1 accepted, 2 declined,
-- 3 revoked; "expired" is a pending one past expire_time. Every change of a
-- group's invitations happens under that group's row lock.
CREATE TABLE group_invitations (
    id          UUID PRIMARY KEY,
    group_id    UUID NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    inviter_id  UUID REFERENCES users (id) ON DELETE SET NULL, -- NULL: the system
    message     TEXT NOT NULL DEFAULT '',
    state       SMALLINT NOT NULL CHECK (state BETWEEN 0 AND 3),
    create_time BIGINT NOT NULL,
    update_time BIGINT NOT NULL,
    expire_time BIGINT NOT NULL
);
-- At most one pending invitation per group and user (a re-invite renews it).
CREATE UNIQUE INDEX group_invitations_pending_idx ON group_invitations (group_id, user_id) WHERE state = 0;
-- ListInvitations (a user's, by state, newest first) and ListGroupInvitations.
CREATE INDEX group_invitations_user_idx ON group_invitations (user_id, state, update_time, id);
CREATE INDEX group_invitations_group_idx ON group_invitations (group_id, state, update_time, id);
CREATE INDEX group_invitations_inviter_idx ON group_invitations (inviter_id);

-- +goose Down
DROP TABLE group_invitations;
ALTER TABLE group_members DROP COLUMN message;
DROP INDEX groups_tag_key_idx;
ALTER TABLE groups DROP COLUMN category;
ALTER TABLE groups DROP COLUMN hidden;
ALTER TABLE groups DROP COLUMN tag_key;
ALTER TABLE groups DROP COLUMN tag;
ALTER TABLE groups DROP COLUMN join_policy;
