package syscall

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// extract reads one field (name may carry a dotted argument; arg is a
// bracketed one) from e and renders its values as text: numbers in
// decimal, flags as true/false, addresses as text. nil means absent.
func extract(t *testing.T, s *Source, e *Event, name, arg string) []string {
	t.Helper()
	f, ok := s.Field(name)
	if !ok {
		t.Fatalf("unknown field %s", name)
	}
	if f.Name != name {
		arg = strings.TrimPrefix(name, f.Name+".")
	}
	ext, err := s.Extractor(f, arg)
	if err != nil {
		t.Fatalf("Extractor(%s, %q): %v", name, arg, err)
	}
	var out []string
	for _, v := range ext(e, nil) {
		switch f.Type {
		case falco.Int:
			out = append(out, strconv.FormatInt(v.N, 10))
		case falco.Bool:
			out = append(out, strconv.FormatBool(v.N != 0))
		case falco.IP, falco.Net:
			a, ok := netip.AddrFromSlice(v.B)
			if !ok {
				t.Fatalf("%s: %d bytes, not an address", name, len(v.B))
			}
			out = append(out, a.String())
		default:
			out = append(out, string(v.B))
		}
	}
	return out
}

func vals(v ...string) []string { return v }

func TestExtract(t *testing.T) {
	s := newSource(t)
	shell := shellInContainer()
	cat := catInContainer()
	shadow := openat(cat, "/etc/shadow", OpenRdonly|1<<12, "O_RDONLY|O_CLOEXEC")
	conn := connect(cat, "93.184.216.34:443")

	onHost := shellInContainer()
	onHost.Thread.Container = nil

	failed := openat(cat, "secrets/../key", OpenRdonly, "O_RDONLY")
	failed.Res, failed.FD = -2, nil
	failed.Args[0] = Arg{Name: "fd", Num: -2, Text: "ENOENT", Numeric: true}

	write := openat(cat, "/etc/cron.d/job", OpenWronly|OpenCreat|OpenFCreated, "O_WRONLY|O_CREAT|O_F_CREATED")
	write.Args[4] = Arg{Name: "mode", Num: ppmSIxusr | 1<<7 | 1<<8, Text: "0744", Numeric: true}

	noParent := shellInContainer()
	noParent.Thread.Parent = nil

	tests := []struct {
		name  string
		e     *Event
		field string
		arg   string
		want  []string
	}{
		// evt.*
		{"evt.type", shell, "evt.type", "", vals("execve")},
		{"syscall.type", shadow, "syscall.type", "", vals("openat")},
		{"evt.type.is match", shell, "evt.type.is.execve", "", vals("1")},
		{"evt.type.is other", shadow, "evt.type.is.execve", "", vals("0")},
		{"evt.dir", shell, "evt.dir", "", vals("<")},
		{"evt.num", shell, "evt.num", "", vals("4711")},
		{"evt.hostname", shell, "evt.hostname", "", vals("node-1")},
		{"evt.time", shadow, "evt.time", "", vals("22:13:20.001000000")},
		{"evt.time.s", shadow, "evt.time.s", "", vals("22:13:20")},
		{"evt.datetime", shadow, "evt.datetime", "", vals("2023-11-14 22:13:20.001000000")},
		{"evt.time.iso8601", shadow, "evt.time.iso8601", "", vals("2023-11-14T22:13:20.001000000Z")},
		{"evt.rawtime", shell, "evt.rawtime", "", vals(strconv.FormatInt(t0, 10))},
		{"evt.reltime.s", shell, "evt.reltime.s", "", vals("600")},
		{"evt.res success", shadow, "evt.res", "", vals("SUCCESS")},
		{"evt.res error from the rendering", failed, "evt.res", "", vals("ENOENT")},
		{"evt.rawres", failed, "evt.rawres", "", vals("-2")},
		{"evt.failed", failed, "evt.failed", "", vals("true")},
		{"evt.count.error on success", shadow, "evt.count.error", "", nil},
		{"evt.arg by name", shadow, "evt.arg.flags", "", vals("O_RDONLY|O_CLOEXEC")},
		{"evt.arg by position", shadow, "evt.arg", "2", vals("/etc/shadow")},
		{"evt.arg number without rendering", shell, "evt.arg.flags", "", vals("0")},
		{"evt.arg missing", shadow, "evt.arg.request", "", nil},
		{"evt.rawarg number", shadow, "evt.rawarg.flags", "", vals(strconv.Itoa(OpenRdonly | 1<<12))},
		{"evt.rawarg text", shadow, "evt.rawarg.name", "", vals("/etc/shadow")},
		{"evt.args", shadow, "evt.args", "",
			vals("fd=3 dirfd=-100(AT_FDCWD) name=/etc/shadow flags=4097(O_RDONLY|O_CLOEXEC) mode=0 ")},
		{"evt.is_open_read", shadow, "evt.is_open_read", "", vals("true")},
		{"evt.is_open_write read", shadow, "evt.is_open_write", "", vals("false")},
		{"evt.is_open_write", write, "evt.is_open_write", "", vals("true")},
		{"evt.is_open_create", write, "evt.is_open_create", "", vals("true")},
		{"evt.is_open_exec", write, "evt.is_open_exec", "", vals("true")},
		{"evt.is_open_read not an open", shell, "evt.is_open_read", "", vals("false")},
		{"evt.source", shell, "evt.source", "", vals("syscall")},
		{"evt.pluginname", shell, "evt.pluginname", "", nil},

		// proc.*, thread.*, user.*, group.*
		{"proc.name", shell, "proc.name", "", vals("sh")},
		{"proc.exe", shell, "proc.exe", "", vals("/bin/sh")},
		{"proc.cmdline no args", shell, "proc.cmdline", "", vals("sh")},
		{"proc.cmdline", cat.Parent.execveOf(), "proc.cmdline", "", vals("sh -c cat /etc/shadow")},
		{"proc.args", cat.Parent.execveOf(), "proc.args", "", vals("-c cat /etc/shadow")},
		{"proc.args[1]", cat.Parent.execveOf(), "proc.args", "1", vals("cat /etc/shadow")},
		{"proc.args[2] absent", cat.Parent.execveOf(), "proc.args", "2", nil},
		{"proc.pname", shell, "proc.pname", "", vals("runc:[1:CHILD]")},
		{"proc.pname without parent", noParent, "proc.pname", "", nil},
		{"proc.pcmdline", shell, "proc.pcmdline", "", vals("runc:[1:CHILD] init")},
		{"proc.pexe", shell, "proc.pexe", "", vals("/usr/bin/runc")},
		{"proc.aname[0] is the process", shell, "proc.aname", "0", vals("sh")},
		{"proc.aname[1]", shell, "proc.aname", "1", vals("runc:[1:CHILD]")},
		{"proc.aname[2]", shell, "proc.aname", "2", vals("containerd-shim")},
		{"proc.aname[3] beyond the tree", shell, "proc.aname", "3", nil},
		{"proc.aname every ancestor", shell, "proc.aname", "", vals("runc:[1:CHILD]", "containerd-shim")},
		{"proc.apid[1]", shell, "proc.apid", "1", vals("1200")},
		{"proc.aexepath[2]", shell, "proc.aexepath", "2", vals("/usr/bin/containerd-shim-runc-v2")},
		{"proc.tty", shell, "proc.tty", "", vals("34816")},
		{"proc.cwd", shell, "proc.cwd", "", vals("/usr/share/nginx/html/")},
		{"proc.pid", shell, "proc.pid", "", vals("1201")},
		{"proc.vpid", shell, "proc.vpid", "", vals("201")},
		{"proc.sname", shell, "proc.sname", "", vals("sh")},
		{"proc.vpgid.name", shell, "proc.vpgid.name", "", vals("sh")},
		{"proc.is_vpgid_leader", shell, "proc.is_vpgid_leader", "", vals("true")},
		{"proc.duration", shell, "proc.duration", "", vals("1000000000")},
		{"proc.ppid.duration", shell, "proc.ppid.duration", "", vals("1000000000")},
		{"proc.exe_ino.ctime_duration_proc_start", shell, "proc.exe_ino.ctime_duration_proc_start", "", vals("86399000000000")},
		{"proc.env", shell, "proc.env", "", vals("PATH=/usr/sbin:/usr/bin:/bin HOME=/root")},
		{"proc.env[HOME]", shell, "proc.env", "HOME", vals("/root")},
		{"proc.env[unset]", shell, "proc.env", "LD_PRELOAD", vals("")},
		{"proc.is_exe_upper_layer", shell, "proc.is_exe_upper_layer", "", vals("false")},
		{"thread.cap_effective", shell, "thread.cap_effective", "", vals(
			"CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP " +
				"CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_SYS_CHROOT CAP_MKNOD CAP_AUDIT_WRITE CAP_SETFCAP")},
		{"thread.ismain", shell, "thread.ismain", "", vals("true")},
		{"user.name", shell, "user.name", "", vals("root")},
		{"user.uid", shell, "user.uid", "", vals("0")},
		{"user.loginuid unset", shell, "user.loginuid", "", vals("-1")},
		{"group.name", shell, "group.name", "", vals("root")},

		// fd.*
		{"fd.name", shadow, "fd.name", "", vals("/etc/shadow")},
		{"fd.type", shadow, "fd.type", "", vals("file")},
		{"fd.typechar", shadow, "fd.typechar", "", vals("f")},
		{"fd.num", shadow, "fd.num", "", vals("3")},
		{"fd.directory", shadow, "fd.directory", "", vals("/etc")},
		{"fd.filename", shadow, "fd.filename", "", vals("shadow")},
		{"fd.l4proto of a file", shadow, "fd.l4proto", "", vals("<NA>")},
		{"fd.dev.major", shadow, "fd.dev.major", "", vals("8")},
		{"fd.dev.minor", shadow, "fd.dev.minor", "", vals("3")},
		{"fd.name of a failed open", failed, "fd.name", "", vals("/usr/share/nginx/html/key")},
		{"fd.nameraw of a failed open", failed, "fd.nameraw", "", vals("secrets/../key")},
		{"fd.typechar of a failed open", failed, "fd.typechar", "", vals("f")},
		{"fd.num of a failed open", failed, "fd.num", "", nil},
		{"fd.name socket", conn, "fd.name", "", vals("10.244.1.7:43210->93.184.216.34:443")},
		{"fd.type socket", conn, "fd.type", "", vals("ipv4")},
		{"fd.sip", conn, "fd.sip", "", vals("93.184.216.34")},
		{"fd.cip", conn, "fd.cip", "", vals("10.244.1.7")},
		{"fd.rip", conn, "fd.rip", "", vals("93.184.216.34")},
		{"fd.lip", conn, "fd.lip", "", vals("10.244.1.7")},
		{"fd.ip", conn, "fd.ip", "", vals("10.244.1.7", "93.184.216.34")},
		{"fd.snet", conn, "fd.snet", "", vals("93.184.216.34")},
		{"fd.sport", conn, "fd.sport", "", vals("443")},
		{"fd.lport", conn, "fd.lport", "", vals("43210")},
		{"fd.rport", conn, "fd.rport", "", vals("443")},
		{"fd.sproto", conn, "fd.sproto", "", vals("443")},
		{"fd.l4proto", conn, "fd.l4proto", "", vals("tcp")},
		{"fd.sockfamily", conn, "fd.sockfamily", "", vals("ip")},
		{"fd.is_server", conn, "fd.is_server", "", vals("false")},
		{"fd.connected", conn, "fd.connected", "", vals("true")},
		{"fd.name_changed", conn, "fd.name_changed", "", vals("true")},
		{"fd.sip of a file", shadow, "fd.sip", "", nil},
		{"fd.uid", shadow, "fd.uid", "", vals("13013")},
		{"fd.containername", shadow, "fd.containername", "", vals("3ad7b26ded6d:/etc/shadow")},

		// container.* and k8s.*
		{"container.id", shell, "container.id", "", vals("3ad7b26ded6d")},
		{"container.name", shell, "container.name", "", vals("web")},
		{"container.image.repository", shell, "container.image.repository", "", vals("docker.io/library/nginx")},
		{"container.image.tag", shell, "container.image.tag", "", vals("1.27")},
		{"container.privileged", shell, "container.privileged", "", vals("false")},
		{"container.start_ts", shell, "container.start_ts", "", vals(strconv.FormatInt(t0-60e9, 10))},
		{"container.labels", shell, "container.labels", "", vals("maintainer:ops")},
		{"container.label", shell, "container.label.maintainer", "", vals("ops")},
		{"container.mount.dest by source", shell, "container.mount.dest", "/var/run/docker.sock", vals("/var/run/docker.sock")},
		{"container.mount.source by dest glob", shell, "container.mount.source", "/etc/*", vals("/var/lib/kubelet/pods/x/volumes/cfg")},
		{"container.mount by position", shell, "container.mount", "1", vals("/var/run/docker.sock:/var/run/docker.sock::true:rprivate")},
		{"container.mount none", shell, "container.mount.dest", "/proc*", nil},
		{"k8s.ns.name", shell, "k8s.ns.name", "", vals("shop")},
		{"k8s.pod.name", shell, "k8s.pod.name", "", vals("web-7d9f")},
		{"k8s.pod.uid", shell, "k8s.pod.uid", "", vals("3e41dc6b-08a8-44db-bc2a-3724b18ab19a")},
		{"k8s.pod.label", shell, "k8s.pod.label.app", "", vals("web")},
		{"k8s.pod.labels", shell, "k8s.pod.labels", "", vals("app:web")},
		{"k8s.rs.name deprecated", shell, "k8s.rs.name", "", nil},

		// On the host: the container plugin's host entry.
		{"host container.id", onHost, "container.id", "", vals("host")},
		{"host container.name", onHost, "container.name", "", vals("host")},
		{"host container.image.repository", onHost, "container.image.repository", "", vals("")},
		{"host container.privileged", onHost, "container.privileged", "", vals("false")},
		{"host k8s.ns.name", onHost, "k8s.ns.name", "", nil},
		{"host k8s.pod.name", onHost, "k8s.pod.name", "", nil},
		{"host k8s.pod.sandbox_id", onHost, "k8s.pod.sandbox_id", "", vals("")},
		{"host container.mount", onHost, "container.mount.dest", "0", nil},

		// Uncaptured fields read nothing.
		{"evt.buffer", shadow, "evt.buffer", "", nil},
		{"thread.pfmajor", shadow, "thread.pfmajor", "", nil},
		{"fd.types", shadow, "fd.types", "0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := extract(t, s, tt.e, tt.field, tt.arg)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s[%s] (-want +got):\n%s", tt.field, tt.arg, diff)
			}
		})
	}
}

