-- Tests of default_roles.lua, run by `guildhall hooks test examples/`.
modules("default_roles.lua")

local function names(list)
  local out = {}
  for _, gu in ipairs(list.group_users or {}) do table.insert(out, gu.user.username) end
  table.sort(out)
  return out
end

test("a new group has the officer role; an officer kicks members, not admins", function(t)
  local alice, bob, carol, dave = t.user("alice"), t.user("bob"), t.user("carol"), t.user("dave")
  local g = alice.create({ name = "Officers Hall", open = true })
  local roles = alice.call("GET", "/v2/group/" .. g.id .. "/role").roles
  t.equal(#roles, 1)
  t.equal({ roles[1].name, roles[1].rank, roles[1].permissions }, { "officer", 150, { "invite", "kick" } })

  bob.join(g); carol.join(g); dave.join(g)
  alice.promote(g, { dave })
  alice.call("POST", "/v2/group/" .. g.id .. "/role/" .. roles[1].id .. "/assign?user_ids=" .. bob.id)
  bob.kick(g, { carol, dave })
  t.equal(names(alice.list_group_users(g)), { "alice", "bob", "dave" }, "carol kicked, the admin skipped")
end)

test("a plain member still may not kick", function(t)
  local alice, bob, carol = t.user("alice"), t.user("bob"), t.user("carol")
  local g = alice.create({ name = "Plain Hall", open = true })
  bob.join(g); carol.join(g)
  t.refused(5, function() bob.kick(g, { carol }) end)
end)
