package scan

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
)

// actionLog is the one action that only records a violation; every other
// action (block, isolate, terminate) enforces and fails a scan.
const actionLog = "log"

var formats = map[string]NewWriterFunc{
	"table": NewTableWriter,
	"json":  NewJSONWriter,
	"sarif": NewSARIFWriter,
	"junit": NewJUnitWriter,
}

// Formats returns the output formats by name ("table", "json", "sarif",
// "junit"). The map is a copy: changing it changes nothing here.
func Formats() map[string]NewWriterFunc {
	return maps.Clone(formats)
}

// FormatNames returns the output format names, sorted.
func FormatNames() []string {
	return slices.Sorted(maps.Keys(formats))
}

// displayName is "NAMESPACE/NAME", or "NAME" when the object has no namespace.
func displayName(r *Result) string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// displaySource names a source for people: standard input ("-") is "stdin".
func displaySource(source string) string {
	if source == "-" {
		return "stdin"
	}
	return source
}

// displayPos is "SOURCE:LINE", or "SOURCE" when the line is unknown.
func displayPos(source string, line int) string {
	if line <= 0 {
		return displaySource(source)
	}
	return displaySource(source) + ":" + strconv.Itoa(line)
}

// jsonValue encodes values as compact JSON without HTML escaping, reusing
// one buffer so that streaming a large report does not allocate per value
// more than encoding/json does.
type jsonValue struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newJSONValue() *jsonValue {
	j := &jsonValue{}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	return j
}

// encode returns v as JSON; the bytes are valid until the next call.
func (j *jsonValue) encode(v any) ([]byte, error) {
	j.buf.Reset()
	if err := j.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(j.buf.Bytes(), []byte("\n")), nil
}
