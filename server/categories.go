package server

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseCategories reads --groups.categories: "clan=1,party=1,guild=3", each
// a category name (lower-case letters, digits, _ and -) and the most groups
// of it a user may be a member of (0 is unlimited). "" is none.
func ParseCategories(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || !categoryName(k) {
			return nil, fmt.Errorf("groups.categories: %q is not name=limit (name of a-z, 0-9, _ and -)", kv)
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("groups.categories: %q: the limit must be a number >= 0", kv)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("groups.categories: %q is listed twice", k)
		}
		out[k] = n
	}
	return out, nil
}

func categoryName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
