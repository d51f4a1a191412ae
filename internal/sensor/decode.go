package sensor

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/palisade-dev/palisade/internal/core/falco/syscall"
	"github.com/palisade-dev/palisade/internal/sensor/probe"
)

// decoder turns the probe's records into syscall events, keeping the
// process table as exec, fork, exit and chdir records come. One goroutine
// owns it.
type decoder struct {
	procs    *procTable
	hostname string
	start    int64
	num      uint64
	evt      syscall.Event
	// sys is the syscall record being decoded, reused.
	sys    probe.Syscall
	intern probe.Interner
	// flagText caches open flags' renderings: a few combinations recur.
	flagText map[uint64]string
}

// decode reads one record. It returns the event to evaluate, or nil for
// records that only update the tables (fork, exit, chdir).
func (d *decoder) decode(b []byte) (*syscall.Event, error) {
	h, err := probe.ParseHeader(b)
	if err != nil {
		return nil, err
	}
	switch h.Kind {
	case probe.KindExit:
		d.procs.exit(h.PID)
		return nil, nil
	case probe.KindFork:
		f, err := probe.ParseFork(b)
		if err != nil {
			return nil, err
		}
		d.procs.fork(f)
		return nil, nil
	case probe.KindExec:
		x, err := probe.ParseExec(b)
		if err != nil {
			return nil, err
		}
		t := d.procs.exec(x)
		return d.execEvent(x, t), nil
	case probe.KindSyscall:
		if err := probe.ParseSyscallInto(b, &d.sys, &d.intern); err != nil {
			return nil, err
		}
		return d.syscallEvent(&d.sys)
	}
	return nil, fmt.Errorf("record of unknown kind %d", h.Kind)
}

func (d *decoder) next(h probe.Header, typ string, t *syscall.Thread) *syscall.Event {
	d.num++
	d.procs.link(t)
	d.evt = syscall.Event{Num: d.num, Time: d.procs.clock.wall(h.Boot), Start: d.start, CPU: int(h.CPU),
		Type: typ, Res: h.Ret, Thread: t, Hostname: d.hostname, Args: d.evt.Args[:0]}
	return &d.evt
}

func (d *decoder) execEvent(x *probe.Exec, t *syscall.Thread) *syscall.Event {
	e := d.next(x.Header, "execve", t)
	e.Args = append(e.Args,
		numArg("res", 0),
		textArg("exe", t.Exe),
		textArg("args", strings.Join(t.Args, " ")),
		numArg("tid", t.TID), numArg("pid", t.PID), numArg("ptid", t.PPID),
		textArg("cwd", t.Cwd),
		textArg("comm", t.Comm),
		numArg("tty", t.TTY), numArg("vpgid", t.VPGID), numArg("loginuid", t.LoginUser.UID),
		syscall.Arg{Name: "flags", Numeric: true, Num: int64(x.Flags),
			Text: renderExeFlags(t.ExeUpperLayer, t.ExeLowerLayer, t.ExeFromMemfd, t.ExeWritable)},
		hexArg("cap_inheritable", t.CapInheritable), hexArg("cap_permitted", t.CapPermitted),
		hexArg("cap_effective", t.CapEffective),
		numArg("exe_ino", int64(t.ExeIno)), numArg("exe_ino_ctime", t.ExeCtime), numArg("exe_ino_mtime", t.ExeMtime),
		numArg("uid", t.User.UID), textArg("trusted_exepath", t.ExePath), numArg("pgid", t.PGID),
		numArg("gid", t.Group.GID),
	)
	return e
}

func (d *decoder) syscallEvent(s *probe.Syscall) (*syscall.Event, error) {
	def := syscallByNr[int(s.Nr)]
	if def == nil {
		return nil, fmt.Errorf("syscall record for syscall %d, which the sensor does not decode", s.Nr)
	}
	t := d.procs.lookup(s.PID)
	if t == nil {
		// The process is gone from /proc already: keep what the record says.
		t = &syscall.Thread{PID: int64(s.PID), TID: int64(s.TID)}
		d.procs.setIdentity(t, s.Header)
	}
	e := d.next(s.Header, def.name, t)
	for _, p := range def.params {
		e.Args = append(e.Args, d.param(p, s))
	}
	e.FD = d.fd(def.name, s, t)
	if e.FD != nil {
		for i := range e.Args {
			if e.Args[i].Name == "tuple" {
				e.Args[i].Text = e.FD.Name
			}
		}
	}
	d.track(def.name, s, t, e.FD)
	return e, nil
}

