package importer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// FuzzTrendMicro checks that no input makes the importer panic, that it
// fails only with located errors, and that whatever it accepts renders to
// a structurally valid Palisade policy file (or refuses to render it).
func FuzzTrendMicro(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/*.yaml")
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.yaml") {
			continue
		}
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		policyHead + "  rules: [{type: privileged, namespaces: [a, b]}, {type: privileged, action: block, namespaces: [b]}]\n  exceptions: [{type: imageTag, properties: {operator: equals, values: [x]}, namespaces: [b, c]}]\n",
		policyHead + "  rules: [{type: hostPID, action: log, mitigation: isolate}, 5, {properties: 3}]\n",
		rulesetHead + "  labels: {app: web}\n  rules: {log: [A], isolate: [B, A], terminate: [C]}\n",
		rulesetHead + "  definition: {labels: [{key: app, value: web}], rules: [{ruleID: A, mitigation: terminate}]}\n",
		`{"apiVersion": "container-security.trendmicro.com/v1alpha1", "kind": "ClusterPolicy", "metadata": {"name": "j"}, "spec": {"rules": [{"type": "podExec", "action": "block"}]}}`,
		"[]", "---\n---\n", "null", "apiVersion: 1\nkind: [a]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := TrendMicro("fuzz.yaml", data)
		if err != nil {
			var verr *policy.ValidationError
			var derr *document.Error
			if !errors.As(err, &verr) && !errors.As(err, &derr) {
				t.Fatalf("unlocated error %T: %v", err, err)
			}
			return
		}
		if res.Policy == nil {
			t.Fatal("no policy and no error")
		}
		out, err := res.YAML()
		if err != nil {
			// YAML() refuses output that would not read back unchanged.
			if !strings.Contains(err.Error(), "does not read back unchanged") {
				t.Fatalf("render: %v", err)
			}
			return
		}
		if _, err := policy.Load("imported.yaml", out, nil); err != nil {
			t.Fatalf("imported policy does not load: %v\n%s", err, out)
		}
	})
}

// fuzzForeign is FuzzGatekeeper's and FuzzKyverno's body: no panic, only
// located errors, and accepted input renders to a loadable policy.
func fuzzForeign(f *testing.F, dir string, seeds []string) {
	inputs, _ := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.yaml") {
			continue
		}
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Import(Options{Continuous: func(string) bool { return true }}, Source{Name: "fuzz.yaml", Data: data})
		if err != nil {
			var verr *policy.ValidationError
			var derr *document.Error
			if !errors.As(err, &verr) && !errors.As(err, &derr) {
				t.Fatalf("unlocated error %T: %v", err, err)
			}
			return
		}
		if res.Policy == nil {
			t.Fatal("no policy and no error")
		}
		out, err := res.YAML()
		if err != nil {
			if !strings.Contains(err.Error(), "does not read back unchanged") {
				t.Fatalf("render: %v", err)
			}
			return
		}
		if _, err := policy.Load("imported.yaml", out, nil); err != nil {
			t.Fatalf("imported policy does not load: %v\n%s", err, out)
		}
	})
}

func FuzzGatekeeper(f *testing.F) {
	const head = "apiVersion: constraints.gatekeeper.sh/v1beta1\n"
	fuzzForeign(f, "gatekeeper", []string{
		head + "kind: K8sReplicaLimits\nmetadata: {name: r}\nspec: {parameters: {ranges: [{min_replicas: 1}, 3]}}\n",
		head + "kind: K8sHorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {parameters: {ranges: [{max_replicas: 1}, {min_replicas: 9}]}}\n",
		head + "kind: K8sContainerLimits\nmetadata: {name: l}\nspec: {match: {namespaces: [a, B, a]}, parameters: {cpu: 1, exemptImages: ['*x*']}}\n",
		head + "kind: K8sPSPSeccompV2\nmetadata: {name: s}\nspec: {enforcementAction: scoped, scopedEnforcementActions: [], parameters: 5}\n",
		head + "kind: VerifyDeprecatedAPI\nmetadata: {name: v}\nspec: {parameters: {k8sVersion: 1.26, kvs: []}}\n",
	})
}

func FuzzKyverno(f *testing.F) {
	const head = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\n"
	fuzzForeign(f, "kyverno", []string{
		head + "metadata: {name: restrict-image-registries}\nspec: {rules: [{validate: {pattern: {spec: {containers: [{image: '*'}]}}}}]}\n",
		head + "metadata: {name: require-labels}\nspec: {rules: [{validate: {pattern: {metadata: {labels: {'a': 7}}}}}]}\n",
		head + "metadata: {name: disallow-host-ports-range}\nspec: {rules: [{match: {resources: {namespaces: [x]}}, exclude: {all: [{subjects: []}]}, validate: {deny: '1-2'}}]}\n",
		head + "metadata: {name: x}\nspec: {rules: [{validate: {podSecurity: {level: restricted, exclude: [{}]}}}, 3]}\n",
		"apiVersion: kyverno.io/v1\nkind: Policy\nmetadata: {name: restrict-seccomp}\nspec: {validationFailureAction: enforce}\n",
	})
}
