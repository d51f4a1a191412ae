package scan

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenFormats maps each format to the extension of its golden file.
var goldenFormats = map[string]string{
	"table": "txt",
	"json":  "json",
	"sarif": "sarif",
	"junit": "xml",
}

// testRules knows some rules and, on purpose, not imageName, so that
// writers must describe an unknown rule from its violations.
func testRules(id string) (RuleInfo, bool) {
	info, ok := map[string]RuleInfo{
		"privileged":   {ID: "privileged", Title: "Privileged container", Description: "Privileged containers have full access to the host.", Severity: "critical"},
		"runAsNonRoot": {ID: "runAsNonRoot", Title: "Container may run as root", Description: "A container that runs as root is one escape away from root on the host.", Severity: "medium"},
		"hostPID":      {ID: "hostPID", Title: "Host PID namespace", Description: "Sharing the host's PID namespace shows every process on the node.", Severity: "high"},
	}[id]
	return info, ok
}

// reportSteps is the fixed input of the golden tests: *Result and
// *InputError in the order a scan emits them.
func reportSteps() []any {
	return []any{
		&Result{
			Source: "deploy/busybox.yaml", Line: 1, Kind: "Pod", Namespace: "default", Name: "busybox",
			Violations: []Violation{
				{
					Rule: "privileged", Action: "block", Severity: "critical", Container: "busybox-container",
					Field: "spec.containers[0].securityContext.privileged", Line: 12, Title: "Privileged container",
					Message: `containerSecurityContext violates rule privileged "true" in container(s) "busybox-container" (block).`,
				},
				{
					Rule: "runAsNonRoot", Action: "log", Severity: "medium", Container: "busybox-container",
					Field: "spec.containers[0].securityContext.runAsNonRoot", Title: "Container may run as root",
					Message: `containerSecurityContext violates rule runAsNonRoot "" in container(s) "busybox-container" (log).`,
				},
			},
		},
		&Result{Source: "deploy/web.yaml", Line: 1, Kind: "Deployment", Namespace: "prod", Name: "web"},
		&InputError{Source: "deploy/broken.yaml", Line: 3, Message: "yaml: line 3: mapping values are not allowed in this context"},
		&Result{
			Source: "deploy/odd dir/app.yaml", Line: 5, Kind: "Deployment", Namespace: `ns<>&"`, Name: `web<>&"app`,
			Violations: []Violation{
				{
					Rule: "hostPID", Action: "block", Severity: "high", Field: "spec.template.spec.hostPID", Line: 9,
					Message: `podSecurityContext violates rule hostPID "true" (block).`,
				},
				{
					Rule: "imageName", Action: "log", Severity: "medium", Container: `c<&>"`, Title: "Image name",
					Message: `containerSecurityContext violates rule imageName "dev<&>" in container(s) "c<&>\"" (log).`,
				},
				{
					Rule: "privileged", Action: "block", Severity: "critical", Container: `c<&>"`,
					Message: `containerSecurityContext violates rule privileged "true" in container(s) "c<&>\"" (block).`,
				},
			},
		},
		&InputError{Source: "-", Message: "not a Kubernetes object: missing kind"},
		&Result{Source: "-", Line: 1, Kind: "Pod", Namespace: "kube-system", Name: "dns", Skipped: "namespace kube-system is excluded"},
		&Result{Source: "deploy/old.yaml", Line: 4, Kind: "Deployment", Namespace: "prod", Name: "api",
			NotEvaluated: "Palisade reads Deployment as apps/v1, not apps/v1beta1"},
	}
}

// summarize counts steps the way Scanner.Run does.
func summarize(steps []any) Summary {
	var s Summary
	for _, step := range steps {
		switch step := step.(type) {
		case *InputError:
			s.Errors++
		case *Result:
			s.Objects++
			if step.NotEvaluated != "" {
				s.NotEvaluated++
			}
			blocked := false
			for _, v := range step.Violations {
				s.Violations++
				if v.Action == "block" {
					blocked = true
				} else {
					s.Logged++
				}
			}
			if blocked {
				s.Blocked++
			}
		}
	}
	return s
}

// render feeds steps to a new writer of format and returns its output.
func render(t *testing.T, format string, steps []any) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := Formats()[format](&buf, testRules)
	if err := play(w, steps); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.Bytes()
}

func play(w Writer, steps []any) error {
	if err := w.Begin(); err != nil {
		return err
	}
	for _, step := range steps {
		var err error
		switch step := step.(type) {
		case *Result:
			err = w.Result(step)
		case *InputError:
			err = w.Error(step)
		}
		if err != nil {
			return err
		}
	}
	return w.End(summarize(steps))
}