// execveOf is the execve that made t run its program.
func (t *Thread) execveOf() *Event { return execve(t, 0, "") }

// TestEveryFieldReads: each catalog field has an extractor or is listed as
// uncaptured, never both, and each reads an event without panicking.
func TestEveryFieldReads(t *testing.T) {
	s := newSource(t)
	get, withArg := extractors()
	for name := range uncaptured {
		if _, ok := s.byName[name]; !ok {
			t.Errorf("uncaptured %s is not in the catalog", name)
		}
	}
	for name := range get {
		if sp, ok := s.byName[name]; !ok || sp.Arg != falco.ArgNone {
			t.Errorf("extractor %s: not a catalog field without an argument", name)
		}
	}
	for name := range withArg {
		if sp, ok := s.byName[name]; !ok || sp.Arg == falco.ArgNone {
			t.Errorf("extractor %s: not a catalog field with an argument", name)
		}
	}
	events := []*Event{shellInContainer(), openat(catInContainer(), "/etc/shadow", OpenRdonly, "O_RDONLY"),
		connect(catInContainer(), "[2001:db8::1]:443"), {Thread: &Thread{}}}
	for _, f := range s.Fields() {
		_, un := uncaptured[f.Name]
		_, g := get[f.Name]
		_, wa := withArg[f.Name]
		if n := btoi(un) + btoi(g) + btoi(wa); n != 1 {
			t.Errorf("%s: uncaptured %v, extractor %v, extractor with argument %v; want exactly one", f.Name, un, g, wa)
			continue
		}
		if s.Uncaptured(f.Name) != un {
			t.Errorf("Uncaptured(%s) = %v, want %v", f.Name, !un, un)
		}
		arg := ""
		if f.Arg == falco.ArgRequired {
			arg = map[argKind]string{argEvtArg: "fd", argParamName: "res", argEventType: "open", argSubsystem: "cpu",
				argTimestamp: "1", argKey: "app", argIndexOrKey: "0", argIndex: "0"}[s.byName[f.Name].kind]
		}
		ext, err := s.Extractor(f, arg)
		if err != nil {
			t.Errorf("Extractor(%s, %q): %v", f.Name, arg, err)
			continue
		}
		for _, e := range events {
			ext(e, nil)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestUncaptured(t *testing.T) {
	s := newSource(t)
	for name, want := range map[string]bool{
		"thread.pfmajor": true, "evt.buffer": true, "proc.vmrss": true, "thread.cgroup.cpuacct": true,
		"fd.sip.name": true, "proc.name": false, "evt.arg.flags": false, "k8s.pod.label.app": false,
		"proc.nosuch": false,
	} {
		if got := s.Uncaptured(name); got != want {
			t.Errorf("Uncaptured(%s) = %v, want %v", name, got, want)
		}
	}
	if r := s.UncapturedReason("thread.cgroup.cpuacct"); r != "cgroups are not captured" {
		t.Errorf("UncapturedReason(thread.cgroup.cpuacct) = %q", r)
	}
}
