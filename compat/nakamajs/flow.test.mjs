// Compatibility flow: drives a running Guildhall server with the official
// @heroiclabs/nakama-js client (pinned to 2.8.0 in package.json) and checks every
// response field a client reads, against Nakama's behaviour as recorded in
// shared/reference/nakama-compat.md.
//
// Run against a server on 127.0.0.1:7350:
//   GUILDHALL_HOST=127.0.0.1 GUILDHALL_PORT=7350 node --test flow.test.mjs
// (compat/compat_test.go starts the server on PostgreSQL and on SQLite and runs this.)
//
// Every name and device id carries a per-run tag, so the suite can run against a
// server that already holds data, and can run repeatedly.
//
// Structure: each `flow` is a describe block whose steps depend on the previous
// ones; after a failed step the rest of that flow is skipped (so the first failure
// is the one to read), while the other flows still run. Differences in error
// *message text* do not stop a flow: they are collected and reported by the last
// test, "error messages match Nakama's".

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Client } from "@heroiclabs/nakama-js";

const host = process.env.GUILDHALL_HOST || "127.0.0.1";
const port = process.env.GUILDHALL_PORT || "7350";
const serverKey = process.env.GUILDHALL_SERVER_KEY || "defaultkey";

// nakama-js warns on every sessionRefresh when the server's token lives less than
// 70 s (or the refresh token less than 3700 s); Guildhall, like Nakama, defaults to
// 60 s, so every call warns. Drop those two lines to keep failure output readable.
const warn = console.warn;
console.warn = (...args) => {
  if (typeof args[0] === "string" && /^Session (refresh )?lifetime too short/.test(args[0])) return;
  warn(...args);
};

// The client as a game would build it (autoRefreshSession defaults to true).
const client = new Client(serverKey, host, port, false);
// The same client with automatic session refresh off, to see how the server treats
// a Bearer token by itself (with auto refresh on, nakama-js first POSTs
// /v2/account/session/refresh whenever the token expires within 5 minutes).
const plainClient = new Client(serverKey, host, port, false, 7000, false);

// Per-run tag: lowercase letters and digits only (no `_` or `%`, which are
// wildcards in the ListGroups name filter).
const run = Date.now().toString(36) + randomBytes(4).toString("hex");

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Nakama sends RFC 3339 UTC timestamps with whole seconds and a `Z`.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const STATE = { SUPERADMIN: 0, ADMIN: 1, MEMBER: 2, JOIN_REQUEST: 3, BANNED: 4 };

// ---------------------------------------------------------------------------
// Helpers

const messageMismatches = [];

/** Runs the steps of one flow in order; a failure skips the rest of the flow. */
function flow(name, body) {
  describe(name, () => {
    let failed = null;
    const step = (title, fn) =>
      it(title, async (t) => {
        if (failed !== null) {
          t.skip(`earlier step failed: ${failed}`);
          return;
        }
        try {
          await fn(t);
        } catch (err) {
          failed = title;
          throw await readable(err);
        }
      });
    body(step);
  });
}

/**
 * nakama-js rejects a failed call with the bare fetch Response (or the string
 * "Request timed out."); make an unexpected one say what the server answered.
 */
async function readable(err) {
  if (typeof err === "string") return new Error(`nakama-js rejected the call: ${err}`);
  if (err && typeof err.status === "number" && typeof err.text === "function") {
    let body = "(body already read)";
    if (!err.bodyUsed) body = await err.text().catch((e) => `(body unreadable: ${e})`);
    return new Error(`unexpected HTTP ${err.status} from ${err.url}: ${body}`);
  }
  return err;
}

function assertTimestamp(value, what) {
  assert.equal(typeof value, "string", `${what}: expected an RFC 3339 string, got ${JSON.stringify(value)}`);
  assert.match(value, TIMESTAMP, `${what}: expected RFC 3339 UTC with whole seconds, e.g. 2023-11-14T22:13:20Z`);
  const ms = Date.parse(value);
  assert.ok(Math.abs(ms - Date.now()) < 10 * 60 * 1000, `${what}: ${value} is not close to now`);
}

/**
 * Awaits a client call that must fail, and checks what nakama-js hands the
 * caller: the raw fetch Response, its HTTP status and the {code, message} body.
 * A message different from `message` is recorded, not thrown.
 */
async function expectError(promise, what, status, code, message) {
  let resolved;
  try {
    resolved = await promise;
  } catch (err) {
    if (typeof err === "string") {
      assert.fail(`${what}: rejected with ${JSON.stringify(err)} instead of an HTTP ${status} response`);
    }
    assert.ok(err && typeof err.status === "number" && typeof err.text === "function",
      `${what}: rejected with ${err} instead of a fetch Response`);
    const text = await err.text();
    assert.equal(err.status, status, `${what}: HTTP status (body: ${text})`);
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      assert.fail(`${what}: error body is not JSON: ${JSON.stringify(text)}`);
    }
    assert.equal(body.code, code, `${what}: body code (body: ${text})`);
    assert.equal(typeof body.message, "string", `${what}: body message (body: ${text})`);
    assert.equal(body.error, undefined, `${what}: gateway errors have no "error" key (body: ${text})`);
    if (message !== undefined && body.message !== message) {
      messageMismatches.push(`${what}: message ${JSON.stringify(body.message)}, Nakama says ${JSON.stringify(message)}`);
    }
    return body;
  }
  assert.fail(`${what}: expected HTTP ${status} (code ${code}), but the call resolved with ${JSON.stringify(resolved)}`);
}

