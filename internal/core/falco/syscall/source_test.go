package syscall

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

func newSource(t testing.TB) *Source {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestName(t *testing.T) {
	if got := newSource(t).Name(); got != "syscall" {
		t.Errorf("Name() = %q, want syscall", got)
	}
}

func TestBuildRejectsInconsistentCatalog(t *testing.T) {
	bad := []spec{
		str("proc.name", "one"),
		str("proc.name", "twice"),
		str("procname", "no class"),
		str("proc.1st", "segment starting with a digit"),
		str("proc.nodesc", ""),
		{Field: falco.Field{Name: "proc.modeonly", Desc: "x", Arg: falco.ArgOptional}},
		str("proc.kindonly", "x").optional(argKey),
		str("proc.dotonly", "x").dot(),
	}
	bad[6].Arg = falco.ArgNone
	_, err := build(bad)
	if err == nil {
		t.Fatal("build accepted an inconsistent catalog")
	}
	for _, want := range []string{
		"proc.name: defined twice", `"procname": malformed`, `"proc.1st": malformed`,
		"proc.nodesc: no description", "proc.modeonly: argument mode", "proc.kindonly: argument mode",
		"proc.dotonly: a dotted argument",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestFieldsSortedUniqueDescribed(t *testing.T) {
	s := newSource(t)
	fs := s.Fields()
	if !sort.SliceIsSorted(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name }) {
		t.Error("Fields() is not sorted by name")
	}
	for i, f := range fs {
		if i > 0 && fs[i-1].Name == f.Name {
			t.Errorf("%s listed twice", f.Name)
		}
		if got, ok := s.Field(f.Name); !ok || !cmp.Equal(got, f) {
			t.Errorf("Field(%q) = %+v, %v; Fields() has %+v", f.Name, got, ok, f)
		}
	}
	fs[0].Name = "changed"
	if s.Fields()[0].Name == "changed" {
		t.Error("Fields() returns the source's own slice")
	}
}

// TestClassCounts pins the size of each field class, so that a field lost
// or added by mistake shows.
func TestClassCounts(t *testing.T) {
	got := map[string]int{}
	for _, f := range newSource(t).Fields() {
		got[class(f.Name)]++
	}
	want := map[string]int{
		"evt": 59, "syscall": 1, "proc": 73, "thread": 17, "user": 6, "group": 2,
		"fd": 46, "fs.path": 6, "fdlist": 6, "container": 29, "k8s": 29,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields per class (-want +got):\n%s", diff)
	}
}

func class(name string) string {
	if strings.HasPrefix(name, "fs.path.") {
		return "fs.path"
	}
	return name[:strings.IndexByte(name, '.')]
}

func TestFieldShapes(t *testing.T) {
	s := newSource(t)
	tests := []falco.Field{
		{Name: "proc.name", Type: falco.String},
		{Name: "proc.cmdnargs", Type: falco.Int},
		{Name: "proc.args", Type: falco.String, Arg: falco.ArgOptional, Index: true},
		{Name: "proc.aname", Type: falco.String, Arg: falco.ArgOptional, Index: true},
		{Name: "proc.apid", Type: falco.Int, Arg: falco.ArgOptional, Index: true},
		{Name: "proc.env", Type: falco.String, Arg: falco.ArgOptional},
		{Name: "proc.tty", Type: falco.Int},
		{Name: "proc.is_exe_upper_layer", Type: falco.Bool},
		{Name: "proc.fdusage", Type: falco.Int},
		{Name: "thread.cgroup", Type: falco.String, Arg: falco.ArgRequired},
		{Name: "evt.rawtime", Type: falco.Int},
		{Name: "evt.latency", Type: falco.Int},
		{Name: "evt.buffer", Type: falco.Bytes},
		{Name: "evt.args", Type: falco.String},
		{Name: "evt.arg", Type: falco.String, Arg: falco.ArgRequired},
		{Name: "evt.around", Type: falco.Int, Arg: falco.ArgRequired},
		{Name: "evt.abspath", Type: falco.String, Arg: falco.ArgOptional},
		{Name: "fd.cip", Type: falco.IP},
		{Name: "fd.net", Type: falco.Net},
		{Name: "fd.sport", Type: falco.Int},
		{Name: "fd.cip.name", Type: falco.String},
		{Name: "fd.types", Type: falco.String, List: true, Arg: falco.ArgOptional, Index: true},
		{Name: "user.loginuid", Type: falco.Int},
		{Name: "container.privileged", Type: falco.Bool},
		{Name: "container.start_ts", Type: falco.Int},
		{Name: "container.mounts", Type: falco.String},
		{Name: "container.mount.dest", Type: falco.String, Arg: falco.ArgRequired},
		{Name: "k8s.pod.label", Type: falco.String, Arg: falco.ArgRequired},
		{Name: "k8s.pod.labels", Type: falco.String},
		{Name: "k8s.ns.name", Type: falco.String},
	}
	for _, want := range tests {
		got, ok := s.Field(want.Name)
		if !ok {
			t.Errorf("Field(%q): unknown", want.Name)
			continue
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(falco.Field{}, "Desc")); diff != "" {
			t.Errorf("Field(%q) (-want +got):\n%s", want.Name, diff)
		}
	}
}

// TestOnlyListField: fd.types is the only EPF_IS_LIST field of the source.
func TestOnlyListField(t *testing.T) {
	var lists []string
	for _, f := range newSource(t).Fields() {
		if f.List {
			lists = append(lists, f.Name)
		}
	}
	if diff := cmp.Diff([]string{"fd.types"}, lists); diff != "" {
		t.Errorf("list fields (-want +got):\n%s", diff)
	}
}

func TestFieldLookup(t *testing.T) {
	s := newSource(t)
	tests := []struct {
		name     string
		wantName string // "" when unknown
		wantType falco.FieldType
	}{
		{"proc.name", "proc.name", falco.String},
		{"evt.args", "evt.args", falco.String},
		{"evt.arg.flags", "evt.arg", falco.String},
		{"evt.arg.res_or_fd", "evt.arg", falco.String},
		{"evt.rawarg.size", "evt.rawarg", falco.Int},
		{"evt.rawarg.res", "evt.rawarg", falco.Int},
		{"evt.rawarg.data", "evt.rawarg", falco.Bytes},
		{"evt.rawarg.name", "evt.rawarg", falco.String},
		{"evt.type.is.open", "evt.type.is", falco.Int},
		{"evt.type.is", "evt.type.is", falco.Int},
		{"evt.abspath.src", "evt.abspath", falco.String},
		{"thread.cgroups", "thread.cgroups", falco.String},
		{"thread.cgroup.cpuacct", "thread.cgroup", falco.String},
		{"k8s.pod.labels", "k8s.pod.labels", falco.String},
		{"k8s.pod.label.app", "k8s.pod.label", falco.String},
		{"k8s.pod.label.app.kubernetes.io", "k8s.pod.label", falco.String},
		{"container.label.maintainer", "container.label", falco.String},
		{"container.mount.dest", "container.mount.dest", falco.String},
		{"fs.path.name", "fs.path.name", falco.String},
		{"syscall.type", "syscall.type", falco.String},
		{"evt.arg.", "", 0},
		{"evt.arg", "evt.arg", falco.String},
		{"proc.aname.2", "", 0},
		{"proc.nosuch", "", 0},
		{"container.mount.dest.x", "", 0},
		{"k8s.rc.label.app", "", 0},
		{"syslog.message", "", 0},
		{"span.id", "", 0},
		{"evt", "", 0},
		{"", "", 0},
	}
	for _, tt := range tests {
		f, ok := s.Field(tt.name)
		if tt.wantName == "" {
			if ok {
				t.Errorf("Field(%q) = %s, want unknown", tt.name, f.Name)
			}
			continue
		}
		if !ok || f.Name != tt.wantName || f.Type != tt.wantType {
			t.Errorf("Field(%q) = %s type %d, %v; want %s type %d", tt.name, f.Name, f.Type, ok, tt.wantName, tt.wantType)
		}
		if f.Name != tt.name && !strings.HasPrefix(tt.name, f.Name+".") {
			t.Errorf("Field(%q) = %s, which is not a dotted prefix of the name", tt.name, f.Name)
		}
	}
}

func TestExtractorChecksArguments(t *testing.T) {
	s := newSource(t)
	tests := []struct {
		field, arg string
		wantErr    string // "" when valid
	}{
		{"proc.name", "", ""},
		{"proc.name", "1", "does not take an argument"},
		{"proc.aname", "", ""},
		{"proc.aname", "3", ""},
		{"proc.aname", "x", "want a number from 0"},
		{"proc.aname", "-1", "want a number from 0"},
		{"proc.apid", "1", ""},
		{"proc.aexepath", "2", ""},
		{"proc.args", "0", ""},
		{"proc.env", "", ""},
		{"proc.env", "LD_PRELOAD", ""},
		{"proc.aenv", "2", ""},
		{"proc.aenv", "HOME", ""},
		{"proc.cmdnargs", "1", "does not take an argument"},
		{"fd.types", "0", ""},
		{"fd.types", "stdout", "want a number from 0"},
		{"fd.cip.name", "", ""},
		{"evt.arg", "", "requires an argument"},
		{"evt.arg", "0", ""},
		{"evt.arg", "flags", ""},
		{"evt.arg", "a b", "want an argument position"},
		{"evt.rawarg", "size", ""},
		{"evt.rawarg", "0", "want an argument name"},
		{"evt.type.is", "open", ""},
		{"evt.type.is", "", "requires an argument"},
		{"evt.abspath", "", ""},
		{"evt.abspath", "dst", ""},
		{"evt.abspath", "mid", "want .src or .dst"},
		{"evt.around", "1404996934793590564", ""},
		{"evt.around", "soon", "want a timestamp"},
		{"thread.cgroup", "cpuacct", ""},
		{"thread.cgroup", "cpu,cpuacct", "want a cgroup subsystem"},
		{"container.mount.dest", "/proc*", ""},
		{"container.mount.dest", "0", ""},
		{"container.mount", "", "requires an argument"},
		{"container.label", "maintainer", ""},
		{"k8s.pod.label", "app.kubernetes.io/name", ""},
		{"k8s.pod.label", "", "requires an argument"},
		{"k8s.pod.labels", "app", "does not take an argument"},
		{"proc.nosuch", "", "unknown field proc.nosuch"},
	}
	for _, tt := range tests {
		f, ok := s.Field(tt.field)
		if !ok {
			f = falco.Field{Name: tt.field}
		}
		ext, err := s.Extractor(f, tt.arg)
		if (ext != nil) != (err == nil) {
			t.Errorf("Extractor(%s, %q) = extractor %v, error %v; want one of them", tt.field, tt.arg, ext != nil, err)
		}
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("Extractor(%s, %q): %v", tt.field, tt.arg, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("Extractor(%s, %q) error = %v, want one containing %q", tt.field, tt.arg, err, tt.wantErr)
		}
	}
}

// TestDottedArgumentsCheckedLikeBracketed: the part after a dotted field's
// name is its argument.
func TestDottedArgumentsCheckedLikeBracketed(t *testing.T) {
	s := newSource(t)
	for name, valid := range map[string]bool{
		"evt.arg.fd":            true,
		"evt.rawarg.res":        true,
		"evt.type.is.execve":    true,
		"evt.abspath.src":       true,
		"evt.abspath.middle":    false,
		"thread.cgroup.cpuacct": true,
		"thread.cgroup.cpu-acc": false,
		"k8s.pod.label.app":     true,
		"container.label.a.b/c": true,
	} {
		f, ok := s.Field(name)
		if !ok {
			t.Errorf("Field(%q): unknown", name)
			continue
		}
		_, err := s.Extractor(f, strings.TrimPrefix(name, f.Name+"."))
		if (err == nil) != valid {
			t.Errorf("%s: Extractor error = %v, want valid %v", name, err, valid)
		}
	}
}
