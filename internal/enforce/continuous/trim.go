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
//   - every container: env, command, args, working directory and
//     termination message settings; probes and lifecycle hooks, except the
//     hosts of their httpGet and tcpSocket handlers, which the Pod Security
//     Standards read (hostProbesAndHostLifecycle).
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
	c.LivenessProbe, c.ReadinessProbe, c.StartupProbe = probeHosts(c.LivenessProbe), probeHosts(c.ReadinessProbe), probeHosts(c.StartupProbe)
	if l := c.Lifecycle; l != nil {
		post, pre := handlerHosts(l.PostStart), handlerHosts(l.PreStop)
		c.Lifecycle = nil
		if post != nil || pre != nil {
			c.Lifecycle = &corev1.Lifecycle{PostStart: post, PreStop: pre}
		}
	}
	c.WorkingDir, c.TerminationMessagePath, c.TerminationMessagePolicy = "", "", ""
}

// probeHosts keeps of a probe only the hosts its handler names, nil when
// it names none.
func probeHosts(p *corev1.Probe) *corev1.Probe {
	if p == nil {
		return nil
	}
	h := handlerHosts(&corev1.LifecycleHandler{HTTPGet: p.HTTPGet, TCPSocket: p.TCPSocket})
	if h == nil {
		return nil
	}
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: h.HTTPGet, TCPSocket: h.TCPSocket}}
}

// handlerHosts keeps of a handler only the hosts it names, nil when it
// names none.
func handlerHosts(h *corev1.LifecycleHandler) *corev1.LifecycleHandler {
	if h == nil {
		return nil
	}
	var out corev1.LifecycleHandler
	if h.HTTPGet != nil && h.HTTPGet.Host != "" {
		out.HTTPGet = &corev1.HTTPGetAction{Host: h.HTTPGet.Host}
	}
	if h.TCPSocket != nil && h.TCPSocket.Host != "" {
		out.TCPSocket = &corev1.TCPSocketAction{Host: h.TCPSocket.Host}
	}
	if out.HTTPGet == nil && out.TCPSocket == nil {
		return nil
	}
	return &out
}

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"
