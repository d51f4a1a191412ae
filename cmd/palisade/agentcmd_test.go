package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A --token-file the agent cannot take a token from is bad input at start,
// named without its content; the agent reads it again later as it changes.
func TestAgentTokenFileIsReadAtStart(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		empty:                        "--token-file " + empty + " is empty",
		filepath.Join(dir, "absent"): "--token-file: open " + filepath.Join(dir, "absent"),
	} {
		code, _, errOut := palisade(t, "", "agent", "--console", "https://console.example.com", "--token-file", file,
			"--state-dir", dir, "--tls-cert-file", "c", "--tls-key-file", "k")
		if code != exitInput || !strings.Contains(errOut, want) {
			t.Errorf("--token-file %s: exit %d, stderr %q, want %d and %q", file, code, errOut, exitInput, want)
		}
	}
}
