//go:build tools

// Package kuberouter pins the NetworkPolicy enforcer of hack/cluster.sh's
// node: kube-router, run with only its firewall controller.
package kuberouter

import _ "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
