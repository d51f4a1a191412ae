// Package responder is the policy's runtime tab at work: it evaluates what
// happens in the cluster — kube-apiserver audit events posted to /audit,
// Falco alerts posted to /falco — against the RuntimeRulesets the policy
// binds, and responds with the binding's action on the pod the event
// names: log (an event), isolate or terminate (the continuous checks'
// containment, with its guardrails). Evaluation happens inline and fast;
// responses go through a bounded queue so the API server's audit backend
// never waits on a Kubernetes call.
package responder
