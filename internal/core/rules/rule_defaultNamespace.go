package rules

func init() {
	register(&Rule{
		ID:    "defaultNamespace",
		Title: "Object in the default namespace",
		Description: "Flags any namespaced object whose namespace is default, including objects that name none and land there; cluster-scoped objects pass. " +
			"Keeping ConfigMaps, Pods, Secrets, Services and ServiceAccounts out of the default namespace protects them from unauthorised access.",
		Sources: []Source{azurePolicy("Kubernetes clusters should not use the default namespace")}, Severity: Low, Tabs: deploymentOnly, Targets: TargetAny,
		New: func(any) (Check, error) {
			return func(in *Input) []Finding {
				if in.Namespace != "default" {
					return nil
				}
				return []Finding{{Where: "metadata", Value: "default", Field: "metadata.namespace"}}
			}, nil
		},
	})
}
