// bouncer.js: only group members holding the "bouncer" role may kick.
//
// The roles live in the group's metadata, which only the server can write:
//   {"roles": {"<user id>": ["bouncer"]}}
// A client kick (POST /v2/group/{id}/kick) first runs this before hook with
// data = {groupId, userIds} and ctx.userId = the kicker. Returning data lets
// the kick go on (the usual kick rules still apply: the kicker must be an
// admin); returning null refuses it, which the client sees as
// 404 {"code":5,"message":"Requested resource was not found."}.
// The same file runs unchanged on Nakama.

function beforeKickGroupUsers(ctx, logger, nk, data) {
  var groups = nk.groupsGetId([data.groupId]);
  if (groups.length === 0) {
    logger.warn('kick in unknown group %s', data.groupId);
    return null;
  }
  // nk returns metadata as an object already.
  var roles = groups[0].metadata.roles || {};
  var mine = roles[ctx.userId] || [];
  if (mine.indexOf('bouncer') < 0) {
    logger.info('user %s is not a bouncer of group %s', ctx.userId, data.groupId);
    return null;
  }
  return data;
}

function InitModule(ctx, logger, nk, initializer) {
  initializer.registerBeforeKickGroupUsers(beforeKickGroupUsers);
  logger.info('bouncer loaded');
}
