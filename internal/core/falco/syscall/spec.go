package syscall

import (
	"errors"
	"regexp"
	"strconv"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// spec is one catalog entry: the public field plus how its argument is
// written and checked.
type spec struct {
	falco.Field
	kind argKind
	// dotted means the argument may follow the name after a dot
	// (evt.arg.fd), besides or instead of brackets.
	dotted bool
}

// The constructors of catalog entries, one per field type. Falco's
// CHARBUF is a String, BYTEBUF Bytes; every integer, time, port and
// double (proc.fdusage, thread.cpu) is an Int.
func str(name, desc string) spec     { return field(name, falco.String, desc) }
func num(name, desc string) spec     { return field(name, falco.Int, desc) }
func flag(name, desc string) spec    { return field(name, falco.Bool, desc) }
func addr(name, desc string) spec    { return field(name, falco.IP, desc) }
func network(name, desc string) spec { return field(name, falco.Net, desc) }
func buf(name, desc string) spec     { return field(name, falco.Bytes, desc) }

func field(name string, t falco.FieldType, desc string) spec {
	return spec{Field: falco.Field{Name: name, Type: t, Desc: desc}}
}

// optional lets the field take an argument of the given kind.
func (sp spec) optional(k argKind) spec {
	sp.Arg, sp.kind, sp.Index = falco.ArgOptional, k, k == argIndex
	return sp
}

// required makes the field need an argument of the given kind.
func (sp spec) required(k argKind) spec {
	sp.Arg, sp.kind, sp.Index = falco.ArgRequired, k, k == argIndex
	return sp
}

// dot lets the argument follow the name after a dot.
func (sp spec) dot() spec {
	sp.dotted = true
	return sp
}

// list marks a field extracting several values (EPF_IS_LIST).
func (sp spec) list() spec {
	sp.List = true
	return sp
}

// argKind is the form a field's argument takes.
type argKind uint8

const (
	argNone argKind = iota
	// argIndex is a number from 0: an ancestor level (proc.aname[2]),
	// an argv position (proc.args[1]), a descriptor (fd.types[0]).
	argIndex
	// argKey is any text: an environment variable, a label name.
	argKey
	// argIndexOrKey is a number or any text (container.mount[0],
	// container.mount[/usr/local/*], proc.aenv[2], proc.aenv[HOME]).
	argIndexOrKey
	// argEvtArg is a syscall argument, by position (evt.arg[0]) or
	// name (evt.arg.fd).
	argEvtArg
	// argParamName is a syscall argument by name only (evt.rawarg.res).
	argParamName
	// argEventType is an event name or number (evt.type.is.open).
	argEventType
	// argPathSide is src or dst (evt.abspath.src).
	argPathSide
	// argSubsystem is a cgroup subsystem (thread.cgroup.cpuacct).
	argSubsystem
	// argTimestamp is an absolute time in nanoseconds (evt.around[T]).
	argTimestamp
)

var (
	identifier = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	subsystem  = regexp.MustCompile(`^[a-zA-Z_]+$`)
)

// check reports why arg, which is not empty, does not fit k.
func (k argKind) check(arg string) error {
	ok := false
	switch k {
	case argIndex:
		ok = isNumber(arg, 31)
	case argKey, argIndexOrKey:
		ok = true
	case argEvtArg:
		ok = isNumber(arg, 31) || identifier.MatchString(arg)
	case argParamName:
		ok = identifier.MatchString(arg)
	case argEventType:
		ok = identifier.MatchString(arg) || isNumber(arg, 31)
	case argPathSide:
		ok = arg == "src" || arg == "dst"
	case argSubsystem:
		ok = subsystem.MatchString(arg)
	case argTimestamp:
		ok = isNumber(arg, 64)
	}
	if !ok {
		return errors.New("want " + k.want())
	}
	return nil
}

// want says, for error messages, what an argument of kind k looks like.
func (k argKind) want() string {
	switch k {
	case argIndex:
		return "a number from 0"
	case argKey:
		return "a name"
	case argIndexOrKey:
		return "a number from 0 or a name"
	case argEvtArg:
		return "an argument position like [0] or name like .fd"
	case argParamName:
		return "an argument name like .res"
	case argEventType:
		return "an event type like .open"
	case argPathSide:
		return ".src or .dst"
	case argSubsystem:
		return "a cgroup subsystem like .cpuacct"
	case argTimestamp:
		return "a timestamp in nanoseconds"
	}
	return "none"
}

// isNumber reports whether s is an unsigned decimal number of at most the
// given bits.
func isNumber(s string, bits int) bool {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	_, err := strconv.ParseUint(s, 10, bits)
	return err == nil
}
