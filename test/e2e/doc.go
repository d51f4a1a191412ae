// Package e2e tests Palisade against a real kube-apiserver and etcd
// (hack/controlplane.sh): the agent is registered as a validating webhook
// and kubectl is run exactly as a user would. The tests run when
// PALISADE_E2E_KUBECONFIG names the control plane's kubeconfig; hack/test.sh
// starts one and sets it.
package e2e
