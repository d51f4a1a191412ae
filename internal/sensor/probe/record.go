package probe

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// The record kinds (header.kind).
const (
	KindSyscall = 1
	KindExec    = 2
	KindFork    = 3
	KindExit    = 4
)

// Flags of a syscall record.
const (
	FlagFile    = 1  // Ino, Dev and the layer flags describe the call's file
	FlagUpper   = 2  // the file is on an overlay's upper layer
	FlagLower   = 4  // ... or on its lower layer
	FlagSock    = 8  // Sock describes the call's socket
	FlagWalked  = 16 // Walk is the file's resolved path
	FlagWalkCut = 32 // the walk stopped before the root
	FlagCreated = 64 // the open created the file (FMODE_CREATED)
)

// Flags of an exec record.
const (
	ExecUpper  = 1
	ExecLower  = 2
	ExecMemfd  = 4
	ExecCwdCut = 8
	ExecExeCut = 16
)

// Sizes of probe.bpf.c's buffers.
const (
	strMax    = 256
	walkMax   = 1024
	walkArea  = walkMax + 256
	argsMax   = 2048
	cgroupMax = 72
	addrMax   = 112
)

// Offsets of the records' fields, as probe.bpf.c lays them out (the test
// checks them against the object's BTF).
const (
	offTS       = 0
	offKind     = 8
	offCPU      = 12
	offPID      = 16
	offTID      = 20
	offNr       = 24
	offSize     = 28
	offRet      = 32
	offUID      = 40
	offGID      = 44
	offLoginUID = 48
	offCgroup   = 56
	headerSize  = offCgroup + cgroupMax

	offArgs    = headerSize
	offIno     = offArgs + 48
	offDev     = offIno + 8
	offFlags   = offDev + 4
	offWalkLen = offFlags + 2
	offLen     = offWalkLen + 2
	offAddrLen = offLen + 4
	offSock    = offAddrLen + 4
	sockSize   = 48
	offAddr    = offSock + sockSize
	offSysData = offAddr + addrMax

	offPPID        = headerSize
	offVPID        = offPPID + 4
	offVTID        = offVPID + 4
	offSID         = offVTID + 4
	offPGID        = offSID + 4
	offVPGID       = offPGID + 4
	offTTY         = offVPGID + 4
	offExecFlags   = offTTY + 4
	offCapEff      = offExecFlags + 4
	offCapPerm     = offCapEff + 8
	offCapInh      = offCapPerm + 8
	offStart       = offCapInh + 8
	offPIDNSStart  = offStart + 8
	offExeIno      = offPIDNSStart + 8
	offExeCtime    = offExeIno + 8
	offExeMtime    = offExeCtime + 8
	offComm        = offExeMtime + 8
	offFilenameLen = offComm + 16
	offArgsLen     = offFilenameLen + 2
	offCwdLen      = offArgsLen + 2
	offExeLen      = offCwdLen + 2
	offExecData    = offExeLen + 2

	offChildPID  = headerSize
	offChildTID  = offChildPID + 4
	offForkPPID  = offChildTID + 4
	offForkStart = offForkPPID + 8
	offForkComm  = offForkStart + 8
	forkSize     = offForkComm + 16
)

// Header is what every record starts with.
type Header struct {
	// Boot is when the event happened, in nanoseconds since boot
	// (CLOCK_BOOTTIME).
	Boot     uint64
	Kind     uint32
	CPU      uint32
	PID, TID uint32
	// Nr is the syscall number of a syscall record.
	Nr  uint32
	Ret int64
	// UID and GID are the effective ids; LoginUID is the audit login id
	// (0xffffffff when unset).
	UID, GID, LoginUID uint32
	// Cgroup is the name of the thread's memory (or default) cgroup, which
	// names the container.
	Cgroup string
}

// Syscall is a syscall exit.
type Syscall struct {
	Header
	Args  [6]uint64
	Ino   uint64
	Dev   uint32
	Flags uint16
	// Str are the call's strings (paths, names) as the caller passed them.
	Str [2]string
	// Walk is the resolved path of the call's file, components leaf first
	// (FlagWalked).
	Walk []string
	Sock Sock
	// Addr is the socket address the caller passed (connect, bind, sendto).
	Addr []byte
}

