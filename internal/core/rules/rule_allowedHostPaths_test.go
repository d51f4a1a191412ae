package rules

import "testing"

func TestAllowedHostPaths(t *testing.T) {
	hostPath := func(path string, readOnly bool) string {
		ro := "false"
		if readOnly {
			ro = "true"
		}
		return seed001Pod(`{volumes: [{name: v, hostPath: {path: ` + path + `}}], containers: [{name: c, image: redis, volumeMounts: [{name: v, mountPath: /data, readOnly: ` + ro + `}]}]}`)
	}
	notAllowed := func(path string) []Finding {
		return []Finding{{Where: "pod", Value: path, Field: "spec.volumes[0].hostPath.path",
			Detail: `hostPath volume "v" is not under an allowed path prefix`}}
	}
	seed001Cases(t, "allowedHostPaths", []seed001Case{
		{name: "volumes other than hostPath pass",
			manifest: seed001Pod(`{volumes: [{name: v, emptyDir: {}}], containers: [{name: c, image: redis, volumeMounts: [{name: v, mountPath: /data}]}]}`)},
		{name: "the default allows no host path, even mounted read-only",
			manifest: hostPath("/tmp", true), want: notAllowed("/tmp")},
		{name: "a path below the prefix", props: `{paths: [{pathPrefix: /foo}]}`, manifest: hostPath("/foo/bar", false)},
		{name: "the prefix itself, with a trailing slash", props: `{paths: [{pathPrefix: /foo/}]}`, manifest: hostPath("/foo", false)},
		{name: "a sibling that shares the prefix's text", props: `{paths: [{pathPrefix: /foo}]}`,
			manifest: hostPath("/foobar", false), want: notAllowed("/foobar")},
		{name: "a read-only prefix mounted read-only", props: `{paths: [{pathPrefix: /var/log, readOnly: true}]}`,
			manifest: hostPath("/var/log/app", true)},
		{name: "a read-only prefix mounted writable",
			props:    `{paths: [{pathPrefix: /var/log, readOnly: true}]}`,
			manifest: hostPath("/var/log/app", false),
			want: []Finding{{Where: "container", Value: "/var/log/app", Container: "c", Field: "spec.containers[0].volumeMounts[0].readOnly",
				Detail: `hostPath volume "v" is under read-only prefix /var/log but mounted writable`}}},
		{name: "a writable prefix that also matches allows writing",
			props:    `{paths: [{pathPrefix: /var/log, readOnly: true}, {pathPrefix: /var}]}`,
			manifest: hostPath("/var/log/app", false)},
	})
}

func TestAllowedHostPathsProperties(t *testing.T) {
	seed001PropErrors(t, "allowedHostPaths", map[string][]string{
		`{paths: [{pathPrefix: /ok}, {pathPrefix: tmp}]}`: {"properties.paths[1].pathPrefix", "absolute"},
		`{paths: [{pathPrefix: /ok, readonly: true}]}`:    {"readonly"},
	})
}
