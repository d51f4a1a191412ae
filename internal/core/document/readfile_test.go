package document

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadStopsAtTheLimit(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(small, 10); err != nil || string(b) != "0123456789" {
		t.Errorf("Read at the limit = %q, %v", b, err)
	}
	_, err := ReadFile(small, 9)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), small) || !strings.Contains(err.Error(), "9 bytes") {
		t.Errorf("Read over the limit: %v, want ErrTooLarge naming the file and the limit", err)
	}
	// A file without end: only limit+1 bytes are read.
	if _, err := os.Stat("/dev/zero"); err == nil {
		if _, err := ReadFile("/dev/zero", 1<<20); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1 MiB") {
			t.Errorf("ReadFile(/dev/zero) = %v, want ErrTooLarge", err)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 10); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v, want ErrNotExist", err)
	}
}
