package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Cases follow Kyverno's block-ephemeral-containers: a pod has no
// spec.ephemeralContainers.
func TestEphemeralContainers(t *testing.T) {
	seed001Cases(t, "ephemeralContainers", []seed001Case{
		{name: "no ephemeral containers pass",
			manifest: seed001Pod(`{initContainers: [{name: i, image: busybox}], containers: [{name: c, image: redis}]}`)},
		{name: "an empty list passes",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}], ephemeralContainers: []}`)},
		{name: "each ephemeral container is flagged",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}], ephemeralContainers: [{name: debug, image: busybox}, {name: debug2, image: "nicolaka/netshoot:v0.13"}]}`),
			want: []Finding{
				{Where: "container", Value: "busybox", Container: "debug", Field: "spec.ephemeralContainers[0]", Detail: "ephemeral containers are not allowed"},
				{Where: "container", Value: "nicolaka/netshoot:v0.13", Container: "debug2", Field: "spec.ephemeralContainers[1]", Detail: "ephemeral containers are not allowed"},
			}},
	})
}

// An ephemeral container whose image is exempt is not flagged: the engine
// leaves it out of Input.Containers.
func TestEphemeralContainersExempt(t *testing.T) {
	obj := seed001Object(t, seed001Pod(`{containers: [{name: c, image: redis}], ephemeralContainers: [{name: debug, image: busybox}]}`))
	in := seed001Input(obj, "prod")
	in.Containers = in.Containers[:1]
	if got := seed001Check(t, "ephemeralContainers", "")(in); !cmp.Equal(got, []Finding(nil)) {
		t.Errorf("exempt ephemeral container: got %+v, want none", got)
	}
}
