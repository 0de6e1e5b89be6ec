package realtime

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Nakama's socket speaks protojson of its rtapi.Envelope: one object per frame
// with an optional string cid and exactly one message key. Input keys may be
// snake_case or lowerCamelCase; unknown keys and wrong types are refused
// (protojson's rules), which Nakama answers by closing the socket.

// envelopeKeys are the message keys of Nakama's Envelope (snake_case). Keys
// outside it are malformed input; keys in it that Guildhall does not serve
// (matches, parties, status, streams, rpc) are "Unrecognized message.".
var envelopeKeys = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`channel channel_join channel_leave channel_message channel_message_ack
		channel_message_send channel_message_update channel_message_remove channel_presence_event error match
		match_create match_data match_data_send match_join match_leave match_presence_event matchmaker_add
		matchmaker_matched matchmaker_remove matchmaker_ticket notifications rpc status status_follow
		status_presence_event status_unfollow status_update stream_data stream_presence_event ping pong party
		party_create party_join party_leave party_promote party_accept party_remove party_close
		party_join_request_list party_join_request party_matchmaker_add party_matchmaker_remove
		party_matchmaker_ticket party_data party_data_send party_presence_event party_update`) {
		m[k] = true
	}
	return m
}()

// snake turns a lowerCamelCase key into snake_case (snake_case stays as is).
func snake(k string) string {
	if strings.IndexFunc(k, func(r rune) bool { return r >= 'A' && r <= 'Z' }) < 0 {
		return k
	}
	var b strings.Builder
	for _, r := range k {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// object is a decoded JSON object with snake_case keys.
type object map[string]json.RawMessage

// decodeObject reads one JSON object (null is empty), normalising its keys;
// ok is false for anything else, trailing data or a key given twice.
func decodeObject(raw []byte) (object, bool) {
	raw = bytes.TrimSpace(raw)
	if bytes.Equal(raw, []byte("null")) {
		return object{}, true
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
		return nil, false
	}
	out := make(object, len(m))
	for k, v := range m {
		s := snake(k)
		if _, dup := out[s]; dup {
			return nil, false
		}
		out[s] = v
	}
	return out, true
}

// only reports whether every key of o is one of keys.
func (o object) only(keys ...string) bool {
	for k := range o {
		found := false
		for _, want := range keys {
			if k == want {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func isNull(v json.RawMessage) bool {
	return v == nil || bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// str reads a string field; missing or null is "".
func (o object) str(k string) (string, bool) {
	v := o[k]
	if isNull(v) {
		return "", true
	}
	var s string
	return s, json.Unmarshal(v, &s) == nil
}

// int32 reads an int32 field, a number or a numeric string as protojson takes
// it; missing or null is 0.
func (o object) int32(k string) (int, bool) {
	v := o[k]
	if isNull(v) {
		return 0, true
	}
	var n json.Number
	if json.Unmarshal(v, &n) != nil {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return 0, false
		}
		n = json.Number(s)
	}
	i, err := strconv.ParseInt(string(n), 10, 32)
	return int(i), err == nil
}

// boolValue reads a BoolValue wrapper: a plain bool or null (unset).
func (o object) boolValue(k string) (*bool, bool) {
	v := o[k]
	if isNull(v) {
		return nil, true
	}
	var b bool
	if json.Unmarshal(v, &b) != nil {
		return nil, false
	}
	return &b, true
}

// inbound is a parsed envelope.
type inbound struct {
	cid  string
	key  string // snake_case message key; "" when none was given
	body object
}

// parseEnvelope reads a frame; ok=false is malformed input.
func parseEnvelope(data []byte) (inbound, bool) {
	o, ok := decodeObject(data)
	if !ok {
		return inbound{}, false
	}
	var in inbound
	for k, v := range o {
		if k == "cid" {
			if in.cid, ok = o.str("cid"); !ok {
				return inbound{}, false
			}
			continue
		}
		if !envelopeKeys[k] || in.key != "" {
			return inbound{}, false
		}
		if isNull(v) {
			continue // protojson: a null message field is unset
		}
		body, ok := decodeObject(v)
		if !ok {
			return inbound{}, false
		}
		in.key, in.body = k, body
	}
	return in, true
}

// Outbound messages, with Nakama's field names; zero values are omitted
// except in wrapper fields (code, persistent), which are always present.

type envelope struct {
	Cid                  string             `json:"cid,omitempty"`
	Error                *errorJSON         `json:"error,omitempty"`
	Pong                 *struct{}          `json:"pong,omitempty"`
	Channel              *channelJSON       `json:"channel,omitempty"`
	ChannelMessage       *messageJSON       `json:"channel_message,omitempty"`
	ChannelMessageAck    *ackJSON           `json:"channel_message_ack,omitempty"`
	ChannelPresenceEvent *presenceEventJSON `json:"channel_presence_event,omitempty"`
	Notifications        *notificationsJSON `json:"notifications,omitempty"`
}

type errorJSON struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// Presence is one session's presence in a channel (Nakama's UserPresence).
type Presence struct {
	UserID      string `json:"user_id"`
	SessionID   string `json:"session_id"`
	Username    string `json:"username,omitempty"`
	Persistence bool   `json:"persistence,omitempty"`
}

type channelParts struct {
	RoomName  string `json:"room_name,omitempty"`
	GroupID   string `json:"group_id,omitempty"`
	UserIDOne string `json:"user_id_one,omitempty"`
	UserIDTwo string `json:"user_id_two,omitempty"`
}

type channelJSON struct {
	ID        string     `json:"id"`
	Presences []Presence `json:"presences,omitempty"`
	Self      Presence   `json:"self"`
	channelParts
}

type messageJSON struct {
	ChannelID  string `json:"channel_id"`
	MessageID  string `json:"message_id"`
	Code       int    `json:"code"`
	SenderID   string `json:"sender_id,omitempty"`
	Username   string `json:"username,omitempty"`
	Content    string `json:"content"`
	CreateTime string `json:"create_time,omitempty"`
	UpdateTime string `json:"update_time,omitempty"`
	Persistent bool   `json:"persistent"`
	channelParts
}

type ackJSON struct {
	ChannelID  string `json:"channel_id"`
	MessageID  string `json:"message_id"`
	Code       int    `json:"code"`
	Username   string `json:"username,omitempty"`
	CreateTime string `json:"create_time,omitempty"`
	UpdateTime string `json:"update_time,omitempty"`
	Persistent bool   `json:"persistent"`
	channelParts
}

type presenceEventJSON struct {
	ChannelID string     `json:"channel_id"`
	Joins     []Presence `json:"joins,omitempty"`
	Leaves    []Presence `json:"leaves,omitempty"`
	channelParts
}

type notificationsJSON struct {
	Notifications []notificationJSON `json:"notifications"`
}

type notificationJSON struct {
	ID         string `json:"id"`
	Subject    string `json:"subject,omitempty"`
	Content    string `json:"content,omitempty"`
	Code       int    `json:"code,omitempty"`
	SenderID   string `json:"sender_id,omitempty"`
	CreateTime string `json:"create_time,omitempty"`
	Persistent bool   `json:"persistent,omitempty"`
}

// Timestamp formats t as protojson does: RFC 3339 in UTC with 0, 3, 6 or 9
// fraction digits.
func Timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	switch ns := t.Nanosecond(); {
	case ns == 0:
		return t.Format("2006-01-02T15:04:05Z")
	case ns%1e6 == 0:
		return t.Format("2006-01-02T15:04:05.000Z")
	case ns%1e3 == 0:
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	return t.Format("2006-01-02T15:04:05.000000000Z")
}

func encode(e envelope) []byte {
	b, err := json.Marshal(e)
	if err != nil {
		panic(err) // strings, ints and bools only
	}
	return b
}
