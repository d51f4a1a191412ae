package strictjson

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Refuse is a set of what a Decoder refuses beyond JSON that does not
// parse or does not fit the Go type.
type Refuse uint8

const (
	// Duplicates refuses a name given twice in an object (at any depth,
	// raw values included), where the last value would otherwise win and
	// two readers of the same bytes could see different values.
	Duplicates Refuse = 1 << iota
	// UnknownFields refuses a name the Go struct does not have.
	UnknownFields
	// InvalidUTF8 refuses a string that is not valid UTF-8, which would
	// otherwise be read with U+FFFD in its place.
	InvalidUTF8
)

// A Decoder decodes JSON with what it refuses fixed once (its options are
// built by New, not at every call: the webhook decodes with one on every
// admission request). The zero Decoder refuses only what does not parse
// or fit.
type Decoder struct {
	opts jsonv2.Options
}

// New returns a Decoder that refuses r. Whatever r leaves out is let
// through: a name given twice keeps its last value, unknown fields are
// ignored, invalid UTF-8 is replaced.
func New(r Refuse) Decoder {
	return Decoder{opts: jsonv2.JoinOptions(
		jsontext.AllowDuplicateNames(r&Duplicates == 0),
		jsonv2.RejectUnknownMembers(r&UnknownFields != 0),
		jsontext.AllowInvalidUTF8(r&InvalidUTF8 == 0),
	)}
}

// Unmarshal decodes data into v. It returns nil or an *Error.
func (d Decoder) Unmarshal(data []byte, v any) error {
	opts := d.opts
	if opts == nil {
		opts = lenient
	}
	err := jsonv2.Unmarshal(data, v, opts)
	if err == nil {
		return nil
	}
	return locate(err)
}

var lenient = New(0).opts

// Reason is the kind of failure an Error reports.
type Reason uint8

const (
	// Invalid is JSON that does not parse, or a value that does not fit
	// its field.
	Invalid Reason = iota
	// Unknown is a name the Go struct does not have (UnknownFields).
	Unknown
	// Duplicate is a name given twice (Duplicates).
	Duplicate
)

// Error is why a decode failed, located at the field it concerns.
type Error struct {
	// Pointer is the field's JSON pointer ("/events/3/message"); empty
	// when the failure concerns the whole input.
	Pointer jsontext.Pointer
	Reason  Reason
	// Detail says what was wrong, without the field: "unknown field",
	// "field given twice", "must be a number, not a string".
	Detail string
	// Err is the decoder's own error.
	Err error
}

// Field is the field's path as its author would write it
// ("events[3].message"); empty for the whole input.
func (e *Error) Field() string {
	var b strings.Builder
	for tok := range e.Pointer.Tokens() {
		switch {
		case IsIndex(tok):
			b.WriteString("[" + tok + "]")
		case b.Len() > 0:
			b.WriteString("." + tok)
		default:
			b.WriteString(tok)
		}
	}
	return b.String()
}

func (e *Error) Error() string {
	if f := e.Field(); f != "" {
		return f + ": " + e.Detail
	}
	return e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// IsIndex reports whether a token of Error.Pointer is an array index (or
// a name made of digits, which reads the same), for callers that build
// their own paths from the tokens.
func IsIndex(tok string) bool {
	return tok != "" && strings.Trim(tok, "0123456789") == ""
}

func locate(err error) *Error {
	var serr *jsonv2.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &serr):
		if errors.Is(serr.Err, jsonv2.ErrUnknownName) {
			return &Error{Pointer: serr.JSONPointer, Reason: Unknown, Detail: "unknown field", Err: err}
		}
		return &Error{Pointer: serr.JSONPointer, Reason: Invalid, Detail: semanticDetail(serr), Err: err}
	case errors.As(err, &syn):
		if errors.Is(syn.Err, jsontext.ErrDuplicateName) {
			return &Error{Pointer: syn.JSONPointer, Reason: Duplicate, Detail: "field given twice", Err: err}
		}
		return &Error{Pointer: syn.JSONPointer, Reason: Invalid, Detail: strings.TrimPrefix(syn.Err.Error(), "jsontext: "), Err: err}
	}
	return &Error{Reason: Invalid, Detail: strings.TrimPrefix(err.Error(), "json: "), Err: err}
}

var timeType = reflect.TypeFor[time.Time]()

// semanticDetail says what was wrong with a value that parsed but does
// not fit its field, in terms the input's author knows.
func semanticDetail(e *jsonv2.SemanticError) string {
	t := e.GoType
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType && e.JSONKind == '"':
		return "must be an RFC 3339 time"
	case e.Err != nil && t != nil && e.JSONKind == '0' && isInteger(t.Kind()):
		return "must be a whole number in range"
	case e.Err != nil:
		return strings.TrimPrefix(e.Err.Error(), "json: ")
	case e.JSONKind != 0 && t != nil:
		return fmt.Sprintf("must be %s, not %s", goKindName(t), jsonKindName(e.JSONKind))
	}
	return strings.TrimPrefix(e.Error(), "json: ")
}

func isInteger(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// goKindName names the JSON a Go type takes.
func goKindName(t reflect.Type) string {
	switch {
	case t == timeType:
		return "an RFC 3339 time"
	case isInteger(t.Kind()):
		return "a number"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

// jsonKindName names a JSON value's kind.
func jsonKindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "a list"
	}
	return "invalid"
}
