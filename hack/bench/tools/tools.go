//go:build tools

// Package tools pins Gatekeeper's gator CLI (hack/bench/compare.sh) and its
// manager, the module root's main package (hack/bench/peers.sh).
// It is a separate module so these heavy dependencies never enter the main
// module's go.mod. kube-score lives in the nested module ./kubescore because
// kube-score v1.20.0 imports k8s.io/api/autoscaling/v2beta{1,2}, which no
// longer exist in the k8s.io/api version Gatekeeper requires, so the two
// cannot share one build list. Build both with hack/bench/build-tools.sh.
package tools

import (
	_ "github.com/open-policy-agent/gatekeeper/v3"
	_ "github.com/open-policy-agent/gatekeeper/v3/cmd/gator"
)