function checkSession(session, what, { created, username, vars } = {}) {
  assert.equal(typeof session.token, "string", `${what}: token`);
  assert.equal(session.token.split(".").length, 3, `${what}: token is a JWT`);
  assert.equal(typeof session.refresh_token, "string", `${what}: refresh_token`);
  assert.equal(session.refresh_token.split(".").length, 3, `${what}: refresh_token is a JWT`);
  assert.match(session.user_id ?? "", UUID, `${what}: user_id (uid claim)`);
  assert.equal(typeof session.username, "string", `${what}: username (usn claim)`);
  assert.ok(session.username.length > 0, `${what}: username not empty`);
  if (username !== undefined) assert.equal(session.username, username, `${what}: username`);
  const now = Date.now() / 1000;
  assert.ok(Number.isInteger(session.expires_at) && session.expires_at > now,
    `${what}: expires_at (exp claim) in the future, got ${session.expires_at}`);
  assert.ok(Number.isInteger(session.refresh_expires_at) && session.refresh_expires_at >= session.expires_at,
    `${what}: refresh_expires_at (refresh exp claim) after expires_at, got ${session.refresh_expires_at}`);
  assert.equal(session.isexpired(now), false, `${what}: isexpired(now)`);
  if (created !== undefined) assert.equal(session.created, created, `${what}: created`);
  if (vars !== undefined) assert.deepEqual(session.vars, vars, `${what}: vars (vrs claim)`);
}

/** A new account through authenticateDevice (no username: the server picks one). */
async function newUser(label, username) {
  const deviceId = `compat-${run}-${label}`;
  const session = await client.authenticateDevice(deviceId, true, username);
  checkSession(session, `authenticateDevice(${label})`, { created: true, username });
  return { label, deviceId, session, id: session.user_id, username: session.username };
}

function checkGroup(g, what, want) {
  assert.match(g.id ?? "", UUID, `${what}: id`);
  for (const [k, v] of Object.entries(want)) {
    assert.deepStrictEqual(g[k], v, `${what}: ${k}`);
  }
  // `open` is a BoolValue wrapper: always present, even when false.
  assert.equal(typeof g.open, "boolean", `${what}: open present as a boolean`);
  assert.equal(typeof g.edge_count, "number", `${what}: edge_count is a number`);
  assert.equal(typeof g.max_count, "number", `${what}: max_count is a JSON number`);
  assert.deepStrictEqual(g.metadata, {}, `${what}: metadata "{}" parsed by the client`);
  assertTimestamp(g.create_time, `${what}: create_time`);
  assertTimestamp(g.update_time, `${what}: update_time`);
}

/** All pages of listGroupUsers, following the cursor. */
async function allGroupUsers(session, groupId, state, limit) {
  const out = [];
  let cursor;
  for (let page = 0; page < 50; page++) {
    const res = await client.listGroupUsers(session, groupId, state, limit, cursor);
    assert.ok(Array.isArray(res.group_users), "listGroupUsers: group_users array");
    if (limit !== undefined) assert.ok(res.group_users.length <= limit, "listGroupUsers: page larger than limit");
    out.push(...res.group_users);
    cursor = res.cursor;
    if (!cursor) return out;
    assert.ok(res.group_users.length > 0, "listGroupUsers: a cursor came with an empty page");
  }
  assert.fail("listGroupUsers: more than 50 pages, cursor does not end");
}

/** [[user id, state], ...] of a group, in the order the server lists them. */
async function members(session, groupId, state) {
  const list = await allGroupUsers(session, groupId, state);
  for (const gu of list) {
    assert.match(gu.user?.id ?? "", UUID, "listGroupUsers: user.id");
    assert.equal(typeof gu.state, "number", "listGroupUsers: state");
  }
  return list.map((gu) => [gu.user.id, gu.state]);
}

/** The group with exactly this name, through listGroups (or undefined). */
async function findGroupByName(session, name) {
  const res = await client.listGroups(session, name, undefined, 100);
  assert.ok(Array.isArray(res.groups), "listGroups: groups array");
  const hits = res.groups.filter((g) => g.name === name);
  assert.ok(hits.length <= 1, `listGroups(${name}): ${hits.length} groups with that name`);
  return hits[0];
}

// ---------------------------------------------------------------------------

