package k8saudit

import (
	"fmt"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// SourceName is the name rules give the source (source: k8s_audit).
const SourceName = "k8s_audit"

// Options configure a Source.
type Options struct {
	// ClusterName is what ka.cluster.name reads on an event without a
	// cluster_name annotation, the only place the k8saudit plugin reads it
	// from; kube-apiserver never writes that annotation, so set it to the
	// name of the cluster the events come from. Empty: the field is absent
	// on such events, as in Falco.
	ClusterName string
}

// Source is the k8s_audit event source: it implements falco.Source over the
// *Event values a Decoder yields.
type Source struct {
	opts   Options
	fields []def
	byName map[string]int
}

var _ falco.Source = (*Source)(nil)

// New returns the k8s_audit Source.
//
// Its fields read as Falco's k8saudit plugin 0.18 and json plugin 0.7 read
// them, except where the plugin's code misses what the field's description
// promises; there this package reads the description:
//   - ka.sourceips: the event's sourceIPs (the plugin looks for them under
//     requestObject.rules and never finds any);
//   - ka.req.pod.*.eff_run_as_user and eff_run_as_group: each container's
//     securityContext.runAsUser (runAsGroup), else the pod's
//     spec.securityContext one, else 0 (the plugin reads neither and always
//     returns 0);
//   - ka.req.volume.hostpath[path]: whether any volume mounts the host path
//     (the plugin looks at the first volume only).
//
// It adds jevt.time (HH:MM:SS.nanoseconds, UTC) and jevt.time.iso8601, the
// fields Falco's built-in k8s audit support had before the plugins.
func New(opts Options) *Source {
	s := &Source{opts: opts, fields: fieldDefs(opts)}
	s.byName = make(map[string]int, len(s.fields))
	for i, d := range s.fields {
		if _, dup := s.byName[d.Name]; dup {
			panic("k8saudit: field " + d.Name + " defined twice")
		}
		s.byName[d.Name] = i
	}
	return s
}

// Name returns "k8s_audit".
func (s *Source) Name() string { return SourceName }

// Field looks a field up by name, without its argument.
func (s *Source) Field(name string) (falco.Field, bool) {
	i, ok := s.byName[name]
	if !ok {
		return falco.Field{}, false
	}
	return s.fields[i].Field, true
}

// Fields returns every field the source defines, in the plugins' order.
func (s *Source) Fields() []falco.Field {
	out := make([]falco.Field, len(s.fields))
	for i, d := range s.fields {
		out[i] = d.Field
	}
	return out
}

// Extractor compiles the reading of field f with its argument arg ("" when
// none): an index is parsed, a JSON pointer split, here and not per event.
func (s *Source) Extractor(f falco.Field, arg string) (falco.Extractor, error) {
	i, ok := s.byName[f.Name]
	if !ok {
		return nil, fmt.Errorf("source %s has no field %s", SourceName, f.Name)
	}
	d := s.fields[i]
	switch {
	case d.get != nil:
		if arg != "" {
			return nil, fmt.Errorf("field %s takes no argument, got %s[%s]", d.Name, d.Name, arg)
		}
		return extractor(d.get), nil
	case d.idx != nil:
		if arg == "" {
			return extractor(func(e *Event, dst []falco.Value) []falco.Value { return d.idx(e, dst, -1) }), nil
		}
		n, ok := parseIndex(arg)
		if !ok {
			return nil, fmt.Errorf("field %s[%s]: the argument must be an index (0, 1, ...)", d.Name, arg)
		}
		return extractor(func(e *Event, dst []falco.Value) []falco.Value { return d.idx(e, dst, n) }), nil
	default:
		if arg == "" {
			return nil, fmt.Errorf("field %s needs an argument in brackets", d.Name)
		}
		get, err := d.key(arg)
		if err != nil {
			return nil, fmt.Errorf("field %s[%s]: %w", d.Name, arg, err)
		}
		return extractor(get), nil
	}
}

// getFn reads a field of an event, appending its values to dst.
type getFn func(e *Event, dst []falco.Value) []falco.Value

// indexFn reads a field whose optional argument is an index (i < 0: none).
type indexFn func(e *Event, dst []falco.Value, i int) []falco.Value

// keyFn compiles the reading of a field with its required argument.
type keyFn func(arg string) (getFn, error)

// def is a field and how to read it: exactly one of get, idx and key is set,
// as the field takes no argument, an optional index or a required key.
type def struct {
	falco.Field
	get getFn
	idx indexFn
	key keyFn
}

func single(name, desc string, get getFn) def {
	return def{Field: falco.Field{Name: name, Type: falco.String, Desc: desc}, get: get}
}

func list(name, desc string, get getFn) def {
	return def{Field: falco.Field{Name: name, Type: falco.String, List: true, Desc: desc}, get: get}
}

func indexed(name, desc string, idx indexFn) def {
	return def{Field: falco.Field{Name: name, Type: falco.String, List: true, Arg: falco.ArgOptional, Index: true, Desc: desc}, idx: idx}
}

func keyed(name, desc string, key keyFn) def {
	return def{Field: falco.Field{Name: name, Type: falco.String, Arg: falco.ArgRequired, Desc: desc}, key: key}
}

// extractor adapts get to falco.Extractor: events of other sources have no
// value.
func extractor(get getFn) falco.Extractor {
	return func(ev falco.Event, dst []falco.Value) []falco.Value {
		e, ok := ev.(*Event)
		if !ok || e == nil || e.root == nil {
			return dst
		}
		return get(e, dst)
	}
}

// parseIndex parses an index argument: decimal digits only, as Falco does.
func parseIndex(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n, ok := digits([]byte(s))
	return n, ok
}
