// Tests of metadata_filter.js, run by `guildhall hooks test examples/`.
modules('metadata_filter.js');

function names(list) {
  return (list.groups || []).map(function (g) { return g.name; }).sort();
}

test('listings hide groups marked hidden', function (t) {
  var alice = t.user('alice');
  alice.create({ name: 'Open Hall', open: true });
  var secret = alice.create({ name: 'Secret Hall', open: true });
  alice.create({ name: 'Odd Hall', open: true });
  t.equal(names(alice.listGroups({ limit: 10 })), ['Odd Hall', 'Open Hall', 'Secret Hall']);

  t.server.updateGroup(secret, { metadata: { hidden: true } });
  t.equal(names(alice.listGroups({ limit: 10 })), ['Odd Hall', 'Open Hall']);
  t.equal(names(alice.listGroups({ name: 'secret%' })), [], 'the name search hides it too');

  // Reads other than the listing still see it.
  t.equal(t.server.getGroup(secret).name, 'Secret Hall');
});

test('metadata that is not hidden:true keeps a group', function (t) {
  var bob = t.user('bob');
  var g = bob.create({ name: 'Visible Hall', open: true });
  t.server.updateGroup(g, { metadata: { hidden: 'yes', other: 1 } });
  t.equal(names(bob.listGroups({ name: 'visible%' })), ['Visible Hall']);
});
