package rules

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// AllowedServicePortsParams configures allowedServicePorts.
type AllowedServicePortsParams struct {
	Ports []string `json:"ports" doc:"ports a Service may listen on, as strings ([\"443\", \"80\"]); \"-1\" anywhere in the list turns the rule off"`
}

// Validate implements the properties check.
func (p *AllowedServicePortsParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, s := range p.Ports {
		if n, err := strconv.Atoi(s); err != nil || n != -1 && (n < 1 || n > 65535) {
			errs = append(errs, field.Invalid(path.Child("ports").Index(i), s, `must be a port number from 1 to 65535, or "-1" to turn the rule off`))
		}
	}
	return errs
}

func init() {
	register(&Rule{
		ID:    "allowedServicePorts",
		Title: "Service listens on a port that is not allowed",
		Description: "Flags each spec.ports[].port of a Service that is not in ports; Azure Policy's default [\"-1\"] leaves the rule inactive. " +
			"Restricting Services to configured ports shrinks the cluster's attack surface.",
		Sources: []Source{azurePolicy("Kubernetes cluster services should listen only on allowed ports")}, Severity: Medium, Tabs: deploymentOnly, Targets: TargetService,
		Params: func() any { return &AllowedServicePortsParams{Ports: []string{"-1"}} },
		New: func(p any) (Check, error) {
			ports := map[int32]bool{}
			for _, s := range p.(*AllowedServicePortsParams).Ports {
				n, err := strconv.Atoi(s)
				if err != nil {
					return nil, fmt.Errorf("port %q: %w", s, err)
				}
				if n == -1 {
					return func(*Input) []Finding { return nil }, nil
				}
				ports[int32(n)] = true
			}
			allowed := quoteList(p.(*AllowedServicePortsParams).Ports)
			return func(in *Input) []Finding {
				svc := in.Object.Service
				if svc == nil {
					return nil
				}
				var out []Finding
				for i, sp := range svc.Spec.Ports {
					if !ports[sp.Port] {
						out = append(out, Finding{
							Where: "service", Value: strconv.Itoa(int(sp.Port)),
							Field:  field.NewPath("spec", "ports").Index(i).Child("port").String(),
							Detail: "not in the allowed ports " + allowed,
						})
					}
				}
				return out
			}, nil
		},
	})
}
