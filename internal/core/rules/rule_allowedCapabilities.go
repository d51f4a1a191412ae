package rules

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// AllowedCapabilitiesParams configures allowedCapabilities.
type AllowedCapabilitiesParams struct {
	Allowed      []string `json:"allowed" doc:"capabilities a container may add (NET_BIND_SERVICE or CAP_NET_BIND_SERVICE, any case); empty allows none, \"*\" allows any"`
	RequiredDrop []string `json:"requiredDrop" doc:"capabilities every container must drop; dropping ALL satisfies every entry"`
}

// Validate implements the properties check.
func (p *AllowedCapabilitiesParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, c := range p.Allowed {
		if NormalizeCapability(corev1.Capability(c)) == "" {
			errs = append(errs, field.Required(path.Child("allowed").Index(i), "capability name must not be empty"))
		}
	}
	for i, c := range p.RequiredDrop {
		switch NormalizeCapability(corev1.Capability(c)) {
		case "":
			errs = append(errs, field.Required(path.Child("requiredDrop").Index(i), "capability name must not be empty"))
		case "*":
			errs = append(errs, field.Invalid(path.Child("requiredDrop").Index(i), c, `use "ALL" to require dropping every capability`))
		}
	}
	return errs
}

func normalizeCapabilities(cs []string) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = NormalizeCapability(corev1.Capability(c))
	}
	return out
}

func init() {
	register(&Rule{
		ID:    "allowedCapabilities",
		Title: "Container capabilities beyond the least-privilege set",
		Description: "Flags a container that adds a Linux capability not in allowed, or does not drop a capability in requiredDrop (dropping ALL counts). " +
			"Granting specific capabilities instead of all of root's shrinks a container's attack surface..",
		Sources: []Source{azurePolicy("Kubernetes cluster containers should only use allowed capabilities")}, Severity: Medium, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		Params: func() any { return &AllowedCapabilitiesParams{Allowed: []string{}, RequiredDrop: []string{}} },
		New: func(p any) (Check, error) {
			ap := p.(*AllowedCapabilitiesParams)
			allowed, required := normalizeCapabilities(ap.Allowed), normalizeCapabilities(ap.RequiredDrop)
			anyAllowed := slices.Contains(allowed, "*")
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					var addBuf, dropBuf [capsOnStack]string
					add, drop := appendCapSets(c, addBuf[:0], dropBuf[:0])
					var extra, missing []string
					for _, a := range add {
						if !anyAllowed && !slices.Contains(allowed, a) && !slices.Contains(extra, a) {
							extra = append(extra, a)
						}
					}
					if !slices.Contains(drop, "ALL") {
						for _, r := range required {
							if !slices.Contains(drop, r) {
								missing = append(missing, r)
							}
						}
					}
					if len(extra) > 0 {
						f := ContainerFinding("containerSecurityContext", c, "securityContext.capabilities.add", strings.Join(extra, ","))
						f.Detail = "not in the allowed capabilities " + quoteList(ap.Allowed)
						out = append(out, f)
					}
					if len(missing) > 0 {
						f := ContainerFinding("containerSecurityContext", c, "securityContext.capabilities.drop", strings.Join(missing, ","))
						f.Detail = "required to be dropped"
						out = append(out, f)
					}
				}
				return out
			}, nil
		},
	})
}
