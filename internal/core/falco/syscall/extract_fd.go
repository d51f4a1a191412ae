package syscall

import (
	"net/netip"
	"path"
	"strconv"
	"strings"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// atFDCWD is the dirfd meaning "the current directory".
const atFDCWD = -100

// withFD reads a property of the event's descriptor; absent without one.
func withFD(get func(e *Event, fd *FD, dst []falco.Value) []falco.Value) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		if e.FD == nil {
			return dst
		}
		return get(e, e.FD, dst)
	}
}

func isIP(fd *FD) bool { return fd.TypeChar == '4' || fd.TypeChar == '6' }

// creatorName is the path a failed open was asked for, resolved against
// the working directory as libsinsp resolves it when the call created no
// descriptor: ok is false for other events and for paths relative to a
// directory descriptor, which the model does not resolve.
func creatorName(e *Event, raw bool) (string, bool) {
	switch e.Type {
	case "open", "openat", "openat2", "creat":
	default:
		return "", false
	}
	a := e.Arg("name")
	if a == nil {
		return "", false
	}
	name := a.Text
	if raw || strings.HasPrefix(name, "/") {
		return name, true
	}
	if d := e.Arg("dirfd"); d != nil && d.Num != atFDCWD {
		return "", false
	}
	return path.Join(e.Thread.Cwd, name), true
}

// creatorTypeChar is fd.typechar for an event that failed to create a
// descriptor, as libsinsp guesses it from the event.
func creatorTypeChar(typ string) string {
	switch typ {
	case "open", "openat", "openat2", "creat":
		return "f"
	case "socket", "accept", "accept4":
		return "4"
	case "pipe", "pipe2":
		return "p"
	case "eventfd", "eventfd2":
		return "e"
	case "signalfd", "signalfd4":
		return "s"
	case "timerfd_create":
		return "t"
	case "inotify_init", "inotify_init1":
		return "i"
	}
	return "o"
}

// directory is fd.directory of a file path, as libsinsp cuts it.
func directory(name string) string {
	i := strings.LastIndexByte(name, '/')
	switch {
	case i <= 0:
		return "/"
	case i < len(name)-1:
		return name[:i]
	}
	return name
}

func vAddr(a netip.Addr) falco.Value { return falco.Value{B: a.Unmap().AsSlice()} }

// fdAddr reads one end of an IP socket.
func fdAddr(end func(fd *FD) netip.AddrPort) getFn {
	return withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		if a := end(fd).Addr(); isIP(fd) && a.IsValid() {
			return append(dst, vAddr(a))
		}
		return dst
	})
}

// fdPort reads the port of one end of an IP socket.
func fdPort(end func(fd *FD) netip.AddrPort) getFn {
	return withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		if ap := end(fd); isIP(fd) && ap.Addr().IsValid() {
			return append(dst, vInt(int64(ap.Port())))
		}
		return dst
	})
}

// proto reads the port of one end as text, as libsinsp writes it without
// port name resolution.
func proto(end func(fd *FD) netip.AddrPort) getFn {
	return withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		if ap := end(fd); isIP(fd) && ap.Addr().IsValid() {
			return append(dst, vText(strconv.Itoa(int(ap.Port()))))
		}
		return dst
	})
}

// bothAddrs reads both ends (fd.ip, fd.net): a comparison holds when it
// holds for either, != when it holds for both (see falco's IP compare).
func bothAddrs(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
	if !isIP(fd) {
		return dst
	}
	for _, ap := range []netip.AddrPort{fd.Client, fd.Server} {
		if ap.Addr().IsValid() {
			dst = append(dst, vAddr(ap.Addr()))
		}
	}
	return dst
}

// bothPorts reads both ports (fd.port, fd.proto).
func bothPorts(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
	if !isIP(fd) {
		return dst
	}
	for _, ap := range []netip.AddrPort{fd.Client, fd.Server} {
		if ap.Addr().IsValid() {
			dst = append(dst, vInt(int64(ap.Port())))
		}
	}
	return dst
}

func client(fd *FD) netip.AddrPort { return fd.Client }
func server(fd *FD) netip.AddrPort { return fd.Server }

func local(fd *FD) netip.AddrPort {
	if fd.LocalIsClient {
		return fd.Client
	}
	return fd.Server
}

func remote(fd *FD) netip.AddrPort {
	if fd.LocalIsClient {
		return fd.Server
	}
	return fd.Client
}

func containerID(t *Thread) string {
	if t.Container == nil {
		return ""
	}
	return t.Container.ID
}

