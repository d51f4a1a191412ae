package k8saudit

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fixtures returns the test events, compact, in file order.
func fixtures(t testing.TB) [][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	var out [][]byte
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var c bytes.Buffer
		if err := json.Compact(&c, b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, c.Bytes())
	}
	return out
}

// auditIDs returns the auditID of each compact event.
func auditIDs(t testing.TB, events [][]byte) []string {
	t.Helper()
	var ids []string
	for _, ev := range events {
		var v struct{ AuditID string }
		if err := json.Unmarshal(ev, &v); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.AuditID)
	}
	return ids
}

// asListItem strips kind and apiVersion, as kube-apiserver writes an
// EventList's items.
func asListItem(ev []byte) []byte {
	return bytes.Replace(ev, []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1",`), []byte("{"), 1)
}

func eventList(items ...[]byte) []byte {
	return []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + string(bytes.Join(items, []byte(","))) + `]}`)
}

// decodeIDs decodes body and returns the auditID of each event.
func decodeIDs(body []byte) ([]string, error) {
	var d Decoder
	var ids []string
	err := d.Decode(body, func(e *Event) error {
		ids = append(ids, e.AuditID())
		return nil
	})
	return ids, err
}

func TestDecodeShapes(t *testing.T) {
	events := fixtures(t)
	ids := auditIDs(t, events)
	var items [][]byte
	for _, ev := range events {
		items = append(items, asListItem(ev))
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, eventList(items...), "", "  "); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		body []byte
		want []string
	}{
		{"single event", readFixture(t, "pod-exec.json"), one("3d2c1b0a-9e8f-4a7b-8c6d-5e4f3a2b1c0d")},
		{"single compact event", events[0], ids[:1]},
		{"event list", eventList(items...), ids},
		{"pretty event list", pretty.Bytes(), ids},
		{"event list, items with kind", eventList(events...), ids},
		{"empty event list", eventList(), nil},
		{"event list, null items", []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":null}`), nil},
		{"array", []byte("[" + string(bytes.Join(events, []byte(","))) + "]"), ids},
		{"array of event lists", []byte("[" + string(eventList(items[:2]...)) + "," + string(eventList(items[2:]...)) + "]"), ids},
		{"json lines", append(bytes.Join(events, []byte("\n")), '\n'), ids},
		{"json lines, CRLF and blank lines", []byte("\r\n\n" + string(bytes.Join(events, []byte("\r\n\r\n"))) + "\r\n  \n"), ids},
		{"json lines of event lists", []byte(string(eventList(items[:3]...)) + "\n" + string(eventList(items[3:]...))), ids},
		{"byte order mark", append([]byte("\xef\xbb\xbf"), events[0]...), ids[:1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeIDs(tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("auditIDs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	events := fixtures(t)
	ev0, ev1 := string(events[0]), string(events[1])
	item := string(asListItem(events[0]))
	for _, tc := range []struct {
		name       string
		body       string
		err        string // a part of the error
		notAudit   bool   // errors.Is(err, ErrNotAuditEvent)
		eventsSeen int    // events passed to the callback before the error
	}{
		{name: "empty", body: "", err: "empty body"},
		{name: "blank", body: " \n\t\r\n", err: "empty body"},
		{name: "not json", body: "hello", err: "cannot parse JSON"},
		{name: "truncated", body: `{"kind":"Event","auditID":`, err: "cannot parse JSON"},
		{name: "a number", body: "42", err: "a JSON number, want an object", notAudit: true},
		{name: "a pod", body: `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"}}`, err: `kind is "Pod", want "Event"`, notAudit: true},
		{name: "no kind", body: `{"auditID":"a","stageTimestamp":"2025-01-02T03:04:05Z"}`, err: `no kind, want "Event"`, notAudit: true},
		{name: "kind not a string", body: `{"kind":7}`, err: `kind is 7, want "Event"`, notAudit: true},
		{name: "no stageTimestamp", body: `{"kind":"Event","auditID":"a"}`, err: "(auditID a): not a kube-apiserver audit event: no stageTimestamp", notAudit: true},
		{name: "bad stageTimestamp", body: `{"kind":"Event","auditID":"a","stageTimestamp":"yesterday"}`, err: `stageTimestamp "yesterday" is not an RFC 3339 time`, notAudit: true},
		{name: "31 February", body: `{"kind":"Event","auditID":"a","stageTimestamp":"2025-02-31T00:00:00Z"}`, err: "is not an RFC 3339 time", notAudit: true},
		{name: "bad line", body: ev0 + "\n" + `{"kind":` + "\n" + ev1, err: "line 2: cannot parse JSON", eventsSeen: 1},
		{name: "bad first line", body: `{"kind":"Event"` + "\n" + ev1, err: "line 1: cannot parse JSON"},
		{name: "line not an event", body: ev0 + "\n\n" + ev1 + "\n" + `{"kind":"Status","code":500}`, err: `line 4: not a kube-apiserver audit event: kind is "Status"`, notAudit: true, eventsSeen: 2},
		{name: "array element", body: "[" + ev0 + ",42]", err: "[1]: not a kube-apiserver audit event: a JSON number, want an object", notAudit: true, eventsSeen: 1},
		{name: "nested array", body: "[[" + ev0 + "]]", err: "[0]: not a kube-apiserver audit event: a JSON array, want an object", notAudit: true},
		{name: "list item", body: string(eventList([]byte(item), []byte(`{"stage":"ResponseComplete"}`))), err: "items[1]: not a kube-apiserver audit event: no stageTimestamp", notAudit: true, eventsSeen: 1},
		{name: "list item not an object", body: string(eventList([]byte(`"x"`))), err: "items[0]: not a kube-apiserver audit event: a JSON string, want an object", notAudit: true},
		{name: "list item of another kind", body: string(eventList([]byte(`{"kind":"Pod"}`))), err: `items[0]: not a kube-apiserver audit event: kind is "Pod"`, notAudit: true},
		{name: "list in array", body: "[" + ev0 + "," + string(eventList([]byte(item), []byte("{}"))) + "]", err: "[1].items[1]: not a kube-apiserver audit event", notAudit: true, eventsSeen: 2},
		{name: "list in line", body: ev0 + "\n" + string(eventList([]byte("{}"))), err: "line 2: items[0]: not a kube-apiserver audit event", notAudit: true, eventsSeen: 1},
		{name: "items not an array", body: `{"kind":"EventList","items":"x"}`, err: "EventList items is a JSON string, want an array", notAudit: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			seen := 0
			err := d.Decode([]byte(tc.body), func(*Event) error {
				seen++
				return nil
			})
			if err == nil {
				t.Fatalf("no error, want %q", tc.err)
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %q, want it to contain %q", err, tc.err)
			}
			if got := errors.Is(err, ErrNotAuditEvent); got != tc.notAudit {
				t.Errorf("errors.Is(%q, ErrNotAuditEvent) = %v, want %v", err, got, tc.notAudit)
			}
			if seen != tc.eventsSeen {
				t.Errorf("%d events before the error, want %d", seen, tc.eventsSeen)
			}
		})
	}
}

// TestDecodeSkip: what cannot be read is skipped with one error naming it
// (its line, element or item, and its auditID if any), and decoding goes
// on; an event needs no auditID, as in Falco's k8saudit plugin.
func TestDecodeSkip(t *testing.T) {
	events := fixtures(t)
	ev0, ev1 := string(events[0]), string(events[1])
	item := string(asListItem(events[0]))
	noID := `{"kind":"Event","stageTimestamp":"2025-01-02T03:04:05Z","verb":"get"}`
	for _, tc := range []struct {
		name    string
		body    string
		events  int
		skipped []string
		err     string
	}{
		{name: "no auditID is an event", body: noID, events: 1},
		{name: "empty auditID is an event", body: `{"kind":"Event","auditID":"","stageTimestamp":"2025-01-02T03:04:05Z"}`, events: 1},
		{name: "bad line", body: ev0 + "\n" + `{"kind":` + "\n" + ev1, events: 2,
			skipped: []string{"line 2: cannot parse JSON: cannot parse object: cannot parse object value: cannot parse empty string; unparsed tail: \"\""}},
		{name: "bad first line", body: `{"kind":"Event"` + "\n" + ev1, events: 1,
			skipped: []string{"line 1: cannot parse JSON: cannot parse object: unexpected end of object; unparsed tail: \"\""}},
		{name: "event without time", body: ev0 + "\n" + `{"kind":"Event","auditID":"x-1"}` + "\n" + noID, events: 2,
			skipped: []string{"line 2 (auditID x-1): not a kube-apiserver audit event: no stageTimestamp"}},
		{name: "list items", body: string(eventList([]byte(item), []byte(`{"auditID":"y","stageTimestamp":"now"}`), []byte("7"), []byte(item))), events: 2,
			skipped: []string{
				`items[1] (auditID y): not a kube-apiserver audit event: stageTimestamp "now" is not an RFC 3339 time`,
				"items[2]: not a kube-apiserver audit event: a JSON number, want an object",
			}},
		{name: "array elements", body: "[" + ev0 + `,{"kind":"Status"},` + ev1 + "]", events: 2,
			skipped: []string{`[1]: not a kube-apiserver audit event: kind is "Status", want "Event"`}},
		{name: "not json at all", body: "hello\nworld", skipped: []string{`cannot parse JSON: cannot parse number: unexpected char: "h"; unparsed tail: "hello\nworld"`}},
		{name: "empty", body: " \n", err: "empty body: no audit events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			n := 0
			var skipped []string
			err := d.DecodeSkip([]byte(tc.body), func(*Event) error { n++; return nil }, func(err error) { skipped = append(skipped, err.Error()) })
			if (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if n != tc.events {
				t.Errorf("%d events, want %d", n, tc.events)
			}
			if diff := cmp.Diff(tc.skipped, skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeCallbackError(t *testing.T) {
	events := fixtures(t)
	stop := errors.New("stop")
	var d Decoder
	n := 0
	err := d.Decode(bytes.Join(events, []byte("\n")), func(*Event) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || err.Error() != "line 2: stop" {
		t.Errorf("error %v, want line 2: stop", err)
	}
	if n != 2 {
		t.Errorf("callback called %d times, want 2", n)
	}
}

// TestDecoderReuse decodes bodies in turn with one Decoder: each event reads
// its own values, none left from the previous one.
func TestDecoderReuse(t *testing.T) {
	s := New(Options{})
	code := compile(t, s, "ka.response.code")
	images := compile(t, s, "ka.req.pod.containers.image")
	var d Decoder
	for range 3 {
		for _, tc := range []struct {
			fixture      string
			code, images []string
		}{
			{"pod-create-privileged.json", one("201"), []string{"nginx:1.27.2", "docker.io/library/busybox@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7", "registry.example.com:5000/team/app:v2.1.0"}},
			{"anonymous-unauthorized.json", one("401"), absent},
		} {
			err := d.Decode(readFixture(t, tc.fixture), func(e *Event) error {
				if diff := cmp.Diff(tc.code, texts(code(e, nil))); diff != "" {
					t.Errorf("%s: ka.response.code (-want +got):\n%s", tc.fixture, diff)
				}
				if diff := cmp.Diff(tc.images, texts(images(e, nil))); diff != "" {
					t.Errorf("%s: images (-want +got):\n%s", tc.fixture, diff)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // RFC 3339 in UTC, "" for an error
	}{
		{"2025-03-14T09:26:53.612345Z", "2025-03-14T09:26:53.612345Z"},
		{"2025-03-14T09:26:53Z", "2025-03-14T09:26:53Z"},
		{"2025-03-14T09:26:53.1234567891Z", "2025-03-14T09:26:53.123456789Z"},
		{"2025-03-14T11:26:53.5+02:00", "2025-03-14T09:26:53.5Z"},
		{"2025-03-14T04:56:53-04:30", "2025-03-14T09:26:53Z"},
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"2025-02-29T00:00:00Z", ""},
		{"2025-13-01T00:00:00Z", ""},
		{"2025-03-14 09:26:53Z", ""},
		{"2025-03-14T09:26:53.Z", ""},
		{"2025-03-14T09:26:53", ""},
		{"2025-03-14T09:26:60Z", ""},
		{"yesterday", ""},
	} {
		n, ok := parseTimestamp([]byte(tc.in))
		got := ""
		if ok {
			got = (&Event{nanos: n}).StageTimestamp().Format("2006-01-02T15:04:05.999999999Z07:00")
		}
		if got != tc.want {
			t.Errorf("parseTimestamp(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