flow("authentication and sessions", (step) => {
  let named; // authenticated with a chosen username and vars
  let anon; // authenticated without a username

  step("authenticateDevice creates accounts", async () => {
    const username = `u${run}`;
    const deviceId = `compat-${run}-named`;
    const session = await client.authenticateDevice(deviceId, true, username, { plan: "gold" });
    checkSession(session, "authenticateDevice with username and vars", {
      created: true, username, vars: { plan: "gold" },
    });
    named = { deviceId, session, id: session.user_id, username };

    anon = await newUser("anon");
    assert.match(anon.username, /^[A-Za-z]{10}$/,
      "authenticateDevice without username: the server picks 10 random ASCII letters");
    assert.notEqual(anon.id, named.id, "two devices, two users");
    assert.equal(anon.session.vars, undefined, "no vars: vrs claim omitted");
  });

  step("authenticating the same device again gives created=false and the same account", async () => {
    const again = await client.authenticateDevice(named.deviceId, true, `other${run}`);
    checkSession(again, "second authenticateDevice", { created: false, username: named.username });
    assert.equal(again.user_id, named.id, "second authenticateDevice: same user_id");

    const again2 = await client.authenticateDevice(anon.deviceId);
    checkSession(again2, "authenticateDevice(create omitted) of an existing device", {
      created: false, username: anon.username,
    });
    assert.equal(again2.user_id, anon.id, "same user_id");
  });

  step("authenticateDevice refusals", async () => {
    await expectError(client.authenticateDevice("short"), "authenticateDevice with a 5-byte id",
      400, 3, "Device ID invalid, must be 10-128 bytes.");
    await expectError(client.authenticateDevice(`compat-${run}-nobody`, false),
      "authenticateDevice create=false for an unknown device", 404, 5, "User account not found.");
    await expectError(client.authenticateDevice(`compat-${run}-dupname`, true, named.username),
      "authenticateDevice with a taken username", 409, 6, "Username is already in use.");
    const wrongKey = new Client(`${serverKey}-wrong`, host, port, false);
    await expectError(wrongKey.authenticateDevice(`compat-${run}-wrongkey`),
      "authenticateDevice with a wrong server key", 401, 16, "Server key invalid");
    // The refused calls created nothing.
    await expectError(client.authenticateDevice(`compat-${run}-dupname`, false),
      "the device refused for its taken username was not created", 404, 5, "User account not found.");
  });

  step("getAccount", async () => {
    const account = await client.getAccount(named.session);
    assert.ok(account.user, "getAccount: user");
    assert.equal(account.user.id, named.id, "getAccount: user.id");
    assert.equal(account.user.username, named.username, "getAccount: user.username");
    assert.equal(account.user.lang_tag, "en", "getAccount: user.lang_tag defaults to en");
    assert.equal(account.user.metadata, "{}", "getAccount: user.metadata is JSON text, default \"{}\"");
    assert.equal(account.user.online, undefined, "getAccount: online omitted when false");
    assertTimestamp(account.user.create_time, "getAccount: user.create_time");
    assertTimestamp(account.user.update_time, "getAccount: user.update_time");
    assert.deepStrictEqual(account.devices, [{ id: named.deviceId }], "getAccount: devices (vars never returned)");
    assert.equal(account.email, undefined, "getAccount: no email");
    assert.equal(account.custom_id, undefined, "getAccount: no custom_id");
    assert.equal(account.verify_time, undefined, "getAccount: verify_time omitted");
    assert.equal(account.disable_time, undefined, "getAccount: disable_time omitted");
    if (account.wallet !== undefined) {
      assert.equal(typeof account.wallet, "string", "getAccount: wallet is JSON text");
      assert.equal(typeof JSON.parse(account.wallet), "object", "getAccount: wallet parses to an object");
    }
  });

  step("sessionRefresh", async () => {
    const before = { expires_at: named.session.expires_at, refresh: named.session.refresh_token };
    const refreshed = await client.sessionRefresh(named.session);
    assert.equal(refreshed, named.session, "sessionRefresh updates the session in place");
    checkSession(refreshed, "sessionRefresh", {
      created: true, username: named.username, vars: { plan: "gold" },
    });
    assert.equal(refreshed.user_id, named.id, "sessionRefresh: user_id");
    assert.ok(refreshed.expires_at >= before.expires_at, "sessionRefresh: expires_at does not go back");
    assert.ok(refreshed.refresh_token.length > 0, "sessionRefresh: refresh_token");

    // The refreshed token works, with and without the client's automatic refresh.
    const account = await plainClient.getAccount(refreshed);
    assert.equal(account.user.id, named.id, "getAccount with the refreshed token");

    // vars sent with a refresh replace the session's vars.
    const other = await client.sessionRefresh(anon.session, { mode: "x" });
    checkSession(other, "sessionRefresh with vars", { username: anon.username, vars: { mode: "x" } });
  });

  step("sessionLogout revokes the session: the old session then gets 401", async () => {
    const { token, refresh_token: refreshToken } = named.session;
    const ok = await client.sessionLogout(named.session, token, refreshToken);
    assert.equal(ok, true, "sessionLogout resolves true");
    // The Bearer token by itself.
    await expectError(plainClient.getAccount(named.session), "getAccount with a logged-out token",
      401, 16, "Auth token invalid");
    // What a game sees: its client (auto refresh on) fails with 401 either way
    // (the refresh token is revoked too).
    await expectError(client.getAccount(named.session), "getAccount with a logged-out session (auto refresh)",
      401, 16);
    await expectError(client.sessionRefresh(named.session), "sessionRefresh with a logged-out refresh token",
      401, 16, "Refresh token invalid or expired.");
    // Logging out one session leaves the account usable: a new login works.
    const fresh = await client.authenticateDevice(named.deviceId);
    checkSession(fresh, "authenticateDevice after logout", { created: false, username: named.username });
    assert.equal((await client.getAccount(fresh)).user.id, named.id, "getAccount after logging in again");
  });
});

// ---------------------------------------------------------------------------

