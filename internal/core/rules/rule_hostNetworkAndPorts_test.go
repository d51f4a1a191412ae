package rules

import "testing"

func TestHostNetworkAndPorts(t *testing.T) {
	seed001Cases(t, "hostNetworkAndPorts", []seed001Case{
		{name: "container ports without host ports pass",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, ports: [{containerPort: 80}]}]}`)},
		{name: "the seed's unhealthy pod: host network and a host port",
			manifest: seed001Pod(`{hostNetwork: true, containers: [{name: c, image: redis, ports: [{containerPort: 9001, hostPort: 9001}]}]}`),
			want: []Finding{
				{Where: "podSecurityContext", Value: "true", Field: "spec.hostNetwork", Detail: "host network is not allowed"},
				{Where: "container", Value: "9001", Container: "c", Field: "spec.containers[0].ports[0].hostPort",
					Detail: "host port outside the allowed range 0-0"},
			}},
		{name: "on the host network a container port is a host port",
			props:    `{allowHostNetwork: true, minPort: 9000, maxPort: 9100}`,
			manifest: seed001Pod(`{hostNetwork: true, containers: [{name: c, image: redis, ports: [{containerPort: 9001}, {containerPort: 80}]}]}`),
			want: []Finding{{Where: "container", Value: "80", Container: "c", Field: "spec.containers[0].ports[1].containerPort",
				Detail: "host port outside the allowed range 9000-9100"}}},
		{name: "host ports inside the range pass, the bounds included",
			props:    `{minPort: 9000, maxPort: 9100}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, ports: [{containerPort: 1, hostPort: 9000}, {containerPort: 2, hostPort: 9100}]}]}`)},
		{name: "init containers are checked",
			props:    `{minPort: 9000, maxPort: 9100}`,
			manifest: seed001Pod(`{initContainers: [{name: i, image: busybox, ports: [{containerPort: 53, hostPort: 53}]}], containers: [{name: c, image: redis}]}`),
			want: []Finding{{Where: "container", Value: "53", Container: "i", Field: "spec.initContainers[0].ports[0].hostPort",
				Detail: "host port outside the allowed range 9000-9100"}}},
	})
}

func TestHostNetworkAndPortsProperties(t *testing.T) {
	seed001PropErrors(t, "hostNetworkAndPorts", map[string][]string{
		`{minPort: 10, maxPort: 5}`: {"properties.minPort", "greater than maxPort"},
		`{maxPort: 70000}`:          {"properties.maxPort", "0 to 65535"},
		`{minPort: -1}`:             {"properties.minPort"},
		`{allowHostNetwork: "yes"}`: {"properties.allowHostNetwork"},
	})
}
