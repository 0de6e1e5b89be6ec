package groups

import "testing"

func TestJoinPolicyMapping(t *testing.T) {
	yes, no := true, false
	str := func(s string) *string { return &s }
	create := []struct {
		open   *bool
		policy string
		want   JoinPolicy
		err    bool
	}{
		{nil, "", PolicyRequest, false},
		{&no, "", PolicyRequest, false},
		{&yes, "", PolicyOpen, false},
		{nil, "open", PolicyOpen, false},
		{&yes, "open", PolicyOpen, false},
		{&no, "invite_only", PolicyInviteOnly, false},
		{nil, "closed", PolicyClosed, false},
		{&yes, "request", "", true},
		{&no, "open", "", true},
		{nil, "Open", "", true},
	}
	for _, c := range create {
		got, err := createPolicy(c.open, c.policy)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("create open=%v policy=%q: %q %v, want %q (error %v)", deref(c.open), c.policy, got, err, c.want, c.err)
		}
	}
	update := []struct {
		cur    JoinPolicy
		open   *bool
		policy *string
		want   JoinPolicy
		err    bool
	}{
		{PolicyOpen, &no, nil, PolicyRequest, false},
		{PolicyInviteOnly, &no, nil, PolicyInviteOnly, false},
		{PolicyClosed, &no, nil, PolicyClosed, false},
		{PolicyClosed, &yes, nil, PolicyOpen, false},
		{PolicyOpen, nil, nil, PolicyOpen, false},
		{PolicyOpen, nil, str("closed"), PolicyClosed, false},
		{PolicyRequest, &no, str("invite_only"), PolicyInviteOnly, false},
		{PolicyRequest, &yes, str("closed"), "", true},
		{PolicyRequest, nil, str(""), "", true},
	}
	for _, c := range update {
		got, err := updatePolicy(c.cur, c.open, c.policy)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("update %q open=%v policy=%v: %q %v, want %q (error %v)", c.cur, deref(c.open), deref(c.policy), got, err, c.want, c.err)
		}
	}
}

func TestTagRule(t *testing.T) {
	for tag, ok := range map[string]bool{"": true, "AB": true, "ab12c": true, "ÄÖ": true, "日本": true,
		"a": false, "abcdef": false, "a-b": false, "a b": false, "ab\x00": false, "\xff\xfe": false} {
		if err := checkTag(tag); (err == nil) != ok {
			t.Errorf("tag %q: %v, want ok=%v", tag, err, ok)
		}
	}
}

func TestInviteRule(t *testing.T) {
	want := map[role]string{ // none, 0, 1, 2, 3, 4: s = send, a = accept the request, - = skip
		roleSuperadmin: "s---a-",
		roleAdmin:      "s---a-",
		roleNone:       "------",
	}
	targets := []State{none, Superadmin, Admin, Member, JoinRequest, Banned}
	for r, row := range want {
		for i, target := range targets {
			exp := map[byte]inviteAction{'s': inviteSend, 'a': inviteAccept, '-': inviteSkip}[row[i]]
			if got := inviteFor(r, target, target != none); got != exp {
				t.Errorf("invite by role %d on state %d: %d, want %d", r, target, got, exp)
			}
		}
	}
	if !canRevoke(roleAdmin, false) || !canRevoke(roleNone, true) || canRevoke(roleNone, false) {
		t.Error("revoke is for admins and the inviter")
	}
}