// param reads one parameter of a syscall record.
func (d *decoder) param(p param, s *probe.Syscall) syscall.Arg {
	v := s.Args[p.arg]
	switch p.from {
	case fromRes:
		return syscall.Arg{Name: p.name, Numeric: true, Num: s.Ret, Text: renderErrno(s.Ret)}
	case fromInt:
		return numArg(p.name, int64(v))
	case fromFD:
		return numArg(p.name, int64(int32(v)))
	case fromStr0:
		return textArg(p.name, s.Str[0])
	case fromStr1:
		return textArg(p.name, s.Str[1])
	case fromOpenFlags:
		f := openFlagsPPM(v, s.Flags&probe.FlagCreated != 0)
		text, ok := d.flagText[f]
		if !ok {
			if d.flagText == nil || len(d.flagText) > 1024 {
				d.flagText = map[uint64]string{}
			}
			text = renderOpenFlags(f)
			d.flagText[f] = text
		}
		return syscall.Arg{Name: p.name, Numeric: true, Num: int64(f), Text: text}
	case fromMode:
		return syscall.Arg{Name: p.name, Numeric: true, Num: int64(v), Text: "0" + strconv.FormatUint(v&0o7777, 8)}
	case fromDev:
		return numArg(p.name, int64(s.Dev))
	case fromIno:
		return numArg(p.name, int64(s.Ino))
	case fromDomain:
		return syscall.Arg{Name: p.name, Numeric: true, Num: int64(v), Text: renderFamily(v)}
	case fromSockType:
		return syscall.Arg{Name: p.name, Numeric: true, Num: int64(v), Text: renderSocketType(v)}
	case fromPtrace:
		return syscall.Arg{Name: p.name, Numeric: true, Num: int64(v), Text: renderPtrace(v)}
	case fromAddr:
		return textArg(p.name, renderSockaddr(s.Addr))
	}
	return textArg(p.name, "") // fromTuple (filled from the descriptor), fromNone
}

// fd describes the descriptor the call is about.
func (d *decoder) fd(name string, s *probe.Syscall, t *syscall.Thread) *syscall.FD {
	switch name {
	case "open", "openat", "openat2":
		raw, flags := s.Str[0], s.Args[2]
		if name == "open" {
			flags = s.Args[1]
		}
		fd := &syscall.FD{Num: -1, TypeChar: 'f', NameRaw: raw}
		if flags&unix.O_DIRECTORY != 0 && flags&unix.O_TMPFILE != unix.O_TMPFILE {
			fd.TypeChar = 'd'
		}
		switch {
		case s.Flags&probe.FlagWalked != 0 && s.Flags&probe.FlagWalkCut == 0:
			fd.Name = probe.JoinPath(s.Walk)
		default:
			fd.Name = absolute(raw, t.Cwd)
		}
		if s.Ret >= 0 {
			fd.Num = s.Ret
			fd.Ino, fd.Dev = s.Ino, s.Dev
			fd.UpperLayer, fd.LowerLayer = s.Flags&probe.FlagUpper != 0, s.Flags&probe.FlagLower != 0
		}
		return fd
	case "memfd_create":
		return &syscall.FD{Num: s.Ret, TypeChar: 'm', Name: "memfd:" + s.Str[0]}
	case "socket":
		fd := sockFD(s.Ret, s.Sock, false)
		if s.Flags&probe.FlagSock == 0 {
			fd.Family = renderFamily(s.Args[0])
			fd.TypeChar = familyChar(uint16(s.Args[0]))
			fd.L4Proto = l4proto(uint16(s.Args[1]&0xf), uint16(s.Args[2]))
		}
		return fd
	case "accept", "accept4":
		if s.Ret < 0 {
			return nil
		}
		return sockFD(s.Ret, s.Sock, false)
	case "connect", "sendto", "sendmsg":
		fd := sockFD(int64(int32(s.Args[0])), s.Sock, true)
		fillPeer(fd, s.Addr)
		fd.NameChanged = name == "connect"
		return fd
	case "bind", "listen":
		fd := sockFD(int64(int32(s.Args[0])), s.Sock, false)
		if name == "bind" && s.Ret == 0 && fd.Server == (netip.AddrPort{}) {
			fd.Server = addrPort(s.Addr)
			fd.Name = fd.Server.String()
		}
		fd.NameChanged = name == "bind"
		return fd
	case "close", "dup", "dup2", "dup3", "fchmod", "fchdir", "finit_module":
		num := int64(int32(s.Args[0]))
		switch {
		case s.Flags&probe.FlagSock != 0:
			return sockFD(num, s.Sock, s.Sock.RPort != 0)
		case s.Flags&probe.FlagFile != 0:
			fd := &syscall.FD{Num: num, TypeChar: 'f', Ino: s.Ino, Dev: s.Dev,
				UpperLayer: s.Flags&probe.FlagUpper != 0, LowerLayer: s.Flags&probe.FlagLower != 0}
			if s.Flags&probe.FlagWalked != 0 {
				fd.Name = probe.JoinPath(s.Walk)
				fd.NameRaw = fd.Name
			}
			return fd
		}
	}
	return nil
}

