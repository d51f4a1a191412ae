package syscall

import (
	"strings"
	"testing"
)

// FuzzField: any name either is unknown or resolves to a catalog field that
// is the name itself or a dotted prefix of it; checking any argument never
// panics and yields an extractor exactly when it is accepted; the
// extractor reads a bare event and a full one without panicking.
func FuzzField(f *testing.F) {
	for _, seed := range []string{
		"proc.name", "evt.arg.fd", "evt.rawarg.size", "k8s.pod.label.app.kubernetes.io/name",
		"thread.cgroup.cpuacct", "evt.abspath.src", "evt.type.is.open", "evt.arg.", ".", "a..b", "",
	} {
		f.Add(seed, "0")
	}
	s, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name, arg string) {
		fl, ok := s.Field(name)
		if !ok {
			return
		}
		if fl.Name != name && !strings.HasPrefix(name, fl.Name+".") {
			t.Fatalf("Field(%q) = %s, neither the name nor a dotted prefix of it", name, fl.Name)
		}
		if fl.Name != name && len(name) == len(fl.Name)+1 {
			t.Fatalf("Field(%q) accepted an empty dotted argument", name)
		}
		ext, err := s.Extractor(fl, arg)
		if (ext != nil) != (err == nil) {
			t.Fatalf("Extractor(%s, %q) = extractor %v, error %v", fl.Name, arg, ext != nil, err)
		}
		if ext != nil {
			ext(&Event{Thread: &Thread{}}, nil)
			ext(shellInContainer(), nil)
			ext("not an event", nil)
		}
	})
}
