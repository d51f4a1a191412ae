package scanreport

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

// MaxFileSize caps one report file: a Trivy report of a large image with
// every vulnerability is a few MiB.
const MaxFileSize = 64 << 20

// IsReportFile reports whether a directory entry's name is one Palisade
// reads as a report: .json, .yaml or .yml, not hidden (editors' and
// Kubernetes ConfigMap volumes' ..data links are skipped).
func IsReportFile(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// ReadFile imports the report file at path.
func ReadFile(path string) (*Report, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	return Import(path, data)
}

func readLimited(path string) ([]byte, error) { return document.ReadFile(path, MaxFileSize) }

// ReadPath imports a report file, or every report file (IsReportFile) in a
// directory and its subdirectories, in lexical order. Every file is read;
// the error joins those of every file that could not be, and the reports
// returned are those of the others.
func ReadPath(path string) ([]*Report, error) {
	files, err := reportFiles(path)
	if err != nil {
		return nil, err
	}
	var reports []*Report
	var errs []error
	for _, f := range files {
		r, err := ReadFile(f.path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		reports = append(reports, r)
	}
	return reports, errors.Join(errs...)
}

type fileInfo struct {
	path    string
	size    int64
	modTime time.Time
}

// reportFiles lists path itself when it is a file, or the report files
// under it when it is a directory.
func reportFiles(path string) ([]fileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []fileInfo{{path, st.Size(), st.ModTime()}}, nil
	}
	var out []fileInfo
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !IsReportFile(d.Name()) {
			return nil
		}
		st, err := os.Stat(p) // follows symbolic links, as ConfigMap volumes use
		if err != nil {
			return err
		}
		if st.Mode().IsRegular() {
			out = append(out, fileInfo{p, st.Size(), st.ModTime()})
		}
		return nil
	})
	slices.SortFunc(out, func(a, b fileInfo) int { return strings.Compare(a.path, b.path) })
	return out, err
}

// Dir follows the report files under a directory (or a single file): each
// Reload reads again only the files whose size or modification time
// changed. A file that becomes unreadable or invalid keeps the results it
// last had, so that a half-written report cannot make every image
// unscanned; a deleted file's results are dropped.
type Dir struct {
	path  string
	files map[string]*dirFile
}

type dirFile struct {
	info   fileInfo
	images []*scanresult.Image
	// failed is the error of the last read, if it failed.
	failed error
}

// NewDir returns a Dir for path; call Reload to read it.
func NewDir(path string) *Dir { return &Dir{path: path, files: map[string]*dirFile{}} }

// DirChange is what one Reload found.
type DirChange struct {
	// Changed is true when the images of some file changed (read again,
	// added or deleted).
	Changed bool
	// Read, Deleted name the files read again and those gone.
	Read, Deleted []string
	// Warnings are the warnings of the files read.
	Warnings []Problem
	// Errors are the files that could not be read or imported; they
	// keep the images they had.
	Errors []error
}

// Reload reads the files that changed since the last Reload. An error is
// returned only when the path itself cannot be listed; a missing
// directory is empty.
func (d *Dir) Reload() (DirChange, error) {
	var ch DirChange
	files, err := reportFiles(d.path)
	if errors.Is(err, fs.ErrNotExist) {
		files, err = nil, nil
	}
	if err != nil {
		return ch, err
	}
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		seen[f.path] = true
		old := d.files[f.path]
		if old != nil && old.info.size == f.size && old.info.modTime.Equal(f.modTime) {
			continue
		}
		rep, err := ReadFile(f.path)
		if err != nil {
			if old == nil {
				old = &dirFile{}
				d.files[f.path] = old
			}
			old.info, old.failed = f, err
			ch.Errors = append(ch.Errors, err)
			continue
		}
		d.files[f.path] = &dirFile{info: f, images: rep.Images}
		ch.Read = append(ch.Read, f.path)
		ch.Warnings = append(ch.Warnings, rep.Warnings...)
		ch.Changed = true
	}
	for p := range d.files {
		if !seen[p] {
			delete(d.files, p)
			ch.Deleted = append(ch.Deleted, p)
			ch.Changed = true
		}
	}
	slices.Sort(ch.Deleted)
	return ch, nil
}

// Images returns the images of every file, in file order.
func (d *Dir) Images() []*scanresult.Image {
	paths := make([]string, 0, len(d.files))
	for p := range d.files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var out []*scanresult.Image
	for _, p := range paths {
		out = append(out, d.files[p].images...)
	}
	return out
}

// Files is the number of files read successfully at least once.
func (d *Dir) Files() int {
	n := 0
	for _, f := range d.files {
		if f.failed == nil || f.images != nil {
			n++
		}
	}
	return n
}
