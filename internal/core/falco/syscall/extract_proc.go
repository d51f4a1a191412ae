package syscall

import (
	"strings"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// maxAncestors bounds the walks up the process tree (a loop in the
// sensor's table must not hang evaluation).
const maxAncestors = 64

// procText reads a text property of the thread's process.
func procText(get func(t *Thread) string) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vText(get(e.Thread))) }
}

// procInt reads a number of the thread's process.
func procInt(get func(t *Thread) int64) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vInt(get(e.Thread))) }
}

// procBool reads a flag of the thread's process.
func procBool(get func(t *Thread) bool) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vBool(get(e.Thread))) }
}

// parentText reads a text property of the parent; absent without one.
func parentText(get func(t *Thread) string) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		if p := e.Thread.Parent; p != nil {
			return append(dst, vText(get(p)))
		}
		return dst
	}
}

// nonZero reads a number that Falco treats as absent when 0 (times and
// inodes it did not learn).
func nonZero(get func(e *Event) int64) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		if n := get(e); n != 0 {
			return append(dst, vInt(n))
		}
		return dst
	}
}

// cmdline is proc.cmdline: the process name, then each argument after a
// space.
func cmdline(t *Thread) string {
	if len(t.Args) == 0 {
		return t.Comm
	}
	b := make([]byte, 0, len(t.Comm)+16*len(t.Args))
	b = append(b, t.Comm...)
	b = append(b, ' ')
	return string(joinArgs(b, t.Args))
}

func args(t *Thread) string {
	if len(t.Args) == 1 {
		return t.Args[0]
	}
	return string(joinArgs(nil, t.Args))
}

func env(t *Thread) string { return strings.Join(t.Env, " ") }

// procEnv reads proc.env: absent when the sensor did not capture the
// environment.
func procEnv(e *Event, dst []falco.Value) []falco.Value {
	if e.Thread.Env == nil {
		return dst
	}
	return append(dst, vText(env(e.Thread)))
}

// envVar is the value of one variable, "" when unset (as libsinsp's
// get_env).
func envVar(t *Thread, name string) string {
	for _, kv := range t.Env {
		if len(kv) > len(name) && kv[len(name)] == '=' && kv[:len(name)] == name {
			return kv[len(name)+1:]
		}
	}
	return ""
}

// leader finds the leader of the thread's session or process group: the
// first process up the tree whose pid is the id, else, as libsinsp does
// when the leader has exited or lives in another pid namespace, the
// highest ancestor that still has the same id.
func leader(t *Thread, id func(*Thread) int64, own func(*Thread) int64) *Thread {
	want := id(t)
	found := t
	for p, n := t, 0; p != nil && n < maxAncestors; p, n = p.Parent, n+1 {
		if id(p) != want {
			break
		}
		found = p
		if own(p) == want {
			break
		}
	}
	return found
}

func sessionLeader(t *Thread) *Thread {
	own := func(p *Thread) int64 { return p.PID }
	if t.PID != t.VPID {
		own = func(p *Thread) int64 { return p.VPID }
	}
	return leader(t, func(p *Thread) int64 { return p.SID }, own)
}

func vpgidLeader(t *Thread) *Thread {
	return leader(t, func(p *Thread) int64 { return p.VPGID }, func(p *Thread) int64 { return p.VPID })
}

func pgidLeader(t *Thread) *Thread {
	return leader(t, func(p *Thread) int64 { return p.PGID }, func(p *Thread) int64 { return p.PID })
}

