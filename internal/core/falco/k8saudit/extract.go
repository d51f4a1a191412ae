package k8saudit

import (
	"github.com/valyala/fastjson"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// Constant texts; the full slice expressions keep an append by a caller from
// writing into them.
var (
	textTrue  = []byte("true")[:4:4]
	textFalse = []byte("false")[:5:5]
	textNull  = []byte("null")[:4:4]
	textZero  = []byte("0")[:1:1]
)

// text returns v as the plugins read a JSON value: a string as its
// (unescaped) text, aliasing the parser's memory; any other value as its
// compact JSON, rendered into the event's buffer.
func (e *Event) text(v *fastjson.Value) []byte {
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return b
	case fastjson.TypeTrue:
		return textTrue
	case fastjson.TypeFalse:
		return textFalse
	case fastjson.TypeNull:
		return textNull
	}
	start := len(e.buf)
	e.buf = v.MarshalTo(e.buf)
	return e.rendered(start)
}

// rendered returns what was appended to the event's buffer since start.
func (e *Event) rendered(start int) []byte {
	return e.buf[start:len(e.buf):len(e.buf)]
}

// appendText appends v's text to dst; nothing when v is nil (the value is
// absent).
func (e *Event) appendText(dst []falco.Value, v *fastjson.Value) []falco.Value {
	if v == nil {
		return dst
	}
	return append(dst, falco.Value{B: e.text(v)})
}

// appendEach appends the text of each element of the array v; nothing when
// v is absent or not an array (the plugin fails then).
func (e *Event) appendEach(dst []falco.Value, v *fastjson.Value) []falco.Value {
	if v == nil || v.Type() != fastjson.TypeArray {
		return dst
	}
	for _, x := range v.GetArray() {
		dst = append(dst, falco.Value{B: e.text(x)})
	}
	return dst
}

// member reads an Event member, or a value under it.
func member(i int, keys ...string) getFn {
	if len(keys) == 0 {
		return func(e *Event, dst []falco.Value) []falco.Value {
			return e.appendText(dst, e.top[i])
		}
	}
	return func(e *Event, dst []falco.Value) []falco.Value {
		return e.appendText(dst, e.top[i].Get(keys...))
	}
}

// members reads the elements of an array under an Event member.
func members(i int, keys ...string) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		return e.appendEach(dst, e.top[i].Get(keys...))
	}
}

// objectRef reads a member of objectRef.
func objectRef(i int) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		return e.appendText(dst, e.ref[i])
	}
}

// annotation reads an annotation of the event.
func annotation(key string) getFn { return member(topAnnotations, key) }

// constant reads the same text on every event.
func constant(text string) getFn {
	b := []byte(text)
	b = b[:len(b):len(b)]
	return func(_ *Event, dst []falco.Value) []falco.Value {
		return append(dst, falco.Value{B: b})
	}
}

// clusterName reads ka.cluster.name: the cluster_name annotation, else the
// configured name.
func clusterName(configured string) getFn {
	fallback := []byte(configured)
	fallback = fallback[:len(fallback):len(fallback)]
	return func(e *Event, dst []falco.Value) []falco.Value {
		if v := e.top[topAnnotations].Get("cluster_name"); v != nil {
			return append(dst, falco.Value{B: e.text(v)})
		}
		if len(fallback) == 0 {
			return dst
		}
		return append(dst, falco.Value{B: fallback})
	}
}

// targetPodName reads ka.target.pod.name: the name of the pod a request on
// the pods resource itself (no subresource) returned.
func targetPodName(e *Event, dst []falco.Value) []falco.Value {
	if string(e.ref[refResource].GetStringBytes()) != "pods" || len(e.ref[refSubresource].GetStringBytes()) > 0 {
		return dst
	}
	return e.appendText(dst, e.top[topResponseObject].Get("metadata", "name"))
}

// subjectNames reads the names of a binding's subjects of one kind
// (User, Group, ServiceAccount); namespaced prefixes each with its
// namespace and a colon, skipping subjects without one.
func subjectNames(kind string, namespaced bool) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		subjects := e.top[topRequestObject].Get("subjects")
		if subjects == nil || subjects.Type() != fastjson.TypeArray {
			return dst
		}
		for _, s := range subjects.GetArray() {
			k, name := s.Get("kind"), s.Get("name")
			if k == nil || name == nil || string(e.text(k)) != kind {
				continue
			}
			if !namespaced {
				dst = append(dst, falco.Value{B: e.text(name)})
				continue
			}
			ns := s.Get("namespace")
			if ns == nil {
				continue
			}
			nsText, nameText := e.text(ns), e.text(name)
			start := len(e.buf)
			e.buf = append(e.buf, nsText...)
			e.buf = append(e.buf, ':')
			e.buf = append(e.buf, nameText...)
			dst = append(dst, falco.Value{B: e.rendered(start)})
		}
		return dst
	}
}

// roleRules reads one key (verbs, resources, ...) of a role's rules,
// flattened; of the i-th rule only when i >= 0.
func roleRules(key string) indexFn {
	return func(e *Event, dst []falco.Value, i int) []falco.Value {
		rules, ok := pick(e.top[topRequestObject].Get("rules"), i)
		if !ok {
			return dst
		}
		for _, r := range rules {
			if v := r.Get(key); v != nil && v.Type() == fastjson.TypeArray {
				dst = e.appendEach(dst, v)
			}
		}
		return dst
	}
}

// sourceIPs reads ka.sourceips, the i-th address only when i >= 0.
func sourceIPs(e *Event, dst []falco.Value, i int) []falco.Value {
	ips, ok := pick(e.top[topSourceIPs], i)
	if !ok {
		return dst
	}
	for _, ip := range ips {
		dst = append(dst, falco.Value{B: e.text(ip)})
	}
	return dst
}

// servicePorts reads ka.req.service.ports: as in the plugin, one value, the
// JSON of the whole ports array, whatever the index.
func servicePorts(e *Event, dst []falco.Value, _ int) []falco.Value {
	return e.appendText(dst, e.top[topRequestObject].Get("spec", "ports"))
}

// pick returns the elements of the array v, or only its i-th when i >= 0;
// ok is false when v is absent or not an array, or i is past its end.
func pick(v *fastjson.Value, i int) ([]*fastjson.Value, bool) {
	if v == nil || v.Type() != fastjson.TypeArray {
		return nil, false
	}
	arr := v.GetArray()
	if i < 0 {
		return arr, true
	}
	if i >= len(arr) {
		return nil, false
	}
	return arr[i : i+1], true
}

// userMember reads a member of user.
func userMember(i int) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		return e.appendText(dst, e.user[i])
	}
}

// userMembers reads the elements of an array member of user.
func userMembers(i int) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		return e.appendEach(dst, e.user[i])
	}
}
