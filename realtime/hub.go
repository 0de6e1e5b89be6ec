// Package realtime is Nakama's realtime socket without its transport: the
// hub of connected sessions, the envelope pipeline (ping, channels, channel
// messages), channel presences, and the live delivery of notifications and
// channel messages after their commits, on this node and — through a Bus —
// on the other nodes sharing the database. The websocket itself (Fiber,
// fasthttp/websocket) is realtime/ws; the hub sees a session's frames as
// byte slices in and out.
package realtime

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/groups"
	"github.com/guildhall/guildhall/inbox"
)

// Socket error codes (rtapi.Error.Code).
const (
	ErrRuntimeException    = 0
	ErrUnrecognizedPayload = 1
	ErrMissingPayload      = 2
	ErrBadInput            = 3
)

// Close reasons, Nakama's texts where it has one.
const (
	ReasonMalformed  = "received malformed payload"
	ReasonError      = "error processing message"
	ReasonServer     = "server-side session disconnect"
	ReasonQueueFull  = "session outgoing queue full"
	ReasonExpired    = "session expired"
	ReasonLoggedOut  = "session logged out"
	ReasonShutdown   = "server shutting down"
	outgoingQueueLen = 64
)

// Options configure a Hub.
type Options struct {
	Log *slog.Logger
	// Node names this process among the nodes of one database.
	Node string
	// Bus carries deliveries to the other nodes; nil is one node.
	Bus Bus
	// QueueLen is each session's outgoing queue (64, Nakama's default).
	QueueLen int
	// OnRemoteRevoked is called, on the bus's goroutine, with the sessions
	// another node's logout revoked (no token ids: all of the user's), so
	// this node's session caches drop them at once. It must not block.
	OnRemoteRevoked func(userID string, tokenIDs []string)
	// Members reads group members for the live-only notifications to every
	// member (inbox.Broadcast); nil pushes none.
	Members Members
}

// Members reads which users are members (states 0–2) of a group: those among
// the given users, or all of them when among is nil.
type Members interface {
	GroupMemberIDs(ctx context.Context, groupID string, among []string) ([]string, error)
}

// Bus carries deliveries between nodes. Publish must not block for long.
type Bus interface {
	Publish(d Delivery)
}

// Hub holds the sessions of this node and the channels they joined.
type Hub struct {
	log      *slog.Logger
	chat     *chat.Service
	node     string
	bus      atomic.Pointer[Bus] // nil: one node
	queueLen int
	members  Members

	mu       sync.RWMutex
	sessions map[string]*Session            // by session id
	users    map[string]map[string]*Session // user id → session id → session
	channels map[string]*channelState       // by channel id

	droppedTotal  atomic.Int64  // live pushes a full queue dropped
	droppedLogged atomic.Int64  // unix nanoseconds of the last warning
	recent        recent        // keys of what was delivered, against catch-up repeats
	work          chan Delivery // committed writes, handed off by the committing goroutine
	stop          chan struct{}
	stopped       sync.WaitGroup
	closeOnce     sync.Once

	onRemoteRevoked func(userID string, tokenIDs []string) // Options.OnRemoteRevoked

	broadcasts chan []inbox.Broadcast // live-only group notices, fanned out by their own goroutine
}

// New returns a hub over the chat service; Close stops it.
func New(c *chat.Service, o Options) *Hub {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Node == "" {
		o.Node = uuid.NewString()
	}
	if o.QueueLen <= 0 {
		o.QueueLen = outgoingQueueLen
	}
	h := &Hub{log: o.Log, chat: c, node: o.Node, queueLen: o.QueueLen, members: o.Members,
		sessions: map[string]*Session{}, users: map[string]map[string]*Session{}, channels: map[string]*channelState{},
		work: make(chan Delivery, 8192), broadcasts: make(chan []inbox.Broadcast, 1024), stop: make(chan struct{})}
	if o.Bus != nil {
		h.SetBus(o.Bus)
	}
	h.onRemoteRevoked = o.OnRemoteRevoked
	h.stopped.Add(2)
	go h.deliverLoop()
	go h.broadcastLoop()
	return h
}

