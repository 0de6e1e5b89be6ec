package realtime

import (
	"context"
	"errors"
	"sort"

	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/errs"
)

// channelState is a channel with at least one presence on any node.
type channelState struct {
	ch      chat.Channel
	members map[string]*member // session id → member
}

// member is one session in a channel; session is nil for a session on
// another node (known from its presence events).
type member struct {
	p       Presence
	hidden  bool
	session *Session
	node    string // the node of a remote session
}

// presenceChange is a channel's joins and leaves, announced to its sessions
// and published to the other nodes.
type presenceChange struct {
	Channel chat.Channel `json:"c"`
	Joins   []Presence   `json:"j,omitempty"`
	Leaves  []Presence   `json:"l,omitempty"`
	// Hidden joins, which other nodes track but never announce.
	HiddenJoins []Presence `json:"h,omitempty"`
}

func parts(c chat.Channel) channelParts {
	return channelParts{RoomName: c.Room, GroupID: c.GroupID, UserIDOne: c.UserOne, UserIDTwo: c.UserTwo}
}

// localMembers returns the sessions of this node in the channel.
func (h *Hub) localMembers(channelID string) []*Session {
	h.mu.RLock()
	defer h.mu.RUnlock()
	cs := h.channels[channelID]
	if cs == nil {
		return nil
	}
	out := make([]*Session, 0, len(cs.members))
	for _, m := range cs.members {
		if m.session != nil {
			out = append(out, m.session)
		}
	}
	return out
}

// announce sends a presence event to this node's sessions in the channel,
// and (publish) to the other nodes.
func (h *Hub) announce(pc presenceChange, publish bool) {
	if publish {
		h.publish(Delivery{Node: h.node, Presence: &pc})
	}
	if len(pc.Joins) == 0 && len(pc.Leaves) == 0 {
		return
	}
	b := encode(envelope{ChannelPresenceEvent: &presenceEventJSON{ChannelID: pc.Channel.ID, Joins: pc.Joins,
		Leaves: pc.Leaves, channelParts: parts(pc.Channel)}})
	for _, s := range h.localMembers(pc.Channel.ID) {
		s.sendFrame(&b)
	}
}

// leaveLocked takes a session out of a channel (hub.mu held) and returns the
// leave to announce (ok=false when it was not in it or was hidden).
func (h *Hub) leaveLocked(channelID, sessionID string) (presenceChange, bool) {
	cs := h.channels[channelID]
	if cs == nil {
		return presenceChange{}, false
	}
	m := cs.members[sessionID]
	if m == nil {
		return presenceChange{}, false
	}
	delete(cs.members, sessionID)
	if m.session != nil {
		delete(m.session.channels, channelID)
	}
	if len(cs.members) == 0 {
		delete(h.channels, channelID)
	}
	pc := presenceChange{Channel: cs.ch}
	if !m.hidden {
		pc.Leaves = []Presence{m.p}
	}
	return pc, true
}

// join adds a session to a channel and answers it. A new presence is
// announced to this node's sessions of the channel (the joiner's too) under
// the same lock that adds it, so every session sees joins in one order; the
// returned change is for the other nodes. A same-session re-join keeps the
// first one's flags and announces nothing.
func (h *Hub) join(s *Session, cid string, c chat.Channel, persistence, hidden bool) (presenceChange, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := h.channels[c.ID]
	if cs == nil {
		cs = &channelState{ch: c, members: map[string]*member{}}
		h.channels[c.ID] = cs
	}
	m, again := cs.members[s.ID]
	if !again {
		m = &member{p: Presence{UserID: s.UserID, SessionID: s.ID, Username: s.Username, Persistence: persistence},
			hidden: hidden, session: s}
		cs.members[s.ID] = m
		s.channels[c.ID] = struct{}{}
	}
	reply := channelJSON{ID: c.ID, Self: m.p, channelParts: parts(c)}
	for sid, o := range cs.members {
		if sid != s.ID && !o.hidden {
			reply.Presences = append(reply.Presences, o.p)
		}
	}
	sort.Slice(reply.Presences, func(i, j int) bool { return reply.Presences[i].SessionID < reply.Presences[j].SessionID })
	pc := presenceChange{Channel: c}
	if hidden {
		pc.HiddenJoins = []Presence{m.p}
	} else {
		pc.Joins = []Presence{m.p}
	}
	if !again && !hidden {
		b := encode(envelope{ChannelPresenceEvent: &presenceEventJSON{ChannelID: c.ID, Joins: pc.Joins, channelParts: parts(c)}})
		for _, o := range cs.members {
			if o.session != nil {
				o.session.sendFrame(&b)
			}
		}
	}
	s.send(encode(envelope{Cid: cid, Channel: &reply}))
	return pc, !again
}

