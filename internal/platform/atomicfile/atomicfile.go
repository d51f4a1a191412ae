// Package atomicfile replaces small state files so that a crash, even of
// the machine, leaves either the old content or the new one.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data (mode 0600) through a synced temporary file
// in the same directory and a rename.
func Write(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
