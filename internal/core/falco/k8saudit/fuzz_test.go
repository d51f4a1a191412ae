package k8saudit

import (
	"bytes"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// fuzzArgs are the arguments the fuzz target reads fields with.
var fuzzArgs = map[falco.ArgMode][]string{
	falco.ArgNone:     {""},
	falco.ArgOptional: {"", "0", "1"},
	falco.ArgRequired: {"command", "/", "/requestObject/spec/containers/0", "/etc*", "~0~1"},
}

// FuzzDecode feeds arbitrary bodies to the Decoder and reads every field of
// every event it yields: nothing may panic, and decoding errors must say
// something.
func FuzzDecode(f *testing.F) {
	events := fixtures(f)
	for _, ev := range events {
		f.Add(ev)
	}
	f.Add(eventList(asListItem(events[0]), asListItem(events[1])))
	f.Add(bytes.Join(events[:3], []byte("\n")))
	f.Add([]byte("[" + string(events[2]) + "," + string(events[3]) + "]"))
	f.Add([]byte(`{"kind":"Event","auditID":"a","stageTimestamp":"2025-01-02T03:04:05Z","requestURI":"/x?a=%zz;b","requestObject":{"spec":{"containers":{"image":1},"volumes":[1,{"hostPath":{"path":7}}]},"rules":"x","subjects":[{"kind":"ServiceAccount","name":{"x":1}}]}}`))
	f.Add([]byte(`{"kind":"EventList","items":[{"auditID":"\u00e9\"","stageTimestamp":"2025-01-02T03:04:05.5+01:00","annotations":{"cluster_name":null}}]}`))

	s := New(Options{ClusterName: "fuzz"})
	var xs []falco.Extractor
	for _, fd := range s.Fields() {
		for _, arg := range fuzzArgs[fd.Arg] {
			x, err := s.Extractor(fd, arg)
			if err != nil {
				f.Fatalf("Extractor(%s, %q): %v", fd.Name, arg, err)
			}
			xs = append(xs, x)
		}
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		var d Decoder
		var dst []falco.Value
		err := d.Decode(body, func(e *Event) error {
			for _, x := range xs {
				dst = x(e, dst[:0])
			}
			e.Pod()
			e.Labels()
			e.UserGroups()
			e.RequestReceivedTimestamp()
			return nil
		})
		if err != nil && err.Error() == "" {
			t.Error("empty error message")
		}
	})
}
