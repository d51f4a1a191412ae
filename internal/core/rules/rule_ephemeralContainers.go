package rules

// ephemeralContainers reads spec.ephemeralContainers. Allowed: none, but
// for ephemeral containers whose image excludedImages exempts (an approved
// debugging image).

import "github.com/palisade-dev/palisade/internal/core/workload"

func init() {
	register(&Rule{
		ID:    "ephemeralContainers",
		Title: "Pod runs an ephemeral (debug) container",
		Description: "Flags each ephemeral container of a pod, such as one kubectl debug adds; excludedImages can allow an approved debugging image. " +
			"An ephemeral container joins a running pod's namespaces and volumes with an image and command chosen at the time, " +
			"outside the workload's reviewed spec.",
		Sources: []Source{
			{productKyverno, "block-ephemeral-containers"},
		},
		Severity: Medium, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		New: func(any) (Check, error) {
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					if c.Type != workload.EphemeralContainer {
						continue
					}
					f := ContainerFinding("container", c, "", c.Image.Raw)
					f.Detail = "ephemeral containers are not allowed"
					out = append(out, f)
				}
				return out
			}, nil
		},
	})
}
