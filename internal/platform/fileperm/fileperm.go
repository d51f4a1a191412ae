package fileperm

import (
	"fmt"
	"io/fs"
	"os"
	"slices"
	"syscall"
)

// Exposed reports whether others may read path (list it, for a
// directory): its mode grants "other" any access, or grants its group
// access and that group is not one of this process's (a Kubernetes Secret
// mounted 0440 with the pod's fsGroup is not exposed; a 0644 file is).
// The mode is returned for the message.
func Exposed(path string) (fs.FileMode, bool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, false, err
	}
	mode := fi.Mode()
	switch {
	case mode.Perm()&0o007 != 0:
		return mode, true, nil
	case mode.Perm()&0o070 == 0:
		return mode, false, nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return mode, !ok || !inGroup(int(st.Gid)), nil
}

// inGroup reports whether the process is in group gid.
func inGroup(gid int) bool {
	if os.Getegid() == gid {
		return true
	}
	groups, err := os.Getgroups()
	return err == nil && slices.Contains(groups, gid)
}

// Warning is the message for a path Exposed reports, naming it as what
// ("admin token file"), or "" when it is not exposed or cannot be checked
// (reading it is what fails then).
func Warning(what, path string) string {
	mode, exposed, err := Exposed(path)
	if err != nil || !exposed {
		return ""
	}
	fix := "600"
	if mode.IsDir() {
		fix = "700"
	}
	return fmt.Sprintf("%s %s is readable by other users (mode %#o): chmod %s it", what, path, mode.Perm(), fix)
}
