package server

import (
	"reflect"
	"testing"
)

func TestParseCategories(t *testing.T) {
	got, err := ParseCategories(" clan=1, party=1,guild=3,raid=0,")
	if want := map[string]int{"clan": 1, "party": 1, "guild": 3, "raid": 0}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v %v, want %v", got, err, want)
	}
	if got, err := ParseCategories(""); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %v", got, err)
	}
	for _, bad := range []string{"clan", "clan=-1", "clan=x", "Clan=1", "=1", "clan=1,clan=2", "a b=1"} {
		if _, err := ParseCategories(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
