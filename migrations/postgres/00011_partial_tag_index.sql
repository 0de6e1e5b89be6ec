-- +goose Up
-- The tag index holds tagged groups only. Every membership change updates its
-- group's row (edge_count, update_time), and as both are indexed (listings)
-- that update is never HOT: it inserts into every index of groups, so a full
-- index on tag_key cost every join and leave an insertion of a NULL key that
-- nothing ever looks up.
DROP INDEX groups_tag_key_idx;
CREATE UNIQUE INDEX groups_tag_key_idx ON groups (tag_key) WHERE tag_key IS NOT NULL;

-- +goose Down
DROP INDEX groups_tag_key_idx;
CREATE UNIQUE INDEX groups_tag_key_idx ON groups (tag_key);