var procGetters = map[string]getFn{
	"proc.exe":        procText(func(t *Thread) string { return t.Exe }),
	"proc.pexe":       parentText(func(t *Thread) string { return t.Exe }),
	"proc.exepath":    procText(func(t *Thread) string { return t.ExePath }),
	"proc.pexepath":   parentText(func(t *Thread) string { return t.ExePath }),
	"proc.name":       procText(func(t *Thread) string { return t.Comm }),
	"proc.pname":      parentText(func(t *Thread) string { return t.Comm }),
	"proc.cmdline":    procText(cmdline),
	"proc.pcmdline":   parentText(cmdline),
	"proc.cmdnargs":   procInt(func(t *Thread) int64 { return int64(len(t.Args)) }),
	"proc.cmdlenargs": procInt(cmdLenArgs),
	"proc.exeline": procText(func(t *Thread) string {
		return string(joinArgs(append([]byte(t.Exe), ' '), t.Args))
	}),
	"proc.cwd": procText(func(t *Thread) string { return t.Cwd }),
	"proc.loginshellid": func(e *Event, dst []falco.Value) []falco.Value {
		var pid int64
		found := false
		for p, n := e.Thread, 0; p != nil && n < maxAncestors; p, n = p.Parent, n+1 {
			if strings.HasSuffix(p.Comm, "sh") {
				pid, found = p.PID, true
			}
		}
		if !found {
			return dst
		}
		return append(dst, vInt(pid))
	},
	"proc.tty":  procInt(func(t *Thread) int64 { return t.TTY }),
	"proc.pid":  procInt(func(t *Thread) int64 { return t.PID }),
	"proc.ppid": procInt(func(t *Thread) int64 { return t.PPID }),
	"proc.vpid": func(e *Event, dst []falco.Value) []falco.Value {
		if e.Thread.VPID == -1 {
			return dst
		}
		return append(dst, vInt(e.Thread.VPID))
	},
	"proc.pvpid": func(e *Event, dst []falco.Value) []falco.Value {
		if p := e.Thread.Parent; p != nil {
			return append(dst, vInt(p.VPID))
		}
		return dst
	},
	"proc.sid":   procInt(func(t *Thread) int64 { return t.SID }),
	"proc.vpgid": procInt(func(t *Thread) int64 { return t.VPGID }),
	"proc.pgid":  procInt(func(t *Thread) int64 { return t.PGID }),
	"proc.sname": procText(func(t *Thread) string { return sessionLeader(t).Comm }),
	"proc.sid.exe": procText(func(t *Thread) string {
		return sessionLeader(t).Exe
	}),
	"proc.sid.exepath":   procText(func(t *Thread) string { return sessionLeader(t).ExePath }),
	"proc.vpgid.name":    procText(func(t *Thread) string { return vpgidLeader(t).Comm }),
	"proc.vpgid.exe":     procText(func(t *Thread) string { return vpgidLeader(t).Exe }),
	"proc.vpgid.exepath": procText(func(t *Thread) string { return vpgidLeader(t).ExePath }),
	"proc.pgid.name":     procText(func(t *Thread) string { return pgidLeader(t).Comm }),
	"proc.pgid.exe":      procText(func(t *Thread) string { return pgidLeader(t).Exe }),
	"proc.pgid.exepath":  procText(func(t *Thread) string { return pgidLeader(t).ExePath }),
	"proc.duration": nonZeroStart(func(e *Event) *Thread { return e.Thread }, func(e *Event, start int64) int64 {
		return e.Time - start
	}),
	"proc.ppid.duration": nonZeroStart(func(e *Event) *Thread { return e.Thread.Parent }, func(e *Event, start int64) int64 {
		return e.Time - start
	}),
	"proc.pid.ts": nonZero(func(e *Event) int64 { return e.Thread.StartTime }),
	"proc.ppid.ts": func(e *Event, dst []falco.Value) []falco.Value {
		if p := e.Thread.Parent; p != nil {
			return append(dst, vInt(p.StartTime))
		}
		return dst
	},
	"proc.is_exe_writable":    procBool(func(t *Thread) bool { return t.ExeWritable }),
	"proc.is_exe_upper_layer": procBool(func(t *Thread) bool { return t.ExeUpperLayer }),
	"proc.is_exe_lower_layer": procBool(func(t *Thread) bool { return t.ExeLowerLayer }),
	"proc.is_exe_from_memfd":  procBool(func(t *Thread) bool { return t.ExeFromMemfd }),
	"proc.is_sid_leader":      procBool(func(t *Thread) bool { return t.SID == t.VPID }),
	"proc.is_vpgid_leader":    procBool(func(t *Thread) bool { return t.VPGID == t.VPID }),
	"proc.is_pgid_leader":     procBool(func(t *Thread) bool { return t.PGID == t.PID }),
	"proc.exe_ino":            nonZero(func(e *Event) int64 { return int64(e.Thread.ExeIno) }),
	"proc.exe_ino.ctime":      nonZero(func(e *Event) int64 { return e.Thread.ExeCtime }),
	"proc.exe_ino.mtime":      nonZero(func(e *Event) int64 { return e.Thread.ExeMtime }),
	"proc.exe_ino.ctime_duration_proc_start": nonZero(func(e *Event) int64 {
		if t := e.Thread; t.ExeCtime != 0 && t.StartTime != 0 {
			return t.StartTime - t.ExeCtime
		}
		return 0
	}),
	"proc.exe_ino.ctime_duration_pidns_start": nonZero(func(e *Event) int64 {
		if t := e.Thread; t.ExeCtime != 0 && t.PIDNSInitStart != 0 {
			return t.ExeCtime - t.PIDNSInitStart
		}
		return 0
	}),
	"proc.pidns_init_start_ts": nonZero(func(e *Event) int64 { return e.Thread.PIDNSInitStart }),
	// The container plugin declares these and extracts nothing for them.
	"proc.is_container_healthcheck":     absent,
	"proc.is_container_liveness_probe":  absent,
	"proc.is_container_readiness_probe": absent,
}

// nonZeroStart reads a duration from the start of the process of, absent
// without that process or when its start is unknown.
func nonZeroStart(of func(e *Event) *Thread, dur func(e *Event, start int64) int64) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		t := of(e)
		if t == nil || t.StartTime == 0 {
			return dst
		}
		return append(dst, vInt(dur(e, t.StartTime)))
	}
}

func cmdLenArgs(t *Thread) int64 {
	n := 0
	for _, a := range t.Args {
		n += len(a)
	}
	return int64(n)
}

