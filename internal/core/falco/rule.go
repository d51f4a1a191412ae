package falco

import (
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Priority is a rule's severity, Falco's syslog-like scale.
type Priority uint8

// The priorities, most severe first.
const (
	PriorityEmergency Priority = iota
	PriorityAlert
	PriorityCritical
	PriorityError
	PriorityWarning
	PriorityNotice
	PriorityInformational
	PriorityDebug
)

var priorityNames = []string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

func (p Priority) String() string {
	if int(p) < len(priorityNames) {
		return priorityNames[p]
	}
	return "Unknown"
}

// ParsePriority reads a priority the way Falco does: case-insensitive,
// "info" for Informational.
func ParsePriority(s string) (Priority, bool) {
	s = strings.ToLower(s)
	if s == "info" {
		return PriorityInformational, true
	}
	for i, n := range priorityNames {
		if strings.ToLower(n) == s {
			return Priority(i), true
		}
	}
	return 0, false
}

// The exception comparison operators Falco allows.
var exceptionComps = []string{"=", "!=", "<", "<=", ">", ">=", "in", "intersects", "pmatch", "contains", "icontains",
	"startswith", "endswith", "glob", "bcontains", "bstartswith", "iglob", "regex"}

func (l *loader) rule(file string, n *yaml.Node, f fields) {
	name, ok := scalar(f.val["rule"])
	if !ok || name == "" {
		l.report(Error, ErrYAMLValidate, at(file, n), "", "rule name must be a non-empty string")
		return
	}
	item := "rule '" + name + "'"
	l.checkKeys(file, "rule", item, f)
	prev := l.rules[name]
	appendTo, _ := boolean(f.val["append"])
	ov, ok := l.overrides(file, item, f, map[string][]string{
		"append":  {"condition", "output", "desc", "tags", "exceptions"},
		"replace": {"condition", "output", "desc", "priority", "tags", "exceptions", "enabled", "source", "warn_evttypes", "skip-if-unknown-filter", "capture", "capture_duration"},
	})
	if !ok {
		return
	}
	onlyEnabled := len(f.keys) == 2 && f.has("enabled")
	if appendTo || ov != nil || onlyEnabled {
		switch {
		case appendTo && ov != nil:
			l.report(Error, ErrValidate, at(file, n), item, "keys 'override' and 'append: true' cannot be used together")
			return
		case prev == nil:
			l.report(Error, ErrValidate, at(file, n), item, "rule has 'append', 'override' or only 'enabled' but no rule by that name already exists")
			return
		}
		if onlyEnabled {
			ov = map[string]string{"enabled": "replace"}
		}
		if appendTo {
			ov = map[string]string{}
			for _, k := range []string{"condition", "output", "desc", "tags", "exceptions"} {
				if f.has(k) {
					ov[k] = "append"
				}
			}
			if len(ov) == 0 {
				l.report(Warning, WarnAppendNoValues, at(file, n), item, "appending nothing")
			}
		}
		l.modifyRule(file, item, prev, f, ov)
		return
	}
	r := &ruleDef{name: name, enabled: true, warnEvttypes: true, source: "syscall", at: at(file, n)}
	for _, k := range []string{"condition", "output", "desc", "priority"} {
		if !f.has(k) {
			l.report(Error, ErrYAMLValidate, at(file, n), item, "item has no mapping for key '%s'", k)
			ok = false
		}
	}
	if !ok {
		return
	}
	all := map[string]string{}
	for _, k := range f.keys {
		all[k] = "replace"
	}
	if !l.setRuleFields(file, item, r, f, all) {
		return
	}
	if prev != nil {
		*prev = *r // redefining replaces, in its first place
		return
	}
	l.rules[name] = r
	l.ruleOrder = append(l.ruleOrder, r)
}

// modifyRule applies an append or override to an existing rule.
func (l *loader) modifyRule(file, item string, r *ruleDef, f fields, how map[string]string) {
	next := *r
	next.tags = slices.Clone(r.tags)
	next.exceptions = slices.Clone(r.exceptions)
	if l.setRuleFields(file, item, &next, f, how) {
		*r = next
	}
}

// setRuleFields sets (replace) or extends (append) the rule's keys named
// in how from f; it reports whether they were all good.
func (l *loader) setRuleFields(file, item string, r *ruleDef, f fields, how map[string]string) bool {
	good := true
	bad := func(k, format string, args ...any) {
		l.report(Error, ErrYAMLValidate, at(file, f.val[k]), item, format, args...)
		good = false
	}
	text := func(k string, dst *string, dstAt *where) {
		v, ok := scalar(f.val[k])
		if !ok {
			bad(k, "%s must be a string", k)
			return
		}
		if how[k] == "append" {
			*dst += " " + v
			return
		}
		*dst = v
		if dstAt != nil {
			*dstAt = at(file, f.val[k])
		}
	}
	for _, k := range f.keys {
		if how[k] == "" || k == "exceptions" {
			continue // exceptions come last: their fields are checked against the source
		}
		switch k {
		case "condition":
			text(k, &r.cond, &r.condAt)
		case "output":
			text(k, &r.output, &r.outputAt)
		case "desc":
			text(k, &r.desc, nil)
		case "source":
			text(k, &r.source, nil)
		case "priority":
			v, _ := scalar(f.val[k])
			p, ok := ParsePriority(v)
			if !ok {
				l.report(Error, ErrValidate, at(file, f.val[k]), item, "invalid priority %q", v)
				good = false
			}
			r.priority = p
		case "enabled", "skip-if-unknown-filter", "warn_evttypes":
			b, ok := boolean(f.val[k])
			if !ok {
				bad(k, "%s must be true or false", k)
			}
			switch k {
			case "enabled":
				r.enabled = b
			case "warn_evttypes":
				r.warnEvttypes = b
			default:
				r.skipUnknown = b
			}
		case "tags":
			tags, ok := stringList(f.val[k])
			if !ok {
				bad(k, "tags must be a list of strings")
			}
			if how[k] == "append" {
				r.tags = append(r.tags, tags...)
			} else {
				r.tags = tags
			}
		}
	}
	if how["exceptions"] != "" && f.has("exceptions") {
		exs, ok := l.exceptions(file, item, f.val["exceptions"], how["exceptions"] == "append", r)
		if !ok {
			good = false
		} else if how["exceptions"] != "append" {
			r.exceptions = exs
		}
	}
	return good
}

// exceptions reads a rule's exceptions. Appending, an exception with a
// known name adds its values to that exception (its fields and comps must
// then be left out); a new name adds an exception.
func (l *loader) exceptions(file, item string, n *yaml.Node, appendTo bool, r *ruleDef) ([]*exceptionDef, bool) {
	if n.Kind != yaml.SequenceNode {
		l.report(Error, ErrYAMLValidate, at(file, n), item, "exceptions must be a list")
		return nil, false
	}
	var out []*exceptionDef
	good := true
	seen := map[string]bool{}
	for _, en := range n.Content {
		f, ok := mapping(en)
		name, _ := scalar(f.val["name"])
		if !ok || name == "" {
			l.report(Error, ErrYAMLValidate, at(file, en), item, "an exception is a mapping with a name")
			good = false
			continue
		}
		eitem := item + " exception '" + name + "'"
		if seen[name] {
			l.report(Warning, WarnExceptionName, at(file, en), eitem, "multiple exceptions defined with the same name")
		}
		seen[name] = true
		var existing *exceptionDef
		if appendTo {
			for i, e := range r.exceptions {
				if e.name == name {
					c := *e
					c.values = slices.Clone(e.values)
					r.exceptions[i] = &c
					existing = &c
				}
			}
		}
		if existing != nil {
			if f.has("fields") || f.has("comps") {
				l.report(Error, ErrValidate, at(file, en), eitem, "appending to an exception takes values only, not fields or comps")
				good = false
				continue
			}
			vals, ok := l.exceptionValues(file, eitem, f.val["values"], existing)
			if !ok {
				good = false
				continue
			}
			existing.values = append(existing.values, vals...)
			continue
		}
		e, ok := l.exceptionShape(file, eitem, en, f, r.source)
		if !ok {
			good = false
			continue
		}
		if appendTo && !f.has("values") {
			l.report(Error, ErrValidate, at(file, en), eitem, "rule exception must have values property with a list of values")
			good = false
			continue
		}
		if vn := f.val["values"]; vn != nil {
			vals, ok := l.exceptionValues(file, eitem, vn, e)
			if !ok {
				good = false
				continue
			}
			e.values = vals
		}
		if appendTo {
			r.exceptions = append(r.exceptions, e)
		}
		out = append(out, e)
	}
	return out, good
}

// exceptionShape reads an exception's fields and comps and checks them as
// Falco does when it collects the rule, whether or not the exception has
// values: comps default to "in" for a single field and to "=" for each of a
// list; a single field takes in, pmatch or intersects; the lists have
// equal lengths; each operator is one Falco knows; each field is one the
// rule's source defines (when the source is known).
func (l *loader) exceptionShape(file, item string, en *yaml.Node, f fields, source string) (*exceptionDef, bool) {
	e := &exceptionDef{at: at(file, en)}
	e.name, _ = scalar(f.val["name"])
	bad := func(n *yaml.Node, format string, args ...any) (*exceptionDef, bool) {
		l.report(Error, ErrValidate, at(file, n), item, format, args...)
		return nil, false
	}
	fn, cn := f.val["fields"], f.val["comps"]
	switch {
	case fn == nil:
		return bad(en, "rule exception item must have fields property with a list of fields")
	case fn.Kind == yaml.ScalarNode:
		e.fields, e.single = []string{fn.Value}, true
	default:
		fs, ok := stringList(fn)
		if !ok || len(fs) == 0 {
			l.report(Error, ErrYAMLValidate, at(file, fn), item, "fields must be a field name or a list of field names")
			return nil, false
		}
		e.fields = fs
	}
	switch {
	case e.single && cn == nil:
		e.comps = []string{"in"}
	case e.single && cn.Kind != yaml.ScalarNode:
		return bad(cn, "fields and comps must both be strings")
	case e.single:
		if !slices.Contains([]string{"in", "pmatch", "intersects"}, cn.Value) {
			return bad(cn, "when fields is a single value, comps must be one of (in, pmatch, intersects)")
		}
		e.comps = []string{cn.Value}
	case cn == nil:
		e.comps = slices.Repeat([]string{"="}, len(e.fields))
	default:
		cs, ok := stringList(cn)
		if !ok {
			return bad(cn, "comps must be a list of operators")
		}
		if len(cs) != len(e.fields) {
			return bad(cn, "fields and comps lists must have equal length")
		}
		for _, c := range cs {
			if !slices.Contains(exceptionComps, c) {
				return bad(cn, "'%s' is not a supported comparison operator", c)
			}
		}
		e.comps = cs
	}
	if src := l.source(source); src != nil {
		for _, name := range e.fields {
			field, _, _, err := splitField(token{text: name})
			if _, ok := src.Field(field); err != nil || !ok {
				return bad(fn, "'%s' is not a supported filter field", name)
			}
		}
	}
	return e, true
}

// source returns the loaded source of that name, or nil.
func (l *loader) source(name string) Source {
	for _, s := range l.opts.Sources {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

// exceptionValues reads the values of e: tuples as long as its fields
// (single values when fields was one name).
func (l *loader) exceptionValues(file, item string, n *yaml.Node, e *exceptionDef) ([][]exceptionValue, bool) {
	if n == nil {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		l.report(Error, ErrYAMLValidate, at(file, n), item, "exception values must be a list")
		return nil, false
	}
	var out [][]exceptionValue
	for _, tn := range n.Content {
		if e.single {
			v, ok := exceptionVal(tn)
			if !ok {
				l.report(Error, ErrYAMLValidate, at(file, tn), item, "an exception value must be a string or a list of strings")
				return nil, false
			}
			out = append(out, []exceptionValue{v})
			continue
		}
		if tn.Kind != yaml.SequenceNode || len(tn.Content) != len(e.fields) {
			l.report(Error, ErrValidate, at(file, tn), item, "fields and values lists must have equal length (%d fields)", len(e.fields))
			return nil, false
		}
		tuple := make([]exceptionValue, len(tn.Content))
		for i, vn := range tn.Content {
			v, ok := exceptionVal(vn)
			if !ok {
				l.report(Error, ErrYAMLValidate, at(file, vn), item, "an exception value must be a string or a list of strings")
				return nil, false
			}
			tuple[i] = v
		}
		out = append(out, tuple)
	}
	return out, true
}

func exceptionVal(n *yaml.Node) (exceptionValue, bool) {
	if v, ok := scalar(n); ok {
		return exceptionValue{items: []string{v}}, true
	}
	items, ok := stringList(n)
	return exceptionValue{items: items, list: true}, ok
}
