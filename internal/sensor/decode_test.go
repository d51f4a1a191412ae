package sensor

import (
	"testing"

	"github.com/palisade-dev/palisade/internal/sensor/probe"
)

// TestParams reads each parameter from the argument Falco's event table
// and the syscall's signature put it in.
func TestParams(t *testing.T) {
	d := &decoder{}
	rec := &probe.Syscall{Header: probe.Header{Ret: -2}, Args: [6]uint64{10, 11, 12, 13, 14, 15},
		Str: [2]string{"first", "second"}, Dev: 0x803, Ino: 4242}
	for _, c := range []struct {
		call, param, want string
	}{
		{"open", "fd", "ENOENT"},
		{"open", "name", "first"},
		{"open", "dev", "2051"},
		{"open", "ino", "4242"},
		{"openat", "dirfd", "10"},
		{"openat", "mode", "015"},
		{"sendto", "size", "12"},        // sendto(fd, buf, len, ...)
		{"linkat", "flags", "14"},       // linkat(olddirfd, oldpath, newdirfd, newpath, flags)
		{"renameat2", "flags", "14"},    // renameat2(olddirfd, oldpath, newdirfd, newpath, flags)
		{"renameat2", "newdirfd", "12"}, // idem
		{"symlinkat", "linkpath", "second"},
		{"symlinkat", "linkdirfd", "11"},
		{"accept4", "flags", "13"},
		{"ptrace", "pid", "11"},
		{"mount", "dir", "second"},
		{"socket", "domain", "AF_INET6"},
	} {
		def := syscallByName[c.call]
		found := false
		for _, p := range def.params {
			if p.name == c.param {
				found = true
				if got := d.param(p, rec).Text; got != c.want {
					t.Errorf("%s %s = %q, want %q", c.call, c.param, got, c.want)
				}
			}
		}
		if !found {
			t.Errorf("%s has no parameter %s", c.call, c.param)
		}
	}
}
