-- default_roles.lua: every new group gets an "officer" custom role (rank 150,
-- may kick members and invite), created by an after hook on CreateGroup.
--
-- The hook runs once the group is committed; nk.group_role_create without a
-- user id acts as the server (no manage_roles check), with the role limits of
-- any other call. The group's owner then hands the role out with
-- POST /v2/group/<group>/role/<role>/assign?user_ids=<user>. An officer's kick
-- acts only on members ranking below 150; admins and other officers are skipped.
local nk = require("nakama")

local function add_officer_role(context, outgoing, incoming)
  local ok, role = pcall(nk.group_role_create,
    { group_id = outgoing.id, name = "officer", rank = 150, permissions = { "kick", "invite" } })
  if ok then
    nk.logger_info(("group %s: officer role %s"):format(outgoing.id, role.id))
  else
    -- The group exists either way; a missing default role is logged, not fatal.
    nk.logger_error(("group %s: no officer role: %s"):format(outgoing.id, tostring(role)))
  end
  return outgoing
end

nk.register_req_after(add_officer_role, "CreateGroup")
