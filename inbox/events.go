package inbox

import (
	"encoding/json"

	"github.com/google/uuid"

	"github.com/guildhall/guildhall/groups"
)

// GroupNotifications returns the notifications group events cause, for the
// store to write in the events' own transaction: a join request notifies the
// admins the event names (-5); an added member or an accepted request notifies
// the user (-4). Other events notify nobody.
func GroupNotifications(events []groups.Event) []Notification {
	var out []Notification
	for _, e := range events {
		switch e := e.(type) {
		case groups.JoinRequested:
			if len(e.Admins) == 0 {
				continue
			}
			content := mustJSON(map[string]string{"group_id": e.GroupID, "username": e.Username})
			subject := "User " + e.Username + " wants to join your group"
			for _, uid := range e.Admins {
				out = append(out, Notification{ID: uuid.NewString(), UserID: uid, Subject: subject, Content: content,
					Code: NotifyGroupJoinRequest, SenderID: e.ActorID, CreateTime: e.Time, Persistent: true})
			}
		case groups.MembersAdded:
			out = appendAdded(out, e.EventMeta, e.GroupName, e.Targets)
		case groups.RequestsAccepted:
			out = appendAdded(out, e.EventMeta, e.GroupName, e.Targets)
		}
	}
	return out
}

func appendAdded(out []Notification, m groups.EventMeta, name string, targets []string) []Notification {
	content := mustJSON(map[string]string{"group_id": m.GroupID, "name": name})
	subject := "You've been added to group " + name
	for _, uid := range targets {
		out = append(out, Notification{ID: uuid.NewString(), UserID: uid, Subject: subject, Content: content,
			Code: NotifyGroupAdd, SenderID: m.ActorID, CreateTime: m.Time, Persistent: true})
	}
	return out
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with maps of strings
	}
	return string(b)
}
