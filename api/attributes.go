package api

import "github.com/guildhall/guildhall/groups"

// attributeJSON is one group attribute (Guildhall's own, issue 11). The two
// booleans are always written (only_creator_can_edit defaults to true, so
// omitting false would read as the default); creator_id is omitted for the
// system's attributes and value when empty, as the other string fields.
type attributeJSON struct {
	Key                string `json:"key"`
	Value              string `json:"value,omitempty"`
	CreatorID          string `json:"creator_id,omitempty"`
	OnlyCreatorCanEdit bool   `json:"only_creator_can_edit"`
	CanEdit            bool   `json:"can_edit"`
	CreateTime         string `json:"create_time,omitempty"`
	UpdateTime         string `json:"update_time,omitempty"`
}

type attributeListJSON struct {
	Attributes []attributeJSON `json:"attributes,omitempty"`
}

// Attributes are not a hot path: encoding/json writes them from these structs.
func toAttributeJSON(at *groups.Attribute) attributeJSON {
	return attributeJSON{Key: at.Key, Value: at.Value, CreatorID: at.CreatorID, OnlyCreatorCanEdit: at.OnlyCreatorCanEdit,
		CanEdit: at.CanEdit, CreateTime: timestamp(at.CreateTime), UpdateTime: timestamp(at.UpdateTime)}
}

func toAttributeListJSON(l *groups.AttributeList) attributeListJSON {
	out := attributeListJSON{Attributes: make([]attributeJSON, len(l.Attributes))}
	for i := range l.Attributes {
		out.Attributes[i] = toAttributeJSON(&l.Attributes[i])
	}
	return out
}
