package store

import (
	"strings"
	"testing"
)

func TestSchemaString(t *testing.T) {
	for _, tc := range []struct {
		s       Schema
		current bool
		want    string
	}{
		{Schema{Applied: 3, Want: 3}, true, "current (migration 3)"},
		{Schema{Applied: 2, Want: 3}, false, "at migration 2, this binary needs 3: run `palisade console migrate`"},
		{Schema{Applied: 0, Want: 3}, false, "at migration 0, this binary needs 3"},
		{Schema{Applied: 4, Want: 3}, false, "migration 4 is newer than this binary's 3: upgrade palisade"},
	} {
		if tc.s.Current() != tc.current {
			t.Errorf("%+v.Current() = %v", tc.s, !tc.current)
		}
		if got := tc.s.String(); !strings.Contains(got, tc.want) {
			t.Errorf("%+v.String() = %q, want it to contain %q", tc.s, got, tc.want)
		}
	}
}
