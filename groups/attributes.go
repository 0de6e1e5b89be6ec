package groups

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guildhall/guildhall/errs"
)

// Group attributes (issue 11, GameFuse-style): key/value settings of a group
// (emblem colours, message of the day) that its members read and, by the
// rules below, write. They are apart from Nakama's metadata, which only the
// server writes. Every change runs under the group's row lock, like its
// members, so the rules read states and the attribute as they are.

// Attribute limits.
const (
	MaxAttributeKeyLen     = 64
	MaxAttributeValueBytes = 4096
	MaxAttributesPerGroup  = 64
)

// Attribute is one attribute of a group. CanEdit is for the reader: whether
// they may edit or delete it.
type Attribute struct {
	GroupID            string
	Key                string
	Value              string
	CreatorID          string // "" for the system
	OnlyCreatorCanEdit bool
	CanEdit            bool
	CreateTime         time.Time
	UpdateTime         time.Time
}

// AttributeList is a group's attributes, ordered by key.
type AttributeList struct {
	Attributes []Attribute
}

// ListAttributesRequest names the group whose attributes to list.
type ListAttributesRequest struct {
	GroupID string `op:"group_id,path"`
}

// PutAttributeRequest creates or updates an attribute. Value is required
// to create; an update without it keeps the value. OnlyCreatorCanEdit
// defaults to true at creation and is kept by an update without it.
type PutAttributeRequest struct {
	GroupID            string  `op:"group_id,path"`
	Key                string  `op:"key,path"`
	Value              *string `op:"value"`
	OnlyCreatorCanEdit *bool   `op:"only_creator_can_edit"`
}

// AttributeRequest names one attribute (delete).
type AttributeRequest struct {
	GroupID string `op:"group_id,path"`
	Key     string `op:"key,path"`
}

// AttributeTx is the part of Tx the attributes need (embedded in Tx).
type AttributeTx interface {
	// Attribute reads one attribute (found false when it has none) and the
	// number of attributes of the group, in one round trip.
	Attribute(ctx context.Context, groupID, key string) (at Attribute, found bool, count int, err error)
	// PutAttribute inserts or replaces the attribute (key, value, creator,
	// flag and times as given).
	PutAttribute(ctx context.Context, at Attribute)
	DeleteAttribute(ctx context.Context, groupID, key string)
}

// AttributeStore is the part of Store the attributes need (embedded in Store).
type AttributeStore interface {
	// ListAttributes reads a group's attributes, ordered by key (bytewise).
	ListAttributes(ctx context.Context, groupID string) ([]Attribute, error)
}

// AttributePut: an attribute was created or changed; Attribute is the new row.
type AttributePut struct {
	EventMeta
	Attribute Attribute
	Created   bool
}

// AttributeDeleted: an attribute was deleted.
type AttributeDeleted struct {
	EventMeta
	Key string
}

var (
	errAttributeCreate  = errs.Errorf(errs.CodePermissionDenied, "Only admins may create attributes in this group.")
	errAttributeCreator = errs.Errorf(errs.CodePermissionDenied, "Attribute can only be edited by its creator.")
	errAttributeEdit    = errs.Errorf(errs.CodePermissionDenied, "Attribute can only be edited by its creator or an admin.")
	errAttributeFlag    = errs.Errorf(errs.CodePermissionDenied, "Only the attribute's creator or a superadmin may change only_creator_can_edit.")
	errAttributeMissing = errs.Errorf(errs.CodeNotFound, "Attribute not found.")
	errAttributeKey     = errs.Invalid(fmt.Sprintf("Attribute key must be 1 to %d characters of A-Z, a-z, 0-9, '_', '.' or '-'.", MaxAttributeKeyLen))
	errAttributeValue   = errs.Invalid(fmt.Sprintf("Attribute value must be at most %d bytes of UTF-8 text without NUL.", MaxAttributeValueBytes))
	errAttributeValueIn = errs.Invalid("Attribute value must be set.")
	errAttributesFull   = errs.Invalid(fmt.Sprintf("A group has at most %d attributes.", MaxAttributesPerGroup))
)

