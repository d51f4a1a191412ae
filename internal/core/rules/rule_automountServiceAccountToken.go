package rules

func init() {
	register(&Rule{
		ID:    "automountServiceAccountToken",
		Title: "API credentials are mounted automatically",
		Description: "Flags a pod whose spec.automountServiceAccountToken is not false, and a ServiceAccount whose automountServiceAccountToken is not false. " +
			"As in Kubernetes the pod's field wins: a pod that sets false passes whatever its ServiceAccount says, and a pod that leaves it unset is flagged " +
			"because it inherits its ServiceAccount's setting, which defaults to true. Without a token a compromised pod cannot call the API server.",
		Sources: []Source{azurePolicy("Kubernetes clusters should disable automounting API credentials")}, Severity: High, Tabs: podTabs, Targets: TargetPod | TargetServiceAccount,
		New: func(any) (Check, error) {
			return func(in *Input) []Finding {
				switch {
				case in.Object.Pod != nil:
					v := in.Pod().Spec.AutomountServiceAccountToken
					if v != nil && !*v {
						return nil
					}
					f := PodFinding(in, "pod", "automountServiceAccountToken", boolValue(v))
					if v == nil {
						f.Detail = "the ServiceAccount's setting applies, which is true unless it sets false"
					}
					return []Finding{f}
				case in.Object.ServiceAccount != nil:
					v := in.Object.ServiceAccount.AutomountServiceAccountToken
					if v != nil && !*v {
						return nil
					}
					return []Finding{{Where: "serviceAccount", Value: boolValue(v), Field: "automountServiceAccountToken"}}
				}
				return nil
			}, nil
		},
	})
}
