// bouncer.ts: only group members holding the "bouncer" role may kick — the
// bouncer of examples/bouncer.js, typed. The roles live in the group's
// metadata, which only the server can write:
//   {"roles": {"<user id>": ["bouncer"]}}
// Returning null refuses the kick (the client gets 404 code 5).

/** The roles metadata this module reads. */
interface RoleMetadata {
  roles?: { [userId: string]: string[] };
}

function hasRole(group: guildhall.Group, userId: string, role: string): boolean {
  const metadata = group.metadata as RoleMetadata;
  const mine = (metadata.roles && metadata.roles[userId]) || [];
  return mine.indexOf(role) >= 0;
}

function beforeKickGroupUsers(ctx: guildhall.Context, logger: guildhall.Logger, nk: guildhall.Nakama,
  data: guildhall.GroupUsersRequest): guildhall.GroupUsersRequest | null {
  const group = nk.groupsGetId([data.groupId])[0];
  if (!group) {
    logger.warn('kick in unknown group %s', data.groupId);
    return null;
  }
  if (!ctx.userId || !hasRole(group, ctx.userId, 'bouncer')) {
    logger.info('user %s is not a bouncer of group %s', ctx.userId, data.groupId);
    return null;
  }
  return data;
}

// A top-level function declaration, as Guildhall (and Nakama) look it up.
function InitModule(ctx: guildhall.Context, logger: guildhall.Logger, nk: guildhall.Nakama,
  initializer: guildhall.Initializer): void {
  initializer.registerBeforeKickGroupUsers(beforeKickGroupUsers);
  logger.info('typed bouncer loaded');
}

// The compiler checks InitModule against the initializer's contract.
const initModule: guildhall.InitModule = InitModule;
