package scan

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// junitWriter streams JUnit XML, the report format CI systems (Jenkins,
// GitLab, GitHub test reporters) read and show as test results:
//
//   - each object is a <testsuite> named "KIND NAMESPACE/NAME"; its
//     testcases have classname SOURCE ("stdin" for "-") and the file and
//     line attributes GitLab and GitHub reporters use to point at the
//     manifest;
//   - a block violation is a testcase with <failure type="block">: it is
//     what fails the scan, so it is what CI marks red (isolate and
//     terminate, in a cluster audit of the continuous tab, likewise);
//   - a log violation is a passing testcase named after the rule, the
//     message in <system-out>: it does not fail the scan, and "skipped"
//     would misreport it as not evaluated;
//   - an object without violations is one passing testcase "all rules"; an
//     object the scan skipped is that testcase with <skipped>;
//   - input errors are held (they are few) and written at End as a
//     testsuite "input" with one <error> testcase each;
//   - objects whose apiVersion and kind Palisade does not know are held
//     too and written at End as a testsuite "not evaluated" with one
//     <skipped> testcase each, named "KIND NAMESPACE/NAME": its skipped
//     attribute is their count.
//
// Each testsuite is written when its object comes, so memory does not grow
// with the number of objects. The outer <testsuites> carries no counts.
type junitWriter struct {
	w            *bufio.Writer
	errors       []InputError
	notEvaluated []junitCase
}

// NewJUnitWriter returns a Writer that prints JUnit XML.
func NewJUnitWriter(w io.Writer, _ func(id string) (RuleInfo, bool)) Writer {
	return &junitWriter{w: bufio.NewWriter(w)}
}

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *JUnitProblem `xml:"failure,omitempty"`
	Error     *JUnitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// JUnitProblem is a JUnit <failure> or <error> element; `palisade test`
// writes its own with it.
type JUnitProblem struct {
	Message string
	Type    string
	Text    string
}

// MarshalXML writes <failure message=... type=...>Text</failure>, keeping
// newlines in Text as they are: a ",chardata" field would write them as
// "&#xA;", which CI pages may show verbatim.
func (p *JUnitProblem) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Attr = append(start.Attr,
		xml.Attr{Name: xml.Name{Local: "message"}, Value: p.Message},
		xml.Attr{Name: xml.Name{Local: "type"}, Value: p.Type},
	)
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if err := e.EncodeToken(xml.CharData(p.Text)); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

func (j *junitWriter) Begin() error {
	_, err := j.w.WriteString(xml.Header + `<testsuites name="palisade">` + "\n")
	return err
}

func (j *junitWriter) Result(r *Result) error {
	if r.NotEvaluated != "" {
		j.notEvaluated = append(j.notEvaluated, junitCase{
			Classname: displaySource(r.Source), Name: r.Kind + " " + displayName(r), File: junitFile(r.Source), Line: r.Line,
			Skipped: &junitSkipped{Message: "not evaluated: " + r.NotEvaluated},
		})
		if len(r.Violations) == 0 {
			return nil
		}
	}
	suite := junitSuite{
		Name:  r.Kind + " " + displayName(r),
		Tests: max(1, len(r.Violations)),
	}
	for i := range r.Violations {
		v := &r.Violations[i]
		line := v.Line
		if line <= 0 {
			line = r.Line
		}
		c := junitCase{Classname: displaySource(r.Source), Name: junitCaseName(v), File: junitFile(r.Source), Line: line}
		if enforces(v.Action) {
			suite.Failures++
			c.Failure = &JUnitProblem{Message: v.Message, Type: v.Action, Text: junitDetail(r, v)}
		} else {
			c.SystemOut = v.Message
		}
		suite.Cases = append(suite.Cases, c)
	}
	if len(r.Violations) == 0 {
		c := junitCase{Classname: displaySource(r.Source), Name: "all rules", File: junitFile(r.Source), Line: r.Line}
		if r.Skipped != "" {
			suite.Skipped = 1
			c.Skipped = &junitSkipped{Message: r.Skipped}
		}
		suite.Cases = append(suite.Cases, c)
	}
	return j.writeSuite(&suite)
}

func (j *junitWriter) Error(e *InputError) error {
	j.errors = append(j.errors, *e)
	return nil
}

func (j *junitWriter) End(Summary) error {
	if len(j.errors) > 0 {
		suite := junitSuite{Name: "input", Tests: len(j.errors), Errors: len(j.errors)}
		for _, e := range j.errors {
			suite.Cases = append(suite.Cases, junitCase{
				Classname: displaySource(e.Source),
				Name:      displayPos(e.Source, e.Line),
				File:      junitFile(e.Source),
				Line:      e.Line,
				Error:     &JUnitProblem{Message: e.Message, Type: "input", Text: e.Message},
			})
		}
		if err := j.writeSuite(&suite); err != nil {
			return err
		}
	}
	if n := len(j.notEvaluated); n > 0 {
		suite := junitSuite{Name: "not evaluated", Tests: n, Skipped: n, Cases: j.notEvaluated}
		if err := j.writeSuite(&suite); err != nil {
			return err
		}
	}
	j.w.WriteString("</testsuites>\n")
	return j.w.Flush()
}

func (j *junitWriter) writeSuite(s *junitSuite) error {
	b, err := xml.MarshalIndent(s, "  ", "  ")
	if err != nil {
		return err
	}
	j.w.Write(b)
	_, err = j.w.WriteString("\n")
	return err
}

// junitFile is the file attribute reporters link to; stdin and live
// objects have none.
func junitFile(source string) string {
	if source == "-" || isClusterSource(source) {
		return ""
	}
	return source
}

// junitCaseName names a violation's testcase after its rule and, so that
// an object's testcases have distinct names, the offending field or else
// the container: "resourceLimits spec.containers[0].resources.limits.cpu".
func junitCaseName(v *Violation) string {
	switch {
	case v.Field != "":
		return v.Rule + " " + v.Field
	case v.Container != "":
		return v.Rule + " (" + v.Container + ")"
	}
	return v.Rule
}

// junitDetail is a failure's body: the message and what a reader of a CI
// page needs to find the object without the suite around it.
func junitDetail(r *Result, v *Violation) string {
	var b strings.Builder
	b.WriteString(v.Message)
	b.WriteByte('\n')
	fmt.Fprintf(&b, "object: %s %s (%s)\n", r.Kind, displayName(r), displayPos(r.Source, r.Line))
	if v.Title != "" {
		fmt.Fprintf(&b, "rule: %s: %s\n", v.Rule, v.Title)
	}
	if v.Field != "" {
		fmt.Fprintf(&b, "field: %s\n", v.Field)
	}
	if v.Severity != "" {
		fmt.Fprintf(&b, "severity: %s\n", v.Severity)
	}
	return b.String()
}
