-- +goose Up
-- The tag index holds tagged groups only, as on PostgreSQL (where a full index
-- cost every membership change an index insertion).
DROP INDEX groups_tag_key_idx;
CREATE UNIQUE INDEX groups_tag_key_idx ON groups (tag_key) WHERE tag_key IS NOT NULL;

-- +goose Down
DROP INDEX groups_tag_key_idx;
CREATE UNIQUE INDEX groups_tag_key_idx ON groups (tag_key);
