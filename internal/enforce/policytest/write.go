package policytest

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"github.com/palisade-dev/palisade/internal/enforce/scan"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
)

// Summary counts the cases of a run and the tests that could not run.
type Summary struct {
	Passed int `json:"passed"`
	Failed int `json:"failed"`
	Errors int `json:"errors"`
	// NotEvaluated counts the resources whose apiVersion or kind Palisade
	// does not read.
	NotEvaluated int `json:"notEvaluated"`
}

// Summarize counts reports.
func Summarize(reports []*Report) Summary {
	var s Summary
	for _, r := range reports {
		if r.Err != nil {
			s.Errors++
		}
		s.NotEvaluated += len(r.NotEvaluated)
		for _, c := range r.Cases {
			if c.Pass {
				s.Passed++
			} else {
				s.Failed++
			}
		}
	}
	return s
}

// WriteFunc prints reports in one format.
type WriteFunc func(w io.Writer, reports []*Report) error

var formats = map[string]WriteFunc{"table": WriteTable, "json": WriteJSON, "junit": WriteJUnit}

// Formats returns the output formats by name (a copy).
func Formats() map[string]WriteFunc { return maps.Clone(formats) }

// FormatNames returns the output format names, sorted.
func FormatNames() []string { return slices.Sorted(maps.Keys(formats)) }

// WriteTable prints one table per test, the failures with their lines and
// why, and a summary:
//
//	examples/tests/palisade-test.yaml: seed-examples (deployment)
//	  RESOURCE                RULE        EXPECTED      GOT           RESULT
//	  Pod default/busyboxpod  privileged  fail (block)  fail (block)  PASS
//
//	Test summary: 1 passed, 0 failed, 0 errors
//
// A test that could not run is printed as "error: " and its problems.
func WriteTable(w io.Writer, reports []*Report) error {
	bw := bufio.NewWriter(w)
	for i, r := range reports {
		if i > 0 {
			bw.WriteByte('\n')
		}
		if r.Err != nil {
			fmt.Fprintf(bw, "error: %s\n", termSafe(r.Err.Error()))
			continue
		}
		fmt.Fprintf(bw, "%s: %s (%s)\n", termSafe(r.Source), termSafe(r.Name), r.Tab)
		for _, n := range r.NotEvaluated {
			fmt.Fprintf(bw, "  warning: %s not evaluated: %s\n", termSafe(n.Resource), termSafe(n.Reason))
		}
		many := len(r.Policies) > 1
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		if many {
			fmt.Fprint(tw, "  POLICY\t")
		} else {
			fmt.Fprint(tw, "  ")
		}
		fmt.Fprint(tw, "RESOURCE\tRULE\tEXPECTED\tGOT\tRESULT\n")
		for _, c := range r.Cases {
			fmt.Fprint(tw, "  ")
			if many {
				fmt.Fprintf(tw, "%s\t", termSafe(c.Policy))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", termSafe(c.Resource), ruleColumn(c), c.Expected, c.Got, verdict(c))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, c := range r.Cases {
			if !c.Pass {
				fmt.Fprintf(bw, "  FAIL %s: %s: %s\n", pos(r.Source, c.Line), termSafe(c.Resource), indent(termSafe(c.Detail)))
			}
		}
	}
	s := Summarize(reports)
	if len(reports) > 0 {
		bw.WriteByte('\n')
	}
	fmt.Fprintf(bw, "Test summary: %d passed, %d failed, %d errors", s.Passed, s.Failed, s.Errors)
	if s.NotEvaluated > 0 {
		fmt.Fprintf(bw, ", %d not evaluated", s.NotEvaluated)
	}
	bw.WriteByte('\n')
	return bw.Flush()
}

func ruleColumn(c Case) string {
	if c.Rule == "" {
		return "(decision)"
	}
	return c.Rule
}

func verdict(c Case) string {
	if c.Pass {
		return "PASS"
	}
	return "FAIL"
}

func pos(source string, line int) string {
	if line <= 0 {
		return termSafe(source)
	}
	return termSafe(source) + ":" + strconv.Itoa(line)
}

// indent keeps a multi-line detail under its FAIL line.
func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }

// termSafe replaces control and bidirectional characters (from names and
// messages in the manifests) so that they cannot rewrite the terminal;
// newlines are kept.
func termSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// WriteJSON prints {"tests":[...],"summary":{...}}; a test that could not
// run has "error" and no cases.
func WriteJSON(w io.Writer, reports []*Report) error {
	type test struct {
		*Report
		Error string `json:"error,omitempty"`
	}
	out := struct {
		Tests   []test  `json:"tests"`
		Summary Summary `json:"summary"`
	}{Tests: []test{}, Summary: Summarize(reports)}
	for _, r := range reports {
		t := test{Report: r}
		if r.Err != nil {
			t.Error = r.Err.Error()
		}
		if t.Cases == nil {
			t.Cases = []Case{}
		}
		out.Tests = append(out.Tests, t)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteJUnit prints JUnit XML, in the manner of `palisade scan -o junit`:
// each test is a <testsuite> named after it; each case a <testcase> named
// "RESOURCE RULE" with the test file and the expectation's line; a
// mismatch is a <failure type="mismatch">; a test that could not run is a
// testsuite with one <error type="input"> testcase.
func WriteJUnit(w io.Writer, reports []*Report) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(xml.Header + `<testsuites name="palisade test">` + "\n")
	for _, r := range reports {
		suite := junitSuite{Name: r.Name, File: r.Source}
		if r.Err != nil {
			suite.Name = r.Source
			suite.Tests, suite.Errors = 1, 1
			suite.Cases = []junitCase{{Classname: r.Source, Name: "load", File: r.Source,
				Error: &scan.JUnitProblem{Message: firstLine(r.Err.Error()), Type: "input", Text: r.Err.Error()}}}
		}
		for _, c := range r.Cases {
			name := c.Resource + " " + ruleColumn(c)
			if len(r.Policies) > 1 {
				name = c.Policy + ": " + name
			}
			jc := junitCase{Classname: r.Source, Name: name, File: r.Source, Line: c.Line}
			suite.Tests++
			if !c.Pass {
				suite.Failures++
				jc.Failure = &scan.JUnitProblem{Message: firstLine(c.Detail), Type: "mismatch",
					Text: fmt.Sprintf("expected: %s\ngot: %s\n%s\n", c.Expected, c.Got, c.Detail)}
			}
			suite.Cases = append(suite.Cases, jc)
		}
		for _, n := range r.NotEvaluated {
			suite.Tests++
			suite.Skipped++
			suite.Cases = append(suite.Cases, junitCase{Classname: r.Source, Name: n.Resource + " (not evaluated)", File: r.Source,
				Skipped: &junitSkipped{Message: "not evaluated: " + n.Reason}})
		}
		b, err := xml.MarshalIndent(&suite, "  ", "  ")
		if err != nil {
			return err
		}
		bw.Write(b)
		bw.WriteByte('\n')
	}
	bw.WriteString("</testsuites>\n")
	return bw.Flush()
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	File     string      `xml:"file,attr,omitempty"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr,omitempty"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string             `xml:"classname,attr"`
	Name      string             `xml:"name,attr"`
	File      string             `xml:"file,attr,omitempty"`
	Line      int                `xml:"line,attr,omitempty"`
	Failure   *scan.JUnitProblem `xml:"failure,omitempty"`
	Error     *scan.JUnitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped      `xml:"skipped,omitempty"`
}

// junitSkipped marks a resource no rule but those of any apiVersion ran on.
type junitSkipped struct {
	Message string `xml:"message,attr"`
}
