package scan

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	toolName     = "palisade"
	toolURI      = "https://github.com/palisade-dev/palisade"
	// fingerprintKey names Palisade's partial fingerprint; the suffix is
	// bumped if what it hashes ever changes.
	fingerprintKey = "palisadeFinding/v1"
)

// toolVersion is the module version palisade was built at, when the build
// recorded one ("v1.2.0"; empty for development builds).
var toolVersion = func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "(devel)" {
		return ""
	}
	return bi.Main.Version
}()

// securitySeverity is the CVSS-like score GitHub code scanning reads from a
// rule's "security-severity" property to rank alerts.
var securitySeverity = map[string]string{
	"critical": "9.5",
	"high":     "7.5",
	"medium":   "5.0",
	"low":      "2.5",
}

// sarifWriter streams a SARIF 2.1.0 log with one run, as GitHub code
// scanning accepts it. JSON objects are unordered, so the run's "results"
// come first and stream, and "tool" (with the descriptors of the rules that
// were seen) and "invocations" (with input errors as notifications) follow
// at End:
//
//	{"$schema":...,"version":"2.1.0","runs":[{"results":[
//	{"ruleId":"privileged","ruleIndex":0,...},
//	...
//	],"tool":{"driver":{...}},"invocations":[...],"properties":{"notEvaluated":0}}]}
//
// An object whose apiVersion and kind Palisade does not know is a warning
// notification of the invocation at the object's location, and the run's
// "notEvaluated" property counts them.
//
// What is held until End grows with the number of distinct rules and of
// input errors, not with the number of results.
type sarifWriter struct {
	w     *bufio.Writer
	enc   *jsonValue
	rules func(id string) (RuleInfo, bool)
	// cwd makes absolute sources relative, as code scanning wants them.
	cwd string

	n             int
	ruleIndex     map[string]int
	descriptors   []sarifRule
	notifications []sarifNotification
}

// NewSARIFWriter returns a Writer that prints a SARIF 2.1.0 log; rules
// describes the rules seen (a rule it does not know is described from its
// violations).
func NewSARIFWriter(w io.Writer, rules func(id string) (RuleInfo, bool)) Writer {
	cwd, _ := os.Getwd()
	return &sarifWriter{
		w:         bufio.NewWriter(w),
		enc:       newJSONValue(),
		rules:     rules,
		cwd:       cwd,
		ruleIndex: map[string]int{},
	}
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID string `json:"id"`
	// Name is the rule's friendly name; SARIF wants it to differ from ID.
	Name                 string            `json:"name,omitempty"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifHelp         `json:"help"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           sarifRuleProperty `json:"properties"`
}

// sarifHelp is shown by code scanning on an alert's page.
type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProperty struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifTail struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Properties  sarifRunProperty  `json:"properties"`
}

// sarifRunProperty is the run's property bag.
type sarifRunProperty struct {
	// NotEvaluated counts the objects no rule was evaluated on.
	NotEvaluated int `json:"notEvaluated"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifInvocation struct {
	// ExecutionSuccessful stays true with input errors: the scan went on
	// past them, and they are reported as notifications (errors; objects
	// not evaluated are warnings).
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications"`
}

func (s *sarifWriter) Begin() error {
	_, err := s.w.WriteString(`{"$schema":"` + sarifSchema + `","version":"` + sarifVersion + `","runs":[{"results":[`)
	return err
}

func (s *sarifWriter) Result(r *Result) error {
	uri := s.artifactURI(r.Source)
	if r.NotEvaluated != "" {
		s.notifications = append(s.notifications, sarifNotification{
			Level:     "warning",
			Message:   sarifText{Text: r.Kind + " " + displayName(r) + " not evaluated: " + r.NotEvaluated},
			Locations: []sarifLocation{sarifLocationAt(uri, r.Line)},
		})
	}
	for i := range r.Violations {
		v := &r.Violations[i]
		line := v.Line
		if line <= 0 {
			line = r.Line
		}
		b, err := s.enc.encode(sarifResult{
			RuleID:              v.Rule,
			RuleIndex:           s.rule(v),
			Level:               sarifLevel(v.Action),
			Message:             sarifText{Text: v.Message},
			Locations:           []sarifLocation{sarifLocationAt(uri, line)},
			PartialFingerprints: map[string]string{fingerprintKey: sarifFingerprint(uri, r, v)},
		})
		if err != nil {
			return err
		}
		if s.n > 0 {
			s.w.WriteByte(',')
		}
		s.n++
		s.w.WriteByte('\n')
		if _, err := s.w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func (s *sarifWriter) Error(e *InputError) error {
	s.notifications = append(s.notifications, sarifNotification{
		Level:     "error",
		Message:   sarifText{Text: e.Message},
		Locations: []sarifLocation{sarifLocationAt(s.artifactURI(e.Source), e.Line)},
	})
	return nil
}

func (s *sarifWriter) End(sum Summary) error {
	tail := sarifTail{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           toolName,
			Version:        toolVersion,
			InformationURI: toolURI,
			Rules:          s.descriptors,
		}},
		Invocations: []sarifInvocation{{
			ExecutionSuccessful:        true,
			ToolExecutionNotifications: s.notifications,
		}},
		Properties: sarifRunProperty{NotEvaluated: sum.NotEvaluated},
	}
	if tail.Tool.Driver.Rules == nil {
		tail.Tool.Driver.Rules = []sarifRule{}
	}
	if tail.Invocations[0].ToolExecutionNotifications == nil {
		tail.Invocations[0].ToolExecutionNotifications = []sarifNotification{}
	}
	b, err := s.enc.encode(tail)
	if err != nil {
		return err
	}
	if s.n > 0 {
		s.w.WriteByte('\n')
	}
	// tail is an object: splice its members into the open run object.
	s.w.WriteString("],")
	s.w.Write(b[1:])
	s.w.WriteString("]}\n")
	return s.w.Flush()
}

