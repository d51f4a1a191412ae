package sensor

import (
	"bytes"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/palisade-dev/palisade/internal/core/falco/syscall"
	"github.com/palisade-dev/palisade/internal/sensor/probe"
)

// procTable is the sensor's view of the node's processes, kept from the
// probe's exec, fork and exit records, and read from /proc for processes
// that started before the sensor. It is owned by the decoding goroutine.
type procTable struct {
	proc  string // the /proc the node's processes are under
	byPID map[uint32]*syscall.Thread
	// clock converts the probe's boot times to wall-clock time.
	clock      clock
	containers *containers
	users      *users
}

// maxAncestors bounds how far up the parent chain the table links a
// thread for an event (proc.aname[N] reads up to there).
const maxAncestors = 16

// containerID finds a container's id in a cgroup name: the 64 hex digits
// of cgroupfs (kubepods/.../<id>), systemd (cri-containerd-<id>.scope),
// docker and cri-o layouts.
var containerID = regexp.MustCompile(`(?:^|[-/])([0-9a-f]{64})(?:\.scope)?$`)

func idFromCgroup(name string) string {
	if m := containerID.FindStringSubmatch(name); m != nil {
		return m[1]
	}
	return ""
}

// lookup returns the process pid, reading /proc when the table does not
// have it; nil when it is gone.
func (pt *procTable) lookup(pid uint32) *syscall.Thread {
	if t := pt.byPID[pid]; t != nil {
		return t
	}
	t := pt.fromProc(pid)
	if t != nil {
		pt.byPID[pid] = t
	}
	return t
}

// link points t's parent chain at the table's current processes, so that
// ancestors read as they are now (a parent that executed another program
// since reads as that program).
func (pt *procTable) link(t *syscall.Thread) {
	for i := 0; i < maxAncestors && t != nil; i++ {
		if t.PPID <= 0 || t.PPID == t.PID {
			t.Parent = nil
			return
		}
		parent := pt.lookup(uint32(t.PPID))
		if parent == nil {
			// The parent exited and the kernel gave t another (a
			// daemon's double fork, a shim reparented to its subreaper).
			if ppid := pt.ppidNow(uint32(t.PID)); ppid > 0 && ppid != t.PPID {
				t.PPID = ppid
				parent = pt.lookup(uint32(ppid))
			}
		}
		t.Parent = parent
		t = parent
	}
}

// ppidNow reads a live process's parent from /proc; 0 when it is gone.
func (pt *procTable) ppidNow(pid uint32) int64 {
	stat, err := os.ReadFile(pt.proc + "/" + strconv.FormatUint(uint64(pid), 10) + "/stat")
	if err != nil {
		return 0
	}
	if j := bytes.LastIndexByte(stat, ')'); j >= 0 {
		if f := strings.Fields(string(stat[j+1:])); len(f) > 1 {
			return atoi(f[1])
		}
	}
	return 0
}

// exec replaces the process's entry with what the exec record says.
func (pt *procTable) exec(x *probe.Exec) *syscall.Thread {
	t := &syscall.Thread{
		TID: int64(x.TID), PID: int64(x.PID), PPID: int64(x.PPID),
		VTID: int64(x.VTID), VPID: int64(x.VPID), SID: int64(x.SID), PGID: int64(x.PGID), VPGID: int64(x.VPGID),
		Comm: x.Comm, TTY: int64(x.TTY),
		CapEffective: x.CapEff, CapPermitted: x.CapPerm, CapInheritable: x.CapInh,
		StartTime: pt.clock.wall(x.Start), PIDNSInitStart: pt.clock.wall(x.PIDNSStart),
		ExeUpperLayer: x.Flags&probe.ExecUpper != 0, ExeLowerLayer: x.Flags&probe.ExecLower != 0,
		ExeFromMemfd: x.Flags&probe.ExecMemfd != 0,
		ExeIno:       x.ExeIno, ExeCtime: x.ExeCtime, ExeMtime: x.ExeMtime,
	}
	if len(x.Argv) > 0 {
		t.Exe, t.Args = x.Argv[0], x.Argv[1:]
	} else {
		t.Exe = x.Filename
	}
	t.ExePath = probe.JoinPath(x.Exe)
	if x.Flags&probe.ExecExeCut != 0 || len(x.Exe) == 0 {
		t.ExePath = absolute(x.Filename, probe.JoinPath(x.Cwd))
	}
	if t.ExeFromMemfd {
		t.ExePath = "memfd:" + strings.TrimPrefix(path.Base(t.ExePath), "memfd:")
	}
	t.Cwd = dirSlash(probe.JoinPath(x.Cwd))
	pt.link(t) // users are read from an ancestor's root when t is gone
	pt.setIdentity(t, x.Header)
	pt.byPID[x.PID] = t
	return t
}

