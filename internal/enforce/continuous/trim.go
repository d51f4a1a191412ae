package continuous

import (
	corev1 "k8s.io/api/core/v1"
)

// Trim is the pod informer's transform: it drops what no catalog rule
// (Pod Security Standards included) reads before the pod enters the cache,
// to keep memory per cached pod small:
//   - metadata: managedFields and kubectl's last-applied copy of the object;
//   - status: all but the phase;
//   - spec: tolerations, affinity, topology spread, DNS settings, readiness
//     and scheduling gates;
//   - every container: env, command, args, probes, lifecycle hooks, working
//     directory and termination message settings.
//
// Security contexts, images, ports, resources, volumes and their mounts,
// host namespaces, service account settings, labels and annotations stay.
// CEL rules in the continuous tab see the trimmed pod (docs/policy.md).
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
	s := &p.Spec
	s.Tolerations, s.Affinity, s.TopologySpreadConstraints = nil, nil, nil
	s.DNSConfig, s.ReadinessGates, s.SchedulingGates = nil, nil, nil
	for i := range s.InitContainers {
		trimContainer(&s.InitContainers[i])
	}
	for i := range s.Containers {
		trimContainer(&s.Containers[i])
	}
	for i := range s.EphemeralContainers {
		trimContainer((*corev1.Container)(&s.EphemeralContainers[i].EphemeralContainerCommon))
	}
	return p, nil
}

func trimContainer(c *corev1.Container) {
	c.Env, c.EnvFrom, c.Command, c.Args = nil, nil, nil, nil
	c.LivenessProbe, c.ReadinessProbe, c.StartupProbe, c.Lifecycle = nil, nil, nil, nil
	c.WorkingDir, c.TerminationMessagePath, c.TerminationMessagePolicy = "", "", ""
}

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"
