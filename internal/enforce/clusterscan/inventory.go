package clusterscan

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/core/rules"
)

// Inventory lists, in the audited namespaces, the objects of the kinds the
// policy's referential rules read (uniqueIngressHosts,
// uniqueServiceSelectors, podDisruptionBudget), so that each audited
// object is compared with them. The index holds what could be listed; the
// error says what could not (those rules then miss it).
func (l *Lister) Inventory(ctx context.Context, kinds rules.InventoryKinds) (*rules.InventoryIndex, *ListError) {
	idx := rules.NewInventoryIndex()
	var failed []error
	each := func(what string, list func(metav1.ListOptions) (string, error)) {
		if err := l.eachPage(list); err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", what, err))
		}
	}
	ns := l.Namespace
	if kinds&rules.InventoryIngresses != 0 {
		each("Ingresses", func(o metav1.ListOptions) (string, error) {
			list, err := l.Client.NetworkingV1().Ingresses(ns).List(ctx, o)
			if err != nil {
				return "", err
			}
			for i := range list.Items {
				idx.AddIngress(&list.Items[i])
			}
			return list.Continue, nil
		})
	}
	if kinds&rules.InventoryServices != 0 {
		each("Services", func(o metav1.ListOptions) (string, error) {
			list, err := l.Client.CoreV1().Services(ns).List(ctx, o)
			if err != nil {
				return "", err
			}
			for i := range list.Items {
				idx.AddService(&list.Items[i])
			}
			return list.Continue, nil
		})
	}
	if kinds&rules.InventoryPodDisruptionBudgets != 0 {
		each("PodDisruptionBudgets", func(o metav1.ListOptions) (string, error) {
			list, err := l.Client.PolicyV1().PodDisruptionBudgets(ns).List(ctx, o)
			if err != nil {
				return "", err
			}
			for i := range list.Items {
				idx.AddPodDisruptionBudget(&list.Items[i])
			}
			return list.Continue, nil
		})
	}
	if kinds&rules.InventoryWorkloads != 0 {
		add := func(kind string, m *metav1.ObjectMeta, replicas *int32, tmpl *corev1.PodTemplateSpec) {
			if tmpl != nil && metav1.GetControllerOfNoCopy(m) == nil {
				idx.AddWorkload(rules.Workload{Kind: kind, Namespace: m.Namespace, Name: m.Name, Replicas: replicas, Labels: tmpl.Labels})
			}
		}
		each("Deployments", func(o metav1.ListOptions) (string, error) {
			list, err := l.Client.AppsV1().Deployments(ns).List(ctx, o)
			if err != nil {
				return "", err
			}
			for i := range list.Items {
				d := &list.Items[i]
				add("Deployment", &d.ObjectMeta, d.Spec.Replicas, &d.Spec.Template)
			}
			return list.Continue, nil
		})
		each("StatefulSets", func(o metav1.ListOptions) (string, error) {
			list, err := l.Client.AppsV1().StatefulSets(ns).List(ctx, o)
			if err != nil {
				return "", err
			}
			for i := range list.Items {
				s := &list.Items[i]
				add("StatefulSet", &s.ObjectMeta, s.Spec.Replicas, &s.Spec.Template)
			}
			return list.Continue, nil
		})
		each("ReplicaSets", func(o metav1.ListOptions) (string, error) {
			list, err := l.Client.AppsV1().ReplicaSets(ns).List(ctx, o)
			if err != nil {
				return "", err
			}
			for i := range list.Items {
				r := &list.Items[i]
				add("ReplicaSet", &r.ObjectMeta, r.Spec.Replicas, &r.Spec.Template)
			}
			return list.Continue, nil
		})
		each("ReplicationControllers", func(o metav1.ListOptions) (string, error) {
			list, err := l.Client.CoreV1().ReplicationControllers(ns).List(ctx, o)
			if err != nil {
				return "", err
			}
			for i := range list.Items {
				r := &list.Items[i]
				add("ReplicationController", &r.ObjectMeta, r.Spec.Replicas, r.Spec.Template)
			}
			return list.Continue, nil
		})
	}
	if len(failed) > 0 {
		return idx, &ListError{Kind: "inventory", Err: fmt.Errorf("the referential rules miss what could not be listed: %w", errors.Join(failed...))}
	}
	return idx, nil
}
