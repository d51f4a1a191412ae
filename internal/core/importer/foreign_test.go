package importer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// builtinContinuous is the option the command passes: the catalog's tabs.
func builtinContinuous(t *testing.T) Options {
	t.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return Options{Continuous: func(id string) bool {
		r, ok := reg.Get(id)
		return ok && slices.Contains(r.Tabs, policy.TabContinuous)
	}}
}

func mustImportAll(t *testing.T, paths ...string) *Result {
	t.Helper()
	var srcs []Source
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, Source{Name: filepath.Base(p), Data: data})
	}
	res, err := Import(builtinContinuous(t), srcs...)
	if err != nil {
		t.Fatalf("import %v:\n%v", paths, err)
	}
	return res
}

// TestForeignGolden imports each Gatekeeper and Kyverno input, compares
// the warnings and the YAML with <input>.golden.yaml, and validates the
// result against the catalog.
func TestForeignGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/[gk]*/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.yaml") {
			continue
		}
		t.Run(in, func(t *testing.T) {
			res := mustImportAll(t, in)
			out, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			got.WriteString("# warnings:\n")
			for _, w := range res.Warnings {
				got.WriteString("# - " + w + "\n")
			}
			got.Write(out)
			golden := strings.TrimSuffix(in, ".yaml") + ".golden.yaml"
			if *update {
				if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("output differs from %s (-want +got):\n%s", golden, diff)
			}
			if _, err := policy.Load(golden, out, builtin(t)); err != nil {
				t.Errorf("imported policy does not validate:\n%v", err)
			}
		})
	}
}

func TestGatekeeperMapping(t *testing.T) {
	res := mustImportAll(t, "testdata/gatekeeper/library.yaml")
	cw := res.Policy.Spec.ClusterWide

	t.Run("enforcementAction deny blocks, dryrun and warn log; audit adds continuous log", func(t *testing.T) {
		if r := findRule(cw.Deployment, "privileged"); r == nil || r.Action != policy.ActionBlock {
			t.Errorf("privileged = %+v, want block", r)
		}
		if r := findRule(cw.Continuous, "privileged"); r == nil || r.Action != policy.ActionLog {
			t.Errorf("continuous privileged = %+v, want log", r)
		}
		if r := findRule(cw.Deployment, "hostNetworkAndPorts"); r == nil || r.Action != policy.ActionLog {
			t.Errorf("hostNetworkAndPorts (dryrun) = %+v, want log", r)
		}
		if r := findRule(cw.Deployment, "requiredLabels"); r == nil || r.Action != policy.ActionLog {
			t.Errorf("requiredLabels (warn) = %+v, want log", r)
		}
		// requiredLabels is deployment-only in the catalog.
		if findRule(cw.Continuous, "requiredLabels") != nil {
			t.Error("requiredLabels found in the continuous tab")
		}
	})

	t.Run("exemptImages and excludedNamespaces carried over", func(t *testing.T) {
		r := findRule(cw.Deployment, "privileged")
		if !slices.Equal(r.ExcludedImages, []string{"registry.example.com/debug/*"}) || !slices.Equal(r.ExcludedNamespaces, []string{"kube-system"}) {
			t.Errorf("privileged exclusions: images %v, namespaces %v", r.ExcludedImages, r.ExcludedNamespaces)
		}
	})

	t.Run("parameters renamed exactly", func(t *testing.T) {
		for id, want := range map[string]string{
			"hostNetworkAndPorts":   `{"allowHostNetwork":false,"maxPort":9000,"minPort":80}`,
			"requiredLabels":        `{"keys":[{"allowedRegex":"^[a-zA-Z]+.agilebank.demo$","key":"owner"}],"kinds":["Namespace"]}`,
			"resourceLimits":        `{"maxMemory":"1Gi","resources":["memory"]}`,
			"allowedUsersAndGroups": `{"fsGroup":{"ranges":[{"max":200,"min":100}],"rule":"MayRunAs"},"runAsUser":{"ranges":[{"max":200,"min":100}],"rule":"MustRunAs"}}`,
			"hpaBounds":             `{"maximumReplicas":10,"minimumReplicaSpread":2,"minimumReplicas":2}`,
			"pssSeccompProfile":     `{"level":"restricted"}`,
		} {
			r := findRule(cw.Deployment, id)
			if r == nil || string(r.Properties) != want {
				t.Errorf("%s = %+v, want properties %s", id, r, want)
			}
		}
	})

	t.Run("match.namespaces become namespace definitions that repeat the cluster-wide rules", func(t *testing.T) {
		pay := namespacedFor(t, res.Policy, "payments")
		r := findRule(pay.Deployment, "replicaLimits")
		if r == nil || string(r.Properties) != `{"ranges":[{"maxReplicas":50,"minReplicas":3}]}` {
			t.Errorf("payments replicaLimits = %+v", r)
		}
		if findRule(cw.Deployment, "replicaLimits") != nil {
			t.Error("replicaLimits (limited to payments) found cluster-wide")
		}
		if findRule(pay.Deployment, "privileged") == nil {
			t.Error("payments lacks the cluster-wide privileged rule")
		}
		r = findRule(pay.Deployment, "allowedRegistries")
		if r == nil || string(r.Properties) != `{"regex":"^(docker\\.io/openpolicyagent/|gcr\\.io/acme/)"}` {
			t.Errorf("allowedRegistries = %+v", r)
		}
		def := namespacedFor(t, res.Policy, "default")
		if findRule(def.Deployment, "replicaLimits") != nil || findRule(def.Deployment, "allowedRegistries") == nil {
			t.Error("default: want allowedRegistries, not replicaLimits")
		}
	})

	t.Run("what is not carried over is listed", func(t *testing.T) {
		wantWarning(t, res, "library.yaml:102: spec.parameters.enforceScaleTargetRef: not carried over: Palisade judges each object alone and does not look up the scale target")
		wantWarning(t, res, "library.yaml:93: spec.parameters.allowedLocalhostFiles: not carried over: pssSeccompProfile accepts any Localhost profile file")
	})
}

