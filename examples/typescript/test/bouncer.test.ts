// The typed bouncer's module test: compiled to build/bouncer.test.js and run
// by `guildhall hooks test build` against build/index.js, which it names
// (relative to itself) so that it runs the same from any runtime path.
modules('index.js');

interface Cast {
  alice: hooktest.User;
  bob: hooktest.User;
  carol: hooktest.User;
  group: hooktest.Group;
}

// A group owned by alice with bob and carol as members; roles as given.
function setup(t: hooktest.T, roles: { [name: string]: string[] }): Cast {
  const alice = t.user('alice'), bob = t.user('bob'), carol = t.user('carol');
  const group = alice.create({ name: 'Night Watch', open: true });
  bob.join(group);
  carol.join(group);
  const byId: { [id: string]: string[] } = {};
  for (const name in roles) {
    byId[t.user(name).id] = roles[name];
  }
  t.server.updateGroup(group, { metadata: { roles: byId } });
  return { alice: alice, bob: bob, carol: carol, group: group };
}

function members(viewer: hooktest.User, group: hooktest.Group): string[] {
  return (viewer.listGroupUsers(group).group_users || []).map(gu => gu.user.username).sort();
}

test('a bouncer may kick', t => {
  const s = setup(t, { alice: ['bouncer'] });
  s.alice.kick(s.group, s.bob);
  t.equal(members(s.alice, s.group), ['alice', 'carol']);
});

test('a superadmin without the role may not kick', t => {
  const s = setup(t, { carol: ['bouncer'] });
  const err = t.refused(5, () => s.alice.kick(s.group, s.bob));
  t.equal(err.message, 'Requested resource was not found.');
  t.equal(members(s.alice, s.group), ['alice', 'bob', 'carol'], 'nobody left');
});

test('the role does not replace the kick rules', t => {
  const s = setup(t, { carol: ['bouncer'] });
  t.refused(5, () => s.carol.kick(s.group, s.bob));
  t.equal(members(s.alice, s.group), ['alice', 'bob', 'carol']);
});
