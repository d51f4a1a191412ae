package clusterscan

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/enforce/scan"
)

// A cluster audit compares each object with the listed objects of the
// kinds the referential rules read.
func TestAuditReadsTheInventory(t *testing.T) {
	ingress := func(ns, name string) *networkingv1.Ingress {
		return &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "shop.example.com"}}}}
	}
	one := int32(1)
	minAvailable := intstr.FromInt32(1)
	deploy := &appsv1.Deployment{ObjectMeta: om("web", "d-1", ""), Spec: appsv1.DeploymentSpec{Replicas: &one,
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}}}
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: om("web", "pdb-1", ""), Spec: policyv1.PodDisruptionBudgetSpec{
		MinAvailable: &minAvailable, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	client := fake.NewClientset(ingress("shop", "web"), ingress("promo", "landing"), deploy, pdb)

	var out bytes.Buffer
	stream, err := scan.NewStream(scan.NewJSONWriter(&out, nil), "deployment")
	if err != nil {
		t.Fatal(err)
	}
	spec := `  clusterWide:
    deployment:
      rules:
        - {rule: uniqueIngressHosts, action: log}
        - {rule: podDisruptionBudget, action: log}`
	if err := Audit(context.Background(), &Lister{Client: client}, Options{
		Policy: compile(t, spec), Tab: policy.TabDeployment, Context: "kind-dev", Report: stream,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.End(); err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, r := range rep.Results {
		for _, v := range r.Violations {
			got[r.Kind+"/"+r.Namespace+"/"+r.Name] = append(got[r.Kind+"/"+r.Namespace+"/"+r.Name], v.Rule)
		}
	}
	want := map[string][]string{
		"Ingress/shop/web":      {"uniqueIngressHosts"},
		"Ingress/promo/landing": {"uniqueIngressHosts"},
		"Deployment/prod/web":   {"podDisruptionBudget"},
	}
	if diff := cmp.Diff(want, got); diff != "" || len(rep.Errors) != 0 {
		t.Errorf("findings (-want +got):\n%s\nerrors: %v", diff, rep.Errors)
	}
}