flow("groups: create and list", (step) => {
  let owner;
  let other;
  let openGroup;
  let closedGroup;
  const prefix = `ghl${run}-`;
  const listed = []; // groups whose names start with `prefix`

  step("set up users", async () => {
    owner = await newUser("list-owner");
    other = await newUser("list-other");
  });

  step("createGroup (open, every field)", async () => {
    const req = {
      name: `${prefix}open`,
      description: "An open group",
      lang_tag: "fr",
      avatar_url: "https://example.com/a.png",
      open: true,
      max_count: 10,
    };
    openGroup = await client.createGroup(owner.session, req);
    checkGroup(openGroup, "createGroup(open)", {
      name: req.name,
      description: req.description,
      lang_tag: "fr",
      avatar_url: req.avatar_url,
      creator_id: owner.id,
      open: true,
      edge_count: 1,
      max_count: 10,
    });
    listed.push(openGroup);
  });

  step("createGroup (closed, defaults)", async () => {
    closedGroup = await client.createGroup(owner.session, { name: `${prefix}closed`, open: false });
    checkGroup(closedGroup, "createGroup(closed)", {
      name: `${prefix}closed`,
      creator_id: owner.id,
      open: false,
      edge_count: 1,
      max_count: 100, // absent max_count means 100
      lang_tag: "en", // absent lang_tag means en
      description: undefined, // empty strings are omitted
      avatar_url: undefined,
    });
    listed.push(closedGroup);

    // `open` left out entirely: a closed group.
    const g = await client.createGroup(other.session, { name: `${prefix}default` });
    checkGroup(g, "createGroup(name only)", { open: false, edge_count: 1, max_count: 100, creator_id: other.id });
    listed.push(g);
  });

  step("createGroup refusals", async () => {
    await expectError(client.createGroup(other.session, { name: `${prefix}open`, open: true }),
      "createGroup with a taken name", 409, 6, "Group name is in use.");
    await expectError(client.createGroup(other.session, { open: true }),
      "createGroup without a name", 400, 3, "Group name must be set.");
    // The refused create left nothing behind.
    const found = await findGroupByName(other.session, `${prefix}open`);
    assert.equal(found?.id, openGroup.id, "listGroups after the refused create: still the original group");
    assert.equal(found.creator_id, owner.id, "listGroups after the refused create: creator unchanged");
  });

  step("listGroups pages through a name prefix with a cursor", async () => {
    for (const suffix of ["p1", "p2", "p3"]) {
      listed.push(await client.createGroup(other.session, { name: `${prefix}${suffix}`, open: true }));
    }
    // 6 groups, limit 4: pages of 4 and 2; limit 2: pages of 2, 2, 2; limit 6: one page.
    const want = listed.map((g) => g.name).sort();
    for (const limit of [4, 2, 6, 100]) {
      const seen = [];
      let cursor;
      let pages = 0;
      do {
        const res = await client.listGroups(other.session, `${prefix}%`, cursor, limit);
        pages++;
        assert.ok(pages <= 20, `listGroups(limit ${limit}): the cursor never ends`);
        assert.ok(Array.isArray(res.groups), "listGroups: groups");
        assert.ok(res.groups.length <= limit, `listGroups(limit ${limit}): page of ${res.groups.length}`);
        if (res.cursor) assert.equal(typeof res.cursor, "string", "listGroups: cursor is a string");
        if (res.cursor) assert.ok(res.groups.length > 0, `listGroups(limit ${limit}): cursor with an empty page`);
        seen.push(...res.groups);
        cursor = res.cursor;
      } while (cursor);
      const names = seen.map((g) => g.name);
      assert.deepStrictEqual(names, want,
        `listGroups("${prefix}%", limit ${limit}): every group exactly once, by name ascending`);
      assert.equal(pages, Math.max(1, Math.ceil(want.length / limit)),
        `listGroups(limit ${limit}): a cursor only when another page exists`);
      for (const g of seen) {
        const created = listed.find((c) => c.id === g.id);
        assert.ok(created, `listGroups: unexpected group ${g.id}`);
        checkGroup(g, `listGroups item ${g.name}`, {
          name: created.name,
          creator_id: created.creator_id,
          open: created.open,
          edge_count: 1,
          max_count: created.max_count,
          lang_tag: created.lang_tag,
          description: created.description,
          avatar_url: created.avatar_url,
          create_time: created.create_time,
        });
      }
    }
  });

  step("listGroups name filter: exact match is case-insensitive, no match is empty", async () => {
    const exact = await client.listGroups(other.session, `${prefix}P1`, undefined, 10);
    assert.deepStrictEqual(exact.groups.map((g) => g.name), [`${prefix}p1`],
      "listGroups with an exact name in another case");
    const none = await client.listGroups(other.session, `${prefix}nothing`, undefined, 10);
    assert.deepStrictEqual(none.groups, [], "listGroups with an unknown name: no groups");
    assert.equal(none.cursor, undefined, "listGroups with an unknown name: no cursor");
  });
});

// ---------------------------------------------------------------------------

