// Package layout_test holds the import rules of the source tree: which
// layer may link what. They are enforced here, on the real import graph
// (go list), so that a forbidden dependency fails the suite the day it comes
// back, not the day someone reads docs/architecture.md.
package layout_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/palisade-dev/palisade/"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// packages lists every package of the module with its direct imports and
// its whole dependency closure (tests excluded: test helpers may link
// anything).
func packages(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps=false", "-json=ImportPath,Imports,Deps", "../../...")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	all := map[string]pkg{}
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		all[strings.TrimPrefix(p.ImportPath, module)] = p
	}
	if len(all) < 40 {
		t.Fatalf("go list found %d packages; is the module root two folders up?", len(all))
	}
	return all
}

func under(path string, prefixes ...string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// core is pure logic and its vocabulary: the policy, the rule catalog, the
// engine, the Falco rule language, image references, trust sets and scan
// results.
var core = []string{"internal/core"}

// heavy are libraries that talk to the outside world: a core package that
// links one of them is no longer a pure function of its input.
var heavy = []string{
	"k8s.io/client-go", "github.com/sigstore", "github.com/google/go-containerregistry",
	"google.golang.org/grpc", "github.com/prometheus", "github.com/jackc", "modernc.org/sqlite",
}

func TestImportRules(t *testing.T) {
	all := packages(t)
	var problems []string
	fail := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	for path, p := range all {
		internal := func(list []string) []string {
			var out []string
			for _, d := range list {
				if strings.HasPrefix(d, module) {
					out = append(out, strings.TrimPrefix(d, module))
				}
			}
			return out
		}
		imports, deps := internal(p.Imports), internal(p.Deps)
		switch {
		case under(path, core...):
			// The core links no client, registry, RPC, metrics or database
			// library, and nothing of the module outside the core.
			for _, d := range p.Deps {
				if under(d, heavy...) {
					fail("%s links %s: the core must stay pure (STYLE: the rule catalog never imports client-go)", path, d)
					break
				}
			}
			for _, d := range imports {
				if !under(d, core...) {
					fail("%s imports %s: the core imports only the core", path, d)
				}
			}
		case under(path, "internal/supply"):
			// The supply-chain adapters read the core's vocabulary, never
			// an enforcement point, the agent or the console.
			for _, d := range imports {
				if under(d, "internal/enforce", "internal/agent", "internal/console") {
					fail("%s imports %s: supply adapters serve the enforcement points, not the other way round", path, d)
				}
			}
		case under(path, "internal/enforce"):
			for _, d := range imports {
				if under(d, "internal/agent", "internal/console") {
					fail("%s imports %s: enforcement points do not know their host (the agent wires them)", path, d)
				}
			}
		case under(path, "internal/console"):
			// The console judges and stores; it never acts on pods.
			for _, d := range deps {
				if under(d, "internal/enforce/continuous", "internal/enforce/containment", "internal/enforce/responder",
					"internal/enforce/segmentation", "internal/agent") {
					fail("%s links %s: the console links no code that acts on pods", path, d)
				}
			}
			for _, d := range p.Deps {
				if under(d, "k8s.io/client-go") {
					fail("%s links %s: the console talks to no cluster", path, d)
					break
				}
			}
		case under(path, "internal/platform"):
			// Platform helpers sit under everything but the core's
			// vocabulary: they never reach up into an enforcement point, a
			// supply-chain adapter, the agent or the console.
			for _, d := range imports {
				if !under(d, append([]string{"internal/platform"}, core...)...) {
					fail("%s imports %s: platform helpers import only platform helpers and the core", path, d)
				}
			}
		}
		// zitadel/oidc serves the UI's tests an identity provider on
		// loopback; the binary signs users in with go-oidc and never links
		// a provider.
		for _, d := range p.Deps {
			if under(d, "github.com/zitadel") {
				fail("%s links %s: zitadel/oidc is the tests' identity provider, not the console's", path, d)
				break
			}
		}
		// Only the command and the store's backend chooser pick a storage
		// backend (the console's tests build one through consoletest).
		if !under(path, "cmd", "internal/console/store", "internal/console/consoletest") {
			for _, d := range imports {
				if under(d, "internal/console/store/sqlite", "internal/console/store/postgres") {
					fail("%s imports %s: only cmd/ picks a storage backend", path, d)
				}
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}