func TestWritersGolden(t *testing.T) {
	// The build's version would make the SARIF golden depend on the build.
	defer func(v string) { toolVersion = v }(toolVersion)
	toolVersion = ""
	for format, ext := range goldenFormats {
		t.Run(format, func(t *testing.T) {
			got := render(t, format, reportSteps())
			path := filepath.Join("testdata", "golden", "report."+ext)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs from %s (-want +got):\n%s", format, path, diff)
			}
		})
	}
}

func TestFormatNames(t *testing.T) {
	want := []string{"json", "junit", "sarif", "table"}
	if diff := cmp.Diff(want, FormatNames()); diff != "" {
		t.Errorf("FormatNames() (-want +got):\n%s", diff)
	}
	for _, name := range want {
		if Formats()[name] == nil {
			t.Errorf("Formats()[%q] is nil", name)
		}
	}
}

type jsonReport struct {
	Results []Result     `json:"results"`
	Errors  []InputError `json:"errors"`
	Summary Summary      `json:"summary"`
}

func TestJSONWriterRoundTrips(t *testing.T) {
	steps := reportSteps()
	var got jsonReport
	if err := json.Unmarshal(render(t, "json", steps), &got); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	want := jsonReport{Summary: summarize(steps)}
	for _, step := range steps {
		switch step := step.(type) {
		case *Result:
			r := *step
			r.Violations = make([]Violation, len(step.Violations))
			for i, v := range step.Violations {
				v.Title = "" // not part of the JSON report
				r.Violations[i] = v
			}
			want.Results = append(want.Results, r)
		case *InputError:
			want.Errors = append(want.Errors, *step)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded report (-want +got):\n%s", diff)
	}
}

type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name  string `json:"name"`
				Rules []struct {
					ID                   string    `json:"id"`
					ShortDescription     sarifText `json:"shortDescription"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					Properties map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID              string            `json:"ruleId"`
			RuleIndex           int               `json:"ruleIndex"`
			Level               string            `json:"level"`
			Message             sarifText         `json:"message"`
			Locations           []sarifLocation   `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
		} `json:"results"`
		Invocations []struct {
			ExecutionSuccessful        bool                `json:"executionSuccessful"`
			ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Properties struct {
			NotEvaluated *int `json:"notEvaluated"`
		} `json:"properties"`
	} `json:"runs"`
}

func TestSARIFWriterIsValid(t *testing.T) {
	steps := reportSteps()
	var log sarifLog
	if err := json.Unmarshal(render(t, "sarif", steps), &log); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if log.Version != "2.1.0" || log.Schema != sarifSchema || len(log.Runs) != 1 {
		t.Fatalf("version %q, $schema %q, %d runs; want 2.1.0, %s, 1 run", log.Version, log.Schema, len(log.Runs), sarifSchema)
	}
	run := log.Runs[0]
	rules := run.Tool.Driver.Rules
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.ID] {
			t.Errorf("rule %q is described twice", r.ID)
		}
		seen[r.ID] = true
		if r.ShortDescription.Text == "" {
			t.Errorf("rule %q has no shortDescription", r.ID)
		}
	}
	violations := 0
	for _, step := range steps {
		if r, ok := step.(*Result); ok {
			violations += len(r.Violations)
		}
	}
	if len(run.Results) != violations {
		t.Errorf("%d results, want one per violation (%d)", len(run.Results), violations)
	}
	fingerprints := map[string]bool{}
	for i, r := range run.Results {
		if r.RuleIndex < 0 || r.RuleIndex >= len(rules) || rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("results[%d]: ruleIndex %d does not point at rule %q", i, r.RuleIndex, r.RuleID)
		}
		if r.Level != "error" && r.Level != "warning" {
			t.Errorf("results[%d]: level %q", i, r.Level)
		}
		if len(r.Locations) != 1 || r.Locations[0].PhysicalLocation.Region.StartLine < 1 {
			t.Errorf("results[%d]: locations %+v, want one with startLine >= 1", i, r.Locations)
		}
		fp := r.PartialFingerprints[fingerprintKey]
		if fp == "" || fingerprints[fp] {
			t.Errorf("results[%d]: fingerprint %q is empty or not unique", i, fp)
		}
		fingerprints[fp] = true
	}
	if len(run.Invocations) != 1 || len(run.Invocations[0].ToolExecutionNotifications) != 3 {
		t.Fatalf("invocations %+v, want one with the 2 input errors and the object not evaluated", run.Invocations)
	}
	var levels []string
	for _, n := range run.Invocations[0].ToolExecutionNotifications {
		levels = append(levels, n.Level+" "+n.Message.Text)
	}
	want := []string{
		"error yaml: line 3: mapping values are not allowed in this context",
		"error not a Kubernetes object: missing kind",
		"warning Deployment prod/api not evaluated: Palisade reads Deployment as apps/v1, not apps/v1beta1",
	}
	if diff := cmp.Diff(want, levels); diff != "" {
		t.Errorf("notifications (-want +got):\n%s", diff)
	}
	if n := run.Properties.NotEvaluated; n == nil || *n != 1 {
		t.Errorf("run properties notEvaluated %v, want 1", n)
	}
}

