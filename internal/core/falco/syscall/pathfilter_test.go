package syscall

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

var openTypes = []string{"open", "openat", "openat2"}

// TestPathFilterConditions: what each form of condition contributes to
// the path filter of opens.
func TestPathFilterConditions(t *testing.T) {
	type want = *falco.PathFilter
	pf := func(prefixes, suffixes []string) want {
		return &falco.PathFilter{Prefixes: prefixes, Suffixes: suffixes}
	}
	none := []string{}
	tests := []struct {
		cond string
		want want
	}{
		{"evt.type = openat and fd.name startswith /etc/", pf([]string{"/etc/"}, none)},
		{"evt.type = openat and fd.name in (/etc/shadow, /etc/sudoers)", pf([]string{"/etc/shadow", "/etc/sudoers"}, none)},
		{"evt.type = openat and fd.name = /etc/shadow", pf([]string{"/etc/shadow"}, none)},
		{"evt.type = openat and fd.name pmatch (/var/lib, /srv)", pf([]string{"/srv", "/var/lib"}, none)},
		{"evt.type = openat and fd.name glob '/home/*/.ssh/*'", pf([]string{"/home/"}, none)},
		{"evt.type = openat and fd.name endswith release_agent", pf(none, []string{"release_agent"})},
		{"evt.type = openat and fd.directory in (/var/log, /)", pf([]string{"/"}, none)},
		{"evt.type = openat and fd.directory = /var/log", pf([]string{"/var/log/"}, none)},
		{"evt.type = openat and fd.filename in (syslog, auth.log)", pf(none, []string{"/auth.log", "/syslog"})},
		// Only opaque paths (which pass anyway) can contain these.
		{"evt.type = openat and fd.nameraw contains '../'", pf(none, none)},
		{"evt.type = openat and fd.name contains '/.ssh/'", pf(none, none)},
		// "and": the narrowest constrained kid.
		{"evt.type = openat and fd.name startswith /etc and fd.name in (/etc/shadow)", pf([]string{"/etc/shadow"}, none)},
		{"evt.type = openat and proc.name = cat and fd.name startswith /etc", pf([]string{"/etc"}, none)},
		// "or": all kids, or no constraint.
		{"evt.type = openat and (fd.name startswith /etc or fd.filename = syslog)", pf([]string{"/etc"}, []string{"/syslog"})},
		{"evt.type = openat and (fd.name startswith /etc or proc.name = cat)", nil},
		// A prefix under another adds nothing.
		{"evt.type = openat and (fd.name startswith /etc or fd.name = /etc/shadow)", pf([]string{"/etc"}, none)},
		// Negations say nothing; De Morgan applies.
		{"evt.type = openat and not fd.name startswith /tmp", nil},
		{"evt.type = openat and not (proc.name = cat or not fd.name startswith /etc)", pf([]string{"/etc"}, none)},
		// Case-insensitive and other comparisons say nothing.
		{"evt.type = openat and fd.name icontains shadow", nil},
		{"evt.type = openat and fd.name contains shadow", nil},
		{"evt.type = openat and evt.arg.name startswith /etc", nil},
		// A rule that cannot match opens does not count; one matching every
		// type does.
		{"evt.type = execve and proc.name = cat", pf(none, none)},
		{"proc.name = cat", nil},
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			rule := fmt.Sprintf("- rule: r\n  desc: d\n  condition: %q\n  output: o\n  priority: WARNING\n", tc.cond)
			rs, diags := falco.Load(falco.Options{Sources: []falco.Source{newSource(t)}}, falco.File{Name: "r.yaml", Data: []byte(rule)})
			if diags.HasErrors() {
				t.Fatal(diags.Err())
			}
			if diff := cmp.Diff(tc.want, rs.PathFilter(SourceName, openTypes...)); diff != "" {
				t.Errorf("path filter (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStablePathFilter: the filter the sensor puts in the kernel for
// Falco's stable rules. /tmp, /usr, /proc and the like are not in it: an
// open there never leaves the kernel.
func TestStablePathFilter(t *testing.T) {
	want := &falco.PathFilter{
		Prefixes: []string{"/dev/log/", "/etc/pam.conf", "/etc/pam.d/", "/etc/security/pwquality.conf", "/etc/shadow", "/etc/sudoers", "/var/log/"},
		Suffixes: []string{"/access_log", "/auth.log", "/cron", "/dpkg.log", "/kern.log", "/last.log", "/mysql.log", "/mysqld.log",
			"/secure", "/syslog", "/user.log", "/yum.log", "release_agent"},
	}
	if diff := cmp.Diff(want, loadStable(t).PathFilter(SourceName, openTypes...)); diff != "" {
		t.Errorf("path filter (-want +got):\n%s", diff)
	}
}

// FuzzPathFilterSound: whatever the path and flags of an open, if a
// stable rule fires on it, the path filter passes it. The opener is cat in
// a container, or a shell, run by root, on the host.
func FuzzPathFilterSound(f *testing.F) {
	for _, p := range []string{"/etc/shadow", "/etc/sudoers.d/x", "/etc/pam.d/su", "/var/log/syslog", "/srv/syslog",
		"/home/u/.ssh/id_rsa", "/root/.ssh/id_rsa", "/etc/../etc/shadow", "/etc//shadow", "/etc/./shadow", "etc/shadow",
		"../../etc/shadow", "/sys/fs/cgroup/x/release_agent", "/tmp/sysload.dat", "/var/log/", "/etc/shadow/", "/"} {
		f.Add(p, uint8(0))
		f.Add(p, uint8(1))
	}
	rs := loadStable(f)
	filter := rs.PathFilter(SourceName, openTypes...)
	if filter == nil {
		f.Fatal("no path filter for the stable rules")
	}
	m := rs.NewMatcher()
	host := &Thread{PID: 900, TID: 900, VPID: 900, VTID: 900, Comm: "bash", Exe: "bash", ExePath: "/usr/bin/bash", Args: []string{"-i"},
		Cwd: "/root/", User: User{UID: 0, Name: "root", HomeDir: "/root", Shell: "/bin/bash"}, LoginUser: User{UID: 1000, Name: "u"}}
	// The property is not vacuous: rules on opens do fire here.
	for _, e := range []*Event{openat(catInContainer(), "/etc/shadow", OpenRdonly, "O_RDONLY"),
		openat(host, "/var/log/syslog", OpenWronly|OpenTrunc, "O_WRONLY|O_TRUNC")} {
		fired := false
		m.MatchType(SourceName, e.Type, e, func(*falco.Rule) bool { fired = true; return false })
		if !fired {
			f.Fatalf("no stable rule fires on an open of %s", e.FD.Name)
		}
	}
	f.Fuzz(func(t *testing.T, path string, how uint8) {
		flags, text := int64(OpenRdonly), "O_RDONLY"
		if how&1 == 1 {
			flags, text = OpenWronly|OpenTrunc, "O_WRONLY|O_TRUNC"
		}
		for _, th := range []*Thread{catInContainer(), host} {
			e := openat(th, path, flags, text)
			m.MatchType(SourceName, e.Type, e, func(r *falco.Rule) bool {
				if !filter.Pass(path) {
					t.Errorf("rule %q fires on an open of %q (%s) that the path filter drops", r.Name, path, text)
				}
				return true
			})
		}
	})
}