func TestGatekeeperUnmapped(t *testing.T) {
	res := mustImportAll(t, "testdata/gatekeeper/unmapped.yaml")
	for _, w := range []string{
		"unmapped.yaml:15: kind: Gatekeeper K8sMyOwnTemplate custom: not a Gatekeeper library template Palisade knows: constraint not carried over",
		"unmapped.yaml:28: spec.match.labelSelector: not carried over: Palisade cannot express this match clause, so the rule applies more widely",
		`unmapped.yaml:27: spec.match.namespaces[0]: "kube-*" is not a namespace name (Palisade lists namespaces by exact name, without wildcards): not carried over`,
		"unmapped.yaml:41: spec.parameters.someFutureParameter: not carried over: no Palisade property matches this parameter",
	} {
		wantWarning(t, res, w)
	}
	if got := ruleIDs(res.Policy.Spec.ClusterWide.Deployment); !slices.Equal(got, []string{"allowedCapabilities"}) {
		t.Errorf("rules %v, want [allowedCapabilities]", got)
	}
}

func TestKyvernoMapping(t *testing.T) {
	res := mustImportAll(t, "testdata/kyverno/pod-security.yaml")
	cw := res.Policy.Spec.ClusterWide
	t.Run("validationFailureAction and per-rule failureAction", func(t *testing.T) {
		if r := findRule(cw.Deployment, "pssPrivileged"); r == nil || r.Action != policy.ActionBlock || !slices.Equal(r.ExcludedNamespaces, []string{"kube-system", "monitoring"}) {
			t.Errorf("pssPrivileged = %+v", r)
		}
		// spec says Audit, the rule's failureAction says Enforce.
		if r := findRule(cw.Deployment, "pssCapabilities"); r == nil || r.Action != policy.ActionBlock || string(r.Properties) != `{"level":"restricted"}` {
			t.Errorf("pssCapabilities = %+v", r)
		}
	})
	t.Run("parameters read from patterns", func(t *testing.T) {
		if r := findRule(cw.Deployment, "allowedRegistries"); r == nil || r.Action != policy.ActionLog || string(r.Properties) != `{"regex":"^(eu\\.foo\\.io/.*|bar\\.io/.*)$"}` {
			t.Errorf("allowedRegistries = %+v", r)
		}
		if r := findRule(cw.Deployment, "hostNetworkAndPorts"); r == nil || string(r.Properties) != `{"allowHostNetwork":true,"maxPort":6000,"minPort":5000}` {
			t.Errorf("hostNetworkAndPorts = %+v", r)
		}
		shop := namespacedFor(t, res.Policy, "shop")
		if r := findRule(shop.Deployment, "requiredLabels"); r == nil || string(r.Properties) != `{"keys":[{"key":"app.kubernetes.io/name"},{"allowedRegex":"^shop-.*$","key":"team"}]}` {
			t.Errorf("requiredLabels = %+v", r)
		}
	})
	t.Run("background false: no continuous rule", func(t *testing.T) {
		if findRule(cw.Continuous, "allowedRegistries") != nil {
			t.Error("restrict-image-registries has background: false, found in the continuous tab")
		}
	})
	t.Run("require-requests-limits", func(t *testing.T) {
		if r := findRule(cw.Deployment, "resourceRequests"); r == nil || string(r.Properties) != `{"resources":["cpu","memory"]}` {
			t.Errorf("resourceRequests = %+v", r)
		}
		if r := findRule(cw.Deployment, "resourceLimits"); r == nil || string(r.Properties) != `{"resources":["memory"]}` {
			t.Errorf("resourceLimits = %+v", r)
		}
	})
	t.Run("podSecurity subrule", func(t *testing.T) {
		prod := namespacedFor(t, res.Policy, "prod")
		if r := findRule(prod.Deployment, "podSecurityStandard"); r == nil || string(r.Properties) != `{"level":"restricted","version":"v1.29"}` {
			t.Errorf("podSecurityStandard = %+v", r)
		}
		wantWarning(t, res, "pod-security.yaml:154: spec.rules[0].validate.podSecurity.exclude: not carried over: podSecurityStandard has no per-control exclusions; enable the pss* rules of the controls you want instead")
	})
	wantWarning(t, res, "pod-security.yaml:174: metadata.name: Kyverno ClusterPolicy my-team-policy: not a Kyverno pod-security or best-practices policy Palisade knows (policies are recognised by name): policy not carried over")
}

