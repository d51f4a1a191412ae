package sensor

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// startSensor runs a sensor with these rules (after the stable ones) until
// the test ends, and returns a function waiting for an alert of a rule.
// Without root and BTF the test is skipped, unless PALISADE_REQUIRE_EBPF
// is set (hack/test.sh sets it).
func startSensor(t *testing.T, rules string) func(rule string, match func(falco.Alert) bool) falco.Alert {
	t.Helper()
	_, wait := startSensorHandle(t, rules)
	return wait
}

// startSensorHandle is startSensor, also returning the sensor.
func startSensorHandle(t *testing.T, rules string) (*Sensor, func(rule string, match func(falco.Alert) bool) falco.Alert) {
	t.Helper()
	var (
		mu     sync.Mutex
		alerts []falco.Alert
	)
	files := append(DefaultRules(), falco.File{Name: "test_rules.yaml", Data: []byte(rules)})
	s, diags, err := New(Options{Rules: files, Hostname: "test-node", Alerts: func(a falco.Alert) {
		mu.Lock()
		alerts = append(alerts, a)
		mu.Unlock()
	}})
	if err != nil {
		if diags.HasErrors() || os.Getenv("PALISADE_REQUIRE_EBPF") != "" {
			t.Fatalf("sensor: %v\n%v", err, diags)
		}
		t.Skipf("the sensor cannot run here (set PALISADE_REQUIRE_EBPF=1 to fail instead): %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		s.Close()
	})
	return s, func(rule string, match func(falco.Alert) bool) falco.Alert {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			for _, a := range alerts {
				if a.Rule == rule && match(a) {
					mu.Unlock()
					return a
				}
			}
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		var seen []string
		for _, a := range alerts {
			seen = append(seen, a.Rule+": "+a.Output)
		}
		t.Fatalf("no alert of rule %q within 10 s; alerts seen:\n%s", rule, strings.Join(seen, "\n"))
		return falco.Alert{}
	}
}

// TestMain lets the test binary act as a child process (the sensor
// ignores its own): PALISADE_SENSOR_TEST_ACTION names what to do.
func TestMain(m *testing.M) {
	switch os.Getenv("PALISADE_SENSOR_TEST_ACTION") {
	case "":
		os.Exit(m.Run())
	case "connect":
		c, err := net.Dial("tcp", os.Getenv("PALISADE_SENSOR_TEST_ARG"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		c.Close()
	case "packet-socket":
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		unix.Close(fd)
	}
	os.Exit(0)
}

// child runs the test binary as another process doing action.
func child(t *testing.T, action, arg string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PALISADE_SENSOR_TEST_ACTION="+action, "PALISADE_SENSOR_TEST_ARG="+arg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child %s: %v: %s", action, err, out)
	}
}

// comm is a program name as the kernel keeps it (15 characters).
func comm(name string) string { return name[:min(15, len(name))] }

func TestSensorOnThisHost(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(secret, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	rules := fmt.Sprintf(`
- rule: Test read of the secret
  desc: test
  condition: open_read and fd.name = %q
  output: read %%fd.name (raw %%fd.nameraw) by %%proc.name cmdline=%%proc.cmdline parent=%%proc.pname cwd=%%proc.cwd flags=%%evt.arg.flags user=%%user.name
  priority: WARNING
- rule: Test connect to the listener
  desc: test
  condition: evt.type = connect and fd.sport = %d and fd.sip = 127.0.0.1
  output: connect %%fd.name by %%proc.name proto=%%fd.l4proto
  priority: NOTICE
- rule: Test packet socket
  desc: test
  condition: evt.type = socket and evt.arg.domain contains AF_PACKET and proc.name = %q
  output: packet socket by %%proc.name args=%%evt.args
  priority: NOTICE
`, secret, port, comm(filepath.Base(os.Args[0])))
	wait := startSensor(t, rules)

	cat := exec.Command("/bin/sh", "-c", "cat secret.txt >/dev/null")
	cat.Dir = dir
	if out, err := cat.CombinedOutput(); err != nil {
		t.Fatalf("cat: %v: %s", err, out)
	}
	a := wait("Test read of the secret", func(falco.Alert) bool { return true })
	for _, want := range []string{"read " + secret, "(raw secret.txt)", "by cat", "cmdline=cat secret.txt", "parent=sh", "cwd=" + dir + "/", "flags=O_RDONLY", "user=root"} {
		if !strings.Contains(a.Output, want) {
			t.Errorf("output %q lacks %q", a.Output, want)
		}
	}

	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
	}()
	// The sensor ignores its own process: another one connects.
	child(t, "connect", ln.Addr().String())
	a = wait("Test connect to the listener", func(falco.Alert) bool { return true })
	if !strings.Contains(a.Output, fmt.Sprintf("->127.0.0.1:%d", port)) || !strings.Contains(a.Output, "proto=tcp") {
		t.Errorf("connect output %q: want the tuple to 127.0.0.1:%d over tcp", a.Output, port)
	}

	child(t, "packet-socket", "")
	a = wait("Test packet socket", func(falco.Alert) bool { return true })
	if !strings.Contains(a.Output, "AF_PACKET") {
		t.Errorf("packet socket output %q lacks AF_PACKET", a.Output)
	}
}

// TestSensorReload: rules given to Reload (as the agent's rulesets reach
// the sensor) are evaluated from the next record on, with their syscalls
// selected in the kernel; rules that do not compile leave the rules in
// force.
func TestSensorReload(t *testing.T) {
	s, wait := startSensorHandle(t, "")
	dir := t.TempDir()
	marker := filepath.Join(dir, "palisade-mark")
	if err := exec.Command("cp", "/bin/true", marker).Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reload([]falco.File{{Name: "bad.yaml", Data: []byte("- rule: x\n  desc: x\n  condition: proc.nope = 1\n  output: x\n  priority: INFO\n")}}); err == nil {
		t.Fatal("a rule on an unknown field reloaded without error")
	}
	rule := fmt.Sprintf(`
- rule: Marker executed
  desc: a ruleset's own syscall rule, built on the stable rules' macros
  condition: spawned_process and proc.exepath = %q
  output: marker run by %%proc.pname (%%proc.cmdline)
  priority: NOTICE
  source: syscall
`, marker)
	if _, err := s.Reload([]falco.File{{Name: "ruleset marker", Data: []byte(rule)}}); err != nil {
		t.Fatal(err)
	}
	// Run applies a reload before reading the next record: the marker's
	// exec, which follows, meets the new rules.
	if err := exec.Command(marker, "once").Run(); err != nil {
		t.Fatal(err)
	}
	a := wait("Marker executed", func(falco.Alert) bool { return true })
	if want := "(palisade-mark once)"; !strings.Contains(a.Output, want) {
		t.Errorf("output %q lacks %q", a.Output, want)
	}
}
