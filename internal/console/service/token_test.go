package service

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreateToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin-token")
	tok, created, err := LoadOrCreateToken(path)
	if err != nil || !created || len(tok) < 40 {
		t.Fatalf("first call: %q %v %v", tok, created, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", st.Mode(), err)
	}
	again, created, err := LoadOrCreateToken(path)
	if err != nil || created || again != tok {
		t.Fatalf("second call: %q %v %v", again, created, err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if _, _, err := LoadOrCreateToken(empty); err == nil {
		t.Error("an empty token file must be an error")
	}
	short := filepath.Join(t.TempDir(), "short")
	os.WriteFile(short, []byte("abcd\n"), 0o600)
	if _, _, err := LoadOrCreateToken(short); err == nil || !strings.Contains(err.Error(), "4-character token: at least 16") {
		t.Errorf("a 4-character token must be refused, saying why: %v", err)
	}
	if string(HashToken(tok)) == tok || len(HashToken(tok)) != 32 {
		t.Error("tokens are stored as SHA-256 hashes")
	}
}
