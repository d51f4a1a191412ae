package workload

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// reference decodes as Kubernetes' unstructured objects do, with
// encoding/json: whole numbers as int64, others float64.
func reference(data []byte) (any, error) {
	if !json.Valid(data) {
		return nil, errSyntax
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	v = convert(v)
	if hasInf(v) {
		return nil, errSyntax // out of float64 range: an error, not +Inf
	}
	return v, nil
}

func hasInf(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if hasInf(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasInf(e) {
				return true
			}
		}
	case float64:
		return math.IsInf(x, 0)
	}
	return false
}

func convert(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = convert(e)
		}
	case []any:
		for i, e := range x {
			x[i] = convert(e)
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

var unstructuredSeeds = []string{
	`{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":3,"x":-1.5e3,"y":1e2,"z":0.1,"big":12345678901234567890}}`,
	`{"a":[true,false,null,"s\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800x",[],{}],"b":"ünï","":""}`,
	` [ 1 , -0 , 0.0 ] `,
	`"\udc00"`, `{"a":1,"a":2}`, `{"a":1}x`, `[1,]`, `{"a" 1}`, `01`, `-`, `1.`, `1e`, `"abc`, `nul`, "\"a\x01\"", `"\x"`,
}

func TestParseUnstructuredMatchesEncodingJSON(t *testing.T) {
	for _, s := range unstructuredSeeds {
		want, werr := reference([]byte(s))
		got, gerr := ParseUnstructured([]byte(s))
		if (werr == nil) != (gerr == nil) {
			t.Errorf("%q: encoding/json err=%v, ours err=%v", s, werr, gerr)
			continue
		}
		if diff := cmp.Diff(want, got); werr == nil && diff != "" {
			t.Errorf("%q (-encoding/json +ours):\n%s", s, diff)
		}
	}
}

func FuzzParseUnstructured(f *testing.F) {
	for _, s := range unstructuredSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = Head(data) // never panics
		want, werr := reference(data)
		got, gerr := ParseUnstructured(data)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: encoding/json err=%v, ours err=%v", data, werr, gerr)
		}
		if werr == nil && !cmp.Equal(want, got) {
			t.Fatalf("%q: %s", data, cmp.Diff(want, got))
		}
	})
}

func BenchmarkParseUnstructured(b *testing.B) {
	raw := []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","labels":{"app":"web"}},"spec":{"replicas":3,"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80}],"resources":{"limits":{"cpu":"100m","memory":"64Mi"}},"securityContext":{"runAsNonRoot":true,"readOnlyRootFilesystem":true}}]}}}}`)
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ParseUnstructured(raw)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			reference(raw)
		}
	})
}
