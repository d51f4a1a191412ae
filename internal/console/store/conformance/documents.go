package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// docOps is one kind of versioned document: policies or rulesets.
type docOps struct {
	kind   string
	create func(ctx context.Context, name string, body []byte) (store.Document, error)
	update func(ctx context.Context, name string, body []byte, version int64) (store.Document, error)
	get    func(ctx context.Context, name string) (store.Document, error)
	list   func(ctx context.Context) ([]store.Document, error)
	delete func(ctx context.Context, name string) error
}

func policyOps(s store.Store) docOps {
	return docOps{"policy", s.CreatePolicy, s.UpdatePolicy, s.GetPolicy, s.ListPolicies, s.DeletePolicy}
}

func rulesetOps(s store.Store) docOps {
	return docOps{"ruleset", s.CreateRuleset, s.UpdateRuleset, s.GetRuleset, s.ListRulesets, s.DeleteRuleset}
}

func testDocuments(t *testing.T, o docOps) {
	c := ctx(t)
	if ds, err := o.list(c); err != nil || len(ds) != 0 {
		t.Fatalf("list of an empty store = %v, %v; want none", ds, err)
	}

	// Create: version 1, bytes kept exactly, times set by the store.
	body := []byte("{ \"spaced\" :  true,\n  \"b\": [1, 2] }\n")
	before := time.Now()
	d, err := o.create(c, "alpha", body)
	after := time.Now()
	must(t, "create alpha", err)
	if d.Name != "alpha" || d.Version != 1 || string(d.Body) != string(body) {
		t.Fatalf("create alpha = %+v, want name alpha, version 1, the body as given", d)
	}
	recent(t, "CreatedAt", d.CreatedAt, before, after)
	if !d.UpdatedAt.Equal(d.CreatedAt) {
		t.Errorf("UpdatedAt %v != CreatedAt %v on create", d.UpdatedAt, d.CreatedAt)
	}
	got, err := o.get(c, "alpha")
	must(t, "get alpha", err)
	if diff := cmp.Diff(d, got); diff != "" {
		t.Errorf("get alpha differs from what create returned (-create +get):\n%s", diff)
	}

	_, err = o.create(c, "alpha", []byte(`{}`))
	wantErr(t, "create alpha twice", err, store.ErrExists)
	_, err = o.get(c, "missing")
	wantErr(t, "get missing", err, store.ErrNotFound)

	// Update with the current version, then a stale one, then 0.
	time.Sleep(2 * time.Millisecond)
	d2, err := o.update(c, "alpha", []byte(`{"v":2}`), 1)
	must(t, "update alpha at version 1", err)
	if d2.Version != 2 || string(d2.Body) != `{"v":2}` || !d2.CreatedAt.Equal(d.CreatedAt) || !d2.UpdatedAt.After(d.UpdatedAt) {
		t.Fatalf("update alpha = %+v, want version 2, the new body, CreatedAt %v kept, UpdatedAt later", d2, d.CreatedAt)
	}
	_, err = o.update(c, "alpha", []byte(`{"v":"stale"}`), 1)
	wantErr(t, "update alpha at stale version 1", err, store.ErrConflict)
	_, err = o.update(c, "alpha", []byte(`{"v":"future"}`), 7)
	wantErr(t, "update alpha at version 7", err, store.ErrConflict)
	got, err = o.get(c, "alpha")
	must(t, "get alpha", err)
	if diff := cmp.Diff(d2, got); diff != "" {
		t.Errorf("a refused update changed alpha (-want +got):\n%s", diff)
	}
	d3, err := o.update(c, "alpha", []byte(`{"v":3}`), 0)
	must(t, "unconditional update of alpha", err)
	if d3.Version != 3 || string(d3.Body) != `{"v":3}` {
		t.Errorf("unconditional update = %+v, want version 3", d3)
	}
	for _, v := range []int64{0, 1} {
		_, err = o.update(c, "missing", []byte(`{}`), v)
		wantErr(t, "update missing", err, store.ErrNotFound)
	}

	// List by name.
	for _, n := range []string{"charlie", "bravo"} {
		_, err := o.create(c, n, []byte(`{"name":"`+n+`"}`))
		must(t, "create "+n, err)
	}
	ds, err := o.list(c)
	must(t, "list", err)
	var names []string
	for _, d := range ds {
		names = append(names, d.Name)
	}
	if diff := cmp.Diff([]string{"alpha", "bravo", "charlie"}, names); diff != "" {
		t.Errorf("list names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(d3, ds[0]); diff != "" {
		t.Errorf("listed alpha (-want +got):\n%s", diff)
	}

	// Delete, and create again from version 1.
	must(t, "delete bravo", o.delete(c, "bravo"))
	_, err = o.get(c, "bravo")
	wantErr(t, "get deleted bravo", err, store.ErrNotFound)
	wantErr(t, "delete bravo twice", o.delete(c, "bravo"), store.ErrNotFound)
	wantErr(t, "delete missing", o.delete(c, "missing"), store.ErrNotFound)
	again, err := o.create(c, "bravo", []byte(`{}`))
	must(t, "create bravo again", err)
	if again.Version != 1 {
		t.Errorf("re-created bravo has version %d, want 1", again.Version)
	}
}

func testSeparateNames(t *testing.T, s store.Store) {
	c := ctx(t)
	_, err := s.CreatePolicy(c, "same", []byte(`{"kind":"Policy"}`))
	must(t, "create policy", err)
	_, err = s.CreateRuleset(c, "same", []byte(`{"kind":"RuntimeRuleset"}`))
	must(t, "create ruleset of the same name", err)
	must(t, "delete ruleset", s.DeleteRuleset(c, "same"))
	if d, err := s.GetPolicy(c, "same"); err != nil || string(d.Body) != `{"kind":"Policy"}` {
		t.Errorf("policy after deleting the ruleset of its name = %+v, %v", d, err)
	}
}

func testDeletePolicyInUse(t *testing.T, s store.Store) {
	c := ctx(t)
	_, err := s.CreatePolicy(c, "strict", []byte(`{}`))
	must(t, "create policy", err)
	_, err = s.CreateCluster(c, store.Cluster{Name: "prod", Policy: "strict", TokenHash: hash("prod")})
	must(t, "create cluster with the policy", err)
	_, err = s.CreateCluster(c, store.Cluster{Name: "dev", TokenHash: hash("dev")})
	must(t, "create cluster", err)
	_, err = s.AssignPolicy(c, "dev", "strict")
	must(t, "assign", err)

	wantErr(t, "delete a policy two clusters use", s.DeletePolicy(c, "strict"), store.ErrInUse)
	_, err = s.AssignPolicy(c, "prod", "")
	must(t, "clear prod", err)
	wantErr(t, "delete a policy one cluster uses", s.DeletePolicy(c, "strict"), store.ErrInUse)
	if _, err := s.GetPolicy(c, "strict"); err != nil {
		t.Fatalf("policy after a refused delete: %v", err)
	}
	must(t, "delete cluster dev", s.DeleteCluster(c, "dev"))
	must(t, "delete the policy no cluster uses", s.DeletePolicy(c, "strict"))
}
