package sensor

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/palisade-dev/palisade/internal/core/falco/syscall"
)

// Renderings of parameters as Falco's event table renders them
// (evt.arg.NAME): flag sets joined by '|', enumerations by name, errors
// by their errno name.

type bit struct {
	v    uint64
	name string
}

// ppmOpenFlags name Falco's open flags as its event table renders them.
var ppmOpenFlags = []bit{
	{syscall.OpenRdwr, "O_RDWR"}, {syscall.OpenRdonly, "O_RDONLY"}, {syscall.OpenWronly, "O_WRONLY"},
	{syscall.OpenCreat, "O_CREAT"}, {syscall.OpenAppend, "O_APPEND"}, {syscall.OpenDsync, "O_DSYNC"}, {syscall.OpenExcl, "O_EXCL"},
	{syscall.OpenNonblock, "O_NONBLOCK"}, {syscall.OpenSync, "O_SYNC"}, {syscall.OpenTrunc, "O_TRUNC"}, {syscall.OpenDirect, "O_DIRECT"},
	{syscall.OpenDirectory, "O_DIRECTORY"}, {syscall.OpenLargefile, "O_LARGEFILE"}, {syscall.OpenCloexec, "O_CLOEXEC"},
	{syscall.OpenTmpfile, "O_TMPFILE"}, {syscall.OpenFCreated, "O_F_CREATED"},
}

// openFlagsPPM translates the kernel's open flags into Falco's encoding;
// created says the call created the file (O_F_CREATED). Kernel flags Falco
// does not encode (O_NOFOLLOW, O_NOATIME, O_NOCTTY, O_ASYNC, O_PATH) are
// left out, as its drivers leave them out.
func openFlagsPPM(f uint64, created bool) uint64 {
	var p uint64
	switch f & unix.O_ACCMODE {
	case unix.O_RDONLY:
		p |= syscall.OpenRdonly
	case unix.O_WRONLY:
		p |= syscall.OpenWronly
	case unix.O_RDWR:
		p |= syscall.OpenRdwr
	}
	for _, m := range []struct{ k, p uint64 }{
		{unix.O_CREAT, syscall.OpenCreat}, {unix.O_APPEND, syscall.OpenAppend}, {unix.O_EXCL, syscall.OpenExcl},
		{unix.O_NONBLOCK, syscall.OpenNonblock}, {unix.O_TRUNC, syscall.OpenTrunc}, {unix.O_DIRECT, syscall.OpenDirect},
		{unix.O_LARGEFILE, syscall.OpenLargefile}, {unix.O_CLOEXEC, syscall.OpenCloexec},
	} {
		if f&m.k != 0 {
			p |= m.p
		}
	}
	switch {
	case f&unix.O_TMPFILE == unix.O_TMPFILE:
		p |= syscall.OpenTmpfile
	case f&unix.O_DIRECTORY != 0:
		p |= syscall.OpenDirectory
	}
	switch {
	case f&unix.O_SYNC == unix.O_SYNC:
		p |= syscall.OpenSync
	case f&unix.O_DSYNC != 0:
		p |= syscall.OpenDsync
	}
	if created {
		p |= syscall.OpenFCreated
	}
	return p
}

// renderOpenFlags renders Falco-encoded open flags as its event table does
// (O_RDONLY|O_CLOEXEC).
func renderOpenFlags(p uint64) string {
	var parts []string
	for _, b := range ppmOpenFlags {
		if p&b.v == b.v {
			parts = append(parts, b.name)
			p &^= b.v
		}
	}
	if len(parts) == 0 {
		return "O_NONE"
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