func TestSARIFRuleDescriptors(t *testing.T) {
	var log sarifLog
	if err := json.Unmarshal(render(t, "sarif", reportSteps()), &log); err != nil {
		t.Fatal(err)
	}
	type rule struct{ ID, Short, Level, Severity string }
	var got []rule
	for _, r := range log.Runs[0].Tool.Driver.Rules {
		sev, _ := r.Properties["security-severity"].(string)
		got = append(got, rule{r.ID, r.ShortDescription.Text, r.DefaultConfiguration.Level, sev})
	}
	want := []rule{
		{"privileged", "Privileged container", "error", "9.5"},
		{"runAsNonRoot", "Container may run as root", "warning", "5.0"},
		{"hostPID", "Host PID namespace", "error", "7.5"},
		{"imageName", "Image name", "warning", "5.0"}, // unknown to testRules: from the violation
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
}

func TestSARIFArtifactURI(t *testing.T) {
	cwd := filepath.FromSlash("/work/repo")
	s := &sarifWriter{cwd: cwd}
	for _, tc := range []struct{ source, want string }{
		{"-", "stdin"},
		{"deploy/app.yaml", "deploy/app.yaml"},
		{"./deploy/app.yaml", "deploy/app.yaml"},
		{"deploy/odd dir/a#b.yaml", "deploy/odd%20dir/a%23b.yaml"},
		{"a:b.yaml", "./a:b.yaml"},
		{filepath.Join(cwd, "deploy", "app.yaml"), "deploy/app.yaml"},
		{"/etc/app.yaml", "file:///etc/app.yaml"},
		{"/work/repo-other/app.yaml", "file:///work/repo-other/app.yaml"},
	} {
		if got := s.artifactURI(tc.source); got != tc.want {
			t.Errorf("artifactURI(%q) = %q, want %q", tc.source, got, tc.want)
		}
	}
}

type junitReport struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	Suites  []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
			Error   *struct{} `xml:"error"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitWriterIsValid(t *testing.T) {
	var got junitReport
	if err := xml.Unmarshal(render(t, "junit", reportSteps()), &got); err != nil {
		t.Fatalf("output is not XML: %v", err)
	}
	type suite struct {
		Name                            string
		Tests, Failures, Errors, Skiped int
		Cases                           []string
	}
	var suites []suite
	for _, s := range got.Suites {
		ss := suite{s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, nil}
		for _, c := range s.Cases {
			state := "pass"
			switch {
			case c.Failure != nil:
				state = "failure: " + c.Failure.Message
			case c.Error != nil:
				state = "error"
			case c.Skipped != nil:
				state = "skipped"
			}
			ss.Cases = append(ss.Cases, c.Classname+" | "+c.Name+" | "+state)
		}
		suites = append(suites, ss)
	}
	want := []suite{
		{"Pod default/busybox", 2, 1, 0, 0, []string{
			`deploy/busybox.yaml | privileged spec.containers[0].securityContext.privileged | failure: containerSecurityContext violates rule privileged "true" in container(s) "busybox-container" (block).`,
			"deploy/busybox.yaml | runAsNonRoot spec.containers[0].securityContext.runAsNonRoot | pass",
		}},
		{"Deployment prod/web", 1, 0, 0, 0, []string{"deploy/web.yaml | all rules | pass"}},
		{`Deployment ns<>&"/web<>&"app`, 3, 2, 0, 0, []string{
			`deploy/odd dir/app.yaml | hostPID spec.template.spec.hostPID | failure: podSecurityContext violates rule hostPID "true" (block).`,
			`deploy/odd dir/app.yaml | imageName (c<&>") | pass`,
			`deploy/odd dir/app.yaml | privileged (c<&>") | failure: containerSecurityContext violates rule privileged "true" in container(s) "c<&>\"" (block).`,
		}},
		{"Pod kube-system/dns", 1, 0, 0, 1, []string{"stdin | all rules | skipped"}},
		{"input", 2, 0, 2, 0, []string{"deploy/broken.yaml | deploy/broken.yaml:3 | error", "stdin | stdin | error"}},
		{"not evaluated", 1, 0, 0, 1, []string{"deploy/old.yaml | Deployment prod/api | skipped"}},
	}
	if diff := cmp.Diff(want, suites); diff != "" {
		t.Errorf("testsuites (-want +got):\n%s", diff)
	}
	if got.Name != "palisade" {
		t.Errorf("testsuites name %q, want palisade", got.Name)
	}
}

