//go:build tools

// Package kube pins kube-apiserver's version; hack/controlplane.sh builds it.
package kube

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