// The rules, pure functions of the actor and its state in the group (ok:
// it has a row).

// holdsAttributes: the holder of the `attributes` permission: admins,
// superadmins and the system, and members whose custom role grants it.
func holdsAttributes(a Actor, st State, ok bool, r MemberRole) bool {
	return HoldsPermission(a, st, ok, r, PermAttributes)
}

// attributeMember: attributes are for members (states 0–2) and the system.
func attributeMember(a Actor, st State, ok bool) bool {
	return a.System || ok && st.Counts()
}

// canCreateAttribute: any member, unless the group allows only holders of
// `attributes`.
func canCreateAttribute(a Actor, g Group, st State, ok bool, r MemberRole) bool {
	return attributeMember(a, st, ok) && (!g.AdminsOnlyCreateAttributes || holdsAttributes(a, st, ok, r))
}

// editAttribute is nil when the actor may edit or delete at, else the
// refusal: the creator, a superadmin (and the system) always; holders of
// `attributes` when it is not creator-only.
func editAttribute(a Actor, at Attribute, st State, ok bool, r MemberRole) error {
	switch {
	case !attributeMember(a, st, ok):
		return errPermission
	case a.System || st == Superadmin || a.UserID != "" && at.CreatorID == a.UserID:
		return nil
	case at.OnlyCreatorCanEdit:
		return errAttributeCreator
	case holdsAttributes(a, st, ok, r):
		return nil
	}
	return errAttributeEdit
}

// canSetCreatorOnly: only the creator or a superadmin (or the system)
// changes who may edit.
func canSetCreatorOnly(a Actor, at Attribute, st State, ok bool) bool {
	return a.System || ok && st == Superadmin || a.UserID != "" && at.CreatorID == a.UserID
}

// checkAttributeKey: 1–64 of [A-Za-z0-9_.-].
func checkAttributeKey(key string) error {
	if key == "" || len(key) > MaxAttributeKeyLen {
		return errAttributeKey
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return errAttributeKey
		}
	}
	return nil
}

// checkAttributeValue: at most 4096 bytes of valid UTF-8 without NUL.
func checkAttributeValue(v string) error {
	if len(v) > MaxAttributeValueBytes || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return errAttributeValue
	}
	return nil
}

// ListAttributes returns a group's attributes ordered by key, each with
// whether the caller may edit it. Members (states 0–2) only.
func (s *Service) ListAttributes(ctx context.Context, a Actor, req ListAttributesRequest) (AttributeList, error) {
	if s.disabled {
		return AttributeList{}, ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return AttributeList{}, err
	}
	if a, err = checkActor(a); err != nil {
		return AttributeList{}, err
	}
	_, st, err := s.store.GetGroup(ctx, id, a.UserID)
	if errors.Is(err, ErrNotFound) {
		return AttributeList{}, errPermission
	} else if err != nil {
		return AttributeList{}, err
	}
	var state State
	if st != nil {
		state = *st
	}
	if !attributeMember(a, state, st != nil) {
		return AttributeList{}, errPermission
	}
	ats, err := s.store.ListAttributes(ctx, id)
	if err != nil {
		return AttributeList{}, err
	}
	// A member's custom role may grant `attributes`: read it only when
	// that can change an answer (an attribute open to holders, not the
	// caller's own).
	var role MemberRole
	if st != nil && state == Member {
		for i := range ats {
			if !ats[i].OnlyCreatorCanEdit && ats[i].CreatorID != a.UserID {
				if role, err = s.store.HeldRole(ctx, id, a.UserID); err != nil {
					return AttributeList{}, err
				}
				break
			}
		}
	}
	for i := range ats {
		ats[i].CanEdit = editAttribute(a, ats[i], state, st != nil, role) == nil
	}
	return AttributeList{Attributes: ats}, nil
}

