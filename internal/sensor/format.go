package sensor

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Renderings of parameters as Falco's event table renders them
// (evt.arg.NAME): flag sets joined by '|', enumerations by name, errors
// by their errno name.

type bit struct {
	v    uint64
	name string
}

// openFlags are the kernel's open(2) flags under Falco's names.
var openFlags = []bit{
	{unix.O_WRONLY, "O_WRONLY"}, {unix.O_RDWR, "O_RDWR"}, {unix.O_CREAT, "O_CREAT"},
	{unix.O_EXCL, "O_EXCL"}, {unix.O_NOCTTY, "O_NOCTTY"}, {unix.O_TRUNC, "O_TRUNC"},
	{unix.O_APPEND, "O_APPEND"}, {unix.O_NONBLOCK, "O_NONBLOCK"}, {unix.O_DSYNC, "O_DSYNC"},
	{unix.O_ASYNC, "O_ASYNC"}, {unix.O_DIRECT, "O_DIRECT"}, {unix.O_LARGEFILE, "O_LARGEFILE"},
	{unix.O_DIRECTORY, "O_DIRECTORY"}, {unix.O_NOFOLLOW, "O_NOFOLLOW"}, {unix.O_NOATIME, "O_NOATIME"},
	{unix.O_CLOEXEC, "O_CLOEXEC"}, {unix.O_PATH, "O_PATH"},
}

// renderOpenFlags renders open flags; O_RDONLY when no access bit is set,
// and O_SYNC for __O_SYNC|O_DSYNC, as Falco does.
func renderOpenFlags(f uint64) string {
	var parts []string
	if f&(unix.O_WRONLY|unix.O_RDWR) == 0 && f&unix.O_PATH == 0 {
		parts = append(parts, "O_RDONLY")
	}
	for _, b := range openFlags {
		if b.v == unix.O_DSYNC && f&unix.O_SYNC == unix.O_SYNC {
			parts = append(parts, "O_SYNC")
			continue
		}
		if b.v == unix.O_DIRECTORY && f&unix.O_TMPFILE == unix.O_TMPFILE {
			parts = append(parts, "O_TMPFILE")
			continue
		}
		if f&b.v != 0 {
			parts = append(parts, b.name)
		}
	}
	return strings.Join(parts, "|")
}

var socketFamilies = map[uint64]string{
	unix.AF_UNSPEC: "AF_UNSPEC", unix.AF_UNIX: "AF_UNIX", unix.AF_INET: "AF_INET", unix.AF_INET6: "AF_INET6",
	unix.AF_NETLINK: "AF_NETLINK", unix.AF_PACKET: "AF_PACKET", unix.AF_KEY: "AF_KEY", unix.AF_BLUETOOTH: "AF_BLUETOOTH",
	unix.AF_VSOCK: "AF_VSOCK", unix.AF_ALG: "AF_ALG", unix.AF_XDP: "AF_XDP", unix.AF_CAN: "AF_CAN",
	unix.AF_TIPC: "AF_TIPC", unix.AF_APPLETALK: "AF_APPLETALK", unix.AF_X25: "AF_X25",
}

func renderFamily(v uint64) string {
	if s, ok := socketFamilies[v]; ok {
		return s
	}
	return strconv.FormatUint(v, 10)
}

var socketTypes = map[uint64]string{
	unix.SOCK_STREAM: "SOCK_STREAM", unix.SOCK_DGRAM: "SOCK_DGRAM", unix.SOCK_RAW: "SOCK_RAW",
	unix.SOCK_RDM: "SOCK_RDM", unix.SOCK_SEQPACKET: "SOCK_SEQPACKET", unix.SOCK_PACKET: "SOCK_PACKET",
}

func renderSocketType(v uint64) string {
	parts := []string{}
	if s, ok := socketTypes[v&0xf]; ok {
		parts = append(parts, s)
	} else {
		parts = append(parts, strconv.FormatUint(v&0xf, 10))
	}
	if v&unix.SOCK_NONBLOCK != 0 {
		parts = append(parts, "SOCK_NONBLOCK")
	}
	if v&unix.SOCK_CLOEXEC != 0 {
		parts = append(parts, "SOCK_CLOEXEC")
	}
	return strings.Join(parts, "|")
}

var ptraceRequests = map[uint64]string{
	unix.PTRACE_TRACEME: "PTRACE_TRACEME", unix.PTRACE_PEEKTEXT: "PTRACE_PEEKTEXT", unix.PTRACE_PEEKDATA: "PTRACE_PEEKDATA",
	unix.PTRACE_PEEKUSR: "PTRACE_PEEKUSR", unix.PTRACE_POKETEXT: "PTRACE_POKETEXT", unix.PTRACE_POKEDATA: "PTRACE_POKEDATA",
	unix.PTRACE_POKEUSR: "PTRACE_POKEUSR", unix.PTRACE_CONT: "PTRACE_CONT", unix.PTRACE_KILL: "PTRACE_KILL",
	unix.PTRACE_SINGLESTEP: "PTRACE_SINGLESTEP", unix.PTRACE_GETREGS: "PTRACE_GETREGS", unix.PTRACE_SETREGS: "PTRACE_SETREGS",
	unix.PTRACE_ATTACH: "PTRACE_ATTACH", unix.PTRACE_DETACH: "PTRACE_DETACH", unix.PTRACE_SYSCALL: "PTRACE_SYSCALL",
	unix.PTRACE_SETOPTIONS: "PTRACE_SETOPTIONS", unix.PTRACE_GETEVENTMSG: "PTRACE_GETEVENTMSG",
	unix.PTRACE_GETSIGINFO: "PTRACE_GETSIGINFO", unix.PTRACE_SETSIGINFO: "PTRACE_SETSIGINFO",
	unix.PTRACE_SEIZE: "PTRACE_SEIZE", unix.PTRACE_INTERRUPT: "PTRACE_INTERRUPT", unix.PTRACE_LISTEN: "PTRACE_LISTEN",
}

func renderPtrace(v uint64) string {
	if s, ok := ptraceRequests[v]; ok {
		return s
	}
	return strconv.FormatUint(v, 10)
}

// renderErrno renders a negative return value as Falco does (ENOENT);
// other values as numbers.
func renderErrno(res int64) string {
	if res < 0 && res > -4096 {
		if name := unix.ErrnoName(unix.Errno(-res)); name != "" {
			return name
		}
	}
	return strconv.FormatInt(res, 10)
}

// Executable flags of execve's exit event (evt.arg.flags), Falco's
// PPM_EXE_* names.
func renderExeFlags(upper, lower, memfd, writable bool) string {
	var parts []string
	if writable {
		parts = append(parts, "EXE_WRITABLE")
	}
	if upper {
		parts = append(parts, "EXE_UPPER_LAYER")
	}
	if memfd {
		parts = append(parts, "EXE_FROM_MEMFD")
	}
	if lower {
		parts = append(parts, "EXE_LOWER_LAYER")
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}
