package lua_test

import (
	"context"
	"testing"
	"time"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/runtime"
)

// The bounded string.find/match/gmatch/gsub keep Lua 5.1's pattern semantics.
func TestLuaPatterns(t *testing.T) {
	e := sqliteEnv(t)
	dir := modules(t, map[string]string{"p.lua": `
local nk = require("nakama")
local function eq(got, want, what)
  if got ~= want then error(what .. ": got " .. tostring(got) .. ", want " .. tostring(want), 2) end
end
nk.register_rpc(function(context, payload)
  -- find
  local s, e = string.find("hello world", "wor")
  eq(s, 7, "plain find s"); eq(e, 9, "plain find e")
  s, e = string.find("a.b", ".", 1, true)
  eq(s, 2, "plain flag")
  s, e = ("hello"):find("l+")
  eq(s, 3, "l+ s"); eq(e, 4, "l+ e")
  eq(("hello"):find("xyz"), nil, "no match")
  local a, b, c = ("key=val"):find("(%w+)=(%w+)")
  eq(a, 1, "cap s"); eq(c, "key", "cap 1")
  eq(select(4, ("key=val"):find("(%w+)=(%w+)")), "val", "cap 2")
  eq(("abc"):find("b", -2), 2, "negative init")
  
  eq(("abc"):find("", 10), 4, "empty pattern past end")
  eq(("aaa"):find("^a"), 1, "anchor")
  eq(("baa"):find("^a"), nil, "anchor fails")
  eq(("abc"):find("c$"), 3, "end anchor")
  eq(("a$c"):find("$c"), 2, "literal $")
  -- match
  eq(("  trim  "):match("^%s*(.-)%s*$"), "trim", "trim")
  eq(("2024-01-02"):match("(%d+)-(%d+)"), "2024", "date")
  eq(select(2, ("2024-01-02"):match("(%d+)-(%d+)")), "01", "date 2")
  eq(("hello"):match("()ll()"), 3, "position capture")
  eq(("THE (quick) fox"):match("%((%a+)%)"), "quick", "escaped parens")
  eq(("f(a(b)c)d"):match("%b()"), "(a(b)c)", "balance")
  eq(("THE quick"):match("%f[%a]%a+", 4), "quick", "frontier")
  eq(("abcabc"):match("(a)(b)c%1%2"), "a", "backreference")
  eq(("x]y"):match("[]]"), "]", "bracket first")
  eq(("a-b"):match("[a%-]+"), "a-", "escaped dash in set")
  eq(("hello123"):match("[^%d]+"), "hello", "negated set")
  eq(("hello123"):match("[a-f]+"), "e", "range")
  eq(("xAy"):match("%u"), "A", "upper")
  eq(("a1 "):match("%W"), " ", "non-word")
  eq(("ab"):match("a?b"), "ab", "optional")
  eq(("b"):match("a?b"), "b", "optional absent")
  eq(("<a><b>"):match("<(.-)>"), "a", "lazy")
  eq(("<a><b>"):match("<(.*)>"), "a><b", "greedy")
  eq(("abc"):match(".", 0), "a", "init 0")
  eq(("abc"):match("x"), nil, "match none")
  -- gmatch
  local words = {}
  for w in ("one two  three"):gmatch("%a+") do words[#words + 1] = w end
  eq(table.concat(words, ","), "one,two,three", "gmatch")
  local kv = {}
  for k, v in ("a=1, b=2"):gmatch("(%w+)=(%w+)") do kv[#kv + 1] = k .. v end
  eq(table.concat(kv, ","), "a1,b2", "gmatch captures")
  local n = 0
  for _ in ("abc"):gmatch("") do n = n + 1 end
  eq(n, 4, "gmatch empty")
  -- gsub
  eq((("hello world"):gsub("o", "0")), "hell0 w0rld", "gsub")
  eq(select(2, ("hello world"):gsub("o", "0")), 2, "gsub count")
  eq((("hello world"):gsub("o", "0", 1)), "hell0 world", "gsub limit")
  eq((("hello"):gsub("", "-")), "-h-e-l-l-o-", "gsub empty")
  eq((("abc"):gsub("%w", "%0%0")), "aabbcc", "gsub %0")
  eq((("hello world"):gsub("(%w+) (%w+)", "%2 %1")), "world hello", "gsub swap")
  eq((("a%b"):gsub("%%", "%%%%")), "a%%b", "gsub percent")
  eq((("$name is $age"):gsub("%$(%w+)", {name = "bob", age = 3})), "bob is 3", "gsub table")
  eq((("$x"):gsub("%$(%w+)", {})), "$x", "gsub table miss")
  eq((("abc"):gsub("%w", function(c) return c:upper() .. "." end)), "A.B.C.", "gsub function")
  eq((("abc"):gsub("%w", function(c) if c == "b" then return false end return "x" end)), "xbx", "gsub false")
  eq((("abc"):gsub("^a", "z")), "zbc", "gsub anchor")
  eq((("hello"):gsub("l", 1)), "he11o", "gsub number")
  eq((("abc"):gsub("()", "%1")), "1a2b3c4", "gsub position")
  -- errors
  eq(pcall(string.find, "a", "[a"), false, "missing ]")
  eq(pcall(string.find, "a", "%"), false, "trailing %")
  eq(pcall(string.find, "a", "(a"), false, "unfinished capture")
  eq(pcall(string.match, "a", "a)"), false, "invalid capture")
  eq(pcall(string.gsub, "a", "(a)", "%2"), false, "invalid capture index")
  return "ok"
end, "patterns")
nk.register_rpc(function(context, payload)
  return tostring(string.rep("a", 3000):find(".-.-.-b"))
end, "catastrophic")
nk.register_rpc(function(context, payload)
  local ok, err = pcall(string.find, string.rep("a", 3000), ".-.-.-b")
  return tostring(err)
end, "catastrophic_caught")
nk.register_rpc(function(context, payload)
  return "ok"
end, "ok")
`})
	rt := e.mustLoad(t, runtime.Config{Path: dir, PoolSize: 1, CallTimeout: 300 * time.Millisecond})
	if out, err := e.rpc(t, context.Background(), "patterns", ""); err != nil || out != "ok" {
		t.Fatalf("patterns: %q %v", out, err)
	}
	// A backtracking pattern is cut off at the deadline; the VM serves the
	// next call.
	start := time.Now()
	_, err := e.rpc(t, context.Background(), "catastrophic", "")
	wantCode(t, err, errs.CodeDeadlineExceeded, "timed out")
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the catastrophic pattern took %v", d)
	}
	_, err = e.rpc(t, context.Background(), "catastrophic_caught", "")
	wantCode(t, err, errs.CodeDeadlineExceeded, "timed out")
	if out, err := e.rpc(t, context.Background(), "ok", ""); err != nil || out != "ok" {
		t.Fatalf("after: %q %v", out, err)
	}
	// The matcher itself stopped: no VM was left spinning in Go code.
	if n := rt.Stuck(); n != 0 {
		t.Fatalf("%d VMs stuck in a pattern", n)
	}
}
