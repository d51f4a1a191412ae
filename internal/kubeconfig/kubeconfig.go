// Package kubeconfig finds the Kubernetes API the way kubectl does: an
// explicit file, else $KUBECONFIG or ~/.kube/config, else (client-go's
// deferred loading) the in-cluster service account.
package kubeconfig

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Load returns the client configuration from path ("" for kubectl's
// loading rules) and context ("" for the current one), with the name of the
// context used ("in-cluster" when there is no kubeconfig).
func Load(path, context string) (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	kc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: context})
	cfg, err := kc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.UserAgent = "palisade"
	name := context
	if name == "" {
		if raw, err := kc.RawConfig(); err == nil && raw.CurrentContext != "" {
			name = raw.CurrentContext
		} else {
			name = "in-cluster"
		}
	}
	return cfg, name, nil
}
