package fileperm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExposed(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		mode os.FileMode
		dir  bool
		want bool
	}{
		{"owner only file", 0o600, false, false},
		{"world readable file", 0o644, false, true},
		{"world readable dir", 0o755, true, true},
		{"owner only dir", 0o700, true, false},
		// The file's group is the process's own (created by it): what a
		// Secret mounted with the pod's fsGroup looks like.
		{"group readable, own group", 0o640, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			var err error
			if tt.dir {
				err = os.Mkdir(p, tt.mode)
			} else {
				err = os.WriteFile(p, []byte("x"), tt.mode)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tt.mode); err != nil { // past the umask
				t.Fatal(err)
			}
			_, got, err := Exposed(p)
			if err != nil || got != tt.want {
				t.Fatalf("Exposed(%o) = %v, %v; want %v", tt.mode, got, err, tt.want)
			}
			if w := Warning("token file", p); (w != "") != tt.want {
				t.Fatalf("Warning = %q, want a warning: %v", w, tt.want)
			}
		})
	}
	if w := Warning("token file", filepath.Join(dir, "missing")); w != "" {
		t.Fatalf("a missing file warned: %q", w)
	}
}
