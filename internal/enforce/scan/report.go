package scan

import "io"

// Result is the outcome for one object.
type Result struct {
	Source string `json:"source"`
	// Line is the line the object's document starts on (0 for JSON input).
	Line      int    `json:"line,omitempty"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Skipped   string `json:"skipped,omitempty"`
	// NotEvaluated says why the rules were not evaluated on the object:
	// its apiVersion and kind are not ones Palisade knows ("v1"
	// Deployment). Such an object is never reported as passing; only the
	// rules that judge any apiVersion (deprecatedAPIVersions) were
	// evaluated, and Violations holds theirs.
	NotEvaluated string      `json:"notEvaluated,omitempty"`
	Violations   []Violation `json:"violations"`
}

// Violation is one finding.
type Violation struct {
	Rule      string `json:"rule"`
	Action    string `json:"action"`
	Severity  string `json:"severity"`
	Container string `json:"container,omitempty"`
	// Field is the offending field's path in the object.
	Field string `json:"field,omitempty"`
	// Line is the line of Field in Source (0 when unknown).
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
	// Title is the rule's one-line title from the catalog.
	Title string `json:"-"`
}

// InputError is a document that could not be read; the rest of the input
// is still scanned.
type InputError struct {
	Source  string `json:"source"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Summary counts what the scan saw.
type Summary struct {
	// Tab is the tab a cluster audit evaluated ("deployment" or
	// "continuous"); empty for the offline scan, which always evaluates
	// the deployment tab.
	Tab        string `json:"tab,omitempty"`
	Objects    int    `json:"objects"`
	Violations int    `json:"violations"`
	// Blocked counts objects with at least one violation that enforces:
	// block on the deployment tab, isolate or terminate on the continuous
	// tab (the objects the controller would act on). Any makes the scan
	// exit 1.
	Blocked int `json:"blocked"`
	// Logged counts log violations.
	Logged int `json:"logged"`
	Errors int `json:"errors"`
	// NotEvaluated counts the objects (among Objects) whose apiVersion and
	// kind Palisade does not know, so that no rule was evaluated on them.
	NotEvaluated int `json:"notEvaluated"`
}

// RuleInfo describes a catalog rule for formats that list rules (SARIF).
type RuleInfo struct {
	ID          string
	Title       string
	Description string
	Severity    string
}

// Writer renders a report as results stream in. Calls come from one
// goroutine, in input order: Begin, then Result and Error in any mix, then
// End once.
type Writer interface {
	Begin() error
	Result(r *Result) error
	Error(e *InputError) error
	End(s Summary) error
}

// NewWriterFunc builds a writer for w; rules resolves rule IDs for formats
// that describe rules.
type NewWriterFunc func(w io.Writer, rules func(id string) (RuleInfo, bool)) Writer