// ancestor reads a property of the ancestor at the level the argument
// gives (0: the process itself, 1: its parent); without a level it reads
// every ancestor from the parent up, so that a comparison holds when it
// holds for one of them, as libsinsp's compare on these fields does.
func ancestor(appendOne func(t *Thread, dst []falco.Value) []falco.Value) argFn {
	return func(arg string) (getFn, error) {
		level, err := index(arg)
		if err != nil {
			return nil, err
		}
		if level < 0 {
			return func(e *Event, dst []falco.Value) []falco.Value {
				for p, n := e.Thread.Parent, 0; p != nil && n < maxAncestors; p, n = p.Parent, n+1 {
					dst = appendOne(p, dst)
				}
				return dst
			}, nil
		}
		return func(e *Event, dst []falco.Value) []falco.Value {
			p := e.Thread
			for i := 0; i < level && p != nil; i++ {
				p = p.Parent
			}
			if p == nil {
				return dst
			}
			return appendOne(p, dst)
		}, nil
	}
}

func ancestorText(get func(t *Thread) string) argFn {
	return ancestor(func(t *Thread, dst []falco.Value) []falco.Value { return append(dst, vText(get(t))) })
}

var procArgGetters = map[string]argFn{
	"proc.aexe":     ancestorText(func(t *Thread) string { return t.Exe }),
	"proc.aexepath": ancestorText(func(t *Thread) string { return t.ExePath }),
	"proc.aname":    ancestorText(func(t *Thread) string { return t.Comm }),
	"proc.aargs":    ancestorText(args),
	"proc.acmdline": ancestorText(cmdline),
	"proc.apid":     ancestor(func(t *Thread, dst []falco.Value) []falco.Value { return append(dst, vInt(t.PID)) }),
	"proc.args": func(arg string) (getFn, error) {
		pos, err := index(arg)
		if err != nil {
			return nil, err
		}
		if pos < 0 {
			return procText(args), nil
		}
		return func(e *Event, dst []falco.Value) []falco.Value {
			if pos >= len(e.Thread.Args) {
				return dst
			}
			return append(dst, vText(e.Thread.Args[pos]))
		}, nil
	},
	"proc.env": func(arg string) (getFn, error) {
		if arg == "" {
			return procEnv, nil
		}
		return func(e *Event, dst []falco.Value) []falco.Value {
			if e.Thread.Env == nil {
				return dst
			}
			return append(dst, vText(envVar(e.Thread, arg)))
		}, nil
	},
	"proc.aenv": func(arg string) (getFn, error) {
		if level, err := index(arg); err == nil {
			if level == 0 {
				return procEnv, nil
			}
			return ancestor(func(t *Thread, dst []falco.Value) []falco.Value {
				if t.Env == nil {
					return dst
				}
				return append(dst, vText(env(t)))
			})(arg)
		}
		// The first ancestor (up to 20 levels, as libsinsp) setting the
		// variable; "" when none does.
		return func(e *Event, dst []falco.Value) []falco.Value {
			v := ""
			for p, n := e.Thread.Parent, 0; p != nil && n < 20; p, n = p.Parent, n+1 {
				if v = envVar(p, arg); v != "" {
					break
				}
			}
			return append(dst, vText(v))
		}, nil
	},
}

var threadGetters = map[string]getFn{
	"thread.cap_permitted":   procText(func(t *Thread) string { return capsText(t.CapPermitted) }),
	"thread.cap_inheritable": procText(func(t *Thread) string { return capsText(t.CapInheritable) }),
	"thread.cap_effective":   procText(func(t *Thread) string { return capsText(t.CapEffective) }),
	"thread.tid":             procInt(func(t *Thread) int64 { return t.TID }),
	"thread.ismain":          procBool(func(t *Thread) bool { return t.TID == t.PID }),
	"thread.vtid": func(e *Event, dst []falco.Value) []falco.Value {
		if e.Thread.VTID == -1 {
			return dst
		}
		return append(dst, vInt(e.Thread.VTID))
	},
}

var userGetters = map[string]getFn{
	"user.uid":       procInt(func(t *Thread) int64 { return t.User.UID }),
	"user.name":      procText(func(t *Thread) string { return t.User.Name }),
	"user.homedir":   procText(func(t *Thread) string { return t.User.HomeDir }),
	"user.shell":     procText(func(t *Thread) string { return t.User.Shell }),
	"user.loginuid":  procInt(loginUID),
	"user.loginname": procText(func(t *Thread) string { return t.LoginUser.Name }),
	"group.gid":      procInt(func(t *Thread) int64 { return t.Group.GID }),
	"group.name":     procText(func(t *Thread) string { return t.Group.Name }),
}

// loginUID is user.loginuid: -1 when unset, whether the sensor wrote -1 or
// the kernel's 4294967295.
func loginUID(t *Thread) int64 {
	if uid := t.LoginUser.UID; uid >= 0 && uid < 1<<32-1 {
		return uid
	}
	return -1
}
