package rules

import "slices"

func init() {
	register(&Rule{
		ID:    "sysAdminCapability",
		Title: "Container holds CAP_SYS_ADMIN",
		Description: "Flags a container that adds SYS_ADMIN (any case, with or without CAP_) or ALL, and a privileged container, which holds every capability. " +
			"CAP_SYS_ADMIN is the most privileged capability and should always be avoided.",
		Sources: []Source{azurePolicy("Kubernetes clusters should not grant CAP_SYS_ADMIN security capabilities")}, Severity: High, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		New: func(any) (Check, error) {
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					var addBuf [capsOnStack]string
					add, _ := appendCapSets(c, addBuf[:0], nil)
					for _, a := range []string{"SYS_ADMIN", "ALL"} {
						if slices.Contains(add, a) {
							f := ContainerFinding("containerSecurityContext", c, "securityContext.capabilities.add", a)
							if a == "ALL" {
								f.Detail = "ALL includes SYS_ADMIN"
							}
							out = append(out, f)
						}
					}
					if p := sc(c).Privileged; p != nil && *p {
						f := ContainerFinding("containerSecurityContext", c, "securityContext.privileged", "privileged")
						f.Detail = "privileged containers hold every capability"
						out = append(out, f)
					}
				}
				return out
			}, nil
		},
	})
}
