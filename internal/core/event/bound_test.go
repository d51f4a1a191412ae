package event

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestBoundCutsFieldsWithAMarker(t *testing.T) {
	short := Event{ID: "a", Kind: "Pod", Name: "p", Message: "m"}
	got := short
	got.Bound()
	if got != short {
		t.Errorf("a small event changed: %+v", got)
	}

	// Worst case for the encoded size: characters JSON escapes as \u00XX,
	// and a multi-byte character across the cut.
	huge := strings.Repeat("\x01", 3) + strings.Repeat("é<", 5<<20)
	e := Event{Message: huge}
	for _, f := range []*string{&e.ID, &e.Cluster, &e.Namespace, &e.Kind, &e.Name, &e.Container, &e.Tab,
		&e.Rule, &e.Action, &e.Policy, &e.User, &e.Operation} {
		*f = huge
	}
	e.Bound()
	if len(e.Message) > MaxMessageBytes || len(e.Name) > MaxFieldBytes {
		t.Errorf("message %d bytes, name %d bytes: over the bounds", len(e.Message), len(e.Name))
	}
	for _, s := range []string{e.Message, e.Name, e.Operation} {
		if !utf8.ValidString(s) {
			t.Errorf("truncation split a character: %q", s[len(s)-40:])
		}
		if !strings.Contains(s, "…[truncated ") || !strings.HasSuffix(s, " bytes]") {
			t.Errorf("no truncation marker at the end of %q", s[len(s)-40:])
		}
	}
	kept := len(e.Message) - len(e.Message[strings.LastIndex(e.Message, "…"):])
	if want := "…[truncated " + itoa(len(huge)-kept) + " bytes]"; !strings.HasSuffix(e.Message, want) {
		t.Errorf("message ends %q, want %q", e.Message[kept:], want)
	}
	b, err := json.Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxEncodedBytes {
		t.Errorf("bounded event encodes to %d bytes, over MaxEncodedBytes (%d)", len(b), MaxEncodedBytes)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
