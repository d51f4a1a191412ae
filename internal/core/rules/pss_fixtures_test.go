package rules

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

const psaModule = "k8s.io/pod-security-admission"

// psaModuleDir finds the pod-security-admission module on disk: through
// `go list -m`, or from the build's dependency version and GOMODCACHE.
func psaModuleDir(t *testing.T) string {
	t.Helper()
	var tried []string
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", psaModule).Output()
	if dir := strings.TrimSpace(string(out)); err == nil && dir != "" {
		return dir
	}
	tried = append(tried, "go list -m: "+errString(err))

	version := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == psaModule {
				version = d.Version
				if d.Replace != nil {
					version = d.Replace.Version
				}
			}
		}
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		if gopath := os.Getenv("GOPATH"); gopath != "" {
			cache = filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
		} else if home, err := os.UserHomeDir(); err == nil {
			cache = filepath.Join(home, "go", "pkg", "mod")
		}
	}
	if version != "" && cache != "" {
		dir := filepath.Join(cache, psaModule+"@"+version)
		if _, err := os.Stat(filepath.Join(dir, "test", "testdata")); err == nil {
			return dir
		}
		tried = append(tried, dir+": no test/testdata")
	} else {
		tried = append(tried, "build info: version "+strconv.Quote(version)+", module cache "+strconv.Quote(cache))
	}
	t.Fatalf("cannot find the %s module's fixtures (tried %s); run `go mod download %s`", psaModule, strings.Join(tried, "; "), psaModule)
	return ""
}

func errString(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return err.Error() + ": " + strings.TrimSpace(string(ee.Stderr))
	}
	if err == nil {
		return "empty output"
	}
	return err.Error()
}

// fixtureInput reads one fixture file (a single object) into an Input with
// every container in scope.
func fixtureInput(path string) (*Input, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := document.NewReader(bytes.NewReader(data), path)
	doc, err := r.Next()
	if err != nil {
		return nil, err
	}
	if _, err := r.Next(); err != io.EOF {
		return nil, errors.New("want exactly one document")
	}
	j, err := doc.JSON()
	if err != nil {
		return nil, err
	}
	obj, err := workload.Decode(j)
	if err != nil {
		return nil, err
	}
	if obj.Pod == nil {
		return nil, errors.New(obj.Kind + " carries no pod")
	}
	in := &Input{Object: obj, Namespace: obj.Namespace("default")}
	for i := range obj.Pod.Containers {
		in.Containers = append(in.Containers, &obj.Pod.Containers[i])
	}
	return in, nil
}

// TestPodSecurityStandardFixtures checks podSecurityStandard against the
// fixtures Kubernetes ships with Pod Security Admission: for every level and
// policy version, every pass fixture must pass and every fail fixture fail.
// The newest version is checked again as "latest".
func TestPodSecurityStandardFixtures(t *testing.T) {
	root := filepath.Join(psaModuleDir(t), "test", "testdata")
	total := 0
	for _, level := range []string{"baseline", "restricted"} {
		versions := fixtureVersions(t, filepath.Join(root, level))
		if len(versions) == 0 {
			t.Fatalf("no version directories under %s", filepath.Join(root, level))
		}
		newest := versions[len(versions)-1]
		var pass, fail, latest int
		for _, v := range versions {
			dir := filepath.Join(root, level, "v1."+strconv.Itoa(v))
			p, f := checkFixtureDir(t, dir, level, "v1."+strconv.Itoa(v))
			pass, fail = pass+p, fail+f
			if v == newest {
				p, f := checkFixtureDir(t, dir, level, "latest")
				latest = p + f
			}
		}
		t.Logf("%s: %d fixtures (%d pass, %d fail) over %d versions v1.%d to v1.%d, and the %d of v1.%d again as latest",
			level, pass+fail, pass, fail, len(versions), versions[0], newest, latest, newest)
		total += pass + fail + latest
	}
	t.Logf("%d fixture checks in all, from %s", total, root)
	if total == 0 {
		t.Fatal("no fixtures checked")
	}
}

// fixtureVersions lists the minor versions of the v1.N directories in dir,
// in increasing order.
func fixtureVersions(t *testing.T, dir string) []int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	var vs []int
	for _, e := range entries {
		if minor, ok := strings.CutPrefix(e.Name(), "v1."); ok && e.IsDir() {
			if n, err := strconv.Atoi(minor); err == nil {
				vs = append(vs, n)
			}
		}
	}
	sort.Ints(vs)
	return vs
}

// checkFixtureDir checks the pass and fail fixtures of one level and version
// directory with properties {level, version} and returns how many of each
// it checked.
func checkFixtureDir(t *testing.T, dir, level, version string) (pass, fail int) {
	t.Helper()
	check := ruleCheck(t, "podSecurityStandard", `{"level":"`+level+`","version":"`+version+`"}`)
	for _, outcome := range []string{"pass", "fail"} {
		files, err := filepath.Glob(filepath.Join(dir, outcome, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			in, err := fixtureInput(f)
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			if outcome == "pass" {
				pass++
			} else {
				fail++
			}
			findings := check(in)
			switch {
			case outcome == "pass" && len(findings) > 0:
				t.Errorf("%s:%s: %s must pass, got %+v", level, version, f, findings)
			case outcome == "fail" && len(findings) == 0:
				t.Errorf("%s:%s: %s must fail, got no finding", level, version, f)
			}
		}
	}
	return pass, fail
}
