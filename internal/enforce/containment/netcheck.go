package containment

import (
	"context"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// NetworkPolicyEnforcement is what can be told, from outside the network
// plugin, about whether NetworkPolicy objects take effect.
type NetworkPolicyEnforcement struct {
	// Known is false when no known network plugin was found.
	Known bool
	// Enforced is meaningful when Known.
	Enforced bool
	// Plugin names the DaemonSet the verdict comes from.
	Plugin string
}

// Network plugins recognised by their DaemonSet's name in kube-system.
var (
	enforcingPlugins    = []string{"calico-node", "cilium", "antrea-agent", "weave-net", "kube-router", "canal", "kube-ovn-cni"}
	nonEnforcingPlugins = []string{"kube-flannel-ds", "flannel"}
)

// CheckNetworkPolicy looks for the cluster's network plugin among
// kube-system's DaemonSets. Isolation relies on NetworkPolicy: with a
// plugin that ignores it, an "isolated" pod still reaches everything.
func CheckNetworkPolicy(ctx context.Context, client kubernetes.Interface) (NetworkPolicyEnforcement, error) {
	list, err := client.AppsV1().DaemonSets("kube-system").List(ctx, metav1.ListOptions{})
	if err != nil {
		return NetworkPolicyEnforcement{}, err
	}
	var flannel string
	for _, ds := range list.Items {
		for _, p := range enforcingPlugins {
			if strings.HasPrefix(ds.Name, p) {
				return NetworkPolicyEnforcement{Known: true, Enforced: true, Plugin: ds.Name}, nil
			}
		}
		for _, p := range nonEnforcingPlugins {
			if strings.HasPrefix(ds.Name, p) {
				flannel = ds.Name
			}
		}
	}
	if flannel != "" {
		return NetworkPolicyEnforcement{Known: true, Enforced: false, Plugin: flannel}, nil
	}
	return NetworkPolicyEnforcement{}, nil
}