// rule returns the index of v's rule in the driver's rules, adding a
// descriptor the first time the rule is seen.
func (s *sarifWriter) rule(v *Violation) int {
	if i, ok := s.ruleIndex[v.Rule]; ok {
		return i
	}
	info := RuleInfo{ID: v.Rule, Title: v.Title, Severity: v.Severity}
	if s.rules != nil {
		if known, ok := s.rules(v.Rule); ok {
			info = known
		}
	}
	short := cmp.Or(info.Title, v.Title, v.Rule)
	full := cmp.Or(info.Description, short)
	d := sarifRule{
		ID:               v.Rule,
		Name:             sarifRuleName(v.Rule, cmp.Or(info.Title, v.Title)),
		ShortDescription: sarifText{Text: short},
		FullDescription:  sarifText{Text: full},
		Help: sarifHelp{
			Text:     full,
			Markdown: "**" + short + "** (`" + v.Rule + "`)\n\n" + full,
		},
		// A policy picks the action per rule; the first one seen stands
		// for the rule, and each result carries its own level.
		DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(v.Action)},
		Properties: sarifRuleProperty{
			Tags:             []string{"security", "kubernetes"},
			SecuritySeverity: securitySeverity[strings.ToLower(cmp.Or(info.Severity, v.Severity))],
		},
	}
	i := len(s.descriptors)
	s.descriptors = append(s.descriptors, d)
	s.ruleIndex[v.Rule] = i
	return i
}

// sarifRuleName is the rule's friendly name, a Pascal-case identifier made
// from its title ("Privileged container" → "PrivilegedContainer"). SARIF
// wants it to differ from the ID, ignoring case, or to be left out.
func sarifRuleName(id, title string) string {
	var b strings.Builder
	for _, word := range strings.FieldsFunc(title, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		r, size := utf8.DecodeRuneInString(word)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(word[size:])
	}
	if strings.EqualFold(b.String(), id) {
		return ""
	}
	return b.String()
}

// sarifLevel maps an action to a SARIF level: an enforcing action (block,
// or isolate and terminate in a cluster audit) fails the scan, so it is an
// error; log is a warning.
func sarifLevel(action string) string {
	if enforces(action) {
		return "error"
	}
	return "warning"
}

// location points at line of uri; SARIF lines start at 1, so an unknown
// line points at the first.
func sarifLocationAt(uri string, line int) sarifLocation {
	return sarifLocation{PhysicalLocation: sarifPhysicalLocation{
		ArtifactLocation: sarifArtifact{URI: uri},
		Region:           sarifRegion{StartLine: max(line, 1)},
	}}
}

// artifactURI turns a source path into a URI reference: relative to the
// working directory when it lies below it, with forward slashes and
// percent-encoding; "-" (standard input) becomes "stdin"; a live object's
// "cluster://" source is kept.
func (s *sarifWriter) artifactURI(source string) string {
	if source == "" || source == "-" {
		return "stdin"
	}
	if isClusterSource(source) {
		return source // already a URI, its segments escaped
	}
	p := source
	if filepath.IsAbs(p) && s.cwd != "" {
		if rel, err := filepath.Rel(s.cwd, p); err == nil && filepath.IsLocal(rel) {
			p = rel
		}
	}
	p = filepath.ToSlash(filepath.Clean(p))
	if strings.HasPrefix(p, "/") {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: p}).String()
}

// sarifFingerprint identifies a finding across runs, whatever line it moves
// to and however its source path was given. The field tells apart findings
// of one rule on one container (resourceLimits: cpu and memory).
func sarifFingerprint(uri string, r *Result, v *Violation) string {
	h := sha256.New()
	for _, part := range []string{v.Rule, uri, r.Kind, r.Namespace, r.Name, v.Container, v.Field} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