var fdGetters = map[string]getFn{
	"fd.num": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value { return append(dst, vInt(fd.Num)) }),
	"fd.type": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		if t, ok := fdTypes[fd.TypeChar]; ok {
			return append(dst, vText(t))
		}
		return append(dst, vText("<NA>"))
	}),
	"fd.typechar": func(e *Event, dst []falco.Value) []falco.Value {
		if e.FD == nil {
			return append(dst, vText(creatorTypeChar(e.Type)))
		}
		return append(dst, falco.Value{B: []byte{e.FD.TypeChar}})
	},
	"fd.name": func(e *Event, dst []falco.Value) []falco.Value {
		if e.FD == nil {
			if name, ok := creatorName(e, false); ok {
				return append(dst, vText(name))
			}
			return dst
		}
		return append(dst, vText(e.FD.Name))
	},
	"fd.nameraw": func(e *Event, dst []falco.Value) []falco.Value {
		if e.FD == nil {
			if name, ok := creatorName(e, true); ok {
				return append(dst, vText(collapseSlashes(name)))
			}
			return dst
		}
		return append(dst, vText(collapseSlashes(e.FD.NameRaw)))
	},
	"fd.directory": fdDirectory,
	"fd.filename": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		if fd.TypeChar != 'f' {
			return dst
		}
		i := strings.LastIndexByte(fd.Name, '/')
		switch {
		case i < 0:
			return append(dst, vText("/"))
		case i < len(fd.Name)-1:
			return append(dst, vText(fd.Name[i+1:]))
		}
		return append(dst, vText(fd.Name))
	}),
	"fd.ip":     withFD(bothAddrs),
	"fd.net":    withFD(bothAddrs),
	"fd.cip":    fdAddr(client),
	"fd.cnet":   fdAddr(client),
	"fd.sip":    fdAddr(server),
	"fd.snet":   fdAddr(server),
	"fd.lip":    fdAddr(local),
	"fd.lnet":   fdAddr(local),
	"fd.rip":    fdAddr(remote),
	"fd.rnet":   fdAddr(remote),
	"fd.port":   withFD(bothPorts),
	"fd.proto":  withFD(bothPorts),
	"fd.cport":  fdPort(client),
	"fd.sport":  fdPort(server),
	"fd.lport":  fdPort(local),
	"fd.rport":  fdPort(remote),
	"fd.cproto": proto(client),
	"fd.sproto": proto(server),
	"fd.lproto": proto(local),
	"fd.rproto": proto(remote),
	"fd.l4proto": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		if fd.L4Proto == "" {
			return append(dst, vText("<NA>"))
		}
		return append(dst, vText(fd.L4Proto))
	}),
	"fd.sockfamily": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		switch fd.TypeChar {
		case '4', '6':
			return append(dst, vText("ip"))
		case 'u':
			return append(dst, vText("unix"))
		}
		return dst
	}),
	"fd.is_server": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		return append(dst, vBool(isIP(fd) && !fd.LocalIsClient))
	}),
	"fd.uid": withFD(func(e *Event, fd *FD, dst []falco.Value) []falco.Value {
		b := strconv.AppendInt(nil, e.Thread.TID, 10)
		return append(dst, falco.Value{B: strconv.AppendInt(b, fd.Num, 10)})
	}),
	"fd.containername": func(e *Event, dst []falco.Value) []falco.Value {
		name, ok := e.fdName()
		if !ok {
			return dst
		}
		return append(dst, vText(containerID(e.Thread)+":"+name))
	},
	"fd.containerdirectory": func(e *Event, dst []falco.Value) []falco.Value {
		var dir []falco.Value
		if dir = fdDirectory(e, dir); len(dir) == 0 {
			return dst
		}
		return append(dst, vText(containerID(e.Thread)+":"+string(dir[0].B)))
	},
	"fd.connected": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		return append(dst, vBool(fd.Connected))
	}),
	"fd.name_changed": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		return append(dst, vBool(fd.NameChanged))
	}),
	"fd.dev": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		return append(dst, vInt(int64(fd.Dev)))
	}),
	"fd.dev.major": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		return append(dst, vInt(int64((fd.Dev&0xfff00)>>8)))
	}),
	"fd.dev.minor": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		return append(dst, vInt(int64(fd.Dev&0xff|(fd.Dev>>12)&0xfff00)))
	}),
	"fd.ino": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		return append(dst, vInt(int64(fd.Ino)))
	}),
	"fd.is_upper_layer": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		return append(dst, vBool(fd.UpperLayer))
	}),
	"fd.is_lower_layer": withFD(func(_ *Event, fd *FD, dst []falco.Value) []falco.Value {
		return append(dst, vBool(fd.LowerLayer))
	}),
}

// fdName is fd.name as text; ok is false when absent.
func (e *Event) fdName() (string, bool) {
	if e.FD == nil {
		return creatorName(e, false)
	}
	return e.FD.Name, true
}

// fdDirectory reads fd.directory: the directory of a file, a directory
// itself.
func fdDirectory(e *Event, dst []falco.Value) []falco.Value {
	switch {
	case e.FD == nil:
		if name, ok := creatorName(e, false); ok {
			return append(dst, vText(directory(name)))
		}
	case e.FD.TypeChar == 'f':
		return append(dst, vText(directory(e.FD.Name)))
	case e.FD.TypeChar == 'd':
		return append(dst, vText(e.FD.Name))
	}
	return dst
}
