package lua

import (
	glua "github.com/yuin/gopher-lua"

	"github.com/guildhall/guildhall/runtime"
)

// channelFuncs adds nk.channel_message_send and nk.channel_id_build, in
// Nakama's argument orders, to the functions of the nakama module.
func (v *vm) channelFuncs(fns map[string]glua.LGFunction) {
	fns["channel_message_send"] = v.channelMessageSend
	fns["channel_id_build"] = v.channelIDBuild
}

// nk.channel_message_send(channel_id, content?, sender_id?, sender_username?, persist?=true) → ack table
func (v *vm) channelMessageSend(L *glua.LState) int {
	a := args{L, "channel_message_send"}
	channelID := a.need(1, "channel_id")
	content := a.object(2, "content")
	senderID, username := a.str(3, "sender_id"), a.str(4, "sender_username")
	persist := a.boolPtr(5, "persist")
	ack, err := v.r.chans.MessageSend(v.ctx(), channelID, content, senderID, username, persist == nil || *persist)
	if err != nil {
		return v.fail(L, err)
	}
	L.Push(toLua(L, ack))
	return 1
}

// nk.channel_id_build(sender_id?, target, chan_type) → channel id
func (v *vm) channelIDBuild(L *glua.LState) int {
	a := args{L, "channel_id_build"}
	senderID, target := a.str(1, "sender_id"), a.need(2, "target")
	typ := a.intPtr(3, "chan_type")
	if typ == nil {
		a.bad(3, "expects chan_type")
	}
	id, err := runtime.ChannelIDBuild(senderID, target, *typ)
	if err != nil {
		return v.fail(L, err)
	}
	L.Push(glua.LString(id))
	return 1
}
