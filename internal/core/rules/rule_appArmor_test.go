package rules

import "testing"

func TestAppArmor(t *testing.T) {
	const (
		key       = "container.apparmor.security.beta.kubernetes.io/c"
		notListed = `not in the allowed profiles ["runtime/default"]`
	)
	seed001Cases(t, "appArmor", []seed001Case{
		{name: "the seed's annotation passes",
			manifest: `{apiVersion: v1, kind: Pod, metadata: {name: p, annotations: {` + key + `: runtime/default}}, spec: {containers: [{name: c, image: redis}]}}`},
		{name: "no profile at all",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`),
			want: []Finding{{Where: "containerSecurityContext", Value: "unset", Container: "c",
				Field: "spec.containers[0].securityContext.appArmorProfile", Detail: "no AppArmor profile"}}},
		{name: "an annotation for another container does not count",
			manifest: `{apiVersion: v1, kind: Pod, metadata: {name: p, annotations: {container.apparmor.security.beta.kubernetes.io/other: runtime/default}}, spec: {containers: [{name: c, image: redis}]}}`,
			want: []Finding{{Where: "containerSecurityContext", Value: "unset", Container: "c",
				Field: "spec.containers[0].securityContext.appArmorProfile", Detail: "no AppArmor profile"}}},
		{name: "an unconfined annotation on a Deployment's template",
			manifest: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {template: {metadata: {annotations: {` + key + `: unconfined}}, spec: {containers: [{name: c, image: redis}]}}}}`,
			want: []Finding{{Where: "containerSecurityContext", Value: "unconfined", Container: "c",
				Field: "spec.template.metadata.annotations[" + key + "]", Detail: notListed}}},
		{name: "the container field RuntimeDefault passes",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {appArmorProfile: {type: RuntimeDefault}}}]}`)},
		{name: "the container field wins over the annotation",
			manifest: `{apiVersion: v1, kind: Pod, metadata: {name: p, annotations: {` + key + `: runtime/default}}, spec: {containers: [{name: c, image: redis, securityContext: {appArmorProfile: {type: Unconfined}}}]}}`,
			want: []Finding{{Where: "containerSecurityContext", Value: "unconfined", Container: "c",
				Field: "spec.containers[0].securityContext.appArmorProfile", Detail: notListed}}},
		{name: "the annotation wins over the pod field",
			manifest: `{apiVersion: v1, kind: Pod, metadata: {name: p, annotations: {` + key + `: runtime/default}}, spec: {securityContext: {appArmorProfile: {type: Unconfined}}, containers: [{name: c, image: redis}]}}`},
		{name: "a pod-level localhost profile not in the list",
			manifest: seed001Pod(`{securityContext: {appArmorProfile: {type: Localhost, localhostProfile: k8s-nginx}}, containers: [{name: c, image: redis}]}`),
			want: []Finding{{Where: "containerSecurityContext", Value: "localhost/k8s-nginx", Container: "c",
				Field: "spec.securityContext.appArmorProfile", Detail: notListed}}},
		{name: "a pod-level localhost profile in the list",
			props:    `{allowedProfiles: [runtime/default, localhost/k8s-nginx]}`,
			manifest: seed001Pod(`{securityContext: {appArmorProfile: {type: Localhost, localhostProfile: k8s-nginx}}, containers: [{name: c, image: redis}]}`)},
		{name: "localhost/* allows a localhost profile field",
			props:    `{allowedProfiles: [runtime/default, "localhost/*"]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {appArmorProfile: {type: Localhost, localhostProfile: k8s-nginx}}}]}`)},
		{name: "localhost/* allows a localhost annotation",
			props:    `{allowedProfiles: ["localhost/*"]}`,
			manifest: `{apiVersion: v1, kind: Pod, metadata: {name: p, annotations: {` + key + `: localhost/my-profile}}, spec: {containers: [{name: c, image: redis}]}}`},
		{name: "localhost/* does not allow unconfined",
			props:    `{allowedProfiles: ["localhost/*"]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {appArmorProfile: {type: Unconfined}}}]}`),
			want: []Finding{{Where: "containerSecurityContext", Value: "unconfined", Container: "c",
				Field: "spec.containers[0].securityContext.appArmorProfile", Detail: `not in the allowed profiles ["localhost/*"]`}}},
		{name: "localhost/* does not allow runtime/default unless listed",
			props:    `{allowedProfiles: ["localhost/*"]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {appArmorProfile: {type: RuntimeDefault}}}]}`),
			want: []Finding{{Where: "containerSecurityContext", Value: "runtime/default", Container: "c",
				Field: "spec.containers[0].securityContext.appArmorProfile", Detail: `not in the allowed profiles ["localhost/*"]`}}},
		{name: "localhost/* does not allow a Localhost type without a profile name",
			props:    `{allowedProfiles: ["localhost/*"]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {appArmorProfile: {type: Localhost}}}]}`),
			want: []Finding{{Where: "containerSecurityContext", Value: "localhost/", Container: "c",
				Field: "spec.containers[0].securityContext.appArmorProfile", Detail: `not in the allowed profiles ["localhost/*"]`}}},
		{name: "an exact localhost profile still matches only itself",
			props:    `{allowedProfiles: [localhost/k8s-nginx]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, securityContext: {appArmorProfile: {type: Localhost, localhostProfile: other}}}]}`),
			want: []Finding{{Where: "containerSecurityContext", Value: "localhost/other", Container: "c",
				Field: "spec.containers[0].securityContext.appArmorProfile", Detail: `not in the allowed profiles ["localhost/k8s-nginx"]`}}},
	})
}

func TestAppArmorProperties(t *testing.T) {
	seed001PropErrors(t, "appArmor", map[string][]string{
		`{allowedProfiles: [runtime/default, docker-default]}`: {"properties.allowedProfiles[1]", "localhost/<profile>"},
		`{allowedProfiles: [localhost/]}`:                      {"properties.allowedProfiles[0]"},
	})
}
