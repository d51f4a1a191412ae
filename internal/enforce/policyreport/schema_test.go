package policyreport

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// Every field a built report has is in the CRD's schema, with an allowed
// value: the API server would otherwise prune it or refuse the report.
// Both shapes are checked: wgpolicyk8s.io's PolicyReport and
// openreports.io's Report.
func TestReportMatchesCRDSchema(t *testing.T) {
	reports := Build(Options{Policy: "prod", Tab: policy.TabContinuous, Now: now}, []Evaluation{
		eval("web", "p1", 3, finding("privileged", policy.ActionTerminate, rules.Critical, "a", "true")),
		{Resource: ref("web", "bad"), Err: fmt.Errorf("broken")},
		{Resource: ref("web", "p2"), Result: &engine.Result{Namespace: "web", Checked: 1}},
	})
	for _, tc := range []struct {
		api     API
		crd     string
		version string
	}{
		{APIWGPolicy, "testdata/policyreport-crd.yaml", "v1alpha2"},
		{APIOpenReports, "testdata/openreports-report-crd.yaml", "v1alpha1"},
	} {
		schema := crdSchema(t, tc.crd, tc.version)
		b, err := json.Marshal(tc.api.shape(&reports[0]))
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		if got := v["apiVersion"].(string) + " " + v["kind"].(string); got != tc.api.kind() {
			t.Errorf("%s: the report is a %s", tc.api, got)
		}
		for _, p := range conform(schema, v, "") {
			t.Errorf("%s: %s", tc.api, p)
		}
		// The check itself sees mistakes.
		bad := map[string]any{"summary": map[string]any{"passed": 1.0}, "results": []any{map[string]any{"severity": "urgent"}}}
		if got := len(conform(schema, bad, "")); got != 3 {
			t.Errorf("%s: a bad report has %d problems, want 3: %v", tc.api, got, conform(schema, bad, ""))
		}
	}
}

// crdSchema reads the openAPIV3Schema of a CRD file's one version.
func crdSchema(t *testing.T, file, version string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name   string
				Schema struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				}
			}
		}
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != version {
		t.Fatalf("%s: versions %+v", file, crd.Spec.Versions)
	}
	return crd.Spec.Versions[0].Schema.OpenAPIV3Schema
}

// conform lists where v leaves schema s: unknown fields, wrong types,
// values outside an enum, missing required fields.
func conform(s map[string]any, v any, path string) []string {
	var out []string
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		out = append(out, fmt.Sprintf("%s: %v not in %v", path, v, enum))
	}
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return append(out, path+": not an object")
		}
		props, _ := s["properties"].(map[string]any)
		extra, _ := s["additionalProperties"].(map[string]any)
		for _, r := range asSlice(s["required"]) {
			if _, ok := m[r.(string)]; !ok {
				out = append(out, fmt.Sprintf("%s: required %s missing", path, r))
			}
		}
		if props == nil && extra == nil {
			return out // metadata: any object
		}
		for k, val := range m {
			sub, ok := props[k].(map[string]any)
			if !ok {
				sub = extra
			}
			if sub == nil {
				out = append(out, path+"."+k+": not in the schema")
				continue
			}
			out = append(out, conform(sub, val, path+"."+k)...)
		}
	case "array":
		items, ok := v.([]any)
		if !ok {
			return append(out, path+": not an array")
		}
		for i, it := range items {
			out = append(out, conform(s["items"].(map[string]any), it, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case "string":
		if _, ok := v.(string); !ok {
			out = append(out, path+": not a string")
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			out = append(out, path+": not an integer")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			out = append(out, path+": not a boolean")
		}
	}
	return out
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
