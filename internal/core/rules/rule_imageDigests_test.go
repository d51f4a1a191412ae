package rules

import "testing"

// Cases follow Gatekeeper's imagedigests: every container, init and
// ephemeral container's image carries a digest.
func TestImageDigests(t *testing.T) {
	const digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	seed001Cases(t, "imageDigests", []seed001Case{
		{name: "a digest passes, with or without a tag",
			manifest: seed001Pod(`{containers: [{name: c, image: "redis@` + digest + `"}, {name: d, image: "ghcr.io/acme/api:1.2@` + digest + `"}]}`)},
		{name: "a tag alone is flagged",
			manifest: seed001Pod(`{containers: [{name: c, image: redis:7}]}`),
			want: []Finding{{Where: "image", Value: "docker.io/library/redis:7", Container: "c", Field: "spec.containers[0].image",
				Detail: "not pinned by digest"}}},
		{name: "no tag is :latest, flagged",
			manifest: seed001Pod(`{containers: [{name: c, image: "redis@` + digest + `"}], initContainers: [{name: i, image: busybox}]}`),
			want: []Finding{{Where: "image", Value: "docker.io/library/busybox:latest", Container: "i", Field: "spec.initContainers[0].image",
				Detail: "not pinned by digest"}}},
		{name: "an invalid reference fails closed",
			manifest: seed001Pod(`{containers: [{name: c, image: "Redis:7"}]}`),
			want: []Finding{{Where: "image", Value: "Redis:7", Container: "c", Field: "spec.containers[0].image",
				Detail: "invalid image reference"}}},
		{name: "ephemeral containers are checked",
			manifest: seed001Pod(`{containers: [{name: c, image: "redis@` + digest + `"}], ephemeralContainers: [{name: debug, image: busybox:1}]}`),
			want: []Finding{{Where: "image", Value: "docker.io/library/busybox:1", Container: "debug", Field: "spec.ephemeralContainers[0].image",
				Detail: "not pinned by digest"}}},
	})
}
