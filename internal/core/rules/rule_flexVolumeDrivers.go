package rules

// flexVolumeDrivers reads spec.volumes[*].flexVolume.driver. Allowed: a
// driver named in allowedDrivers.

import (
	"slices"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// FlexVolumeDriversParams configures flexVolumeDrivers.
type FlexVolumeDriversParams struct {
	AllowedDrivers []string `json:"allowedDrivers" doc:"FlexVolume driver names pods may use (\"example/lvm\"), compared exactly; empty allows no flexVolume volume"`
}

// Validate implements the properties check.
func (p *FlexVolumeDriversParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, d := range p.AllowedDrivers {
		switch {
		case d == "":
			errs = append(errs, field.Invalid(path.Child("allowedDrivers").Index(i), d, "must name a driver"))
		case slices.Index(p.AllowedDrivers, d) < i:
			errs = append(errs, field.Duplicate(path.Child("allowedDrivers").Index(i), d))
		}
	}
	return errs
}

func init() {
	register(&Rule{
		ID:    "flexVolumeDrivers",
		Title: "FlexVolume volume uses a driver not allowed",
		Description: "Flags each flexVolume volume whose driver is not in allowedDrivers, as Gatekeeper's psp-flexvolume-drivers does (its allowedFlexVolumes [{driver}] is allowedDrivers here); " +
			"with no driver listed, every flexVolume volume is flagged. " +
			"A FlexVolume driver is a binary the kubelet runs as root on the node with the volume's options: only vetted drivers should receive a pod's input.",
		Sources:  []Source{{productGatekeeper, "psp-flexvolume-drivers (K8sPSPFlexVolumes)"}},
		Severity: Medium, Tabs: podTabs, Targets: TargetPod,
		Params: func() any { return &FlexVolumeDriversParams{AllowedDrivers: []string{}} },
		New: func(p any) (Check, error) {
			allowed := p.(*FlexVolumeDriversParams).AllowedDrivers
			return func(in *Input) []Finding {
				var out []Finding
				for i, v := range in.Pod().Spec.Volumes {
					if v.FlexVolume == nil || slices.Contains(allowed, v.FlexVolume.Driver) {
						continue
					}
					f := PodFinding(in, "pod", "volumes["+strconv.Itoa(i)+"].flexVolume.driver", v.FlexVolume.Driver)
					f.Detail = "flexVolume volume " + strconv.Quote(v.Name) + " uses a driver not in allowedDrivers"
					out = append(out, f)
				}
				return out
			}, nil
		},
	})
}
