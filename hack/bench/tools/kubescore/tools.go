//go:build tools

// Package kubescore pins kube-score for hack/bench/compare.sh. It is its own
// module (see ../tools.go for why it cannot share gator's build list).
package kubescore

import (
	_ "github.com/zegl/kube-score/cmd/kube-score"
)
