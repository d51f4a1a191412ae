// Package rules is Palisade's rule catalog. Each rule is a pure function over
// a decoded object (pod metadata, pod spec, containers with normalised
// images, or a Service, Ingress, ServiceAccount or RBAC object) returning
// findings. Rules declare their typed properties with defaults; the registry
// refuses to build when a rule is incomplete.
package rules
