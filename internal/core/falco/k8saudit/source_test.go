package k8saudit

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

func TestSourceFields(t *testing.T) {
	s := New(Options{})
	if s.Name() != "k8s_audit" {
		t.Errorf("Name() = %q", s.Name())
	}
	for _, tc := range []struct {
		name string
		want falco.Field
	}{
		{"ka.verb", falco.Field{Name: "ka.verb", Type: falco.String}},
		{"ka.user.groups", falco.Field{Name: "ka.user.groups", Type: falco.String, List: true}},
		{"ka.uri.param", falco.Field{Name: "ka.uri.param", Type: falco.String, Arg: falco.ArgRequired}},
		{"ka.req.pod.containers.image", falco.Field{Name: "ka.req.pod.containers.image", Type: falco.String, List: true, Arg: falco.ArgOptional, Index: true}},
		{"ka.req.pod.ephemeralContainers.privileged", falco.Field{Name: "ka.req.pod.ephemeralContainers.privileged", Type: falco.String, List: true, Arg: falco.ArgOptional, Index: true}},
		{"ka.sourceips", falco.Field{Name: "ka.sourceips", Type: falco.String, List: true, Arg: falco.ArgOptional, Index: true}},
		{"jevt.value", falco.Field{Name: "jevt.value", Type: falco.String, Arg: falco.ArgRequired}},
		{"jevt.rawtime", falco.Field{Name: "jevt.rawtime", Type: falco.String}},
	} {
		got, ok := s.Field(tc.name)
		if !ok {
			t.Errorf("Field(%s) not found", tc.name)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(falco.Field{}, "Desc")); diff != "" {
			t.Errorf("Field(%s) (-want +got):\n%s", tc.name, diff)
		}
		if got.Desc == "" {
			t.Errorf("Field(%s) has no description", tc.name)
		}
	}
	for _, name := range []string{"ka", "ka.verb[0]", "proc.name", "jevt.value[/stage]", ""} {
		if _, ok := s.Field(name); ok {
			t.Errorf("Field(%q) found", name)
		}
	}
	seen := map[string]bool{}
	for _, f := range s.Fields() {
		if seen[f.Name] || f.Desc == "" || f.Type != falco.String {
			t.Errorf("field %+v: duplicate, undescribed or not a string", f)
		}
		seen[f.Name] = true
	}
}

func TestExtractorArgumentErrors(t *testing.T) {
	s := New(Options{})
	for _, tc := range []struct{ field, arg, err string }{
		{"ka.verb", "x", "field ka.verb takes no argument, got ka.verb[x]"},
		{"ka.req.pod.containers.image", "x", "field ka.req.pod.containers.image[x]: the argument must be an index"},
		{"ka.req.pod.containers.image", "-1", "must be an index"},
		{"ka.req.pod.containers.image", "+1", "must be an index"},
		{"ka.req.pod.containers.image", "1000000000", "must be an index"},
		{"ka.uri.param", "", "field ka.uri.param needs an argument in brackets"},
		{"jevt.value", "", "field jevt.value needs an argument"},
		{"ka.req.volume.hostpath", "", "needs an argument"},
		{"ka.nope", "", "source k8s_audit has no field ka.nope"},
	} {
		_, err := s.Extractor(falco.Field{Name: tc.field}, tc.arg)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Extractor(%s, %q) error %v, want %q", tc.field, tc.arg, err, tc.err)
		}
	}
}

func TestExtractorOtherEvents(t *testing.T) {
	s := New(Options{ClusterName: "c"})
	for _, f := range s.Fields() {
		arg := ""
		if f.Arg == falco.ArgRequired {
			arg = "/x"
		}
		x, err := s.Extractor(f, arg)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []falco.Event{nil, "an alert", (*Event)(nil), &Event{}} {
			if got := x(ev, nil); len(got) != 0 {
				t.Errorf("%s on %#v: %q, want no value", f.Name, ev, texts(got))
			}
		}
	}
}