// Node is this hub's node name.
func (h *Hub) Node() string { return h.node }

// SetBus sets the bus (built after the hub: it needs the hub to deliver to).
func (h *Hub) SetBus(b Bus) { h.bus.Store(&b) }

// publish sends a delivery of this node to the others.
func (h *Hub) publish(d Delivery) {
	if b := h.bus.Load(); b != nil {
		(*b).Publish(d)
	}
}

// Close disconnects every session and stops the delivery goroutine; later
// calls do nothing.
func (h *Hub) Close() { h.closeOnce.Do(h.close) }

func (h *Hub) close() {
	// The other nodes drop this node's presences at once (best effort: a
	// node that dies without closing leaves them listed there).
	h.publish(Delivery{Node: h.node, Gone: true})
	h.mu.RLock()
	all := make([]*Session, 0, len(h.sessions))
	for _, s := range h.sessions {
		all = append(all, s)
	}
	h.mu.RUnlock()
	for _, s := range all {
		s.Close(ReasonShutdown)
	}
	close(h.stop)
	h.stopped.Wait()
}

// Session is one connected socket.
type Session struct {
	ID       string
	UserID   string
	Username string
	TokenID  string
	Expires  time.Time // the session token's exp; the transport closes the socket then

	hub      *Hub
	out      chan *[]byte // pointers: 8 bytes a slot, not 24, in each idle socket's queue
	done     chan struct{}
	once     sync.Once
	reason   string
	channels map[string]struct{} // joined channel ids, under hub.mu
}

// SessionInfo is who a new socket belongs to (the verified session token).
type SessionInfo struct {
	UserID, Username, TokenID string
	Expires                   time.Time
}

// Register adds a connected socket.
func (h *Hub) Register(info SessionInfo) *Session {
	s := &Session{ID: uuid.NewString(), UserID: info.UserID, Username: info.Username, TokenID: info.TokenID,
		Expires: info.Expires, hub: h, out: make(chan *[]byte, h.queueLen), done: make(chan struct{}),
		channels: map[string]struct{}{}}
	h.mu.Lock()
	h.sessions[s.ID] = s
	byID := h.users[s.UserID]
	if byID == nil {
		byID = map[string]*Session{}
		h.users[s.UserID] = byID
	}
	byID[s.ID] = s
	h.mu.Unlock()
	return s
}

// Unregister removes a socket that ended: it leaves its channels (the
// others see it go).
func (h *Hub) Unregister(s *Session) {
	s.Close(ReasonServer)
	h.mu.Lock()
	delete(h.sessions, s.ID)
	if byID := h.users[s.UserID]; byID != nil {
		delete(byID, s.ID)
		if len(byID) == 0 {
			delete(h.users, s.UserID)
		}
	}
	var leaves []presenceChange
	for id := range s.channels {
		if pc, ok := h.leaveLocked(id, s.ID); ok {
			leaves = append(leaves, pc)
		}
	}
	h.mu.Unlock()
	for _, pc := range leaves {
		h.announce(pc, true)
	}
}

// Sessions counts the sockets of a user on this node.
func (h *Hub) Sessions(userID string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.users[userID])
}

// Outbound is the session's queue of frames to write, in order.
func (s *Session) Outbound() <-chan *[]byte { return s.out }

// Done is closed when the session must end; CloseReason says why.
func (s *Session) Done() <-chan struct{} { return s.done }

// CloseReason is the reason given to Close.
func (s *Session) CloseReason() string {
	<-s.done
	return s.reason
}

// Close ends the session with a reason (the close frame's text). The
// transport writes what is queued, then the close frame.
func (s *Session) Close(reason string) {
	s.once.Do(func() {
		s.reason = reason
		close(s.done)
	})
}

// send queues a frame without waiting: a session whose queue is full is
// closed (a slow consumer never holds up the server).
func (s *Session) send(b []byte) { s.sendFrame(&b) }

