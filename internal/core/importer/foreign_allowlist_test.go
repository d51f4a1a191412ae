package importer

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// importOne imports one document and returns the result.
func importOne(t *testing.T, in string) *Result {
	t.Helper()
	res, err := Import(Options{}, Source{Name: "x.yaml", Data: []byte(in)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// registriesRegex is the regex of the cluster-wide allowedRegistries rule.
func registriesRegex(t *testing.T, res *Result) *regexp.Regexp {
	t.Helper()
	r := findRule(res.Policy.Spec.ClusterWide.Deployment, "allowedRegistries")
	if r == nil {
		t.Fatalf("no allowedRegistries rule; warnings:\n%s", strings.Join(res.Warnings, "\n"))
	}
	var p struct{ Regex string }
	if err := json.Unmarshal(r.Properties, &p); err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(p.Regex)
}

// An allowlist template with nothing in its list refuses every image, as
// its Rego does, rather than allowing every image.
func TestAllowedReposEmptyRefusesAll(t *testing.T) {
	for name, tc := range map[string]struct{ params, warnAt string }{
		"K8sAllowedRepos repos []":      {"kind: K8sAllowedRepos\nmetadata: {name: r}\nspec:\n  parameters:\n    repos: []\n", "x.yaml:6: spec.parameters.repos"},
		"K8sAllowedRepos no repos":      {"kind: K8sAllowedRepos\nmetadata: {name: r}\nspec:\n  parameters: {}\n", "x.yaml:5: spec.parameters.repos"},
		"K8sAllowedRepos no parameters": {"kind: K8sAllowedRepos\nmetadata: {name: r}\n", "spec.parameters.repos"},
		"K8sAllowedReposv2 every entry dropped": {
			"kind: K8sAllowedReposv2\nmetadata: {name: r}\nspec:\n  parameters:\n    allowedImages: [\"a*b*\"]\n", "x.yaml:6: spec.parameters.allowedImages",
		},
		"K8sAllowedReposV2 empty repos and images": {
			"kind: K8sAllowedReposV2\nmetadata: {name: r}\nspec:\n  parameters:\n    repos: []\n    images: []\n", "x.yaml:6: spec.parameters.repos",
		},
	} {
		t.Run(name, func(t *testing.T) {
			res := importOne(t, "apiVersion: constraints.gatekeeper.sh/v1beta1\n"+tc.params)
			re := registriesRegex(t, res)
			for _, img := range []string{"nginx", "docker.io/library/nginx:1.2", "quay.io/a/b@sha256:26c68657ccce2cb0a31b330cb0be2b5e108d467f641c62e13ab40cbec258c68d"} {
				if re.MatchString(image.Parse(img).Path) {
					t.Errorf("%q allowed by %s, want every image refused", img, re)
				}
			}
			found := false
			for _, w := range res.Warnings {
				if strings.Contains(w, tc.warnAt+": no image is allowed") && strings.Contains(w, "every image is refused") {
					found = true
				}
			}
			if !found {
				t.Errorf("no warning at %s that every image is refused; got:\n%s", tc.warnAt, strings.Join(res.Warnings, "\n"))
			}
		})
	}
}

// kyHead is a Kyverno ClusterPolicy header; the rules follow.
func kyHead(name string) string {
	return "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: " + name + "}\nspec:\n  validationFailureAction: Enforce\n  rules:\n"
}

// An exclusion narrower than whole namespaces (an "all" block, or an
// entry that also names kinds, names or selectors) is not widened into an
// excluded namespace: the rule applies there too.
func TestKyvernoExclusionNeverLooser(t *testing.T) {
	for name, tc := range map[string]struct {
		exclude  string
		want     []string
		warnings []string
	}{
		"all: namespaces and names": {
			exclude: "        all:\n          - resources: {namespaces: [prod]}\n          - resources: {names: [\"legacy-*\"]}\n",
			warnings: []string{
				"x.yaml:13: spec.rules[0].exclude.all[0].resources.namespaces: not carried over: this exclusion is narrower than whole namespaces (an entry of \"all\", or it also names kinds, operations, names or selectors), and Palisade excludes only whole namespaces, so the rule applies there too",
				"x.yaml:14: spec.rules[0].exclude.all[1].resources.names: not carried over: Palisade cannot express this exclusion, so the rule applies there too",
			},
		},
		"all: two namespace blocks": {
			exclude: "        all:\n          - resources: {namespaces: [prod]}\n          - resources: {namespaces: [dev]}\n",
		},
		"any: namespaces and kinds": {
			exclude: "        any:\n          - resources: {namespaces: [prod], kinds: [Deployment]}\n          - resources: {namespaces: [kube-system]}\n",
			want:    []string{"kube-system"},
			warnings: []string{
				"x.yaml:13: spec.rules[0].exclude.any[0].resources.kinds: not carried over: Palisade cannot express this exclusion, so the rule applies there too",
			},
		},
		"plain resources with operations": {
			exclude: "        resources: {namespaces: [prod], operations: [UPDATE]}\n",
		},
		"any: namespaces only": {
			exclude: "        any:\n          - resources: {namespaces: [prod, kube-system]}\n",
			want:    []string{"kube-system", "prod"},
		},
		"plain resources: namespaces only": {
			exclude: "        resources: {namespaces: [prod]}\n",
			want:    []string{"prod"},
		},
		"all: one block of namespaces only": {
			exclude: "        all:\n          - resources: {namespaces: [prod]}\n",
			want:    []string{"prod"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			res := importOne(t, kyHead("disallow-host-path")+"    - name: host-path\n      match:\n        any:\n          - resources: {kinds: [Pod]}\n      exclude:\n"+tc.exclude)
			r := findRule(res.Policy.Spec.ClusterWide.Deployment, "pssHostPathVolumes")
			if r == nil || !slices.Equal(r.ExcludedNamespaces, tc.want) {
				t.Fatalf("pssHostPathVolumes = %+v, want excluded namespaces %v", r, tc.want)
			}
			for _, w := range tc.warnings {
				wantWarning(t, res, w)
			}
			if len(tc.want) == 0 {
				for _, w := range res.Warnings {
					if strings.Contains(w, "more widely") {
						t.Errorf("warning says the rule applies more widely: %s", w)
					}
				}
			}
		})
	}
}

// Rules of one policy that disagree on failureAction import as the
// strictest, with a warning.
func TestKyvernoRuleActionsStrictest(t *testing.T) {
	rule := func(name, action string) string {
		s := "    - name: " + name + "\n      match:\n        any:\n          - resources: {kinds: [Pod]}\n      validate:\n"
		if action != "" {
			s += "        failureAction: " + action + "\n"
		}
		return s + "        pattern: {}\n"
	}
	head := func(spec string) string {
		return "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: disallow-host-path}\nspec:\n" + spec + "  rules:\n"
	}
	for name, tc := range map[string]struct {
		in   string
		want policy.Action
		warn bool
	}{
		"Enforce then Audit":            {head("") + rule("a", "Enforce") + rule("b", "Audit"), policy.ActionBlock, true},
		"Audit then Enforce":            {head("") + rule("a", "Audit") + rule("b", "Enforce"), policy.ActionBlock, true},
		"spec Enforce, one rule Audit":  {head("  validationFailureAction: Enforce\n") + rule("a", "") + rule("b", "Audit"), policy.ActionBlock, true},
		"spec Audit, every rule agrees": {head("  validationFailureAction: Audit\n") + rule("a", "") + rule("b", "audit"), policy.ActionLog, false},
		"spec Audit, the rule Enforce":  {head("  validationFailureAction: Audit\n") + rule("a", "Enforce"), policy.ActionBlock, false},
	} {
		t.Run(name, func(t *testing.T) {
			res := importOne(t, tc.in)
			r := findRule(res.Policy.Spec.ClusterWide.Deployment, "pssHostPathVolumes")
			if r == nil || r.Action != tc.want {
				t.Fatalf("pssHostPathVolumes = %+v, want action %s", r, tc.want)
			}
			const w = "spec.rules: Kyverno ClusterPolicy disallow-host-path: the rules' failure actions differ (Enforce and Audit): the strictest, Enforce (block), is used for the whole policy"
			warned := slices.ContainsFunc(res.Warnings, func(s string) bool { return strings.HasSuffix(s, w) })
			if warned != tc.warn {
				t.Errorf("warning %q given: %v, want %v; got:\n%s", w, warned, tc.warn, strings.Join(res.Warnings, "\n"))
			}
		})
	}
}

// A policy recognised by name says, once, that its patterns are not read.
func TestKyvernoRecognisedByNameWarnsOnce(t *testing.T) {
	in := kyHead("disallow-privileged-containers") +
		"    - name: a\n      match: {any: [{resources: {kinds: [Pod]}}]}\n      validate: {pattern: {spec: {containers: [{name: \"*\"}]}}}\n" +
		"    - name: b\n      match: {any: [{resources: {kinds: [Pod]}}]}\n      validate: {deny: {}}\n"
	res := importOne(t, in)
	const w = "x.yaml:3: metadata.name: Kyverno ClusterPolicy disallow-privileged-containers: recognised by its published name: its rules' patterns are not read, Palisade rule pssPrivileged checks what the published policy checks; check a customised policy by hand"
	n := 0
	for _, got := range res.Warnings {
		if strings.Contains(got, "recognised by its published name") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d warnings that the patterns are not read, want 1; got:\n%s", n, strings.Join(res.Warnings, "\n"))
	}
	wantWarning(t, res, w)
}

// restrict-image-registries' globs compare raw image strings; Palisade
// compares normalised references, so the globs are translated.
func TestKyvernoRegistryGlobs(t *testing.T) {
	const digest = "@sha256:26c68657ccce2cb0a31b330cb0be2b5e108d467f641c62e13ab40cbec258c68d"
	for _, tc := range []struct {
		pattern string
		images  map[string]bool
		warn    string
	}{
		{pattern: "eu.foo.io/* | bar.io/*", images: map[string]bool{
			"eu.foo.io/app": true, "eu.foo.io/app:1" + digest: true, "bar.io/x/y:2": true,
			"eu.foo.io.evil.com/app": false, "nginx": false, "docker.io/eu.foo.io/x": false,
		}},
		{pattern: "nginx*", images: map[string]bool{
			"nginx": true, "nginx:1.2": true, "nginx" + digest: true, "nginx-unprivileged:1": true,
			"nginxinc/nginx-unprivileged": true, "nginx.example.com/app": true,
			"busybox": false, "quay.io/nginx": false, "acme/nginx": false,
		}},
		{pattern: "acme/*", images: map[string]bool{
			"acme/app": true, "acme/app:1": true, "docker.io/acme/app": true,
			"acme": false, "quay.io/acme/app": false, "nginx": false,
		}},
		{pattern: "eu.foo.io/app", images: map[string]bool{
			"eu.foo.io/app": true, "eu.foo.io/app:1": false, "eu.foo.io/appx": false,
		}},
		{pattern: "nginx | busybox:1.36", images: map[string]bool{
			"nginx": true, "busybox:1.36": true, "nginx:1.2": false, "busybox": false, "busybox:1.37": false,
		}},
		{pattern: "docker.io/*", images: map[string]bool{
			"docker.io/library/nginx": true, "docker.io/acme/app:1": true, "quay.io/x": false,
		}, warn: `x.yaml:6: spec.rules: restrict-image-registries: Palisade compares normalised references ("nginx" is docker.io/library/nginx:latest), so "docker.io/*" now also allows Docker Hub images written without a registry ("nginx", "acme/app")`},
		{pattern: "index.docker.io/nginx*", images: map[string]bool{
			"index.docker.io/nginx:1": true, "docker.io/nginxinc/x": true, "nginx": true, "quay.io/nginx": false,
		}, warn: `x.yaml:6: spec.rules: restrict-image-registries: Palisade compares normalised references ("nginx" is docker.io/library/nginx:latest), so "index.docker.io/nginx*" now also allows Docker Hub images written without a registry ("nginx", "acme/app")`},
		{pattern: "localhost:5000/* | ", images: map[string]bool{
			"localhost:5000/app": true, "localhost/app": false, "nginx": false,
		}},
		{pattern: "*/app*", images: map[string]bool{
			"quay.io/app": true, "acme/app:1": true,
		}, warn: `x.yaml:6: spec.rules: restrict-image-registries: "*/app*" starts with a wildcard and is matched against normalised references ("nginx" is docker.io/library/nginx:latest): it may allow images Kyverno refused`},
	} {
		t.Run(tc.pattern, func(t *testing.T) {
			in := kyHead("restrict-image-registries") + "    - name: r\n      match: {any: [{resources: {kinds: [Pod]}}]}\n      validate:\n        pattern:\n          spec:\n            containers:\n              - image: \"" + tc.pattern + "\"\n"
			res := importOne(t, in)
			re := registriesRegex(t, res)
			for img, want := range tc.images {
				if got := re.MatchString(image.Parse(img).Path); got != want {
					t.Errorf("%s (%s): allowed %v by %s, want %v", img, image.Parse(img).Path, got, re, want)
				}
			}
			if tc.warn != "" {
				wantWarning(t, res, tc.warn)
			}
		})
	}
}
