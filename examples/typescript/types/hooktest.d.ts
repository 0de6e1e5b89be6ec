// Types of the module test API of `guildhall hooks test` (README
// "Testing modules"). Answers are the REST API's JSON (snake_case, metadata
// as JSON text).

/** Registers a test; each test gets a fresh database and freshly loaded modules. */
declare function test(name: string, fn: (t: hooktest.T) => void): void;
/** Names the module files (or one directory) this file tests, relative to it; default: its directory. */
declare function modules(...paths: string[]): void;

declare namespace hooktest {
  type Json = { [key: string]: any };
  /** A group object (its id is used) or a group id. */
  type Group = Json | string;
  /** A user handle or object (its id is used), a user id, or a list of them. */
  type Users = User | Json | string | (User | Json | string)[];
  type Query = { [key: string]: string | number | boolean };

  /** A user in answers, as on the wire. */
  interface WireUser { id: string; username: string; [field: string]: any }
  interface GroupUserList { group_users?: { user: WireUser; state?: number }[]; cursor?: string }
  interface UserGroupList { user_groups?: { group: Json; state?: number }[]; cursor?: string }
  interface GroupList { groups?: Json[]; cursor?: string }

  /** What a refused call throws. */
  interface Refusal extends Error {
    code: number;
    status: number;
    message: string;
  }

  /** A client logged in as one user: every call goes through the HTTP handlers, so hooks run. */
  interface User {
    id: string;
    username: string;
    token: string;
    /** metadata may be given as an object. */
    create(group: Json): Json;
    update(group: Group, fields: Json): Json;
    delete(group: Group): Json;
    join(group: Group): Json;
    leave(group: Group): Json;
    add(group: Group, users: Users): Json;
    kick(group: Group, users: Users): Json;
    ban(group: Group, users: Users): Json;
    unban(group: Group, users: Users): Json;
    promote(group: Group, users: Users): Json;
    demote(group: Group, users: Users): Json;
    listGroups(query?: Query): GroupList;
    listGroupUsers(group: Group, query?: Query): GroupUserList;
    /** Default: this user's groups. */
    listUserGroups(user?: User | string | null, query?: Query): UserGroupList;
    account(): { user: WireUser; [field: string]: any };
    /** Returns the RPC's payload; an object payload is sent as JSON. */
    rpc(id: string, payload?: string | Json): string;
    call(method: string, path: string, body?: Json | string): any;
  }

  /** The server-to-server API (http key): no client hooks run. */
  interface Server {
    createGroup(owner: User | string, group: Json): Json;
    getGroup(group: Group): Json;
    updateGroup(group: Group, fields: Json): Json;
    deleteGroup(group: Group): Json;
    add(group: Group, users: Users): Json;
    kick(group: Group, users: Users): Json;
    ban(group: Group, users: Users): Json;
    unban(group: Group, users: Users): Json;
    promote(group: Group, users: Users): Json;
    demote(group: Group, users: Users): Json;
    rpc(id: string, payload?: string | Json): string;
    call(method: string, path: string, body?: Json | string): any;
  }

  interface T {
    name: string;
    /** The same name is the same user within a test. */
    user(name: string): User;
    server: Server;
    /** Deep equality (as JSON); records a failure and goes on. */
    equal(got: unknown, want: unknown, note?: string): boolean;
    ok(value: unknown, note?: string): boolean;
    fail(message?: string): void;
    /** fn must throw a refusal with this code (else the test stops, failed); returns it. */
    refused(code: number, fn: () => unknown, note?: string): Refusal;
    log(...values: unknown[]): void;
  }
}
