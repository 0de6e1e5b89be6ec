package runtime

import (
	"context"
	"encoding/json"

	"github.com/guildhall/guildhall/chat"
	"github.com/guildhall/guildhall/errs"
	"github.com/guildhall/guildhall/groups"
)

// ChannelSender sends a channel message and broadcasts it to the channel's
// sockets (the realtime hub).
type ChannelSender interface {
	SendMessage(ctx context.Context, from chat.Sender, channelID, content string, persist bool) (chat.Message, error)
}

// Channels is the channel part of nk (channelMessageSend, channelIdBuild),
// beside NK: nil Sender leaves channelMessageSend unavailable.
type Channels struct {
	Sender ChannelSender
}

// errNoChannels: the runtime was built without the realtime hub.
var errNoChannels = errs.Errorf(errs.CodeUnimplemented, "channel messages are not available in this runtime")

// MessageSend sends content to a channel as senderID (empty: the system),
// stored when persist is set (nk.channelMessageSend). It returns Nakama's
// ChannelMessageAck as a map with snake_case keys (each runtime names them
// its way); times are Unix seconds.
func (c *Channels) MessageSend(ctx context.Context, channelID string, content map[string]any, senderID, senderUsername string,
	persist bool) (map[string]any, error) {
	if c == nil || c.Sender == nil {
		return nil, errNoChannels
	}
	text := "{}"
	if content != nil {
		b, err := json.Marshal(content)
		if err != nil {
			return nil, errs.Invalid("Message content must be a valid JSON object")
		}
		text = string(b)
	}
	if senderID != "" {
		id, ok := groups.ParseID(senderID)
		if !ok {
			return nil, errs.Invalid("Invalid sender ID.")
		}
		senderID = id
	}
	m, err := c.Sender.SendMessage(ctx, chat.Sender{UserID: senderID, Username: senderUsername}, channelID, text, persist)
	if err != nil {
		return nil, err
	}
	ack := map[string]any{
		"channel_id": m.ChannelID, "message_id": m.ID, "code": int64(m.Code), "username": m.Username,
		"create_time": m.CreateTime.Unix(), "update_time": m.UpdateTime.Unix(), "persistent": m.Persistent,
	}
	for k, v := range map[string]string{"room_name": m.Room, "group_id": m.GroupID, "user_id_one": m.UserOne, "user_id_two": m.UserTwo} {
		if v != "" {
			ack[k] = v
		}
	}
	return ack, nil
}

// ChannelIDBuild returns the channel id of a target (nk.channelIdBuild):
// type 1 a room name, 3 a group id, 2 the other user of a direct channel
// with senderID.
func ChannelIDBuild(senderID, target string, typ int) (string, error) {
	if typ == chat.TypeDM {
		a, ok1 := groups.ParseID(senderID)
		b, ok2 := groups.ParseID(target)
		if !ok1 || !ok2 || a == b {
			return "", errs.Invalid("Invalid user ID in direct message channel: Invalid channel target")
		}
		return chat.DMChannelID(a, b), nil
	}
	c, err := chat.BuildChannelID(target, typ)
	if err != nil {
		return "", err
	}
	return c.ID, nil
}
