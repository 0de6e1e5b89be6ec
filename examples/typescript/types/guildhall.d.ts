// Types of Guildhall's JavaScript module API (modules/README.md): the ctx,
// logger and nk a hook or RPC gets, the initializer InitModule gets, and the
// payloads of every hook point. Written for Guildhall; field names and
// argument orders are Nakama's, so the shapes match Nakama's own where both
// have them.

declare namespace guildhall {
  type StringMap = { [key: string]: string };

  interface Context {
    env: StringMap;
    executionMode: 'init' | 'before' | 'after' | 'rpc';
    node: string;
    version: string;
    /** With a session only. */
    userId?: string;
    username?: string;
    vars?: StringMap;
    userSessionExp?: number;
    clientIp?: string;
    clientPort?: string;
    /** In RPCs only. */
    headers?: { [key: string]: string[] };
    queryParams?: { [key: string]: string[] };
  }

  interface Logger {
    /** Go printf verbs: %s, %d, %v. */
    debug(format: string, ...args: unknown[]): void;
    info(format: string, ...args: unknown[]): void;
    warn(format: string, ...args: unknown[]): void;
    error(format: string, ...args: unknown[]): void;
    withField(key: string, value: unknown): Logger;
    withFields(fields: { [key: string]: unknown }): Logger;
    getFields(): { [key: string]: unknown };
  }

  /** A group as nk returns it (metadata an object, times in unix seconds). */
  interface Group {
    id: string;
    creatorId: string;
    name: string;
    description: string;
    avatarUrl: string;
    langTag: string;
    metadata: { [key: string]: unknown };
    open: boolean;
    edgeCount: number;
    maxCount: number;
    createTime: number;
    updateTime: number;
  }

  /** A user in nk.groupUsersList. */
  interface User {
    userId: string;
    username: string;
    displayName?: string;
    avatarUrl?: string;
    langTag?: string;
    [field: string]: unknown;
  }

  /** Membership states: 0 superadmin, 1 admin, 2 member, 3 join request, 4 banned. */
  type State = 0 | 1 | 2 | 3 | 4;

  interface NotificationRequest {
    userId: string;
    subject: string;
    content: { [key: string]: unknown };
    code: number;
    senderId?: string;
    persistent?: boolean;
  }

  /** nk: they act on the groups service directly (no client hooks) and throw a CodedError on failure. */
  interface Nakama {
    groupCreate(userId: string, name: string, creatorId?: string | null, langTag?: string | null,
      description?: string | null, avatarUrl?: string | null, open?: boolean | null,
      metadata?: { [key: string]: unknown } | null, maxCount?: number | null): Group;
    /** null/missing leaves a field unchanged; a null userId acts as the server. */
    groupUpdate(groupId: string, userId: string | null, name?: string | null, creatorId?: string | null,
      langTag?: string | null, description?: string | null, avatarUrl?: string | null, open?: boolean | null,
      metadata?: { [key: string]: unknown } | null, maxCount?: number | null): void;
    groupDelete(groupId: string): void;
    /** Unknown ids are left out. */
    groupsGetId(groupIds: string[]): Group[];
    groupsList(name?: string | null, langTag?: string | null, open?: boolean | null, members?: number | null,
      limit?: number | null, cursor?: string | null): { groups: Group[]; cursor: string | null };
    groupUsersList(groupId: string, limit?: number | null, state?: State | null, cursor?: string | null):
      { groupUsers: { user: User; state: State }[]; cursor: string | null };
    userGroupsList(userId: string, limit?: number | null, state?: State | null, cursor?: string | null):
      { userGroups: { group: Group; state: State }[]; cursor: string | null };
    groupUserJoin(groupId: string, userId: string, username: string): void;
    groupUserLeave(groupId: string, userId: string, username: string): void;
    /** No callerId: the server. */
    groupUsersAdd(groupId: string, userIds: string[], callerId?: string | null): void;
    groupUsersKick(groupId: string, userIds: string[], callerId?: string | null): void;
    groupUsersBan(groupId: string, userIds: string[], callerId?: string | null): void;
    groupUsersUnban(groupId: string, userIds: string[], callerId?: string | null): void;
    groupUsersPromote(groupId: string, userIds: string[], callerId?: string | null): void;
    groupUsersDemote(groupId: string, userIds: string[], callerId?: string | null): void;
    notificationSend(userId: string, subject: string, content: { [key: string]: unknown }, code: number,
      senderId?: string | null, persistent?: boolean): void;
    /** A bad entry stores nothing. */
    notificationsSend(notifications: NotificationRequest[]): void;
    event(name: string, properties?: StringMap, timestamp?: number | Date, external?: boolean): void;
    base64Encode(s: string, padding?: boolean): string;
    base64Decode(s: string, padding?: boolean): string;
    base64UrlEncode(s: string, padding?: boolean): string;
    base64UrlDecode(s: string, padding?: boolean): string;
    uuidv4(): string;
  }

  /** What to throw to answer with a code: 400 {"code":3,"message":"…"}. nk throws these too. */
  interface CodedError {
    code: number;
    message: string;
  }

  // Before hook payloads: every field present, unset optional fields null.
  interface GroupRequest { groupId: string }
  interface GroupUsersRequest { groupId: string; userIds: string[] }
  interface CreateGroupRequest {
    name: string; description: string | null; langTag: string | null; avatarUrl: string | null;
    open: boolean | null; maxCount: number | null;
  }
  interface UpdateGroupRequest {
    groupId: string; name: string | null; description: string | null; langTag: string | null;
    avatarUrl: string | null; open: boolean | null;
  }
  interface ListGroupsRequest {
    name: string | null; cursor: string | null; limit: number | null; langTag: string | null;
    members: number | null; open: boolean | null;
  }
  interface ListGroupUsersRequest { groupId: string; limit: number | null; state: State | null; cursor: string | null }
  interface ListUserGroupsRequest { userId: string; limit: number | null; state: State | null; cursor: string | null }
  interface AuthenticateRequest {
    account: { id?: string; email?: string; password?: string; vars?: StringMap | null };
    create: boolean | null;
    username: string | null;
  }
  interface SessionRefreshRequest { token: string; vars: StringMap | null }

