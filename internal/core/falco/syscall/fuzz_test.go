package syscall

import (
	"strings"
	"testing"
)

// FuzzField: any name either is unknown or resolves to a catalog field that
// is the name itself or a dotted prefix of it, and checking any argument
// never panics nor yields an extractor.
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
		if ext, _ := s.Extractor(fl, arg); ext != nil {
			t.Fatalf("Extractor(%s, %q) returned an extractor", fl.Name, arg)
		}
	})
}