// TestExtractorsAppend checks that extractors append to dst.
func TestExtractorsAppend(t *testing.T) {
	s := New(Options{})
	x := compile(t, s, "ka.req.pod.containers.privileged")
	decodeOne(t, readFixture(t, "pod-create-privileged.json"), func(e *Event) {
		dst := []falco.Value{{B: []byte("kept")}}
		got := texts(x(e, dst))
		if diff := cmp.Diff([]string{"kept", "true", "false"}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		// A field absent because one container lacks a key leaves dst as it was.
		bad := []byte(`{"kind":"Event","auditID":"a","stageTimestamp":"2025-01-02T03:04:05Z","requestObject":{"spec":{"containers":[{"name":"a","image":"x"},{"name":"b"}]}}}`)
		images := compile(t, s, "ka.req.pod.containers.image")
		decodeOne(t, bad, func(e *Event) {
			if got := texts(images(e, dst)); !cmp.Equal(got, []string{"kept"}) {
				t.Errorf("images with a container lacking one = %q, want only kept", got)
			}
		})
	})
}

func TestEventAccessors(t *testing.T) {
	type view struct {
		AuditID, Stage, Level, Verb, RequestURI, UserAgent, UserName, ImpUser string
		Groups, SourceIPs                                                     []string
		Resource, Subresource, Namespace, Name, APIGroup, APIVersion          string
		Code                                                                  int
		Decision                                                              string
		HasDecision                                                           bool
		Stage0, Received                                                      time.Time
		PodNS, PodName                                                        string
		IsPod                                                                 bool
		Labels                                                                map[string]string
	}
	read := func(e *Event) view {
		v := view{
			AuditID: e.AuditID(), Stage: e.Stage(), Level: e.Level(), Verb: e.Verb(), RequestURI: e.RequestURI(),
			UserAgent: e.UserAgent(), UserName: e.UserName(), ImpUser: e.ImpersonatedUserName(),
			Groups: e.UserGroups(), SourceIPs: e.SourceIPs(),
			Resource: e.Resource(), Subresource: e.Subresource(), Namespace: e.Namespace(), Name: e.Name(),
			APIGroup: e.APIGroup(), APIVersion: e.APIVersion(), Code: e.ResponseCode(),
			Stage0: e.StageTimestamp(), Received: e.RequestReceivedTimestamp(), Labels: e.Labels(),
		}
		v.Decision, v.HasDecision = e.Annotation("authorization.k8s.io/decision")
		v.PodNS, v.PodName, v.IsPod = e.Pod()
		return v
	}
	for _, tc := range []struct {
		fixture string
		want    view
	}{
		{"pod-create-privileged.json", view{
			AuditID: "8f1c2d0e-5b7a-4c61-9d3e-2a4b6c8d0e1f", Stage: "ResponseComplete", Level: "RequestResponse", Verb: "create",
			RequestURI: "/api/v1/namespaces/kube-system/pods?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
			UserAgent:  "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46", UserName: "kubernetes-admin",
			Groups: []string{"kubeadm:cluster-admins", "system:authenticated"}, SourceIPs: []string{"172.18.0.1"},
			Resource: "pods", Namespace: "kube-system", Name: "node-debugger", APIVersion: "v1", Code: 201,
			Decision: "allow", HasDecision: true,
			Stage0:   time.Date(2025, 3, 14, 9, 26, 53, 612345000, time.UTC),
			Received: time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC),
			PodNS:    "kube-system", PodName: "node-debugger", IsPod: true,
			Labels: map[string]string{"app": "node-debugger", "team": "platform"},
		}},
		{"pod-exec.json", view{
			AuditID: "3d2c1b0a-9e8f-4a7b-8c6d-5e4f3a2b1c0d", Stage: "ResponseStarted", Level: "Request", Verb: "create",
			RequestURI: "/api/v1/namespaces/shop/pods/checkout-7c9d8b6f5-x2kqp/exec?command=%2Fbin%2Fsh&command=-c&command=cat+%2Fetc%2Fshadow&container=checkout&stdin=true&stdout=true&tty=true",
			UserAgent:  "kubectl/v1.29.4 (darwin/arm64) kubernetes/55019c8", UserName: "dev@example.com",
			Groups: []string{"developers", "system:authenticated"}, SourceIPs: []string{"10.0.12.7", "192.168.49.1"},
			Resource: "pods", Subresource: "exec", Namespace: "shop", Name: "checkout-7c9d8b6f5-x2kqp", APIVersion: "v1", Code: 101,
			Decision: "allow", HasDecision: true,
			Stage0:   time.Date(2025, 3, 14, 10, 2, 11, 131904000, time.UTC),
			Received: time.Date(2025, 3, 14, 10, 2, 11, 104512000, time.UTC),
			PodNS:    "shop", PodName: "checkout-7c9d8b6f5-x2kqp", IsPod: true,
		}},
		{"secret-get.json", view{
			AuditID: "e1d2c3b4-a5f6-4789-8a0b-1c2d3e4f5a6b", Stage: "ResponseComplete", Level: "Metadata", Verb: "get",
			RequestURI: "/api/v1/namespaces/payments/secrets/stripe-api-key",
			UserAgent:  "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46", UserName: "alice@example.com",
			ImpUser: "system:serviceaccount:ci:deployer",
			Groups:  []string{"system:masters", "system:authenticated"}, SourceIPs: []string{"203.0.113.24"},
			Resource: "secrets", Namespace: "payments", Name: "stripe-api-key", APIVersion: "v1", Code: 200,
			Decision: "allow", HasDecision: true,
			Stage0:   time.Date(2025, 3, 14, 11, 15, 0, 4217000, time.UTC),
			Received: time.Date(2025, 3, 14, 11, 15, 0, 1000, time.UTC),
		}},
		{"anonymous-unauthorized.json", view{
			AuditID: "ffeeddcc-bbaa-4998-8877-665544332211", Stage: "ResponseStarted", Level: "Metadata", Verb: "list",
			RequestURI: "/api/v1/secrets", UserAgent: "curl/8.5.0", SourceIPs: []string{"198.51.100.77"},
			Resource: "secrets", APIVersion: "v1", Code: 401,
			Stage0:   time.Date(2025, 3, 14, 12, 0, 0, 312000, time.UTC),
			Received: time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC),
		}},
		{"crb-cluster-admin.json", view{
			AuditID: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", Stage: "ResponseComplete", Level: "RequestResponse", Verb: "create",
			RequestURI: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?fieldManager=kubectl-create&fieldValidation=Strict",
			UserAgent:  "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46", UserName: "alice@example.com",
			Groups: []string{"system:masters", "system:authenticated"}, SourceIPs: []string{"203.0.113.24"},
			Resource: "clusterrolebindings", Name: "ops-admin", APIGroup: "rbac.authorization.k8s.io", APIVersion: "v1", Code: 201,
			Decision: "allow", HasDecision: true,
			Stage0:   time.Date(2025, 3, 14, 13, 0, 0, 215000000, time.UTC),
			Received: time.Date(2025, 3, 14, 13, 0, 0, 200000000, time.UTC),
		}},
	} {
		decodeOne(t, readFixture(t, tc.fixture), func(e *Event) {
			if diff := cmp.Diff(tc.want, read(e)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.fixture, diff)
			}
		})
	}
}

