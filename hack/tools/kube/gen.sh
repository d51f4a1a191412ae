#!/usr/bin/env bash
# Regenerates go.mod for another Kubernetes release: requires
# k8s.io/kubernetes vX.Y.Z and replaces every staging repository it lists
# with the published v0.Y.Z. Usage: hack/tools/kube/gen.sh v1.37.2
set -euo pipefail
cd "$(dirname "$0")"
k8s="${1:?usage: gen.sh vX.Y.Z}"
staging="v0.${k8s#v1.}"
mod=$(go mod download -json "k8s.io/kubernetes@$k8s" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
{
  echo "// Module kube builds kube-apiserver from the k8s.io/kubernetes Go module for"
  echo "// Palisade's test control plane (hack/controlplane.sh). Regenerate with"
  echo "// hack/tools/kube/gen.sh when moving to another Kubernetes release."
  echo "module github.com/palisade-dev/palisade/hack/tools/kube"
  echo
  echo "go 1.26.8"
  echo
  echo "require k8s.io/kubernetes $k8s"
  echo
  echo "replace ("
  sed -n '/^replace (/,/^)/p' "$mod" | grep '=> ./staging' | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > go.mod
GOFLAGS=-mod=mod go mod tidy
