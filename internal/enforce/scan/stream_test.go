package scan

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClusterSource(t *testing.T) {
	for _, tc := range []struct {
		context, ns, kind, name, want string
	}{
		{"kind-dev", "prod", "Pod", "web", "cluster://kind-dev/prod/Pod/web"},
		{"kind-dev", "", "ClusterRole", "admin", "cluster://kind-dev/ClusterRole/admin"},
		{"kind-dev", "prod", "Deployment", "", "cluster://kind-dev/prod/Deployment"},
		{"arn:aws:eks:eu-west-1:1:cluster/prod", "a", "Pod", "b", "cluster://arn%3Aaws%3Aeks%3Aeu-west-1%3A1%3Acluster%2Fprod/a/Pod/b"},
		{"me@home", "a", "Pod", "b", "cluster://me%40home/a/Pod/b"},
	} {
		if got := ClusterSource(tc.context, tc.ns, tc.kind, tc.name); got != tc.want {
			t.Errorf("ClusterSource(%q, %q, %q, %q) = %q, want %q", tc.context, tc.ns, tc.kind, tc.name, got, tc.want)
		}
	}
}

// continuousSteps is a cluster audit of the continuous tab.
func continuousSteps() []*Result {
	return []*Result{
		{Source: "cluster://dev/prod/Pod/priv", Kind: "Pod", Namespace: "prod", Name: "priv", Violations: []Violation{
			{Rule: "privileged", Action: "terminate", Severity: "critical", Container: "app",
				Message: `containerSecurityContext violates rule privileged "true" in container(s) "app" (terminate).`},
			{Rule: "hostPID", Action: "isolate", Severity: "high",
				Message: `podSecurityContext violates rule hostPID "true" (isolate).`},
			{Rule: "runAsNonRoot", Action: "log", Severity: "medium", Container: "app",
				Message: `containerSecurityContext violates rule runAsNonRoot "" in container(s) "app" (log).`},
		}},
		{Source: "cluster://dev/prod/Deployment/web", Kind: "Deployment", Namespace: "prod", Name: "web"},
	}
}

func streamAll(t *testing.T, format string) (string, Summary) {
	t.Helper()
	var buf bytes.Buffer
	s, err := NewStream(Formats()[format](&buf, testRules), "continuous")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range continuousSteps() {
		if err := s.Result(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Error(&InputError{Source: "cluster://dev/ClusterRole", Message: "list ClusterRole: forbidden"}); err != nil {
		t.Fatal(err)
	}
	sum, err := s.End()
	if err != nil {
		t.Fatal(err)
	}
	return buf.String(), sum
}

// Isolate and terminate enforce as block does: they count as blocked,
// fail JUnit and SARIF, and the table names them.
func TestStreamContinuous(t *testing.T) {
	_, sum := streamAll(t, "json")
	if diff := cmp.Diff(Summary{Tab: "continuous", Objects: 2, Violations: 3, Blocked: 1, Logged: 1, Errors: 1}, sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	table, _ := streamAll(t, "table")
	want := `cluster://dev/prod/Pod/priv  Pod prod/priv
  terminate  privileged    containerSecurityContext violates rule privileged "true" in container(s) "app" (terminate).
  isolate    hostPID       podSecurityContext violates rule hostPID "true" (isolate).
  log        runAsNonRoot  containerSecurityContext violates rule runAsNonRoot "" in container(s) "app" (log).

error: cluster://dev/ClusterRole: list ClusterRole: forbidden

2 objects, 3 violations (1 isolate, 1 terminate, 1 log), 1 object to isolate or terminate, 1 error
`
	if diff := cmp.Diff(want, table); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}

	out, _ := streamAll(t, "sarif")
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &sarif); err != nil {
		t.Fatal(err)
	}
	var levels []string
	for _, r := range sarif.Runs[0].Results {
		levels = append(levels, r.RuleID+" "+r.Level+" "+r.Locations[0].PhysicalLocation.ArtifactLocation.URI)
	}
	if diff := cmp.Diff([]string{
		"privileged error cluster://dev/prod/Pod/priv",
		"hostPID error cluster://dev/prod/Pod/priv",
		"runAsNonRoot warning cluster://dev/prod/Pod/priv",
	}, levels); diff != "" {
		t.Errorf("sarif (-want +got):\n%s", diff)
	}

	out, _ = streamAll(t, "junit")
	var junit junitReport
	if err := xml.Unmarshal([]byte(out), &junit); err != nil {
		t.Fatal(err)
	}
	if s := junit.Suites[0]; s.Failures != 2 || s.Tests != 3 {
		t.Errorf("junit suite %s: %d failures of %d", s.Name, s.Failures, s.Tests)
	}
	if strings.Contains(out, `file="cluster://`) {
		t.Errorf("junit points a file attribute at a live object:\n%s", out)
	}
}
