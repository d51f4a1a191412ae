// Package containment acts on pods for the policy's isolate and terminate
// actions, within the guardrails: never in a protected namespace, deletions
// rate-limited agent-wide, nothing done in dry-run. Isolation is a label
// and a deny-all NetworkPolicy per namespace; every act is a Kubernetes
// Event on the pod. The continuous checks and the runtime responder share
// one Containment; CheckNetworkPolicy tells whether the cluster can enforce
// isolation at all.
package containment
