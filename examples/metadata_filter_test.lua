-- Tests of metadata_filter.lua, run by `guildhall hooks test examples/`.
modules("metadata_filter.lua")

local function names(list)
  local out = {}
  for _, g in ipairs(list.groups or {}) do
    table.insert(out, g.name)
  end
  table.sort(out)
  return out
end

test("listings hide groups marked hidden", function(t)
  local alice = t.user("alice")
  alice.create({ name = "Open Hall", open = true })
  local secret = alice.create({ name = "Secret Hall", open = true })
  alice.create({ name = "Odd Hall", open = true })
  t.equal(names(alice.list_groups({ limit = 10 })), { "Odd Hall", "Open Hall", "Secret Hall" })

  t.server.update_group(secret, { metadata = { hidden = true } })
  t.equal(names(alice.list_groups({ limit = 10 })), { "Odd Hall", "Open Hall" })
  t.equal(names(alice.list_groups({ name = "secret%" })), {}, "the name search hides it too")

  -- Reads other than the listing still see it.
  t.equal(t.server.get_group(secret).name, "Secret Hall")
end)

test("metadata that is not hidden:true keeps a group", function(t)
  local bob = t.user("bob")
  local g = bob.create({ name = "Visible Hall", open = true })
  t.server.update_group(g, { metadata = { hidden = "yes", other = 1 } })
  t.equal(names(bob.list_groups({ name = "visible%" })), { "Visible Hall" })
end)
