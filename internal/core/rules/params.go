package rules

import (
	"encoding/json"
	"reflect"
	"strings"
)

// ParamDoc describes one property of a rule, for `palisade rules` and the
// generated policy reference.
type ParamDoc struct {
	Field   string `json:"-"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	Default any    `json:"default"`
	Doc     string `json:"doc"`
	// Required properties have no usable default: a policy must set them.
	Required bool `json:"required,omitempty"`
}

// ParamDocs lists a rule's properties with their defaults.
func ParamDocs(r *Rule) []ParamDoc {
	if r.Params == nil {
		return nil
	}
	v := reflect.ValueOf(r.Params()).Elem()
	t := v.Type()
	out := make([]ParamDoc, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		var def any
		if b, err := json.Marshal(v.Field(i).Interface()); err == nil {
			_ = json.Unmarshal(b, &def)
		}
		out = append(out, ParamDoc{Field: f.Name, Name: name, Type: typeName(f.Type), Default: def, Doc: f.Tag.Get("doc"), Required: f.Tag.Get("required") == "true"})
	}
	return out
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice:
		return "[]" + typeName(t.Elem())
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Struct:
		return "object"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Bool:
		return "boolean"
	default:
		return "string"
	}
}

// NeedsProperties reports whether a policy must set some property of r.
func NeedsProperties(r *Rule) bool {
	for _, pd := range ParamDocs(r) {
		if pd.Required {
			return true
		}
	}
	return false
}
