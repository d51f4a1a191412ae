package policytest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Find expands the paths `palisade test` is given: a file is itself,
// whatever its name; a folder is every file named fileName below it
// (recursively, hidden folders skipped, sorted), as `kyverno test` looks
// for kyverno-test.yaml. A folder without one is an error: a test run
// that found nothing to run must not pass.
func Find(paths []string, fileName string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && d.Name() == fileName {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no %s found", p, fileName)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}
