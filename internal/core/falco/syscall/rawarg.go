package syscall

import "github.com/palisade-dev/palisade/internal/core/falco"

// rawargType is the type of evt.rawarg.NAME: Falco types it by the
// argument's declaration in its event table. This is the common part of
// that table, by name: arguments declared as numbers (integers, errno,
// descriptors, pids, ids, flags, modes, signals, times) are Int, binary
// buffers are Bytes, everything else (paths, names, socket addresses and
// tuples, arguments whose type differs between events, like addr) String.
func rawargType(name string) falco.FieldType {
	switch {
	case numericParams[name]:
		return falco.Int
	case bytesParams[name]:
		return falco.Bytes
	}
	return falco.String
}

var numericParams = set(
	// results and descriptors
	"res", "res_or_fd", "fd", "fd1", "fd2", "fd_in", "fd_out", "dirfd", "olddirfd", "newdirfd",
	"linkdirfd", "olddir", "newdir", "newfd", "oldfd", "nfds", "maxevents",
	// processes and identities
	"pid", "tid", "ptid", "vpid", "vtid", "pgid", "sid", "uid", "gid", "euid", "egid", "ruid",
	"rgid", "suid", "sgid", "loginuid", "tty",
	// sizes, offsets, counts
	"size", "len", "length", "offset", "pos", "count", "backlog", "optlen", "nstype",
	// flags, modes and enumerations
	"flags", "mode", "prot", "type", "domain", "proto", "cmd", "request", "op", "how", "level",
	"optname", "option", "resource", "which", "sig", "id", "native_id", "clone_flags",
	// numbers of the process and its executable
	"dev", "ino", "exe_ino", "exe_ino_ctime", "exe_ino_mtime", "pidns_init_start_ts",
	"fdlimit", "pgft_maj", "pgft_min", "vm_size", "vm_rss", "vm_swap",
	"cap_inheritable", "cap_permitted", "cap_effective",
	// limits and timers
	"cur", "max", "newcur", "newmax", "oldcur", "oldmax", "timeout", "val",
)

var bytesParams = set("data", "args", "env", "cgroups")

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