// TestWritersEmptyReport: a scan of nothing is still a valid document.
func TestWritersEmptyReport(t *testing.T) {
	for _, format := range FormatNames() {
		t.Run(format, func(t *testing.T) {
			out := render(t, format, nil)
			var err error
			switch format {
			case "json":
				var r jsonReport
				err = json.Unmarshal(out, &r)
				if r.Results == nil || r.Errors == nil {
					t.Errorf("results and errors must be [], got %s", out)
				}
			case "sarif":
				var log sarifLog
				err = json.Unmarshal(out, &log)
				if err == nil && (len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "palisade") {
					t.Errorf("want one run by palisade, got %s", out)
				}
			case "junit":
				var r junitReport
				err = xml.Unmarshal(out, &r)
			case "table":
				if got, want := string(out), "0 objects, 0 violations, 0 blocked objects, 0 errors\n"; got != want {
					t.Errorf("table = %q, want %q", got, want)
				}
			}
			if err != nil {
				t.Errorf("%v in\n%s", err, out)
			}
		})
	}
}

// countingWriter records how much reached it.
type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}

// TestWritersStream: results reach the output as they come; End writes only
// a bounded tail, so nothing holds the whole report.
func TestWritersStream(t *testing.T) {
	const objects = 2000
	for _, format := range FormatNames() {
		t.Run(format, func(t *testing.T) {
			var out countingWriter
			w := Formats()[format](&out, testRules)
			if err := w.Begin(); err != nil {
				t.Fatal(err)
			}
			var sum Summary
			for i := range objects {
				r := reportSteps()[0].(*Result)
				r.Name = fmt.Sprintf("busybox-%d", i)
				if err := w.Result(r); err != nil {
					t.Fatal(err)
				}
				sum.Objects++
			}
			before := out.n
			if err := w.End(sum); err != nil {
				t.Fatal(err)
			}
			if tail := out.n - before; tail > 8192 {
				t.Errorf("End wrote %d of %d bytes: the writer held results back", tail, out.n)
			}
		})
	}
}

// TestWritersControlCharacters: bytes that XML cannot hold and that would
// drive a terminal still give valid documents and a harmless table.
func TestWritersControlCharacters(t *testing.T) {
	steps := []any{
		&Result{
			Source: "a\x00.yaml", Kind: "Pod", Name: "x\x1b[2Jy\x7f", Violations: []Violation{{
				Rule: "privileged", Action: "block", Container: "c\x01", Message: "bad \x1b]0;title\x07 \xff\xfe",
			}},
		},
		&InputError{Source: "b\x00.yaml", Message: "broken \x0c\x1b"},
	}
	for _, format := range FormatNames() {
		out := render(t, format, steps)
		var err error
		switch format {
		case "json":
			err = json.Unmarshal(out, new(jsonReport))
		case "sarif":
			err = json.Unmarshal(out, new(sarifLog))
		case "junit":
			err = xml.Unmarshal(out, new(junitReport))
		case "table":
			if i := bytes.IndexFunc(out, func(r rune) bool { return r < ' ' && r != '\n' || r == 0x7f }); i >= 0 {
				err = fmt.Errorf("control character %q at %d", out[i], i)
			}
		}
		if err != nil {
			t.Errorf("%s: %v in\n%s", format, err, out)
		}
	}
}

func TestSARIFRuleName(t *testing.T) {
	for _, tc := range []struct{ id, title, want string }{
		{"privileged", "Privileged container", "PrivilegedContainer"},
		{"hostPID", "Host PID namespace", "HostPIDNamespace"},
		{"podExec", "kubectl exec/attach into a pod", "KubectlExecAttachIntoAPod"},
		{"privileged", "privileged", ""}, // would equal the ID: left out
		{"imageName", "", ""},
	} {
		if got := sarifRuleName(tc.id, tc.title); got != tc.want {
			t.Errorf("sarifRuleName(%q, %q) = %q, want %q", tc.id, tc.title, got, tc.want)
		}
	}
}

func TestTermSafe(t *testing.T) {
	for in, want := range map[string]string{
		"web":                "web",
		"\x1b[31mred\x1b[0m": `\x1b[31mred\x1b[0m`,
		"a\tb\nc":            `a\x09b\x0ac`,
		"evil\u202egnp.":     `evil\u202egnp.`,
	} {
		if got := termSafe(in); got != want {
			t.Errorf("termSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTableWriterPlurals(t *testing.T) {
	var buf bytes.Buffer
	w := NewTableWriter(&buf, nil)
	if err := w.Begin(); err != nil {
		t.Fatal(err)
	}
	if err := w.End(Summary{Objects: 1, Violations: 1, Blocked: 1, Errors: 1}); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "1 object, 1 violation (1 block, 0 log), 1 blocked object, 1 error\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
