package rules

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// DefaultCapabilities are the capabilities a container runtime grants by
// default (Docker's and containerd's set).
var DefaultCapabilities = []string{
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

// CapabilitiesParams configures containerCapabilities.
type CapabilitiesParams struct {
	CapabilityRestriction string `json:"capabilityRestriction" doc:"restrict-nondefaults: add only runtime defaults; baseline: also drop NET_RAW; restricted: drop ALL, add at most NET_BIND_SERVICE; restrict-all: drop ALL, add nothing"`
}

var capabilityRestrictions = []string{"restrict-nondefaults", "baseline", "restricted", "restrict-all"}

// Validate implements the properties check.
func (p *CapabilitiesParams) Validate(path *field.Path) field.ErrorList {
	if !slices.Contains(capabilityRestrictions, p.CapabilityRestriction) {
		return field.ErrorList{field.NotSupported(path.Child("capabilityRestriction"), p.CapabilityRestriction, capabilityRestrictions)}
	}
	return nil
}

// NormalizeCapability upper-cases a capability and strips "CAP_".
func NormalizeCapability(c corev1.Capability) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(string(c))), "CAP_")
}

// capsOnStack is how many capabilities a rule keeps on its stack.
const capsOnStack = 8

// appendCapSets appends a container's added capabilities, normalised, to
// add and its dropped ones, upper-cased, to drop: a caller with arrays on
// its stack allocates nothing for the usual handful.
func appendCapSets(c *workload.Container, add, drop []string) ([]string, []string) {
	s := sc(c)
	if s.Capabilities == nil {
		return add, drop
	}
	for _, a := range s.Capabilities.Add {
		add = append(add, NormalizeCapability(a))
	}
	for _, d := range s.Capabilities.Drop {
		// Runtimes upper-case a name and prefix "CAP_": so "net_raw" drops
		// NET_RAW but "CAP_NET_RAW" drops nothing. A drop counts only in a
		// form that works; an add counts in every form (fail closed).
		drop = append(drop, strings.ToUpper(strings.TrimSpace(string(d))))
	}
	return add, drop
}

func init() {
	register(&Rule{
		ID:    "containerCapabilities",
		Title: "Container capabilities violate the restriction",
		Description: "Flags containers whose Linux capabilities exceed the chosen restriction. NET_RAW (a runtime default) lets a container forge packets; " +
			"the CIS benchmark advises adding none and dropping at least NET_RAW.",
		Sources: []Source{trendMicro("containerCapabilities")}, Severity: Medium, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		Params: func() any { return &CapabilitiesParams{CapabilityRestriction: "baseline"} },
		New: func(p any) (Check, error) {
			mode := p.(*CapabilitiesParams).CapabilityRestriction
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					if v, d, bad := checkCaps(mode, c); bad {
						f := ContainerFinding("containerSecurityContext", c, "securityContext.capabilities", v)
						f.Detail = d
						out = append(out, f)
					}
				}
				return out
			}, nil
		},
	})
}

func checkCaps(mode string, c *workload.Container) (value, detail string, bad bool) {
	var addBuf, dropBuf [capsOnStack]string
	add, drop := appendCapSets(c, addBuf[:0], dropBuf[:0])
	dropsAll := slices.Contains(drop, "ALL")
	var extra []string
	for _, a := range add {
		switch mode {
		case "restrict-nondefaults", "baseline":
			if !slices.Contains(DefaultCapabilities, a) || (mode == "baseline" && a == "NET_RAW") {
				extra = append(extra, a)
			}
		case "restricted":
			if a != "NET_BIND_SERVICE" {
				extra = append(extra, a)
			}
		default:
			extra = append(extra, a)
		}
	}
	if len(extra) > 0 {
		return strings.Join(extra, ","), fmt.Sprintf("%s allows no such added capability", mode), true
	}
	switch mode {
	case "baseline":
		if !dropsAll && !slices.Contains(drop, "NET_RAW") {
			return "NET_RAW", "baseline requires dropping NET_RAW (or ALL)", true
		}
	case "restricted", "restrict-all":
		if !dropsAll {
			return "drop ALL missing", mode + " requires capabilities.drop: [ALL]", true
		}
	}
	return "", "", false
}
