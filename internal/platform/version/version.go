package version

import (
	"runtime"
	"runtime/debug"
)

// Set with -ldflags -X at build time (see the package comment).
var (
	version string
	commit  string
	date    string
)

// Info describes a build.
type Info struct {
	Version   string `json:"version"`
	GitCommit string `json:"gitCommit,omitempty"`
	// Modified is true when the binary was built from a work tree with
	// uncommitted changes (known only from the Go toolchain's stamp).
	Modified  bool   `json:"modified,omitempty"`
	BuildDate string `json:"buildDate,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the running binary's build information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, commit, date, bi)
}

// resolve prefers the link-time stamps and fills what is missing from the
// toolchain's build information (nil when the binary has none).
func resolve(version, commit, date string, bi *debug.BuildInfo) Info {
	in := Info{Version: version, GitCommit: commit, BuildDate: date,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.GoVersion != "" {
			in.GoVersion = bi.GoVersion
		}
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
		stamped := commit != ""
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if !stamped {
					in.GitCommit = s.Value
				}
			case "vcs.time":
				if in.BuildDate == "" {
					in.BuildDate = s.Value
				}
			case "vcs.modified":
				if !stamped {
					in.Modified = s.Value == "true"
				}
			}
		}
	}
	if in.Version == "" {
		in.Version = "devel"
	}
	return in
}

// String is the one-line form `palisade --version` prints.
func (in Info) String() string {
	s := "palisade " + in.Version
	if in.GitCommit != "" {
		c := in.GitCommit
		if len(c) > 12 {
			c = c[:12]
		}
		s += " (" + c
		if in.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + " " + in.GoVersion + " " + in.Platform
}