// Sock is a socket as the kernel holds it.
type Sock struct {
	Family, Type, Proto uint16
	LPort, RPort        uint16
	LAddr, RAddr        [16]byte
}

// Exec is a successful execve or execveat: the process after it.
type Exec struct {
	Header
	PPID, VPID, VTID, SID, PGID, VPGID uint32
	TTY                                uint32
	Flags                              uint32
	CapEff, CapPerm, CapInh            uint64
	// Start is when the process was created; PIDNSStart when its pid
	// namespace's init was (ns since boot).
	Start, PIDNSStart  uint64
	ExeIno             uint64
	ExeCtime, ExeMtime int64
	Comm               string
	Filename           string
	Argv               []string
	// Cwd and Exe are the walked working directory and executable, leaf
	// first.
	Cwd, Exe []string
}

// Fork is the creation of a process.
type Fork struct {
	Header
	ChildPID, ChildTID, PPID uint32
	Start                    uint64
	Comm                     string
}

var le = binary.LittleEndian

// Interner keeps one copy of strings records repeat (cgroup names): a
// record then costs no allocation for them. The zero value is ready; it
// forgets everything when it holds maxInterned strings.
type Interner struct{ m map[string]string }

const maxInterned = 4096

// String returns b as a string, the same string for the same bytes.
func (in *Interner) String(b []byte) string {
	if in == nil {
		return string(b)
	}
	if s, ok := in.m[string(b)]; ok { // no allocation for the lookup
		return s
	}
	if in.m == nil || len(in.m) >= maxInterned {
		in.m = make(map[string]string)
	}
	s := string(b)
	in.m[s] = s
	return s
}

// ParseHeader reads a record's header.
func ParseHeader(b []byte) (Header, error) { return parseHeader(b, nil) }

func parseHeader(b []byte, in *Interner) (Header, error) {
	if len(b) < offCgroup {
		return Header{}, fmt.Errorf("record of %d bytes: shorter than its header", len(b))
	}
	h := Header{
		Boot: le.Uint64(b[offTS:]), Kind: le.Uint32(b[offKind:]), CPU: le.Uint32(b[offCPU:]),
		PID: le.Uint32(b[offPID:]), TID: le.Uint32(b[offTID:]), Nr: le.Uint32(b[offNr:]),
		Ret: int64(le.Uint64(b[offRet:])), UID: le.Uint32(b[offUID:]), GID: le.Uint32(b[offGID:]),
		LoginUID: le.Uint32(b[offLoginUID:]),
	}
	if size := le.Uint32(b[offSize:]); int(size) != len(b) && h.Kind != KindExit {
		return h, fmt.Errorf("record of %d bytes says it has %d", len(b), size)
	}
	if h.Kind != KindExit {
		if len(b) < headerSize {
			return h, fmt.Errorf("record of %d bytes: shorter than its header", len(b))
		}
		c := b[offCgroup:headerSize]
		if i := bytes.IndexByte(c, 0); i >= 0 {
			c = c[:i]
		}
		h.Cgroup = in.String(c)
	}
	return h, nil
}

