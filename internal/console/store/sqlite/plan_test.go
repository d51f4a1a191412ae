package sqlite

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/cursor"
)

// TestListEventsPlans checks, for every combination of filters, that
// ListEvents walks one index in order: no table scan, no sort.
func TestListEventsPlans(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for mask := range 64 {
		f := store.EventFilter{}
		if mask&1 != 0 {
			f.Cluster = "c"
		}
		if mask&2 != 0 {
			f.Namespace = "n"
		}
		if mask&4 != 0 {
			f.Rule = "r"
		}
		if mask&8 != 0 {
			f.Action = "a"
		}
		if mask&16 != 0 {
			f.Since = time.Unix(1, 0)
		}
		if mask&32 != 0 {
			f.Cursor = cursor.Encode(5, 5)
		}
		q, args, err := eventQuery(f, 100)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		want := fmt.Sprintf("SEARCH events USING INDEX %s (", eventIndex(f))
		if f == (store.EventFilter{}) {
			want = "SCAN events USING INDEX events_ts"
		}
		if !strings.HasPrefix(p, want) || strings.Contains(p, "TEMP B-TREE") || len(plan) != 1 {
			t.Errorf("filter %+v: plan %q; want one step, %q..., no sort", f, p, want)
		}
	}
}

// TestListAuditPlans checks that ListAudit walks one index in order for
// every combination of filters, and that agents' token lookups use the
// two token indexes.
func TestListAuditPlans(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	plan := func(q string, args ...any) []string {
		t.Helper()
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var steps []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			steps = append(steps, detail)
		}
		return steps
	}
	for mask := range 8 {
		f := store.AuditFilter{}
		want := "SCAN audit USING INDEX audit_ts"
		if mask&1 != 0 {
			f.Action, want = "policy.update", "SEARCH audit USING INDEX audit_action ("
		}
		if mask&2 != 0 {
			f.Target, want = "prod", "SEARCH audit USING INDEX audit_target ("
		}
		if mask&4 != 0 {
			f.Cursor = cursor.Encode(5, 5)
			if mask&3 == 0 {
				want = "SEARCH audit USING INDEX audit_ts ("
			}
		}
		q, args, err := auditQuery(f, 100)
		if err != nil {
			t.Fatal(err)
		}
		steps := plan(q, args...)
		p := strings.Join(steps, "; ")
		if !strings.HasPrefix(p, want) || strings.Contains(p, "TEMP B-TREE") || len(steps) != 1 {
			t.Errorf("filter %+v: plan %q; want one step, %q..., no sort", f, p, want)
		}
	}
	p := strings.Join(plan(clusterByToken, []byte{1}, []byte{1}, []byte{1}), "; ")
	for _, index := range []string{"sqlite_autoindex_clusters_2", "clusters_prev_token_hash"} {
		if !strings.Contains(p, index) || strings.Contains(p, "SCAN clusters") {
			t.Errorf("token lookup plan %q: want it to search %s, and no scan", p, index)
		}
	}
}
