package rules

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// HostNetworkAndPortsParams configures hostNetworkAndPorts.
type HostNetworkAndPortsParams struct {
	AllowHostNetwork bool  `json:"allowHostNetwork" doc:"allow pods to use the host network namespace (spec.hostNetwork: true)"`
	MinPort          int32 `json:"minPort" doc:"lowest host port a container may bind (containers[].ports[].hostPort)"`
	MaxPort          int32 `json:"maxPort" doc:"highest host port a container may bind; with minPort and maxPort both 0 no host port is allowed"`
}

// Validate implements the properties check.
func (p *HostNetworkAndPortsParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if p.MinPort < 0 || p.MinPort > 65535 {
		errs = append(errs, field.Invalid(path.Child("minPort"), p.MinPort, "must be from 0 to 65535"))
	}
	if p.MaxPort < 0 || p.MaxPort > 65535 {
		errs = append(errs, field.Invalid(path.Child("maxPort"), p.MaxPort, "must be from 0 to 65535"))
	}
	if p.MinPort > p.MaxPort {
		errs = append(errs, field.Invalid(path.Child("minPort"), p.MinPort, fmt.Sprintf("must not be greater than maxPort (%d)", p.MaxPort)))
	}
	return errs
}

func init() {
	register(&Rule{
		ID:    "hostNetworkAndPorts",
		Title: "Pod uses the host network or a host port outside the allowed range",
		Description: "Flags a pod with spec.hostNetwork: true unless allowHostNetwork, and every container host port outside [minPort, maxPort] " +
			"(with hostNetwork every container port is a host port, as the API server defaults it). " +
			"A compromised container on the host network can sniff the node's traffic.",
		Sources: []Source{azurePolicy("Kubernetes cluster pods should only use approved host network and port range")}, Severity: Medium, Tabs: podTabs, Targets: TargetPod,
		Params: func() any { return &HostNetworkAndPortsParams{} },
		New: func(p any) (Check, error) {
			hp := *p.(*HostNetworkAndPortsParams)
			if hp.MinPort > hp.MaxPort {
				return nil, fmt.Errorf("minPort %d is greater than maxPort %d", hp.MinPort, hp.MaxPort)
			}
			rangeDetail := fmt.Sprintf("host port outside the allowed range %d-%d", hp.MinPort, hp.MaxPort)
			return func(in *Input) []Finding {
				var out []Finding
				hostNetwork := in.Pod().Spec.HostNetwork
				if hostNetwork && !hp.AllowHostNetwork {
					f := PodFinding(in, "podSecurityContext", "hostNetwork", "true")
					f.Detail = "host network is not allowed"
					out = append(out, f)
				}
				for _, c := range in.Containers {
					for i, port := range c.C.Ports {
						hostPort, sub := port.HostPort, "ports["+strconv.Itoa(i)+"].hostPort"
						if hostPort == 0 && hostNetwork {
							// The API server defaults hostPort to
							// containerPort on the host network.
							hostPort, sub = port.ContainerPort, "ports["+strconv.Itoa(i)+"].containerPort"
						}
						if hostPort == 0 || hostPort >= hp.MinPort && hostPort <= hp.MaxPort {
							continue
						}
						f := ContainerFinding("container", c, sub, strconv.Itoa(int(hostPort)))
						f.Detail = rangeDetail
						out = append(out, f)
					}
				}
				return out
			}, nil
		},
	})
}