// joined returns the session's presence in a channel.
func (h *Hub) joined(s *Session, channelID string) (Presence, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if cs := h.channels[channelID]; cs != nil {
		if m := cs.members[s.ID]; m != nil {
			return m.p, true
		}
	}
	return Presence{}, false
}

// broadcastMessage sends a channel message to this node's sessions in its
// channel.
func (h *Hub) broadcastMessage(m chat.Message) {
	h.recent.add(messageKey(m))
	targets := h.localMembers(m.ChannelID)
	if len(targets) == 0 {
		return
	}
	b := encode(envelope{ChannelMessage: messageWire(m)})
	for _, s := range targets {
		s.sendFrame(&b)
	}
}

func messageWire(m chat.Message) *messageJSON {
	return &messageJSON{ChannelID: m.ChannelID, MessageID: m.ID, Code: m.Code, SenderID: m.SenderID, Username: m.Username,
		Content: m.Content, CreateTime: Timestamp(m.CreateTime), UpdateTime: Timestamp(m.UpdateTime),
		Persistent: m.Persistent, channelParts: channelParts{RoomName: m.Room, GroupID: m.GroupID,
			UserIDOne: m.UserOne, UserIDTwo: m.UserTwo}}
}

// removeUsers takes users' sessions (of every node) out of a channel; the
// rest of this node's sessions see them leave.
func (h *Hub) removeUsers(channelID string, users []string) {
	h.mu.Lock()
	cs := h.channels[channelID]
	if cs == nil {
		h.mu.Unlock()
		return
	}
	pc := presenceChange{Channel: cs.ch}
	for sid, m := range cs.members {
		if contains(users, m.p.UserID) {
			if change, ok := h.leaveLocked(channelID, sid); ok {
				pc.Leaves = append(pc.Leaves, change.Leaves...)
			}
		}
	}
	h.mu.Unlock()
	h.announce(pc, false) // every node applies the removal itself
}

// dropChannel forgets a deleted group's channel without a word (Nakama's
// untrack by stream).
func (h *Hub) dropChannel(channelID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := h.channels[channelID]
	if cs == nil {
		return
	}
	for _, m := range cs.members {
		if m.session != nil {
			delete(m.session.channels, channelID)
		}
	}
	delete(h.channels, channelID)
}

// applyRemotePresence tracks another node's joins and leaves and announces
// them to this node's sessions in the channel.
func (h *Hub) applyRemotePresence(node string, pc presenceChange) {
	h.trackRemote(node, pc)
	h.announce(pc, false)
}

// trackRemote records another node's joins and leaves of a channel.
func (h *Hub) trackRemote(node string, pc presenceChange) {
	h.mu.Lock()
	cs := h.channels[pc.Channel.ID]
	if cs == nil && (len(pc.Joins) > 0 || len(pc.HiddenJoins) > 0) {
		cs = &channelState{ch: pc.Channel, members: map[string]*member{}}
		h.channels[pc.Channel.ID] = cs
	}
	if cs != nil {
		for _, p := range pc.Joins {
			cs.members[p.SessionID] = &member{p: p, node: node}
		}
		for _, p := range pc.HiddenJoins {
			cs.members[p.SessionID] = &member{p: p, hidden: true, node: node}
		}
		for _, p := range pc.Leaves {
			if m := cs.members[p.SessionID]; m != nil && m.session == nil {
				delete(cs.members, p.SessionID)
			}
		}
		if len(cs.members) == 0 {
			delete(h.channels, pc.Channel.ID)
		}
	}
	h.mu.Unlock()
}

