package rules

import "testing"

func TestSysAdminCapability(t *testing.T) {
	const add = "spec.containers[0].securityContext.capabilities.add"
	seed001Cases(t, "sysAdminCapability", []seed001Case{
		{name: "other capabilities pass",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {privileged: false, capabilities: {add: [NET_ADMIN], drop: [SYS_ADMIN]}}}]}`)},
		{name: "SYS_ADMIN",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {capabilities: {add: [SYS_ADMIN]}}}]}`),
			want:     []Finding{{Where: "containerSecurityContext", Value: "SYS_ADMIN", Container: "c", Field: add}}},
		{name: "any case, with the CAP_ prefix",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {capabilities: {add: [cap_sys_admin]}}}]}`),
			want:     []Finding{{Where: "containerSecurityContext", Value: "SYS_ADMIN", Container: "c", Field: add}}},
		{name: "ALL includes SYS_ADMIN",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {capabilities: {add: [all]}}}]}`),
			want:     []Finding{{Where: "containerSecurityContext", Value: "ALL", Container: "c", Field: add, Detail: "ALL includes SYS_ADMIN"}}},
		{name: "a privileged init container",
			manifest: seed001Pod(`{initContainers: [{name: i, image: busybox, securityContext: {privileged: true}}], containers: [{name: c, image: redis}]}`),
			want: []Finding{{Where: "containerSecurityContext", Value: "privileged", Container: "i",
				Field: "spec.initContainers[0].securityContext.privileged", Detail: "privileged containers hold every capability"}}},
	})
}
