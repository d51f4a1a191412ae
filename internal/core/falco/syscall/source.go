package syscall

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/palisade-dev/palisade/internal/core/falco"
)

// SourceName is the rules' source: key for system call events.
const SourceName = "syscall"

// Source is the syscall event source: a catalog of fields and how each
// reads an *Event. Build it with New; it is safe for concurrent use.
type Source struct {
	byName  map[string]spec
	sorted  []falco.Field
	get     map[string]getFn
	withArg map[string]argFn
}

var _ falco.Source = (*Source)(nil)

// New builds the syscall source from its catalog. It fails, naming every
// problem, when the catalog is inconsistent (a duplicate or malformed name,
// a missing description, an argument rule that does not fit its mode).
func New() (*Source, error) {
	return build(catalog())
}

// fieldName is the form of a field name in Falco's filter grammar: dotted
// segments, each starting with a letter.
var fieldName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)+$`)

func build(specs []spec) (*Source, error) {
	s := &Source{byName: make(map[string]spec, len(specs))}
	s.get, s.withArg = extractors()
	var errs []error
	for _, sp := range specs {
		if err := sp.check(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := s.byName[sp.Name]; dup {
			errs = append(errs, fmt.Errorf("field %s: defined twice", sp.Name))
			continue
		}
		s.byName[sp.Name] = sp
		s.sorted = append(s.sorted, sp.Field)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("syscall catalog: %w", errors.Join(errs...))
	}
	sort.Slice(s.sorted, func(i, j int) bool { return s.sorted[i].Name < s.sorted[j].Name })
	return s, nil
}

// check reports what is inconsistent in one catalog entry.
func (sp spec) check() error {
	switch {
	case !fieldName.MatchString(sp.Name):
		return fmt.Errorf("field %q: malformed name", sp.Name)
	case sp.Desc == "":
		return fmt.Errorf("field %s: no description", sp.Name)
	case (sp.Arg == falco.ArgNone) != (sp.kind == argNone):
		return fmt.Errorf("field %s: argument mode and argument rule disagree", sp.Name)
	case sp.Index && sp.kind != argIndex:
		return fmt.Errorf("field %s: an index field must take a numeric argument", sp.Name)
	case sp.dotted && sp.Arg == falco.ArgNone:
		return fmt.Errorf("field %s: a dotted argument needs an argument mode", sp.Name)
	}
	return nil
}

// Name returns "syscall".
func (s *Source) Name() string { return SourceName }

// Fields returns every field of the source, sorted by name: the reference
// for people writing rules. The slice is a copy.
func (s *Source) Fields() []falco.Field {
	return append([]falco.Field(nil), s.sorted...)
}

// Field looks a field up by name, without its bracketed argument.
//
// Some Falco fields take their argument after a dot: evt.arg.NAME,
// evt.rawarg.NAME, evt.type.is.TYPE, evt.abspath.src and .dst,
// thread.cgroup.SUBSYSTEM, k8s.pod.label.NAME and container.label.NAME
// (the label may itself hold dots). For such a name Field returns the
// field it belongs to, whose Name is then a proper prefix of name: the
// argument is what follows that prefix and its dot, and is checked by
// Extractor like a bracketed one. A name that is a field of its own
// (evt.args, thread.cgroups, k8s.pod.labels) is always that field.
//
// evt.rawarg has the type of the syscall argument it reads; for the
// arguments Falco's event table types as numbers (res, fd, size, flags,
// uid, ...) the returned field is an Int, for the others a String.
func (s *Source) Field(name string) (falco.Field, bool) {
	if sp, ok := s.byName[name]; ok {
		return sp.Field, true
	}
	for i := strings.LastIndexByte(name, '.'); i > 0; i = strings.LastIndexByte(name[:i], '.') {
		sp, ok := s.byName[name[:i]]
		if !ok || !sp.dotted || i == len(name)-1 {
			continue
		}
		f := sp.Field
		if f.Name == "evt.rawarg" {
			f.Type = rawargType(name[i+1:])
		}
		return f, true
	}
	return falco.Field{}, false
}

// Extractor checks arg against the field's argument rule and returns the
// function reading the field from *Event values (any other value reads as
// an event without the field). The error names an unknown field, a missing
// argument, an argument the field does not take, or one of the wrong form
// (proc.aname[x], evt.abspath.foo).
//
// A field the event model does not hold (see Uncaptured) gets an
// extractor that appends nothing: every comparison on it is false.
func (s *Source) Extractor(f falco.Field, arg string) (falco.Extractor, error) {
	sp, ok := s.byName[f.Name]
	if !ok {
		return nil, fmt.Errorf("unknown field %s for source %s", f.Name, SourceName)
	}
	switch {
	case arg == "" && sp.Arg == falco.ArgRequired:
		return nil, fmt.Errorf("field %s requires an argument (%s)", sp.Name, sp.kind.want())
	case arg != "" && sp.Arg == falco.ArgNone:
		return nil, fmt.Errorf("field %s does not take an argument, got %q", sp.Name, arg)
	case arg != "":
		if err := sp.kind.check(arg); err != nil {
			return nil, fmt.Errorf("field %s: argument %q: %w", sp.Name, arg, err)
		}
	}
	if _, ok := uncaptured[sp.Name]; ok {
		return nothing, nil
	}
	if sp.Arg == falco.ArgNone {
		g, ok := s.get[sp.Name]
		if !ok {
			return nil, fmt.Errorf("field %s: no extractor", sp.Name) // a test checks there is one
		}
		return extractor(g), nil
	}
	mk, ok := s.withArg[sp.Name]
	if !ok {
		return nil, fmt.Errorf("field %s: no extractor", sp.Name)
	}
	g, err := mk(arg)
	if err != nil {
		return nil, fmt.Errorf("field %s: argument %q: %w", sp.Name, arg, err)
	}
	return extractor(g), nil
}

// Uncaptured reports whether the field name (with or without a dotted
// argument: evt.buffer, thread.cgroup.cpuacct) is one the event model does
// not hold, so that a rule reading it cannot match as it would in Falco:
// the sensor does not capture the data (I/O buffers, page faults, memory
// and CPU usage, DNS names, cgroups) or the field needs state the model
// does not keep (the enter event, the previous event, the whole descriptor
// table). Its extractor reads nothing. Unknown names are not uncaptured.
func (s *Source) Uncaptured(name string) bool {
	f, ok := s.Field(name)
	if !ok {
		return false
	}
	_, un := uncaptured[f.Name]
	return un
}

// UncapturedReason says why Uncaptured reports name; "" when it does not.
func (s *Source) UncapturedReason(name string) string {
	if !s.Uncaptured(name) {
		return ""
	}
	f, _ := s.Field(name)
	return uncaptured[f.Name]
}
