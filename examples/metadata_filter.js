// metadata_filter.js: group listings hide groups whose metadata says
// {"hidden": true}.
//
// An after hook gets (ctx, logger, nk, out, in): out is the response, in the
// request. In the response a group's metadata is JSON text, as on the wire
// (unlike nk.groupsGetId, which gives an object), so it is parsed here.
// Returning the response with fewer groups narrows what the client gets — a
// Guildhall addition: Nakama ignores what an after hook returns, so on Nakama
// this module changes nothing. Only groups of the original page can be kept;
// the cursor is left as it was, so a filtered page may be shorter than the
// limit.

function isHidden(group) {
  try {
    return JSON.parse(group.metadata || '{}').hidden === true;
  } catch (e) {
    return false;
  }
}

function afterListGroups(ctx, logger, nk, out, input) {
  if (!out || !out.groups) {
    return out;
  }
  out.groups = out.groups.filter(function (group) {
    return !isHidden(group);
  });
  return out;
}

function InitModule(ctx, logger, nk, initializer) {
  initializer.registerAfterListGroups(afterListGroups);
}
