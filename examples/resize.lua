-- resize.lua: an RPC for game servers to change a group's capacity.
--
--   curl -X POST "http://127.0.0.1:7350/v2/rpc/resize_group?http_key=defaulthttpkey&unwrap" \
--        -d '{"group_id":"<id>","max_count":50}'
--
-- Calls made with a session (a client) carry context.user_id and are refused
-- with code 7 (HTTP 403). nk.* calls act as the server: no permission checks,
-- but the group's invariants hold (max_count cannot drop below the members).
local nk = require("nakama")

local function resize_group(context, payload)
  if context.user_id ~= nil then
    error({ "resize is for game servers only", 7 })
  end
  local ok, request = pcall(nk.json_decode, payload)
  if not ok or type(request) ~= "table" then
    error({ "payload must be a JSON object", 3 })
  end
  if type(request.group_id) ~= "string" or type(request.max_count) ~= "number" then
    error({ "group_id (a string) and max_count (a number) are required", 3 })
  end
  -- group_update(group_id, user_id, name, creator_id, lang_tag, description,
  --              avatar_url, open, metadata, max_count): nil leaves a field alone.
  nk.group_update(request.group_id, nil, nil, nil, nil, nil, nil, nil, nil, request.max_count)
  return nk.json_encode({ group_id = request.group_id, max_count = request.max_count })
end

nk.register_rpc(resize_group, "resize_group")
