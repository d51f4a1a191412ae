package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTestExampleSuite(t *testing.T) {
	code, out, errOut := palisade(t, "", "test", "../../examples/tests")
	if code != exitOK || !strings.HasSuffix(out, "Test summary: 18 passed, 0 failed, 0 errors\n") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"../../examples/tests/palisade-test.yaml: block-privileged (deployment)\n",
		"  Pod default/busyboxpod                         privileged  fail (block)  fail (block)  PASS\n",
		"  Deployment default/redis-healthy-deployment    privileged  pass          pass          PASS\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = palisade(t, "", "test", "-o", "junit", "../../examples/tests/palisade-test.yaml")
	var suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &suites); err != nil || code != exitOK || len(suites.Suites) != 2 ||
		suites.Suites[0].Name != "block-privileged" || suites.Suites[0].Tests != 8 || suites.Suites[1].Tests != 10 || suites.Suites[1].Failures != 0 {
		t.Errorf("junit: exit %d, %v, %+v", code, err, suites)
	}
}

func TestTestFailingAndBadSuites(t *testing.T) {
	code, out, _ := palisade(t, "", "test", "-o", "json", "../../internal/enforce/policytest/testdata/failing")
	var rep struct {
		Tests []struct {
			Cases []struct {
				Pass bool
				Got  string
			}
		}
		Summary struct{ Passed, Failed, Errors int }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitBlocked || rep.Summary.Failed != 6 || rep.Summary.Passed != 1 {
		t.Errorf("failing suite: exit %d, %v, %+v", code, err, rep.Summary)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "palisade-test.yaml")
	os.WriteFile(bad, []byte("apiVersion: palisade.dev/v1\nkind: Test\nmetadata: {name: x}\nspec:\n  presets: [recommended]\n  resources: [m.yaml]\n  results:\n    - {rule: privileged, resources: [Pod/p], result: fial}\n"), 0o644)
	code, out, _ = palisade(t, "", "test", dir, "../../examples/tests")
	want := "error: " + bad + `:8: spec.results[0].result: Unsupported value: "fial": supported values: "pass", "fail", "skip"`
	if code != exitInput || !strings.HasPrefix(out, want+"\n") || !strings.HasSuffix(out, "Test summary: 18 passed, 0 failed, 1 errors\n") {
		t.Errorf("bad file next to a good suite: exit %d\n%s", code, out)
	}

	if code, _, errOut := palisade(t, "", "test", t.TempDir()); code != exitInput || !strings.Contains(errOut, "no palisade-test.yaml found") {
		t.Errorf("a folder without tests: exit %d %s", code, errOut)
	}
	if code, _, errOut := palisade(t, "", "test", "-o", "sarif", "../../examples/tests"); code != exitInput || !strings.Contains(errOut, `unknown output format "sarif"`) {
		t.Errorf("unknown format: exit %d %s", code, errOut)
	}
}