  // After hook responses, as on the wire: metadata is JSON text, times are RFC 3339.
  interface WireGroup {
    id: string; creator_id?: string; name: string; description?: string; lang_tag?: string;
    metadata?: string; avatar_url?: string; open?: boolean; edge_count?: number; max_count?: number;
    create_time?: string; update_time?: string;
    [field: string]: unknown;
  }
  interface GroupList { groups?: WireGroup[]; cursor?: string }
  interface GroupUserList { group_users?: { user: { [field: string]: unknown }; state?: State }[]; cursor?: string }
  interface UserGroupList { user_groups?: { group: WireGroup; state?: State }[]; cursor?: string }
  interface Session { token: string; refresh_token: string; created?: boolean }

  /** Return data (changed or not) to go on; null or nothing refuses with 404 code 5. */
  type BeforeHook<T> = (ctx: Context, logger: Logger, nk: Nakama, data: T) => T | null | void;
  /** Runs after the call succeeded; for the three listings it may return out narrowed. */
  type AfterHook<Out, In> = (ctx: Context, logger: Logger, nk: Nakama, out: Out, input: In) => Out | null | void;
  /** Returns the response payload (a string) or nothing. */
  type RpcFunction = (ctx: Context, logger: Logger, nk: Nakama, payload: string) => string | void;

  /**
   * InitModule's initializer. Registered functions must be top-level
   * functions (declarations or var), passed by name: every pooled VM looks
   * them up by their global name.
   */
  interface Initializer {
    registerRpc(id: string, fn: RpcFunction): void;
    registerBeforeCreateGroup(fn: BeforeHook<CreateGroupRequest>): void;
    registerAfterCreateGroup(fn: AfterHook<WireGroup, CreateGroupRequest>): void;
    registerBeforeUpdateGroup(fn: BeforeHook<UpdateGroupRequest>): void;
    registerAfterUpdateGroup(fn: AfterHook<null, UpdateGroupRequest>): void;
    registerBeforeDeleteGroup(fn: BeforeHook<GroupRequest>): void;
    registerAfterDeleteGroup(fn: AfterHook<null, GroupRequest>): void;
    registerBeforeJoinGroup(fn: BeforeHook<GroupRequest>): void;
    registerAfterJoinGroup(fn: AfterHook<null, GroupRequest>): void;
    registerBeforeLeaveGroup(fn: BeforeHook<GroupRequest>): void;
    registerAfterLeaveGroup(fn: AfterHook<null, GroupRequest>): void;
    registerBeforeAddGroupUsers(fn: BeforeHook<GroupUsersRequest>): void;
    registerAfterAddGroupUsers(fn: AfterHook<null, GroupUsersRequest>): void;
    registerBeforeKickGroupUsers(fn: BeforeHook<GroupUsersRequest>): void;
    registerAfterKickGroupUsers(fn: AfterHook<null, GroupUsersRequest>): void;
    registerBeforeBanGroupUsers(fn: BeforeHook<GroupUsersRequest>): void;
    registerAfterBanGroupUsers(fn: AfterHook<null, GroupUsersRequest>): void;
    registerBeforeUnbanGroupUsers(fn: BeforeHook<GroupUsersRequest>): void;
    registerAfterUnbanGroupUsers(fn: AfterHook<null, GroupUsersRequest>): void;
    registerBeforePromoteGroupUsers(fn: BeforeHook<GroupUsersRequest>): void;
    registerAfterPromoteGroupUsers(fn: AfterHook<null, GroupUsersRequest>): void;
    registerBeforeDemoteGroupUsers(fn: BeforeHook<GroupUsersRequest>): void;
    registerAfterDemoteGroupUsers(fn: AfterHook<null, GroupUsersRequest>): void;
    registerBeforeListGroupUsers(fn: BeforeHook<ListGroupUsersRequest>): void;
    registerAfterListGroupUsers(fn: AfterHook<GroupUserList, ListGroupUsersRequest>): void;
    registerBeforeListUserGroups(fn: BeforeHook<ListUserGroupsRequest>): void;
    registerAfterListUserGroups(fn: AfterHook<UserGroupList, ListUserGroupsRequest>): void;
    registerBeforeListGroups(fn: BeforeHook<ListGroupsRequest>): void;
    registerAfterListGroups(fn: AfterHook<GroupList, ListGroupsRequest>): void;
    registerBeforeAuthenticateDevice(fn: BeforeHook<AuthenticateRequest>): void;
    registerAfterAuthenticateDevice(fn: AfterHook<Session, AuthenticateRequest>): void;
    registerBeforeAuthenticateCustom(fn: BeforeHook<AuthenticateRequest>): void;
    registerAfterAuthenticateCustom(fn: AfterHook<Session, AuthenticateRequest>): void;
    registerBeforeAuthenticateEmail(fn: BeforeHook<AuthenticateRequest>): void;
    registerAfterAuthenticateEmail(fn: AfterHook<Session, AuthenticateRequest>): void;
    registerBeforeSessionRefresh(fn: BeforeHook<SessionRefreshRequest>): void;
    registerAfterSessionRefresh(fn: AfterHook<Session, SessionRefreshRequest>): void;
  }

  type InitModule = (ctx: Context, logger: Logger, nk: Nakama, initializer: Initializer) => void;
}
