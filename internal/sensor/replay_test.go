package sensor

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"slices"
	"sort"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/core/falco/syscall"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

// recorded reads the stream `palisade sensor --record` wrote on the test
// node (testdata/README.md).
func recorded(tb testing.TB) []*syscall.Event {
	tb.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(fixture.Read(tb, "sensor", "events.jsonl.gz")))
	if err != nil {
		tb.Fatal(err)
	}
	var events []*syscall.Event
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		e := new(syscall.Event)
		if err := json.Unmarshal(sc.Bytes(), e); err != nil {
			tb.Fatalf("event %d: %v", len(events)+1, err)
		}
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return events
}

// replayer evaluates events as a running sensor does, without a probe.
func replayer(tb testing.TB, alerts func(falco.Alert)) *Sensor {
	tb.Helper()
	c, diags, err := compileSet(DefaultRules())
	if err != nil {
		tb.Fatalf("%v\n%v", err, diags)
	}
	return &Sensor{opts: Options{Alerts: alerts}, rules: c.rules, extra: c.extra, match: c.rules.NewMatcher()}
}

// TestReplayRecordedStream: the stable rules fire on the recorded stream
// exactly where the recording did what they describe, naming the pod.
func TestReplayRecordedStream(t *testing.T) {
	fired := map[string]int{}
	s := replayer(t, func(a falco.Alert) {
		if a.Field("k8s.pod.name") == "rec" {
			fired[a.Rule]++
		}
	})
	for _, e := range recorded(t) {
		s.Evaluate(e)
	}
	var got []string
	for r := range fired {
		got = append(got, r)
	}
	sort.Strings(got)
	want := []string{"Drop and execute new binary in container", "Netcat Remote Code Execution in Container", "Read sensitive file untrusted"}
	if len(got) != len(want) {
		t.Fatalf("rules fired on pod rec: %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] || fired[want[i]] != 3 {
			t.Errorf("rule %s fired %d times, want 3 (fired: %v)", want[i], fired[want[i]], fired)
		}
	}
}

// BenchmarkReplay is the sensor's user-space evaluation: the recorded
// stream against Falco's stable rules (event-type index, every match
// formatted as an alert), as `palisade sensor` runs it.
func BenchmarkReplay(b *testing.B) {
	events := recorded(b)
	alerts := 0
	s := replayer(b, func(falco.Alert) { alerts++ })
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Evaluate(events[i%len(events)])
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// TestReplayPathFilter: on the recorded stream, every open a stable rule
// fires on passes the kernel's path filter, and most opens do not.
func TestReplayPathFilter(t *testing.T) {
	c, _, err := compileSet(DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	if c.paths == nil {
		t.Fatal("no path filter for the stable rules")
	}
	var opens, dropped, fired int
	s := replayer(t, nil)
	for _, e := range recorded(t) {
		if !slices.Contains(openTypes, e.Type) || e.FD == nil {
			continue
		}
		opens++
		pass := c.paths.Pass(e.FD.NameRaw)
		if !pass {
			dropped++
		}
		s.match.MatchType(syscall.SourceName, e.Type, e, func(r *falco.Rule) bool {
			fired++
			if !pass {
				t.Errorf("rule %q fired on an open of %q that the path filter drops", r.Name, e.FD.NameRaw)
			}
			return true
		})
	}
	if fired == 0 || dropped < opens/2 {
		t.Errorf("%d opens, %d dropped by the filter, %d alerts: want alerts, and most opens dropped", opens, dropped, fired)
	}
	t.Logf("%d opens, %d dropped by the filter, %d alerts", opens, dropped, fired)
}
