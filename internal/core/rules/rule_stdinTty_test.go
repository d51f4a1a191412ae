package rules

import "testing"

// Cases follow Gatekeeper's disallowinteractive: stdin and tty false or
// unset in containers, init containers and ephemeral containers.
func TestStdinTty(t *testing.T) {
	seed001Cases(t, "stdinTty", []seed001Case{
		{name: "unset passes",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`)},
		{name: "false passes",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, stdin: false, tty: false}]}`)},
		{name: "stdin and tty are each flagged",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, stdin: true, stdinOnce: true, tty: true}]}`),
			want: []Finding{
				{Where: "container", Value: "true", Container: "c", Field: "spec.containers[0].stdin"},
				{Where: "container", Value: "true", Container: "c", Field: "spec.containers[0].tty"},
			}},
		{name: "init and ephemeral containers are checked",
			manifest: seed001Pod(`{initContainers: [{name: i, image: busybox, tty: true}], containers: [{name: c, image: redis}], ephemeralContainers: [{name: debug, image: busybox, stdin: true}]}`),
			want: []Finding{
				{Where: "container", Value: "true", Container: "i", Field: "spec.initContainers[0].tty"},
				{Where: "container", Value: "true", Container: "debug", Field: "spec.ephemeralContainers[0].stdin"},
			}},
	})
}
