package rules

import "testing"

func TestAllowedCapabilities(t *testing.T) {
	const add, drop = "spec.containers[0].securityContext.capabilities.add", "spec.containers[0].securityContext.capabilities.drop"
	seed001Cases(t, "allowedCapabilities", []seed001Case{
		{name: "no capabilities pass the defaults",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`)},
		{name: "dropping is always fine",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {capabilities: {drop: [ALL]}}}]}`)},
		{name: "the default allows no added capability",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {capabilities: {add: [NET_ADMIN]}}}]}`),
			want: []Finding{{Where: "containerSecurityContext", Value: "NET_ADMIN", Container: "c", Field: add,
				Detail: "not in the allowed capabilities []"}}},
		{name: "allowed names are normalised",
			props:    `{allowed: [cap_net_admin]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {capabilities: {add: [NET_ADMIN]}}}]}`)},
		{name: "added names are normalised and listed once",
			props:    `{allowed: [NET_BIND_SERVICE]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {capabilities: {add: [net_bind_service, NET_ADMIN, CAP_SYS_TIME, cap_net_admin]}}}]}`),
			want: []Finding{{Where: "containerSecurityContext", Value: "NET_ADMIN,SYS_TIME", Container: "c", Field: add,
				Detail: `not in the allowed capabilities ["NET_BIND_SERVICE"]`}}},
		{name: "a star allows any capability",
			props:    `{allowed: ["*"]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {capabilities: {add: [SYS_ADMIN]}}}]}`)},
		{name: "a required drop that is missing",
			props:    `{requiredDrop: [NET_RAW, cap_sys_time]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {capabilities: {drop: [net_raw]}}}]}`),
			want: []Finding{{Where: "containerSecurityContext", Value: "SYS_TIME", Container: "c", Field: drop,
				Detail: "required to be dropped"}}},
		{name: "dropping ALL satisfies every required drop",
			props:    `{requiredDrop: [NET_RAW, SYS_TIME]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {capabilities: {drop: [all]}}}]}`)},
		{name: "both problems in an ephemeral container",
			props:    `{requiredDrop: [NET_RAW]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {capabilities: {drop: [ALL]}}}], ephemeralContainers: [{name: e, image: busybox, securityContext: {capabilities: {add: [SYS_PTRACE]}}}]}`),
			want: []Finding{
				{Where: "containerSecurityContext", Value: "SYS_PTRACE", Container: "e", Field: "spec.ephemeralContainers[0].securityContext.capabilities.add",
					Detail: "not in the allowed capabilities []"},
				{Where: "containerSecurityContext", Value: "NET_RAW", Container: "e", Field: "spec.ephemeralContainers[0].securityContext.capabilities.drop",
					Detail: "required to be dropped"},
			}},
	})
}

func TestAllowedCapabilitiesProperties(t *testing.T) {
	seed001PropErrors(t, "allowedCapabilities", map[string][]string{
		`{allowed: [NET_ADMIN, " "]}`: {"properties.allowed[1]"},
		`{requiredDrop: ["*"]}`:       {"properties.requiredDrop[0]", `use "ALL"`},
		`{allowed: NET_ADMIN}`:        {"properties.allowed"},
	})
}
