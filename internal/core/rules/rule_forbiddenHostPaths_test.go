package rules

import "testing"

// Cases follow Kyverno's disallow-container-sock-mounts (each runtime
// socket refused, other host paths allowed), plus the directories above a
// socket and paths that only spell a socket differently.
func TestForbiddenHostPaths(t *testing.T) {
	hostPath := func(path string) string {
		return seed001Pod(`{volumes: [{name: v, hostPath: {path: "` + path + `"}}], containers: [{name: c, image: redis, volumeMounts: [{name: v, mountPath: /data}]}]}`)
	}
	flagged := func(path, detail string) []Finding {
		return []Finding{{Where: "pod", Value: path, Field: "spec.volumes[0].hostPath.path", Detail: detail}}
	}
	seed001Cases(t, "forbiddenHostPaths", []seed001Case{
		{name: "no volumes pass", manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`)},
		{name: "volumes other than hostPath pass",
			manifest: seed001Pod(`{volumes: [{name: v, emptyDir: {}}], containers: [{name: c, image: redis}]}`)},
		{name: "an unrelated host path passes", manifest: hostPath("/var/log")},
		{name: "a sibling of a socket passes", manifest: hostPath("/var/run/docker.sock.bak")},
		{name: "a directory below the sockets' directory passes", manifest: hostPath("/var/run/secrets")},
		{name: "the Docker socket",
			manifest: hostPath("/var/run/docker.sock"), want: flagged("/var/run/docker.sock", `hostPath volume "v" mounts /var/run/docker.sock`)},
		{name: "the containerd socket",
			manifest: hostPath("/var/run/containerd/containerd.sock"), want: flagged("/var/run/containerd/containerd.sock", `hostPath volume "v" mounts /var/run/containerd/containerd.sock`)},
		{name: "the CRI-O socket",
			manifest: hostPath("/var/run/crio/crio.sock"), want: flagged("/var/run/crio/crio.sock", `hostPath volume "v" mounts /var/run/crio/crio.sock`)},
		{name: "the cri-dockerd socket",
			manifest: hostPath("/var/run/cri-dockerd.sock"), want: flagged("/var/run/cri-dockerd.sock", `hostPath volume "v" mounts /var/run/cri-dockerd.sock`)},
		{name: "the containerd socket under /run",
			manifest: hostPath("/run/containerd/containerd.sock"), want: flagged("/run/containerd/containerd.sock", `hostPath volume "v" mounts /run/containerd/containerd.sock`)},
		{name: "a trailing slash does not hide a socket",
			manifest: hostPath("/var/run/docker.sock/"), want: flagged("/var/run/docker.sock/", `hostPath volume "v" mounts /var/run/docker.sock`)},
		{name: "double slashes and .. do not hide a socket",
			manifest: hostPath("//var/run/../run//crio/./crio.sock"), want: flagged("//var/run/../run//crio/./crio.sock", `hostPath volume "v" mounts /var/run/crio/crio.sock`)},
		{name: "the directory holding a socket exposes it",
			manifest: hostPath("/var/run"), want: flagged("/var/run", `hostPath volume "v" mounts a directory above /var/run/docker.sock`)},
		{name: "the containerd directory exposes its socket",
			manifest: hostPath("/run/containerd/"), want: flagged("/run/containerd/", `hostPath volume "v" mounts a directory above /run/containerd/containerd.sock`)},
		{name: "the host's root exposes everything",
			manifest: hostPath("/"), want: flagged("/", `hostPath volume "v" mounts a directory above /var/run/docker.sock`)},
		{name: "the host's /proc/1/root reaches the socket",
			manifest: hostPath("/proc/1/root/run/containerd/containerd.sock"),
			want:     flagged("/proc/1/root/run/containerd/containerd.sock", `hostPath volume "v" mounts the host's /proc, through which /proc/1/root reaches every host path`)},
		{name: "/proc/self/root is the host's root",
			manifest: hostPath("/proc/self/root"),
			want:     flagged("/proc/self/root", `hostPath volume "v" mounts the host's /proc, through which /proc/1/root reaches every host path`)},
		{name: "/proc itself, whatever the configured paths",
			props: `{paths: [/etc/kubernetes]}`, manifest: hostPath("/proc/"),
			want: flagged("/proc/", `hostPath volume "v" mounts the host's /proc, through which /proc/1/root reaches every host path`)},
		{name: "a path that is not absolute",
			manifest: hostPath("var/run/docker.sock"),
			want:     flagged("var/run/docker.sock", `hostPath volume "v" mounts a path that is not absolute, which the forbidden paths cannot be compared with`)},
		{name: "a name beginning with proc is not /proc", manifest: hostPath("/processes")},
		{name: "configured paths replace the defaults",
			props: `{paths: [/etc/kubernetes]}`, manifest: hostPath("/var/run/docker.sock")},
		{name: "a configured path and a file below it",
			props: `{paths: [/etc/kubernetes/]}`, manifest: hostPath("/etc/kubernetes/pki")},
		{name: "a configured path, mounted",
			props: `{paths: [/etc/kubernetes/]}`, manifest: hostPath("/etc/kubernetes"),
			want: flagged("/etc/kubernetes", `hostPath volume "v" mounts /etc/kubernetes`)},
		{name: "each volume is checked; one finding per volume",
			manifest: seed001Pod(`{volumes: [{name: logs, hostPath: {path: /var/log}}, {name: sock, hostPath: {path: /var/run}}], containers: [{name: c, image: redis}]}`),
			want: []Finding{{Where: "pod", Value: "/var/run", Field: "spec.volumes[1].hostPath.path",
				Detail: `hostPath volume "sock" mounts a directory above /var/run/docker.sock`}}},
	})
}

// The volume is the pod's: a container exempt from the rule does not
// exempt the pod.
func TestForbiddenHostPathsIgnoresContainerExemptions(t *testing.T) {
	check := seed001Check(t, "forbiddenHostPaths", "")
	in := seed001Input(seed001Object(t, seed001Pod(`{volumes: [{name: v, hostPath: {path: /var/run/docker.sock}}], containers: [{name: c, image: redis}]}`)), "prod")
	in.Containers = nil
	if got := check(in); len(got) != 1 {
		t.Errorf("findings with every container exempt: got %v, want the volume flagged", got)
	}
}

func TestForbiddenHostPathsProperties(t *testing.T) {
	seed001PropErrors(t, "forbiddenHostPaths", map[string][]string{
		`{paths: []}`:                   {"properties.paths", "Required"},
		`{paths: [/ok, var/run]}`:       {"properties.paths[1]", "absolute"},
		`{paths: [/ok], pathPrefix: x}`: {"pathPrefix"},
	})
}