flow("membership", (step) => {
  let owner, alice, bob, carol, dave;
  let openG, closedG;

  step("set up users and groups", async () => {
    owner = await newUser("m-owner");
    alice = await newUser("m-alice");
    bob = await newUser("m-bob");
    carol = await newUser("m-carol");
    dave = await newUser("m-dave");
    openG = await client.createGroup(owner.session, { name: `ghm${run}-open`, open: true, max_count: 10 });
    closedG = await client.createGroup(owner.session, { name: `ghm${run}-closed`, open: false, max_count: 10 });
    assert.deepStrictEqual(await members(alice.session, openG.id), [[owner.id, STATE.SUPERADMIN]],
      "a new group lists its creator as superadmin (state 0)");
  });

  step("joinGroup on an open group makes a member (state 2)", async () => {
    assert.equal(await client.joinGroup(alice.session, openG.id), true, "joinGroup resolves true");
    assert.deepStrictEqual(await members(owner.session, openG.id),
      [[owner.id, STATE.SUPERADMIN], [alice.id, STATE.MEMBER]], "listGroupUsers after join");
    const list = await allGroupUsers(owner.session, openG.id);
    const a = list.find((gu) => gu.user.id === alice.id);
    assert.equal(a.user.username, alice.username, "listGroupUsers: user.username");
    assert.equal(a.user.lang_tag, "en", "listGroupUsers: user.lang_tag");
    assert.deepStrictEqual(a.user.metadata, {}, "listGroupUsers: user.metadata parsed");
    assertTimestamp(a.user.create_time, "listGroupUsers: user.create_time");
    assertTimestamp(a.user.update_time, "listGroupUsers: user.update_time");
    const g = await findGroupByName(alice.session, openG.name);
    assert.equal(g.edge_count, 2, "edge_count after a join");
    // Joining again is a no-op.
    assert.equal(await client.joinGroup(alice.session, openG.id), true, "a member's second join resolves");
    assert.equal((await findGroupByName(alice.session, openG.name)).edge_count, 2, "edge_count after a repeated join");
  });

  step("joinGroup on a closed group makes a join request (state 3)", async () => {
    assert.equal(await client.joinGroup(bob.session, closedG.id), true, "joinGroup(closed) resolves true");
    assert.deepStrictEqual(await members(owner.session, closedG.id),
      [[owner.id, STATE.SUPERADMIN], [bob.id, STATE.JOIN_REQUEST]], "listGroupUsers after a join request");
    assert.deepStrictEqual(await members(owner.session, closedG.id, STATE.JOIN_REQUEST),
      [[bob.id, STATE.JOIN_REQUEST]], "listGroupUsers(state 3)");
    assert.equal((await findGroupByName(owner.session, closedG.name)).edge_count, 1,
      "a join request does not count in edge_count");
  });

  step("the owner accepts the request with addGroupUsers (state 2)", async () => {
    assert.equal(await client.addGroupUsers(owner.session, closedG.id, [bob.id]), true, "addGroupUsers resolves true");
    assert.deepStrictEqual(await members(owner.session, closedG.id),
      [[owner.id, STATE.SUPERADMIN], [bob.id, STATE.MEMBER]], "listGroupUsers after accepting");
    assert.equal((await findGroupByName(owner.session, closedG.name)).edge_count, 2, "edge_count after accepting");
  });

  step("promoteGroupUsers makes an admin (state 1)", async () => {
    const res = await client.promoteGroupUsers(owner.session, openG.id, [alice.id]);
    // nakama-js resolves promoteGroupUsers to the response body itself.
    assert.deepStrictEqual(res, {}, "promoteGroupUsers resolves to the body {}");
    assert.deepStrictEqual(await members(owner.session, openG.id),
      [[owner.id, STATE.SUPERADMIN], [alice.id, STATE.ADMIN]], "listGroupUsers after promote");
  });

  step("a plain member may not kick: 404 code 5", async () => {
    assert.equal(await client.joinGroup(bob.session, openG.id), true, "bob joins the open group");
    await expectError(client.kickGroupUsers(bob.session, openG.id, [alice.id]),
      "kickGroupUsers by a plain member", 404, 5, "Group not found or permission denied.");
    await expectError(client.banGroupUsers(dave.session, openG.id, [bob.id]),
      "banGroupUsers by a non-member", 404, 5, "Group not found or permission denied.");
    assert.deepStrictEqual(await members(owner.session, openG.id),
      [[owner.id, STATE.SUPERADMIN], [alice.id, STATE.ADMIN], [bob.id, STATE.MEMBER]],
      "nothing changed after the refused kick and ban");
  });

  step("kickGroupUsers removes a member", async () => {
    assert.equal(await client.kickGroupUsers(alice.session, openG.id, [bob.id]), true, "kick by an admin resolves true");
    assert.deepStrictEqual(await members(owner.session, openG.id),
      [[owner.id, STATE.SUPERADMIN], [alice.id, STATE.ADMIN]], "listGroupUsers after kick");
    assert.equal((await findGroupByName(owner.session, openG.name)).edge_count, 2, "edge_count after kick");
  });

  step("banGroupUsers bans a member (state 4, listed only with state 4)", async () => {
    assert.equal(await client.joinGroup(carol.session, openG.id), true, "carol joins");
    assert.equal((await findGroupByName(owner.session, openG.name)).edge_count, 3, "edge_count after carol joins");
    assert.equal(await client.banGroupUsers(owner.session, openG.id, [carol.id]), true, "banGroupUsers resolves true");
    assert.deepStrictEqual(await members(owner.session, openG.id),
      [[owner.id, STATE.SUPERADMIN], [alice.id, STATE.ADMIN]], "listGroupUsers without state hides bans");
    assert.deepStrictEqual(await members(dave.session, openG.id, STATE.BANNED),
      [[carol.id, STATE.BANNED]], "listGroupUsers(state 4) shows the ban, to anyone");
    assert.equal((await findGroupByName(owner.session, openG.name)).edge_count, 2, "edge_count after ban");
  });

  step("a banned user's join does not make them a member", async () => {
    // Nakama: join by a user in any state (banned included) is a no-op answered 200.
    assert.equal(await client.joinGroup(carol.session, openG.id), true, "a banned user's join resolves (no-op)");
    assert.deepStrictEqual(await members(owner.session, openG.id),
      [[owner.id, STATE.SUPERADMIN], [alice.id, STATE.ADMIN]], "still not a member");
    assert.deepStrictEqual(await members(owner.session, openG.id, STATE.BANNED),
      [[carol.id, STATE.BANNED]], "still banned");
    assert.equal((await findGroupByName(owner.session, openG.name)).edge_count, 2, "edge_count unchanged");
  });

  step("leaveGroup", async () => {
    assert.equal(await client.leaveGroup(alice.session, openG.id), true, "leaveGroup resolves true");
    assert.deepStrictEqual(await members(owner.session, openG.id),
      [[owner.id, STATE.SUPERADMIN]], "listGroupUsers after leave");
    assert.equal((await findGroupByName(owner.session, openG.name)).edge_count, 1, "edge_count after leave");
  });

  step("listGroupUsers pages with a cursor", async () => {
    for (const u of [alice, bob, dave]) {
      assert.equal(await client.joinGroup(u.session, openG.id), true, `${u.label} joins`);
    }
    const all = await members(owner.session, openG.id);
    assert.deepStrictEqual(all, [[owner.id, 0], [alice.id, 2], [bob.id, 2], [dave.id, 2]],
      "members by state, then join order");
    const paged = (await allGroupUsers(owner.session, openG.id, undefined, 1)).map((gu) => [gu.user.id, gu.state]);
    assert.deepStrictEqual(paged, all, "listGroupUsers(limit 1) followed through its cursor");
    const pagedMembers = (await allGroupUsers(owner.session, openG.id, STATE.MEMBER, 2)).map((gu) => gu.user.id);
    assert.deepStrictEqual(pagedMembers, [alice.id, bob.id, dave.id], "listGroupUsers(state 2, limit 2) paged");
  });

  step("listUserGroups (state and limit left undefined: nakama-js swaps them)", async () => {
    // nakama-js 2.8.0 Client.listUserGroups(session, userId, state, limit, cursor)
    // sends `state` as the `limit` query parameter and `limit` as `state`. Calls with
    // both left undefined are correct; to filter by state you must pass the state
    // in the *limit* position (and a limit in the state position).
    const ownerGroups = await client.listUserGroups(owner.session, owner.id);
    assert.ok(Array.isArray(ownerGroups.user_groups), "listUserGroups: user_groups");
    assert.equal(ownerGroups.cursor, undefined, "listUserGroups: no cursor on the only page");
    const byId = new Map(ownerGroups.user_groups.map((ug) => [ug.group.id, ug]));
    assert.equal(byId.size, 2, "listUserGroups(owner): two groups");
    for (const g of [openG, closedG]) {
      const ug = byId.get(g.id);
      assert.ok(ug, `listUserGroups(owner) lists ${g.name}`);
      assert.equal(ug.state, STATE.SUPERADMIN, `listUserGroups(owner) state in ${g.name}`);
      checkGroup(ug.group, `listUserGroups group ${g.name}`, {
        name: g.name, creator_id: owner.id, open: g.open, max_count: 10, create_time: g.create_time,
      });
    }
    assert.equal(byId.get(openG.id).group.edge_count, 4, "listUserGroups: edge_count of the open group");
    assert.equal(byId.get(closedG.id).group.edge_count, 2, "listUserGroups: edge_count of the closed group");

    // Another user's groups, seen by someone else (no membership needed).
    const bobs = await client.listUserGroups(dave.session, bob.id);
    assert.deepStrictEqual(
      bobs.user_groups.map((ug) => [ug.group.id, ug.state]).sort(),
      [[closedG.id, STATE.MEMBER], [openG.id, STATE.MEMBER]].sort(),
      "listUserGroups(bob)");

    // A user's own groups never show a ban (Nakama keeps it only as the group's
    // edge to the user), not even with state=4: state goes in the `limit` slot
    // (bug), and 100 in the `state` slot becomes the limit.
    const carols = await client.listUserGroups(carol.session, carol.id);
    assert.deepStrictEqual(carols.user_groups, [], "listUserGroups(carol) hides her ban");
    const carolBans = await client.listUserGroups(carol.session, carol.id, /* sent as limit */ 100, /* sent as state */ STATE.BANNED);
    assert.deepStrictEqual(carolBans.user_groups, [], "listUserGroups with state 4 (passed in the limit position) hides it too");

    // The natural call (state undefined, limit 20) sends state=20: Nakama answers 400.
    await expectError(client.listUserGroups(owner.session, owner.id, undefined, 20),
      "listUserGroups(session, id, undefined, 20), i.e. ?state=20", 400, 3,
      "Invalid state - state must be between 0 and 4.");
  });
});

