package groups

import (
	"context"
	"sort"
	"unicode"
	"unicode/utf8"

	"github.com/guildhall/guildhall/errs"
)

// Join policies, tags and categories: the checks CreateGroup, UpdateGroup,
// JoinGroup, AddUsers and the invitations share.

// The coded errors of the policies, with the contract's messages.
var (
	errInviteOnly = errs.Errorf(errs.CodePermissionDenied, "This group accepts new members by invitation only.")
	errClosed     = errs.Errorf(errs.CodePermissionDenied, "This group is closed to new members.")
	errTagTaken   = errs.Errorf(errs.CodeAlreadyExists, "Group tag is in use.")
	errContradict = errs.Invalid("Group open and join_policy contradict each other.")
	errBadPolicy  = errs.Invalid("Group join_policy must be one of open, request, invite_only, closed.")
	errBadTag     = errs.Invalid("Group tag must be 2 to 5 letters or digits.")

	// ErrDisabled is every group operation's answer while groups are
	// disabled (WithGroupsDisabled).
	ErrDisabled = errs.Errorf(errs.CodePermissionDenied, "Groups are disabled.")
)

// createPolicy is a new group's policy: join_policy when given (open, when
// also given, must agree), else open:true is open and anything else request.
func createPolicy(open *bool, policy string) (JoinPolicy, error) {
	if policy == "" {
		if open != nil && *open {
			return PolicyOpen, nil
		}
		return PolicyRequest, nil
	}
	return givenPolicy(open, policy)
}

func givenPolicy(open *bool, policy string) (JoinPolicy, error) {
	p := JoinPolicy(policy)
	if !p.Valid() {
		return "", errBadPolicy
	}
	if open != nil && *open != (p == PolicyOpen) {
		return "", errContradict
	}
	return p, nil
}

// updatePolicy is a group's policy after an update: join_policy when given;
// open:true makes it open; open:false turns open into request and leaves
// the other policies alone.
func updatePolicy(cur JoinPolicy, open *bool, policy *string) (JoinPolicy, error) {
	switch {
	case policy != nil:
		return givenPolicy(open, *policy)
	case open == nil:
		return cur, nil
	case *open:
		return PolicyOpen, nil
	case cur == PolicyOpen:
		return PolicyRequest, nil
	}
	return cur, nil
}

// checkTag: "" (none) or 2 to 5 letters or digits.
func checkTag(tag string) error {
	if tag == "" {
		return nil
	}
	if !utf8.ValidString(tag) {
		return errBadTag
	}
	n := utf8.RuneCountInString(tag)
	if n < 2 || n > 5 {
		return errBadTag
	}
	for _, r := range tag {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return errBadTag
		}
	}
	return nil
}

func (s *Service) knownCategory(c string) bool {
	if c == DefaultCategory {
		return true
	}
	_, ok := s.categories[c]
	return ok
}

// CategoryLimit is the most groups of category c a user may be a member
// of; 0 is unlimited.
func (s *Service) CategoryLimit(c string) int { return s.categories[c] }

// checkCategory refuses when one of userIDs is already a member of as many
// groups of category as it allows. Only a limited category costs anything:
// the users' rows are locked (so two joins of one user to two groups of the
// category serialise on the user, whatever groups they lock) and their
// memberships counted, in one round trip.
func (s *Service) checkCategory(ctx context.Context, tx Tx, category string, userIDs []string) error {
	limit := s.categories[category]
	if limit <= 0 {
		return nil
	}
	ids := append([]string(nil), userIDs...)
	sort.Strings(ids) // one lock order for every transaction
	counts, err := tx.CategoryCounts(ctx, ids, category)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if counts[id] >= limit {
			return categoryFull(category)
		}
	}
	return nil
}

func categoryFull(category string) error {
	return errs.Errorf(errs.CodeFailedPrecondition, "User is already in the maximum number of groups of category %q.", category)
}
