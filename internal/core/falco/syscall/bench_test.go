package syscall

import (
	"strconv"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// stream is a recorded-like mix of events from a busy container: mostly
// opens and closes of ordinary files, some reads and writes, a few execs
// and connections (one sensitive read among them).
func stream() []*Event {
	cat := catInContainer()
	nginx := inContainer(shim(), testContainer(), 1100, "nginx", "/usr/sbin/nginx", "-g", "daemon off;")
	files := []string{"/usr/share/nginx/html/index.html", "/var/log/nginx/access.log", "/etc/nginx/nginx.conf",
		"/usr/lib/x86_64-linux-gnu/libssl.so.3", "/proc/self/status", "/etc/hostname", "/tmp/cache/0a1b", "/etc/passwd"}
	var out []*Event
	for i := 0; len(out) < 1000; i++ {
		f := files[i%len(files)]
		open := openat(nginx, f, OpenRdonly, "O_RDONLY")
		closeEv := &Event{Type: "close", Res: 0, Thread: nginx, FD: open.FD,
			Args: []Arg{{Name: "res", Text: "0", Numeric: true}}}
		read := &Event{Type: "read", Res: 512, Thread: nginx, FD: open.FD,
			Args: []Arg{{Name: "res", Num: 512, Numeric: true}, {Name: "data", Text: "..."}}}
		out = append(out, open, read, closeEv, openat(nginx, f, OpenRdonly|1<<12, "O_RDONLY|O_CLOEXEC"), closeEv)
		switch i % 10 {
		case 0:
			out = append(out, execve(inContainer(nginx, testContainer(), 1400+int64(i), "sh", "/bin/sh", "-c", "date"), 0, ""))
		case 3:
			out = append(out, connect(nginx, "10.96.0.10:53"))
		case 5:
			w := &Event{Type: "write", Res: 128, Thread: nginx, FD: open.FD, Args: []Arg{{Name: "res", Num: 128, Numeric: true}}}
			out = append(out, w)
		case 7:
			out = append(out, connect(nginx, "93.184.216.34:"+strconv.Itoa(443)))
		case 9:
			out = append(out, openat(cat, "/etc/shadow", OpenRdonly, "O_RDONLY"))
		}
	}
	for i, e := range out {
		e.Num, e.Time = uint64(i), t0+int64(i)*1000
	}
	return out
}

// BenchmarkStableRules evaluates the stream against every enabled rule of
// Falco's stable rules file; events/s is per core (run with -cpu 1).
func BenchmarkStableRules(b *testing.B) {
	rs := loadStable(b)
	m := rs.NewMatcher()
	events := stream()
	matches := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Match(SourceName, events[i%len(events)], func(r *falco.Rule) bool {
			matches++
			return true
		})
	}
	b.StopTimer()
	if b.N >= len(events) && matches == 0 {
		b.Fatal("no rule fired on the stream")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