// socketError turns an error of a handler into the error envelope's code and
// message: coded invalid input is BAD_INPUT, everything else a runtime
// exception (whose text is logged, not sent, unless coded).
func (h *Hub) socketError(s *Session, cid string, err error) {
	var e *errs.Error
	if errors.As(err, &e) {
		code := ErrRuntimeException
		if e.Code == errs.CodeInvalidArgument {
			code = ErrBadInput
		}
		if code == ErrRuntimeException {
			h.log.Error("realtime: handler failed", "session", s.ID, "error", err)
		}
		s.sendError(cid, code, e.Message)
		return
	}
	h.log.Error("realtime: handler failed", "session", s.ID, "error", err)
	s.sendError(cid, ErrRuntimeException, "Internal error")
}

func (h *Hub) channelJoin(ctx context.Context, s *Session, in inbound) {
	o := in.body
	target, ok1 := o.str("target")
	typ, ok2 := o.int32("type")
	persistence, ok3 := o.boolValue("persistence")
	hidden, ok4 := o.boolValue("hidden")
	if !ok1 || !ok2 || !ok3 || !ok4 || !o.only("target", "type", "persistence", "hidden") {
		s.Close(ReasonMalformed)
		return
	}
	c, err := chat.BuildChannelID(target, typ)
	if err != nil {
		h.socketError(s, in.cid, err)
		return
	}
	if c.Mode == chat.ModeGroup {
		if err := h.chat.CanJoinGroup(ctx, c.GroupID, s.UserID); err != nil {
			h.socketError(s, in.cid, err)
			return
		}
	}
	persist := persistence == nil || *persistence
	hide := hidden != nil && *hidden
	if pc, isNew := h.join(s, in.cid, c, persist, hide); isNew {
		h.publish(Delivery{Node: h.node, Presence: &pc})
	}
}

func (h *Hub) channelLeave(s *Session, in inbound) {
	id, ok := in.body.str("channel_id")
	if !ok || !in.body.only("channel_id") {
		s.Close(ReasonMalformed)
		return
	}
	if _, err := chat.ParseChannelID(id); err != nil {
		h.socketError(s, in.cid, err)
		return
	}
	h.mu.Lock()
	pc, left := h.leaveLocked(id, s.ID)
	h.mu.Unlock()
	s.send(encode(envelope{Cid: in.cid}))
	if left {
		h.announce(pc, true)
	}
}

