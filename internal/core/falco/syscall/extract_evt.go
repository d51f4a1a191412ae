package syscall

import (
	"strconv"
	"time"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// The modes of Falco's open events (ppm_events_public.h), which are the
// kernel's permission bits.
const (
	ppmSIxoth = 1 << 0
	ppmSIxgrp = 1 << 3
	ppmSIxusr = 1 << 6
)

// Event names whose exit events Falco flags as reading from or writing to
// a descriptor (EF_READS_FROM_FD, EF_WRITES_TO_FD).
var (
	readEvents = set("read", "pread", "readv", "preadv", "recv", "recvfrom", "recvmsg", "recvmmsg",
		"read_buf", "pread64", "preadv2")
	writeEvents = set("write", "pwrite", "writev", "pwritev", "send", "sendto", "sendmsg", "sendmmsg",
		"pwrite64", "pwritev2")
	openEvents = set("open", "openat", "openat2", "open_by_handle_at")
)

var (
	textSuccess = "SUCCESS"
	textExit    = "<"
)

var evtGetters = map[string]getFn{
	"evt.num": func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vInt(int64(e.Num))) },
	"evt.time": func(e *Event, dst []falco.Value) []falco.Value {
		return append(dst, vText(utc(e.Time).Format("15:04:05.000000000")))
	},
	"evt.time.s": func(e *Event, dst []falco.Value) []falco.Value {
		return append(dst, vText(utc(e.Time).Format("15:04:05")))
	},
	"evt.time.iso8601": func(e *Event, dst []falco.Value) []falco.Value {
		return append(dst, vText(utc(e.Time).Format("2006-01-02T15:04:05.000000000Z")))
	},
	"evt.datetime": func(e *Event, dst []falco.Value) []falco.Value {
		return append(dst, vText(utc(e.Time).Format("2006-01-02 15:04:05.000000000")))
	},
	"evt.datetime.s": func(e *Event, dst []falco.Value) []falco.Value {
		return append(dst, vText(utc(e.Time).Format("2006-01-02 15:04:05")))
	},
	"evt.rawtime":     func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vInt(e.Time)) },
	"evt.rawtime.s":   func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vInt(e.Time/1e9)) },
	"evt.rawtime.ns":  func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vInt(e.Time%1e9)) },
	"evt.reltime":     func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vInt(e.Time-e.Start)) },
	"evt.reltime.s":   func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vInt((e.Time-e.Start)/1e9)) },
	"evt.reltime.ns":  func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vInt((e.Time-e.Start)%1e9)) },
	"evt.pluginname":  absent, // syscall events come from no plugin
	"evt.plugininfo":  absent,
	"evt.source":      func(_ *Event, dst []falco.Value) []falco.Value { return append(dst, vText(SourceName)) },
	"evt.is_async":    func(_ *Event, dst []falco.Value) []falco.Value { return append(dst, vBool(false)) },
	"evt.asynctype":   absent, // only asynchronous events have one
	"evt.hostname":    func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vText(e.Hostname)) },
	"evt.dir":         func(_ *Event, dst []falco.Value) []falco.Value { return append(dst, vText(textExit)) },
	"evt.type":        func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vText(e.Type)) },
	"syscall.type":    func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vText(e.Type)) },
	"evt.cpu":         func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vInt(int64(e.CPU))) },
	"evt.args":        evtArgs,
	"evt.info":        evtArgs,
	"evt.res":         evtRes,
	"evt.rawres":      func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vInt(e.Res)) },
	"evt.failed":      func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vBool(e.Res < 0)) },
	"evt.is_io":       func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vBool(isIO(e.Type))) },
	"evt.is_io_read":  func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vBool(readEvents[e.Type])) },
	"evt.is_io_write": func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vBool(writeEvents[e.Type])) },
	"evt.io_dir": func(e *Event, dst []falco.Value) []falco.Value {
		switch {
		case readEvents[e.Type]:
			return append(dst, vText("r"))
		case writeEvents[e.Type]:
			return append(dst, vText("w"))
		}
		return dst
	},
	"evt.is_syslog": func(e *Event, dst []falco.Value) []falco.Value {
		return append(dst, vBool(writeEvents[e.Type] && e.FD != nil && e.FD.Name == "/dev/log"))
	},
	"evt.count":      func(_ *Event, dst []falco.Value) []falco.Value { return append(dst, vInt(1)) },
	"evt.count.exit": func(_ *Event, dst []falco.Value) []falco.Value { return append(dst, vInt(1)) },
	"evt.count.error": func(e *Event, dst []falco.Value) []falco.Value {
		if e.Res < 0 {
			return append(dst, vInt(1))
		}
		return dst
	},
	"evt.is_open_read": func(e *Event, dst []falco.Value) []falco.Value {
		return append(dst, vBool(openEvents[e.Type] && e.argNum("flags")&OpenRdonly != 0))
	},
	"evt.is_open_write": func(e *Event, dst []falco.Value) []falco.Value {
		return append(dst, vBool(openEvents[e.Type] && e.argNum("flags")&OpenWronly != 0))
	},
	"evt.is_open_create": func(e *Event, dst []falco.Value) []falco.Value {
		flags := e.argNum("flags")
		created := flags&OpenFCreated != 0 || flags&OpenTmpfile != 0 && e.Res >= 0
		return append(dst, vBool(openEvents[e.Type] && created))
	},
	"evt.is_open_exec": func(e *Event, dst []falco.Value) []falco.Value {
		const exec = ppmSIxusr | ppmSIxgrp | ppmSIxoth
		is := false
		switch {
		case e.Type == "creat":
			is = e.argNum("mode")&exec != 0
		case openEvents[e.Type] && e.Type != "open_by_handle_at" && e.argNum("flags")&(OpenTmpfile|OpenCreat) != 0:
			is = e.argNum("mode")&exec != 0
		}
		return append(dst, vBool(is))
	},
}

