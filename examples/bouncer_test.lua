-- Tests of bouncer.lua, run by `guildhall hooks test examples/` (and make test).
modules("bouncer.lua")

-- A group owned by alice with bob and carol as members; roles as given.
local function setup(t, roles)
  local alice, bob, carol = t.user("alice"), t.user("bob"), t.user("carol")
  local group = alice.create({ name = "Night Watch " .. t.name, open = true })
  bob.join(group)
  carol.join(group)
  local by_id = {}
  for name, r in pairs(roles) do
    by_id[t.user(name).id] = r
  end
  t.server.update_group(group, { metadata = { roles = by_id } })
  return { alice = alice, bob = bob, carol = carol, group = group }
end

local function member_names(viewer, group)
  local names = {}
  for _, gu in ipairs(viewer.list_group_users(group).group_users or {}) do
    table.insert(names, gu.user.username)
  end
  table.sort(names)
  return names
end

test("a bouncer may kick", function(t)
  local s = setup(t, { alice = { "bouncer" } })
  s.alice.kick(s.group, s.bob)
  t.equal(member_names(s.alice, s.group), { "alice", "carol" })
end)

test("a superadmin without the role may not kick", function(t)
  local s = setup(t, { carol = { "bouncer" } })
  local err = t.refused(5, function() s.alice.kick(s.group, s.bob) end)
  t.equal(err.message, "Requested resource was not found.")
  t.equal(member_names(s.alice, s.group), { "alice", "bob", "carol" }, "nobody left")
end)

test("the role does not replace the kick rules", function(t)
  -- carol is a bouncer but only a member: the hook lets the call through and
  -- the usual rule (only admins kick) refuses it.
  local s = setup(t, { carol = { "bouncer" } })
  local err = t.refused(5, function() s.carol.kick(s.group, s.bob) end)
  t.equal(err.message, "Group not found or permission denied.")
  t.equal(member_names(s.alice, s.group), { "alice", "bob", "carol" })
end)
