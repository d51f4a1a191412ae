package agent

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/palisade-dev/palisade/internal/core/rules"
)

func meta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}"}}
}

func inventoryObjects() []runtime.Object {
	replicas := int32(2)
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}
	owned := meta("shop", "web-5d9f")
	owned.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "u", Controller: ptrTo(true)}}
	one := intstr.FromInt32(1)
	return []runtime.Object{
		&networkingv1.Ingress{ObjectMeta: meta("shop", "web"), Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "shop.example.com"}}}},
		&networkingv1.Ingress{ObjectMeta: meta("promo", "landing"), Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "shop.example.com"}}}},
		&corev1.Service{ObjectMeta: meta("shop", "web"), Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}},
		&policyv1.PodDisruptionBudget{ObjectMeta: meta("shop", "web"), Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &one,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
		&appsv1.Deployment{ObjectMeta: meta("shop", "web"), Spec: appsv1.DeploymentSpec{Replicas: &replicas, Template: tmpl}},
		&appsv1.ReplicaSet{ObjectMeta: owned, Spec: appsv1.ReplicaSetSpec{Replicas: &replicas, Template: tmpl}},
		&appsv1.StatefulSet{ObjectMeta: meta("shop", "db"), Spec: appsv1.StatefulSetSpec{Template: tmpl}},
		&corev1.ReplicationController{ObjectMeta: meta("shop", "old"), Spec: corev1.ReplicationControllerSpec{Template: &tmpl}},
	}
}

func ptrTo[T any](v T) *T { return &v }

// watched is the resources the fake client was asked to list.
func watched(client *fake.Clientset) []string {
	var out []string
	for _, a := range client.Actions() {
		if a.GetVerb() == "list" {
			out = append(out, a.GetResource().Resource)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestClusterInventoryListsWhatThePolicyReads(t *testing.T) {
	client := fake.NewClientset(inventoryObjects()...)
	inv := newClusterInventory(func() (kubernetes.Interface, error) { return client, nil }, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	if got := inv.Ingresses(); got != nil {
		t.Fatalf("before any policy needs them, Ingresses = %v", got)
	}
	inv.watch(ctx, rules.InventoryIngresses)
	waitFor(t, func() bool { return len(inv.Ingresses()) == 2 }, "the Ingresses")
	if got, want := watched(client), []string{"ingresses"}; !slices.Equal(got, want) {
		t.Errorf("a policy reading Ingresses only: listed %v, want %v", got, want)
	}
	if got := inv.Services("shop"); got != nil {
		t.Errorf("Services are not watched yet, got %v", got)
	}
	for _, ing := range inv.Ingresses() {
		if len(ing.Annotations) != 0 {
			t.Errorf("Ingress %s/%s kept its annotations", ing.Namespace, ing.Name)
		}
	}

	all := rules.InventoryIngresses | rules.InventoryServices | rules.InventoryPodDisruptionBudgets | rules.InventoryWorkloads
	inv.watch(ctx, all)
	// The ReplicaSet is owned, so no count shows its informer has listed:
	// wait for the list itself.
	want := []string{"deployments", "ingresses", "poddisruptionbudgets", "replicasets", "replicationcontrollers", "services", "statefulsets"}
	waitFor(t, func() bool {
		return len(inv.Services("shop")) == 1 && len(inv.PodDisruptionBudgets("shop")) == 1 && len(inv.Workloads("shop")) == 3 &&
			len(watched(client)) >= len(want)
	}, "the Services, PodDisruptionBudgets and workloads")
	if got := watched(client); !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
	var names []string
	for _, w := range inv.Workloads("shop") {
		names = append(names, w.Kind+"/"+w.Name+"/"+w.Labels["app"])
	}
	slices.Sort(names)
	// The Deployment's ReplicaSet is judged through the Deployment.
	if want := []string{"Deployment/web/web", "ReplicationController/old/web", "StatefulSet/db/web"}; !slices.Equal(names, want) {
		t.Errorf("Workloads(shop) = %v, want %v", names, want)
	}
	if got := inv.Workloads("promo"); len(got) != 0 {
		t.Errorf("Workloads(promo) = %v, want none", got)
	}
	before := len(client.Actions())
	inv.watch(ctx, all)
	if len(client.Actions()) != before {
		t.Error("watching kinds already watched started new informers")
	}
}