var evtArgGetters = map[string]argFn{
	"evt.type.is": func(arg string) (getFn, error) {
		return func(e *Event, dst []falco.Value) []falco.Value { return append(dst, vBool(e.Type == arg)) }, nil
	},
	"evt.arg": func(arg string) (getFn, error) {
		if pos, err := strconv.Atoi(arg); err == nil {
			return func(e *Event, dst []falco.Value) []falco.Value {
				if pos >= len(e.Args) {
					return dst
				}
				return append(dst, vText(e.Args[pos].text()))
			}, nil
		}
		return func(e *Event, dst []falco.Value) []falco.Value {
			if a := e.Arg(arg); a != nil {
				return append(dst, vText(a.text()))
			}
			return dst
		}, nil
	},
	"evt.rawarg": func(arg string) (getFn, error) {
		numeric := rawargType(arg) == falco.Int
		return func(e *Event, dst []falco.Value) []falco.Value {
			a := e.Arg(arg)
			switch {
			case a == nil:
				return dst
			case numeric && a.Numeric:
				return append(dst, vInt(a.Num))
			case numeric:
				n, err := strconv.ParseInt(a.Text, 0, 64)
				if err != nil {
					return dst
				}
				return append(dst, vInt(n))
			}
			return append(dst, vText(a.Text))
		}, nil
	},
}

// absent reads a field Falco defines for the source but never sets on
// system call events.
func absent(_ *Event, dst []falco.Value) []falco.Value { return dst }

func utc(ns int64) time.Time { return time.Unix(0, ns).UTC() }

func isIO(typ string) bool { return readEvents[typ] || writeEvents[typ] }

// argNum is the number of the named parameter, 0 when absent.
func (e *Event) argNum(name string) int64 {
	if a := e.Arg(name); a != nil {
		return a.Num
	}
	return 0
}

// text is the parameter as evt.arg reads it: the rendering, or the number
// when the sensor left the rendering empty.
func (a *Arg) text() string {
	if a.Text == "" && a.Numeric {
		return strconv.FormatInt(a.Num, 10)
	}
	return a.Text
}

// evtArgs reads evt.args as libsinsp writes it: each parameter as
// name=value, a number followed by its rendering in parentheses when the
// two differ (flags=1(O_RDONLY)), each followed by a space.
func evtArgs(e *Event, dst []falco.Value) []falco.Value {
	var b []byte
	for _, a := range e.Args {
		b = append(b, a.Name...)
		b = append(b, '=')
		if a.Numeric {
			n := strconv.AppendInt(nil, a.Num, 10)
			b = append(b, n...)
			if a.Text != "" && a.Text != string(n) {
				b = append(b, '(')
				b = append(b, a.Text...)
				b = append(b, ')')
			}
		} else {
			b = append(b, a.Text...)
		}
		b = append(b, ' ')
	}
	return append(dst, falco.Value{B: b[:len(b):len(b)]})
}

// evtRes reads evt.res: SUCCESS for a result from 0, otherwise the error's
// name (ENOENT), as the sensor rendered the result parameter or from
// Linux's errno numbers.
func evtRes(e *Event, dst []falco.Value) []falco.Value {
	if e.Res >= 0 {
		return append(dst, vText(textSuccess))
	}
	for _, name := range []string{"res", "fd"} {
		if a := e.Arg(name); a != nil && a.Text != "" && (a.Text[0] < '0' || a.Text[0] > '9') && a.Text[0] != '-' {
			return append(dst, vText(a.Text))
		}
	}
	if name, ok := errnoNames[-e.Res]; ok {
		return append(dst, vText(name))
	}
	return append(dst, vText(strconv.FormatInt(e.Res, 10)))
}
