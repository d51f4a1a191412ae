package k8saudit

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// jsonValue compiles json.value[pointer] (jevt.value): the value at a JSON
// pointer (RFC 6901) in the event, /stage or /requestObject/spec/volumes,
// say. As in the json plugin, one leading '/' is optional and ~1 is
// replaced before ~0; array elements are numbered from 0.
func jsonValue(arg string) (getFn, error) {
	path := strings.Split(strings.TrimPrefix(arg, "/"), "/")
	for i, p := range path {
		path[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	first, rest := topIndex([]byte(path[0])), path[1:]
	if first < 0 {
		return func(e *Event, dst []falco.Value) []falco.Value {
			return e.appendText(dst, e.root.Get(path...))
		}, nil
	}
	return func(e *Event, dst []falco.Value) []falco.Value {
		v := e.top[first]
		if len(rest) > 0 {
			v = v.Get(rest...)
		}
		return e.appendText(dst, v)
	}, nil
}

// jsonObj reads json.obj (jevt.obj): the whole event as indented JSON, two
// spaces a level, as the json plugin prints it.
func jsonObj(e *Event, dst []falco.Value) []falco.Value {
	start := len(e.buf)
	e.buf = e.root.MarshalTo(e.buf)
	compact := e.rendered(start)
	n := e.indent.Len()
	if err := json.Indent(&e.indent, compact, "", "  "); err != nil {
		e.indent.Truncate(n)
		return dst
	}
	e.buf = e.buf[:start]
	b := e.indent.Bytes()[n:]
	return append(dst, falco.Value{B: b[:len(b):len(b)]})
}

// jsonRawtime reads json.rawtime (jevt.rawtime): the event time,
// stageTimestamp, in nanoseconds since the epoch, as decimal text.
func jsonRawtime(e *Event, dst []falco.Value) []falco.Value {
	start := len(e.buf)
	e.buf = strconv.AppendInt(e.buf, e.nanos, 10)
	return append(dst, falco.Value{B: e.rendered(start)})
}

// jsonTime reads the event time in a time layout, in UTC.
func jsonTime(layout string) getFn {
	return func(e *Event, dst []falco.Value) []falco.Value {
		start := len(e.buf)
		e.buf = time.Unix(0, e.nanos).UTC().AppendFormat(e.buf, layout)
		return append(dst, falco.Value{B: e.rendered(start)})
	}
}
