package syscall

import (
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// getFn reads one field of an event: it appends the field's values to dst
// (nothing when the field is absent on this event).
type getFn func(e *Event, dst []falco.Value) []falco.Value

// argFn builds the getFn of a field that takes an argument; arg has been
// checked against the field's argument rule, and is "" when the field's
// argument is optional and none was given.
type argFn func(arg string) (getFn, error)

// extractors returns, for every field the event model can feed, how it
// reads: fields without an argument in get, fields with one in withArg.
// The other fields of the catalog are uncaptured (see uncaptured).
func extractors() (get map[string]getFn, withArg map[string]argFn) {
	get = map[string]getFn{}
	withArg = map[string]argFn{}
	for _, m := range []map[string]getFn{evtGetters, procGetters, threadGetters, userGetters, fdGetters, containerGetters, k8sGetters} {
		for name, g := range m {
			get[name] = g
		}
	}
	for _, m := range []map[string]argFn{evtArgGetters, procArgGetters, containerArgGetters, k8sArgGetters} {
		for name, g := range m {
			withArg[name] = g
		}
	}
	return get, withArg
}

// uncaptured are the catalog's fields the event model does not hold, with
// why: the sensor does not capture the data, or the field needs state the
// model does not keep (the whole descriptor table, the previous event, the
// enter event). Their extractors append nothing; Source.Uncaptured names
// them so that a rule reading one can be reported rather than silently
// never match.
var uncaptured = map[string]string{
	"evt.latency":            "needs the enter event",
	"evt.latency.s":          "needs the enter event",
	"evt.latency.ns":         "needs the enter event",
	"evt.latency.human":      "needs the enter event",
	"evt.deltatime":          "needs the previous event",
	"evt.deltatime.s":        "needs the previous event",
	"evt.deltatime.ns":       "needs the previous event",
	"evt.category":           "needs Falco's event table categories",
	"evt.is_wait":            "needs Falco's event table flags",
	"evt.wait_latency":       "needs the enter event",
	"evt.count.error.file":   "needs Falco's event table categories",
	"evt.count.error.net":    "needs Falco's event table categories",
	"evt.count.error.memory": "needs Falco's event table categories",
	"evt.count.error.other":  "needs Falco's event table categories",
	"evt.around":             "a capture-replay filter, not an event property",
	"evt.abspath":            "needs the descriptor table to resolve a dirfd",
	"evt.buffer":             "I/O buffers are not captured",
	"evt.buflen":             "I/O buffers are not captured",
	"thread.pfmajor":         "page faults are not captured",
	"thread.pfminor":         "page faults are not captured",
	"thread.exectime":        "scheduler switches are not captured",
	"thread.totexectime":     "scheduler switches are not captured",
	"thread.cgroups":         "cgroups are not captured",
	"thread.cgroup":          "cgroups are not captured",
	"thread.cpu":             "CPU usage is not captured",
	"thread.cpu.user":        "CPU usage is not captured",
	"thread.cpu.system":      "CPU usage is not captured",
	"thread.vmsize":          "memory usage is not captured",
	"thread.vmrss":           "memory usage is not captured",
	"proc.vmsize":            "memory usage is not captured",
	"proc.vmrss":             "memory usage is not captured",
	"proc.vmswap":            "memory usage is not captured",
	"proc.fdopencount":       "needs the descriptor table",
	"proc.fdlimit":           "descriptor limits are not captured",
	"proc.fdusage":           "descriptor limits are not captured",
	"proc.nthreads":          "needs the thread table",
	"proc.nchilds":           "needs the thread table",
	"proc.stdin.type":        "needs the descriptor table",
	"proc.stdout.type":       "needs the descriptor table",
	"proc.stderr.type":       "needs the descriptor table",
	"proc.stdin.name":        "needs the descriptor table",
	"proc.stdout.name":       "needs the descriptor table",
	"proc.stderr.name":       "needs the descriptor table",
	"fd.types":               "needs the descriptor table",
	"fd.cip.name":            "DNS names are not captured",
	"fd.sip.name":            "DNS names are not captured",
	"fd.lip.name":            "DNS names are not captured",
	"fd.rip.name":            "DNS names are not captured",
	"fs.path.name":           "needs the descriptor table to resolve a dirfd",
	"fs.path.nameraw":        "needs the descriptor table to resolve a dirfd",
	"fs.path.source":         "needs the descriptor table to resolve a dirfd",
	"fs.path.sourceraw":      "needs the descriptor table to resolve a dirfd",
	"fs.path.target":         "needs the descriptor table to resolve a dirfd",
	"fs.path.targetraw":      "needs the descriptor table to resolve a dirfd",
	"fdlist.nums":            "poll descriptor lists are not captured",
	"fdlist.names":           "poll descriptor lists are not captured",
	"fdlist.cips":            "poll descriptor lists are not captured",
	"fdlist.sips":            "poll descriptor lists are not captured",
	"fdlist.cports":          "poll descriptor lists are not captured",
	"fdlist.sports":          "poll descriptor lists are not captured",
	"container.cni.json":     "CNI results are not captured",
	"container.mount.mode":   "mount modes are not captured",
	"k8s.pod.cni.json":       "CNI results are not captured",
}

// nothing is the extractor of an uncaptured field.
func nothing(_ falco.Event, dst []falco.Value) []falco.Value { return dst }

// extractor wraps g into a falco.Extractor over *Event values; any other
// value reads as an event without the field.
func extractor(g getFn) falco.Extractor {
	return func(e falco.Event, dst []falco.Value) []falco.Value {
		ev, ok := e.(*Event)
		if !ok || ev == nil || ev.Thread == nil {
			return dst
		}
		return g(ev, dst)
	}
}

// bytesOf returns s's bytes without copying. Values are read, never
// written, and their capacity is their length, so an append by a caller
// copies.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

func vText(s string) falco.Value { return falco.Value{B: bytesOf(s)} }
func vInt(n int64) falco.Value   { return falco.Value{N: n} }

func vBool(b bool) falco.Value {
	if b {
		return falco.Value{N: 1}
	}
	return falco.Value{}
}

// index reads a numeric argument; "" (no argument) is -1.
func index(arg string) (int, error) {
	if arg == "" {
		return -1, nil
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a number from 0, got %q", arg)
	}
	return n, nil
}

// joinArgs appends args to b, separated by spaces.
func joinArgs(b []byte, args []string) []byte {
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, a...)
	}
	return b
}

// collapseSlashes removes repeated path separators, as Falco does to
// fd.nameraw.
func collapseSlashes(s string) string {
	if !strings.Contains(s, "//") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '/' && len(b) > 0 && b[len(b)-1] == '/' {
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}