// sendFrame is send of a frame shared by several sessions (a broadcast
// encodes it once and queues the same pointer everywhere; nobody writes to it).
func (s *Session) sendFrame(f *[]byte) {
	select {
	case <-s.done:
		return
	default:
	}
	select {
	case s.out <- f:
	default:
		s.Close(ReasonQueueFull)
	}
}

func (s *Session) sendError(cid string, code int, msg string) {
	s.send(encode(envelope{Cid: cid, Error: &errorJSON{Code: code, Message: msg}}))
}

// CloseUser closes a user's sockets on this node: those of the given session
// token ids, or all of them when none is given.
func (h *Hub) CloseUser(userID string, tokenIDs []string, reason string) {
	h.mu.RLock()
	var victims []*Session
	for _, s := range h.users[userID] {
		if len(tokenIDs) == 0 || contains(tokenIDs, s.TokenID) {
			victims = append(victims, s)
		}
	}
	h.mu.RUnlock()
	for _, s := range victims {
		s.Close(reason)
	}
}

// SessionsRevoked closes the sockets of revoked sessions, on every node
// (accounts.Service.OnSessionsRevoked).
func (h *Hub) SessionsRevoked(userID string, tokenIDs []string) {
	h.Deliver(Delivery{Revoked: &Revocation{UserID: userID, TokenIDs: tokenIDs}})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Delivery is what the hub pushes after a commit, and what nodes send each
// other: channel messages, notifications, users removed from groups (their
// sockets leave the group channels), deleted groups (channels dropped),
// presence changes of a channel and revoked sessions.
type Delivery struct {
	Node          string               `json:"n,omitempty"`
	Messages      []chat.Message       `json:"m,omitempty"`
	Notifications []inbox.Notification `json:"ns,omitempty"`
	Broadcasts    []inbox.Broadcast    `json:"b,omitempty"` // live-only, to every member of a group
	Removed       map[string][]string  `json:"r,omitempty"` // group id → user ids
	Deleted       []string             `json:"d,omitempty"` // group ids
	Presence      *presenceChange      `json:"p,omitempty"`
	Revoked       *Revocation          `json:"x,omitempty"`
	// SyncRequest asks every node for its sessions' presences (a node that
	// starts, or reconnects, learns the channels' members this way).
	SyncRequest bool `json:"s,omitempty"`
	// Snapshot answers a SyncRequest: presences to track without announcing.
	Snapshot []presenceChange `json:"ss,omitempty"`
	// Gone says the node shuts down: its presences leave.
	Gone bool `json:"g,omitempty"`
}

// Revocation names revoked sessions: the token ids, or all of the user's.
type Revocation struct {
	UserID   string   `json:"u"`
	TokenIDs []string `json:"t,omitempty"`
}

func (d Delivery) empty() bool {
	return len(d.Messages) == 0 && len(d.Notifications) == 0 && len(d.Broadcasts) == 0 && len(d.Removed) == 0 && len(d.Deleted) == 0 &&
		d.Presence == nil && d.Revoked == nil && !d.SyncRequest && len(d.Snapshot) == 0 && !d.Gone
}

// Deliver hands a delivery of this node over to the hub's goroutine without
// waiting (the committing request goes on at once); the hub pushes it to
// this node's sockets and publishes it to the other nodes. When the queue is
// full the live push is dropped and logged (persistent rows stay readable).
func (h *Hub) Deliver(d Delivery) {
	if d.empty() {
		return
	}
	select {
	case h.work <- d:
	default:
		h.dropped("realtime: delivery queue full, live pushes dropped")
	}
}

// Receive applies a delivery published by another node.
func (h *Hub) Receive(d Delivery) {
	if d.Node == h.node || d.empty() {
		return
	}
	if d.Revoked != nil && h.onRemoteRevoked != nil {
		// Before the queue, which may be full: a logout must not be dropped.
		h.onRemoteRevoked(d.Revoked.UserID, d.Revoked.TokenIDs)
	}
	select {
	case h.work <- d:
	default:
		h.dropped("realtime: delivery queue full, remote pushes dropped")
	}
}

func (h *Hub) deliverLoop() {
	defer h.stopped.Done()
	for {
		select {
		case <-h.stop:
			return
		case d := <-h.work:
			switch d.Node {
			case "":
				d.Node = h.node
				h.fillUsernames(d.Messages)
				h.publish(d) // a node with a recipient fills what is still missing
			default:
				// A catch-up read and the other nodes' NOTIFYs can carry the
				// same rows (one committed between LISTEN and the catch-up's
				// read arrives both ways): whichever comes second is dropped.
				d = h.fresh(d)
				h.fillUsernames(d.Messages)
			}
			h.apply(d)
		}
	}
}

// fillUsernames completes committed event messages (stored without a
// username) before they go out: here, after the commit, not in the request.
//
// Only the messages a socket of this node will show are filled: a read per
// commit for channels nobody here watches was most of the hub's cost under
// load; another node fills what its own sockets show.
func (h *Hub) fillUsernames(msgs []chat.Message) {
	if h.chat == nil || len(msgs) == 0 {
		return
	}
	var idx []int
	for i := range msgs {
		if msgs[i].Username == "" && h.watched(msgs[i].ChannelID) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return
	}
	sub := make([]chat.Message, len(idx))
	for j, i := range idx {
		sub[j] = msgs[i]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.chat.FillUsernames(ctx, sub); err != nil {
		h.log.Warn("realtime: reading event messages' usernames", "error", err)
		return
	}
	for j, i := range idx {
		msgs[i].Username = sub[j].Username
	}
}

// apply pushes a delivery to this node's sockets, in Nakama's order: event
// messages before the removals they announce.
func (h *Hub) apply(d Delivery) {
	for _, m := range d.Messages {
		h.broadcastMessage(m)
	}
	h.pushNotifications(d.Notifications)
	h.queueBroadcasts(d.Broadcasts)
	for gid, users := range d.Removed {
		h.removeUsers(chat.GroupChannelID(gid), users)
	}
	for _, gid := range d.Deleted {
		h.dropChannel(chat.GroupChannelID(gid))
	}
	if d.Presence != nil {
		h.applyRemotePresence(d.Node, *d.Presence)
	}
	if d.Revoked != nil {
		h.CloseUser(d.Revoked.UserID, d.Revoked.TokenIDs, ReasonLoggedOut)
	}
	if d.Gone && d.Node != h.node {
		h.nodeGone(d.Node)
	}
	for _, pc := range d.Snapshot {
		h.trackRemote(d.Node, pc)
	}
	if d.SyncRequest && d.Node != h.node {
		if snap := h.snapshot(); len(snap) > 0 {
			h.publish(Delivery{Node: h.node, Snapshot: snap})
		}
	}
}

// RequestSync asks the other nodes for their presences (the bus calls it
// when it first hears of another node).
func (h *Hub) RequestSync() { h.publish(Delivery{Node: h.node, SyncRequest: true}) }

// snapshot lists this node's sessions' presences, per channel.
func (h *Hub) snapshot() []presenceChange {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []presenceChange
	for _, cs := range h.channels {
		pc := presenceChange{Channel: cs.ch}
		for _, m := range cs.members {
			switch {
			case m.session == nil:
			case m.hidden:
				pc.HiddenJoins = append(pc.HiddenJoins, m.p)
			default:
				pc.Joins = append(pc.Joins, m.p)
			}
		}
		if len(pc.Joins)+len(pc.HiddenJoins) > 0 {
			out = append(out, pc)
		}
	}
	return out
}

// pushNotifications sends each recipient one notifications envelope with
// theirs, to every socket of theirs on this node.
func (h *Hub) pushNotifications(ns []inbox.Notification) { h.sendNotifications(ns, true) }

// sendNotifications pushes ns; remember keeps their ids against a catch-up
// bringing them again (never for live-only notices, which no catch-up reads).
func (h *Hub) sendNotifications(ns []inbox.Notification, remember bool) {
	if len(ns) == 0 {
		return
	}
	byUser := map[string][]notificationJSON{}
	var order []string
	for _, n := range ns {
		if remember {
			h.recent.add(notificationKey(n))
		}
		if _, seen := byUser[n.UserID]; !seen {
			order = append(order, n.UserID)
		}
		sender := n.SenderID
		if sender == "" {
			sender = chat.SystemUserID
		}
		byUser[n.UserID] = append(byUser[n.UserID], notificationJSON{ID: n.ID, Subject: n.Subject, Content: n.Content,
			Code: n.Code, SenderID: sender, CreateTime: Timestamp(n.CreateTime.Truncate(time.Second)), Persistent: n.Persistent})
	}
	for _, uid := range order {
		h.mu.RLock()
		targets := make([]*Session, 0, len(h.users[uid]))
		for _, s := range h.users[uid] {
			targets = append(targets, s)
		}
		h.mu.RUnlock()
		if len(targets) == 0 {
			continue
		}
		b := encode(envelope{Notifications: &notificationsJSON{Notifications: byUser[uid]}})
		for _, s := range targets {
			s.sendFrame(&b)
		}
	}
}

// Committed hands over what a commit wrote (the groups store's OnWritten):
// its notifications and event messages go live, and so do the live-only
// notices to every member its events cause (inbox.GroupBroadcasts), the users
// its events took out of groups leave the groups' channels, deleted groups'
// channels go.
//
// A commit nobody can see — no socket of this node in its channels or of its
// notifications' users, and no other node alive — is dropped here, in the
// committing goroutine, instead of waking the hub's: that hand-off per
// commit was a measurable part of every membership change's cost.
func (h *Hub) Committed(events []groups.Event, ns []inbox.Notification, msgs []chat.Message) {
	d := Delivery{Messages: msgs, Notifications: ns, Broadcasts: inbox.GroupBroadcasts(events),
		Removed: chat.RemovedUsers(events), Deleted: chat.DeletedGroups(events)}
	if d.empty() || (!h.othersListen() && !h.seenHere(d)) {
		return
	}
	h.Deliver(d)
}

// othersListen reports whether a delivery may interest another node: a bus
// that can tell (pgbus) knows whether any other node is alive; one that
// cannot is assumed to have listeners.
func (h *Hub) othersListen() bool {
	b := h.bus.Load()
	if b == nil {
		return false
	}
	if p, ok := (*b).(interface{ HasPeers() bool }); ok {
		return p.HasPeers()
	}
	return true
}

// seenHere reports whether a socket of this node may show any part of d.
func (h *Hub) seenHere(d Delivery) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if len(h.sessions) == 0 {
		return false
	}
	if len(d.Broadcasts) > 0 {
		return true // a notice to every member: any session may be one
	}
	for i := range d.Messages {
		if h.channels[d.Messages[i].ChannelID] != nil {
			return true
		}
	}
	for i := range d.Notifications {
		if h.users[d.Notifications[i].UserID] != nil {
			return true
		}
	}
	for gid := range d.Removed {
		if h.channels[chat.GroupChannelID(gid)] != nil {
			return true
		}
	}
	for _, gid := range d.Deleted {
		if h.channels[chat.GroupChannelID(gid)] != nil {
			return true
		}
	}
	return false
}

// dropped counts a dropped live push and logs it at most once a second (an
// overloaded hub must not also flood the log; the rows stay readable).
func (h *Hub) dropped(msg string) {
	n := h.droppedTotal.Add(1)
	now := time.Now().UnixNano()
	if last := h.droppedLogged.Load(); now-last > int64(time.Second) && h.droppedLogged.CompareAndSwap(last, now) {
		h.log.Warn(msg, "dropped_total", n)
	}
}

// watched reports whether a session of this node is in the channel.
func (h *Hub) watched(channelID string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	cs := h.channels[channelID]
	if cs == nil {
		return false
	}
	for _, m := range cs.members {
		if m.session != nil {
			return true
		}
	}
	return false
}