// PutAttribute creates or updates one attribute of a group.
func (s *Service) PutAttribute(ctx context.Context, a Actor, req PutAttributeRequest) (Attribute, error) {
	if s.disabled {
		return Attribute{}, ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return Attribute{}, err
	}
	if err := checkAttributeKey(req.Key); err != nil {
		return Attribute{}, err
	}
	if req.Value != nil {
		if err := checkAttributeValue(*req.Value); err != nil {
			return Attribute{}, err
		}
	}
	if a, err = checkActor(a); err != nil {
		return Attribute{}, err
	}
	var out Attribute
	err = s.tx(ctx, func(tx Tx) error {
		l, err := tx.Lock(ctx, LockQuery{GroupID: id, UserIDs: actorIDs(a)})
		if errors.Is(err, ErrNotFound) {
			return errPermission
		} else if err != nil {
			return err
		}
		st, ok := l.States[a.UserID]
		if !attributeMember(a, st, ok) {
			return errPermission
		}
		at, found, count, err := tx.Attribute(ctx, id, req.Key)
		if err != nil {
			return err
		}
		now := s.now()
		if found {
			if err := editAttribute(a, at, st, ok, l.Role(a.UserID)); err != nil {
				return err
			}
			if req.OnlyCreatorCanEdit != nil && *req.OnlyCreatorCanEdit != at.OnlyCreatorCanEdit &&
				!canSetCreatorOnly(a, at, st, ok) {
				return errAttributeFlag
			}
		} else {
			if !canCreateAttribute(a, l.Group, st, ok, l.Role(a.UserID)) {
				return errAttributeCreate
			}
			if req.Value == nil {
				return errAttributeValueIn
			}
			if count >= MaxAttributesPerGroup {
				return errAttributesFull
			}
			at = Attribute{GroupID: id, Key: req.Key, CreatorID: a.UserID, OnlyCreatorCanEdit: true, CreateTime: now}
		}
		set(&at.Value, req.Value)
		set(&at.OnlyCreatorCanEdit, req.OnlyCreatorCanEdit)
		at.UpdateTime = now
		tx.PutAttribute(ctx, at)
		tx.Record(AttributePut{EventMeta: meta(id, a, now), Attribute: at, Created: !found})
		at.CanEdit = editAttribute(a, at, st, ok, l.Role(a.UserID)) == nil
		out = at
		return nil
	})
	if err != nil {
		return Attribute{}, err
	}
	return out, nil
}

// DeleteAttribute deletes one attribute of a group, by the edit rule.
func (s *Service) DeleteAttribute(ctx context.Context, a Actor, req AttributeRequest) error {
	if s.disabled {
		return ErrDisabled
	}
	id, err := checkGroupID(req.GroupID)
	if err != nil {
		return err
	}
	if err := checkAttributeKey(req.Key); err != nil {
		return err
	}
	if a, err = checkActor(a); err != nil {
		return err
	}
	return s.tx(ctx, func(tx Tx) error {
		l, err := tx.Lock(ctx, LockQuery{GroupID: id, UserIDs: actorIDs(a)})
		if errors.Is(err, ErrNotFound) {
			return errPermission
		} else if err != nil {
			return err
		}
		st, ok := l.States[a.UserID]
		if !attributeMember(a, st, ok) {
			return errPermission
		}
		at, found, _, err := tx.Attribute(ctx, id, req.Key)
		if err != nil {
			return err
		}
		if !found {
			return errAttributeMissing
		}
		if err := editAttribute(a, at, st, ok, l.Role(a.UserID)); err != nil {
			return err
		}
		tx.DeleteAttribute(ctx, id, req.Key)
		tx.Record(AttributeDeleted{EventMeta: meta(id, a, s.now()), Key: req.Key})
		return nil
	})
}
