package rules

import (
	"errors"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// namespacePolicies holds NetworkPolicies by namespace, as a lister does.
type namespacePolicies map[string][]*networkingv1.NetworkPolicy

func (n namespacePolicies) NetworkPolicies(ns string) ([]*networkingv1.NetworkPolicy, error) {
	if ns == "broken" {
		return nil, errors.New("forbidden")
	}
	return n[ns], nil
}

func networkPolicy(t *testing.T, manifest string) *networkingv1.NetworkPolicy {
	t.Helper()
	var np networkingv1.NetworkPolicy
	if err := yaml.UnmarshalStrict([]byte(manifest), &np); err != nil {
		t.Fatal(err)
	}
	return &np
}

func TestNetworkPolicyCoverage(t *testing.T) {
	nps := namespacePolicies{
		"shop": {
			networkPolicy(t, `{metadata: {name: web}, spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress]}}`),
			networkPolicy(t, `{metadata: {name: db}, spec: {podSelector: {matchExpressions: [{key: tier, operator: In, values: [db, cache]}]}}}`),
		},
		"locked": {networkPolicy(t, `{metadata: {name: default-deny}, spec: {podSelector: {}, policyTypes: [Ingress, Egress]}}`)},
	}
	check := seed001Check(t, "networkPolicyCoverage", "")
	run := func(ns, manifest string, lookup NetworkPolicies) []Finding {
		in := seed001Input(seed001Object(t, manifest), ns)
		in.NetworkPolicies = lookup
		return check(in)
	}
	pod := func(labels string) string {
		return `{apiVersion: v1, kind: Pod, metadata: {name: p, labels: ` + labels + `}, spec: {containers: [{name: c, image: redis}]}}`
	}
	cases := []struct {
		name, ns, manifest string
		lookup             NetworkPolicies
		want               []Finding
	}{
		{"selected by matchLabels", "shop", pod(`{app: web}`), nps, nil},
		{"selected by matchExpressions", "shop", pod(`{tier: cache}`), nps, nil},
		{"selected by an empty podSelector", "locked", pod(`{}`), nps, nil},
		{"not selected", "shop", pod(`{app: batch}`), nps, []Finding{{Where: "pod", Value: "p", Field: "metadata.labels",
			Detail: "no NetworkPolicy in namespace shop selects it (the namespace has 2, for other pods)"}}},
		{"a namespace without NetworkPolicies", "empty", pod(`{app: web}`), nps, []Finding{{Where: "pod", Value: "p", Field: "metadata.labels",
			Detail: "no NetworkPolicy in namespace empty selects it (the namespace has none): it accepts traffic from anywhere"}}},
		{"a Deployment's template", "shop",
			`{apiVersion: apps/v1, kind: Deployment, metadata: {name: batch, labels: {app: web}}, spec: {selector: {matchLabels: {app: batch}}, template: {metadata: {labels: {app: batch}}, spec: {containers: [{name: c, image: redis}]}}}}`,
			nps, []Finding{{Where: "pod", Value: "batch", Field: "spec.template.metadata.labels",
				Detail: "no NetworkPolicy in namespace shop selects it (the namespace has 2, for other pods)"}}},
		{"NetworkPolicies not known (admission, offline scan)", "shop", pod(`{app: batch}`), nil, nil},
		{"NetworkPolicies unreadable", "broken", pod(`{app: batch}`), nps, []Finding{{Where: "pod", Value: "p", Field: "metadata.labels",
			Detail: "the NetworkPolicies of namespace broken could not be read: forbidden"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := seed001Diff(tc.want, run(tc.ns, tc.manifest, tc.lookup)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
