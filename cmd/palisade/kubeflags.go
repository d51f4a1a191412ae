package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
)

// kubeFlags are kubectl's connection flags (--kubeconfig, --context, --as,
// --as-group and, where a command reads namespaces, -n/--namespace),
// through cli-runtime's ConfigFlags, so that the kubeconfig is found as
// kubectl finds it: --kubeconfig, else $KUBECONFIG, else ~/.kube/config,
// else the in-cluster service account.
type kubeFlags struct {
	*genericclioptions.ConfigFlags
	userAgent string
}

// kubeFlagOptions say which of kubectl's flags a command takes and how its
// help reads.
type kubeFlagOptions struct {
	// prefix starts every flag's help ("with --cluster: ", "continuous: ").
	prefix string
	// namespace registers -n/--namespace with this help ("" for none).
	namespace string
	userAgent string
}

func addKubeFlags(cmd *cobra.Command, o kubeFlagOptions) *kubeFlags {
	str := func() *string { s := ""; return &s }
	cf := &genericclioptions.ConfigFlags{KubeConfig: str(), Context: str(), Impersonate: str(), ImpersonateGroup: &[]string{}}
	if o.namespace != "" {
		cf.Namespace = str()
	}
	k := &kubeFlags{ConfigFlags: cf, userAgent: o.userAgent}
	cf.WrapConfigFn = func(c *rest.Config) *rest.Config {
		c.UserAgent = k.userAgent
		return c
	}
	f := cmd.Flags()
	cf.AddFlags(f)
	for name, usage := range map[string]string{
		"kubeconfig": "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)",
		"context":    "kubeconfig context (default: the current context)",
		"as":         "user to impersonate, as kubectl --as (a user or system:serviceaccount:NAMESPACE:NAME)",
		"as-group":   "group to impersonate, with --as (repeatable)",
		"namespace":  o.namespace,
	} {
		if fl := f.Lookup(name); fl != nil {
			fl.Usage = o.prefix + usage
		}
	}
	must(cmd.MarkFlagFilename("kubeconfig"))
	must(cmd.RegisterFlagCompletionFunc("context", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		raw, err := k.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]string, 0, len(raw.Contexts))
		for n := range raw.Contexts {
			names = append(names, n)
		}
		slices.Sort(names)
		return names, cobra.ShellCompDirectiveNoFileComp
	}))
	return k
}

// names are kubeFlags' flag names, for "needs --cluster" checks.
func (k *kubeFlags) names() []string {
	n := []string{"kubeconfig", "context", "as", "as-group"}
	if k.Namespace != nil {
		n = append(n, "namespace")
	}
	return n
}

// restConfig loads the client configuration and names the context it
// came from ("in-cluster" without a kubeconfig).
func (k *kubeFlags) restConfig() (*rest.Config, string, error) {
	cfg, err := k.ToRESTConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	name := *k.Context
	if name == "" {
		if raw, err := k.ToRawKubeConfigLoader().RawConfig(); err == nil && raw.CurrentContext != "" {
			name = raw.CurrentContext
		} else {
			name = "in-cluster"
		}
	}
	return cfg, name, nil
}

// errNoKubeconfig is what ToRESTConfig says where kubectl would dial
// localhost:8080.
var errNoKubeconfig = errors.New("no configuration has been provided (--kubeconfig, $KUBECONFIG or ~/.kube/config) and this is not a pod")

// ToRESTConfig is ConfigFlags', except that no kubeconfig at all, outside
// a pod, is an error (as client-go's loading rules say) instead of
// kubectl's last resort, an API server on localhost:8080.
func (k *kubeFlags) ToRESTConfig() (*rest.Config, error) {
	cfg, err := k.ConfigFlags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	if raw, err := k.ToRawKubeConfigLoader().RawConfig(); err == nil && len(raw.Clusters) == 0 {
		if _, err := rest.InClusterConfig(); err != nil {
			return nil, errNoKubeconfig
		}
	}
	return cfg, nil
}

// contextNamespace is the namespace kubectl would use without -n: the
// kubeconfig context's, else the service account's in a pod, else
// "default".
func (k *kubeFlags) contextNamespace() (string, error) {
	ns, _, err := k.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("kubeconfig: %w", err)
	}
	if ns == "" {
		return "", errors.New("kubeconfig: no namespace")
	}
	return ns, nil
}
