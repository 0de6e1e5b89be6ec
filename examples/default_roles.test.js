// Tests of default_roles.js, run by `guildhall hooks test examples/`.
modules('default_roles.js');

function ids(list) {
  return (list.group_users || []).map(function (gu) { return gu.user.username; }).sort();
}

test('a new group has the officer role; an officer kicks members, not admins', function (t) {
  var alice = t.user('alice'), bob = t.user('bob'), carol = t.user('carol'), dave = t.user('dave');
  var g = alice.create({ name: 'Officers Hall', open: true });
  var roles = alice.call('GET', '/v2/group/' + g.id + '/role').roles;
  t.equal(roles.length, 1);
  t.equal([roles[0].name, roles[0].rank, roles[0].permissions], ['officer', 150, ['invite', 'kick']]);

  bob.join(g); carol.join(g); dave.join(g);
  alice.promote(g, [dave]);
  alice.call('POST', '/v2/group/' + g.id + '/role/' + roles[0].id + '/assign?user_ids=' + bob.id);
  bob.kick(g, [carol, dave]);
  t.equal(ids(alice.listGroupUsers(g)), ['alice', 'bob', 'dave'], 'carol kicked, the admin skipped');
});

test('a plain member still may not kick', function (t) {
  var alice = t.user('alice'), bob = t.user('bob'), carol = t.user('carol');
  var g = alice.create({ name: 'Plain Hall', open: true });
  bob.join(g); carol.join(g);
  t.refused(5, function () { bob.kick(g, [carol]); });
});
