// Command pause is the sandbox ("pause") container of hack/cluster.sh's
// node: it holds the pod's namespaces, reaps the zombies a shared PID
// namespace leaves to it, and exits on SIGINT or SIGTERM. It is what
// Kubernetes' own pause image does, built here because nothing can be
// pulled from a registry.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
