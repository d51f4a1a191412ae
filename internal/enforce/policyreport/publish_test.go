package policyreport

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

func existingReport(ns, name string, labelled bool) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(APIVersion)
	u.SetKind(Kind)
	u.SetNamespace(ns)
	u.SetName(name)
	if labelled {
		u.SetLabels(map[string]string{LabelManagedBy: "palisade"})
	}
	return u
}

func newDynamic(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{GVR: "PolicyReportList", OpenReportsGVR: "ReportList"}, objs...)
}

// writes lists the verbs and namespaces of the writes the client saw.
func writes(c *dynamicfake.FakeDynamicClient) []string {
	var out []string
	for _, a := range c.Actions() {
		if v := a.GetVerb(); v == "create" || v == "update" || v == "delete" {
			out = append(out, v+" "+a.GetNamespace())
		}
	}
	slices.Sort(out)
	return out
}

func buildFor(namespaces map[string]int) []PolicyReport {
	var evals []Evaluation
	for ns, failing := range namespaces {
		var fs []engine.Finding
		for range failing {
			fs = append(fs, finding("privileged", policy.ActionTerminate, rules.High, "a", "true"))
		}
		evals = append(evals, eval(ns, "p1", 2, fs...))
	}
	return Build(Options{Policy: "prod", Tab: policy.TabContinuous, Now: now}, evals)
}

func TestPublish(t *testing.T) {
	ctx := context.Background()
	client := newDynamic(
		existingReport("old", Name, true),          // Palisade's, stale
		existingReport("old", "kyverno-pod", true), // another name: not Palisade's report
		existingReport("hand", Name, false),        // made by hand: taken over
	)
	p := &Publisher{Client: client}

	st, err := p.Publish(ctx, buildFor(map[string]int{"web": 1, "api": 0, "hand": 0}), "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Stats{Created: 2, Updated: 1, Deleted: 1}, st); diff != "" {
		t.Errorf("first publish (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"create api", "create hand", "create web", "delete old", "update hand"}, writes(client)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if _, err := client.Resource(GVR).Namespace("old").Get(ctx, "kyverno-pod", metav1.GetOptions{}); err != nil {
		t.Errorf("another tool's report was touched: %v", err)
	}
	web, err := client.Resource(GVR).Namespace("web").Get(ctx, Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum, _, _ := unstructured.NestedMap(web.Object, "summary")
	results, _, _ := unstructured.NestedSlice(web.Object, "results")
	if diff := cmp.Diff(map[string]any{"pass": int64(1), "fail": int64(1), "warn": int64(0), "error": int64(0), "skip": int64(0)}, sum); diff != "" || len(results) != 1 {
		t.Errorf("web summary (-want +got):\n%s\n%d results", diff, len(results))
	}

	// The same content again writes nothing, whatever the time.
	client.ClearActions()
	st, err = p.Publish(ctx, buildFor(map[string]int{"web": 1, "api": 0, "hand": 0}), "")
	if err != nil || st != (Stats{Unchanged: 3}) || len(writes(client)) != 0 {
		t.Errorf("unchanged publish: %+v, %v, writes %v", st, err, writes(client))
	}

	// An audit of one namespace updates it and deletes nothing elsewhere.
	client.ClearActions()
	st, err = p.Publish(ctx, buildFor(map[string]int{"web": 0}), "web")
	if err != nil || st != (Stats{Updated: 1}) {
		t.Errorf("one-namespace publish: %+v, %v", st, err)
	}
	if diff := cmp.Diff([]string{"update web"}, writes(client)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}

	// A namespace where nothing is checked anymore loses its report.
	client.ClearActions()
	st, err = p.Publish(ctx, buildFor(map[string]int{"web": 0}), "")
	if err != nil || st != (Stats{Unchanged: 1, Deleted: 2}) {
		t.Errorf("publish: %+v, %v", st, err)
	}
	if diff := cmp.Diff([]string{"delete api", "delete hand"}, writes(client)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}

func TestPublishWithoutCRD(t *testing.T) {
	client := newDynamic()
	client.PrependReactor("list", "policyreports", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewNotFound(GVR.GroupResource(), "")
	})
	_, err := (&Publisher{Client: client}).Publish(context.Background(), buildFor(map[string]int{"web": 1}), "")
	if err == nil || !strings.Contains(err.Error(), "is the wgpolicyk8s.io/v1alpha2 PolicyReport CRD installed?") {
		t.Errorf("err = %v", err)
	}
}

// With both APIs, the same report goes to each group in its shape, and
// each group's reports are kept (and deleted) on their own.
func TestPublishBoth(t *testing.T) {
	ctx := context.Background()
	stale := existingReport("old", Name, true)
	stale.SetAPIVersion(OpenReportsAPIVersion)
	stale.SetKind(OpenReportsKind)
	client := newDynamic(stale)
	apis, err := ParseAPIs("both")
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewPublishers(client, apis).Publish(ctx, buildFor(map[string]int{"web": 1}), "")
	if err != nil || st != (Stats{Created: 2, Deleted: 1}) {
		t.Fatalf("publish: %+v, %v", st, err)
	}
	polr, err := client.Resource(GVR).Namespace("web").Get(ctx, Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := client.Resource(OpenReportsGVR).Namespace("web").Get(ctx, Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if polr.GetKind() != Kind || rep.GetAPIVersion() != OpenReportsAPIVersion || rep.GetKind() != OpenReportsKind {
		t.Errorf("kinds: %s %s, %s %s", polr.GetAPIVersion(), polr.GetKind(), rep.GetAPIVersion(), rep.GetKind())
	}
	if src, _, _ := unstructured.NestedString(rep.Object, "source"); src != Source {
		t.Errorf("the Report's source is %q, want %q", src, Source)
	}
	if _, found, _ := unstructured.NestedString(polr.Object, "source"); found {
		t.Error("the PolicyReport has a report-level source its CRD does not know")
	}
	a, _, _ := unstructured.NestedFieldNoCopy(polr.Object, "results")
	b, _, _ := unstructured.NestedFieldNoCopy(rep.Object, "results")
	if diff := cmp.Diff(a, b); diff != "" || polr.GetAnnotations()[AnnotationHash] != rep.GetAnnotations()[AnnotationHash] {
		t.Errorf("the two shapes differ in content (-PolicyReport +Report):\n%s", diff)
	}
	if _, err := client.Resource(OpenReportsGVR).Namespace("old").Get(ctx, Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the stale Report is still there: %v", err)
	}
}

func TestParseAPIs(t *testing.T) {
	for in, want := range map[string][]API{
		"":               {APIWGPolicy},
		"wgpolicyk8s.io": {APIWGPolicy},
		"openreports.io": {APIOpenReports},
		"both":           {APIWGPolicy, APIOpenReports},
	} {
		got, err := ParseAPIs(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseAPIs(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseAPIs("reports.x-k8s.io"); err == nil {
		t.Error("an unknown API was accepted")
	}
}
