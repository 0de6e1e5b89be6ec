// Tests of bouncer.js, run by `guildhall hooks test examples/` (and make test).
modules('bouncer.js');

// A group owned by alice with bob and carol as members; roles as given.
function setup(t, roles) {
  var alice = t.user('alice'), bob = t.user('bob'), carol = t.user('carol');
  var group = alice.create({ name: 'Night Watch ' + t.name, open: true });
  bob.join(group);
  carol.join(group);
  var byId = {};
  Object.keys(roles).forEach(function (name) {
    byId[t.user(name).id] = roles[name];
  });
  t.server.updateGroup(group, { metadata: { roles: byId } });
  return { alice: alice, bob: bob, carol: carol, group: group };
}

function memberIds(viewer, group) {
  return (viewer.listGroupUsers(group).group_users || []).map(function (gu) {
    return gu.user.username;
  }).sort();
}

test('a bouncer may kick', function (t) {
  var s = setup(t, { alice: ['bouncer'] });
  s.alice.kick(s.group, s.bob);
  t.equal(memberIds(s.alice, s.group), ['alice', 'carol']);
});

test('a superadmin without the role may not kick', function (t) {
  var s = setup(t, { carol: ['bouncer'] });
  var err = t.refused(5, function () { s.alice.kick(s.group, s.bob); });
  t.equal(err.message, 'Requested resource was not found.');
  t.equal(memberIds(s.alice, s.group), ['alice', 'bob', 'carol'], 'nobody left');
});

test('the role does not replace the kick rules', function (t) {
  // carol is a bouncer but only a member: the hook lets the call through and
  // the usual rule (only admins kick) refuses it.
  var s = setup(t, { carol: ['bouncer'] });
  var err = t.refused(5, function () { s.carol.kick(s.group, s.bob); });
  t.equal(err.message, 'Group not found or permission denied.');
  t.equal(memberIds(s.alice, s.group), ['alice', 'bob', 'carol']);
});
