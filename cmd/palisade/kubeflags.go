package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// kubeFlags are kubectl's connection flags (--kubeconfig, --context, --as,
// --as-group and, where a command reads namespaces, -n/--namespace), bound
// to client-go's clientcmd loading rules and overrides as kubectl binds them,
// so that the kubeconfig is found as kubectl finds it: --kubeconfig, else
// $KUBECONFIG, else ~/.kube/config, else the in-cluster service account.
//
// They are what cli-runtime's ConfigFlags registers and builds, without
// linking cli-runtime: its package also links kustomize, whose plugin
// loader imports the standard library's plugin package, and that alone
// made the binary 40 MB larger (every exported method kept, a dynamic
// symbol table; docs/performance.md).
type kubeFlags struct {
	KubeConfig, Context, Impersonate *string
	ImpersonateGroup                 *[]string
	// Namespace is nil when the command takes no -n.
	Namespace *string
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
	k := &kubeFlags{KubeConfig: str(), Context: str(), Impersonate: str(), ImpersonateGroup: &[]string{}, userAgent: o.userAgent}
	f := cmd.Flags()
	f.StringVar(k.KubeConfig, "kubeconfig", "", o.prefix+"kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)")
	f.StringVar(k.Context, "context", "", o.prefix+"kubeconfig context (default: the current context)")
	f.StringVar(k.Impersonate, "as", "", o.prefix+"user to impersonate, as kubectl --as (a user or system:serviceaccount:NAMESPACE:NAME)")
	f.StringArrayVar(k.ImpersonateGroup, "as-group", nil, o.prefix+"group to impersonate, with --as (repeatable)")
	if o.namespace != "" {
		k.Namespace = str()
		f.StringVarP(k.Namespace, "namespace", "n", "", o.prefix+o.namespace)
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

// ToRawKubeConfigLoader is the client configuration the flags select:
// client-go's default loading rules with --kubeconfig as the explicit path,
// and the context, namespace and impersonation overridden.
func (k *kubeFlags) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = *k.KubeConfig
	overrides := &clientcmd.ConfigOverrides{ClusterDefaults: clientcmd.ClusterDefaults}
	overrides.CurrentContext = *k.Context
	overrides.AuthInfo.Impersonate = *k.Impersonate
	overrides.AuthInfo.ImpersonateGroups = *k.ImpersonateGroup
	if k.Namespace != nil {
		overrides.Context.Namespace = *k.Namespace
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
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

// ToRESTConfig loads the client configuration. With no kubeconfig at all
// it is the pod's service account (in-cluster), with --as and --as-group;
// outside a pod that is an error (as client-go's loading rules say), not
// kubectl's last resort, an API server on localhost:8080.
func (k *kubeFlags) ToRESTConfig() (*rest.Config, error) {
	loader := k.ToRawKubeConfigLoader()
	if raw, err := loader.RawConfig(); err == nil && len(raw.Clusters) == 0 && *k.KubeConfig == "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, errNoKubeconfig
		}
		if *k.Impersonate == "" && len(*k.ImpersonateGroup) > 0 {
			return nil, errors.New("--as-group needs --as (as kubectl says)")
		}
		cfg.Impersonate = rest.ImpersonationConfig{UserName: *k.Impersonate, Groups: *k.ImpersonateGroup}
		cfg.UserAgent = k.userAgent
		return cfg, nil
	}
	cfg, err := loader.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		return nil, errNoKubeconfig
	}
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = k.userAgent
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
