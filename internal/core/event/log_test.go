package event

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"
)

// Each event is one JSON log line, message "event", its fields as keys;
// empty optional fields are left out.
func TestLogSink(t *testing.T) {
	var buf bytes.Buffer
	s := LogSink{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	err := s.Record(t.Context(), []Event{
		{ID: "a", Time: at, Namespace: "shop", Kind: "Pod", Name: "web", Tab: "continuous", Rule: "privileged", Action: "terminate", Message: "m1 (pod deleted)"},
		{ID: "b", Time: at, Kind: "Pod", Name: "x", Tab: "deployment", Rule: "podExec", Action: "log", User: "alice", Operation: "CONNECT", Message: "m2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&buf)
	var got []map[string]any
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if len(got) != 2 {
		t.Fatalf("%d lines, want 2: %v", len(got), got)
	}
	if got[0]["msg"] != "event" || got[0]["action"] != "terminate" || got[0]["namespace"] != "shop" || got[0]["message"] != "m1 (pod deleted)" {
		t.Errorf("first line %v", got[0])
	}
	if _, ok := got[0]["user"]; ok {
		t.Errorf("empty user logged: %v", got[0])
	}
	if got[1]["user"] != "alice" || got[1]["operation"] != "CONNECT" {
		t.Errorf("second line %v", got[1])
	}
}
