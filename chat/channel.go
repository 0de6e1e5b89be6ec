// Package chat is the channels of the realtime socket: their ids (Nakama's
// format), messages and their history, and the group event messages that
// membership changes write into a group's channel. Like inbox it knows nothing
// of HTTP, SQL, sockets or scripts; storage comes in through the Store port.
package chat

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// Channel types a client joins with (channel_join's type).
const (
	TypeRoom  = 1
	TypeDM    = 2
	TypeGroup = 3
)

// Stream modes, the first part of a channel id.
const (
	ModeRoom  = 2
	ModeGroup = 3
	ModeDM    = 4
)

// MaxRoomName is the longest room name, in characters.
const MaxRoomName = 64

// Errors of channel targets and ids, in Nakama's words.
var (
	errInvalidTarget    = errs.Invalid("Invalid channel target")
	errInvalidChannelID = errs.Invalid("Invalid channel identifier")
)

// Channel is a parsed channel id: mode.subject.subcontext.label.
type Channel struct {
	ID      string
	Mode    int
	GroupID string // group channels
	Room    string // rooms
	UserOne string // direct messages: the lower user id
	UserTwo string // direct messages: the higher user id
}

// GroupChannelID is the id of a group's channel.
func GroupChannelID(groupID string) string { return "3." + groupID + ".." }

// RoomChannelID is the id of a room.
func RoomChannelID(name string) string { return "2..." + name }

// DMChannelID is the id of the direct channel of two users, lower id first.
func DMChannelID(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return "4." + a + "." + b + "."
}

// BuildChannelID checks a channel_join target of a type and returns its
// channel, as Nakama's join (and nk.channelIdBuild) does. Direct channels
// need friends, which Guildhall does not have: their targets are all
// unknown.
func BuildChannelID(target string, typ int) (Channel, error) {
	if target == "" {
		return Channel{}, errInvalidTarget
	}
	switch typ {
	case 0, TypeRoom:
		if utf8.RuneCountInString(target) > MaxRoomName || !utf8.ValidString(target) {
			return Channel{}, errInvalidTarget
		}
		return Channel{ID: RoomChannelID(target), Mode: ModeRoom, Room: target}, nil
	case TypeDM:
		if _, ok := groups.ParseID(target); !ok {
			return Channel{}, errs.Invalid("Invalid user ID in direct message channel join: Invalid channel target")
		}
		return Channel{}, errs.Invalid("User not found: Invalid channel target")
	case TypeGroup:
		id, ok := groups.ParseID(target)
		if !ok {
			return Channel{}, errs.Invalid("Invalid group ID in group channel join: Invalid channel target")
		}
		return Channel{ID: GroupChannelID(id), Mode: ModeGroup, GroupID: id}, nil
	}
	return Channel{}, errs.Invalid("Invalid channel type")
}

// ParseChannelID reads a channel id; a malformed one is Nakama's
// "Invalid channel identifier".
func ParseChannelID(id string) (Channel, error) {
	parts := strings.SplitN(id, ".", 4)
	if len(parts) != 4 {
		return Channel{}, errInvalidChannelID
	}
	mode, err := strconv.Atoi(parts[0])
	if err != nil {
		return Channel{}, errInvalidChannelID
	}
	c := Channel{ID: id, Mode: mode}
	switch mode {
	case ModeRoom:
		if parts[1] != "" || parts[2] != "" || parts[3] == "" || !utf8.ValidString(parts[3]) ||
			utf8.RuneCountInString(parts[3]) > MaxRoomName {
			return Channel{}, errInvalidChannelID
		}
		c.Room = parts[3]
	case ModeGroup:
		gid, ok := groups.ParseID(parts[1])
		if !ok || gid != parts[1] || parts[2] != "" || parts[3] != "" {
			return Channel{}, errInvalidChannelID
		}
		c.GroupID = gid
	case ModeDM:
		a, ok1 := groups.ParseID(parts[1])
		b, ok2 := groups.ParseID(parts[2])
		if !ok1 || !ok2 || a != parts[1] || b != parts[2] || parts[3] != "" || a >= b {
			return Channel{}, errInvalidChannelID
		}
		c.UserOne, c.UserTwo = a, b
	default:
		return Channel{}, errInvalidChannelID
	}
	return c, nil
}
