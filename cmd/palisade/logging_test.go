package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"k8s.io/klog/v2"
)

// What client-go logs through klog comes out of Palisade's handler, as
// JSON like the rest, and below --log-level it does not come out at all.
func TestKlogGoesThroughTheHandler(t *testing.T) {
	defer klog.ClearLogger()
	var buf bytes.Buffer
	f := pflag.NewFlagSet("t", pflag.ContinueOnError)
	l := addLogFlags(f, "json")
	if err := f.Parse([]string{"--log-level", "info"}); err != nil {
		t.Fatal(err)
	}
	logger, err := l.logger(&buf)
	if err != nil {
		t.Fatal(err)
	}
	logger.Debug("not at info")
	klog.InfoS("Starting reflector", "type", "*v1.Pod")
	klog.ErrorS(nil, "Unable to write event", "event", "web.1")
	klog.Flush()

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	var info, errLine map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &info); err != nil {
		t.Fatalf("not JSON: %s", lines[0])
	}
	if err := json.Unmarshal([]byte(lines[1]), &errLine); err != nil {
		t.Fatalf("not JSON: %s", lines[1])
	}
	if info["msg"] != "Starting reflector" || info["level"] != "INFO" || info["type"] != "*v1.Pod" {
		t.Errorf("klog info line: %v", info)
	}
	if errLine["msg"] != "Unable to write event" || errLine["level"] != "ERROR" {
		t.Errorf("klog error line: %v", errLine)
	}
}

func TestLogFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"--log-format", "text", "--log-level", "debug"}, true},
		{[]string{"--log-level", "WARN"}, true},
		{[]string{"--log-format", "xml"}, false},
		{[]string{"--log-level", "verbose"}, false},
		{[]string{"--log-level", "info+2"}, false},
	} {
		f := pflag.NewFlagSet("t", pflag.ContinueOnError)
		l := addLogFlags(f, "json")
		if err := f.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if err := l.validate(); (err == nil) != tc.ok {
			t.Errorf("%v: err %v, want ok %v", tc.args, err, tc.ok)
		}
	}
}

// Bad log and report-API flags are input errors (exit 2) that name the
// flag, before anything starts.
func TestBadLogAndReportFlags(t *testing.T) {
	defer klog.ClearLogger()
	agent := []string{"agent", "--policy", "p.yaml", "--tls-cert-file", "c", "--tls-key-file", "k"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(agent, "--log-level", "verbose"), "--log-level"},
		{append(agent, "--log-format", "xml"), "--log-format"},
		{append(agent, "--policy-report-api", "reports.x-k8s.io"), "--policy-report-api"},
		{[]string{"console", "--log-level", "loud"}, "--log-level"},
		{[]string{"demo", "--log-format", "yaml"}, "--log-format"},
		{[]string{"scan", "--policy-report-api", "openreports.io", "../../examples/busybox.yaml"}, "--policy-report-api needs --cluster"},
		{[]string{"scan", "--cluster", "--policy-report-api", "nope"}, "--policy-report-api"},
		{[]string{"scan", "--cluster", "-A", "--policy-report-api", "openreports.io"}, "--policy-report-api needs --policy-reports"},
	} {
		code, _, stderr := palisade(t, "", tc.args...)
		if code != exitInput || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
