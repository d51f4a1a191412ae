package sensor

import (
	"sort"
	"strings"
)

// A syscall the probe reports: its x86-64 number, Falco's event name, and
// its exit event's parameters in Falco's event table's order (libs'
// PPME_*_X entries, the enter parameters the drivers now add to the exit
// event included), each with where the decoder reads it.
type syscallDef struct {
	nr     int
	name   string
	params []param
}

// param is one parameter of an event: its name in Falco's event table, and
// where its value comes from.
type param struct {
	name string
	from source
	// arg is the syscall argument read, for the sources that read one.
	arg int
}

// source is where a parameter's value comes from.
type source uint8

const (
	fromRes       source = iota // the return value (an errno by name)
	fromInt                     // argument arg, an integer
	fromFD                      // argument arg, a descriptor (32 bits, signed)
	fromStr0                    // the first string the probe read
	fromStr1                    // the second string the probe read
	fromOpenFlags               // argument arg, open flags in Falco's encoding
	fromMode                    // argument arg, a mode (octal)
	fromDev                     // the opened file's device
	fromIno                     // the opened file's inode
	fromDomain                  // argument arg, a socket family (AF_*)
	fromSockType                // argument arg, a socket type (SOCK_*)
	fromPtrace                  // argument arg, a ptrace request (PTRACE_*)
	fromAddr                    // the socket address the caller passed
	fromTuple                   // the descriptor's tuple
	fromNone                    // not captured: empty
)

func res(name string) param                 { return param{name: name, from: fromRes} }
func arg(name string, i int) param          { return param{name: name, from: fromInt, arg: i} }
func fd(name string, i int) param           { return param{name: name, from: fromFD, arg: i} }
func str0(name string) param                { return param{name: name, from: fromStr0} }
func str1(name string) param                { return param{name: name, from: fromStr1} }
func of(name string, s source, i int) param { return param{name: name, from: s, arg: i} }
func none(name string) param                { return param{name: name, from: fromNone} }

// The parameters of the open calls, whose flags and mode are at i and i+1.
func openParams(i int, dirfd bool, extra ...param) []param {
	ps := []param{res("fd")}
	if dirfd {
		ps = append(ps, fd("dirfd", 0))
	}
	ps = append(ps, str0("name"), of("flags", fromOpenFlags, i), of("mode", fromMode, i+1))
	ps = append(ps, extra...)
	return append(ps, of("dev", fromDev, 0), of("ino", fromIno, 0))
}

// syscalls are the syscalls the probe decodes: those Falco's published
// rules match on (the event types of falco_rules.yaml,
// falco-incubating_rules.yaml and falco-sandbox_rules.yaml that are
// system calls), plus close and chdir, which keep the sensor's tables.
// execve and execveat are reported by the sched_process_exec tracepoint,
// after the new program is in place. Which strings the probe reads for
// each call is in probe.bpf.c (sys_exit).
var syscalls = []syscallDef{
	{2, "open", openParams(1, false)},
	{257, "openat", openParams(2, true)},
	{437, "openat2", openParams(2, true, none("resolve"))}, // the probe puts open_how's flags and mode in 2 and 3
	{3, "close", []param{res("res"), fd("fd", 0)}},
	{32, "dup", []param{res("res"), fd("oldfd", 0)}},
	{33, "dup2", []param{res("res"), fd("oldfd", 0), fd("newfd", 1)}},
	{292, "dup3", []param{res("res"), fd("oldfd", 0), fd("newfd", 1), arg("flags", 2)}},
	{41, "socket", []param{res("fd"), of("domain", fromDomain, 0), of("type", fromSockType, 1), arg("proto", 2)}},
	{42, "connect", []param{res("res"), of("tuple", fromTuple, 0), fd("fd", 0), of("addr", fromAddr, 0)}},
	{43, "accept", []param{res("fd"), of("tuple", fromTuple, 0), none("queuepct"), none("queuelen"), none("queuemax")}},
	{288, "accept4", []param{res("fd"), of("tuple", fromTuple, 0), none("queuepct"), none("queuelen"), none("queuemax"), arg("flags", 3)}},
	{44, "sendto", []param{res("res"), none("data"), fd("fd", 0), arg("size", 2), of("tuple", fromTuple, 0)}},
	{46, "sendmsg", []param{res("res"), none("data"), fd("fd", 0), none("size"), of("tuple", fromTuple, 0)}},
	{49, "bind", []param{res("res"), of("addr", fromAddr, 0), fd("fd", 0)}},
	{50, "listen", []param{res("res"), fd("fd", 0), arg("backlog", 1)}},
	{80, "chdir", []param{res("res"), str0("path")}},
	{81, "fchdir", []param{res("res"), fd("fd", 0)}},
	{82, "rename", []param{res("res"), str0("oldpath"), str1("newpath")}},
	{264, "renameat", []param{res("res"), fd("olddirfd", 0), str0("oldpath"), fd("newdirfd", 2), str1("newpath")}},
	{316, "renameat2", []param{res("res"), fd("olddirfd", 0), str0("oldpath"), fd("newdirfd", 2), str1("newpath"), arg("flags", 4)}},
	{83, "mkdir", []param{res("res"), str0("path"), of("mode", fromMode, 1)}},
	{258, "mkdirat", []param{res("res"), fd("dirfd", 0), str0("path"), of("mode", fromMode, 2)}},
	{84, "rmdir", []param{res("res"), str0("path")}},
	{86, "link", []param{res("res"), str0("oldpath"), str1("newpath")}},
	{265, "linkat", []param{res("res"), fd("olddir", 0), str0("oldpath"), fd("newdir", 2), str1("newpath"), arg("flags", 4)}},
	{87, "unlink", []param{res("res"), str0("path")}},
	{263, "unlinkat", []param{res("res"), fd("dirfd", 0), str0("name"), arg("flags", 2)}},
	{88, "symlink", []param{res("res"), str0("target"), str1("linkpath")}},
	{266, "symlinkat", []param{res("res"), str0("target"), fd("linkdirfd", 1), str1("linkpath")}},
	{90, "chmod", []param{res("res"), str0("filename"), of("mode", fromMode, 1)}},
	{91, "fchmod", []param{res("res"), fd("fd", 0), of("mode", fromMode, 1)}},
	{268, "fchmodat", []param{res("res"), fd("dirfd", 0), str0("filename"), of("mode", fromMode, 2)}},
	{101, "ptrace", []param{res("res"), arg("addr", 2), arg("data", 3), of("request", fromPtrace, 0), arg("pid", 1)}},
	{105, "setuid", []param{res("res"), fd("uid", 0)}},
	{106, "setgid", []param{res("res"), fd("gid", 0)}},
	{117, "setresuid", []param{res("res"), fd("ruid", 0), fd("euid", 1), fd("suid", 2)}},
	{119, "setresgid", []param{res("res"), fd("rgid", 0), fd("egid", 1), fd("sgid", 2)}},
	{165, "mount", []param{res("res"), str0("dev"), str1("dir"), none("type"), arg("flags", 3)}},
	{166, "umount2", []param{res("res"), str0("name"), arg("flags", 1)}},
	{175, "init_module", []param{res("res"), none("img"), arg("length", 1), str0("uargs")}},
	{313, "finit_module", []param{res("res"), fd("fd", 0), str0("uargs"), arg("flags", 2)}},
	{319, "memfd_create", []param{res("fd"), str0("name"), arg("flags", 1)}},
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