func TestImportErrors(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"bad enforcementAction": {
			"apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sPSPPrivilegedContainer\nmetadata: {name: p}\nspec:\n  enforcementAction: kill\n",
			`x.yaml:5: spec.enforcementAction: Unsupported value: "kill"`,
		},
		"bad validationFailureAction": {
			"apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: restrict-seccomp}\nspec:\n  validationFailureAction: Block\n  rules: []\n",
			`x.yaml:5: spec.validationFailureAction: Unsupported value: "Block"`,
		},
		"parameter of the wrong type": {
			"apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\nmetadata: {name: r}\nspec:\n  parameters:\n    repos: docker.io\n",
			"x.yaml:6: spec.parameters.repos",
		},
		"unknown document among constraints": {
			"apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sImageDigests\nmetadata: {name: d}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
			`x.yaml:5: apiVersion: Unsupported value: "v1 ConfigMap"`,
		},
		"Trend Micro mixed with Gatekeeper": {
			policyHead + "  rules: [{type: privileged}]\n---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sImageDigests\nmetadata: {name: d}\n",
			"cannot be imported together",
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Import(Options{}, Source{Name: "x.yaml", Data: []byte(tc.in)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// Several files, Trend Micro alone, imports as before.
func TestImportTrendMicroThroughImport(t *testing.T) {
	data, err := os.ReadFile("testdata/sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(Options{}, Source{Name: "sample.yaml", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	want, err := TrendMicro("sample.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Warnings, res.Warnings); diff != "" {
		t.Errorf("warnings differ:\n%s", diff)
	}
	var verr *policy.ValidationError
	if _, err := Import(Options{}, Source{Name: "a.yaml", Data: data}, Source{Name: "b.yaml", Data: data}); !errors.As(err, &verr) {
		t.Errorf("two ClusterPolicies: error %v, want a validation error", err)
	}
}

// The allowedRegistries expressions the repository templates map to accept
// and refuse what the templates do, compared on normalised references as
// Palisade's rule compares them.
func TestAllowedReposRegex(t *testing.T) {
	res := mustImportAll(t, "testdata/gatekeeper/library.yaml")
	var regexes []string
	for _, r := range res.Policy.Spec.ClusterWide.Deployment.Rules {
		if r.Rule == "allowedRegistries" {
			var p struct{ Regex string }
			if err := json.Unmarshal(r.Properties, &p); err != nil {
				t.Fatal(err)
			}
			regexes = append(regexes, p.Regex)
		}
	}
	if len(regexes) != 1 {
		t.Fatalf("cluster-wide allowedRegistries: %v, want the K8sAllowedReposV2 one", regexes)
	}
	re := regexp.MustCompile(regexes[0])
	for img, want := range map[string]bool{
		"openpolicyagent/opa:0.9.2":   true,
		"myregistry.azurecr.io/nginx": true,
		"ubuntu":                      true,
		"ubuntu:20.04":                true,
		"ubuntu@sha256:26c68657ccce2cb0a31b330cb0be2b5e108d467f641c62e13ab40cbec258c68d": true,
		"123456789123.dkr.ecr.eu-west-1.amazonaws.com/postgres":                          true,
		"ubuntumalicious": false,
		"myregistry.azurecr.io.malicious.com/malicious-image":            false,
		"mydockerhubmalicious/python":                                    false,
		"123456789123.dkr.ecr.eu-west-1.amazonaws.com/postgresmalicious": false,
		"nginx": false,
	} {
		if got := re.MatchString(image.Parse(img).Path); got != want {
			t.Errorf("%s (%s): allowed %v, want %v", img, image.Parse(img).Path, got, want)
		}
	}
}

// An exclusion that names objects within namespaces is not widened into
// excluding the whole namespaces.
func TestKyvernoNarrowExclusion(t *testing.T) {
	in := `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: disallow-host-path}
spec:
  validationFailureAction: Enforce
  rules:
    - name: host-path
      match:
        any:
          - resources: {kinds: [Pod]}
      exclude:
        any:
          - resources:
              namespaces: [monitoring]
              names: [node-exporter-*]
          - resources:
              namespaces: [kube-system]
`
	res, err := Import(Options{}, Source{Name: "x.yaml", Data: []byte(in)})
	if err != nil {
		t.Fatal(err)
	}
	r := findRule(res.Policy.Spec.ClusterWide.Deployment, "pssHostPathVolumes")
	if r == nil || !slices.Equal(r.ExcludedNamespaces, []string{"kube-system"}) {
		t.Fatalf("pssHostPathVolumes = %+v, want excluded namespaces [kube-system]", r)
	}
	wantWarning(t, res, "x.yaml:14: spec.rules[0].exclude.any[0].resources.namespaces: not carried over: this exclusion is narrower than whole namespaces (an entry of \"all\", or it also names kinds, operations, names or selectors), and Palisade excludes only whole namespaces, so the rule applies there too")
	wantWarning(t, res, "x.yaml:15: spec.rules[0].exclude.any[0].resources.names: not carried over: Palisade cannot express this exclusion, so the rule applies there too")
}

// builtin is the built-in catalog.
func builtin(t *testing.T) policy.Catalog {
	t.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
