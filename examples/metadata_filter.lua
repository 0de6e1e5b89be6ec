-- metadata_filter.lua: group listings hide groups whose metadata says
-- {"hidden": true}.
--
-- An after hook sees the response (outgoing) and the request (incoming). In
-- the response a group's metadata is JSON text, as on the wire, so it is
-- decoded with nk.json_decode. Returning the response with fewer groups narrows
-- what the client gets (a Guildhall addition: Nakama ignores what an after
-- hook returns). Only groups of the original page can be kept; the cursor is
-- left as it was, so a filtered page may be shorter than the limit.
local nk = require("nakama")

local function hide_hidden_groups(context, outgoing, incoming)
  local visible = {}
  for _, group in ipairs(outgoing.groups or {}) do
    local metadata = nk.json_decode(group.metadata or "{}")
    if metadata.hidden ~= true then
      table.insert(visible, group)
    end
  end
  outgoing.groups = visible
  return outgoing
end

nk.register_req_after(hide_hidden_groups, "ListGroups")
