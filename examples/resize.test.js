// Tests of resize.js, run by `guildhall hooks test examples/`.
modules('resize.js');

test('a game server resizes a group', function (t) {
  var alice = t.user('alice');
  var g = alice.create({ name: 'Small Hall', max_count: 10 });
  var out = JSON.parse(t.server.rpc('resize_group', { group_id: g.id, max_count: 200 }));
  t.equal(out, { group_id: g.id, max_count: 200, edge_count: 1 });
  t.equal(t.server.getGroup(g).max_count, 200);
});

test('clients may not resize', function (t) {
  var alice = t.user('alice');
  var g = alice.create({ name: 'Client Hall', max_count: 10 });
  var err = t.refused(7, function () {
    alice.rpc('resize_group', { group_id: g.id, max_count: 200 });
  });
  t.equal(err.message, 'resize is for game servers only');
  t.equal(err.status, 403);
  t.equal(t.server.getGroup(g).max_count, 10);
});

test('bad payloads and shrinking below the members are refused', function (t) {
  var alice = t.user('alice'), bob = t.user('bob');
  var g = alice.create({ name: 'Busy Hall', open: true, max_count: 10 });
  bob.join(g);
  t.refused(3, function () { t.server.rpc('resize_group', 'not json'); });
  t.refused(3, function () { t.server.rpc('resize_group', { group_id: g.id }); });
  t.refused(3, function () { t.server.rpc('resize_group', { group_id: g.id, max_count: 1 }); });
  t.equal(t.server.getGroup(g).max_count, 10);
});
