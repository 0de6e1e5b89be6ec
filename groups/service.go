package groups

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/errs"
)

// Service applies the group rules. Every change is one Store transaction that
// locks the group row first and reads the actor's and targets' states under
// that lock, so rules and counters hold under any concurrency.
type Service struct {
	store            Store
	now              func() time.Time
	joinNoticeWindow time.Duration
	subs             subscribers
	categories       map[string]int // category → most memberships (states 0-2) per user; 0 unlimited
	invitationTTL    time.Duration
	disabled         bool
}

// DefaultJoinRequestNotifyWindow is how long after notifying a group's admins
// of a user's join request another request of that user to that group stays
// silent (a user cycling join/leave would otherwise send one -5 per cycle).
const DefaultJoinRequestNotifyWindow = time.Hour

// Option configures a Service.
type Option func(*Service)

// WithJoinRequestNotifyWindow sets the join request notification window; 0
// notifies every request.
func WithJoinRequestNotifyWindow(d time.Duration) Option {
	return func(s *Service) { s.joinNoticeWindow = d }
}

// WithClock replaces the service's clock (tests).
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// WithCategories sets the group categories besides DefaultCategory, each
// with the most groups of it a user may be a member of (0: unlimited). A
// limit given for DefaultCategory applies to it.
func WithCategories(limits map[string]int) Option {
	return func(s *Service) {
		s.categories = make(map[string]int, len(limits))
		for k, v := range limits {
			s.categories[k] = v
		}
	}
}

// WithInvitationTTL sets how long an invitation without an explicit expiry
// stays pending.
func WithInvitationTTL(d time.Duration) Option {
	return func(s *Service) { s.invitationTTL = d }
}

// WithGroupsDisabled turns the group features off: every operation answers
// ErrDisabled's coded error.
func WithGroupsDisabled() Option {
	return func(s *Service) { s.disabled = true }
}

// Enabled reports whether the group features are on.
func (s *Service) Enabled() bool { return !s.disabled }

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: func() time.Time { return time.Now().UTC() },
		joinNoticeWindow: DefaultJoinRequestNotifyWindow, invitationTTL: DefaultInvitationTTL}
	for _, o := range opts {
		o(s)
	}
	return s
}

func newID() string { return uuid.NewString() }

// CreateGroup creates a group whose owner becomes its first superadmin.
func (s *Service) CreateGroup(ctx context.Context, a Actor, req CreateGroupRequest) (Group, error) {
	if s.disabled {
		return Group{}, ErrDisabled
	}
	a, err := checkActor(a)
	if err != nil {
		return Group{}, err
	}
	owner := a.UserID
	if a.System {
		owner = req.OwnerID
	}
	if owner == "" {
		return Group{}, errs.Invalid("Group owner user ID must be set.")
	}
	owner, ok := parseID(owner)
	if !ok {
		return Group{}, errs.Invalid("User ID must be a valid ID.")
	}
	if !a.System && req.OwnerID != "" {
		if id, ok := parseID(req.OwnerID); !ok || id != owner {
			return Group{}, errs.Errorf(errs.CodePermissionDenied, "Only the server may create a group for another user.")
		}
	}
	if req.Name == "" {
		return Group{}, errs.Invalid("Group name must be set.")
	}
	if req.MaxCount < 0 || req.MaxCountSet && req.MaxCount == 0 {
		return Group{}, errs.Invalid("Group max count must be >= 1 when set.")
	}
	if req.MaxCount > MaxMaxCount {
		return Group{}, errs.Invalid(msgMaxCountRange)
	}
	if req.MaxCount == 0 {
		req.MaxCount = DefaultMaxCount
	}
	if req.LangTag == "" {
		req.LangTag = "en"
	}
	if req.Metadata == "" {
		req.Metadata = "{}"
	} else if !a.System {
		return Group{}, errs.Errorf(errs.CodePermissionDenied, "Only the server may set group metadata.")
	}
	if err := checkGroupFields(req.Name, req.Description, req.LangTag, req.AvatarURL, req.Metadata); err != nil {
		return Group{}, err
	}
	policy, err := createPolicy(req.Open, req.JoinPolicy)
	if err != nil {
		return Group{}, err
	}
	if err := checkTag(req.Tag); err != nil {
		return Group{}, err
	}
	category := req.Category
	if category == "" {
		category = DefaultCategory
	} else if !s.knownCategory(category) {
		return Group{}, errs.Invalid(fmt.Sprintf("Unknown group category %q.", category))
	}
	creator := owner
	if req.CreatorID != "" {
		if !a.System {
			return Group{}, errs.Errorf(errs.CodePermissionDenied, "Only the server may set a group's creator.")
		}
		if creator, ok = parseID(req.CreatorID); !ok {
			return Group{}, errs.Invalid("Creator ID must be a valid ID.")
		}
	}
	now := s.now()
	g := Group{
		ID: newID(), CreatorID: creator, Name: req.Name, Description: req.Description,
		LangTag: req.LangTag, Metadata: req.Metadata, AvatarURL: req.AvatarURL, Open: policy == PolicyOpen,
		EdgeCount: 1, MaxCount: req.MaxCount, CreateTime: now, UpdateTime: now,
		JoinPolicy: policy, Tag: req.Tag, Hidden: req.Hidden, Category: category,
		AdminsOnlyCreateAttributes: req.AdminsOnlyCreateAttributes,
	}
	// The owner's existence is checked by the member row's foreign key (no read
	// first: on PostgreSQL the whole creation is one round trip, unless the
	// category is limited).
	err = s.tx(ctx, func(tx Tx) error {
		if err := s.checkCategory(ctx, tx, category, []string{owner}); err != nil {
			return err
		}
		tx.InsertGroup(ctx, g)
		tx.InsertMember(ctx, g.ID, owner, Superadmin, now)
		tx.Record(GroupCreated{EventMeta: meta(g.ID, a, now), Group: g, OwnerID: owner})
		return nil
	})
	switch {
	case errors.Is(err, ErrNameTaken):
		return Group{}, errs.Errorf(errs.CodeAlreadyExists, "Group name is in use.")
	case errors.Is(err, ErrTagTaken):
		return Group{}, errTagTaken
	case errors.Is(err, ErrNotFound):
		return Group{}, errs.Errorf(errs.CodeNotFound, "User not found.")
	case err != nil:
		return Group{}, err
	}
	return g, nil
}

