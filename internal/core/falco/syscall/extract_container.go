package syscall

import (
	"sort"
	"strconv"
	"strings"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// hostID is what the container plugin reads as container.id,
// container.full_id and container.name (and container.type) for a thread
// outside any container: its host entry, whose other text fields are
// empty strings rather than absent.
const hostID = "host"

// containerText reads a text property of the thread's container; on the
// host, the host entry's value.
func containerText(onHost string, get func(c *Container) string) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		if c := e.Thread.Container; c != nil {
			return append(dst, vText(get(c)))
		}
		return append(dst, vText(onHost))
	}
}

// containerBool reads a flag of the thread's container; false on the host.
func containerBool(get func(c *Container) bool) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		c := e.Thread.Container
		return append(dst, vBool(c != nil && get(c)))
	}
}

// podText reads a property of the container's pod; absent on the host and
// outside Kubernetes, where the runtime has no pod labels to read it from.
func podText(get func(p *Pod) string) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		if c := e.Thread.Container; c != nil && c.Pod != nil {
			return append(dst, vText(get(c.Pod)))
		}
		return dst
	}
}

// podEmpty reads a property of the container's pod that the container
// plugin sets, empty, also without a pod (sandbox ids, labels, ip).
func podEmpty(get func(p *Pod) string) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		if c := e.Thread.Container; c != nil && c.Pod != nil {
			return append(dst, vText(get(c.Pod)))
		}
		return append(dst, vText(""))
	}
}

// labelsText renders labels as the container plugin does: key:value pairs
// sorted by key, separated by ", ", without annotations and the runtime's
// io.kubernetes.* labels.
func labelsText(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if strings.HasPrefix(k, "annotation.") || strings.HasPrefix(k, "io.kubernetes.") {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		if v := labels[k]; v != "" {
			b.WriteString(":" + v)
		}
	}
	return b.String()
}

// mountText renders a mount as source:dest:mode:rdwr:propagation; the
// model holds no mode.
func mountText(m *Mount) string {
	return m.Source + ":" + m.Dest + "::" + strconv.FormatBool(m.ReadWrite) + ":" + m.Propagation
}

// pidnsStart is the start of the thread's pid namespace, from which the
// container plugin reads container.start_ts.
func pidnsStart(e *Event) int64 { return e.Thread.PIDNSInitStart }

var containerGetters = map[string]getFn{
	"container.id":       containerText(hostID, func(c *Container) string { return c.ID }),
	"container.full_id":  containerText(hostID, func(c *Container) string { return c.FullID }),
	"container.name":     containerText(hostID, func(c *Container) string { return c.Name }),
	"container.type":     containerText(hostID, func(c *Container) string { return c.Type }),
	"container.image":    containerText("", func(c *Container) string { return c.Image }),
	"container.image.id": containerText("", func(c *Container) string { return c.ImageID }),
	"container.image.repository": containerText("", func(c *Container) string {
		return c.ImageRepository
	}),
	"container.image.tag":    containerText("", func(c *Container) string { return c.ImageTag }),
	"container.image.digest": containerText("", func(c *Container) string { return c.ImageDigest }),
	"container.ip":           containerText("", func(c *Container) string { return c.IP }),
	"container.privileged":   containerBool(func(c *Container) bool { return c.Privileged }),
	"container.host_pid":     containerBool(func(c *Container) bool { return c.HostPID }),
	"container.host_network": containerBool(func(c *Container) bool { return c.HostNetwork }),
	"container.host_ipc":     containerBool(func(c *Container) bool { return c.HostIPC }),
	"container.labels":       containerText("", func(c *Container) string { return labelsText(c.Labels) }),
	"container.mounts": containerText("", func(c *Container) string {
		parts := make([]string, len(c.Mounts))
		for i := range c.Mounts {
			parts[i] = mountText(&c.Mounts[i])
		}
		return strings.Join(parts, ",")
	}),
	"container.start_ts": nonZero(pidnsStart),
	"container.duration": nonZero(func(e *Event) int64 {
		if s := pidnsStart(e); s != 0 {
			return e.Time - s
		}
		return 0
	}),
	// Deprecated: the container plugin extracts nothing for them.
	"container.healthcheck":     absent,
	"container.liveness_probe":  absent,
	"container.readiness_probe": absent,
}

