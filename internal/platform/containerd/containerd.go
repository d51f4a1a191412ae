// Package containerd asks a node's containerd what it runs, through its
// `ctr` command line (Debian's containerd package ships it): the real-node
// tests, the demo and the benchmark check that a container is gone.
package containerd

import (
	"fmt"
	"os/exec"
	"strings"
)

// Running reports whether containerd at socket runs a task for the
// container id in the Kubernetes namespace (k8s.io).
func Running(socket, id string) (bool, error) {
	out, err := exec.Command("ctr", "--address", socket, "-n", "k8s.io", "tasks", "ls").Output()
	if err != nil {
		return false, fmt.Errorf("ctr tasks ls: %w", err)
	}
	return listed(string(out), id), nil
}

// listed reads `ctr tasks ls` (TASK PID STATUS) for a running id.
func listed(out, id string) bool {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[0] == id && f[2] == "RUNNING" {
			return true
		}
	}
	return false
}
