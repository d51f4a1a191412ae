package segmentation

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/core/policy"
)

func testPolicy(t *testing.T, spec string) *policy.Policy {
	t.Helper()
	var p policy.Policy
	if err := yaml.UnmarshalStrict([]byte("apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: seg}\nspec:\n"+spec), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// allowed summarises a desired NetworkPolicy: "-" for none, else the
// namespaces allowed besides its own.
func allowed(np *networkingv1.NetworkPolicy) []string {
	if np == nil {
		return []string{"-"}
	}
	out := []string{}
	for _, peer := range np.Spec.Ingress[0].From {
		if peer.NamespaceSelector != nil {
			out = append(out, peer.NamespaceSelector.MatchExpressions[0].Values...)
		}
	}
	return out
}

func TestDesired(t *testing.T) {
	p := testPolicy(t, `
  clusterWide:
    segmentation: {enabled: true, allowFromNamespaces: [monitoring, ingress-nginx, monitoring]}
  namespaced:
  - name: legacy
    namespaces: [legacy]
    deployment: {rules: [{rule: privileged, action: block}]}
  - name: opted-out
    namespaces: [lab]
    segmentation: {enabled: false}
  - name: system-too
    namespaces: [kube-system]
    segmentation: {enabled: true}
`)
	cases := map[string][]string{
		"shop":        {"ingress-nginx", "monitoring"}, // sorted, once
		"monitoring":  {"ingress-nginx"},               // not itself
		"legacy":      {"-"},                           // a namespace definition without segmentation replaces clusterWide
		"lab":         {"-"},
		"kube-system": {},    // listed explicitly: segmented, same namespace only
		"palisade":    {"-"}, // skipped (the agent's own)
	}
	for ns, want := range cases {
		if got := allowed(Desired(p, ns, []string{"palisade"})); !cmp.Equal(got, want) {
			t.Errorf("%s: allowed %v, want %v", ns, got, want)
		}
	}
	if Desired(testPolicy(t, "  clusterWide: {}\n"), "shop", nil) != nil || Desired(nil, "shop", nil) != nil {
		t.Error("segmentation without the option")
	}
	if Desired(p, "palisade-system", nil) != nil {
		t.Error("a system namespace no definition lists is segmented")
	}

	np := Desired(p, "shop", nil)
	if np.Name != policy.SegmentationPolicyName || np.Namespace != "shop" || np.Labels[ManagedLabel] != managedValue ||
		len(np.Spec.PodSelector.MatchLabels)+len(np.Spec.PodSelector.MatchExpressions) != 0 ||
		!cmp.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) ||
		np.Spec.Ingress[0].From[0].PodSelector == nil || np.Spec.Ingress[0].From[0].NamespaceSelector != nil {
		t.Errorf("NetworkPolicy %+v", np)
	}
	if got, want := describe(np), "ingress to every pod only from the same namespace and from namespaces ingress-nginx, monitoring"; got != want {
		t.Errorf("describe = %q, want %q", got, want)
	}
}