// messageOp is a channel_message_send, _update or _remove.
func (h *Hub) messageOp(ctx context.Context, s *Session, in inbound) {
	o := in.body
	channelID, ok1 := o.str("channel_id")
	messageID, ok2 := o.str("message_id")
	content, ok3 := o.str("content")
	allowed := []string{"channel_id", "message_id", "content"}
	verb := "updating"
	switch in.key {
	case "channel_message_send":
		allowed, verb = []string{"channel_id", "content"}, "sending"
	case "channel_message_remove":
		allowed, verb = []string{"channel_id", "message_id"}, "removing"
	}
	if !ok1 || !ok2 || !ok3 || !o.only(allowed...) {
		s.Close(ReasonMalformed)
		return
	}
	if in.key != "channel_message_send" {
		var err error
		if messageID, err = chat.CheckMessageID(messageID); err != nil {
			h.socketError(s, in.cid, err)
			return
		}
	}
	c, err := chat.ParseChannelID(channelID)
	if err != nil {
		h.socketError(s, in.cid, err)
		return
	}
	if in.key != "channel_message_remove" {
		if err := chat.CheckContent(content); err != nil {
			h.socketError(s, in.cid, err)
			return
		}
	}
	self, ok := h.joined(s, c.ID)
	if !ok {
		h.socketError(s, in.cid, errs.Invalid("Must join channel before "+verb+" messages"))
		return
	}
	from := chat.Sender{UserID: s.UserID, Username: s.Username}
	var m chat.Message
	switch in.key {
	case "channel_message_send":
		m, err = h.chat.Send(ctx, from, c, content, self.Persistence)
	case "channel_message_update":
		m, err = h.chat.Update(ctx, from, c, messageID, content, self.Persistence)
	default:
		m, err = h.chat.Remove(ctx, from, c, messageID, self.Persistence)
	}
	if err != nil {
		h.socketError(s, in.cid, err)
		return
	}
	h.Publish(m)
	s.send(encode(envelope{Cid: in.cid, ChannelMessageAck: &ackJSON{ChannelID: m.ChannelID, MessageID: m.ID, Code: m.Code,
		Username: m.Username, CreateTime: Timestamp(m.CreateTime), UpdateTime: Timestamp(m.UpdateTime),
		Persistent: m.Persistent, channelParts: parts(c)}}))
}

// Publish broadcasts a channel message sent outside a transaction (a
// socket's, a script's) to the channel's sessions on this node at once and
// to the other nodes.
func (h *Hub) Publish(m chat.Message) {
	h.broadcastMessage(m)
	h.publish(Delivery{Node: h.node, Messages: []chat.Message{m}})
}

// SendMessage sends a message to a channel as a script does
// (nk.channelMessageSend): stored when persist is set, then broadcast.
func (h *Hub) SendMessage(ctx context.Context, from chat.Sender, channelID, content string, persist bool) (chat.Message, error) {
	c, err := chat.ParseChannelID(channelID)
	if err != nil {
		return chat.Message{}, err
	}
	m, err := h.chat.Send(ctx, from, c, content, persist)
	if err != nil {
		return chat.Message{}, err
	}
	h.Publish(m)
	return m, nil
}

// Handle runs one inbound frame of a session, on the session's reader
// goroutine (so a session's messages are answered in order).
func (h *Hub) Handle(ctx context.Context, s *Session, data []byte) {
	in, ok := parseEnvelope(data)
	if !ok {
		s.Close(ReasonMalformed)
		return
	}
	switch in.key {
	case "":
		s.sendError(in.cid, ErrMissingPayload, "Missing message.")
		s.Close(ReasonError)
	case "ping":
		if !in.body.only() {
			s.Close(ReasonMalformed)
			return
		}
		s.send(encode(envelope{Cid: in.cid, Pong: &struct{}{}}))
	case "pong":
	case "channel_join":
		h.channelJoin(ctx, s, in)
	case "channel_leave":
		h.channelLeave(s, in)
	case "channel_message_send", "channel_message_update", "channel_message_remove":
		h.messageOp(ctx, s, in)
	default:
		s.sendError(in.cid, ErrUnrecognizedPayload, "Unrecognized message.")
		s.Close(ReasonError)
	}
}

// nodeGone forgets the presences of a node that shut down; this node's
// sessions see them leave.
func (h *Hub) nodeGone(node string) {
	h.mu.Lock()
	var changes []presenceChange
	for id, cs := range h.channels {
		pc := presenceChange{Channel: cs.ch}
		for sid, m := range cs.members {
			if m.session == nil && m.node == node {
				delete(cs.members, sid)
				if !m.hidden {
					pc.Leaves = append(pc.Leaves, m.p)
				}
			}
		}
		if len(cs.members) == 0 {
			delete(h.channels, id)
		}
		if len(pc.Leaves) > 0 {
			changes = append(changes, pc)
		}
	}
	h.mu.Unlock()
	for _, pc := range changes {
		h.announce(pc, false)
	}
}
