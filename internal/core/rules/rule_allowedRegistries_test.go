package rules

import "testing"

func TestAllowedRegistries(t *testing.T) {
	const acr = `{regex: '^[^/]+\.azurecr\.io/.+$'}`
	seed001Cases(t, "allowedRegistries", []seed001Case{
		{name: "the default regex allows no image",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`),
			want: []Finding{{Where: "image", Value: "docker.io/library/redis:latest", Container: "c", Field: "spec.containers[0].image",
				Detail: "not from an allowed registry (regex ^(.+){0}$)"}}},
		{name: "an image from an allowed registry passes",
			props:    acr,
			manifest: seed001Pod(`{containers: [{name: c, image: myacr.azurecr.io/redis:6}]}`)},
		{name: "the regex sees the normalised reference, not the text",
			props:    `{regex: '^docker\.io/library/'}`,
			manifest: seed001Pod(`{containers: [{name: c, image: "redis@sha256:0123456789012345678901234567890123456789012345678901234567890123"}]}`)},
		{name: "a registry that only starts like the allowed one is flagged",
			props:    `{regex: '^myacr\.azurecr\.io/'}`,
			manifest: seed001Pod(`{containers: [{name: c, image: myacr.azurecr.io.evil.example/redis}]}`),
			want: []Finding{{Where: "image", Value: "myacr.azurecr.io.evil.example/redis:latest", Container: "c", Field: "spec.containers[0].image",
				Detail: `not from an allowed registry (regex ^myacr\.azurecr\.io/)`}}},
		{name: "every container type is checked",
			props:    acr,
			manifest: seed001Pod(`{initContainers: [{name: i, image: busybox}], containers: [{name: c, image: myacr.azurecr.io/redis}]}`),
			want: []Finding{{Where: "image", Value: "docker.io/library/busybox:latest", Container: "i", Field: "spec.initContainers[0].image",
				Detail: `not from an allowed registry (regex ^[^/]+\.azurecr\.io/.+$)`}}},
		{name: "an invalid reference is flagged whatever the regex",
			props:    `{regex: '.*'}`,
			manifest: seed001Pod(`{containers: [{name: c, image: "<customer-registry>.azurecr.io/redis:latest"}]}`),
			want: []Finding{{Where: "image", Value: "<customer-registry>.azurecr.io/redis:latest", Container: "c", Field: "spec.containers[0].image",
				Detail: "invalid image reference"}}},
	})
}

func TestAllowedRegistriesProperties(t *testing.T) {
	seed001PropErrors(t, "allowedRegistries", map[string][]string{
		`{regex: "("}`:             {"properties.regex", "not a valid RE2 expression"},
		`{regex: '(?=lookahead)'}`: {"properties.regex"},
		`{regex: 1}`:               {"properties.regex"},
	})
}