// ---------------------------------------------------------------------------

flow("update and delete", (step) => {
  let owner, member, outsider;
  let group;

  step("set up", async () => {
    owner = await newUser("u-owner");
    member = await newUser("u-member");
    outsider = await newUser("u-outsider");
    group = await client.createGroup(owner.session, { name: `ghu${run}-grp`, description: "before", open: true });
    checkGroup(group, "createGroup", { description: "before", open: true, edge_count: 1 });
    assert.equal(await client.joinGroup(member.session, group.id), true, "member joins");
  });

  step("updateGroup: a description change is visible in listGroups", async () => {
    const ok = await client.updateGroup(owner.session, group.id, { description: "after" });
    assert.equal(ok, true, "updateGroup resolves true");
    const g = await findGroupByName(member.session, group.name);
    assert.ok(g, "listGroups finds the updated group");
    checkGroup(g, "listGroups after updateGroup", {
      id: group.id,
      name: group.name,
      description: "after",
      open: true,
      edge_count: 2,
      max_count: 100,
      creator_id: owner.id,
      create_time: group.create_time,
    });
  });

  step("updateGroup by a plain member or a non-member: 404 code 5", async () => {
    await expectError(client.updateGroup(member.session, group.id, { description: "member" }),
      "updateGroup by a plain member", 404, 5, "Group not found or you're not allowed to update.");
    await expectError(client.updateGroup(outsider.session, group.id, { description: "outsider" }),
      "updateGroup by a non-member", 404, 5, "Group not found or you're not allowed to update.");
    assert.equal((await findGroupByName(owner.session, group.name)).description, "after", "description unchanged");
  });

  step("updateGroup: name and open", async () => {
    const newName = `ghu${run}-renamed`;
    assert.equal(await client.updateGroup(owner.session, group.id, { name: newName, open: false }), true,
      "updateGroup(name, open) resolves true");
    assert.equal(await findGroupByName(owner.session, group.name), undefined, "the old name is gone");
    const g = await findGroupByName(owner.session, newName);
    assert.equal(g?.id, group.id, "listGroups finds the group under its new name");
    assert.equal(g.open, false, "open is now false (and present)");
    assert.equal(g.description, "after", "description kept");
    group = g;
  });

  step("deleteGroup: the group disappears", async () => {
    assert.equal(await client.deleteGroup(owner.session, group.id), true, "deleteGroup resolves true");
    assert.equal(await findGroupByName(owner.session, group.name), undefined, "listGroups no longer finds it");
    const mine = await client.listUserGroups(member.session, member.id);
    assert.ok(!mine.user_groups.some((ug) => ug.group.id === group.id), "listUserGroups no longer lists it");
    const users = await client.listGroupUsers(owner.session, group.id);
    assert.deepStrictEqual(users.group_users, [], "listGroupUsers of a deleted group: empty");
    await expectError(client.joinGroup(member.session, group.id), "joinGroup on a deleted group",
      404, 5, "Group not found.");
    // The name is free again at once.
    const again = await client.createGroup(outsider.session, { name: group.name });
    checkGroup(again, "createGroup reusing the deleted group's name", { name: group.name, creator_id: outsider.id });
    assert.notEqual(again.id, group.id, "a new id");
  });
});

