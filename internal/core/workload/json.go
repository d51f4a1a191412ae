package workload

import (
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// decodeOptions read objects as the API server does: names are matched
// case-sensitively, a name given twice keeps its last value, invalid UTF-8
// is replaced rather than refused, unknown fields are ignored. Types with
// their own UnmarshalJSON (Quantity, IntOrString, Time) use it.
//
// The decoder is encoding/json's successor (github.com/go-json-experiment/json,
// the code behind Go's encoding/json/v2): it decodes the k8s.io/api types
// several times faster than encoding/json, which matters on every admission
// request.
var decodeOptions = jsonv2.JoinOptions(
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)

func unmarshal(raw []byte, v any) error {
	return jsonv2.Unmarshal(raw, v, decodeOptions)
}

// Unmarshal decodes JSON with the same options as objects are decoded
// (for the AdmissionReview envelope and other Kubernetes types).
func Unmarshal(raw []byte, v any) error { return unmarshal(raw, v) }
