package probe

import (
	"encoding/binary"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the record parsers: a record the
// kernel did not write (or a layout mismatch) must be an error, never a
// panic or a read out of bounds.
func FuzzParse(f *testing.F) {
	for _, kind := range []uint32{KindSyscall, KindExec, KindFork, KindExit} {
		size := map[uint32]int{KindSyscall: offSysData + 40, KindExec: offExecData + strMax + argsMax + 2*walkArea,
			KindFork: forkSize, KindExit: headerSize}[kind]
		b := make([]byte, size)
		binary.LittleEndian.PutUint32(b[offKind:], kind)
		binary.LittleEndian.PutUint32(b[offSize:], uint32(size))
		if kind == KindSyscall {
			binary.LittleEndian.PutUint16(b[offLen:], 300)     // longer than the data
			binary.LittleEndian.PutUint16(b[offWalkLen:], 999) // idem
			binary.LittleEndian.PutUint16(b[offFlags:], FlagWalked|FlagSock)
		}
		f.Add(b)
	}
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			return
		}
		switch h.Kind {
		case KindSyscall:
			if s, err := ParseSyscall(b); err == nil {
				_ = JoinPath(s.Walk)
			}
		case KindExec:
			if x, err := ParseExec(b); err == nil {
				_ = JoinPath(x.Cwd)
			}
		case KindFork:
			_, _ = ParseFork(b)
		}
	})
}