// mountField reads one mount's property, the mount chosen by position
// (container.mount.dest[0]) or by a glob on its source (on its
// destination for container.mount.source).
func mountField(bySource bool, get func(m *Mount) string) argFn {
	return func(arg string) (getFn, error) {
		pos, err := strconv.Atoi(arg)
		byPos := err == nil && pos >= 0
		return func(e *Event, dst []falco.Value) []falco.Value {
			c := e.Thread.Container
			if c == nil {
				return dst
			}
			if byPos {
				if pos < len(c.Mounts) {
					return append(dst, vText(get(&c.Mounts[pos])))
				}
				return dst
			}
			for i := range c.Mounts {
				m := &c.Mounts[i]
				key := m.Source
				if !bySource {
					key = m.Dest
				}
				if falco.Glob(arg, key) {
					return append(dst, vText(get(m)))
				}
			}
			return dst
		}, nil
	}
}

var containerArgGetters = map[string]argFn{
	"container.mount":             mountField(true, mountText),
	"container.mount.source":      mountField(false, func(m *Mount) string { return m.Source }),
	"container.mount.dest":        mountField(true, func(m *Mount) string { return m.Dest }),
	"container.mount.rdwr":        mountField(true, func(m *Mount) string { return strconv.FormatBool(m.ReadWrite) }),
	"container.mount.propagation": mountField(true, func(m *Mount) string { return m.Propagation }),
	"container.label": func(arg string) (getFn, error) {
		return func(e *Event, dst []falco.Value) []falco.Value {
			if c := e.Thread.Container; c != nil {
				if v, ok := c.Labels[arg]; ok {
					return append(dst, vText(v))
				}
			}
			return dst
		}, nil
	},
}

var k8sGetters = map[string]getFn{
	"k8s.ns.name":             podText(func(p *Pod) string { return p.Namespace }),
	"k8s.pod.name":            podText(func(p *Pod) string { return p.Name }),
	"k8s.pod.id":              podText(func(p *Pod) string { return p.UID }),
	"k8s.pod.uid":             podText(func(p *Pod) string { return p.UID }),
	"k8s.pod.sandbox_id":      podEmpty(func(p *Pod) string { return p.SandboxID }),
	"k8s.pod.full_sandbox_id": podEmpty(func(p *Pod) string { return p.FullSandboxID }),
	"k8s.pod.labels":          podEmpty(func(p *Pod) string { return labelsText(p.Labels) }),
	"k8s.pod.ip":              podEmpty(func(p *Pod) string { return p.IP }),
	// Deprecated in favor of the k8smeta plugin: the container plugin
	// extracts nothing for them.
	"k8s.rc.name": absent, "k8s.rc.id": absent, "k8s.rc.labels": absent,
	"k8s.svc.name": absent, "k8s.svc.id": absent, "k8s.svc.labels": absent,
	"k8s.ns.id": absent, "k8s.ns.labels": absent,
	"k8s.rs.name": absent, "k8s.rs.id": absent, "k8s.rs.labels": absent,
	"k8s.deployment.name": absent, "k8s.deployment.id": absent, "k8s.deployment.labels": absent,
}

func absentArg(string) (getFn, error) { return absent, nil }

var k8sArgGetters = map[string]argFn{
	"k8s.pod.label": func(arg string) (getFn, error) {
		return func(e *Event, dst []falco.Value) []falco.Value {
			if c := e.Thread.Container; c != nil && c.Pod != nil {
				if v, ok := c.Pod.Labels[arg]; ok {
					return append(dst, vText(v))
				}
			}
			return dst
		}, nil
	},
	"k8s.rc.label": absentArg, "k8s.svc.label": absentArg, "k8s.ns.label": absentArg,
	"k8s.rs.label": absentArg, "k8s.deployment.label": absentArg,
}
