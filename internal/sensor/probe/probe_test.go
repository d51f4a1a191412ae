package probe

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cilium/ebpf/ringbuf"
)

// load loads the probe, or skips the test where eBPF cannot run (not root,
// no BTF) unless PALISADE_REQUIRE_EBPF is set, as hack/test.sh sets it.
func load(t *testing.T) *Probe {
	t.Helper()
	p, err := Load(Options{RingBytes: 1 << 20, IgnorePID: os.Getpid()})
	if err != nil {
		if os.Getenv("PALISADE_REQUIRE_EBPF") == "" {
			t.Skipf("eBPF probe cannot load here (set PALISADE_REQUIRE_EBPF=1 to fail instead): %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// collect reads records until stop says it has seen enough or 10 s pass.
func collect(t *testing.T, p *Probe, stop func(b []byte) bool) {
	t.Helper()
	var rec ringbuf.Record
	deadline := time.Now().Add(10 * time.Second)
	p.SetDeadline(time.Now().Add(PollInterval))
	for {
		b, err := p.Read(&rec)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if time.Now().After(deadline) {
				t.Fatal("the probe did not report what the test waited for within 10 s")
			}
			p.SetDeadline(time.Now().Add(PollInterval))
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if stop(b) {
			return
		}
	}
}

func TestProbeReportsExecAndOpen(t *testing.T) {
	p := load(t)
	if err := p.SetSyscalls([]int{2, 257, 437}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/cat", "secret", secret)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cat: %v: %s", err, out)
	}
	pid := uint32(cmd.Process.Pid)
	var sawExec, sawRel, sawAbs bool
	collect(t, p, func(b []byte) bool {
		h, err := ParseHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		if h.PID != pid {
			return false
		}
		switch h.Kind {
		case KindExec:
			x, err := ParseExec(b)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"/bin/cat", "secret", secret}; !slices.Equal(x.Argv, want) {
				t.Errorf("argv = %q, want %q", x.Argv, want)
			}
			if got := JoinPath(x.Cwd); got != dir {
				t.Errorf("cwd = %q, want %q", got, dir)
			}
			if got := JoinPath(x.Exe); got != "/usr/bin/cat" && got != "/bin/cat" {
				t.Errorf("exe = %q, want /usr/bin/cat", got)
			}
			if x.Comm != "cat" || x.PPID != uint32(os.Getpid()) {
				t.Errorf("comm %q ppid %d, want cat and %d", x.Comm, x.PPID, os.Getpid())
			}
			sawExec = true
		case KindSyscall:
			s, err := ParseSyscall(b)
			if err != nil {
				t.Fatal(err)
			}
			switch s.Str[0] {
			case "secret":
				if got := JoinPath(s.Walk); got != secret || s.Ret < 0 || s.Flags&FlagFile == 0 {
					t.Errorf("relative open: walk %q ret %d flags %#x, want %q", got, s.Ret, s.Flags, secret)
				}
				sawRel = true
			case secret:
				if s.Walk != nil {
					t.Errorf("an absolute path was walked: %q", s.Walk)
				}
				sawAbs = true
			}
		}
		return sawExec && sawRel && sawAbs
	})
}

// TestPathFilter: with a path filter, opens of paths with none of its
// prefixes and suffixes never reach the ring; opens it cannot judge
// (relative, not clean) and those it lets through do, with fexit programs
// doing the work where the kernel has them.
func TestPathFilter(t *testing.T) {
	p := load(t)
	if err := p.SetSyscalls([]int{2, 257, 437}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "cg"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{ // path → reported
		filepath.Join(dir, "dropped"):             false,
		filepath.Join(dir, "kept", "x"):           true, // prefix
		filepath.Join(dir, "cg", "release_agent"): true, // suffix
		dir + "/cg/../dropped":                    true, // not clean
		"dropped":                                 true, // relative
	}
	if err := os.MkdirAll(filepath.Join(dir, "kept"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"dropped", "kept/x", "cg/release_agent"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.SetPathFilter(true, []string{filepath.Join(dir, "kept") + "/"}, []string{"release_agent"}); err != nil {
		t.Fatal(err)
	}
	before, err := p.Filtered()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join(dir, "dropped"), filepath.Join(dir, "kept", "x"), filepath.Join(dir, "cg", "release_agent"),
		dir + "/cg/../dropped", "dropped"}
	cmd := exec.Command("/bin/cat", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cat: %v: %s", err, out)
	}
	pid := uint32(cmd.Process.Pid)
	seen := map[string]bool{}
	collect(t, p, func(b []byte) bool {
		h, err := ParseHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		if h.PID != pid || h.Kind != KindSyscall {
			return false
		}
		s, err := ParseSyscall(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := files[s.Str[0]]; ok {
			seen[s.Str[0]] = true
		}
		// The last path cat opens is reported: everything before it is in.
		return s.Str[0] == "dropped"
	})
	for f, want := range files {
		if seen[f] != want {
			t.Errorf("open of %s reported: %v, want %v", f, seen[f], want)
		}
	}
	after, err := p.Filtered()
	if err != nil {
		t.Fatal(err)
	}
	if after <= before {
		t.Errorf("filtered counter %d → %d, want it to count the dropped open", before, after)
	}

	// Off again: every open is reported.
	if err := p.SetPathFilter(false, nil, nil); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("/bin/cat", filepath.Join(dir, "dropped"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cat: %v: %s", err, out)
	}
	pid = uint32(cmd.Process.Pid)
	collect(t, p, func(b []byte) bool {
		h, err := ParseHeader(b)
		if err != nil || h.PID != pid || h.Kind != KindSyscall {
			return false
		}
		s, err := ParseSyscall(b)
		return err == nil && s.Str[0] == filepath.Join(dir, "dropped")
	})
}
