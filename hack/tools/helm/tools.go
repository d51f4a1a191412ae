//go:build tools

// Package helm pins the Helm CLI's version; hack/helm-check.sh builds it
// (go build helm.sh/helm/v3/cmd/helm) to lint the chart in deploy/helm and
// render it for a server-side dry run against hack/controlplane.sh.
package helm

import _ "helm.sh/helm/v3/cmd/helm"
