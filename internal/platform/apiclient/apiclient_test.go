package apiclient

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrivate(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://console.example.com": true, "http://127.0.0.1:8080": true, "http://[::1]:8080": true,
		"http://localhost:8080": true, "http://console.example.com": false, "http://10.0.0.8": false,
	} {
		u, _ := url.Parse(raw)
		if got := Private(u); got != want {
			t.Errorf("Private(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	if got := ErrorMessage([]byte(`{"error":"a valid bearer token is required"}`)); got != "a valid bearer token is required" {
		t.Errorf("API error: %q", got)
	}
	if got := ErrorMessage([]byte("  502 Bad Gateway\n")); got != "502 Bad Gateway" {
		t.Errorf("plain body: %q", got)
	}
}

func TestLoadCAPoolErrorsNameTheFlag(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCAPool(bad, "--ca-file"); err == nil || !strings.HasPrefix(err.Error(), "--ca-file "+bad+": no PEM certificate") {
		t.Errorf("bad PEM: %v", err)
	}
	if _, err := NewHTTPClient(filepath.Join(t.TempDir(), "missing"), "--console-ca-file", 0, 0); err == nil || !strings.HasPrefix(err.Error(), "--console-ca-file: ") {
		t.Errorf("missing file: %v", err)
	}
}