func TestPodFromGenerateName(t *testing.T) {
	body := []byte(`{"kind":"Event","auditID":"a","stageTimestamp":"2025-01-02T03:04:05Z",
		"objectRef":{"resource":"pods","namespace":"ci"},
		"requestObject":{"metadata":{"generateName":"job-","labels":{"job":"build","n":1}}},
		"responseObject":{"metadata":{"name":"job-x7k2p"}}}`)
	decodeOne(t, body, func(e *Event) {
		ns, name, ok := e.Pod()
		if ns != "ci" || name != "job-x7k2p" || !ok {
			t.Errorf("Pod() = %q, %q, %v", ns, name, ok)
		}
		if diff := cmp.Diff(map[string]string{"job": "build"}, e.Labels()); diff != "" {
			t.Errorf("Labels() (-want +got):\n%s", diff)
		}
		if got := string(e.AppendJSON(nil)); !strings.HasPrefix(got, `{"kind":"Event","auditID":"a",`) {
			t.Errorf("AppendJSON = %s", got)
		}
		if e.JSON().GetStringBytes("auditID") == nil {
			t.Error("JSON() has no auditID")
		}
	})
}

// TestRulesFileFields checks that every field Falco's k8saudit rules file
// uses is defined.
func TestRulesFileFields(t *testing.T) {
	b := fixture.Read(t, "falco-rules", "k8s_audit_rules.yaml")
	s := New(Options{})
	re := regexp.MustCompile(`\b(?:ka|jevt|json)\.[A-Za-z_.]*[A-Za-z_](?:\[[^\]]*\])?`)
	seen := map[string]bool{}
	for _, ref := range re.FindAllString(string(b), -1) {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		name, arg := splitField(ref)
		f, ok := s.Field(name)
		if !ok {
			t.Errorf("rules file field %s is not defined", ref)
			continue
		}
		if _, err := s.Extractor(f, arg); err != nil {
			t.Errorf("rules file field %s: %v", ref, err)
		}
	}
	if len(seen) < 40 {
		t.Errorf("found only %d field references in the rules file", len(seen))
	}
}
