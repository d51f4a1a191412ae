package rules

// requiredProbes reads livenessProbe, readinessProbe and startupProbe of
// each regular container (init containers and ephemeral containers run no
// such probes). Allowed: every probe in probes set, with a handler in
// probeTypes. Deployment tab only: the continuous controller trims probes
// from the pods it caches.

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

var (
	probeNames = []string{"livenessProbe", "readinessProbe", "startupProbe"}
	probeTypes = []string{"exec", "grpc", "httpGet", "tcpSocket"}
)

// RequiredProbesParams configures requiredProbes.
type RequiredProbesParams struct {
	Probes     []string `json:"probes" doc:"probes every container must set: livenessProbe, readinessProbe, startupProbe"`
	ProbeTypes []string `json:"probeTypes" doc:"handlers a required probe may use: exec, grpc, httpGet, tcpSocket"`
}

// Validate implements the properties check.
func (p *RequiredProbesParams) Validate(path *field.Path) field.ErrorList {
	errs := validateChoices(path.Child("probes"), p.Probes, probeNames)
	return append(errs, validateChoices(path.Child("probeTypes"), p.ProbeTypes, probeTypes)...)
}

// validateChoices checks a non-empty list of distinct values from allowed.
func validateChoices(path *field.Path, vs, allowed []string) field.ErrorList {
	var errs field.ErrorList
	if len(vs) == 0 {
		errs = append(errs, field.Required(path, "name at least one of "+quoteList(allowed)))
	}
	for i, v := range vs {
		switch {
		case !slices.Contains(allowed, v):
			errs = append(errs, field.NotSupported(path.Index(i), v, allowed))
		case slices.Index(vs, v) < i:
			errs = append(errs, field.Duplicate(path.Index(i), v))
		}
	}
	return errs
}

// probe returns container c's probe by its field name.
func probe(c *corev1.Container, name string) *corev1.Probe {
	switch name {
	case "livenessProbe":
		return c.LivenessProbe
	case "readinessProbe":
		return c.ReadinessProbe
	default:
		return c.StartupProbe
	}
}

// probeType is the handler a probe uses ("" when it has none).
func probeType(p *corev1.Probe) string {
	switch {
	case p.Exec != nil:
		return "exec"
	case p.GRPC != nil:
		return "grpc"
	case p.HTTPGet != nil:
		return "httpGet"
	case p.TCPSocket != nil:
		return "tcpSocket"
	}
	return ""
}

func init() {
	register(&Rule{
		ID:    "requiredProbes",
		Title: "Container without liveness or readiness probes",
		Description: "Flags a container that does not set a probe in probes, or sets it with a handler not in probeTypes. Init and ephemeral containers are not checked; the rule runs at deployment, not on running pods. " +
			"Without a liveness probe a hung container is never restarted; without a readiness probe it gets traffic before it can serve.",
		Sources: []Source{
			{productGatekeeper, "requiredprobes (K8sRequiredProbes)"},
			{productKyverno, "require-pod-probes"},
		},
		Severity: Low, Tabs: deploymentOnly, Targets: TargetPod, ContainersOnly: true,
		Params: func() any {
			return &RequiredProbesParams{Probes: []string{"livenessProbe", "readinessProbe"}, ProbeTypes: []string{"exec", "grpc", "httpGet", "tcpSocket"}}
		},
		New: func(p any) (Check, error) {
			rp := p.(*RequiredProbesParams)
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					if c.Type != workload.RegularContainer {
						continue
					}
					for _, name := range rp.Probes {
						pr := probe(c.C, name)
						if pr == nil {
							f := ContainerFinding("container", c, name, "unset")
							f.Detail = "no " + name
							out = append(out, f)
							continue
						}
						if t := probeType(pr); !slices.Contains(rp.ProbeTypes, t) {
							if t == "" {
								t = "none"
							}
							f := ContainerFinding("container", c, name, t)
							f.Detail = name + " handler not in probeTypes " + quoteList(rp.ProbeTypes)
							out = append(out, f)
						}
					}
				}
				return out
			}, nil
		},
	})
}
