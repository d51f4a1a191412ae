// Package workload turns any Kubernetes object into what Palisade's rules
// read: the pod template it would run (for every kind that carries one), its
// containers of every type with their normalised images, and the typed
// Service, Ingress and ServiceAccount objects that recommendation rules check.
package workload
