package syscall

import "net/netip"

// Hand-built events, shaped as the sensor fills them: a pod's container on
// a node, a process tree from containerd's shim down, and the syscalls the
// seed scenarios describe.

const (
	t0       = int64(1_700_000_000_000_000_000) // 2023-11-14 22:13:20 UTC
	ptsTTY   = 34816                            // /dev/pts/0
	hostname = "node-1"
)

func testPod() *Pod {
	return &Pod{Name: "web-7d9f", Namespace: "shop", UID: "3e41dc6b-08a8-44db-bc2a-3724b18ab19a",
		SandboxID: "63060edc2d3a", FullSandboxID: "63060edc2d3aa803ab559f2393776b151f99fc5b05035b21db66b3b62246ad6a",
		Labels: map[string]string{"app": "web", "io.kubernetes.pod.name": "web-7d9f"}, IP: "10.244.1.7"}
}

func testContainer() *Container {
	return &Container{ID: "3ad7b26ded6d", FullID: "3ad7b26ded6d8e7e8b2cb5f3c0d6e4f1a3f0b5a1c2d3e4f5a6b7c8d9e0f1a2b3",
		Name: "web", Image: "docker.io/library/nginx:1.27", ImageRepository: "docker.io/library/nginx",
		ImageTag: "1.27", ImageDigest: "sha256:0a1b", ImageID: "sha256:9f8e", Type: "containerd",
		StartTS: t0 - 60e9, Labels: map[string]string{"maintainer": "ops", "io.kubernetes.container.name": "web"},
		Mounts: []Mount{{Source: "/var/lib/kubelet/pods/x/volumes/cfg", Dest: "/etc/nginx", Propagation: "rprivate"},
			{Source: "/var/run/docker.sock", Dest: "/var/run/docker.sock", ReadWrite: true, Propagation: "rprivate"}},
		IP: "10.244.1.7", Pod: testPod()}
}

// shim is containerd's shim on the host, parent of the container's init.
func shim() *Thread {
	return &Thread{TID: 900, PID: 900, PPID: 1, VTID: 900, VPID: 900, SID: 900, PGID: 900, VPGID: 900,
		Comm: "containerd-shim", Exe: "/usr/bin/containerd-shim-runc-v2",
		ExePath: "/usr/bin/containerd-shim-runc-v2", Args: []string{"-namespace", "k8s.io"}, Cwd: "/",
		User: User{UID: 0, Name: "root", HomeDir: "/root", Shell: "/bin/bash"}, LoginUser: User{UID: -1},
		Group: Group{GID: 0, Name: "root"}, StartTime: t0 - 3600e9, PIDNSInitStart: t0 - 86400e9}
}

// inContainer is a process of the test container, child of parent.
func inContainer(parent *Thread, c *Container, pid int64, comm, exepath string, args ...string) *Thread {
	return &Thread{TID: pid, PID: pid, PPID: parent.PID, VTID: pid - 1000, VPID: pid - 1000, SID: pid, PGID: pid,
		VPGID: pid - 1000, Comm: comm, Exe: exepath, ExePath: exepath, Args: args, Cwd: "/usr/share/nginx/html/",
		Env:  []string{"PATH=/usr/sbin:/usr/bin:/bin", "HOME=/root"},
		User: User{UID: 0, Name: "root", HomeDir: "/root", Shell: "/bin/sh"}, LoginUser: User{UID: -1},
		Group: Group{GID: 0, Name: "root"}, CapEffective: 0xa80425fb, CapPermitted: 0xa80425fb,
		StartTime: t0 - 1e9, PIDNSInitStart: c.StartTS, ExeIno: 131, ExeCtime: t0 - 86400e9, ExeMtime: t0 - 86400e9,
		Parent: parent, Container: c}
}

// execve is the exit event of an execve that made t run its program.
func execve(t *Thread, flags int64, flagsText string) *Event {
	return &Event{Num: 4711, Time: t0, Start: t0 - 600e9, CPU: 1, Type: "execve", Res: 0, Thread: t, Hostname: hostname,
		Args: []Arg{
			{Name: "res", Text: "0", Numeric: true},
			{Name: "exe", Text: t.Exe},
			{Name: "tty", Num: t.TTY, Numeric: true},
			{Name: "flags", Num: flags, Text: flagsText, Numeric: true},
		}}
}

// shellInContainer is "kubectl exec -it web -- sh": runc's child runs sh
// with a terminal.
func shellInContainer() *Event {
	c := testContainer()
	runc := inContainer(shim(), c, 1200, "runc:[1:CHILD]", "/usr/bin/runc", "init")
	sh := inContainer(runc, c, 1201, "sh", "/bin/sh")
	sh.TTY = ptsTTY
	return execve(sh, 0, "")
}

// openat is the exit event of openat(AT_FDCWD, path, flags) by t, which
// returned descriptor 3.
func openat(t *Thread, path string, flags int64, flagsText string) *Event {
	return &Event{Num: 4712, Time: t0 + 1e6, Start: t0 - 600e9, CPU: 0, Type: "openat", Res: 3, Thread: t, Hostname: hostname,
		Args: []Arg{
			{Name: "fd", Num: 3, Text: "3", Numeric: true},
			{Name: "dirfd", Num: atFDCWD, Text: "AT_FDCWD", Numeric: true},
			{Name: "name", Text: path},
			{Name: "flags", Num: flags, Text: flagsText, Numeric: true},
			{Name: "mode", Num: 0, Numeric: true},
		},
		FD: &FD{Num: 3, TypeChar: 'f', Name: path, NameRaw: path, Dev: 0x803, Ino: 4242}}
}

// catInContainer is cat, started by a shell in the test container.
func catInContainer() *Thread {
	c := testContainer()
	sh := inContainer(shim(), c, 1300, "sh", "/bin/sh", "-c", "cat /etc/shadow")
	return inContainer(sh, c, 1301, "cat", "/bin/cat", "/etc/shadow")
}

// connect is a TCP connect from the container to server.
func connect(t *Thread, server string) *Event {
	ap := netip.MustParseAddrPort(server)
	return &Event{Num: 4713, Time: t0 + 2e6, Start: t0 - 600e9, Type: "connect", Res: 0, Thread: t, Hostname: hostname,
		Args: []Arg{{Name: "res", Text: "0", Numeric: true}, {Name: "tuple", Text: "10.244.1.7:43210->" + server},
			{Name: "fd", Num: 5, Text: "5", Numeric: true}},
		FD: &FD{Num: 5, TypeChar: '4', Name: "10.244.1.7:43210->" + server, L4Proto: "tcp",
			Client: netip.MustParseAddrPort("10.244.1.7:43210"), Server: ap, LocalIsClient: true, Connected: true,
			Family: "AF_INET", NameChanged: true}}
}
