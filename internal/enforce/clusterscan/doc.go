// Package clusterscan audits a live cluster with the one engine: it lists
// every object the rule catalog judges through client-go (500 per page),
// converts each to the engine's input, evaluates it and feeds the offline
// scanner's report writers and, optionally, a PolicyReport builder.
//
// A finding is reported once, at its source: an object whose controller
// (its ownerReference with controller: true) was listed and carries a pod
// template is left out, so a Deployment is reported and its ReplicaSets
// and Pods are not, while a bare Pod, or a Pod controlled by something
// Palisade does not list (a Node for static pods, a custom controller), is
// reported itself.
package clusterscan