// ---------------------------------------------------------------------------

flow("profiles: updateAccount and getUsers", (step) => {
  let a, b, group;
  const displayName = `Disp ${run} é`;

  step("set up", async () => {
    a = await newUser("p-a");
    b = await newUser("p-b");
    group = await client.createGroup(a.session, { name: `ghp${run}-grp`, open: true });
    assert.equal(await client.joinGroup(b.session, group.id), true, "b joins");
  });

  step("updateAccount resolves true and getAccount shows the change", async () => {
    const ok = await client.updateAccount(a.session, {
      display_name: displayName, avatar_url: "https://example.com/a.png", lang_tag: "fr",
      location: "Paris", timezone: "Europe/Paris",
    });
    assert.equal(ok, true, "updateAccount resolves true");
    const acct = await client.getAccount(a.session);
    assert.equal(acct.user.display_name, displayName, "getAccount: display_name");
    assert.equal(acct.user.lang_tag, "fr", "getAccount: lang_tag");
    assert.equal(acct.user.timezone, "Europe/Paris", "getAccount: timezone");
  });

  step("getUsers by id and by username", async () => {
    const res = await client.getUsers(b.session, [a.id], [b.username]);
    assert.equal(res.users.length, 2, "getUsers: two users");
    const ua = res.users.find((u) => u.id === a.id);
    const ub = res.users.find((u) => u.id === b.id);
    assert.ok(ua && ub, "getUsers: both users");
    assert.equal(ua.display_name, displayName, "getUsers: display_name");
    assert.equal(ua.location, "Paris", "getUsers: location");
    assert.deepStrictEqual(ua.metadata, {}, "getUsers: metadata parsed");
    assertTimestamp(ua.create_time, "getUsers: create_time");
    assert.equal(ub.username, b.username, "getUsers: username");
    const none = await client.getUsers(b.session, [], []);
    assert.deepStrictEqual(none.users, [], "getUsers with nothing asked: empty");
  });

  step("the member listing shows the display name", async () => {
    const list = await allGroupUsers(b.session, group.id);
    const owner = list.find((gu) => gu.user.id === a.id);
    assert.equal(owner?.user.display_name, displayName, "listGroupUsers: display_name");
  });

  step("updateAccount refusals", async () => {
    await expectError(client.updateAccount(b.session, { username: a.username }), "updateAccount to a taken username",
      409, 6, "Username is already in use.");
    await expectError(client.updateAccount(b.session, {}), "updateAccount with nothing to update",
      400, 3, "No fields to update.");
    await expectError(client.getUsers(b.session, ["not-a-uuid"]), "getUsers with a malformed id",
      400, 3, "ID 'not-a-uuid' is not a valid system ID.");
  });
});

// ---------------------------------------------------------------------------

/**
 * Collects what a socket hands its callbacks, so a step can wait for one
 * item (within 5 s) and check it.
 */
function inbox() {
  const items = [];
  const waiters = [];
  return {
    push(x) {
      items.push(x);
      for (const w of [...waiters]) w();
    },
    async next(what, pred) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const i = items.findIndex(pred);
        if (i >= 0) return items.splice(i, 1)[0];
        const left = deadline - Date.now();
        if (left <= 0) assert.fail(`${what}: nothing within 5 s (got ${JSON.stringify(items)})`);
        await new Promise((resolve) => {
          const w = () => { clearTimeout(timer); waiters.splice(waiters.indexOf(w), 1); resolve(); };
          const timer = setTimeout(w, left);
          waiters.push(w);
        });
      }
    },
  };
}

