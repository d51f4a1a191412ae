//go:build tools

// Package tools pins Kyverno's admission controller (cmd/kyverno), which
// hack/bench/peers.sh runs beside Palisade's webhook. It is its own module
// because Kyverno's go.mod replaces k8s.io/pod-security-admission with a fork,
// and a replace in a dependency's go.mod is ignored by the consumer: go.mod
// here repeats it. Build with hack/bench/build-peers.sh.
package tools

import (
	_ "github.com/kyverno/kyverno/cmd/kyverno"
)
