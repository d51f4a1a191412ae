package falco

import (
	"fmt"
	"strings"
)

// Severity separates errors (the rules cannot be used) from warnings.
type Severity uint8

// The severities.
const (
	Warning Severity = iota
	Error
)

func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// Diagnostic codes, Falco's own, so that a message reads the same as
// Falco's output for the same file.
const (
	ErrFileRead         = "LOAD_ERR_FILE_READ"
	ErrYAMLParse        = "LOAD_ERR_YAML_PARSE"
	ErrYAMLValidate     = "LOAD_ERR_YAML_VALIDATE"
	ErrCompileCondition = "LOAD_ERR_COMPILE_CONDITION"
	ErrCompileOutput    = "LOAD_ERR_COMPILE_OUTPUT"
	ErrValidate         = "LOAD_ERR_VALIDATE"
	ErrVersion          = "LOAD_ERR_VERSION"

	WarnUnknownSource  = "LOAD_UNKNOWN_SOURCE"
	WarnUnknownFilter  = "LOAD_UNKNOWN_FILTER"
	WarnUnusedMacro    = "LOAD_UNUSED_MACRO"
	WarnUnusedList     = "LOAD_UNUSED_LIST"
	WarnUnknownItem    = "LOAD_UNKNOWN_ITEM"
	WarnUnknownKey     = "LOAD_UNKNOWN_KEY"
	WarnAppendNoValues = "LOAD_APPEND_NO_VALUES"
	WarnExceptionName  = "LOAD_EXCEPTION_NAME_NOT_UNIQUE"
	WarnNotEvaluated   = "LOAD_NOT_EVALUATED"
	WarnNoEvttype      = "LOAD_NO_EVTTYPE"
	WarnDeprecatedItem = "LOAD_DEPRECATED_ITEM"
	// WarnNotCaptured is Palisade's own: the rule reads fields its
	// source's events do not carry (Palisade's syscall sensor does not
	// capture them), which read as absent.
	WarnNotCaptured = "LOAD_NOT_CAPTURED"
)

// codeTitles are Falco's short explanations of each code.
var codeTitles = map[string]string{
	ErrFileRead:         "File read error",
	ErrYAMLParse:        "YAML parse error",
	ErrYAMLValidate:     "Error validating internal structure of YAML file",
	ErrCompileCondition: "Error compiling condition",
	ErrCompileOutput:    "Error compiling output",
	ErrValidate:         "Error validating rule/macro/list/exception objects",
	ErrVersion:          "Required engine or plugin version not met",
	WarnUnknownSource:   "Unknown source",
	WarnUnknownFilter:   "Unknown field or event-type in condition or output",
	WarnUnusedMacro:     "Unused macro",
	WarnUnusedList:      "Unused list",
	WarnUnknownItem:     "Unknown rules file item",
	WarnUnknownKey:      "Unknown key in a rules file item",
	WarnAppendNoValues:  "Overriding/appending with no values",
	WarnExceptionName:   "Multiple exceptions defined with the same name",
	WarnNotEvaluated:    "Source evaluated by a Falco sensor, not by Palisade",
	WarnNoEvttype:       "Condition has no event-type restriction",
	WarnDeprecatedItem:  "Used deprecated item",
	WarnNotCaptured:     "Field not captured by Palisade's sensor",
}

// Diagnostic is one error or warning about a rules file, naming where it
// is and which item it concerns.
type Diagnostic struct {
	Severity Severity
	Code     string
	File     string
	Line     int
	Column   int
	// Item is the item concerned: "rule 'Terminal shell in container'",
	// "macro 'spawned_process'", "list 'shell_binaries'" (empty for the
	// file as a whole).
	Item    string
	Message string
}

func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", d.Line, d.Column)
	}
	fmt.Fprintf(&b, ": %s: ", d.Severity)
	if d.Item != "" {
		b.WriteString(d.Item + ": ")
	}
	fmt.Fprintf(&b, "%s (%s): %s", d.Code, codeTitles[d.Code], d.Message)
	return b.String()
}

// Diagnostics are the errors and warnings of a load, in file order.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns the errors only.
func (ds Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Err returns the errors as one error (nil when there are none).
func (ds Diagnostics) Err() error {
	errs := ds.Errors()
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Error lists every error, one per line.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}