// ParseSyscall reads a syscall record.
func ParseSyscall(b []byte) (*Syscall, error) {
	s := new(Syscall)
	if err := ParseSyscallInto(b, s, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseSyscallInto reads a syscall record into s, reusing its memory (the
// Walk and Addr slices are valid until the next call), with in (which may
// be nil) keeping one copy of repeated strings.
func ParseSyscallInto(b []byte, s *Syscall, in *Interner) error {
	h, err := parseHeader(b, in)
	if err != nil {
		return err
	}
	if len(b) < offSysData {
		return fmt.Errorf("syscall record of %d bytes: want at least %d", len(b), offSysData)
	}
	walk := s.Walk[:0]
	*s = Syscall{Header: h, Ino: le.Uint64(b[offIno:]), Dev: le.Uint32(b[offDev:]), Flags: le.Uint16(b[offFlags:])}
	for i := range s.Args {
		s.Args[i] = le.Uint64(b[offArgs+8*i:])
	}
	data := b[offSysData:]
	for i := range s.Str {
		n := int(le.Uint16(b[offLen+2*i:]))
		start := i * strMax
		if n > 0 && start+n <= len(data) {
			s.Str[i] = cstr(data[start : start+n])
		}
	}
	if s.Flags&FlagWalked != 0 {
		n := int(le.Uint16(b[offWalkLen:]))
		if start := 2 * strMax; start+n <= len(data) {
			s.Walk = appendComponents(walk, data[start:start+n])
		}
	}
	if s.Flags&FlagSock != 0 {
		k := b[offSock:]
		s.Sock = Sock{Family: le.Uint16(k[0:]), Type: le.Uint16(k[2:]), Proto: le.Uint16(k[4:]),
			LPort: le.Uint16(k[6:]), RPort: le.Uint16(k[8:])}
		copy(s.Sock.LAddr[:], k[16:32])
		copy(s.Sock.RAddr[:], k[32:48])
	}
	if n := int(le.Uint16(b[offAddrLen:])); n > 0 && n <= addrMax {
		s.Addr = b[offAddr : offAddr+n]
	}
	return nil
}

// ParseExec reads an exec record.
func ParseExec(b []byte) (*Exec, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return nil, err
	}
	if len(b) < offExecData+strMax+argsMax+2*walkArea {
		return nil, fmt.Errorf("exec record of %d bytes: too short", len(b))
	}
	x := &Exec{Header: h,
		PPID: le.Uint32(b[offPPID:]), VPID: le.Uint32(b[offVPID:]), VTID: le.Uint32(b[offVTID:]),
		SID: le.Uint32(b[offSID:]), PGID: le.Uint32(b[offPGID:]), VPGID: le.Uint32(b[offVPGID:]),
		TTY: le.Uint32(b[offTTY:]), Flags: le.Uint32(b[offExecFlags:]),
		CapEff: le.Uint64(b[offCapEff:]), CapPerm: le.Uint64(b[offCapPerm:]), CapInh: le.Uint64(b[offCapInh:]),
		Start: le.Uint64(b[offStart:]), PIDNSStart: le.Uint64(b[offPIDNSStart:]), ExeIno: le.Uint64(b[offExeIno:]),
		ExeCtime: int64(le.Uint64(b[offExeCtime:])), ExeMtime: int64(le.Uint64(b[offExeMtime:])),
		Comm: cstr(b[offComm : offComm+16]),
	}
	data := b[offExecData:]
	part := func(off, n, max int) []byte {
		if n > max {
			n = max
		}
		return data[off : off+n]
	}
	x.Filename = cstr(part(0, int(le.Uint16(b[offFilenameLen:])), strMax))
	args := part(strMax, int(le.Uint16(b[offArgsLen:])), argsMax)
	args = bytes.TrimRight(args, "\x00")
	if len(args) > 0 {
		for _, a := range bytes.Split(args, []byte{0}) {
			x.Argv = append(x.Argv, string(a))
		}
	}
	x.Cwd = components(part(strMax+argsMax, int(le.Uint16(b[offCwdLen:])), walkMax))
	x.Exe = components(part(strMax+argsMax+walkArea, int(le.Uint16(b[offExeLen:])), walkMax))
	return x, nil
}

// ParseFork reads a fork record.
func ParseFork(b []byte) (*Fork, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return nil, err
	}
	if len(b) < forkSize {
		return nil, fmt.Errorf("fork record of %d bytes: want %d", len(b), forkSize)
	}
	return &Fork{Header: h, ChildPID: le.Uint32(b[offChildPID:]), ChildTID: le.Uint32(b[offChildTID:]),
		PPID: le.Uint32(b[offForkPPID:]), Start: le.Uint64(b[offForkStart:]),
		Comm: cstr(b[offForkComm : offForkComm+16])}, nil
}

// JoinPath turns walked components (leaf first) into a path from the root.
func JoinPath(leafFirst []string) string {
	if len(leafFirst) == 0 {
		return "/"
	}
	var b []byte
	for i := len(leafFirst) - 1; i >= 0; i-- {
		b = append(b, '/')
		b = append(b, leafFirst[i]...)
	}
	return string(b)
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func components(b []byte) []string { return appendComponents(nil, b) }

// appendComponents appends the NUL-separated components of b to dst.
func appendComponents(dst []string, b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			i = len(b)
		}
		dst = append(dst, string(b[:i]))
		b = b[min(i+1, len(b)):]
	}
	return dst
}
