// default_roles.js: every new group gets an "officer" custom role (rank 150,
// may kick members and invite), created by an after hook on CreateGroup.
//
// The hook runs once the group is committed; nk.groupRoleCreate without a
// user id acts as the server (no manage_roles check), with the role limits
// of any other call. The group's owner then hands the role out:
//
//   curl -X POST "http://127.0.0.1:7350/v2/group/<group>/role/<role>/assign?user_ids=<user>" \
//        -H "Authorization: Bearer <owner's session>"
//
// An officer's kick acts only on members ranking below 150 (plain members,
// join requests, bans); admins and other officers are skipped.

function afterCreateGroup(ctx, logger, nk, out, input) {
  try {
    var role = nk.groupRoleCreate({ groupId: out.id, name: 'officer', rank: 150, permissions: ['kick', 'invite'] });
    logger.info('group %s: officer role %s', out.id, role.id);
  } catch (e) {
    // The group exists either way; a missing default role is logged, not fatal.
    logger.error('group %s: no officer role: %s', out.id, e.message);
  }
  return out;
}

function InitModule(ctx, logger, nk, initializer) {
  initializer.registerAfterCreateGroup(afterCreateGroup);
}
