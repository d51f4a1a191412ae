package syscall

import "net/netip"

// Event is one system call as Palisade's sensor saw it, with what the
// sensor knows of the thread that made it, the descriptor it acts on and
// the container the thread runs in: the values the syscall source's
// fields read. The sensor reports exit events (Falco's '<' direction),
// after the kernel has decided the call's result.
//
// Pointers are shared with the sensor's tables (Thread.Parent, Container):
// an Event is read by one goroutine while the tables do not change, which
// is how the sensor evaluates (one goroutine decodes, updates its tables
// and evaluates each event in turn).
type Event struct {
	// Num is the event's sequence number since the sensor started
	// (evt.num).
	Num uint64
	// Time is when the call returned, in nanoseconds since the epoch.
	Time int64
	// Start is when the sensor started, for evt.reltime.
	Start int64
	// CPU is the processor that ran the call.
	CPU int
	// Type is Falco's event name: "openat", "execve", "connect", ...
	Type string
	// Res is the call's return value: a descriptor, a count, or a negative
	// errno.
	Res int64
	// Args are the event's parameters in Falco's event-table order for
	// the exit event, under Falco's names (fd, name, flags, domain, ...).
	Args []Arg
	// Thread made the call; never nil.
	Thread *Thread
	// FD is the descriptor the call is about (the one it opened, read,
	// connected or accepted); nil when none.
	FD *FD
	// Hostname is the node's name (evt.hostname).
	Hostname string
}

// Arg is one parameter of an event.
type Arg struct {
	// Name is Falco's name for the parameter.
	Name string
	// Text is the value as Falco renders it (evt.arg.NAME): flags as
	// O_RDONLY|O_CLOEXEC, a socket domain as AF_PACKET, an errno as
	// ENOENT, a path as written by the caller.
	Text string
	// Num is the value as a number for numeric parameters (evt.rawarg.NAME),
	// in the encoding of Falco's event table.
	Num int64
	// Numeric says Num holds the value (and Text its rendering).
	Numeric bool
}

// Arg returns the parameter named name, or nil.
func (e *Event) Arg(name string) *Arg {
	for i := range e.Args {
		if e.Args[i].Name == name {
			return &e.Args[i]
		}
	}
	return nil
}

// Thread is a thread (and the process it belongs to) as the sensor's
// process table holds it: what the kernel reported when the process was
// created or last executed a program, and what /proc held for processes
// that existed before the sensor started.
type Thread struct {
	TID, PID int64
	// PPID is the parent process's pid (proc.ppid).
	PPID int64
	// VTID and VPID are the ids in the thread's own pid namespace.
	VTID, VPID int64
	// SID, PGID and VPGID are the session and process group ids
	// (VPGID in the process's pid namespace).
	SID, PGID, VPGID int64
	// Comm is the kernel's name for the process (proc.name, at most 15
	// characters).
	Comm string
	// Exe is argv[0] (proc.exe).
	Exe string
	// ExePath is the executable's full path (proc.exepath).
	ExePath string
	// Args are the command-line arguments after argv[0].
	Args []string
	// Env is the environment as NAME=value pairs; nil when not captured.
	Env []string
	// Cwd is the current directory, ending with '/' as Falco's does.
	Cwd string
	// TTY is the controlling terminal's device number, 0 when none.
	TTY int64
	// User and LoginUser are the real user and the audit login user
	// (LoginUser.UID is -1 when unset, Falco's 4294967295 shown as -1).
	User      User
	LoginUser User
	Group     Group
	// CapEffective, CapPermitted and CapInheritable are capability masks.
	CapEffective, CapPermitted, CapInheritable uint64
	// StartTime is when the process was created (ns since the epoch);
	// PIDNSInitStart when its pid namespace's init was.
	StartTime, PIDNSInitStart int64
	// ExeUpperLayer and ExeLowerLayer say where on an overlay file system
	// the executable lies (both false when not on one); ExeWritable that
	// the caller can write the executable; ExeFromMemfd that it was
	// executed from a memfd.
	ExeUpperLayer, ExeLowerLayer, ExeWritable, ExeFromMemfd bool
	// ExeIno is the executable's inode number; ExeCtime and ExeMtime its
	// change and modification times (ns since the epoch).
	ExeIno             uint64
	ExeCtime, ExeMtime int64
	// Parent is the parent process, nil when the sensor does not know it.
	Parent *Thread
	// Container is the container the thread runs in; nil on the host.
	Container *Container
}

// User is a user id with what the container's (or host's) user database
// says of it.
type User struct {
	UID     int64
	Name    string
	HomeDir string
	Shell   string
}

// Group is a group id and its name.
type Group struct {
	GID  int64
	Name string
}

// Container is what the container runtime says of a container.
type Container struct {
	// ID is the container id cut to 12 characters (container.id);
	// FullID is the whole id.
	ID, FullID string
	Name       string
	// Image is the image as the pod spec names it; ImageRepository,
	// ImageTag and ImageDigest its parts; ImageID the runtime's image id.
	Image, ImageRepository, ImageTag, ImageDigest, ImageID string
	// Type is the runtime: containerd, cri-o, docker.
	Type string
	// Privileged, HostPID, HostNetwork and HostIPC are from the container's
	// security settings; unknown settings are false.
	Privileged, HostPID, HostNetwork, HostIPC bool
	// StartTS is when the container was created (ns since the epoch).
	StartTS int64
	Labels  map[string]string
	Mounts  []Mount
	IP      string
	// Pod is the Kubernetes pod the container belongs to; nil outside
	// Kubernetes.
	Pod *Pod
}

// Mount is one of a container's mounts.
type Mount struct {
	Source, Dest, Propagation string
	ReadWrite                 bool
}

// Pod is the Kubernetes pod of a container, as the runtime's sandbox
// records it.
type Pod struct {
	Name, Namespace, UID string
	// SandboxID is the pod sandbox's id (12 characters); FullSandboxID the
	// whole id.
	SandboxID, FullSandboxID string
	Labels                   map[string]string
	IP                       string
}

// FD is a descriptor as the sensor's descriptor table holds it.
type FD struct {
	Num int64
	// TypeChar is Falco's one-character descriptor type: f (file), d
	// (directory), 4 and 6 (IPv4/IPv6 sockets), u (unix socket), p (pipe),
	// e (eventfd), s (signalfd), l (eventpoll), i (inotify), t (timerfd),
	// n (netlink), b (bpf), r (userfaultfd), m (memfd), o (other).
	TypeChar byte
	// Name is the full name: a file's resolved path, a socket's tuple
	// (10.0.0.1:34567->10.0.0.2:80), a unix socket's path.
	Name string
	// NameRaw is the name as the caller wrote it.
	NameRaw string
	// For IP sockets: L4Proto is tcp, udp, icmp or raw; Client and Server
	// are the two ends, Local says which end is this process's (true:
	// the client); Connected that the socket has a peer.
	L4Proto        string
	Client, Server netip.AddrPort
	LocalIsClient  bool
	Connected      bool
	// Family is the socket's address family (AF_INET, AF_INET6, AF_UNIX,
	// AF_PACKET, AF_NETLINK, ...) for sockets.
	Family string
	// Dev and Ino identify a file's device and inode.
	Dev uint32
	Ino uint64
	// UpperLayer and LowerLayer say where on an overlay file system a file
	// lies.
	UpperLayer, LowerLayer bool
	// NameChanged says the event changed the descriptor's name (a connect
	// or bind).
	NameChanged bool
}
