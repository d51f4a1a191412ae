package k8saudit

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

func BenchmarkDecode(b *testing.B) {
	events := fixtures(b)
	var items [][]byte
	for _, ev := range events {
		items = append(items, asListItem(ev))
	}
	for _, bc := range []struct {
		name string
		body []byte
	}{
		{"metadata-event", readFixtureCompact(b, "secret-get.json")},
		{"pod-create-event", readFixtureCompact(b, "pod-create-privileged.json")},
		{"json-lines", bytes.Join(events, []byte("\n"))},
		{"event-list", eventList(items...)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var d Decoder
			n := 0
			fn := func(*Event) error { n++; return nil }
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := d.Decode(bc.body, fn); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func readFixtureCompact(b *testing.B, name string) []byte {
	var c bytes.Buffer
	if err := json.Compact(&c, readFixture(b, name)); err != nil {
		b.Fatal(err)
	}
	return c.Bytes()
}

// heldEvents decodes each fixture with a Decoder of its own and keeps the
// events: a Decoder's event stays valid until its next Decode, which this
// package's benchmarks rely on.
func heldEvents(b *testing.B) []*Event {
	var out []*Event
	for _, body := range fixtures(b) {
		d := new(Decoder)
		if err := d.Decode(body, func(e *Event) error { out = append(out, e); return nil }); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// ruleFields are the fields the k8saudit rules' conditions read most.
var ruleFields = []string{
	"jevt.value[/stage]", "ka.target.resource", "ka.target.subresource", "ka.verb",
	"ka.user.name", "ka.target.namespace", "ka.target.name", "ka.response.code",
	"ka.auth.decision", "ka.uri", "ka.req.pod.containers.privileged",
	"ka.req.pod.containers.image.repository", "ka.req.pod.volumes.hostpath",
	"ka.req.role.rules.verbs", "ka.req.binding.role", "jevt.rawtime",
}

func BenchmarkExtract(b *testing.B) {
	s := New(Options{ClusterName: "bench"})
	events := heldEvents(b)
	var all []falco.Extractor
	for _, f := range s.Fields() {
		for _, arg := range fuzzArgs[f.Arg] {
			x, err := s.Extractor(f, arg)
			if err != nil {
				b.Fatal(err)
			}
			all = append(all, x)
		}
	}
	var hot []falco.Extractor
	for _, field := range ruleFields {
		hot = append(hot, compile(b, s, field))
	}
	for _, bc := range []struct {
		name string
		xs   []falco.Extractor
	}{
		{"rule-fields", hot},
		{"all-fields", all},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dst := make([]falco.Value, 0, 64)
			b.ReportAllocs()
			for b.Loop() {
				for _, e := range events {
					e.buf = e.buf[:0]
					e.indent.Reset()
					for _, x := range bc.xs {
						dst = x(e, dst[:0])
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)*len(bc.xs)), "ns/extraction")
		})
	}
}

// BenchmarkDecodeAndMatch decodes JSON lines and reads the fields the
// rules' conditions read on each event: an upper bound of this package's
// share of the engine's time per event.
func BenchmarkDecodeAndMatch(b *testing.B) {
	s := New(Options{})
	var xs []falco.Extractor
	for _, field := range ruleFields {
		xs = append(xs, compile(b, s, field))
	}
	body := bytes.Join(fixtures(b), []byte("\n"))
	var d Decoder
	dst := make([]falco.Value, 0, 64)
	n := 0
	fn := func(e *Event) error {
		n++
		for _, x := range xs {
			dst = x(e, dst[:0])
		}
		return nil
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(body, fn); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
