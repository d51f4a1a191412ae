package strictjson

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type inner struct {
	A int `json:"a"`
}

type doc struct {
	N     int       `json:"n"`
	U     uint      `json:"u"`
	F     float64   `json:"f"`
	S     string    `json:"s"`
	L     []inner   `json:"l"`
	T     time.Time `json:"t"`
	P     *inner    `json:"p"`
	Items []string  `json:"items"`
}

// Every failure names its field and says what was wrong, in the words of
// the input's author.
func TestErrors(t *testing.T) {
	all := New(Duplicates | UnknownFields | InvalidUTF8)
	for _, tc := range []struct {
		name, in string
		reason   Reason
		field    string
		detail   string
	}{
		{"unknown field", `{"l":[{"a":1},{"b":2}]}`, Unknown, "l[1].b", "unknown field"},
		{"name given twice", `{"p":{"a":1,"a":2}}`, Duplicate, "p.a", "field given twice"},
		{"invalid UTF-8", "{\"items\":[\"x\",\"\xff\"]}", Invalid, "items[1]", "invalid UTF-8"},
		{"wrong type", `{"s":1}`, Invalid, "s", "must be a string, not a number"},
		{"a list for an object", `{"p":[]}`, Invalid, "p", "must be an object, not a list"},
		{"an object for a list", `{"l":{}}`, Invalid, "l", "must be a list, not an object"},
		{"not a time", `{"t":"yesterday"}`, Invalid, "t", "must be an RFC 3339 time"},
		{"a number for a time", `{"t":3}`, Invalid, "t", "must be an RFC 3339 time, not a number"},
		{"a fraction for an integer", `{"n":1.5}`, Invalid, "n", "must be a whole number in range"},
		{"a negative unsigned", `{"u":-1}`, Invalid, "u", "must be a whole number in range"},
		{"not an object", `[]`, Invalid, "", "must be an object, not a list"},
		{"truncated", `{"n":1`, Invalid, "", "unexpected EOF"},
		{"trailing data", `{"n":1} x`, Invalid, "", "invalid character 'x' after top-level value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v doc
			err := all.Unmarshal([]byte(tc.in), &v)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Unmarshal(%s) = %v (%T), want an *Error", tc.in, err, err)
			}
			if e.Reason != tc.reason || e.Field() != tc.field || !strings.Contains(e.Detail, tc.detail) {
				t.Errorf("Unmarshal(%s) = reason %d, field %q, detail %q; want %d, %q, %q", tc.in, e.Reason, e.Field(), e.Detail, tc.reason, tc.field, tc.detail)
			}
			want := tc.detail
			if tc.field != "" {
				want = tc.field + ": " + tc.detail
			}
			if !strings.HasPrefix(e.Error(), want) || e.Unwrap() == nil {
				t.Errorf("Error() = %q, want it to start with %q and wrap the decoder's error", e.Error(), want)
			}
		})
	}
}

// What a Decoder does not refuse is let through as encoding/json would.
func TestLenient(t *testing.T) {
	in := "{\"n\":1,\"n\":2,\"other\":true,\"s\":\"a\xffb\"}"
	for _, d := range []Decoder{{}, New(0)} {
		var v doc
		if err := d.Unmarshal([]byte(in), &v); err != nil || v.N != 2 || v.S != "a\uFFFDb" {
			t.Errorf("lenient: %+v, %v; want the last n and U+FFFD", v, err)
		}
	}
	var v doc
	if err := New(UnknownFields).Unmarshal([]byte(`{"n":1,"n":2}`), &v); err != nil || v.N != 2 {
		t.Errorf("UnknownFields alone refused a duplicate: %v", err)
	}
	if err := New(Duplicates).Unmarshal([]byte(`{"other":1}`), &v); err != nil {
		t.Errorf("Duplicates alone refused an unknown field: %v", err)
	}
	// Duplicates are refused inside values decoded later, too.
	var raw struct {
		Object map[string]any `json:"object"`
	}
	if err := New(Duplicates).Unmarshal([]byte(`{"object":{"spec":{"x":1,"x":2}}}`), &raw); err == nil {
		t.Error("a name given twice deep inside was accepted")
	}
}

func BenchmarkUnmarshal(b *testing.B) {
	data := []byte(`{"n":1,"s":"x","l":[{"a":1},{"a":2}],"t":"2026-01-02T03:04:05Z","items":["a","b","c"]}`)
	d := New(Duplicates | UnknownFields | InvalidUTF8)
	b.ReportAllocs()
	for b.Loop() {
		var v doc
		if err := d.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}
