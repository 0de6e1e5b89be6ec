package js

import (
	"github.com/dop251/goja"

	"github.com/guildhall/guildhall/runtime"
)

// channelFuncs adds nk.channelMessageSend and nk.channelIdBuild, in Nakama's
// argument orders, to the nk object newNK builds.
func (v *vm) channelFuncs(set func(name string, fn func(a args) goja.Value)) {
	// nk.channelMessageSend(channelId, content?, senderId?, senderUsername?, persist?=true) → ack
	set("channelMessageSend", func(a args) goja.Value {
		channelID := a.str(0, "channelId")
		content := a.object(1, "content")
		senderID, username := deref(a.optStr(2, "senderId")), deref(a.optStr(3, "senderUsername"))
		persist := a.optBool(4, "persist")
		ack, err := v.r.chans.MessageSend(v.context(), channelID, content, senderID, username, persist == nil || *persist)
		a.check(err)
		return v.toJS(ack, false)
	})
	// nk.channelIdBuild(senderId?, target, chanType) → channel id
	set("channelIdBuild", func(a args) goja.Value {
		senderID, target := deref(a.optStr(0, "senderId")), a.str(1, "target")
		typ := a.optInt(2, "chanType")
		if typ == nil {
			a.typeError(2, "chanType", "a number")
		}
		id, err := runtime.ChannelIDBuild(senderID, target, *typ)
		a.check(err)
		return v.rt.ToValue(id)
	})
}
