package workload

import (
	"bytes"
	"encoding/json"
)

// Unstructured returns the object as Kubernetes' unstructured form: maps,
// slices, strings, bools, int64 for whole numbers and float64 otherwise;
// nil when the object has no raw JSON. It is decoded once, on first use,
// and shared by every reader (CEL rules); callers must not modify it.
func (o *Object) Unstructured() any {
	o.unstructuredOnce.Do(func() {
		if len(o.Raw) == 0 {
			return
		}
		d := json.NewDecoder(bytes.NewReader(o.Raw))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err == nil {
			o.unstructured = convertNumbers(v)
		}
	})
	return o.unstructured
}

func convertNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = convertNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = convertNumbers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
