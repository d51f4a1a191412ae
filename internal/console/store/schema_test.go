package store

import (
	"strings"
	"testing"
	"time"
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

func TestSplitDays(t *testing.T) {
	at := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC) }
	empty := func(t time.Time) Hours { return Hours{From: t, To: t} }
	for _, tc := range []struct {
		name             string
		h                Hours
		head, days, tail Hours
	}{
		{"a week from 14:00", Hours{at(1, 14), at(8, 14)}, Hours{at(1, 14), at(2, 0)}, Hours{at(2, 0), at(8, 0)}, Hours{at(8, 0), at(8, 14)}},
		{"whole days", Hours{at(1, 0), at(3, 0)}, empty(at(1, 0)), Hours{at(1, 0), at(3, 0)}, empty(at(3, 0))},
		{"within a day", Hours{at(1, 3), at(1, 9)}, Hours{at(1, 3), at(1, 9)}, empty(at(1, 9)), empty(at(1, 9))},
		{"across one midnight", Hours{at(1, 20), at(2, 4)}, Hours{at(1, 20), at(2, 4)}, empty(at(2, 4)), empty(at(2, 4))},
		{"one whole day", Hours{at(1, 23), at(3, 1)}, Hours{at(1, 23), at(2, 0)}, Hours{at(2, 0), at(3, 0)}, Hours{at(3, 0), at(3, 1)}},
	} {
		head, days, tail := tc.h.SplitDays()
		if head != tc.head || days != tc.days || tail != tc.tail {
			t.Errorf("%s: SplitDays() = %v, %v, %v; want %v, %v, %v", tc.name, head, days, tail, tc.head, tc.days, tc.tail)
		}
		if head.To.Sub(head.From)+days.To.Sub(days.From)+tail.To.Sub(tail.From) != tc.h.To.Sub(tc.h.From) {
			t.Errorf("%s: the parts do not add up to the range", tc.name)
		}
	}
}