func checkGroupFields(name, description, langTag, avatarURL, metadata string) error {
	for _, f := range []struct {
		field, v string
		max      int
	}{
		{"Group name", name, MaxNameLen},
		{"Group description", description, MaxDescriptionLen},
		{"Group language", langTag, MaxLangTagLen},
		{"Group avatar URL", avatarURL, MaxAvatarURLLen},
	} {
		if err := checkText(f.field, f.v, f.max); err != nil {
			return err
		}
	}
	return checkMetadata(metadata)
}

// UpdateGroup changes the fields set in req. Users (admins and superadmins) may
// change name, description, lang tag, avatar and open; the system may also set
// metadata, max count and creator.
func (s *Service) UpdateGroup(ctx context.Context, a Actor, req UpdateGroupRequest) error {
	if s.disabled {
		return ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return err
	}
	if a, err = checkActor(a); err != nil {
		return err
	}
	if req.Name != nil && *req.Name == "" {
		return errs.Invalid("Group name cannot be empty.")
	}
	if req.LangTag != nil && *req.LangTag == "" {
		return errs.Invalid("Group language cannot be empty.")
	}
	if !a.System && (req.Metadata != nil || req.MaxCount != nil || req.CreatorID != nil) {
		return errs.Errorf(errs.CodePermissionDenied, "Only the server may change metadata, max count or creator.")
	}
	if req.Name == nil && req.Description == nil && req.LangTag == nil && req.AvatarURL == nil &&
		req.Open == nil && req.Metadata == nil && req.MaxCount == nil && req.CreatorID == nil &&
		req.JoinPolicy == nil && req.Tag == nil && req.Hidden == nil && req.AdminsOnlyCreateAttributes == nil {
		return errs.Invalid("Specify at least one field to update.")
	}
	// The policy is checked against itself before the transaction (the
	// current one only matters for open:false alone).
	if _, err := updatePolicy(PolicyRequest, req.Open, req.JoinPolicy); err != nil {
		return err
	}
	if req.Tag != nil {
		if err := checkTag(*req.Tag); err != nil {
			return err
		}
	}
	if req.MaxCount != nil && *req.MaxCount < 1 {
		return errs.Invalid("Group max count must be >= 1 when set.")
	}
	if req.MaxCount != nil && *req.MaxCount > MaxMaxCount {
		return errs.Invalid(msgMaxCountRange)
	}
	var creator string
	if req.CreatorID != nil {
		var ok bool
		if creator, ok = parseID(*req.CreatorID); !ok {
			return errs.Invalid("Creator ID must be a valid ID.")
		}
	}
	notAllowed := errs.Errorf(errs.CodeNotFound, "Group not found or you're not allowed to update.")
	err = s.tx(ctx, func(tx Tx) error {
		q := LockQuery{GroupID: id}
		if !a.System {
			q.UserIDs = actorIDs(a)
		}
		l, err := tx.Lock(ctx, q)
		if errors.Is(err, ErrNotFound) {
			return notAllowed
		} else if err != nil {
			return err
		}
		g, before := l.Group, l.Group
		if !a.System {
			st, ok := l.States[a.UserID]
			if !powerOf(a, st, ok, l.Role(a.UserID)).update() {
				return notAllowed
			}
		}
		set(&g.Name, req.Name)
		set(&g.Description, req.Description)
		set(&g.LangTag, req.LangTag)
		set(&g.AvatarURL, req.AvatarURL)
		g.JoinPolicy, _ = updatePolicy(g.JoinPolicy, req.Open, req.JoinPolicy)
		g.Open = g.JoinPolicy == PolicyOpen
		set(&g.Tag, req.Tag)
		set(&g.Hidden, req.Hidden)
		set(&g.AdminsOnlyCreateAttributes, req.AdminsOnlyCreateAttributes)
		set(&g.Metadata, req.Metadata)
		set(&g.MaxCount, req.MaxCount)
		if req.CreatorID != nil {
			g.CreatorID = creator
		}
		if err := checkGroupFields(g.Name, g.Description, g.LangTag, g.AvatarURL, g.Metadata); err != nil {
			return err
		}
		if g.MaxCount < g.EdgeCount {
			return errs.Invalid("Group max count cannot be below the current member count.")
		}
		g.UpdateTime = s.now()
		tx.UpdateGroup(ctx, g)
		tx.Record(GroupUpdated{EventMeta: meta(id, a, g.UpdateTime), Group: g, Changed: ChangedFields(before, g)})
		return nil
	})
	if errors.Is(err, ErrNameTaken) {
		return errs.Invalid("Group name is in use.")
	}
	if errors.Is(err, ErrTagTaken) {
		return errTagTaken
	}
	return err
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// actorIDs lists the actor's user id for a LockQuery: none for the system.
func actorIDs(a Actor) []string {
	if a.UserID == "" {
		return nil
	}
	return []string{a.UserID}
}

// DeleteGroup removes a group with every membership, request and ban.
func (s *Service) DeleteGroup(ctx context.Context, a Actor, req GroupRequest) error {
	if s.disabled {
		return ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return err
	}
	if a, err = checkActor(a); err != nil {
		return err
	}
	notAllowed := errs.Invalid("Group not found or you're not allowed to delete.")
	return s.tx(ctx, func(tx Tx) error {
		// The members, to tell them it was disbanded, are read under the lock
		// in its round trip, before the rows go.
		l, err := tx.Lock(ctx, LockQuery{GroupID: id, UserIDs: actorIDs(a), Members: true})
		if errors.Is(err, ErrNotFound) {
			return notAllowed
		} else if err != nil {
			return err
		}
		st, ok := l.States[a.UserID]
		if !canDelete(roleOf(a, st, ok)) {
			return notAllowed
		}
		tx.DeleteGroup(ctx, id)
		tx.Record(GroupDeleted{EventMeta: meta(id, a, s.now()), GroupName: l.Group.Name, Members: without(l.Members, a.UserID)})
		return nil
	})
}

// JoinGroup acts by the group's join policy: an open group takes the actor
// as a member, a request group files a join request (notifying its admins,
// with the request's message), invite-only and closed groups refuse.
// Existing states are left alone.
func (s *Service) JoinGroup(ctx context.Context, a Actor, req JoinGroupRequest) error {
	if s.disabled {
		return ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return err
	}
	if a.UserID == "" {
		return errs.Invalid("User ID must be set.")
	}
	if a, err = checkActor(a); err != nil {
		return err
	}
	if err := checkText("Join request message", req.Message, MaxMessageLen); err != nil {
		return err
	}
	err = s.tx(ctx, func(tx Tx) error {
		l, err := tx.Lock(ctx, LockQuery{GroupID: id, UserIDs: []string{a.UserID}})
		if errors.Is(err, ErrNotFound) {
			return errs.Errorf(errs.CodeNotFound, "Group not found.")
		} else if err != nil {
			return err
		}
		g := l.Group
		// Nakama checks capacity before membership: even a member's repeat join
		// of a full group is refused.
		if g.EdgeCount >= g.MaxCount {
			return errs.Invalid("Group is full.")
		}
		if _, ok := l.States[a.UserID]; ok {
			return nil
		}
		now := s.now()
		switch g.JoinPolicy {
		case PolicyOpen:
			if err := s.checkCategory(ctx, tx, g.Category, []string{a.UserID}); err != nil {
				return err
			}
			tx.InsertMember(ctx, id, a.UserID, Member, now)
			tx.AddEdgeCount(ctx, id, 1, now)
			tx.Record(MemberJoined{EventMeta: meta(id, a, now), GroupName: g.Name})
			return nil
		case PolicyInviteOnly:
			return errInviteOnly
		case PolicyClosed:
			return errClosed
		}
		tx.InsertJoinRequest(ctx, id, a.UserID, req.Message, now)
		var since time.Time
		if s.joinNoticeWindow > 0 {
			since = now.Add(-s.joinNoticeWindow)
		}
		admins, err := tx.JoinNoticeAdmins(ctx, id, a.UserID, now, since)
		if err != nil {
			return err
		}
		username := a.Username
		if username == "" && len(admins) > 0 { // only a notice needs it
			names, err := tx.Usernames(ctx, []string{a.UserID})
			if err != nil {
				return err
			}
			username = names[a.UserID]
		}
		tx.Record(JoinRequested{EventMeta: meta(id, a, now), Username: username, Admins: admins})
		return nil
	})
	return fullOr(err)
}

func fullOr(err error) error {
	if errors.Is(err, ErrFull) {
		return errs.Invalid("Group is full.")
	}
	return err
}

// LeaveGroup removes the actor from a group. The last superadmin may leave only
// when nobody else is a member, and then the group is deleted.
func (s *Service) LeaveGroup(ctx context.Context, a Actor, req GroupRequest) error {
	if s.disabled {
		return ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return err
	}
	if a, err = checkActor(a); err != nil {
		return err
	}
	return s.tx(ctx, func(tx Tx) error {
		l, err := tx.Lock(ctx, LockQuery{GroupID: id, UserIDs: actorIDs(a)})
		if errors.Is(err, ErrNotFound) {
			return nil // Nakama answers 200 for an unknown group
		} else if err != nil {
			return err
		}
		g := l.Group
		st, ok := l.States[a.UserID]
		if !ok || st == Banned {
			return nil // a ban outlives leaving
		}
		if st == Superadmin {
			supers, err := tx.CountState(ctx, id, Superadmin)
			if err != nil {
				return err
			}
			if supers == 1 {
				if g.EdgeCount > 1 {
					return errs.Invalid("Cannot leave group when you are the last superadmin.")
				}
				tx.DeleteGroup(ctx, id)
				m := meta(id, a, s.now())
				tx.Record(MemberLeft{m})
				tx.Record(GroupDeleted{EventMeta: m, GroupName: g.Name})
				return nil
			}
		}
		now := s.now()
		tx.DeleteMembers(ctx, id, []string{a.UserID})
		if st.Counts() {
			tx.AddEdgeCount(ctx, id, -1, now)
		}
		tx.Record(MemberLeft{meta(id, a, now)})
		return nil
	})
}

// batch is the shared frame of the operations on a list of target users: one
// transaction, the group locked, the actor's role and the targets' states read
// under the lock. apply decides each target in turn.
type batch struct {
	tx     Tx
	actor  Actor
	group  Group
	power  power
	states map[string]State
	roles  map[string]MemberRole // the targets' custom roles (Locked.Roles)
	supers int                   // current superadmin count, kept up to date by the apply functions; -1 until read
	now    time.Time
	delta  int      // edge_count change to write at the end
	done   []string // targets changed, for the operation's event
	// accepted are the join requests AddUsers accepted (done are those it added).
	accepted []string
	svc      *Service
	// members are the targets of a kick or ban that were members (states 0–2).
	members []string
	// requests are the join requests a kick rejected.
	requests []string
}

// batchRule describes one batch operation.
type batchRule struct {
	perm           Permissions // the permission the operation needs (some target at least)
	usersMustExist bool        // every target must be a known user (add)
	apply          func(ctx context.Context, b *batch, target string) error
	// record records the operation's events once every target is applied.
	record func(b *batch, m EventMeta)
}

// targetsEvent is the record step of the operations whose one event lists the
// changed targets.
func targetsEvent(ev func(m EventMeta, targets []string) Event) func(b *batch, m EventMeta) {
	return func(b *batch, m EventMeta) {
		if len(b.done) > 0 {
			b.tx.Record(ev(m, b.done))
		}
	}
}

var errPermission = errs.Errorf(errs.CodeNotFound, "Group not found or permission denied.")

func (s *Service) runBatch(ctx context.Context, a Actor, req GroupUsersRequest, rule batchRule) error {
	if s.disabled {
		return ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return err
	}
	targets, err := checkUserIDs(req.UserIDs)
	if err != nil {
		return err
	}
	if a, err = checkActor(a); err != nil {
		return err
	}
	if len(targets) == 0 {
		return nil
	}
	err = s.tx(ctx, func(tx Tx) error {
		q := LockQuery{GroupID: id, UserIDs: targets, CheckUsers: rule.usersMustExist}
		if a.UserID != "" {
			q.UserIDs = append([]string{a.UserID}, targets...)
		}
		l, err := tx.Lock(ctx, q)
		if errors.Is(err, ErrNotFound) {
			return errPermission
		} else if err != nil {
			return err
		}
		actorState, actorOK := l.States[a.UserID]
		b := &batch{tx: tx, actor: a, group: l.Group, power: powerOf(a, actorState, actorOK, l.Role(a.UserID)),
			states: l.States, roles: l.Roles, supers: -1, now: s.now(), svc: s}
		if !b.power.has(rule.perm) {
			return errPermission
		}
		if rule.usersMustExist {
			for _, t := range targets {
				if _, ok := l.Usernames[t]; !ok {
					return errs.Invalid("One or more users not found.")
				}
			}
		}
		for _, t := range targets {
			if t == a.UserID {
				continue // acting on oneself is skipped, as in Nakama
			}
			if err := rule.apply(ctx, b, t); err != nil {
				return err
			}
		}
		if b.delta != 0 {
			tx.AddEdgeCount(ctx, id, b.delta, b.now)
		}
		rule.record(b, meta(id, a, b.now))
		return nil
	})
	return fullOr(err)
}

// target is a target user as read under the lock.
func (b *batch) target(id string) target {
	st, has := b.states[id]
	return targetOf(st, has, b.roles[id])
}

// lastSuperadmin reports whether taking target out of state st would leave the group
// without a superadmin, and otherwise books the change of superadmin count. The
// count is read (under the lock) the first time a superadmin is a target: before
// any write of the batch has changed it, since only superadmin targets change it.
func (b *batch) lastSuperadmin(ctx context.Context, st State) (bool, error) {
	if st != Superadmin {
		return false, nil
	}
	if b.supers < 0 {
		n, err := b.tx.CountState(ctx, b.group.ID, Superadmin)
		if err != nil {
			return false, err
		}
		b.supers = n
	}
	if b.supers <= 1 {
		return true, nil
	}
	b.supers--
	return false, nil
}

// AddUsers adds users as members, accepting their join requests. Every target
// must exist; the whole batch fails if the group would overflow.
func (s *Service) AddUsers(ctx context.Context, a Actor, req GroupUsersRequest) error {
	return s.runBatch(ctx, a, req, batchRule{perm: PermAdd, usersMustExist: true, apply: func(ctx context.Context, b *batch, t string) error {
		_, has := b.states[t]
		if !b.power.add(b.target(t)) {
			return nil
		}
		if has {
			b.tx.SetState(ctx, b.group.ID, t, Member, b.now)
			b.accepted = append(b.accepted, t)
		} else {
			b.tx.InsertMember(ctx, b.group.ID, t, Member, b.now.Add(time.Duration(b.delta)))
			b.done = append(b.done, t)
		}
		b.delta++
		if b.group.EdgeCount+b.delta > b.group.MaxCount {
			return errs.Invalid("Group is full.")
		}
		return b.svc.checkCategory(ctx, b.tx, b.group.Category, []string{t})
	}, record: func(b *batch, m EventMeta) {
		if len(b.done) > 0 {
			b.tx.Record(MembersAdded{EventMeta: m, GroupName: b.group.Name, Targets: b.done})
		}
		if len(b.accepted) > 0 {
			b.tx.Record(RequestsAccepted{EventMeta: m, GroupName: b.group.Name, Targets: b.accepted})
		}
	}})
}

// KickUsers removes members, rejects join requests and lifts bans.
func (s *Service) KickUsers(ctx context.Context, a Actor, req GroupUsersRequest) error {
	return s.runBatch(ctx, a, req, batchRule{perm: PermKick, apply: func(ctx context.Context, b *batch, t string) error {
		st := b.states[t]
		if !b.power.kick(b.target(t)) {
			return nil
		}
		if last, err := b.lastSuperadmin(ctx, st); err != nil || last {
			return err
		}
		if st.Counts() {
			b.delta--
			b.members = append(b.members, t)
		} else if st == JoinRequest {
			b.requests = append(b.requests, t)
		}
		b.tx.DeleteMembers(ctx, b.group.ID, []string{t})
		b.done = append(b.done, t)
		return nil
	}, record: func(b *batch, m EventMeta) {
		if len(b.done) > 0 {
			b.tx.Record(MembersKicked{EventMeta: m, Targets: b.done, Members: b.members, Requests: b.requests, GroupName: b.group.Name})
		}
	}})
}

// BanUsers bans users that have a row in the group; a ban keeps them out until lifted.
func (s *Service) BanUsers(ctx context.Context, a Actor, req GroupUsersRequest) error {
	return s.runBatch(ctx, a, req, batchRule{perm: PermBan, apply: func(ctx context.Context, b *batch, t string) error {
		st := b.states[t]
		if !b.power.ban(b.target(t)) {
			return nil
		}
		if last, err := b.lastSuperadmin(ctx, st); err != nil || last {
			return err
		}
		if st.Counts() {
			b.delta--
			b.members = append(b.members, t)
		}
		b.tx.SetState(ctx, b.group.ID, t, Banned, b.now)
		b.done = append(b.done, t)
		return nil
	}, record: func(b *batch, m EventMeta) {
		if len(b.done) > 0 {
			b.tx.Record(MembersBanned{EventMeta: m, Targets: b.done, Members: b.members, GroupName: b.group.Name})
		}
	}})
}

// UnbanUsers lifts bans; the users may then join or be added again.
func (s *Service) UnbanUsers(ctx context.Context, a Actor, req GroupUsersRequest) error {
	return s.runBatch(ctx, a, req, batchRule{perm: PermUnban, apply: func(ctx context.Context, b *batch, t string) error {
		if !b.power.unban(b.target(t)) {
			return nil
		}
		b.tx.DeleteMembers(ctx, b.group.ID, []string{t})
		b.done = append(b.done, t)
		return nil
	}, record: targetsEvent(func(m EventMeta, t []string) Event { return MembersUnbanned{m, t} })})
}

// PromoteUsers raises members to admin and (by superadmins) admins to superadmin.
func (s *Service) PromoteUsers(ctx context.Context, a Actor, req GroupUsersRequest) error {
	return s.runBatch(ctx, a, req, batchRule{perm: PermPromote, apply: func(ctx context.Context, b *batch, t string) error {
		to, ok := b.power.promote(b.target(t))
		if !ok {
			return nil
		}
		b.tx.SetState(ctx, b.group.ID, t, to, b.now)
		b.done = append(b.done, t)
		return nil
	}, record: func(b *batch, m EventMeta) {
		if len(b.done) > 0 {
			b.tx.Record(MembersPromoted{EventMeta: m, Targets: b.done, GroupName: b.group.Name})
		}
	}})
}

// DemoteUsers lowers admins to member and superadmins to admin, never the last superadmin.
func (s *Service) DemoteUsers(ctx context.Context, a Actor, req GroupUsersRequest) error {
	if len(req.UserIDs) == 0 {
		if _, err := checkGroupID(req.GroupID); err != nil {
			return err
		}
		return errs.Invalid("User IDs must be set.")
	}
	return s.runBatch(ctx, a, req, batchRule{perm: PermDemote, apply: func(ctx context.Context, b *batch, t string) error {
		st := b.states[t]
		to, ok := b.power.demote(b.target(t))
		if !ok {
			return nil
		}
		if last, err := b.lastSuperadmin(ctx, st); err != nil || last {
			return err
		}
		b.tx.SetState(ctx, b.group.ID, t, to, b.now)
		b.done = append(b.done, t)
		return nil
	}, record: func(b *batch, m EventMeta) {
		if len(b.done) > 0 {
			b.tx.Record(MembersDemoted{EventMeta: m, Targets: b.done, GroupName: b.group.Name})
		}
	}})
}

// without returns ids less id (ids is the caller's own slice).
func without(ids []string, id string) []string {
	out := ids[:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}