// fork adds a new process as a copy of its parent, as the kernel made it.
func (pt *procTable) fork(f *probe.Fork) {
	child := &syscall.Thread{PID: int64(f.ChildPID), TID: int64(f.ChildTID), PPID: int64(f.PPID), Comm: f.Comm,
		StartTime: pt.clock.wall(f.Start)}
	if p := pt.lookup(f.PPID); p != nil {
		c := *p
		c.PID, c.TID, c.PPID, c.StartTime, c.Comm = child.PID, child.TID, child.PPID, child.StartTime, child.Comm
		c.VPID, c.VTID = 0, 0 // unknown until the child executes a program
		c.Parent = nil
		child = &c
	}
	pt.setIdentity(child, f.Header)
	pt.byPID[f.ChildPID] = child
}

func (pt *procTable) exit(pid uint32) { delete(pt.byPID, pid) }

// setIdentity sets the user, group and container the record says the
// thread has now.
func (pt *procTable) setIdentity(t *syscall.Thread, h probe.Header) {
	if h.Kind != probe.KindExit {
		t.Container = pt.containers.get(idFromCgroup(h.Cgroup))
	}
	t.User = pt.users.user(t, int64(h.UID))
	t.Group = pt.users.group(t, int64(h.GID))
	t.LoginUser = pt.users.user(t, loginUID(h.LoginUID))
}

func loginUID(v uint32) int64 {
	if v == 0xffffffff {
		return -1
	}
	return int64(v)
}

// fromProc reads a process that the probe has not reported.
func (pt *procTable) fromProc(pid uint32) *syscall.Thread {
	dir := pt.proc + "/" + strconv.FormatUint(uint64(pid), 10)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return nil
	}
	t := &syscall.Thread{PID: int64(pid), TID: int64(pid)}
	// pid (comm) state ppid pgrp session tty_nr ...: comm may hold spaces
	// and parentheses, so read from the last ')'.
	if i, j := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')'); i >= 0 && j > i {
		t.Comm = string(stat[i+1 : j])
		f := strings.Fields(string(stat[j+1:]))
		if len(f) > 19 {
			t.PPID = atoi(f[1])
			t.PGID = atoi(f[2])
			t.SID = atoi(f[3])
			t.TTY = atoi(f[4])
			// starttime (field 22) is in clock ticks since boot.
			t.StartTime = pt.clock.wall(uint64(atoi(f[19])) * 1e9 / 100)
		}
	}
	if b, err := os.ReadFile(dir + "/cmdline"); err == nil {
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) > 0 && args[0] != "" {
			t.Exe, t.Args = args[0], args[1:]
		}
	}
	root, _ := os.Readlink(dir + "/root")
	if exe, err := os.Readlink(dir + "/exe"); err == nil {
		t.ExePath = strings.TrimSuffix(inRoot(exe, root), " (deleted)")
	}
	if cwd, err := os.Readlink(dir + "/cwd"); err == nil {
		t.Cwd = dirSlash(inRoot(cwd, root))
	}
	var h probe.Header
	h.Kind = probe.KindSyscall
	if b, err := os.ReadFile(dir + "/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(line, ":")
			f := strings.Fields(v)
			switch {
			case len(f) == 0:
			case k == "Uid" && len(f) > 1:
				h.UID = uint32(atoi(f[1]))
			case k == "Gid" && len(f) > 1:
				h.GID = uint32(atoi(f[1]))
			case k == "CapEff":
				t.CapEffective, _ = strconv.ParseUint(f[0], 16, 64)
			case k == "CapPrm":
				t.CapPermitted, _ = strconv.ParseUint(f[0], 16, 64)
			case k == "CapInh":
				t.CapInheritable, _ = strconv.ParseUint(f[0], 16, 64)
			case k == "NSpid":
				t.VPID = atoi(f[len(f)-1])
				t.VTID = t.VPID
			case k == "NSpgid":
				t.VPGID = atoi(f[len(f)-1])
			}
		}
	}
	h.LoginUID = 0xffffffff
	if b, err := os.ReadFile(dir + "/loginuid"); err == nil {
		if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32); err == nil {
			h.LoginUID = uint32(v)
		}
	}
	if b, err := os.ReadFile(dir + "/cgroup"); err == nil {
		h.Cgroup = cgroupLeaf(string(b))
	}
	pt.setIdentity(t, h)
	return t
}

// cgroupLeaf picks, from /proc/PID/cgroup, the leaf the probe reads: the
// memory controller's cgroup, else the unified hierarchy's.
func cgroupLeaf(s string) string {
	var unified string
	for _, line := range strings.Split(s, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if slicesContains(strings.Split(parts[1], ","), "memory") {
			return path.Base(parts[2])
		}
		if parts[0] == "0" {
			unified = path.Base(parts[2])
		}
	}
	return unified
}

func slicesContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// inRoot turns a path the kernel shows from the sensor's root into the
// process's own view: a container's /proc/PID/cwd reads as
// <its root>/dir from the host.
func inRoot(p, root string) string {
	if root == "" || root == "/" {
		return p
	}
	if rest, ok := strings.CutPrefix(p, root); ok && (rest == "" || rest[0] == '/') {
		if rest == "" {
			return "/"
		}
		return rest
	}
	return p
}

func absolute(p, cwd string) string {
	if p == "" || strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return path.Join(cwd, p)
}

// dirSlash ends a directory with '/', as Falco's proc.cwd does.
func dirSlash(d string) string {
	if strings.HasSuffix(d, "/") {
		return d
	}
	return d + "/"
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
