package continuous

import (
	corev1 "k8s.io/api/core/v1"
)

// Trim is the pod informer's transform: it drops what no rule reads before
// the pod enters the cache, to keep memory per cached pod small. Kept:
// metadata (minus managedFields and kubectl's last-applied copy, which
// repeats the spec) and the whole spec, since CEL rules may read any of
// it. Dropped: the status, except the phase.
func Trim(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	p.ManagedFields = nil
	if _, ok := p.Annotations[lastApplied]; ok {
		delete(p.Annotations, lastApplied)
	}
	p.Status = corev1.PodStatus{Phase: p.Status.Phase}
	return p, nil
}

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"
