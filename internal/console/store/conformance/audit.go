package conformance

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/palisade-dev/palisade/internal/console/store"
)

var (
	auditActions = []string{"policy.create", "policy.update", "cluster.assign", "token.rotate", "login.failed"}
	auditTargets = []string{"prod", "staging", "baseline", ""}
)

// genAudit makes n varied entries whose times, spread over spread seconds
// at whole seconds, often tie. Detail carries the entry's number.
func genAudit(r *rand.Rand, n, spread int) []store.AuditEntry {
	es := make([]store.AuditEntry, n)
	for i := range es {
		es[i] = store.AuditEntry{
			Time:   base.Add(time.Duration(r.IntN(spread)) * time.Second),
			Actor:  "ui:admin",
			Remote: "192.0.2.7",
			Action: auditActions[r.IntN(len(auditActions))],
			Target: auditTargets[r.IntN(len(auditTargets))],
			Detail: fmt.Sprintf("entry %d", i),
		}
	}
	return es
}

// appendAudit stores es in order and returns them as stored, with IDs.
func appendAudit(t *testing.T, s store.Store, es []store.AuditEntry) []store.AuditEntry {
	t.Helper()
	out := make([]store.AuditEntry, len(es))
	for i, e := range es {
		got, err := s.AppendAudit(ctx(t), e)
		must(t, "append audit entry", err)
		if i > 0 && got.ID <= out[i-1].ID {
			t.Fatalf("audit IDs do not grow: %d after %d", got.ID, out[i-1].ID)
		}
		out[i] = got
	}
	return out
}

// auditModel is the reference ListAudit without paging: the details (one
// per entry) of the matches, newest first, then by arrival.
func auditModel(es []store.AuditEntry, f store.AuditFilter) []string {
	var hits []store.AuditEntry
	for _, e := range es {
		if (f.Action == "" || e.Action == f.Action) && (f.Target == "" || e.Target == f.Target) {
			hits = append(hits, e)
		}
	}
	slices.SortStableFunc(hits, func(a, b store.AuditEntry) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	out := make([]string, 0, len(hits))
	for _, e := range hits {
		out = append(out, e.Detail)
	}
	return out
}

// pageAudit follows cursors from the first page to the last, checking each
// page, and returns the details in order.
func pageAudit(t *testing.T, s store.Store, f store.AuditFilter, total int) []string {
	t.Helper()
	want := f.Limit
	if want == 0 {
		want = store.DefaultPageSize
	}
	var out []string
	for pages := 0; ; pages++ {
		if pages > total/want+2 {
			t.Fatalf("%+v: more pages than %d entries need", f, total)
		}
		p, err := s.ListAudit(ctx(t), f)
		must(t, fmt.Sprintf("list audit %+v", f), err)
		if len(p.Entries) > want || (p.Next != "" && len(p.Entries) != want) {
			t.Fatalf("%+v: a page of %d entries, next %q; want full pages of %d", f, len(p.Entries), p.Next, want)
		}
		for _, e := range p.Entries {
			out = append(out, e.Detail)
		}
		if p.Next == "" {
			return out
		}
		f.Cursor = p.Next
	}
}

func testAuditRoundTrip(t *testing.T, s store.Store) {
	c := ctx(t)
	p, err := s.ListAudit(c, store.AuditFilter{})
	must(t, "list an empty log", err)
	if len(p.Entries) != 0 || p.Next != "" {
		t.Fatalf("empty log: %+v", p)
	}
	want := store.AuditEntry{
		Time:  time.Date(2031, 2, 3, 4, 5, 6, 789012345, time.FixedZone("CET", 3600)),
		Actor: "ui:admin", Remote: "2001:db8::7", Action: "policy.update", Target: "prod",
		Detail: "--- prod (version 1)\n+++ prod (version 2)\n@@ -1,2 +1,2 @@\n-  a: \"ü\"\n+  a: '✓'\n",
	}
	got, err := s.AppendAudit(c, want)
	must(t, "append", err)
	if got.ID == 0 {
		t.Error("AppendAudit returned no ID")
	}
	sameInstant(t, "returned time", got.Time, want.Time)

	before := time.Now()
	now, err := s.AppendAudit(c, store.AuditEntry{Actor: "anonymous", Remote: "192.0.2.1", Action: "login.failed"})
	must(t, "append with no time", err)
	recent(t, "a zero Time", now.Time, before, time.Now())
	if now.ID <= got.ID {
		t.Errorf("second ID %d, first %d: IDs must grow", now.ID, got.ID)
	}

	_, err = s.AppendAudit(c, store.AuditEntry{Actor: "ui:admin", Target: "prod"})
	wantErr(t, "append without an action", err, store.ErrInvalid)

	p, err = s.ListAudit(c, store.AuditFilter{})
	must(t, "list", err)
	if len(p.Entries) != 2 || p.Next != "" {
		t.Fatalf("list = %+v; want the two entries", p)
	}
	// Newest first by time, whatever the arrival: the entry dated 2031
	// before the one stamped now.
	first, second := p.Entries[0], p.Entries[1]
	if first.Action != "policy.update" || second.Action != "login.failed" {
		t.Fatalf("order = %s, %s; want policy.update (2031) before login.failed (now)", first.Action, second.Action)
	}
	sameInstant(t, "listed time", first.Time, want.Time)
	want.ID, want.Time, first.Time = got.ID, time.Time{}, time.Time{}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("listed entry (-want +got):\n%s", diff)
	}
	if second.ID != now.ID || !second.Time.Equal(now.Time) || second.Actor != "anonymous" || second.Target != "" || second.Detail != "" {
		t.Errorf("listed login.failed = %+v, appended %+v", second, now)
	}
}

func testAuditFiltersAndPaging(t *testing.T, s store.Store) {
	r := rand.New(rand.NewPCG(21, 22))
	// Ties: many entries at one instant, arriving between others.
	es := genAudit(r, 150, 40)
	tied := genAudit(r, 60, 1)
	for i := range tied {
		tied[i].Detail = fmt.Sprintf("tied %d", i)
	}
	es = slices.Concat(es[:70], tied, es[70:])
	stored := appendAudit(t, s, es)
	for _, f := range []store.AuditFilter{
		{},
		{Action: "policy.update"},
		{Target: "prod"},
		{Target: ""},
		{Action: "token.rotate", Target: "staging"},
		{Action: "login.failed", Target: ""},
		{Action: "nothing"},
		{Target: "PROD"},
	} {
		want := auditModel(stored, f)
		for _, limit := range []int{0, 7, 1} {
			f.Limit = limit
			got := pageAudit(t, s, f, len(want))
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ListAudit(%+v) (-want +got):\n%s", f, diff)
			}
		}
	}
	for _, cur := range []string{"not a cursor", "AAAA", strings.Repeat("A", 64)} {
		_, err := s.ListAudit(ctx(t), store.AuditFilter{Cursor: cur})
		wantErr(t, fmt.Sprintf("cursor %q", cur), err, store.ErrInvalid)
	}
}

func testAuditLimits(t *testing.T, s store.Store) {
	c := ctx(t)
	es := genAudit(rand.New(rand.NewPCG(23, 24)), store.MaxPageSize+3, 600)
	appendAudit(t, s, es)
	checkPageLimits(t, store.MaxPageSize+3, func(limit int, cur string) (int, string, error) {
		p, err := s.ListAudit(c, store.AuditFilter{Limit: limit, Cursor: cur})
		return len(p.Entries), p.Next, err
	})
}
