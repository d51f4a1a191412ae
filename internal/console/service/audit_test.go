package service

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/storetest"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

var auditPolicy = fixture.PolicyYAML("prod", "block")

const auditRuleset = `apiVersion: palisade.dev/v1
kind: RuntimeRuleset
metadata: {name: guard}
spec:
  falcoAlerts: [Terminal shell in container]
`

// auditService is a service on a fresh SQLite store whose clock is *now.
func auditService(t *testing.T, now *time.Time, set func(*Options)) (*Service, store.Store) {
	t.Helper()
	st, _ := storetest.Backends(t)[0].Open(t)
	t.Cleanup(func() { st.Close() })
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Store: st, Registry: reg, Now: func() time.Time { return *now }}
	if set != nil {
		set(&opts)
	}
	return New(opts), st
}

// auditLog reads the whole audit log, oldest first.
func auditLog(t *testing.T, st store.Store) []store.AuditEntry {
	t.Helper()
	p, err := st.ListAudit(context.Background(), store.AuditFilter{Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	es := p.Entries
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

// brief is an entry without its ID, time and detail, for comparisons.
type brief struct{ Actor, Remote, Action, Target string }

func briefs(es []store.AuditEntry) []brief {
	out := make([]brief, len(es))
	for i, e := range es {
		out[i] = brief{e.Actor, e.Remote, e.Action, e.Target}
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Every change is recorded once, after it is made, with the actor and
// address the request's context carries, at the service's clock; a change
// refused is not recorded.
func TestAuditRecordsEveryChange(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	s, st := auditService(t, &now, nil)
	admin := Actor{Name: "token:admin", Remote: "192.0.2.10"}
	ctx := WithActor(context.Background(), admin)

	_, err := s.CreatePolicy(ctx, []byte(auditPolicy))
	must(t, err)
	if _, err := s.CreatePolicy(ctx, []byte(auditPolicy)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	_, err = s.UpdatePolicy(ctx, "prod", []byte(strings.Replace(auditPolicy, "action: block", "action: log", 1)), 0)
	must(t, err)
	_, err = s.CreateRuleset(ctx, []byte(auditRuleset))
	must(t, err)
	_, err = s.UpdateRuleset(ctx, "guard", []byte(strings.Replace(auditRuleset, "Terminal shell", "Shell", 1)), 1)
	must(t, err)
	_, _, err = s.RegisterCluster(ctx, "east")
	must(t, err)
	_, err = s.AssignPolicy(ctx, "east", "prod")
	must(t, err)
	if err := s.DeletePolicy(ctx, "prod"); !errors.Is(err, store.ErrInUse) {
		t.Fatalf("delete an assigned policy: %v, want ErrInUse", err)
	}
	_, err = s.AssignPolicy(ctx, "east", "")
	must(t, err)
	now = now.Add(time.Minute)
	_, _, err = s.RotateToken(ctx, "east", time.Hour)
	must(t, err)
	must(t, s.DeleteCluster(ctx, "east"))
	must(t, s.DeletePolicy(ctx, "prod"))
	must(t, s.DeleteRuleset(ctx, "guard"))
	s.RecordLogin(WithActor(ctx, Actor{Name: "ui:viewer", Remote: "192.0.2.11"}), "viewer")
	s.RecordFailedLogin(WithActor(ctx, Actor{Name: ActorAnonymous, Remote: "192.0.2.12"}))

	es := auditLog(t, st)
	a := func(action, target string) brief { return brief{admin.Name, admin.Remote, action, target} }
	want := []brief{
		a(AuditPolicyCreate, "prod"),
		a(AuditPolicyUpdate, "prod"),
		a(AuditRulesetCreate, "guard"),
		a(AuditRulesetUpdate, "guard"),
		a(AuditClusterCreate, "east"),
		a(AuditTokenIssue, "east"),
		a(AuditClusterAssign, "east"),
		a(AuditClusterAssign, "east"),
		a(AuditTokenRotate, "east"),
		a(AuditClusterDelete, "east"),
		a(AuditPolicyDelete, "prod"),
		a(AuditRulesetDelete, "guard"),
		{"ui:viewer", "192.0.2.11", AuditLogin, "viewer"},
		{ActorAnonymous, "192.0.2.12", AuditLoginFailed, ""},
	}
	if diff := cmp.Diff(want, briefs(es)); diff != "" {
		t.Fatalf("audit log (-want +got):\n%s", diff)
	}
	if !es[0].Time.Equal(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)) || !es[8].Time.Equal(now) {
		t.Errorf("times %v, %v: want the service's clock", es[0].Time, es[8].Time)
	}
	for i, d := range map[int][]string{
		0:  {"--- /dev/null\n+++ prod (version 1)\n@@ -0,0 +1,10 @@\n+apiVersion: palisade.dev/v1\n", "+      - action: block\n"},
		1:  {"--- prod (version 1)\n+++ prod (version 2)\n", "-      - action: block\n+      - action: log\n"},
		3:  {"--- guard (version 1)\n+++ guard (version 2)\n", "-  - Terminal shell in container\n+  - Shell in container\n"},
		5:  {"agent token issued at registration"},
		6:  {`policy "prod" assigned`},
		7:  {"assignment cleared"},
		8:  {"the previous token works until 2026-03-04T06:07:07Z"},
		10: {"--- prod (version 2)\n+++ /dev/null\n", "-      - action: log\n"},
		11: {"+++ /dev/null\n", "-  - Shell in container\n"},
	} {
		for _, part := range d {
			if !strings.Contains(es[i].Detail, part) {
				t.Errorf("%s detail:\n%s\nwant it to contain %q", es[i].Action, es[i].Detail, part)
			}
		}
	}
}

// An unconditional update raced by another records the diff from the
// version it replaced, not from the one it first read.
func TestAuditUpdateDiffIsFromTheVersionReplaced(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	s, st := auditService(t, &now, nil)
	ctx := context.Background()
	_, err := s.CreatePolicy(ctx, []byte(auditPolicy))
	must(t, err)
	racer := strings.Replace(auditPolicy, "action: block", "action: log", 1)
	s.store = &racingStore{Store: st, race: func() {
		if _, err := st.UpdatePolicy(ctx, "prod", mustJSON(t, s, racer), 0); err != nil {
			t.Error(err)
		}
	}}
	mine := strings.Replace(auditPolicy, "{rule: privileged, action: block}", "{rule: hostPID, action: block}", 1)
	if _, err := s.UpdatePolicy(ctx, "prod", []byte(mine), 0); err != nil {
		t.Fatal(err)
	}
	es := auditLog(t, st)
	last := es[len(es)-1]
	for _, part := range []string{"--- prod (version 2)\n+++ prod (version 3)\n", "-      - action: log\n-        rule: privileged\n"} {
		if !strings.Contains(last.Detail, part) {
			t.Errorf("diff after a race:\n%s\nwant it to contain %q", last.Detail, part)
		}
	}
	if last.Actor != ActorUnknown {
		t.Errorf("a change without an actor in its context is recorded as %q, want %q", last.Actor, ActorUnknown)
	}
}

// racingStore runs race once, just before the first UpdatePolicy.
type racingStore struct {
	store.Store
	race func()
}

func (r *racingStore) UpdatePolicy(ctx context.Context, name string, body []byte, version int64) (store.Document, error) {
	if r.race != nil {
		r.race()
		r.race = nil
	}
	return r.Store.UpdatePolicy(ctx, name, body, version)
}

func mustJSON(t *testing.T, s *Service, yaml string) []byte {
	t.Helper()
	_, j, err := s.parse([]byte(yaml), "Policy")
	must(t, err)
	return j
}

// auditFailingStore cannot write the audit log.
type auditFailingStore struct{ store.Store }

func (auditFailingStore) AppendAudit(context.Context, store.AuditEntry) (store.AuditEntry, error) {
	return store.AuditEntry{}, errors.New("disk full")
}

// A change whose audit entry cannot be written stands; the entry goes to
// the console's log.
func TestAuditFailureKeepsTheChange(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var logs bytes.Buffer
	s, st := auditService(t, &now, func(o *Options) {
		o.Store = auditFailingStore{o.Store}
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	ctx := WithActor(context.Background(), Actor{Name: "token:admin", Remote: "192.0.2.10"})
	if _, err := s.CreatePolicy(ctx, []byte(auditPolicy)); err != nil {
		t.Fatalf("create with the audit log failing: %v", err)
	}
	if _, err := st.GetPolicy(ctx, "prod"); err != nil {
		t.Errorf("the policy was not kept: %v", err)
	}
	for _, part := range []string{"level=ERROR", "could not write the audit log", "action=policy.create", "target=prod",
		"actor=token:admin", "remote=192.0.2.10", `error="disk full"`} {
		if !strings.Contains(logs.String(), part) {
			t.Errorf("log %q lacks %q", logs.String(), part)
		}
	}
}

func TestAuditDetailIsBoundedAndClean(t *testing.T) {
	huge := strings.Repeat("é", AuditDetailLimit) // two bytes each
	got := bound(huge, AuditDetailLimit)
	if len(got) > AuditDetailLimit || !strings.HasSuffix(got, " bytes]") || !strings.Contains(got, "…[truncated ") {
		t.Errorf("bound: %d bytes ending %q", len(got), got[len(got)-40:])
	}
	if g := clean("a\x00b\xffc"); g != "a\uFFFDb\uFFFDc" {
		t.Errorf("clean = %q", g)
	}
}
