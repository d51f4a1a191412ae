package sensor

import (
	"sort"
	"strings"
)

// A syscall the probe reports: its x86-64 number, Falco's event name, and
// the names of its exit event's parameters in Falco's event table (libs'
// PPME_*_X entries, the enter parameters the drivers now add to the exit
// event included). The decoder fills them in this order.
type syscallDef struct {
	nr     int
	name   string
	params []string
}

// syscalls are the syscalls the probe decodes: those Falco's published
// rules match on (the event types of falco_rules.yaml,
// falco-incubating_rules.yaml and falco-sandbox_rules.yaml that are
// system calls), plus close and chdir, which keep the sensor's tables.
// execve and execveat are reported by the sched_process_exec tracepoint,
// after the new program is in place.
var syscalls = []syscallDef{
	{2, "open", []string{"fd", "name", "flags", "mode", "dev", "ino"}},
	{3, "close", []string{"res", "fd"}},
	{32, "dup", []string{"res", "oldfd"}},
	{33, "dup2", []string{"res", "oldfd", "newfd"}},
	{292, "dup3", []string{"res", "oldfd", "newfd", "flags"}},
	{41, "socket", []string{"fd", "domain", "type", "proto"}},
	{42, "connect", []string{"res", "tuple", "fd", "addr"}},
	{43, "accept", []string{"fd", "tuple", "queuepct", "queuelen", "queuemax"}},
	{288, "accept4", []string{"fd", "tuple", "queuepct", "queuelen", "queuemax", "flags"}},
	{44, "sendto", []string{"res", "data", "fd", "size", "tuple"}},
	{46, "sendmsg", []string{"res", "data", "fd", "size", "tuple"}},
	{49, "bind", []string{"res", "addr", "fd"}},
	{50, "listen", []string{"res", "fd", "backlog"}},
	{80, "chdir", []string{"res", "path"}},
	{81, "fchdir", []string{"res", "fd"}},
	{82, "rename", []string{"res", "oldpath", "newpath"}},
	{264, "renameat", []string{"res", "olddirfd", "oldpath", "newdirfd", "newpath"}},
	{316, "renameat2", []string{"res", "olddirfd", "oldpath", "newdirfd", "newpath", "flags"}},
	{83, "mkdir", []string{"res", "path", "mode"}},
	{258, "mkdirat", []string{"res", "dirfd", "path", "mode"}},
	{84, "rmdir", []string{"res", "path"}},
	{86, "link", []string{"res", "oldpath", "newpath"}},
	{265, "linkat", []string{"res", "olddir", "oldpath", "newdir", "newpath", "flags"}},
	{87, "unlink", []string{"res", "path"}},
	{263, "unlinkat", []string{"res", "dirfd", "name", "flags"}},
	{88, "symlink", []string{"res", "target", "linkpath"}},
	{266, "symlinkat", []string{"res", "target", "linkdirfd", "linkpath"}},
	{90, "chmod", []string{"res", "filename", "mode"}},
	{91, "fchmod", []string{"res", "fd", "mode"}},
	{268, "fchmodat", []string{"res", "dirfd", "filename", "mode"}},
	{101, "ptrace", []string{"res", "addr", "data", "request", "pid"}},
	{105, "setuid", []string{"res", "uid"}},
	{106, "setgid", []string{"res", "gid"}},
	{117, "setresuid", []string{"res", "ruid", "euid", "suid"}},
	{119, "setresgid", []string{"res", "rgid", "egid", "sgid"}},
	{165, "mount", []string{"res", "dev", "dir", "type", "flags"}},
	{166, "umount2", []string{"res", "name", "flags"}},
	{175, "init_module", []string{"res", "img", "length", "uargs"}},
	{313, "finit_module", []string{"res", "fd", "uargs", "flags"}},
	{319, "memfd_create", []string{"fd", "name", "flags"}},
	{257, "openat", []string{"fd", "dirfd", "name", "flags", "mode", "dev", "ino"}},
	{437, "openat2", []string{"fd", "dirfd", "name", "flags", "mode", "resolve", "dev", "ino"}},
}

// Event types the sensor reports without a syscall number of their own.
const (
	evExecve   = "execve"
	evExecveat = "execveat"
)

var (
	syscallByNr   = map[int]*syscallDef{}
	syscallByName = map[string]*syscallDef{}
)

func init() {
	for i := range syscalls {
		d := &syscalls[i]
		syscallByNr[d.nr] = d
		syscallByName[d.name] = d
	}
}

// tableSyscalls are reported whatever the rules say: they keep the
// sensor's tables (working directories) right.
var tableSyscalls = []string{"chdir", "fchdir"}

// selectSyscalls returns the syscall numbers to report for rules matching
// these event types (all: every one the sensor decodes), and the event
// types the rules name that the sensor cannot report, sorted.
func selectSyscalls(types []string, all bool) (nrs []int, missing []string) {
	want := map[int]bool{}
	for _, name := range tableSyscalls {
		want[syscallByName[name].nr] = true
	}
	if all {
		for _, d := range syscalls {
			want[d.nr] = true
		}
	}
	for _, t := range types {
		switch d, ok := syscallByName[t]; {
		case ok:
			want[d.nr] = true
		case t == evExecve || t == evExecveat:
		default:
			if !strings.HasPrefix(t, "proc") && !strings.HasPrefix(t, "container") {
				missing = append(missing, t)
			}
		}
	}
	for nr := range want {
		nrs = append(nrs, nr)
	}
	sort.Ints(nrs)
	sort.Strings(missing)
	return nrs, missing
}
