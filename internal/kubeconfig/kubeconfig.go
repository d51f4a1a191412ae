// Package kubeconfig finds the Kubernetes API the way kubectl does: an
// explicit file, else $KUBECONFIG or ~/.kube/config, else the in-cluster
// service account.
package kubeconfig

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Load returns the client configuration from path ("" for kubectl's
// loading rules, falling back to in-cluster).
func Load(path string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if path != "" {
		rules.ExplicitPath = path
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		if path == "" {
			if ic, icErr := rest.InClusterConfig(); icErr == nil {
				return ic, nil
			}
		}
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.UserAgent = "palisade"
	return cfg, nil
}