/** A connected socket whose notifications and channel messages are collected. */
async function connect(user) {
  const socket = client.createSocket(false, false);
  const notes = inbox();
  const messages = inbox();
  socket.onnotification = (n) => notes.push(n);
  socket.onchannelmessage = (m) => messages.push(m);
  const session = await socket.connect(user.session, false);
  assert.equal(session.user_id, user.id, "socket.connect resolves with the session");
  return { socket, notes, messages };
}

flow("realtime socket: notifications and group chat", (step) => {
  let owner, member, admin, requester;
  let sockets = [];
  let closed, open, channel;

  step("set up users, groups and sockets", async () => {
    owner = await newUser("rt-owner");
    member = await newUser("rt-member");
    admin = await newUser("rt-admin");
    requester = await newUser("rt-requester");
    closed = await client.createGroup(admin.session, { name: `ghrt${run}-closed`, open: false });
    open = await client.createGroup(owner.session, { name: `ghrt${run}-open`, open: true });
    for (const u of [owner, member, admin, requester]) {
      u.rt = await connect(u);
      sockets.push(u.rt.socket);
    }
  });

  step("onnotification: -5 to the admin on a join request, -4 to the requester on the accept", async () => {
    await client.joinGroup(requester.session, closed.id);
    const req = await admin.rt.notes.next("the admin's -5", (n) => n.code === -5);
    assert.match(req.id, UUID, "-5: id");
    assert.equal(req.sender_id, requester.id, "-5: sender_id");
    assert.equal(req.persistent, true, "-5: persistent");
    assert.deepStrictEqual(req.content, { group_id: closed.id, username: requester.username }, "-5: content parsed");
    assertTimestamp(req.create_time, "-5: create_time");
    await client.addGroupUsers(admin.session, closed.id, [requester.id]);
    const add = await requester.rt.notes.next("the requester's -4", (n) => n.code === -4);
    assert.equal(add.sender_id, admin.id, "-4: sender_id");
    assert.deepStrictEqual(add.content, { group_id: closed.id, name: closed.name }, "-4: content parsed");
  });

  step("joinChat(groupId, 3, true, false): members only", async () => {
    channel = await owner.rt.socket.joinChat(open.id, 3, true, false);
    assert.equal(channel.id, `3.${open.id}..`, "channel id");
    assert.equal(channel.group_id, open.id, "channel group_id");
    assert.equal(channel.self.user_id, owner.id, "channel self");
    await assert.rejects(member.rt.socket.joinChat(open.id, 3, true, false),
      (err) => err.code === 3 && err.message === "Group not found: Invalid channel target",
      "a non-member's joinChat rejects with Nakama's error");
    await client.joinGroup(member.session, open.id);
    const joined = await member.rt.socket.joinChat(open.id, 3, true, false);
    assert.equal(joined.id, channel.id, "the member's channel id");
    assert.ok(joined.presences.some((p) => p.user_id === owner.id), "the member sees the owner's presence");
    await owner.rt.messages.next("the join event message", (m) => m.code === 3 && m.sender_id === member.id);
  });

  step("writeChatMessage and onchannelmessage", async () => {
    const ack = await member.rt.socket.writeChatMessage(channel.id, { text: "hello" });
    assert.match(ack.message_id, UUID, "ack: message_id");
    assert.equal(ack.channel_id, channel.id, "ack: channel_id");
    const got = await owner.rt.messages.next("the member's message", (m) => m.message_id === ack.message_id);
    assert.deepStrictEqual(got.content, { text: "hello" }, "message content parsed");
    assert.equal(got.sender_id, member.id, "message sender_id");
    assert.equal(got.username, member.username, "message username");
    assert.equal(got.code, 0, "message code");
    assert.equal(got.group_id, open.id, "message group_id");
  });

  step("a kick writes its event message, then listChannelMessages has join, message, kick in order", async () => {
    await client.kickGroupUsers(owner.session, open.id, [member.id]);
    const kick = await member.rt.messages.next("the kick event message", (m) => m.code === 6);
    assert.equal(kick.sender_id, member.id, "kick message: the kicked user is the sender");
    const list = await client.listChannelMessages(owner.session, channel.id, 100, true);
    assert.deepStrictEqual(list.messages.map((m) => [m.code, m.sender_id]),
      [[3, member.id], [0, member.id], [6, member.id]], "history: join, message, kick");
    assert.deepStrictEqual(list.messages[1].content, { text: "hello" }, "history content parsed");
    const first = await client.listChannelMessages(owner.session, channel.id);
    assert.equal(first.messages.length, 1, "listChannelMessages default limit is 1");
    assert.ok(first.next_cursor, "a next_cursor when more rows exist");
  });

  step("disconnect", async () => {
    for (const s of sockets) s.disconnect(false);
    sockets = [];
  });
});

// ---------------------------------------------------------------------------

describe("error messages match Nakama's", () => {
  // Runs last (node:test runs top-level suites in order).
  it("every refusal above carried Nakama's message text", () => {
    assert.deepStrictEqual(messageMismatches, [], `message mismatches:\n  ${messageMismatches.join("\n  ")}`);
  });
});
