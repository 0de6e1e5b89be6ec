-- bouncer.lua: only group members holding the "bouncer" role may kick.
--
-- The roles live in the group's metadata, which only the server can write:
--   {"roles": {"<user id>": ["bouncer"]}}
-- A client kick (POST /v2/group/{id}/kick) first runs this before hook. It
-- returns the payload unchanged to let the kick go on (the usual kick rules
-- still apply: the kicker must be an admin), or nil to refuse it, which the
-- client sees as 404 {"code":5,"message":"Requested resource was not found."}.
local nk = require("nakama")

local function has_role(roles, role)
  for _, r in ipairs(roles or {}) do
    if r == role then
      return true
    end
  end
  return false
end

local function kick_group_users(context, payload)
  local group = nk.groups_get_id({ payload.group_id })[1]
  if group == nil then
    return nil
  end
  local roles = group.metadata["roles"] or {}
  if has_role(roles[context.user_id], "bouncer") then
    return payload
  end
  return nil
end

nk.register_req_before(kick_group_users, "KickGroupUsers")
