package admission

import (
	"context"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// At admission the referential rules compare the object as sent with the
// agent's inventory of the cluster; the object's own cached version (the
// one an UPDATE replaces) is never a conflict.
func TestReviewComparesWithTheInventory(t *testing.T) {
	c := compile(t, "unique", "\n  clusterWide:\n    deployment: {rules: [{rule: uniqueIngressHosts, action: block}]}\n")
	ingressKind := metav1.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}
	ingress := func(ns, name, host string) []byte {
		return toJSON(t, "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: "+name+", namespace: "+ns+"}\nspec: {rules: [{host: "+host+"}]}\n")
	}
	inv := rules.NewInventoryIndex()
	for _, raw := range [][]byte{ingress("shop", "web", "shop.example.com"), ingress("promo", "landing", "promo.example.com")} {
		obj, err := workload.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		inv.Add(obj, "")
	}
	for _, tc := range []struct {
		name    string
		inv     rules.Inventory
		req     *admissionv1.AdmissionRequest
		allowed bool
	}{
		{"a host another Ingress uses", inv,
			request(admissionv1.Create, ingressKind, "ingresses", "", "blog", "web", ingress("blog", "web", "shop.example.com"), nil), false},
		{"a free host", inv,
			request(admissionv1.Create, ingressKind, "ingresses", "", "blog", "web", ingress("blog", "web", "blog.example.com"), nil), true},
		{"an update of the Ingress that holds the host", inv,
			request(admissionv1.Update, ingressKind, "ingresses", "", "shop", "web", ingress("shop", "web", "shop.example.com"), ingress("shop", "web", "shop.example.com")), true},
		{"an update taking another Ingress's host", inv,
			request(admissionv1.Update, ingressKind, "ingresses", "", "shop", "web", ingress("shop", "web", "promo.example.com"), ingress("shop", "web", "shop.example.com")), false},
		{"no inventory", nil,
			request(admissionv1.Create, ingressKind, "ingresses", "", "blog", "web", ingress("blog", "web", "shop.example.com"), nil), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Options{Policy: func() *engine.Compiled { return c }, Inventory: tc.inv})
			out := r.Review(context.Background(), tc.req)
			if out.Response.Allowed != tc.allowed {
				t.Fatalf("allowed = %v, want %v: %+v", out.Response.Allowed, tc.allowed, out.Response.Result)
			}
			if !tc.allowed && !strings.Contains(out.Response.Result.Message, "uniqueIngressHosts") {
				t.Errorf("denial %q does not name the rule", out.Response.Result.Message)
			}
		})
	}
}
