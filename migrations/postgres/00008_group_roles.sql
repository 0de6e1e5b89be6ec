-- +goose Up
-- Custom roles (issue 11): per group, a name (unique case-insensitively:
-- name_key is lower(name)), a rank between member (100) and superadmin (300),
-- and a permission set as a bit mask (bit 0 update, 1 invite, 2 add, 3 kick,
-- 4 ban, 5 unban, 6 promote, 7 demote, 8 manage_roles, 9 attributes; the bit
-- of a name never changes). Every change of a group's roles, and of who holds
-- them, happens under that group's row lock.
CREATE TABLE group_roles (
    id          UUID PRIMARY KEY,
    group_id    UUID NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    name_key    TEXT COLLATE "C" NOT NULL,
    rank        SMALLINT NOT NULL CHECK (rank BETWEEN 101 AND 299),
    permissions INTEGER NOT NULL DEFAULT 0,
    create_time BIGINT NOT NULL,
    update_time BIGINT NOT NULL
);
CREATE UNIQUE INDEX group_roles_name_idx ON group_roles (group_id, name_key);

-- The custom role a member or admin holds (NULL: none); read with the state
-- under the group's lock, so a role's holders need no query of their own. No
-- foreign key: deleting a role clears its holders in the same transaction,
-- and the member writes of the hot paths stay without a trigger.
ALTER TABLE group_members ADD COLUMN role_id UUID;

-- +goose Down
ALTER TABLE group_members DROP COLUMN role_id;
DROP TABLE group_roles;
