package conformance

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// Run runs the suite. open returns a new, empty store for each subtest
// and arranges its own clean-up (temp files, schemas) with t.Cleanup; Run
// closes every store it is given.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"Policies", func(t *testing.T, s store.Store) { testDocuments(t, policyOps(s)) }},
		{"Rulesets", func(t *testing.T, s store.Store) { testDocuments(t, rulesetOps(s)) }},
		{"PoliciesAndRulesetsAreSeparate", testSeparateNames},
		{"DeletePolicyInUse", testDeletePolicyInUse},
		{"Clusters", testClusters},
		{"ClusterTokens", testClusterTokens},
		{"AssignPolicy", testAssignPolicy},
		{"SeeAgents", testSeeAgents},
		{"RotateToken", testRotateToken},
		{"AppendEventsIdempotent", testAppendIdempotent},
		{"AppendEventsRejectsMissingID", testAppendMissingID},
		{"EventRoundTrip", testEventRoundTrip},
		{"EventTimePrecision", testEventTimePrecision},
		{"ListEventsFilters", testListFilters},
		{"ListEventsPagingAcrossTies", testPagingTies},
		{"ListEventsLimits", testLimits},
		{"ListEventsInvalidCursor", testInvalidCursor},
		{"ConcurrentAppends", testConcurrentAppends},
		{"AppendRewrittenRetry", testAppendRewrittenRetry},
		{"DeleteEventsBefore", testDeleteEventsBefore},
		{"DeleteManyEvents", testDeleteManyEvents},
		{"PrepareEventsKeepsEarlierEvents", testPrepareEventsKeepsEarlierEvents},
		{"ListEventsAcrossDays", testListEventsAcrossDays},
		{"Counts", testCounts},
		{"CountsDays", testCountsDays},
		{"CountsTies", testCountsTies},
		{"CountsDedupe", testCountsDedupe},
		{"CountsRange", testCountsRange},
		{"ScanImages", testScanImages},
		{"ScanImagesReplaceAtomically", testScanImagesAtomic},
		{"Sessions", testSessions},
		{"OIDCLogins", testOIDCLogins},
		{"LoginThrottle", testLoginThrottle},
		{"AuditRoundTrip", testAuditRoundTrip},
		{"AuditFiltersAndPaging", testAuditFiltersAndPaging},
		{"AuditLimits", testAuditLimits},
		{"Schema", testSchema},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.run(t, s)
		})
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

// wantErr fails unless err wraps target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error = %v, want one wrapping %q", what, err, target)
	}
}

// must fails on any error.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// storedTime is t as a store keeps it: UTC, at microsecond precision.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// sameInstant checks a stored time: UTC and within a microsecond of want
// (stores keep at least microseconds).
func sameInstant(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s: location %v, want UTC", what, got.Location())
	}
	if d := got.Sub(want); d >= time.Microsecond || d <= -time.Microsecond {
		t.Errorf("%s = %v, want %v (at microsecond precision)", what, got, want)
	}
}

// recent checks a time the store set itself.
func recent(t *testing.T, what string, got, before, after time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s: location %v, want UTC", what, got.Location())
	}
	if got.Before(before.Add(-time.Second)) || got.After(after.Add(time.Second)) {
		t.Errorf("%s = %v, want between %v and %v", what, got, before, after)
	}
}

// testSchema: an opened store is migrated, so its schema is current.
func testSchema(t *testing.T, s store.Store) {
	sc, err := s.Schema(ctx(t))
	if err != nil {
		t.Fatalf("Schema: %v", err)
	}
	if sc.Want < 1 || !sc.Current() {
		t.Errorf("Schema() = %+v, want a current schema with at least one migration", sc)
	}
}
