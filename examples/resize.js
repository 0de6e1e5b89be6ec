// resize.js: an RPC for game servers to change a group's capacity.
//
//   curl -X POST "http://127.0.0.1:7350/v2/rpc/resize_group?http_key=defaulthttpkey&unwrap" \
//        -d '{"group_id":"<id>","max_count":50}'
//
// Calls made with a session (a client) carry ctx.userId and are refused with
// code 7 (HTTP 403). nk.* calls act as the server: no permission checks, but
// the group's invariants hold (max_count cannot drop below the members), and
// their coded errors reach the caller when not caught.

function rpcResizeGroup(ctx, logger, nk, payload) {
  if (ctx.userId) {
    throw { code: 7, message: 'resize is for game servers only' };
  }
  var request;
  try {
    request = JSON.parse(payload);
  } catch (e) {
    throw { code: 3, message: 'payload must be a JSON object' };
  }
  if (!request || typeof request.group_id !== 'string' || typeof request.max_count !== 'number') {
    throw { code: 3, message: 'group_id (a string) and max_count (a number) are required' };
  }
  // groupUpdate(groupId, userId, name, creatorId, langTag, description,
  //             avatarUrl, open, metadata, maxCount): null leaves a field alone,
  // a null userId acts as the server.
  nk.groupUpdate(request.group_id, null, null, null, null, null, null, null, null, request.max_count);
  var group = nk.groupsGetId([request.group_id])[0];
  logger.info('group %s resized to %d', group.id, group.maxCount);
  return JSON.stringify({ group_id: group.id, max_count: group.maxCount, edge_count: group.edgeCount });
}

function InitModule(ctx, logger, nk, initializer) {
  initializer.registerRpc('resize_group', rpcResizeGroup);
}
