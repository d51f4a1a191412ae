package clusterscan

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/enforce/segmentation"
)

// SegmentationPreview is what turning segmentation on would do to one
// namespace.
type SegmentationPreview struct {
	Namespace string
	// Allowed are the namespaces still allowed in, besides Namespace.
	Allowed []string
	// Managed is true when the namespace already has the managed
	// NetworkPolicy (nothing would change but its spec, if it differs).
	Managed bool
	// Losing are the pods no ingress NetworkPolicy selects today: they
	// accept traffic from anywhere and would accept it only from the
	// namespace and Allowed. Already restricted pods only gain.
	Losing []PodLoss
}

// PodLoss is a pod that would lose ingress.
type PodLoss struct {
	Pod string
	// Exposed are the Services exposing the pod outside the cluster
	// ("web (LoadBalancer)"): their outside traffic reaches the pod from
	// no namespace and would be cut.
	Exposed []string
}

// PreviewSegmentation tells, for every namespace (or only namespace) that
// p's segmentation option covers, which pods would lose which traffic.
// skip are the namespaces the agent never segments.
func PreviewSegmentation(ctx context.Context, client kubernetes.Interface, p *policy.Policy, namespace string, skip []string) ([]SegmentationPreview, error) {
	var names []string
	if namespace != "" {
		names = []string{namespace}
	} else {
		list, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list namespaces: %w", err)
		}
		for _, ns := range list.Items {
			names = append(names, ns.Name)
		}
		slices.Sort(names)
	}
	var out []SegmentationPreview
	for _, ns := range names {
		want := segmentation.Desired(p, ns, skip)
		if want == nil {
			continue
		}
		pv, err := previewNamespace(ctx, client, ns, want)
		if err != nil {
			return out, err
		}
		out = append(out, pv)
	}
	return out, nil
}

func previewNamespace(ctx context.Context, client kubernetes.Interface, ns string, want *networkingv1.NetworkPolicy) (SegmentationPreview, error) {
	pv := SegmentationPreview{Namespace: ns}
	for _, peer := range want.Spec.Ingress[0].From {
		if peer.NamespaceSelector != nil {
			pv.Allowed = append(pv.Allowed, peer.NamespaceSelector.MatchExpressions[0].Values...)
		}
	}
	nps, err := client.NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return pv, fmt.Errorf("list the NetworkPolicies of %s: %w", ns, err)
	}
	var ingress []labels.Selector
	for i := range nps.Items {
		np := &nps.Items[i]
		if np.Name == policy.SegmentationPolicyName && np.Labels[segmentation.ManagedLabel] != "" {
			pv.Managed = true
			continue
		}
		if !restrictsIngress(np) {
			continue
		}
		if sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector); err == nil {
			ingress = append(ingress, sel)
		}
	}
	pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return pv, fmt.Errorf("list the pods of %s: %w", ns, err)
	}
	svcs, err := client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return pv, fmt.Errorf("list the Services of %s: %w", ns, err)
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue
		}
		set := labels.Set(pod.Labels)
		if slices.ContainsFunc(ingress, func(s labels.Selector) bool { return s.Matches(set) }) {
			continue // already restricted: segmentation only adds allowances
		}
		loss := PodLoss{Pod: pod.Name}
		for _, svc := range svcs.Items {
			if exposed(&svc) && len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(set) {
				loss.Exposed = append(loss.Exposed, svc.Name+" ("+exposure(&svc)+")")
			}
		}
		pv.Losing = append(pv.Losing, loss)
	}
	return pv, nil
}

// restrictsIngress reports whether a NetworkPolicy isolates the pods it
// selects for ingress: Ingress among its policyTypes, which Kubernetes
// assumes when they are not given.
func restrictsIngress(np *networkingv1.NetworkPolicy) bool {
	return len(np.Spec.PolicyTypes) == 0 || slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
}

// exposed reports whether a Service brings traffic from outside the
// cluster.
func exposed(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer || len(svc.Spec.ExternalIPs) > 0
}

func exposure(svc *corev1.Service) string {
	if len(svc.Spec.ExternalIPs) > 0 && svc.Spec.Type == corev1.ServiceTypeClusterIP {
		return "externalIPs"
	}
	return string(svc.Spec.Type)
}

// WritePreview prints previews for people.
func WritePreview(w io.Writer, previews []SegmentationPreview) error {
	var b strings.Builder
	if len(previews) == 0 {
		b.WriteString("No namespace is covered by the policy's segmentation option: nothing would change.\n")
	}
	for _, pv := range previews {
		from := "pods of " + pv.Namespace
		if len(pv.Allowed) > 0 {
			from += " and of namespaces " + strings.Join(pv.Allowed, ", ")
		}
		state := "would get NetworkPolicy " + policy.SegmentationPolicyName
		if pv.Managed {
			state = "already has NetworkPolicy " + policy.SegmentationPolicyName
		}
		fmt.Fprintf(&b, "namespace %s: %s (ingress only from %s)\n", pv.Namespace, state, from)
		if pv.Managed {
			continue // the traffic is already cut
		}
		if len(pv.Losing) == 0 {
			b.WriteString("  no pod loses traffic: every pod is already selected by an ingress NetworkPolicy\n")
		}
		for _, l := range pv.Losing {
			fmt.Fprintf(&b, "  pod %s loses ingress from every other namespace and from outside the cluster", l.Pod)
			if len(l.Exposed) > 0 {
				fmt.Fprintf(&b, "; exposed by Service %s, whose outside traffic would be cut", strings.Join(l.Exposed, ", "))
			}
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
