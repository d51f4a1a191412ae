package k8saudit

import (
	"bytes"

	"github.com/valyala/fastjson"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// The fields below read the pod a request carries (requestObject, a Pod:
// kubectl run, a pods/ephemeralcontainers update), whatever the resource:
// on other objects their paths find nothing.

// spec is the request's requestObject.spec.
func (e *Event) spec() *fastjson.Value { return e.top[topRequestObject].Get("spec") }

// containers returns one of the pod's container lists (containers,
// initContainers, ephemeralContainers), or only its i-th container when
// i >= 0; ok is false when the list is absent or i is past its end.
func (e *Event) containers(list string, i int) ([]*fastjson.Value, bool) {
	return pick(e.spec().Get(list), i)
}

// containerFields returns the ka.req.pod.<list>.* fields of one container
// list; who names its containers in descriptions.
func containerFields(list, who string) []def {
	p := "ka.req.pod." + list + "."
	return []def{
		indexed(p+"name", "the names of the pod's "+who, containerEvery(list, "name", false)),
		indexed(p+"image", "the images of the pod's "+who, containerEvery(list, "image", false)),
		indexed(p+"image.repository", "the images of the pod's "+who+" without tag or digest (the text before the first ':', then before the first '@', as the plugin cuts it)", containerEvery(list, "image", true)),
		indexed(p+"command", "the command of each of the pod's "+who+" that sets one, its words joined by spaces", containerJoined(list, "command")),
		indexed(p+"args", "the args of each of the pod's "+who+" that sets them, joined by spaces", containerJoined(list, "args")),
		indexed(p+"host_port", "the ports of the pod's "+who+": each port's hostPort, or its containerPort when it has no hostPort", containerHostPorts(list)),
		indexed(p+"privileged", "securityContext.privileged of the pod's "+who+" that set it (true or false)", containerSet(list, "securityContext", "privileged")),
		indexed(p+"allow_privilege_escalation", "securityContext.allowPrivilegeEscalation of the pod's "+who+" that set it", containerSet(list, "securityContext", "allowPrivilegeEscalation")),
		indexed(p+"read_only_fs", "securityContext.readOnlyRootFilesystem of the pod's "+who+" that set it", containerSet(list, "securityContext", "readOnlyRootFilesystem")),
		indexed(p+"run_as_user", "securityContext.runAsUser of the pod's "+who+" that set it", containerSet(list, "securityContext", "runAsUser")),
		indexed(p+"eff_run_as_user", "the uid each of the pod's "+who+" starts with: its securityContext.runAsUser, else the pod's, else 0", containerEffective(list, "runAsUser")),
		indexed(p+"run_as_group", "securityContext.runAsGroup of the pod's "+who+" that set it", containerSet(list, "securityContext", "runAsGroup")),
		indexed(p+"eff_run_as_group", "the gid each of the pod's "+who+" starts with: its securityContext.runAsGroup, else the pod's, else 0", containerEffective(list, "runAsGroup")),
		indexed(p+"proc_mount", "securityContext.procMount of the pod's "+who+" that set it", containerSet(list, "securityContext", "procMount")),
		indexed(p+"add_capabilities", "securityContext.capabilities.add of the pod's "+who+" that set it, one JSON array per container", containerSet(list, "securityContext", "capabilities", "add")),
	}
}

// containerEvery reads a key every container has (name, image): if one
// lacks it the field is absent, as in the plugin. repo cuts images to their
// repository.
func containerEvery(list, key string, repo bool) indexFn {
	return func(e *Event, dst []falco.Value, i int) []falco.Value {
		cs, ok := e.containers(list, i)
		if !ok {
			return dst
		}
		n := len(dst)
		for _, c := range cs {
			v := c.Get(key)
			if v == nil {
				return dst[:n]
			}
			b := e.text(v)
			if repo {
				b = repository(b)
			}
			dst = append(dst, falco.Value{B: b})
		}
		return dst
	}
}

// repository cuts an image reference as the plugin does: before the first
// ':' (so a registry port cuts it too), then before the first '@'.
func repository(image []byte) []byte {
	if i := bytes.IndexByte(image, ':'); i >= 0 {
		image = image[:i]
	}
	if i := bytes.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	return image
}

// containerSet reads a value of the containers that set it.
func containerSet(list string, keys ...string) indexFn {
	return func(e *Event, dst []falco.Value, i int) []falco.Value {
		cs, _ := e.containers(list, i)
		for _, c := range cs {
			dst = e.appendText(dst, c.Get(keys...))
		}
		return dst
	}
}

// containerJoined reads an array of strings (command, args) of the
// containers that set it, joined by spaces; the field is absent if one is
// not an array of strings.
func containerJoined(list, key string) indexFn {
	return func(e *Event, dst []falco.Value, i int) []falco.Value {
		cs, _ := e.containers(list, i)
		n := len(dst)
		for _, c := range cs {
			v := c.Get(key)
			if v == nil {
				continue
			}
			words, err := v.Array()
			if err != nil {
				return dst[:n]
			}
			start := len(e.buf)
			for j, w := range words {
				b, err := w.StringBytes()
				if err != nil {
					return dst[:n]
				}
				if len(words) == 1 {
					dst = append(dst, falco.Value{B: b})
					break
				}
				if j > 0 {
					e.buf = append(e.buf, ' ')
				}
				e.buf = append(e.buf, b...)
			}
			if len(words) != 1 {
				dst = append(dst, falco.Value{B: e.rendered(start)})
			}
		}
		return dst
	}
}

// containerHostPorts reads each container port's hostPort, or containerPort
// when it has none (the same port with hostNetwork).
func containerHostPorts(list string) indexFn {
	return func(e *Event, dst []falco.Value, i int) []falco.Value {
		cs, _ := e.containers(list, i)
		n := len(dst)
		for _, c := range cs {
			ports := c.Get("ports")
			if ports == nil {
				continue
			}
			if ports.Type() != fastjson.TypeArray {
				return dst[:n]
			}
			for _, p := range ports.GetArray() {
				if hp := p.Get("hostPort"); hp != nil {
					dst = append(dst, falco.Value{B: e.text(hp)})
				} else if cp := p.Get("containerPort"); cp != nil {
					dst = append(dst, falco.Value{B: e.text(cp)})
				}
			}
		}
		return dst
	}
}

// containerEffective reads the id (runAsUser, runAsGroup) each container
// runs with: its own, else the pod's, else 0.
func containerEffective(list, key string) indexFn {
	return func(e *Event, dst []falco.Value, i int) []falco.Value {
		cs, _ := e.containers(list, i)
		if len(cs) == 0 {
			return dst
		}
		pod := e.spec().Get("securityContext", key)
		for _, c := range cs {
			v := c.Get("securityContext", key)
			if v == nil {
				v = pod
			}
			if v == nil {
				dst = append(dst, falco.Value{B: textZero})
				continue
			}
			dst = append(dst, falco.Value{B: e.text(v)})
		}
		return dst
	}
}

// firstContainer reads ka.req.container.image (repo false) and
// ka.req.container.image.repository: the first container's image.
func firstContainer(repo bool) getFn {
	every := containerEvery("containers", "image", repo)
	return func(e *Event, dst []falco.Value) []falco.Value { return every(e, dst, 0) }
}

// anyPrivileged reads ka.req.container.privileged: "true" when a container
// (of spec.containers) is privileged, else "false"; absent without
// containers.
func anyPrivileged(e *Event, dst []falco.Value) []falco.Value {
	cs, ok := e.containers("containers", -1)
	if !ok {
		return dst
	}
	for _, c := range cs {
		// A container without securityContext.privileged is not privileged.
		if p := c.Get("securityContext", "privileged"); p != nil && p.Type() == fastjson.TypeTrue {
			return append(dst, falco.Value{B: textTrue})
		}
	}
	return append(dst, falco.Value{B: textFalse})
}

// volumeSet reads a value of the pod's volumes (all, or the i-th) that set
// it.
func volumeSet(keys ...string) indexFn {
	return func(e *Event, dst []falco.Value, i int) []falco.Value {
		vols, _ := pick(e.spec().Get("volumes"), i)
		for _, v := range vols {
			dst = e.appendText(dst, v.Get(keys...))
		}
		return dst
	}
}

// volumeTypes reads ka.req.pod.volumes.volume_type: every key of each
// volume but its name (hostPath, configMap, emptyDir, ...).
func volumeTypes(e *Event, dst []falco.Value, i int) []falco.Value {
	vols, _ := pick(e.spec().Get("volumes"), i)
	for _, v := range vols {
		// The keys alias the parser's memory, valid until its next parse
		// like every other value.
		v.GetObject().Visit(func(k []byte, _ *fastjson.Value) {
			if string(k) != "name" {
				dst = append(dst, falco.Value{B: k[:len(k):len(k)]})
			}
		})
	}
	return dst
}

// volumeHostPath compiles ka.req.volume.hostpath[path]: "true" when a
// volume mounts the host path (a path ending in '*' is a prefix), else
// "false"; absent without volumes.
func volumeHostPath(arg string) (getFn, error) {
	want, prefix := []byte(arg), false
	if bytes.HasSuffix(want, []byte{'*'}) {
		want, prefix = want[:len(want)-1], true
	}
	return func(e *Event, dst []falco.Value) []falco.Value {
		vols, ok := pick(e.spec().Get("volumes"), -1)
		if !ok {
			return dst
		}
		for _, v := range vols {
			p := v.Get("hostPath", "path")
			if p == nil {
				continue
			}
			if b := e.text(p); prefix && bytes.HasPrefix(b, want) || bytes.Equal(b, want) {
				return append(dst, falco.Value{B: textTrue})
			}
		}
		return append(dst, falco.Value{B: textFalse})
	}, nil
}
