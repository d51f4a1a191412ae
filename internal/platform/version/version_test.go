package version

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolve(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	vcs := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.3.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	for _, tc := range []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  Info
		line                  string
	}{
		{"stamped wins", "v1.2.0", "fedcba9876543210", "2026-03-04T00:00:00Z", vcs,
			Info{Version: "v1.2.0", GitCommit: "fedcba9876543210", BuildDate: "2026-03-04T00:00:00Z", GoVersion: "go1.26.8", Platform: platform},
			"palisade v1.2.0 (fedcba987654) go1.26.8 " + platform},
		{"toolchain fallback", "", "", "", vcs,
			Info{Version: "v0.3.0", GitCommit: "0123456789abcdef0123", Modified: true, BuildDate: "2026-01-02T03:04:05Z", GoVersion: "go1.26.8", Platform: platform},
			"palisade v0.3.0 (0123456789ab, modified) go1.26.8 " + platform},
		{"go run: devel, no vcs", "", "", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			Info{Version: "devel", GoVersion: "go1.26.8", Platform: platform},
			"palisade devel go1.26.8 " + platform},
	} {
		got := resolve(tc.version, tc.commit, tc.date, tc.bi)
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.name, d)
		}
		if got.String() != tc.line {
			t.Errorf("%s: %q, want %q", tc.name, got.String(), tc.line)
		}
	}
}