// track keeps the process table's working directories.
func (d *decoder) track(name string, s *probe.Syscall, t *syscall.Thread, fd *syscall.FD) {
	if s.Ret != 0 {
		return
	}
	switch name {
	case "chdir":
		t.Cwd = dirSlash(absolute(s.Str[0], t.Cwd))
	case "fchdir":
		if fd != nil && fd.Name != "" {
			t.Cwd = dirSlash(fd.Name)
		}
	}
}

func sockFD(num int64, k probe.Sock, localIsClient bool) *syscall.FD {
	fd := &syscall.FD{Num: num, Family: renderFamily(uint64(k.Family)), TypeChar: familyChar(k.Family),
		L4Proto: l4proto(k.Type, k.Proto), LocalIsClient: localIsClient}
	if k.Family != unix.AF_INET && k.Family != unix.AF_INET6 {
		return fd
	}
	local, remote := ipPort(k.Family, k.LAddr, k.LPort), ipPort(k.Family, k.RAddr, k.RPort)
	if localIsClient {
		fd.Client, fd.Server = local, remote
	} else {
		fd.Server, fd.Client = local, remote
	}
	fd.Connected = k.RPort != 0
	fd.Name = tupleName(fd)
	return fd
}

// fillPeer completes the server end from the address the caller passed
// when the kernel has no peer yet (a connect that failed or is in
// progress, an unconnected sendto).
func fillPeer(fd *syscall.FD, addr []byte) {
	if len(addr) < 2 {
		return
	}
	fam := uint16(addr[0]) | uint16(addr[1])<<8
	if fam == unix.AF_UNIX {
		fd.TypeChar, fd.Family = 'u', "AF_UNIX"
		fd.Name = renderSockaddr(addr)
		return
	}
	if !fd.Server.IsValid() || fd.Server.Port() == 0 {
		fd.Server = addrPort(addr)
		if fd.TypeChar == 0 || fd.TypeChar == 'o' {
			fd.TypeChar = familyChar(fam)
		}
	}
	fd.Name = tupleName(fd)
}

func tupleName(fd *syscall.FD) string {
	if !fd.Client.IsValid() {
		if fd.Server.IsValid() {
			return fd.Server.String()
		}
		return ""
	}
	return fd.Client.String() + "->" + fd.Server.String()
}

func ipPort(fam uint16, a [16]byte, port uint16) netip.AddrPort {
	var ip netip.Addr
	if fam == unix.AF_INET {
		ip = netip.AddrFrom4([4]byte(a[:4]))
	} else {
		ip = netip.AddrFrom16(a).Unmap()
	}
	return netip.AddrPortFrom(ip, port)
}

// addrPort reads an AF_INET or AF_INET6 sockaddr.
func addrPort(b []byte) netip.AddrPort {
	if len(b) < 2 {
		return netip.AddrPort{}
	}
	fam := uint16(b[0]) | uint16(b[1])<<8
	switch {
	case fam == unix.AF_INET && len(b) >= 8:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), uint16(b[2])<<8|uint16(b[3]))
	case fam == unix.AF_INET6 && len(b) >= 24:
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])).Unmap(), uint16(b[2])<<8|uint16(b[3]))
	}
	return netip.AddrPort{}
}

func renderSockaddr(b []byte) string {
	if len(b) < 2 {
		return ""
	}
	fam := uint16(b[0]) | uint16(b[1])<<8
	if fam == unix.AF_UNIX {
		p := b[2:]
		if i := indexByte(p, 0); i > 0 {
			p = p[:i]
		} else if i == 0 && len(p) > 1 { // abstract socket
			return "@" + string(trimZero(p[1:]))
		}
		return string(p)
	}
	if ap := addrPort(b); ap.IsValid() {
		return ap.String()
	}
	return ""
}

func indexByte(b []byte, c byte) int {
	for i, v := range b {
		if v == c {
			return i
		}
	}
	return -1
}

func trimZero(b []byte) []byte {
	if i := indexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

func familyChar(fam uint16) byte {
	switch fam {
	case unix.AF_INET:
		return '4'
	case unix.AF_INET6:
		return '6'
	case unix.AF_UNIX:
		return 'u'
	case unix.AF_NETLINK:
		return 'n'
	}
	return 'o'
}

func l4proto(typ, proto uint16) string {
	switch {
	case typ == unix.SOCK_STREAM:
		return "tcp"
	case typ == unix.SOCK_DGRAM && (proto == unix.IPPROTO_ICMP || proto == unix.IPPROTO_ICMPV6):
		return "icmp"
	case typ == unix.SOCK_DGRAM:
		return "udp"
	case typ == unix.SOCK_RAW:
		return "raw"
	}
	return ""
}

func numArg(name string, n int64) syscall.Arg {
	return syscall.Arg{Name: name, Numeric: true, Num: n, Text: strconv.FormatInt(n, 10)}
}

func hexArg(name string, n uint64) syscall.Arg {
	return syscall.Arg{Name: name, Numeric: true, Num: int64(n), Text: strconv.FormatUint(n, 16)}
}

func textArg(name, s string) syscall.Arg { return syscall.Arg{Name: name, Text: s} }
